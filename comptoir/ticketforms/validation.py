"""What a field accepts: the Django form field for each kind, patterns checked safely, values as stored and shown.

Pure: no database. A pattern is an administrator's regular expression run on a
customer's text, so both are capped, the pattern must match the whole value,
and the patterns known to backtrack for ever (a repeated group that holds a
repetition or an alternative, a back-reference) are refused when the field is
saved. What no such check can foresee (a*a*a*a*b) is bounded all the same: the
match runs with the ``regex`` engine's time limit, and a value that takes longer
is refused.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import regex
from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.ticketforms.models import FieldKind

if TYPE_CHECKING:
    from comptoir.ticketforms.models import TicketField

PATTERN_MAX_LENGTH = 200
# The longest text a pattern is run on: an order number, a serial, a reference.
PATTERN_VALUE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 500
LONG_TEXT_MAX_LENGTH = 10_000
# The longest a pattern may take on one value before the value is refused, in seconds.
PATTERN_TIME_LIMIT = 0.05
# Numbers a JSON reader keeps exact (2^53).
NUMBER_LIMIT = 9_007_199_254_740_991
DECIMAL_DIGITS, DECIMAL_PLACES = 18, 6
# How a checkbox reads in a condition ("shown when <checkbox> has the value yes").
CHECKED, UNCHECKED = "yes", "no"

JsonValue = str | int | bool | list[str]

_BACK_REFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_REPEATS = "*+{"


def _repeats_a_repetition(pattern: str) -> bool:
    """A group that repeats (``*``, ``+``, ``{n}``) and holds a repetition or an alternative: (a+)+, (a|aa)*, ..."""
    stack: list[bool] = []  # per open group: does it hold a repetition?
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            stack.append(False)
        elif char == ")" and stack:
            held = stack.pop()
            repeated = index + 1 < len(pattern) and pattern[index + 1] in _REPEATS
            if held and repeated:
                return True
            if stack and (held or repeated):
                stack[-1] = True
        elif char in (*_REPEATS, "|") and stack:
            stack[-1] = True
        index += 1
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why an administrator's pattern is refused, or None when it may be used."""
    if not pattern:
        return gettext("Type the pattern the value must match.")
    if len(pattern) > PATTERN_MAX_LENGTH:
        return gettext("The pattern is too long: %(limit)d characters at most.") % {"limit": PATTERN_MAX_LENGTH}
    try:
        re.compile(pattern)
    except re.error as error:
        return gettext("This is not a valid regular expression: %(error)s.") % {"error": error}
    if _repeats_a_repetition(pattern) or _BACK_REFERENCE.search(pattern):
        return gettext(
            "This pattern could take too long to check: avoid repeating a group that repeats itself, "
            "such as (a+)+, and back-references."
        )
    return None


def pattern_matches(pattern: str, value: str) -> bool:
    """The whole value matches (never a part of it); a value longer than the cap never does."""
    if len(value) > PATTERN_VALUE_MAX_LENGTH or pattern_problem(pattern) is not None:
        return False
    try:
        return regex.fullmatch(pattern, value, timeout=PATTERN_TIME_LIMIT) is not None
    except TimeoutError:
        return False


class _PatternValidator:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, value: str) -> None:
        if not pattern_matches(self.pattern, value):
            raise ValidationError(
                _("“%(value)s” does not have the expected form."), code="pattern", params={"value": value}
            )


def form_field(field: TicketField, *, required: bool) -> forms.Field:
    """The Django form field that asks ``field``, with its label and help text in the page's language."""
    common: dict[str, Any] = {"label": field.label, "help_text": field.help_text, "required": required}
    kind = field.kind
    if kind == FieldKind.LONG_TEXT:
        return forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FieldKind.NUMBER:
        return forms.IntegerField(min_value=-NUMBER_LIMIT, max_value=NUMBER_LIMIT, **common)
    if kind == FieldKind.DECIMAL:
        return forms.DecimalField(max_digits=DECIMAL_DIGITS, decimal_places=DECIMAL_PLACES, localize=True, **common)
    if kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldKind.DROPDOWN:
        return forms.ChoiceField(choices=[("", "—"), *field.choice_pairs()], **common)
    if kind == FieldKind.MULTI_SELECT:
        return forms.MultipleChoiceField(choices=field.choice_pairs(), widget=forms.CheckboxSelectMultiple, **common)
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldKind.PATTERN:
        return forms.CharField(
            max_length=PATTERN_VALUE_MAX_LENGTH,
            validators=[_PatternValidator(field.pattern)],
            widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            **common,
        )
    return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)


