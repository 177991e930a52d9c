"""Inline SVG icons: decorative, drawn in the text's colour, and only the ones that exist."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from comptoir.core.templatetags.icons import PATHS


def render(source: str) -> str:
    return Template("{% load icons %}" + source).render(Context())


def test_an_icon_is_an_svg_hidden_from_screen_readers_in_the_text_colour():
    html = render('{% icon "attachment" 16 %}')
    assert html.startswith('<svg class="icon icon-attachment" width="16" height="16" viewBox="0 0 24 24"')
    assert 'aria-hidden="true" focusable="false"' in html and 'stroke="currentColor"' in html
    assert html.endswith(PATHS["attachment"] + "</svg>")


def test_a_name_that_is_no_icon_fails_loudly_rather_than_drawing_nothing():
    with pytest.raises(KeyError):
        render('{% icon "paperclip-typo" %}')


def test_no_page_draws_the_paper_clip_as_a_font_glyph():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "comptoir" / "templates"
    assert [str(path) for path in templates.rglob("*.html") if "\N{PAPERCLIP}" in path.read_text()] == []
