"""The requester's profile: name and e-mail preferences, a copy of their data, erasing the account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.accounts.models import User
from comptoir.accounts.services import profile_update
from comptoir.core.ratelimit import hit
from comptoir.core.views import too_many_requests
from comptoir.portal.erasure import account_erase, can_erase_self
from comptoir.portal.export import requester_data_export
from comptoir.portal.forms import EraseForm, ProfileForm
from comptoir.tickets.access import has_verified_address

# Building a zip of every file is costly, and the erase form checks a password.
EXPORTS_PER_WINDOW = 10
ERASE_ATTEMPTS_PER_WINDOW = 10


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _render(
    request: HttpRequest, *, form: ProfileForm, erase_form: EraseForm | None = None, status: int = 200
) -> HttpResponse:
    user = _person(request)
    verified = has_verified_address(request)
    erasable = can_erase_self(user)
    context = {
        "form": form,
        "verified": verified,
        "erasable": erasable,
        "erase_form": erase_form or (EraseForm(user=user) if erasable and verified else None),
    }
    return render(request, "portal/profile.html", context, status=status)


def _initial(user: User) -> dict[str, object]:
    return {"name": user.name, "language": user.language, "notify_by_email": user.notify_by_email}


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if not form.is_valid():
            return _render(request, form=form, status=400)
        data = form.cleaned_data
        profile_update(user=user, name=data["name"], language=data["language"], notify_by_email=data["notify_by_email"])
        flash.success(request, _("Your profile is saved."))
        return redirect("profile")
    return _render(request, form=ProfileForm(initial=_initial(user)))


@require_POST
@login_required
def profile_export(request: HttpRequest) -> HttpResponseBase:
    user = _person(request)
    if not has_verified_address(request):
        # Tickets belong to whoever proved the address they were opened with.
        raise PermissionDenied
    if not hit("profile-export", str(user.pk), limit=EXPORTS_PER_WINDOW, window_seconds=_window()):
        return too_many_requests(request)
    archive = requester_data_export(user=user)
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=f"comptoir-data-{timezone.localdate():%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def profile_erase(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    if not can_erase_self(user) or not has_verified_address(request):
        # Colleagues' accounts are closed by an administrator, in the admin.
        raise PermissionDenied
    if not hit("profile-erase", str(user.pk), limit=ERASE_ATTEMPTS_PER_WINDOW, window_seconds=_window()):
        return too_many_requests(request)
    erase_form = EraseForm(request.POST, user=user)
    if not erase_form.is_valid():
        return _render(request, form=ProfileForm(initial=_initial(user)), erase_form=erase_form, status=400)
    account_erase(user=user)
    logout(request)
    flash.success(request, _("Your account is closed and your personal data erased. Goodbye."))
    return redirect("home")


def _window() -> int:
    return int(settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS)
