"""Each field type's validation, and patterns checked safely (anchored, capped, no runaway backtracking)."""

from __future__ import annotations

import datetime

import pytest

from comptoir.ticketforms.forms import FieldsForm
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.validation import pattern_matches, pattern_problem


def field(kind: str, **extra) -> TicketField:
    made = TicketField(key=extra.pop("key", "thing"), kind=kind, label_en="Thing", **extra)
    made.pk = extra.get("pk", 1)
    return made


def clean(definition: TicketField, data: dict) -> tuple[bool, dict]:
    form = FieldsForm(data, ticket_fields=[definition])
    valid = form.is_valid()
    return valid, (form.values() if valid else dict(form.errors))


@pytest.mark.parametrize(
    ("kind", "typed", "kept"),
    [
        (FieldKind.TEXT, "  Firefox 120 ", "Firefox 120"),
        (FieldKind.LONG_TEXT, "line one\nline two", "line one\nline two"),
        (FieldKind.NUMBER, "42", 42),
        (FieldKind.DECIMAL, "12.50", "12.50"),
        (FieldKind.DATE, "2026-03-01", "2026-03-01"),
    ],
)
def test_it_keeps_a_valid_value_as_json(kind, typed, kept):
    valid, values = clean(field(kind), {"field_thing": typed})
    assert valid
    assert list(values.values()) == [kept]


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        (FieldKind.TEXT, "x" * 501),
        (FieldKind.NUMBER, "4.2"),
        (FieldKind.NUMBER, str(2**60)),
        (FieldKind.DECIMAL, "twelve"),
        (FieldKind.DATE, "2026-02-30"),
    ],
)
def test_it_refuses_a_value_of_the_wrong_kind(kind, typed):
    valid, errors = clean(field(kind), {"field_thing": typed})
    assert not valid
    assert "field_thing" in errors


def test_a_drop_down_accepts_only_its_choices():
    definition = field(FieldKind.DROPDOWN, choices=[["web", "Web", "Web"], ["mobile", "Mobile", "Mobile"]])
    assert clean(definition, {"field_thing": "web"}) == (True, {definition: "web"})
    assert clean(definition, {"field_thing": "desktop"})[0] is False


def test_a_multi_select_keeps_a_list_of_its_choices():
    definition = field(FieldKind.MULTI_SELECT, choices=[["a", "A", "A"], ["b", "B", "B"], ["c", "C", "C"]])
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("field_thing", ["a", "c"])
    assert clean(definition, data) == (True, {definition: ["a", "c"]})
    data.setlist("field_thing", ["a", "z"])
    assert clean(definition, data)[0] is False


def test_a_checkbox_is_true_when_ticked_and_no_value_when_not():
    definition = field(FieldKind.CHECKBOX)
    assert clean(definition, {"field_thing": "on"}) == (True, {definition: True})
    assert clean(definition, {}) == (True, {definition: None})


def test_a_required_checkbox_must_be_ticked():
    assert clean(field(FieldKind.CHECKBOX, required=True), {})[0] is False


def test_a_required_field_left_empty_is_refused():
    valid, errors = clean(field(FieldKind.TEXT, required=True), {"field_thing": ""})
    assert not valid
    assert "field_thing" in errors


def test_a_pattern_must_match_the_whole_value():
    definition = field(FieldKind.PATTERN, pattern=r"CMD-\d{6}")
    assert clean(definition, {"field_thing": "CMD-123456"}) == (True, {definition: "CMD-123456"})
    # A match inside the text is not enough: the pattern is anchored at both ends.
    assert clean(definition, {"field_thing": "my CMD-123456"})[0] is False
    assert clean(definition, {"field_thing": "CMD-1234567"})[0] is False


def test_a_pattern_that_backtracks_without_end_is_stopped_and_the_value_refused():
    # No structural check sees it coming: a run of optional repeats. The time limit does.
    pattern = "a*" * 12 + "b"
    assert pattern_problem(pattern) is None
    assert not pattern_matches(pattern, "a" * 60)
    assert pattern_matches(pattern, "aaab")


def test_a_pattern_is_never_run_on_a_long_text():
    assert not pattern_matches(r".*", "x" * 201)
    assert pattern_matches(r".*", "x" * 200)


@pytest.mark.parametrize(
    "pattern", [r"(a+)+$", r"(\d*x)*", r"((ab)+)+", r"(a{2,})+", r"(a|aa)*b", r"(a)\1", "[", "x" * 201, ""]
)
def test_it_refuses_patterns_that_are_invalid_too_long_or_could_backtrack_for_ever(pattern):
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize("pattern", [r"CMD-\d{6}", r"[A-Z]{2}-(\d{3})?", r"(ab|cd)", r"[(+*|)]+x", r"\(\d+\)"])
def test_it_accepts_ordinary_patterns(pattern):
    assert pattern_problem(pattern) is None


def test_a_date_is_stored_as_iso_text():
    definition = field(FieldKind.DATE)
    valid, values = clean(definition, {"field_thing": "2026-12-05"})
    assert valid and values[definition] == datetime.date(2026, 12, 5).isoformat()
