"""django-allauth's forms, where ours must behave differently."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from comptoir.accounts.addresses import refuse_help_desk_address


class SignupForm(AllauthSignupForm):  # type: ignore[misc]  # allauth ships no type hints
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
