"""Addresses nobody may take as their own: the help desk's.

Mail to them comes back to Comptoir, where a message from one of them is
dropped as a loop or a forgery. An account or a ticket with such an address
would speak for the help desk itself, so the sign-up form, the ticket form and
the admin refuse them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comptoir.mail.addressing import is_own_address
from comptoir.mail.models import Mailbox


def is_help_desk_address(email: str) -> bool:
    """The support address, any of its reply addresses, an alias that delivers to us, or an IMAP mailbox's login."""
    address = email.strip()
    if not address:
        return False
    if is_own_address(address):
        return True
    # An IMAP login is very often the mailbox's address (docs/imap.md).
    return "@" in address and Mailbox.objects.filter(username__iexact=address).exists()


def refuse_help_desk_address(email: str) -> None:
    """A form field validator, in the words of a person typing their own address."""
    if is_help_desk_address(email):
        raise ValidationError(
            _("This is one of our own support addresses: please enter your own e-mail address."),
            code="help_desk_address",
        )
