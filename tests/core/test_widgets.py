"""PlainSelect writes the markup Django's Select template writes, escaping included."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from comptoir.core.widgets import PlainSelect
from comptoir.tickets.models import SupportGroup

CHOICES = [
    ("", "Any"),
    ("1", "Camille <script>alert(1)</script>"),
    ('2" onfocus="x', "Dominique & Co"),
    ("Team", [("3", "Élise"), ("4", "O'Brien")]),
]


def ours_and_django_s(attrs: dict[str, object], multiple: bool, choices: list) -> tuple[PlainSelect, forms.Select]:
    """PlainSelect and the Django widget it stands for, with the same attributes and choices."""
    ours = PlainSelect(attrs=attrs)
    ours.allow_multiple_selected = multiple
    theirs = forms.SelectMultiple(attrs=attrs) if multiple else forms.Select(attrs=attrs)
    ours.choices = theirs.choices = choices
    return ours, theirs


@pytest.mark.parametrize("value", ["", "1", "3", ["1", "4"]])
@pytest.mark.parametrize("multiple", [False, True])
def test_it_writes_what_the_django_template_writes(value, multiple):
    ours, theirs = ours_and_django_s({"id": "id_assignee", "class": "compact", "data-x": "<b>"}, multiple, CHOICES)

    written = ours.render("assignee", value)

    # Compared as assertHTMLEqual compares: elements, text and attributes, in any attribute order.
    assert parse_html(written) == parse_html(theirs.render("assignee", value))
    assert "<script>" not in written and "&lt;script&gt;" in written


FLAT = [("", "Nobody"), ("1", "Camille <b>"), ("2", "Dominique & Co"), ("2", "The same value again"), (3, "Élise")]


@pytest.mark.parametrize("value", [None, "", "2", 3, ["1", "3"], ["2"]])
@pytest.mark.parametrize("multiple", [False, True])
def test_flat_choices_are_written_as_the_django_template_writes_them(value, multiple):
    """Written from the choices without Django's widget context: the first option holding the value is chosen,
    or every one when several may be; None is the empty value."""
    attrs = {"id": "id_assignee", "form": "agent-update", "required": True, "disabled": False}
    ours, theirs = ours_and_django_s(attrs, multiple, FLAT)

    written = ours.render("assignee", value)

    assert parse_html(written) == parse_html(theirs.render("assignee", value))
    assert "<b>" not in written and "&lt;b&gt;" in written


def test_a_model_choice_field_s_select_shows_the_chosen_instance(db):
    billing, sales = SupportGroup.objects.create(name="Billing"), SupportGroup.objects.create(name="Sales & co")
    field = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("name"), empty_label="No group")
    ours, theirs = PlainSelect(), forms.Select()
    ours.choices = theirs.choices = list(field.choices)

    value = field.prepare_value(sales)
    written = ours.render("group", value)

    assert parse_html(written) == parse_html(theirs.render("group", value))
    assert f'<option value="{sales.pk}" selected>Sales &amp; co</option>' in written
    assert f'<option value="{billing.pk}">Billing</option>' in written
