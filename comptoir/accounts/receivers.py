"""Reactions to django-allauth's signals."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, password_reset
from django.contrib import messages as flash
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from comptoir.accounts.adapter import CONFIRMED_IN_SESSION
from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record, password_drop_unproven

PASSWORD_DROPPED = "_comptoir_password_dropped"  # noqa: S105  # a request attribute, not a password


@receiver(password_reset)
def _password_reset(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    # The reset link was mailed to the account's address and followed: that proves the address,
    # which is how a guest who opened tickets becomes an account holder who sees them.
    email_address_record(user=user, verified=True)


@receiver(email_confirmed)
def _email_confirmed(sender: Any, request: HttpRequest, email_address: EmailAddress, **kwargs: Any) -> None:
    """An address proven some other way (a sign-in code) says nothing of a password chosen before.

    Someone may sign up with another person's address and wait: tickets opened
    with it gather under that account, and the day the owner signs in by code
    the address becomes verified. The squatter's password must not open it then.
    """
    if getattr(request, CONFIRMED_IN_SESSION, False):
        return
    if password_drop_unproven(user=email_address.user):
        setattr(request, PASSWORD_DROPPED, email_address.user_id)
        flash.warning(
            request,
            _(
                "Your address is confirmed. A password had been chosen for this account before the address "
                "was proven, so it no longer works: choose a new one under Your account."
            ),
        )


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    # The sign-in that follows carries the password hash of before: keep the new session valid.
    if request is not None and getattr(request, PASSWORD_DROPPED, None) == user.pk:
        user.refresh_from_db(fields=["password"])
        update_session_auth_hash(request, user)
