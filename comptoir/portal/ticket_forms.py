"""The requester's ticket forms: a new ticket, a reply, a link request, a pasted link, the satisfaction survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.addresses import refuse_help_desk_address
from comptoir.accounts.models import User
from comptoir.core import captcha
from comptoir.core.time_zones import known_time_zone
from comptoir.portal.pending import PendingFile, pending_read
from comptoir.ticketforms.context import Payload
from comptoir.ticketforms.context import parse as parse_context
from comptoir.tickets.blocks import block_for
from comptoir.tickets.files import max_files, too_many_files_message
from comptoir.tickets.forms import AttachmentsField
from comptoir.tickets.models import TicketType


class CaptchaMixin(forms.Form):
    # Filled in by the ALTCHA widget once the browser has solved the proof of work.
    altcha = forms.CharField(required=False, widget=forms.HiddenInput, label=_("“I'm not a robot” check"))
    # A field people never see; robots that fill every field give themselves away.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_website(self) -> str:
        value: str = self.cleaned_data.get("website", "")
        if value:
            raise ValidationError(_("This request looks automated and was not sent."), code="honeypot")
        return value

    def clean_altcha(self) -> str:
        payload: str = self.cleaned_data.get("altcha", "")
        if not captcha.verify(payload):
            raise ValidationError(
                _("Please tick “I'm not a robot” and wait for the check to finish, then send again."),
                code="captcha",
            )
        return payload


def refuse_blocked_sender(email: str) -> None:
    """A sender an agent blocked when marking their ticket as spam opens no ticket here either."""
    if block_for(email) is not None:
        raise ValidationError(
            _("New tickets from this address are not accepted. Reply to one of your tickets instead."),
            code="blocked_sender",
        )


class PendingFilesField(forms.Field):
    """Files kept from a try refused for another field (comptoir.portal.pending), sent back as signed notes."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[PendingFile]:
        tokens = [token for token in (value or []) if isinstance(token, str) and token]
        return pending_read(tokens)


class TicketForm(CaptchaMixin):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send the confirmation and every answer here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        validators=[refuse_help_desk_address, refuse_blocked_sender],
    )
    name = forms.CharField(label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    ticket_type = forms.ChoiceField(
        label=_("What is it about?"),
        choices=TicketType.choices,
        initial=TicketType.QUESTION,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=50_000,
        help_text=_(
            "The more detail, the faster we can help: what happened, what you expected "
            "instead, the steps that lead to it, and the product version or browser you use."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = AttachmentsField(
        label=_("Screenshots, recordings or files"),
        help_text=_("Optional."),
    )
    # Filled in by time-zone.js from the browser: when to expect an answer is then said on the
    # customer's own clock. Never an error (no max_length either: the customer cannot fix a hidden
    # field); a name zoneinfo does not know, however long, is dropped by clean_time_zone.
    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)
    # Ticked boxes for the files a refused try kept (portal/pending_files.html): they come along again.
    pending_file = PendingFilesField(label=_("Files kept from your first try"))
    # The customer's consent to the technical details below (ticketforms/_context_consent.html), shown
    # and ticked by context.js: without JavaScript the box is not shown and nothing is sent.
    send_context = forms.BooleanField(required=False, initial=True, label=_("Send technical details with my request"))
    # Filled in by context.js when the form is sent with the box ticked: parsed, capped and checked by
    # comptoir.ticketforms.context, never an error (the customer cannot fix a hidden field).
    context = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    field_order = ("email", "name", "ticket_type", "subject", "description", "attachments", "website", "altcha")

    def clean_time_zone(self) -> str:
        return known_time_zone(self.cleaned_data.get("time_zone", ""))

    def clean_context(self) -> Payload:
        """Nothing when the box is unticked, whatever the hidden input holds."""
        if not self.cleaned_data.get("send_context"):
            return Payload()
        return parse_context(self.cleaned_data.get("context", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The files kept from a first try count with the new ones against the limit.
        count = len(cleaned.get("pending_file") or []) + len(cleaned.get("attachments") or [])
        if count > max_files() and "attachments" in cleaned:
            self.add_error("attachments", ValidationError(too_many_files_message(count), code="too_many"))
        return cleaned


class SignedInTicketForm(TicketForm):
    """A signed-in requester's new ticket: filed under their account, whatever the POST says.

    Their address and name come from the account, never from the form: a mistyped
    address can no longer file the ticket under someone else. The captcha is asked
    only while the account's address is unproven (``known`` is False): a verified
    requester is known, and still counts against the rate limits of the view.
    """

    def __init__(self, *args: Any, account: User, known: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.known = known
        del self.fields["email"], self.fields["name"]
        if known:
            del self.fields["altcha"], self.fields["website"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for refuse in (refuse_help_desk_address, refuse_blocked_sender):
            try:
                refuse(self.account.email)
            except ValidationError as error:
                self.add_error(None, error)
        cleaned["email"] = self.account.email
        cleaned["name"] = self.account.name
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=50_000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField(label=_("Attach files"))


class LinkRequestForm(CaptchaMixin):
    email = forms.EmailField(label=_("Your e-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class TicketLinkForm(forms.Form):
    """The e-mailed link, handed over by ticket-link.js or pasted by hand; cleaned to its token."""

    link = forms.CharField(
        label=_("The link from your e-mail"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_link(self) -> str:
        # The whole link (/t/#<token>, or /t/<token>/ as older e-mails wrote it) or the token alone.
        value: str = self.cleaned_data["link"].strip()
        if "#" in value:
            value = value.rpartition("#")[2]
        elif "/t/" in value:
            value = value.partition("/t/")[2].partition("/")[0]
        return value.strip()


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with our answer?"),
        choices=[
            (5, _("5 — Very satisfied")),
            (4, _("4 — Satisfied")),
            (3, _("3 — Neither satisfied nor dissatisfied")),
            (2, _("2 — Dissatisfied")),
            (1, _("1 — Very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        help_text=_("Optional. What went well, what could we do better?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
