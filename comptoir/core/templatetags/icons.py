"""Inline SVG icons: drawn by the page itself, so none turns into an empty box where a font lacks a glyph."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 24 by 24 outlines, stroked in the text's colour (currentColor), after the common "feather" style.
PATHS: dict[str, str] = {
    "attachment": (
        '<path d="m21 11-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2'
        'l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/>'
    ),
    "bell": '<path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.7 21a2 2 0 0 1-3.4 0"/>',
    "inbox": (
        '<path d="M22 12h-6l-2 3h-4l-2-3H2"/>'
        '<path d="M5.5 5.1 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.5-6.9A2 2 0 0 0 16.8 4H7.2a2 2 0 0 0-1.7 1.1z"/>'
    ),
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="m21 21-4.3-4.3"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
    "views": '<path d="M3 6h18M3 12h18M3 18h12"/>',
    "book": (
        '<path d="M4 19.5A2.5 2.5 0 0 1 6.5 17H20V3H6.5A2.5 2.5 0 0 0 4 5.5z"/>'
        '<path d="M4 19.5A2.5 2.5 0 0 0 6.5 22H20v-5"/>'
    ),
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "chart": '<path d="M3 3v18h18"/><path d="M7 15l4-4 3 3 5-6"/>',
    "keyboard": (
        '<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10"/>'
    ),
}


@register.simple_tag
def icon(name: str, size: int = 18) -> SafeString:
    """The icon ``name``, decorative: the link or button around it carries the words."""
    # Only names from PATHS reach the page: a template typo fails loudly rather than drawing nothing.
    paths = PATHS[name]
    return mark_safe(  # PATHS is this module's constant; size an int
        f'<svg class="icon icon-{name}" width="{int(size)}" height="{int(size)}" viewBox="0 0 24 24" fill="none"'
        ' stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"'
        f' aria-hidden="true" focusable="false">{paths}</svg>'
    )