def stored(field: TicketField, cleaned: object) -> JsonValue | None:
    """A cleaned value as kept in JSON; None for "no value" (empty text, unticked box, nothing chosen)."""
    if cleaned is None or cleaned == "" or cleaned == [] or cleaned is False:
        return None
    if isinstance(cleaned, Decimal):
        return str(cleaned.normalize()) if cleaned == cleaned.to_integral() else str(cleaned)
    if isinstance(cleaned, datetime.date):
        return cleaned.isoformat()
    if isinstance(cleaned, list | tuple):
        return [str(item) for item in cleaned]
    if isinstance(cleaned, bool | int | str):
        return cleaned
    return str(cleaned)


def initial(field: TicketField, value: JsonValue | None) -> object:
    """A stored value as a form's initial value."""
    if value is None:
        return None
    if field.kind == FieldKind.DATE and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if field.kind == FieldKind.DECIMAL and isinstance(value, str):
        return Decimal(value)
    return value


def shown(field: TicketField, value: JsonValue | None) -> str:
    """A stored value as people read it, in the page's language."""
    if value is None:
        return ""
    if field.kind == FieldKind.CHECKBOX:
        return gettext("Yes") if value else gettext("No")
    if field.kind in (FieldKind.DROPDOWN, FieldKind.MULTI_SELECT):
        labels = dict(field.choice_pairs())
        chosen = value if isinstance(value, list) else [str(value)]
        return ", ".join(labels.get(item, item) for item in chosen)
    if field.kind == FieldKind.DATE and isinstance(value, str):
        return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    if field.kind == FieldKind.DECIMAL and isinstance(value, str):
        return formats.number_format(Decimal(value), use_l10n=True)
    return str(value)


def searchable(value: JsonValue) -> str:
    """The value as the one lower-case text that search compares (field:<key>=<value>)."""
    if isinstance(value, bool):
        return CHECKED if value else UNCHECKED
    if isinstance(value, list):
        return " ".join(value).lower()[:500]
    return str(value).lower()[:500]


def raw_answers(field: TicketField, data: Mapping[str, Any], name: str) -> list[str]:
    """What a form's data says of a field before cleaning, as a condition compares it."""
    if field.kind == FieldKind.CHECKBOX:
        return [CHECKED if data.get(name) not in (None, "", "false", "0", "off") else UNCHECKED]
    getlist = getattr(data, "getlist", None)
    raw: Sequence[object] = getlist(name) if getlist is not None else [data.get(name, "")]
    return [str(item).strip() for item in raw if str(item).strip()]


def stored_answers(field: TicketField, value: object) -> list[str]:
    """A stored value (a ticket's, a form's initial one) as a condition compares it, as ``raw_answers`` reads data."""
    if field.kind == FieldKind.CHECKBOX:
        return [CHECKED if value else UNCHECKED]
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


# What an administrator may have typed as a checkbox's condition before it was a choice.
_CHECKED_WORDS = {CHECKED, "true", "1", "on", "checked", "ticked", "oui", "vrai", "coché", "cochée"}
_UNCHECKED_WORDS = {UNCHECKED, "false", "0", "off", "unchecked", "not checked", "non", "faux", "non coché", "décoché"}


def checkbox_condition(typed: str) -> str | None:
    """A checkbox's condition as stored (CHECKED or UNCHECKED) from a value typed in either language, else None."""
    word = " ".join(typed.split()).casefold()
    if word in _CHECKED_WORDS:
        return CHECKED
    if word in _UNCHECKED_WORDS:
        return UNCHECKED
    return None


def condition_met(expected: str, answers: Sequence[str]) -> bool:
    """A condition's value matches one of the answers, whatever the case."""
    wanted = expected.strip().casefold()
    return any(answer.casefold() == wanted for answer in answers)
