"""django-allauth's forms, where ours must behave differently or speak the product's words.

settings.ACCOUNT_FORMS names each. allauth writes "Email" and "New Password";
the account pages say "E-mail address" and "New password", as the rest of
Comptoir does, in the labels, the placeholders and the error summary alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from allauth.account import forms as allauth_forms
from django import forms
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.addresses import refuse_help_desk_address

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

EMAIL_ADDRESS = _("E-mail address")
INVALID_EMAIL = _("Enter a valid e-mail address, such as name@example.com.")


def product_words(form: forms.Form, labels: Mapping[str, StrOrPromise]) -> None:
    """Relabels the form's fields (and their placeholders), e-mail fields' "invalid" message included."""
    for name, label in labels.items():
        field = form.fields.get(name)
        if field is None:
            continue
        field.label = label
        if "placeholder" in field.widget.attrs:
            field.widget.attrs["placeholder"] = label
        if isinstance(field, forms.EmailField) or name in ("login", "email"):
            field.error_messages["invalid"] = INVALID_EMAIL


class LoginForm(allauth_forms.LoginForm):  # type: ignore[misc]  # allauth ships no type hints
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, {"login": EMAIL_ADDRESS, "remember": _("Remember me")})


class ResetPasswordForm(allauth_forms.ResetPasswordForm):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, {"email": EMAIL_ADDRESS})


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, {"email": EMAIL_ADDRESS})


_NEW_PASSWORD = {"password1": _("New password"), "password2": _("New password (again)")}


class ChangePasswordForm(allauth_forms.ChangePasswordForm):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, {"oldpassword": _("Current password"), **_NEW_PASSWORD})


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, _NEW_PASSWORD)


class SignupForm(allauth_forms.SignupForm):  # type: ignore[misc]  # allauth ships no type hints
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_words(self, {"email": EMAIL_ADDRESS})

    def clean_email(self) -> str:
        # Before allauth looks the address up: ours is refused whether or not an account has it.
        refuse_help_desk_address(self.cleaned_data["email"])
        email: str = super().clean_email()
        return email

    def try_save(self, request: HttpRequest) -> Any:
        if self.account_already_exists:
            # A new account hashes its password, which takes a noticeable time; an address
            # we already know must take as long, or the answer's timing tells it apart.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
