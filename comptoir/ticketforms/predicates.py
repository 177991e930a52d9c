"""Conditions on a ticket's field values: shared by business rules (comptoir.rules) and service levels (comptoir.sla).

A condition names a field as ``field:<key>`` and compares its value with an
operator that fits the field's kind (``OPERATORS``): text is, is not, contains;
numbers, decimals and dates equal, differ, are less or greater; a drop-down is
one value or one of several; a multiple choice includes or excludes a choice; a
checkbox is ticked or not; and every kind but the checkbox is empty or set.

Three things, for one meaning: ``condition_problem`` (what an admin may save:
the operator fits, the value is one the field would accept), ``holds`` (pure,
on the ticket's stored value, for triggers and policies) and ``tickets_where``
(the same as a filter on tickets, for automations, which select their tickets in
the database). A ticket without a value "is not" anything and is less or greater
than nothing; an unticked box is not checked (it stores no value).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.db.models import Case, Exists, FloatField, OuterRef, Q, When
from django.db.models.functions import Cast
from django.utils.translation import gettext

from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.ticketforms.selectors import values_by_ticket
from comptoir.ticketforms.validation import JsonValue

PREFIX = "field:"


class FieldOp(enum.StrEnum):
    IS = "is"
    IS_NOT = "is_not"
    IN = "in"
    CONTAINS = "contains"
    LESS_THAN = "less_than"
    GREATER_THAN = "greater_than"
    INCLUDES = "includes"
    EXCLUDES = "excludes"
    CHECKED = "checked"
    NOT_CHECKED = "not_checked"
    IS_EMPTY = "is_empty"
    IS_SET = "is_set"


_EMPTINESS = (FieldOp.IS_EMPTY, FieldOp.IS_SET)
_TEXT = (FieldOp.IS, FieldOp.IS_NOT, FieldOp.CONTAINS, *_EMPTINESS)
_ORDERED = (FieldOp.IS, FieldOp.IS_NOT, FieldOp.LESS_THAN, FieldOp.GREATER_THAN, *_EMPTINESS)
OPERATORS: Mapping[str, tuple[FieldOp, ...]] = {
    FieldKind.TEXT: _TEXT,
    FieldKind.LONG_TEXT: _TEXT,
    FieldKind.PATTERN: _TEXT,
    FieldKind.NUMBER: _ORDERED,
    FieldKind.DECIMAL: _ORDERED,
    FieldKind.DATE: _ORDERED,
    FieldKind.DROPDOWN: (FieldOp.IS, FieldOp.IS_NOT, FieldOp.IN, *_EMPTINESS),
    FieldKind.MULTI_SELECT: (FieldOp.INCLUDES, FieldOp.EXCLUDES, *_EMPTINESS),
    FieldKind.CHECKBOX: (FieldOp.CHECKED, FieldOp.NOT_CHECKED),
}
ALL_OPERATORS = frozenset(op for ops in OPERATORS.values() for op in ops)
NO_VALUE = frozenset({FieldOp.IS_EMPTY, FieldOp.IS_SET, FieldOp.CHECKED, FieldOp.NOT_CHECKED})
_NUMERIC = (FieldKind.NUMBER, FieldKind.DECIMAL)


def key_of(name: Any) -> str | None:
    """``"field:order_number"`` → ``"order_number"``; None for anything else (a ticket's own property)."""
    if isinstance(name, str) and name.startswith(PREFIX):
        return name[len(PREFIX) :]
    return None


def operator_label(operator: str) -> str:
    """The operator as the settings pages say it, in the reader's language."""
    labels = {
        FieldOp.IS: gettext("is"),
        FieldOp.IS_NOT: gettext("is not"),
        FieldOp.IN: gettext("is one of"),
        FieldOp.CONTAINS: gettext("contains"),
        FieldOp.LESS_THAN: gettext("is less than"),
        FieldOp.GREATER_THAN: gettext("is greater than"),
        FieldOp.INCLUDES: gettext("includes"),
        FieldOp.EXCLUDES: gettext("excludes"),
        FieldOp.CHECKED: gettext("is checked"),
        FieldOp.NOT_CHECKED: gettext("is not checked"),
        FieldOp.IS_EMPTY: gettext("is empty"),
        FieldOp.IS_SET: gettext("is set"),
    }
    return str(labels.get(operator, operator))  # type: ignore[call-overload]


@dataclass(frozen=True)
class FieldFact:
    """A field a condition reads on one ticket: its kind, and the ticket's value (None: none)."""

    kind: str
    value: JsonValue | None = None


class FieldLike(Protocol):
    key: str
    kind: str
    choices: Any
    pattern: str

    @property
    def label(self) -> str: ...


# --- What an admin may save ----------------------------------------------------------------------


def condition_problem(field: FieldLike, operator: str, value: Any) -> tuple[str, Any]:
    """Why a condition on ``field`` cannot be saved ("" when it can), and its value as kept.

    The message names the field by its label in the reader's language.
    """
    ops = OPERATORS.get(field.kind, ())
    if operator not in ops:
        return (
            gettext("the comparison “%(operator)s” does not apply to the field “%(field)s” (%(allowed)s).")
            % {
                "operator": operator_label(operator),
                "field": field.label,
                "allowed": ", ".join(operator_label(op) for op in ops),
            },
            value,
        )
    if operator in NO_VALUE:
        if value in (None, "", []):
            return "", None
        return gettext("“%(operator)s” takes no value.") % {"operator": operator_label(operator)}, value
    if operator == FieldOp.IN:
        if not isinstance(value, list) or not value:
            return gettext("“is one of” takes a list of at least one value."), value
        kept = []
        for item in value:
            problem, one = _one_value(field, item, part=False)
            if problem:
                return problem, value
            kept.append(one)
        return "", kept
    return _one_value(field, value, part=operator == FieldOp.CONTAINS)


def value_problem(field: FieldLike, value: Any) -> tuple[str, JsonValue | None]:
    """Why ``value`` cannot be set on ``field`` by a rule ("" when it can), and the value as stored.

    None clears the field; a checkbox takes true or false (false clears it, as an unticked box); a
    multiple choice takes a list of its choices.
    """
    if value is None or value == "" or value == []:
        return "", None
    if field.kind == FieldKind.CHECKBOX:
        if not isinstance(value, bool):
            return _refused(field, value), None
        return "", True if value else None
    if field.kind == FieldKind.MULTI_SELECT:
        items = value if isinstance(value, list) else [value]
        kept: list[str] = []
        for item in items:
            problem, one = _one_value(field, item, part=False)
            if problem:
                return problem, None
            kept.append(str(one))
        return "", list(dict.fromkeys(kept))
    problem, one = _one_value(field, value, part=False)
    return problem, None if problem else one


def _refused(field: FieldLike, value: Any) -> str:
    return gettext("the field “%(field)s” does not accept “%(value)s”.") % {"field": field.label, "value": value}


def _one_value(field: FieldLike, value: Any, *, part: bool) -> tuple[str, JsonValue]:
    """One value compared with (or set on) ``field``, as the field stores it; ``part``: a part of a text."""
    kind = field.kind
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return _refused(field, value), ""
    if kind == FieldKind.NUMBER:
        try:
            number = int(str(value).strip())
        except ValueError:
            return _refused(field, value) + " " + gettext("Type a whole number."), ""
        if abs(number) > validation.NUMBER_LIMIT:
            return _refused(field, value), ""
        return "", number
    if kind == FieldKind.DECIMAL:
        decimal = _decimal(value)
        if decimal is None:
            return _refused(field, value) + " " + gettext("Type a number, such as 12.5."), ""
        digits = decimal.as_tuple()
        places = -int(digits.exponent) if isinstance(digits.exponent, int) and digits.exponent < 0 else 0
        if places > validation.DECIMAL_PLACES or len(digits.digits) > validation.DECIMAL_DIGITS:
            return _refused(field, value), ""
        stored = validation.stored(field, decimal)  # type: ignore[arg-type]
        return "", stored if isinstance(stored, str) else str(decimal)
    if kind == FieldKind.DATE:
        try:
            return "", datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            return _refused(field, value) + " " + gettext("Type a date as 2026-01-31."), ""
    text = str(value).strip()
    if kind in (FieldKind.DROPDOWN, FieldKind.MULTI_SELECT):
        choices = [str(row[0]) for row in field.choices or []]
        found = next((choice for choice in choices if choice.casefold() == text.casefold()), None)
        if found is None:
            return (
                gettext("“%(value)s” is not a choice of the field “%(field)s” (%(choices)s).")
                % {"value": text, "field": field.label, "choices": ", ".join(choices)},
                "",
            )
        return "", found
    longest = validation.LONG_TEXT_MAX_LENGTH if kind == FieldKind.LONG_TEXT else validation.TEXT_MAX_LENGTH
    if kind == FieldKind.PATTERN:
        longest = validation.PATTERN_VALUE_MAX_LENGTH
    if not text or len(text) > longest:
        return _refused(field, value), ""
    if kind == FieldKind.PATTERN and not part and not validation.pattern_matches(field.pattern, text):
        return _refused(field, value) + " " + gettext("It does not have the field's expected form."), ""
    return "", text


def _decimal(value: Any) -> Decimal | None:
    try:
        decimal = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return decimal if decimal.is_finite() else None


# --- Whether it holds: on the stored value, and as a filter ----------------------------------------


def _ordered(kind: str, value: Any) -> Decimal | datetime.date | None:
    if kind == FieldKind.DATE:
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            return None
    return _decimal(value)


def holds(kind: str, operator: str, expected: Any, actual: JsonValue | None) -> bool:
    """Whether a condition holds for a ticket whose value is ``actual`` (None: no value). Pure."""
    if operator == FieldOp.IS_EMPTY:
        return actual is None
    if operator == FieldOp.IS_SET:
        return actual is not None
    if operator in (FieldOp.CHECKED, FieldOp.NOT_CHECKED):
        return (actual is True) is (operator == FieldOp.CHECKED)
    if kind == FieldKind.MULTI_SELECT:
        chosen = {str(item).casefold() for item in actual} if isinstance(actual, list) else set()
        inside = str(expected).casefold() in chosen
        return inside if operator == FieldOp.INCLUDES else not inside
    if actual is None:
        return operator == FieldOp.IS_NOT
    if kind in (*_NUMERIC, FieldKind.DATE):
        have, want = _ordered(kind, actual), _ordered(kind, expected)
        if have is None or want is None:
            return operator == FieldOp.IS_NOT
        comparisons = {
            FieldOp.IS: have == want,
            FieldOp.IS_NOT: have != want,
            FieldOp.LESS_THAN: have < want,  # type: ignore[operator]
            FieldOp.GREATER_THAN: have > want,  # type: ignore[operator]
        }
        return comparisons.get(FieldOp(operator), False)
    have_text = str(actual).casefold()
    if operator == FieldOp.CONTAINS:
        return str(expected).casefold() in have_text
    if operator == FieldOp.IN:
        return have_text in {str(item).casefold() for item in expected or []}
    same = have_text == str(expected).casefold()
    return same if operator == FieldOp.IS else not same


def tickets_where(field_id: int | None, kind: str, operator: str, expected: Any) -> Q:
    """``holds`` as a filter on tickets (comptoir.tickets.models.Ticket), for a field that exists.

    Exact for every kind, but for a long text (its search text keeps its first 500 characters), which
    is then a wider filter: the caller checks each ticket with ``holds`` as well. ``field_id`` None
    (the field was deleted): no ticket.
    """
    if field_id is None:
        return Q(pk__in=[])
    rows = FieldValue.objects.filter(ticket_id=OuterRef("pk"), field_id=field_id)

    def having(condition: Q | None = None) -> Q:
        return Q(Exists(rows.filter(condition) if condition is not None else rows))

    if operator in (FieldOp.IS_EMPTY, FieldOp.IS_SET):
        return having() if operator == FieldOp.IS_SET else ~having()
    if operator in (FieldOp.CHECKED, FieldOp.NOT_CHECKED):
        checked = having(Q(text=validation.CHECKED))
        return checked if operator == FieldOp.CHECKED else ~checked
    if kind == FieldKind.MULTI_SELECT:
        # The search text holds the choices, space separated (choice values hold no space: admin_forms).
        word = str(expected).lower()
        holding = having(
            Q(text=word) | Q(text__startswith=f"{word} ") | Q(text__endswith=f" {word}") | Q(text__contains=f" {word} ")
        )
        return holding if operator == FieldOp.INCLUDES else ~holding
    if kind in _NUMERIC:
        # The search text of a number is the number; read as one only on this field's rows, so that
        # PostgreSQL never casts another field's text.
        number = Case(When(field_id=field_id, then=Cast("text", FloatField())), output_field=FloatField())
        rows = rows.annotate(number=number)
        lookups = {FieldOp.IS: "exact", FieldOp.IS_NOT: "exact", FieldOp.LESS_THAN: "lt", FieldOp.GREATER_THAN: "gt"}
        found = having(Q(**{f"number__{lookups[FieldOp(operator)]}": float(str(expected))}))
        return ~found if operator == FieldOp.IS_NOT else found
    if kind == FieldKind.DATE:
        # ISO dates (YYYY-MM-DD) sort as text.
        lookups = {FieldOp.IS: "exact", FieldOp.IS_NOT: "exact", FieldOp.LESS_THAN: "lt", FieldOp.GREATER_THAN: "gt"}
        found = having(Q(**{f"text__{lookups[FieldOp(operator)]}": str(expected)}))
        return ~found if operator == FieldOp.IS_NOT else found
    long_text = kind == FieldKind.LONG_TEXT
    if operator == FieldOp.CONTAINS:
        return Q() if long_text else having(Q(text__contains=str(expected).lower()))
    if operator == FieldOp.IN:
        return having(Q(text__in=[str(item).lower()[:500] for item in expected]))
    wanted = str(expected).lower()
    if long_text and len(wanted) > 500:
        # Only the first 500 characters are searchable: the filter is wider, ``holds`` decides.
        return having(Q(text=wanted[:500])) if operator == FieldOp.IS else Q()
    same = having(Q(text=wanted))
    return same if operator == FieldOp.IS else ~same


# --- Reading what conditions ask ------------------------------------------------------------------


def keys_named(conditions: Iterable[Mapping[str, Any]]) -> set[str]:
    """The field keys named by conditions (``{"field": "field:<key>", ...}``)."""
    return {key for data in conditions if isinstance(data, Mapping) and (key := key_of(data.get("field")))}


def fields_by_key(keys: Collection[str]) -> dict[str, TicketField]:
    """The fields that exist among ``keys``: one query, none without keys."""
    if not keys:
        return {}
    return {field.key: field for field in TicketField.objects.filter(key__in=keys)}


def facts_for(ticket_ids: Collection[int], keys: Collection[str]) -> dict[int, dict[str, FieldFact]]:
    """Each ticket's facts for the fields ``keys`` names that exist (a deleted one is absent): two queries.

    None when no key is asked: nothing is read.
    """
    fields = fields_by_key(keys)
    facts: dict[int, dict[str, FieldFact]] = {
        ticket_id: {key: FieldFact(field.kind) for key, field in fields.items()} for ticket_id in ticket_ids
    }
    if not fields or not ticket_ids:
        return facts
    keys_by_id = {field.pk: key for key, field in fields.items()}
    for ticket_id, held in values_by_ticket(ticket_ids, keys_by_id).items():
        for field_id, value in held.items():
            key = keys_by_id[field_id]
            facts[ticket_id][key] = FieldFact(fields[key].kind, value)
    return facts


def conditions_problems(conditions: Any) -> list[str]:
    """Why a list of conditions on ticket fields (a service-level policy's) cannot be saved; empty when it can.

    One query. The values accepted are kept as the fields store them, in place (``condition_problem``).
    """
    if not isinstance(conditions, list):
        return [gettext("The conditions on ticket fields must be a list.")]
    fields = fields_by_key(keys_named(conditions))
    problems = []
    for number, data in enumerate(conditions, start=1):
        key = key_of(data.get("field")) if isinstance(data, dict) else None
        found = fields.get(key) if key else None
        if key is None:
            problem = gettext("name a ticket field as field:<key>.")
        elif found is None:
            problem = gettext("no ticket field has the key “%(key)s”.") % {"key": key}
        else:
            problem, kept = condition_problem(found, str(data.get("operator", "")), data.get("value"))
            if not problem:
                data["value"] = kept
        if problem:
            problems.append(gettext("Field condition %(number)s: %(problem)s") % {"number": number, "problem": problem})
    return problems
