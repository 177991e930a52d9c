from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.addresses import refuse_help_desk_address
from comptoir.accounts.models import User
from comptoir.core.widgets import PlainSelect
from comptoir.tickets.blocks import BlockScope
from comptoir.tickets.forms import AttachmentsField
from comptoir.tickets.models import Channel, Macro, Priority, Status, SupportGroup, Ticket, TicketType
from comptoir.tickets.services import UNCHANGED, PropertyChanges
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names
from comptoir.workspace import selectors
from comptoir.workspace.models import SavedView, Visibility

NOBODY = "none"
# The search's sort by how well tickets match its words (comptoir.workspace.listing); newest first without words.
RELEVANCE = "relevance"


def _with_blank(choices: list[tuple[str, Any]], blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *choices]


class TicketFilterForm(forms.Form):
    """The list's filters (GET). Invalid values are ignored rather than shown as errors."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_blank(Status.choices, _("Any")), widget=PlainSelect
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=PlainSelect)
    group = forms.ChoiceField(label=_("Group"), required=False, widget=PlainSelect)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=_with_blank(TicketType.choices, _("Any")), widget=PlainSelect
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_with_blank(Priority.choices, _("Any")), widget=PlainSelect
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        widget=PlainSelect,
        choices=[
            ("-updated", _("Last update, newest first")),
            ("updated", _("Last update, oldest first")),
            ("-created", _("Created, newest first")),
            ("created", _("Created, oldest first")),
            ("-priority", _("Priority, highest first")),
            (RELEVANCE, _("Most relevant first")),
        ],
    )

    def __init__(self, *args: Any, agents: list[User], groups: list[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agent_choices = [(str(agent.pk), agent.get_full_name()) for agent in agents]
        self.fields["assignee"].choices = [("", _("Anyone")), (NOBODY, _("Nobody")), *agent_choices]  # type: ignore[attr-defined]
        self.fields["group"].choices = [("", _("Any")), *[(str(g.pk), g.name) for g in groups]]  # type: ignore[attr-defined]

    def queryset_filters(self) -> dict[str, object]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        filters: dict[str, object] = {
            "status": data["status"] or None,
            "type": data["type"] or None,
            "priority": data["priority"] or None,
            "group_id": int(data["group"]) if data["group"] else None,
        }
        if data["assignee"] == NOBODY:
            filters["assignee__isnull"] = True
        elif data["assignee"]:
            filters["assignee_id"] = int(data["assignee"])
        return filters

    def ordering(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "-updated"


class AgentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


def _offer(field: forms.Field, queryset: QuerySet[Any], rows: Callable[[], Sequence[Any]]) -> None:
    """A model's select offering ``rows()`` (read only when it is drawn, and once: Django iterates a select's
    choices twice, its first option for the required attribute, then all), labelled as the field labels them;
    a choice sent back is checked by ``queryset``, in the database."""
    model_field = cast("forms.ModelChoiceField[Any]", field)
    model_field.queryset = queryset
    model_field.choices = functools.cache(
        lambda: [("", model_field.empty_label), *((row.pk, model_field.label_from_instance(row)) for row in rows())]
    )


FORM_ID = "agent-update"
PROPERTY_FIELDS = ("priority", "type", "assignee", "group")


class AgentUpdateForm(forms.Form):
    """One submit: a public reply or an internal note, field changes, and the status to submit as."""

    visibility = forms.ChoiceField(
        label=_("Message type"),
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 7})
    )
    attachments = AttachmentsField(label=_("Attach files"))
    status = forms.ChoiceField(
        required=False, choices=[("", "-"), *[(s.value, s.label) for s in AGENT_SUBMIT_STATUSES]]
    )
    # Not required: a closed ticket's page does not send them (only notes are allowed).
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False, widget=PlainSelect)
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, required=False, widget=PlainSelect)
    assignee = AgentChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        widget=PlainSelect,
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label=_("No group"),
        widget=PlainSelect,
    )

    # The tags as the page showed them (tag_changes).
    tags_shown = forms.CharField(required=False, widget=forms.HiddenInput)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by spaces or commas; “late delivery” is two tags, “late-delivery” one."),
    )

    def __init__(
        self,
        *args: Any,
        agents: Callable[[], Sequence[User]],
        groups: Callable[[], Sequence[SupportGroup]],
        **kwargs: Any,
    ) -> None:
        """``agents`` and ``groups`` read what the selects offer (views._agents and views._groups: statements
        compiled once), only when the selects are drawn (_offer): a closed ticket's page and an accepted
        update never draw them."""
        super().__init__(*args, **kwargs)
        _offer(self.fields["assignee"], selectors.agents(), agents)
        _offer(self.fields["group"], SupportGroup.objects.all(), groups)
        for name in (*PROPERTY_FIELDS, "tags", "tags_shown"):
            # Shown in the sidebar, outside the <form> element, yet sent with it.
            self.fields[name].widget.attrs["form"] = FORM_ID

    def property_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PROPERTY_FIELDS]

    def property_changes(self) -> dict[str, Any]:
        """The ticket fields this submit changes: sent with the form and different from the ticket's.

        A closed ticket's page sends none of them, and a page left open while
        the ticket was closed sends them unchanged: either way only a note is
        written, and anything more is refused by the service (TicketClosed).
        """
        return {
            name: self.cleaned_data[name] for name in PROPERTY_FIELDS if name in self.data and name in self.changed_data
        }

    def tag_changes(self, current: list[str]) -> tuple[list[str], list[str]]:
        """The tags to add and to remove: what the agent changed in the field, against what the page showed.

        Against what it showed (``tags_shown``), not the ticket's ``current`` tags:
        a tag a colleague added meanwhile stays. Nothing when the field was not
        sent (a closed ticket's page has none).
        """
        if "tags" not in self.data:
            return [], []
        wanted = tag_names(self.cleaned_data["tags"])
        shown = tag_names(self.data["tags_shown"]) if "tags_shown" in self.data else current
        return [name for name in wanted if name not in shown], [name for name in shown if name not in wanted]

    @property
    def is_public(self) -> bool:
        return bool(self.cleaned_data.get("visibility") == "public")


# The most tickets one bulk action changes in the request: a page of the list is 25.
BULK_MAX = 100
MERGE_MAX = 25
# Past this, a "ticket number" is no number an id column holds: refused before any query.
REFERENCE_LIMIT = 10**15


class BulkSelectionForm(forms.Form):
    """The tickets ticked in the list (their numbers), at most BULK_MAX; or every ticket of the list (``every``)."""

    tickets = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=(),
        required=False,
        error_messages={"invalid_choice": _("A ticket number was not understood.")},
    )
    # "Select all N matching": the list's own parameters (listing.saved_params), resolved by the view.
    every = forms.BooleanField(required=False, widget=forms.HiddenInput)
    params = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Ticket numbers, checked here against nothing but their form: the service says which exist.
        self.fields["tickets"].choices = [(value, value) for value in self._submitted()]  # type: ignore[attr-defined]

    def _submitted(self) -> list[str]:
        return self.data.getlist("tickets") if isinstance(self.data, QueryDict) else []

    def clean_tickets(self) -> list[int]:
        references: list[int] = self.cleaned_data["tickets"]
        if any(not 0 < reference < REFERENCE_LIMIT for reference in references):
            raise forms.ValidationError(_("A ticket number was not understood."), code="invalid_choice")
        if len(self._submitted()) > BULK_MAX:
            raise forms.ValidationError(
                _("Select at most %(limit)s tickets at a time."), params={"limit": BULK_MAX}, code="too_many"
            )
        return [Ticket.pk_from_reference(reference) for reference in references]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("every") and not cleaned.get("tickets") and "tickets" not in self.errors:
            self.add_error("tickets", forms.ValidationError(_("Tick at least one ticket first."), code="required"))
        return cleaned


class BulkUpdateForm(BulkSelectionForm):
    """What to set on the tickets ticked in the list; every field left blank leaves that field as it is."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_blank([(s.value, s.label) for s in AGENT_SUBMIT_STATUSES], _("Leave as is")),
        widget=PlainSelect,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_with_blank(Priority.choices, _("Leave as is")), widget=PlainSelect
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=_with_blank(TicketType.choices, _("Leave as is")), widget=PlainSelect
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=PlainSelect)
    group = forms.ChoiceField(label=_("Group"), required=False, widget=PlainSelect)
    add_tags = forms.CharField(label=_("Add tags"), required=False, max_length=1000)
    remove_tags = forms.CharField(label=_("Remove tags"), required=False, max_length=1000)

    def __init__(self, *args: Any, agents: list[User], groups: list[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._agents = {str(agent.pk): agent for agent in agents}
        self._groups = {str(group.pk): group for group in groups}
        leave = ("", _("Leave as is"))
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            leave,
            (NOBODY, _("Nobody")),
            *[(key, agent.get_full_name()) for key, agent in self._agents.items()],
        ]
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            leave,
            (NOBODY, _("No group")),
            *[(key, group.name) for key, group in self._groups.items()],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_bound and not self.errors and not (data.get("status") or self.changes().any()):
            raise forms.ValidationError(_("Choose something to change on the selected tickets."), code="nothing")
        return data

    def changes(self) -> PropertyChanges:
        data = self.cleaned_data
        return PropertyChanges(
            priority=data.get("priority") or None,
            ticket_type=data.get("type") or None,
            assignee=self._choice(data.get("assignee", ""), self._agents),
            group=self._choice(data.get("group", ""), self._groups),
            add_tags=tag_names(data.get("add_tags", "")),
            remove_tags=tag_names(data.get("remove_tags", "")),
        )

    @staticmethod
    def _choice(value: str, known: dict[str, Any]) -> Any:
        if not value:
            return UNCHANGED
        return None if value == NOBODY else known[value]


class BulkMacroForm(BulkSelectionForm):
    """A canned reply to apply to the tickets ticked in the list, its text as a public reply or a note."""

    # Its options are fetched when the agent reaches for it (bulk.js): not a query on every list page.
    macro = forms.ModelChoiceField(
        label=_("Canned reply"),
        queryset=Macro.objects.filter(is_active=True),
        empty_label=_("Choose a canned reply…"),
        widget=PlainSelect,
        error_messages={
            "required": _("Choose the canned reply to apply."),
            "invalid_choice": _("This canned reply is no longer offered: choose another."),
        },
    )
    reply_as = forms.ChoiceField(
        label=_("Its text as"),
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        initial="public",
        widget=PlainSelect,
    )

    @property
    def is_public(self) -> bool:
        return bool(self.cleaned_data.get("reply_as") == "public")


class MergeForm(forms.Form):
    """Which ticket to merge into, and whether the requesters are told (a public reply) or not (a note)."""

    into = forms.IntegerField(
        label=_("Merge into ticket number"),
        min_value=1,
        error_messages={"required": _("Enter the number of the ticket to merge into.")},
    )
    tell = forms.ChoiceField(
        label=_("Tell the requesters"),
        choices=[
            ("yes", _("Yes: a public reply on each ticket says so, and is e-mailed")),
            ("no", _("No: an internal note on each ticket says so")),
        ],
        initial="yes",
        widget=forms.RadioSelect,
        required=False,
    )

    def clean_into(self) -> Ticket:
        reference = self.cleaned_data["into"]
        target = Ticket.objects.select_related("requester").filter(pk=Ticket.pk_from_reference(reference)).first()
        if target is None:
            raise forms.ValidationError(_("There is no ticket #%(reference)s."), params={"reference": reference})
        return target

    @property
    def tell_requesters(self) -> bool:
        return self.cleaned_data.get("tell") != "no"


class BulkMergeForm(BulkSelectionForm):
    """The ticket to merge the ticked tickets into (if typed already) and whether to tell: the merge page confirms."""

    into = forms.IntegerField(
        label=_("Merge into ticket number"),
        required=False,
        min_value=1,
        max_value=REFERENCE_LIMIT - 1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
    )
    tell = MergeForm.base_fields["tell"]  # the merge page's own choice (each form gets a copy)

    def clean_tickets(self) -> list[int]:
        tickets = super().clean_tickets()
        # Each ticket merged is a few dozen statements and an e-mail to its requester: a page's worth at most.
        if len(tickets) > MERGE_MAX:
            raise forms.ValidationError(
                _("Merge at most %(limit)s tickets at a time."), params={"limit": MERGE_MAX}, code="too_many"
            )
        return tickets

    def confirmation_params(self) -> dict[str, Any]:
        """The merge page's address parameters: the tickets' numbers, the target's if typed, the choice."""
        params: dict[str, Any] = {
            "tickets": [Ticket(pk=pk).reference for pk in dict.fromkeys(self.cleaned_data["tickets"])],
            "tell": self.cleaned_data.get("tell") or "yes",
        }
        if self.cleaned_data.get("into") is not None:
            params["into"] = self.cleaned_data["into"]
        return params


class TicketOnBehalfForm(forms.Form):
    """A ticket an agent opens for a customer: a call, a visit, a conversation forwarded by hand."""

    email = forms.EmailField(
        label=_("Customer's e-mail address"),
        max_length=254,
        validators=[refuse_help_desk_address],
        help_text=_("An existing customer is suggested as you type; a new address creates the customer."),
    )
    name = forms.CharField(label=_("Customer's name"), max_length=200, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL, Channel.WEB)],
        initial=Channel.PHONE,
        widget=PlainSelect,
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=TicketType.choices, initial=TicketType.QUESTION, widget=PlainSelect
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL, widget=PlainSelect
    )
    language = forms.ChoiceField(label=_("Customer's language"), choices=settings.LANGUAGES, widget=PlainSelect)
    written_by = forms.ChoiceField(
        label=_("The first message is written"),
        choices=[
            ("customer", _("As the customer's words (what they said or wrote)")),
            ("agent", _("As mine (a summary of the call, in my name)")),
        ],
        initial="customer",
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("First message"), max_length=50_000, widget=forms.Textarea(attrs={"rows": 8}))
    attachments = AttachmentsField(label=_("Attach files"))
    confirm = forms.BooleanField(
        label=_("Send the customer the confirmation e-mail, with the link to follow the ticket"),
        required=False,
        initial=True,
    )
    assign_to_me = forms.BooleanField(label=_("Assign the ticket to me"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(people_suggestion_attrs())


class RequesterForm(forms.Form):
    """Who the ticket is for, as an agent corrects it."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254, validators=[refuse_help_desk_address])
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


def people_suggestion_attrs() -> dict[str, str]:
    """An address field that suggests known people as the agent types (a datalist filled by htmx)."""
    return {
        "autocomplete": "off",
        "list": "people-suggestions",
        "hx-get": reverse("agent_people_suggestions"),
        "hx-trigger": "input changed delay:200ms",
        "hx-target": "#people-suggestions",
        "hx-swap": "innerHTML",
    }


class SpamForm(forms.Form):
    block = forms.ChoiceField(
        label=_("Also refuse new tickets from"),
        choices=[
            (BlockScope.NONE.value, _("Nobody: only this ticket is spam")),
            (BlockScope.ADDRESS.value, _("This address")),
            (BlockScope.DOMAIN.value, _("Every address of its domain")),
        ],
        initial=BlockScope.NONE.value,
        required=False,
        widget=forms.RadioSelect,
    )

    def scope(self) -> BlockScope:
        return BlockScope(self.cleaned_data.get("block") or "")


class SavedViewForm(forms.Form):
    """The list as it is, kept under a name, for the agent or shared."""

    name = forms.CharField(label=_("Name of the view"), max_length=80, required=False)
    visibility = forms.ChoiceField(
        label=_("Shown to"), choices=Visibility.choices, initial=Visibility.PERSONAL, widget=PlainSelect, required=False
    )
    group = forms.ChoiceField(label=_("Group"), required=False, widget=PlainSelect)
    params = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    # Editing a view is saving the list over it: its filters, search and sort become the list's.
    replace = forms.ChoiceField(label=_("Save as"), required=False, widget=PlainSelect)

    def __init__(
        self, *args: Any, groups: list[SupportGroup], replaceable: Sequence[SavedView] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._groups = {str(group.pk): group for group in groups}
        self.fields["group"].choices = [("", _("No group")), *[(key, g.name) for key, g in self._groups.items()]]  # type: ignore[attr-defined]
        self._replaceable = {str(view.pk): view for view in replaceable}
        self.fields["replace"].choices = [  # type: ignore[attr-defined]
            ("", _("A new view")),
            *[(key, _("Changes to “%(name)s”") % {"name": view.label}) for key, view in self._replaceable.items()],
        ]

    def clean_replace(self) -> SavedView | None:
        return self._replaceable.get(self.cleaned_data.get("replace") or "")

    def clean_group(self) -> SupportGroup | None:
        return self._groups.get(self.cleaned_data.get("group") or "")

    def clean_visibility(self) -> str:
        # Agents' forms have no such field: their views are their own.
        return str(self.cleaned_data.get("visibility") or Visibility.PERSONAL)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("visibility") == Visibility.GROUP and data.get("group") is None:
            self.add_error("group", _("Choose the group to share the view with."))
        # A view changed keeps its name when none is typed; a new one needs one.
        if not data.get("name") and data.get("replace") is None and "replace" not in self.errors:
            self.add_error("name", forms.ValidationError(_("Give the view a name."), code="required"))
        return data


class PresenceForm(forms.Form):
    composing = forms.BooleanField(required=False)


class CCForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
