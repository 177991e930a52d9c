"""PlainSelect writes the markup Django's Select template writes, escaping included."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from comptoir.core.widgets import PlainSelect

CHOICES = [
    ("", "Any"),
    ("1", "Camille <script>alert(1)</script>"),
    ('2" onfocus="x', "Dominique & Co"),
    ("Team", [("3", "Élise"), ("4", "O'Brien")]),
]


@pytest.mark.parametrize("value", ["", "1", "3", ["1", "4"]])
@pytest.mark.parametrize("multiple", [False, True])
def test_it_writes_what_the_django_template_writes(value, multiple):
    attrs = {"id": "id_assignee", "class": "compact", "data-x": "<b>"}
    if multiple:
        ours, theirs = PlainSelect(attrs={**attrs, "multiple": True}), forms.SelectMultiple(attrs=attrs)
        ours.allow_multiple_selected = True
    else:
        ours, theirs = PlainSelect(attrs=attrs), forms.Select(attrs=attrs)
    ours.choices = theirs.choices = CHOICES

    written = ours.render("assignee", value)

    # Compared as assertHTMLEqual compares: elements, text and attributes, in any attribute order.
    assert parse_html(written) == parse_html(theirs.render("assignee", value))
    assert "<script>" not in written and "&lt;script&gt;" in written
