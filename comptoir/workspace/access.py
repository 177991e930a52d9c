"""Who may open the agent pages (workspace, deflection report, article editor): one decorator shape."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from comptoir.accounts.models import Role, User
from comptoir.tickets import access

View = Callable[..., HttpResponse]


class Refusal(StrEnum):
    """Why a signed-in person is refused a page, raised as ``PermissionDenied(Refusal.X)``.

    The 403 page says it, and what they can do about it (comptoir.workspace.refusal_views).
    """

    AGENTS_ONLY = "agents-only"
    ADMINS_ONLY = "admins-only"
    EDITORS_ONLY = "editors-only"


def allowed_only(
    allowed: Callable[[HttpRequest], bool], refusal: Refusal = Refusal.AGENTS_ONLY
) -> Callable[[View], View]:
    """A view decorator: a visitor is sent to log in, a signed-in person not `allowed` is refused with `refusal`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request):
                # A customer is told the page is the team's, whatever else it needs:
                # an administrator's name means nothing to them.
                raise PermissionDenied(refusal if access.is_agent(request) else Refusal.AGENTS_ONLY)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Agents only: a visitor is sent to log in, anyone else is refused.
agent_required = allowed_only(access.is_agent)


def is_administrator(request: HttpRequest) -> bool:
    """Administrators keep the settings (service levels, rules); agents work within them."""
    return access.is_agent(request) and getattr(request.user, "role", None) == Role.ADMIN


admin_required = allowed_only(is_administrator, Refusal.ADMINS_ONLY)


def current_agent(request: HttpRequest) -> User:
    """The signed-in agent of a view behind agent_required."""
    user = request.user
    assert isinstance(user, User)
    return user
