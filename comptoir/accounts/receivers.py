"""Reactions to django-allauth's signals."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_reset
from django.dispatch import receiver

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_verified_by_link


@receiver(password_reset)
def _password_reset(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    # The reset link was mailed to the account's address and followed: that proves the address,
    # which is how a guest who opened tickets becomes an account holder who sees them.
    email_address_verified_by_link(user=user)
