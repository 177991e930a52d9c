"""What a rule looks at on a ticket, and whether it matches: pure, no database.

A condition is ``{"field": ..., "operator": ..., "value": ...}`` (a rule keeps a
JSON list of them). It reads ``TicketFacts``, built once per event from what the
event already loaded (comptoir.rules.engine), so that a hundred rules cost no more
queries than one. ``evaluate`` answers "did it match" and, when it did not, the
first condition that failed: the admin's "why did rule X not fire on #1042?".

Words ("subject contains facture") match whole words, whatever the case and the
accents: "facture", "Facturé" and "FACTURE" are one word, "facturer" is another.
A value of several words matches when any of them is there; "bon de commande"
in double quotes is one phrase, its words in that order.

Time conditions (automations only: comptoir.rules.automations) count hours from
a time the facts carry: ``hours_in_status`` "at_least" 72 holds from three days
after the ticket entered its status; ``hours_until_sla_due`` "less_than" 2 holds
from two hours before the service level is due (and after it, once late).

A ticket field's value ("field:<key>", comptoir.ticketforms.predicates: the
operators of its kind) is compared as the field keeps it; the facts carry the
values of the fields the rules name only (comptoir.rules.asked), and a field
deleted since the rule was saved holds for no ticket (``fields_gone``).

"Business hours" is within or outside the hours the team of the ticket's group
works (comptoir.sla.team_hours; no group or no hours: always within), when the
event comes or the automation runs; "assignee's availability" is away or
available (``User.away``; neither without an assignee). The facts carry them
only when a rule asks (comptoir.rules.asked).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from comptoir.ticketforms import predicates
from comptoir.ticketforms.predicates import FieldFact
from comptoir.tickets.models import Channel, Priority, Status, TicketType
from comptoir.tickets.tags import tag_names


class SlaState(enum.StrEnum):
    # No service-level clock counts (none applies, or all are met, stopped or paused).
    NONE = "none"
    COUNTING = "counting"
    # The earliest clock still counting is past its due time.
    BREACHED = "breached"


class BusinessHours(enum.StrEnum):
    """When the event comes (or the automation runs), for the team of the ticket's group (comptoir.sla.team_hours)."""

    WITHIN = "within"
    OUTSIDE = "outside"


class Availability(enum.StrEnum):
    """Whether the ticket's assignee is away (``User.away``): none for a ticket without an assignee."""

    AWAY = "away"
    AVAILABLE = "available"


# The facts read from more of the database, only for the rules that ask (comptoir.rules.asked).
ASKED_FIELDS = frozenset({"business_hours", "assignee_availability"})


class Op(enum.StrEnum):
    IS = "is"
    IS_NOT = "is_not"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    IS_EMPTY = "is_empty"
    IS_SET = "is_set"
    # Time conditions: hours, at least or less than.
    AT_LEAST = "at_least"
    LESS_THAN = "less_than"


class ValueKind(enum.Enum):
    CHOICE = "choice"  # one of fixed values (status, priority...)
    REFERENCE = "reference"  # an id, or nobody (group, assignee, organisation)
    ADDRESS = "address"  # an e-mail address, any case
    TAGS = "tags"
    WORDS = "words"
    HOURS = "hours"  # hours since (or until) a time of the ticket: automations only


_CHOICE_OPS = frozenset({Op.IS, Op.IS_NOT, Op.IN, Op.NOT_IN})
_OPERATORS: Mapping[ValueKind, frozenset[Op]] = {
    ValueKind.CHOICE: _CHOICE_OPS,
    ValueKind.REFERENCE: _CHOICE_OPS | {Op.IS_EMPTY, Op.IS_SET},
    ValueKind.ADDRESS: _CHOICE_OPS,
    ValueKind.TAGS: frozenset({Op.CONTAINS, Op.NOT_CONTAINS, Op.IS_EMPTY, Op.IS_SET}),
    ValueKind.WORDS: frozenset({Op.CONTAINS, Op.NOT_CONTAINS}),
    ValueKind.HOURS: frozenset({Op.AT_LEAST, Op.LESS_THAN}),
}

# time field -> (the fact it counts from, whether it counts hours *until* that time rather than since)
TIME_FIELDS: Mapping[str, tuple[str, bool]] = {
    "hours_since_created": ("created_at", False),
    "hours_in_status": ("status_since", False),
    "hours_since_requester_message": ("requester_message_at", False),
    "hours_since_agent_message": ("agent_message_at", False),
    "hours_since_sla_due": ("sla_due_at", False),
    "hours_until_sla_due": ("sla_due_at", True),
}
# Longest a time condition may count: five years.
HOURS_MAX = 5 * 366 * 24


def _languages() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


