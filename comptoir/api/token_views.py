"""The page where a person makes, reads and revokes their API tokens, in the profile (agents and requesters alike).

A new token's secret is shown once, in the answer to the form that made it:
never stored in clear, so never shown again. The answer is not cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.accounts.api_tokens import MAX_LIVE_TOKENS, TooManyTokens, api_token_create, api_token_revoke, tokens_of
from comptoir.accounts.models import ApiToken, User
from comptoir.api.token_forms import ApiTokenForm


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _render(request: HttpRequest, form: ApiTokenForm, *, secret: str = "", status: int = 200) -> HttpResponse:
    user = _person(request)
    context = {"form": form, "tokens": list(tokens_of(user)), "secret": secret, "max_tokens": MAX_LIVE_TOKENS}
    response = render(request, "api/tokens.html", context, status=status)
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    try:
        made = api_token_create(
            owner=_person(request),
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
    except TooManyTokens:
        form.add_error(None, gettext("You have %(count)d live tokens: revoke one first.") % {"count": MAX_LIVE_TOKENS})
        return _render(request, form, status=400)
    return _render(request, ApiTokenForm(), secret=made.secret)


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's token is a 404, the same as a token that does not exist.
    token = get_object_or_404(ApiToken, pk=pk, owner=_person(request))
    if api_token_revoke(token=token):
        messages.success(
            request, gettext("The token “%(name)s” is revoked: it no longer opens anything.") % {"name": token.name}
        )
    return redirect("api_tokens")
