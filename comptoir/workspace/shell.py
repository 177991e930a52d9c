"""The parts of every agent page that change with the language, the agent and the branding only: written once.

The top bar (brand, "New ticket", notifications, the agent's menu with three
forms) and the keyboard shortcuts' dialog are some sixty template tags a page:
translated words, reversed addresses, icons. Each is written once per
everything it shows and kept by the process, bounded and emptied when full; a
request fills in what is its own (the CSRF token, its address, the search
box) at slots, random markers no page could hold.

A fragment reads nothing but what its key holds (the template is given those
values alone), so no page can show what another agent or an earlier branding
would have seen.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString

_KEPT: dict[tuple[Any, ...], str] = {}
_KEPT_MAX = 512

# Stand-ins for a request's own values in a kept fragment: unguessable, so that no name or subject shown
# in a fragment can be taken for one.
_CSRF_SLOT = f"csrf-{secrets.token_hex(16)}"
_PATH_SLOT = f"path-{secrets.token_hex(16)}"
_SEARCH_SLOT = f"search-{secrets.token_hex(16)}"


def kept_html(key: tuple[Any, ...], render: Callable[[], str]) -> str:
    """The fragment ``key`` names, rendered by ``render`` the first time this process is asked for it."""
    html = _KEPT.get(key)
    if html is None:
        html = render()
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        _KEPT[key] = html
    return html


@dataclass(frozen=True)
class Who:
    """What the top bar shows of the signed-in agent."""

    email: str
    short_name: str
    full_name: str
    away: bool
    role: str
    is_superuser: bool
    is_staff: bool

    # As the User the template read before: its methods, the values they returned.
    def get_short_name(self) -> str:
        return self.short_name

    def get_full_name(self) -> str:
        return self.full_name


def topbar_html(request: HttpRequest, user: Any, brand: Any, csrf_token: Any, search: dict[str, Any]) -> SafeString:
    """The workspace's top bar (workspace/_topbar.html) for ``user``, with the search box (``search``: its context)."""
    who = Who(
        email=user.email,
        short_name=user.get_short_name(),
        full_name=user.get_full_name(),
        away=bool(user.away),
        role=user.role,
        is_superuser=bool(user.is_superuser),
        is_staff=bool(user.is_staff),
    )
    shown_brand = {"logo_path": brand.logo_path, "name": brand.name}
    language = translation.get_language()
    key = ("topbar", language, who, tuple(shown_brand.items()))
    bar = kept_html(
        key,
        lambda: render_to_string(
            "workspace/_topbar.html",
            {
                "who": who,
                "brand": shown_brand,
                "csrf_token": _CSRF_SLOT,
                "next_path": _PATH_SLOT,
                "search_slot": SafeString(_SEARCH_SLOT),
            },
        ),
    )
    search_key = ("search", language, tuple(sorted(search.items())))
    box = kept_html(search_key, lambda: render_to_string("workspace/_header_search.html", search))
    # The token is letters and digits; the address is escaped as {{ }} escaped it.
    filled = (
        bar.lstrip("\n")
        .replace(_CSRF_SLOT, escape(str(csrf_token)))
        .replace(_PATH_SLOT, escape(request.get_full_path()))
        .replace(_SEARCH_SLOT, box)
    )
    return SafeString(filled)


def kept_include(template_name: str) -> SafeString:
    """A template that reads no variable (its words and addresses only), written once per language."""
    html = kept_html(("include", template_name, translation.get_language()), lambda: render_to_string(template_name))
    return SafeString(html)


def kept_fragment(key: tuple[Any, ...], template_name: str, context: dict[str, Any]) -> SafeString:
    """``template_name`` rendered with ``context``, which ``key`` must say all of, once per key."""
    return SafeString(kept_html(key, lambda: render_to_string(template_name, context)))