# field -> (what its value is, the values it may take for choices)
FIELDS: Mapping[str, tuple[ValueKind, Any]] = {
    "status": (ValueKind.CHOICE, lambda: frozenset(Status.values)),
    "priority": (ValueKind.CHOICE, lambda: frozenset(Priority.values)),
    "type": (ValueKind.CHOICE, lambda: frozenset(TicketType.values)),
    "channel": (ValueKind.CHOICE, lambda: frozenset(Channel.values)),
    "language": (ValueKind.CHOICE, _languages),
    "sla": (ValueKind.CHOICE, lambda: frozenset(SlaState)),
    "business_hours": (ValueKind.CHOICE, lambda: frozenset(BusinessHours)),
    "assignee_availability": (ValueKind.CHOICE, lambda: frozenset(Availability)),
    "group": (ValueKind.REFERENCE, None),
    "assignee": (ValueKind.REFERENCE, None),
    "organisation": (ValueKind.REFERENCE, None),
    "requester": (ValueKind.ADDRESS, None),
    "tags": (ValueKind.TAGS, None),
    "subject": (ValueKind.WORDS, None),
    "body": (ValueKind.WORDS, None),
    **{field: (ValueKind.HOURS, None) for field in TIME_FIELDS},
}


def fold(text: str) -> str:
    """``text`` as its words, folded (no case, no accents), one space apart and around: " facture impayee "."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " " + " ".join(re.findall(r"\w+", bare)) + " "


_TERMS = re.compile(r'"([^"]*)"|(\S+)')


def terms(typed: str) -> list[str]:
    """The words and "quoted phrases" of a condition's value, each folded as ``fold`` does (" bon de commande ")."""
    found = (phrase or word for phrase, word in _TERMS.findall(typed))
    return [folded for folded in map(fold, found) if folded.strip()]


@dataclass(frozen=True)
class TicketFacts:
    """What conditions read on a ticket, at the time of the event (comptoir.rules.engine builds it)."""

    ticket_id: int
    status: str
    priority: str
    type: str
    channel: str
    language: str
    group_id: int | None
    assignee_id: int | None
    requester: str  # the address, lowercased
    organisation_id: int | None
    tags: frozenset[str]
    subject: str  # folded (``fold``)
    body: str  # the event's message, folded; " " when it has none
    sla: SlaState = SlaState.NONE
    # Whether the team of the ticket's group is at work (comptoir.sla.team_hours), and whether its assignee
    # is away: read only for the rules that ask (comptoir.rules.asked), "" otherwise (and without assignee).
    business_hours: str = ""
    assignee_availability: str = ""
    # What time conditions count from (automations); None when unknown or not yet (no message).
    now: datetime | None = None
    created_at: datetime | None = None
    status_since: datetime | None = None
    requester_message_at: datetime | None = None
    agent_message_at: datetime | None = None
    sla_due_at: datetime | None = None
    # The ticket's values of the fields its rules' conditions and actions name ("field:<key>"), by key, read
    # only when a rule names one (comptoir.rules.asked); a field deleted since is absent.
    fields: Mapping[str, FieldFact] = dataclass_field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        ticket_id: int,
        status: str,
        priority: str,
        type: str,
        channel: str,
        language: str,
        group_id: int | None,
        assignee_id: int | None,
        requester: str,
        organisation_id: int | None,
        tags: Iterable[str],
        subject: str,
        body: str,
        sla_due_at: datetime | None,
        now: datetime,
        created_at: datetime | None = None,
        status_since: datetime | None = None,
        requester_message_at: datetime | None = None,
        agent_message_at: datetime | None = None,
        business_hours: str = "",
        assignee_availability: str = "",
        fields: Mapping[str, FieldFact] | None = None,
    ) -> TicketFacts:
        sla = SlaState.COUNTING if sla_due_at is not None and sla_due_at > now else SlaState.BREACHED
        if sla_due_at is None:
            sla = SlaState.NONE
        return cls(
            ticket_id=ticket_id,
            status=status,
            priority=priority,
            type=type,
            channel=channel,
            language=language,
            group_id=group_id,
            assignee_id=assignee_id,
            requester=requester.lower(),
            organisation_id=organisation_id,
            tags=frozenset(tags),
            subject=fold(subject),
            body=fold(body),
            sla=sla,
            now=now,
            created_at=created_at,
            status_since=status_since,
            requester_message_at=requester_message_at,
            agent_message_at=agent_message_at,
            sla_due_at=sla_due_at,
            business_hours=business_hours,
            assignee_availability=assignee_availability,
            fields=dict(fields or {}),
        )

    def value(self, field: str) -> Any:
        return {
            "group": self.group_id,
            "assignee": self.assignee_id,
            "organisation": self.organisation_id,
        }.get(field, getattr(self, field, None))

    def but(self, **changes: Any) -> TicketFacts:
        return replace(self, **changes)

    def hours(self, field: str) -> float | None:
        """The hours a time field counts (since the time, or until it), None when the ticket has no such time."""
        fact, until = TIME_FIELDS[field]
        at = getattr(self, fact)
        if at is None or self.now is None:
            return None
        elapsed = (at - self.now) if until else (self.now - at)
        return float(elapsed / timedelta(hours=1))


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(field=data.get("field", ""), operator=data.get("operator", ""), value=data.get("value"))

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "operator": self.operator, "value": self.value}

    def holds_for(self, facts: TicketFacts) -> bool:
        key = predicates.key_of(self.field)
        if key is not None:
            fact = facts.fields.get(key)
            # A field deleted since the rule was saved holds nothing (the engine warns: ``fields_gone``).
            return fact is not None and predicates.holds(fact.kind, self.operator, self.value, fact.value)
        kind, _choices = FIELDS[self.field]
        actual = facts.value(self.field)
        op = Op(self.operator)
        if kind is ValueKind.HOURS:
            hours = facts.hours(self.field)
            if hours is None:
                return False
            return bool(hours >= self.value) if op is Op.AT_LEAST else bool(hours < self.value)
        if kind is ValueKind.WORDS:
            found = any(term in actual for term in terms(str(self.value or "")))
            return found if op is Op.CONTAINS else not found
        if kind is ValueKind.TAGS:
            wanted = set(tag_names(str(self.value or "")))
            if op is Op.CONTAINS:
                return bool(wanted <= actual)
            if op is Op.NOT_CONTAINS:
                return not wanted & actual
            return bool(actual) is (op is Op.IS_SET)
        if op is Op.IS_EMPTY:
            return actual is None
        if op is Op.IS_SET:
            return actual is not None
        values = _as_list(self.value) if op in (Op.IN, Op.NOT_IN) else [self.value]
        if kind is ValueKind.ADDRESS:
            values = [str(value).strip().lower() for value in values]
        inside = actual in values
        return inside if op in (Op.IS, Op.IN) else not inside


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class RuleLike(Protocol):
    match: str
    conditions: Any  # a JSON list of conditions


