"""The ticket page's offer to a guest: "follow all your tickets in one place"."""

from __future__ import annotations

from allauth.account.adapter import get_adapter

from comptoir.accounts.models import User
from comptoir.core.ratelimit import hit

ACCOUNT_OFFER_INTERVAL_SECONDS = 10 * 60


def account_offer_send(*, requester: User) -> bool:
    """Mail the requester how to get an account; False when one went out in the last ten minutes.

    The limit is kept on the server per requester, so clearing cookies and
    following the link again floods no inbox. A guest gets a link to choose a
    password; an address that already has a password gets the usual "you
    already have an account" e-mail. Either way one e-mail leaves, so the page
    and its timing say nothing about the account.
    """
    if not hit("account-offer", str(requester.pk), limit=1, window_seconds=ACCOUNT_OFFER_INTERVAL_SECONDS):
        return False
    get_adapter().send_account_already_exists_mail(requester.email)
    return True
