"""The profile page's forms: the person's preferences, and the confirmation that erases the account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import User, normalize_email


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=User._meta.get_field("name").max_length,
        required=False,
        help_text=_("How the Customer Care team greets you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        required=False,
        help_text=_("Every e-mail we send you is written in this language."),
    )
    notify_by_email = forms.BooleanField(
        label=_("Send me notification e-mails"),
        required=False,
        help_text=_(
            "Answers from the Customer Care team and other news about your tickets. "
            "The confirmation of a new ticket and the e-mail saying it is solved are always sent."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here, not at import, so that the first choice follows the page's language.
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Same as the site")), *settings.LANGUAGES]


class EraseForm(forms.Form):
    """Confirms the erasure with what only the account holder knows: the password, or the address for a guest."""

    confirmation = forms.CharField(strip=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["confirmation"]
        if user.has_usable_password():
            field.label = _("Your current password")
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = _("Your e-mail address")
            field.help_text = _("Your account has no password: type the address you sign in with to confirm.")
            field.widget = forms.EmailInput(attrs={"autocomplete": "off"})

    def clean_confirmation(self) -> str:
        value: str = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise ValidationError(_("This is not your current password."), code="wrong_password")
        elif normalize_email(value) != self.user.email:
            raise ValidationError(_("This is not the address of your account."), code="wrong_address")
        return value