@dataclass(frozen=True)
class Verdict:
    matched: bool
    # When it did not match: the first condition that failed (with "any", the first of those that all failed).
    first_failed: Condition | None = None


def fields_gone(rule: RuleLike, facts: TicketFacts) -> bool:
    """Whether a condition of ``rule`` names a field the facts do not know: deleted since the rule was saved."""
    return any(key not in facts.fields for key in predicates.keys_named(rule.conditions or []))


def evaluate(rule: RuleLike, facts: TicketFacts) -> Verdict:
    """Whether ``rule``'s conditions hold for the ticket; no condition holds for every ticket."""
    conditions = [Condition.from_json(data) for data in rule.conditions or []]
    if not conditions:
        return Verdict(matched=True)
    if rule.match == "any":
        if any(condition.holds_for(facts) for condition in conditions):
            return Verdict(matched=True)
        return Verdict(matched=False, first_failed=conditions[0])
    for condition in conditions:
        if not condition.holds_for(facts):
            return Verdict(matched=False, first_failed=condition)
    return Verdict(matched=True)


# --- What an admin may save ----------------------------------------------------------------------


def field_label(field: str) -> str:
    labels = {
        "status": _("status"),
        "priority": _("priority"),
        "type": _("type"),
        "channel": _("channel"),
        "language": _("language"),
        "sla": _("service level"),
        "business_hours": _("business hours"),
        "assignee_availability": _("assignee's availability"),
        "group": _("group"),
        "assignee": _("assignee"),
        "organisation": _("organisation"),
        "requester": _("requester"),
        "tags": _("tags"),
        "subject": _("subject"),
        "body": _("message"),
        "hours_since_created": _("hours since created"),
        "hours_in_status": _("hours in the current status"),
        "hours_since_requester_message": _("hours since the requester's last message"),
        "hours_since_agent_message": _("hours since an agent's last reply"),
        "hours_since_sla_due": _("hours since the service level was due"),
        "hours_until_sla_due": _("hours until the service level is due"),
    }
    return labels.get(field, field)


def condition_errors(conditions: Any, *, match: str) -> list[str]:
    """Why these conditions cannot be saved, in the admin's language (empty when they can)."""
    if not isinstance(conditions, list):
        return [_("The conditions must be a list.")]
    errors: list[str] = []
    parsed: list[Condition] = []
    for number, data in enumerate(conditions, start=1):
        if not isinstance(data, dict):
            errors.append(_("Condition %(number)s is not a field, an operator and a value.") % {"number": number})
            continue
        condition = Condition.from_json(data)
        problem = _condition_problem(condition)
        if problem:
            errors.append(_("Condition %(number)s: %(problem)s") % {"number": number, "problem": problem})
        else:
            parsed.append(condition)
    if not errors and match == "all":
        errors.extend(_never_matching(parsed))
    return errors


