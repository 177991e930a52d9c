"""The 403 page (urls.handler403): why the page was refused, and what the person can do about it.

An agent refused the settings or the article editor is told which role the
page needs and who gives it, by name; a customer on a team page is sent to
their own tickets. A refusal without a reason (a customer whose address is not
verified yet, say) keeps the general words.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from comptoir.accounts.models import Role, User
from comptoir.workspace.access import Refusal

# The administrators named on the page: enough to find one, not a directory.
ADMINISTRATORS_SHOWN = 3


def refusal_of(exception: Exception | None) -> Refusal | None:
    """The reason a view gave with ``PermissionDenied(Refusal.X)``, or None."""
    if isinstance(exception, PermissionDenied) and exception.args:
        try:
            return Refusal(exception.args[0])
        except ValueError:
            return None
    return None


def administrators_to_ask() -> list[User]:
    """Who gives roles and changes settings: the active administrators, by name."""
    administrators = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("name", "email")
    return list(administrators.only("name", "email")[:ADMINISTRATORS_SHOWN])


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    refusal = refusal_of(exception)
    context = {
        "refusal": refusal.value if refusal else "",
        # Only colleagues are given names: a customer is not told who runs the help desk.
        "administrators": administrators_to_ask() if refusal in (Refusal.ADMINS_ONLY, Refusal.EDITORS_ONLY) else [],
    }
    return render(request, "403.html", context, status=403)
