"""Two-factor authentication, required of every agent when the administrator says so."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from comptoir.accounts.policy import agent_two_factor_required

# What an agent still reaches before turning it on: the pages to set it up, log out, switch language.
OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/")


def is_staff_side(request: HttpRequest) -> bool:
    """Agents, and anyone who reaches the admin."""
    user = request.user
    return bool(user.is_authenticated and (getattr(user, "is_agent", False) or getattr(user, "is_staff", False)))


def needs_second_factor(request: HttpRequest) -> bool:
    """An agent who neither signed in with a second factor nor has one set up."""
    user = request.user
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, user)):
        return False
    # Only reached until the agent signs in again with the second factor: no query on ordinary pages.
    return not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class AgentTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.path.startswith(OPEN_PREFIXES)
            and is_staff_side(request)
            and agent_two_factor_required()
            and needs_second_factor(request)
        ):
            messages.warning(
                request, _("Your administrator requires two-factor authentication for agents: please set it up first.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