def _condition_problem(condition: Condition) -> str:
    key = predicates.key_of(condition.field)
    if key is not None:
        # The field itself (it exists, the operator fits its kind, the value is one it accepts) is read from the
        # database by comptoir.rules.validation; here only the shape.
        if not key or condition.operator not in predicates.ALL_OPERATORS:
            return _("the operator “%(operator)s” does not apply to the %(field)s.") % {
                "operator": condition.operator,
                "field": condition.field,
            }
        return ""
    if condition.field not in FIELDS:
        return _("unknown field “%(field)s”.") % {"field": condition.field}
    kind, choices = FIELDS[condition.field]
    label = field_label(condition.field)
    try:
        op = Op(condition.operator)
    except ValueError:
        op = None
    if op is None or op not in _OPERATORS[kind]:
        return _("the operator “%(operator)s” does not apply to the %(field)s.") % {
            "operator": condition.operator,
            "field": label,
        }
    value = condition.value
    if op in (Op.IS_EMPTY, Op.IS_SET):
        return "" if value in (None, "", []) else _("“is empty” and “is set” take no value.")
    if kind is ValueKind.HOURS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= HOURS_MAX:
            return _("the hours must be a number greater than 0 and at most %(max)s.") % {"max": HOURS_MAX}
        return ""
    if kind is ValueKind.WORDS:
        return "" if isinstance(value, str) and terms(value) else _("type at least one word.")
    if kind is ValueKind.TAGS:
        return "" if isinstance(value, str) and tag_names(value) else _("type at least one tag.")
    values = value if op in (Op.IN, Op.NOT_IN) else [value]
    if op in (Op.IN, Op.NOT_IN) and (not isinstance(value, list) or not value):
        return _("“in” and “not in” take a list of at least one value.")
    for item in values:
        if kind is ValueKind.CHOICE and item not in choices():
            return _("“%(value)s” is not a %(field)s.") % {"value": item, "field": label}
        if kind is ValueKind.REFERENCE and (isinstance(item, bool) or not isinstance(item, int) or item <= 0):
            return _("“%(value)s” does not name a %(field)s.") % {"value": item, "field": label}
        if kind is ValueKind.ADDRESS and (not isinstance(item, str) or "@" not in item):
            return _("“%(value)s” is not an e-mail address.") % {"value": item}
    return ""


def _never_matching(conditions: Sequence[Condition]) -> list[str]:
    """All of the conditions can never hold at once: a field asked to be two things, or set and empty."""
    allowed: dict[str, set[Any]] = {}
    refused: dict[str, set[Any]] = {}
    emptiness: dict[str, set[Op]] = {}
    # Time fields: the largest "at least" and the smallest "less than" asked.
    at_least: dict[str, float] = {}
    less_than: dict[str, float] = {}
    for condition in conditions:
        if predicates.key_of(condition.field) is not None:
            continue  # a field's values: comptoir.rules.validation checks each against the field
        kind, _choices = FIELDS[condition.field]
        op = Op(condition.operator)
        if kind is ValueKind.HOURS:
            bounds = at_least if op is Op.AT_LEAST else less_than
            pick = max if op is Op.AT_LEAST else min
            bounds[condition.field] = pick(bounds.get(condition.field, condition.value), condition.value)
            continue
        if op in (Op.IS_EMPTY, Op.IS_SET):
            emptiness.setdefault(condition.field, set()).add(op)
            continue
        if kind in (ValueKind.WORDS, ValueKind.TAGS):
            continue
        values = set(_as_list(condition.value) if op in (Op.IN, Op.NOT_IN) else [condition.value])
        if kind is ValueKind.ADDRESS:
            values = {str(value).strip().lower() for value in values}
        if op in (Op.IS, Op.IN):
            allowed[condition.field] = allowed.get(condition.field, values) & values
            emptiness.setdefault(condition.field, set()).add(Op.IS_SET)
        else:
            refused.setdefault(condition.field, set()).update(values)
    errors = []
    for field in FIELDS:
        impossible = field in allowed and not allowed[field] - refused.get(field, set())
        # "At least 48 hours" and "less than 24 hours" at once.
        if impossible or (field in at_least and field in less_than and at_least[field] >= less_than[field]):
            errors.append(_("The conditions on the %(field)s can never all hold.") % {"field": field_label(field)})
        elif emptiness.get(field, set()) >= {Op.IS_EMPTY, Op.IS_SET}:
            errors.append(
                _("The %(field)s cannot be both empty and set: this rule would never match.")
                % {"field": field_label(field)}
            )
    return errors
