"""Writes on accounts: people coming to exist, the address on record for each, and claiming a guest's account."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction

from comptoir.accounts.models import Organisation, Role, User, normalize_email

logger = logging.getLogger(__name__)


@transaction.atomic
def person_save_new(user: User) -> User:
    """The one way a person comes to exist: the row, and their address on record for sign-in.

    Whoever creates a colleague's account (an admin, ``createsuperuser``) vouches
    for its address; a requester's must be proven. Callers build the unsaved
    row: the user manager, the admin's add form, ``person_get_or_create``.
    """
    user.email = normalize_email(user.email)
    if not user.email:
        raise ValueError("An e-mail address is required.")
    user.save()
    email_address_record(user=user, verified=user.role in (Role.AGENT, Role.ADMIN))
    return user


def person_get_or_create(*, email: str, name: str = "", **fields: Any) -> User:
    """The person with this address, created as a guest (no password) when unknown.

    A name (it may come from an e-mail header, whatever its length) fills a
    blank one. The language is not stored: it stays blank until the person
    chooses one (sign-up, profile), and until then each ticket's e-mails follow
    that ticket.
    """
    address = normalize_email(email)
    name = name.strip()[: User._meta.get_field("name").max_length]
    user = User.objects.filter(email=address).first()
    if user is None:
        guest = User(email=address, name=name, **fields)
        guest.set_unusable_password()
        return person_save_new(guest)
    if name and not user.name:
        user.name = name
        user.save(update_fields=["name"])
    return user


def email_address_record(*, user: User, verified: bool) -> EmailAddress:
    """Make sure the account's address is on record for sign-in; mark it verified only when it was proven.

    Guests who opened a ticket get an unverified record, so that logging in by a
    code sent to that address, or setting a password through a link sent to it,
    proves it and shows their tickets. Staff addresses typed by an administrator
    are trusted.
    """
    address, _created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": verified}
    )
    if verified and not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    return address


def email_address_change(*, user: User, verified: bool) -> EmailAddress:
    """The account's address was changed (in the admin): the old one stops signing in at once."""
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
    return email_address_record(user=user, verified=verified)


def is_guest(user: User) -> bool:
    """No usable password: someone known from their tickets, or who only ever signed in by code.

    Either way, "choose your password" is the e-mail that helps them.
    """
    return not user.has_usable_password()


def address_is_verified(user: User) -> bool:
    """The person proved the address they sign in with; until then no ticket shows."""
    return bool(EmailAddress.objects.filter(user_id=user.pk, email__iexact=user.email, verified=True).exists())


def password_drop_unproven(*, user: User) -> bool:
    """Forget a password chosen before the address was proven by the one who chose it; True if there was one."""
    if not user.has_usable_password():
        return False
    user.set_unusable_password()
    user.save(update_fields=["password"])
    logger.info("user %s: the password chosen before the address was proven no longer works", user.pk)
    return True


def requester_set_organisation(*, requester: User, organisation: Organisation | None, actor: User) -> None:
    """An agent files a requester under an organisation (or none); sharing follows the organisation's setting."""
    if requester.organisation_id == (organisation.pk if organisation else None):
        return
    requester.organisation = organisation
    requester.save(update_fields=["organisation"])
    logger.info(
        "agent %s put user %s into organisation %s", actor.pk, requester.pk, organisation.pk if organisation else "-"
    )


def profile_update(*, user: User, name: str, language: str, notify_by_email: bool) -> None:
    """What a person sets on their profile page: how they are called, and how e-mails reach them.

    The language is one of settings.LANGUAGES, or blank for the site's; the form checks it.
    """
    user.name = name.strip()[: User._meta.get_field("name").max_length]
    user.language = language
    user.notify_by_email = notify_by_email
    user.save(update_fields=["name", "language", "notify_by_email"])
    logger.info("user %s updated their profile", user.pk)
