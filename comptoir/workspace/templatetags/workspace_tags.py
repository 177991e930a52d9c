"""What every agent page's shell needs without asking the database."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from comptoir.workspace.models import SavedView, Visibility
from comptoir.workspace.selectors import VIEWS, Tally, TicketView
from comptoir.workspace.shell import kept_fragment, kept_include, topbar_html

register = template.Library()


@register.simple_tag
def fixed_views() -> tuple[TicketView, ...]:
    """The fixed views, for the side bar of a page that fetches their counts after it shows."""
    return VIEWS


@register.simple_tag(takes_context=True)
def view_links(context: template.Context, tallied: Sequence[tuple[SavedView, Tally]]) -> SafeString:
    """The side bar's links to ``tallied`` views, each with its count, the one shown marked as the current page.

    Written in one pass, every value escaped: a template included once per view cost the list page as
    much as its rows. The view shown is the saved view the list is (``saved``), or a built-in view at
    its plain address with nothing searched or filtered (``view_key``).
    """
    shown: Any = context.get("saved")
    plain_list = not shown and not context.get("searched") and not context.get("filtered")
    view_key = context.get("view_key")
    list_url = escape(reverse("agent_tickets"))
    shared = (
        f' <span class="shared-mark" title="{escape(gettext("Shared"))}">·</span>'
        f'<span class="visually-hidden">{escape(gettext("(shared)"))}</span>'
    )
    links = []
    for view, count in tallied:
        if view.plain_built_in:
            key = escape(view.key)
            target = f'href="{list_url}?view={key}" data-view="{key}"'
        else:
            target = f'href="{list_url}?saved={view.pk}"'
        current = (shown is not None and getattr(shown, "pk", None) == view.pk) or (
            plain_list and view.plain_built_in and view.key == view_key
        )
        mark = shared if view.visibility != Visibility.PERSONAL and not view.key else ""
        here = ' aria-current="page"' if current else ""
        links.append(
            f"<li><a {target}{here}>"
            f'<span>{escape(view.label)}{mark}</span> <span class="count">{escape(str(count))}</span></a></li>\n'
        )
    # Every value above is escaped.
    return SafeString("".join(links))


@register.simple_tag(takes_context=True)
def workspace_topbar(context: template.Context) -> SafeString:
    """The top bar of every agent page, written once per language, agent and branding (comptoir.workspace.shell)."""
    search = {name: context.get(name) for name in ("searched", "view_key", "search_help")}
    return topbar_html(context["request"], context["user"], context["brand"], context.get("csrf_token"), search)


@register.simple_tag
def shell_include(template_name: str) -> SafeString:
    """``{% include %}`` of a template that reads no variable, written once per language (shell.kept_include)."""
    return kept_include(template_name)


@register.simple_tag(takes_context=True)
def sidebar_tail(context: template.Context, can_edit_articles: bool) -> SafeString:
    """The side bar's e-mail and Help Center sections: written once per language, quarantine count and
    ``can_edit_articles`` (the editor's right, which the template reads: ``user|can_edit_articles``)."""
    quarantined = context.get("quarantined")
    shown = None if quarantined is None else str(quarantined)
    can_edit = bool(can_edit_articles)
    return kept_fragment(
        ("sidebar tail", translation.get_language(), shown, can_edit),
        "workspace/_sidebar_tail.html",
        {"quarantined": shown, "can_edit_articles": can_edit},
    )
