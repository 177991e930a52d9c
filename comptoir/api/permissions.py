"""What a caller may do with the API, before any ticket is read; which tickets is comptoir.tickets.access's."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.utils.translation import gettext
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from comptoir.accounts.policy import agent_two_factor_required
from comptoir.api.authentication import request_token
from comptoir.api.problems import ApiProblem
from comptoir.tickets import access


def needs_second_factor_for_token(user: Any) -> bool:
    """An agent's token, while agents must use a second factor and its owner has none set up.

    The web asks for the second factor at sign-in (comptoir.accounts.middleware); a token made
    before the rule, or before its owner became an agent, must not be the way around it.
    """
    if not (getattr(user, "is_agent", False) or getattr(user, "is_staff", False)):
        return False
    if not agent_two_factor_required():
        return False
    return not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class TokenScope(BasePermission):
    """Signed in, and a read-only token only reads."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False  # DRF answers 401: no credentials
        token = request_token(request)
        if token is not None and needs_second_factor_for_token(request.user):
            raise ApiProblem(
                "two-factor-required",
                gettext("Your administrator requires two-factor authentication for agents: set it up first."),
                status_code=status.HTTP_403_FORBIDDEN,
            )
        if token is not None and not token.can_write and request.method not in SAFE_METHODS:
            raise ApiProblem(
                "read-only-token",
                gettext("This token can only read: make a read and write token to change anything."),
                status_code=status.HTTP_403_FORBIDDEN,
            )
        return True


class SeesTickets(TokenScope):
    """Agents see every ticket; a requester sees theirs once the address they opened them with is proven."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if access.is_agent(request._request) or access.has_verified_address(request._request):
            return True
        raise ApiProblem(
            "address-unverified",
            gettext("Confirm your e-mail address first: sign out, then sign in with a code sent to it."),
            status_code=status.HTTP_403_FORBIDDEN,
        )
