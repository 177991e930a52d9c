"""The rule page's forms: a rule's name, a trigger's events, the rows of conditions and actions, as a person types them.

Conditions and actions are formsets with spare rows: no script is needed. Once
a row's field is known, its value is offered as a list where the field has
choices (status, priority, type, channel, language, service level, group,
assignee); until then, and for words, tags, addresses and organisations, it is
typed: "open", "Ouvert", "Billing" or an agent's name are read as the value a
rule keeps. An automation's time conditions are typed in hours or days ("72",
"3 days", "3 j"), kept in hours. The actions that write (a public reply, an
e-mail) or tell (agents) have their inputs under the row: a recipient, an
address or an agent, a subject and a text by language, a message; all are in
the page, and comptoir/static/comptoir/rules-form.js shows those of the action
chosen (and adds rows) where scripts run. The form says what it could not
read; whether the rule makes sense (it can match, it does not contradict
itself) is comptoir.rules.validation's word, through comptoir.rules.settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation, Role, User
from comptoir.rules.conditions import (
    FIELDS,
    HOURS_MAX,
    TIME_FIELDS,
    Availability,
    BusinessHours,
    Op,
    SlaState,
    ValueKind,
    field_label,
    fold,
)
from comptoir.rules.models import Match, Rule, RuleKind, Trigger
from comptoir.ticketforms import predicates
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.tickets.models import Channel, Priority, Status, SupportGroup, TicketType
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.webhooks.models import Webhook

Choices = list[tuple[str, str]]

# What an unset group or assignee is, in a list of values ("" is "nothing chosen").
NOBODY = "none"


def operator_label(operator: str) -> str:
    labels = {
        Op.IS.value: _("is"),
        Op.IS_NOT.value: _("is not"),
        Op.IN.value: _("is one of"),
        Op.NOT_IN.value: _("is none of"),
        Op.CONTAINS.value: _("contains"),
        Op.NOT_CONTAINS.value: _("does not contain"),
        Op.IS_EMPTY.value: _("is empty"),
        Op.IS_SET.value: _("is set"),
        Op.AT_LEAST.value: _("at least"),
        Op.LESS_THAN.value: _("less than"),
    }
    if operator not in labels and operator in predicates.ALL_OPERATORS:
        return predicates.operator_label(operator)  # a ticket field's: "is greater than", "includes", "is checked"
    return str(labels.get(operator, operator))


def action_label(action: str) -> str:
    labels = {
        "set_status": _("Set the status"),
        "set_priority": _("Set the priority"),
        "set_type": _("Set the type"),
        "set_group": _("Set the group"),
        "set_assignee": _("Assign to"),
        "add_tags": _("Add tags"),
        "remove_tags": _("Remove tags"),
        "add_note": _("Add an internal note"),
        "add_reply": _("Reply to the requester"),
        "send_email": _("Send an e-mail"),
        "notify_agents": _("Notify agents"),
        "call_webhook": _("Call a webhook"),
    }
    return str(labels.get(action, action))


def hours_words(hours: Any) -> str:
    """ "3 days" for 72, "36 hours" for 36, "1,5 heures" for 1.5 in French: a time condition's value as said."""
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        return str(hours)
    if hours % 24 == 0:
        days = int(hours // 24)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    return ngettext("%(count)s hour", "%(count)s hours", math.ceil(hours)) % {"count": number_format(hours)}


# The actions, in the order the list offers them, by what they do.
ACTION_GROUPS: Sequence[tuple[Any, Sequence[str]]] = (
    (_("Change the ticket"), ("set_status", "set_priority", "set_type", "set_group", "set_assignee")),
    (_("Tags"), ("add_tags", "remove_tags")),
    (_("Write and tell"), ("add_note", "add_reply", "send_email", "notify_agents", "call_webhook")),
)
ACTION_ORDER = tuple(action for _label, actions in ACTION_GROUPS for action in actions)
# The actions whose inputs are under the row (recipient, texts by language, message), not in its value box.
DETAIL_ACTIONS = ("add_reply", "send_email", "notify_agents")
# Who an e-mail goes to, and who is notified (comptoir.rules.actions reads these exact values).
EMAIL_RECIPIENTS = ("requester", "assignee", "group", "address")
NOTIFIED = ("assignee", "group", "agent")
# The actions whose texts may hold placeholders.
TEXT_ACTIONS = ("add_reply", "send_email")
# The operator a row gets when none is chosen: what a person means by "status: open" or "subject: facture".
DEFAULT_OPERATOR = {
    ValueKind.CHOICE: Op.IS,
    ValueKind.REFERENCE: Op.IS,
    ValueKind.ADDRESS: Op.IS,
    ValueKind.TAGS: Op.CONTAINS,
    ValueKind.WORDS: Op.CONTAINS,
    # "Hours until the due time" means "less than" (comptoir.rules.validation's anchors): see _default_operator.
    ValueKind.HOURS: Op.AT_LEAST,
}
LISTS = (Op.IN, Op.NOT_IN)
# What a trigger may look at (time conditions are for automations, which run on time).
TRIGGER_FIELDS = [name for name, (kind, _values) in FIELDS.items() if kind is not ValueKind.HOURS]
OPERATORS = [Op.IS, Op.IS_NOT, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.NOT_CONTAINS, Op.IS_EMPTY, Op.IS_SET]
# What conditions on ticket fields compare with besides (comptoir.ticketforms.predicates).
FIELD_OPERATORS = [
    predicates.FieldOp.LESS_THAN,
    predicates.FieldOp.GREATER_THAN,
    predicates.FieldOp.INCLUDES,
    predicates.FieldOp.EXCLUDES,
    predicates.FieldOp.CHECKED,
    predicates.FieldOp.NOT_CHECKED,
]
# The action that sets a ticket field is chosen as "set_field:<key>", one choice per field.
SET_FIELD = "set_field"
HOUR_OPERATORS = [Op.AT_LEAST, Op.LESS_THAN]
NO_VALUE = (Op.IS_EMPTY, Op.IS_SET, predicates.FieldOp.CHECKED, predicates.FieldOp.NOT_CHECKED)


def field_default_operator(kind: str) -> str:
    """What a person means by "<field>: <value>": a checkbox ticked, a multiple choice including it, else equal."""
    if kind == FieldKind.CHECKBOX:
        return predicates.FieldOp.CHECKED
    if kind == FieldKind.MULTI_SELECT:
        return predicates.FieldOp.INCLUDES
    return predicates.FieldOp.IS


def ticket_field_choices(field: TicketField) -> Choices | None:
    """The values of a ticket field offered as a list (its choices, yes or no), in the reader's language."""
    if field.kind in (FieldKind.DROPDOWN, FieldKind.MULTI_SELECT):
        return field.choice_pairs()
    if field.kind == FieldKind.CHECKBOX:
        return [("yes", gettext("Yes")), ("no", gettext("No"))]
    return None


def _default_operator(field: str) -> str:
    if field in TIME_FIELDS and TIME_FIELDS[field][1]:
        return Op.LESS_THAN
    return DEFAULT_OPERATOR[FIELDS[field][0]]


def business_hours_choices() -> Choices:
    return [
        (BusinessHours.WITHIN, gettext("within the team's hours")),
        (BusinessHours.OUTSIDE, gettext("outside the team's hours")),
    ]


def availability_choices() -> Choices:
    return [(Availability.AWAY, gettext("away")), (Availability.AVAILABLE, gettext("available"))]


def sla_choices() -> Choices:
    return [
        (SlaState.NONE, gettext("no clock counting")),
        (SlaState.COUNTING, gettext("counting")),
        (SlaState.BREACHED, gettext("breached")),
    ]


def fixed_choices(field: str) -> Choices | None:
    """The values a condition on ``field`` chooses among, when they are fixed (a status, a language...)."""
    fixed: Mapping[str, Any] = {
        "status": Status.choices,
        "priority": Priority.choices,
        "type": TicketType.choices,
        "channel": Channel.choices,
        "language": settings.LANGUAGES,
    }
    if field in fixed:
        return [(str(value), str(label)) for value, label in fixed[field]]
    computed = {
        "sla": sla_choices,
        "business_hours": business_hours_choices,
        "assignee_availability": availability_choices,
    }
    return computed[field]() if field in computed else None


class Lists:
    """The values offered in lists and the names shown for ids, each read once for the whole page."""

    @cached_property
    def groups(self) -> Choices:
        return [(str(pk), name) for pk, name in SupportGroup.objects.order_by("name").values_list("pk", "name")]

    @cached_property
    def _agent_rows(self) -> list[tuple[str, str, bool]]:
        # Former agents too: a condition may name one (tickets still assigned to them).
        rows = User.objects.filter(role__in=(Role.AGENT, Role.ADMIN)).order_by("-is_active", "name", "email")
        return [
            (str(pk), name or email, active)
            for pk, name, email, active in rows.values_list("pk", "name", "email", "is_active")
        ]

    @cached_property
    def ticket_fields(self) -> dict[str, TicketField]:
        """Every ticket field by key (archived ones too: a rule may read the values tickets keep)."""
        return {field.key: field for field in TicketField.objects.order_by("key")}

    def ticket_field_options(self, prefix: str) -> Choices:
        """The ticket fields as a list's options ``<prefix><key>``, by label in the reader's language."""
        return [
            (f"{prefix}{key}", field.label + (gettext(" (archived)") if field.archived else ""))
            for key, field in self.ticket_fields.items()
        ]

    @cached_property
    def webhooks(self) -> Choices:
        """The webhooks that are on (comptoir.webhooks), by what they are for, else their address."""
        rows = Webhook.objects.filter(active=True).order_by("description", "url", "pk")
        return [(str(pk), description or url) for pk, description, url in rows.values_list("pk", "description", "url")]

    @property
    def agents(self) -> Choices:
        return [
            (pk, name if active else gettext("%(name)s (inactive)") % {"name": name})
            for pk, name, active in self._agent_rows
        ]

    @property
    def active_agents(self) -> Choices:
        return [(pk, name) for pk, name, active in self._agent_rows if active]

    def condition_choices(self, field: str) -> Choices | None:
        """The values of ``field`` offered as a list; None when they are typed."""
        key = predicates.key_of(field)
        if key is not None:
            found = self.ticket_fields.get(key)
            return ticket_field_choices(found) if found is not None else None
        fixed = fixed_choices(field)
        if fixed is not None:
            return fixed
        if field == "group":
            return self.groups
        if field == "assignee":
            return self.agents
        return None

    def action_choices(self, action: str, *, automation: bool = False) -> Choices | None:
        if action.startswith(f"{SET_FIELD}:"):
            found = self.ticket_fields.get(action.partition(":")[2])
            return ticket_field_choices(found) if found is not None else None
        if action == "set_status":
            # Closed is final: only an automation closes (a solved ticket, days later); a trigger may not.
            statuses = [*AGENT_SUBMIT_STATUSES, Status.CLOSED] if automation else AGENT_SUBMIT_STATUSES
            return [(str(status), str(status.label)) for status in statuses]
        if action == "set_priority":
            return [(str(value), str(label)) for value, label in Priority.choices]
        if action == "set_type":
            return [(str(value), str(label)) for value, label in TicketType.choices]
        if action == "set_group":
            return [(NOBODY, gettext("No group")), *self.groups]
        if action == "set_assignee":
            return [(NOBODY, gettext("Nobody")), *self.active_agents]
        if action == "call_webhook":
            return self.webhooks
        return None


class Values(forms.Widget):
    """The values of a row, as posted: one typed text, or the options chosen in a list. Rendered by the row."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return list(data.getlist(name))
        value = data.get(name)
        return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


class ValuesField(forms.Field):
    widget = Values

    def has_changed(self, initial: Any, data: Any) -> bool:
        return _filled(data) != _filled(initial)


def _filled(values: Any) -> list[str]:
    return [str(value).strip() for value in values or [] if str(value).strip()]


def _same(typed: str, value: str, label: str) -> bool:
    return typed.casefold() == value.casefold() or fold(typed) == fold(label)


class _Row(forms.Form):
    """One row of conditions or actions: what it acts on (``KEY``), and its value(s)."""

    KEY = ""
    value = ValuesField(required=False, label=_("Value"))

    def __init__(self, *args: Any, lists: Lists, automation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lists = lists
        self.automation = automation
        # The script (rules-form.js) shows the inputs of the field or action chosen in this select.
        self.fields[self.KEY].widget.attrs["data-rule-key"] = ""

    def chosen(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(self.KEY), ""))
        return str(self.initial.get(self.KEY, ""))

    def typed_values(self) -> list[str]:
        if self.is_bound:
            return Values().value_from_datadict(self.data, self.files, self.add_prefix("value"))
        return [str(value) for value in self.initial.get("value", [])]

    def choices(self) -> Choices | None:
        raise NotImplementedError

    def several(self) -> bool:
        return False

    def long_text(self) -> bool:
        return False

    def value_html(self) -> SafeString:
        """The value's input: a list of the field's values once it is known, else a text box keeping what was typed."""
        bound = self["value"]
        attrs = {"id": bound.auto_id}
        if bound.errors:
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{bound.auto_id}_error"
        typed = self.typed_values()
        choices = self.choices()
        chosen_values = _as_choices(typed, choices, several=self.several()) if choices is not None else None
        if choices is not None and chosen_values is not None:
            chosen = set(chosen_values)
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((value, " selected" if value in chosen else "", label) for value, label in choices),
            )
            if self.several():
                return format_html(
                    '<select name="{}" id="{}" multiple size="{}"{}>{}</select>',
                    bound.html_name,
                    attrs["id"],
                    min(len(choices), 8),
                    _aria(attrs),
                    options,
                )
            blank = format_html('<option value="">{}</option>', gettext("Choose…"))
            return format_html(
                '<select name="{}" id="{}"{}>{}{}</select>', bound.html_name, attrs["id"], _aria(attrs), blank, options
            )
        text = ", ".join(_filled(typed)) if len(_filled(typed)) > 1 else (typed[0] if typed else "")
        if self.long_text():
            return format_html(
                '<textarea name="{}" id="{}" rows="3"{}>{}</textarea>', bound.html_name, attrs["id"], _aria(attrs), text
            )
        extra = SafeString(' inputmode="decimal" class="hours-value"') if self.hours() else ""
        return format_html(
            '<input type="text" name="{}" id="{}" value="{}"{}{}>',
            bound.html_name,
            attrs["id"],
            text,
            extra,
            _aria(attrs),
        )

    def hours(self) -> bool:
        """Whether the value is a number of hours (an automation's time condition)."""
        return False

    def as_json(self) -> dict[str, Any] | None:
        """The row as a rule keeps it; None for a row left empty. Read after is_valid."""
        return getattr(self, "cleaned_data", {}).get("json")

    # --- Reading typed values --------------------------------------------------------------------

    def _one_of(self, typed: str, choices: Choices, what: str) -> str | None:
        for value, label in choices:
            if _same(typed, value, label):
                return value
        self.add_error(
            "value",
            gettext("“%(value)s” is not a %(field)s: choose one of %(choices)s.")
            % {"value": typed, "field": what, "choices": ", ".join(label for _value, label in choices)},
        )
        return None

    def _reference(self, typed: str, what: str) -> int | None:
        """An id, from a list or typed as a name (a group's, an agent's name or address, an organisation's)."""
        if typed.isdigit():
            return int(typed)
        if what == "group":
            found = SupportGroup.objects.filter(name__iexact=typed).values_list("pk", flat=True).first()
            message = gettext("No group is named “%(name)s”.")
        elif what == "organisation":
            found = Organisation.objects.filter(name__iexact=typed).values_list("pk", flat=True).first()
            message = gettext("No organisation is named “%(name)s”.")
        else:
            agents = User.objects.filter(role__in=(Role.AGENT, Role.ADMIN))
            found = agents.filter(Q(name__iexact=typed) | Q(email__iexact=typed)).values_list("pk", flat=True).first()
            message = gettext("No agent is named “%(name)s”.")
        if found is None:
            self.add_error("value", message % {"name": typed})
        return found


def _as_choices(typed: Sequence[str], choices: Choices, *, several: bool) -> list[str] | None:
    """What was typed ("Billing", "open, Pending") as values of the list; None when one is not in it."""
    found = []
    for part in _split(typed) if several else _filled(typed):
        value = next((value for value, label in choices if _same(part, value, label)), None)
        if value is None:
            return None
        found.append(value)
    return found


def _aria(attrs: Mapping[str, object]) -> SafeString:
    extra = {key: value for key, value in attrs.items() if key.startswith("aria-")}
    return format_html_join("", ' {}="{}"', extra.items())


def _split(values: Sequence[str]) -> list[str]:
    """Several values typed in one box, comma-separated; or chosen in a list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# --- Hours, typed as a person would --------------------------------------------------------------

UNITS = (("hours", _("hours")), ("days", _("days")))
# What may follow the number ("72 h", "3 days", "3 jours"), folded (no case, no accents).
_UNIT_WORDS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "heure", "heures"), "hours"),
    **dict.fromkeys(("d", "day", "days", "j", "jour", "jours"), "days"),
}
_HOURS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(\D*)$")
# The time fields, as the script reads them (the unit list is shown for these only).
TIME_FIELD_NAMES = " ".join(TIME_FIELDS)


def hours_read(typed: str, unit: str) -> float | None:
    """ "72", "72 h", "3 days", "1,5" (in ``unit``, hours or days, if none is typed) as hours; None if unreadable."""
    found = _HOURS.match(typed.strip())
    if found is None:
        return None
    number, word = found.groups()
    if word.strip():
        unit = _UNIT_WORDS.get(fold(word).strip(), "")
        if not unit:
            return None
    hours = float(number.replace(",", ".")) * (24 if unit == "days" else 1)
    return hours


def _stored(hours: float) -> int | float:
    """Whole hours as an integer, as an admin would write them in JSON (72, not 72.0)."""
    return int(hours) if hours.is_integer() else round(hours, 2)


def hours_shown(hours: Any) -> tuple[str, str]:
    """What the row shows for ``hours``: ("3", "days") for 72, ("36", "hours") for 36."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        return ("" if hours is None else str(hours), "hours")
    if hours > 0 and hours % 24 == 0:
        return (_number(hours / 24), "days")
    return (_number(hours), "hours")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class ConditionForm(_Row):
    KEY = "field"
    field = forms.ChoiceField(label=_("Field"), required=False)
    operator = forms.ChoiceField(label=_("Comparison"), required=False)
    # Automations: the time conditions' unit (kept in hours). Its initial value keeps a spare row "unchanged".
    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=UNITS, initial="hours")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field, operator = self.fields["field"], self.fields["operator"]
        assert isinstance(field, forms.ChoiceField) and isinstance(operator, forms.ChoiceField)
        ticket_fields = [(name, capfirst(field_label(name))) for name in TRIGGER_FIELDS]
        # The admins' own fields (comptoir.ticketforms), by their label in the reader's language.
        own_fields = self.lists.ticket_field_options(predicates.PREFIX)
        own = [(gettext("Ticket fields"), own_fields)] if own_fields else []
        operators = [*OPERATORS, *FIELD_OPERATORS]
        if self.automation:
            time_fields = [(name, capfirst(field_label(name))) for name in TIME_FIELDS]
            field.choices = [
                ("", gettext("Choose…")),
                (gettext("Time"), time_fields),
                (gettext("The ticket"), ticket_fields),
                *own,
            ]
            operators = [*HOUR_OPERATORS, *OPERATORS, *FIELD_OPERATORS[1:]]
        else:
            # Grouped once there are ticket fields to offer beside the ticket's own properties.
            grouped = [(gettext("The ticket"), ticket_fields), *own] if own else ticket_fields
            field.choices = [("", gettext("Choose…")), *grouped]
            del self.fields["unit"]
        operator.choices = [("", gettext("(the usual)")), *[(str(op), operator_label(op)) for op in operators]]

    def choices(self) -> Choices | None:
        return self.lists.condition_choices(self.chosen())

    def hours(self) -> bool:
        return self.chosen() in TIME_FIELDS

    def unit_shown(self) -> bool | None:
        """Whether the unit list is shown (a time field, or none chosen yet); None on a trigger's page."""
        if not self.automation:
            return None
        return self.chosen() in ("", *TIME_FIELDS)

    def several(self) -> bool:
        return (
            self.data.get(self.add_prefix("operator")) in LISTS
            if self.is_bound
            else self.initial.get("operator") in LISTS
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        field, operator = cleaned.get("field", ""), cleaned.get("operator", "")
        typed = _filled(cleaned.get("value"))
        if not field:
            if typed or operator:
                self.add_error("field", gettext("Choose what the condition looks at, or clear the row."))
            return cleaned
        key = predicates.key_of(field)
        if key is not None:
            self._ticket_field_read(field, key, operator, typed)
            return cleaned
        kind, _values = FIELDS[field]
        operator = operator or _default_operator(field)
        if kind is ValueKind.HOURS and operator not in NO_VALUE:
            value: Any = self._hours(typed, cleaned.get("unit") or "hours")
        else:
            value = self._read(field, kind, operator, typed)
        if not self.errors:
            cleaned["json"] = {"field": field, "operator": operator, "value": value}
        return cleaned

    def _ticket_field_read(self, name: str, key: str, operator: str, typed: list[str]) -> None:
        """A condition on a ticket field, checked against the field (comptoir.ticketforms.predicates)."""
        found = self.lists.ticket_fields.get(key)
        if found is None:
            self.add_error("field", gettext("This ticket field no longer exists."))
            return
        operator = operator or field_default_operator(found.kind)
        value: Any = None
        if operator == predicates.FieldOp.IN:
            value = _as_choices(typed, self.choices() or [], several=True) or _split(typed)
        elif operator not in NO_VALUE:
            value = " ".join(typed).strip() or None
            choices = self.choices()
            if value is not None and choices:
                value = next((choice for choice, label in choices if _same(value, choice, label)), value)
        problem, kept = predicates.condition_problem(found, operator, value)
        if problem:
            self.add_error("operator" if operator not in predicates.OPERATORS[found.kind] else "value", problem)
            return
        self.cleaned_data["json"] = {"field": name, "operator": operator, "value": kept}

    def _hours(self, typed: list[str], unit: str) -> int | float | None:
        if not typed:
            self.add_error("value", gettext("Give the number of hours, or of days."))
            return None
        hours = hours_read(" ".join(typed), unit)
        if hours is None:
            self.add_error(
                "value",
                gettext("“%(value)s” is not a number of hours: type 72, or 3 with the unit “days”.")
                % {"value": " ".join(typed)},
            )
            return None
        if not 0 < hours <= HOURS_MAX:
            self.add_error("value", gettext("Count more than 0 hours and at most five years."))
            return None
        return _stored(hours)

    def _read(self, field: str, kind: ValueKind, operator: str, typed: list[str]) -> Any:
        if operator in NO_VALUE:
            return None
        if kind in (ValueKind.WORDS, ValueKind.TAGS):
            return " ".join(" ".join(typed).split())
        parts = _split(typed) if operator in LISTS else typed
        if not parts:
            self.add_error("value", gettext("Give the value to compare with."))
            return None
        if operator not in LISTS and len(parts) > 1:
            self.add_error("value", gettext("Choose one value, or compare with “is one of”."))
            return None
        values: list[Any] = []
        for part in parts:
            if kind is ValueKind.CHOICE:
                values.append(self._one_of(part, self.choices() or [], field_label(field)))
            elif kind is ValueKind.REFERENCE:
                values.append(self._reference(part, field))
            else:
                values.append(part)
        return values if operator in LISTS else values[0]


# --- Actions -------------------------------------------------------------------------------------


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _in_language(what: str, code: str) -> str:
    """ "Subject in French": the label of a text typed in one language."""
    labels = {
        ("subject", "fr"): _("Subject in French"),
        ("subject", "en"): _("Subject in English"),
        ("text", "fr"): _("Text in French"),
        ("text", "en"): _("Text in English"),
    }
    label = labels.get((what, code))
    if label is None:
        return f"{_('Subject') if what == 'subject' else _('Text')} ({code})"
    return str(label)


@dataclass(frozen=True)
class Detail:
    """One input under an action's row, and the actions it belongs to (the script shows those of the one chosen)."""

    field: forms.BoundField
    html: SafeString
    actions: tuple[str, ...]
    # Shown (by the script) only with this recipient chosen: the address, the agent.
    when_to: str = ""
    hidden: bool = False
    wide: bool = False
    # The column it keeps (1 or 2): the recipient beside its address or agent, French beside English.
    column: int = 1

    @property
    def for_actions(self) -> str:
        return " ".join(self.actions)


class ActionForm(_Row):
    KEY = "action"
    action = forms.ChoiceField(label=_("Action"), required=False)
    to = forms.ChoiceField(label=_("Recipient"), required=False)
    address = forms.CharField(label=_("E-mail address"), required=False, max_length=254, widget=forms.EmailInput)
    agent = forms.ChoiceField(label=_("Agent"), required=False)
    message = forms.CharField(
        label=_("Message to the agents (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action, to, agent = self.fields["action"], self.fields["to"], self.fields["agent"]
        assert isinstance(action, forms.ChoiceField) and isinstance(to, forms.ChoiceField)
        assert isinstance(agent, forms.ChoiceField)
        own_fields = self.lists.ticket_field_options(f"{SET_FIELD}:")
        action.choices = [
            ("", gettext("Choose…")),
            *[(str(label), [(name, action_label(name)) for name in names]) for label, names in ACTION_GROUPS],
            *([(gettext("Set a ticket field"), own_fields)] if own_fields else []),
        ]
        to.choices = [("", gettext("Choose…")), *self.recipients()]
        agent.choices = [("", gettext("Choose…")), *self.lists.active_agents]
        for code in _languages():
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_in_language("subject", code), required=False, max_length=200
            )
        for code in _languages():
            self.fields[f"text_{code}"] = forms.CharField(
                label=_in_language("text", code), required=False, widget=forms.Textarea(attrs={"rows": 4})
            )

    @staticmethod
    def recipients() -> Choices:
        return [
            ("requester", gettext("The requester")),
            ("assignee", gettext("The assignee")),
            ("group", gettext("The agents of the ticket's group")),
            ("address", gettext("An e-mail address")),
            ("agent", gettext("One agent")),
        ]

    def choices(self) -> Choices | None:
        return self.lists.action_choices(self.chosen(), automation=self.automation)

    def long_text(self) -> bool:
        return self.chosen() == "add_note"

    def several(self) -> bool:
        """A multiple choice field is set to several of its choices."""
        found = self._ticket_field()
        return found is not None and found.kind == FieldKind.MULTI_SELECT

    def _ticket_field(self) -> TicketField | None:
        chosen = self.chosen()
        if not chosen.startswith(f"{SET_FIELD}:"):
            return None
        return self.lists.ticket_fields.get(chosen.partition(":")[2])

    def needs_details(self) -> bool:
        """The actions that write or tell have their inputs under the row, not in the value box."""
        return self.chosen() in DETAIL_ACTIONS

    def placeholders_hidden(self) -> bool:
        """The placeholders are said where texts are typed: a reply, an e-mail (or no action chosen yet)."""
        return self.chosen() in DETAIL_ACTIONS and self.chosen() not in TEXT_ACTIONS

    def details(self) -> list[Detail]:
        """The inputs under the row: all of them until an action is chosen, then those of the action."""
        chosen = self.chosen()

        def detail(name: str, actions: tuple[str, ...], **kwargs: Any) -> Detail:
            bound = self[name]
            attrs: dict[str, str | bool] = {}
            if bound.errors:
                attrs |= {"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}_error"}
            if name.startswith(("subject_", "text_")):
                attrs["lang"] = name.split("_", 1)[1]  # what is typed there is in that language
            html = self._to_html(bound, attrs) if name == "to" else bound.as_widget(attrs=attrs)
            hidden = chosen in DETAIL_ACTIONS and chosen not in actions
            return Detail(field=bound, html=html, actions=actions, hidden=hidden, **kwargs)

        email, notify, reply = ("send_email",), ("notify_agents",), ("add_reply",)
        found = [
            detail("to", email + notify),
            detail("address", email, when_to="address", column=2),
            detail("agent", notify, when_to="agent", column=2),
        ]
        found += [detail(f"subject_{code}", email, column=1 + n % 2) for n, code in enumerate(_languages())]
        found += [detail(f"text_{code}", reply + email, column=1 + n % 2) for n, code in enumerate(_languages())]
        found.append(detail("message", notify, wide=True))
        return found

    def _to_html(self, bound: forms.BoundField, attrs: Mapping[str, object]) -> SafeString:
        """The recipient list, each option saying which action it is for (the script hides the others)."""
        chosen, picked = self.chosen(), str(bound.value() or "")
        options = [format_html('<option value="">{}</option>', gettext("Choose…"))]
        for value, label in self.recipients():
            actions = [
                name
                for name, values in (("send_email", EMAIL_RECIPIENTS), ("notify_agents", NOTIFIED))
                if value in values
            ]
            hidden = chosen in DETAIL_ACTIONS and chosen not in actions and value != picked
            options.append(
                format_html(
                    '<option value="{}" data-for="{}"{}{}>{}</option>',
                    value,
                    " ".join(actions),
                    " selected" if value == picked else "",
                    " hidden" if hidden else "",
                    label,
                )
            )
        return format_html(
            '<select name="{}" id="{}" data-rule-to{}>{}</select>',
            bound.html_name,
            bound.auto_id,
            _aria(attrs),
            SafeString("".join(options)),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        action = cleaned.get("action", "")
        raw = [str(value) for value in cleaned.get("value") or []]
        typed = _filled(raw)
        if not action:
            if typed or self._details_typed(cleaned):
                self.add_error("action", gettext("Choose what the rule does, or clear the row."))
            return cleaned
        value: Any
        if action.startswith(f"{SET_FIELD}:"):
            self._set_field_read(action.partition(":")[2], typed)
            return cleaned
        if action in DETAIL_ACTIONS:
            value = self._detail_value(action, cleaned)
        elif action == "add_note":
            value = _lines("\n".join(raw))
        elif action in ("add_tags", "remove_tags"):
            value = " ".join(" ".join(typed).split())
        elif not typed:
            self.add_error("value", gettext("Choose the value it sets."))
            return cleaned
        elif len(typed) > 1:
            self.add_error("value", gettext("Choose one value."))
            return cleaned
        elif action == "call_webhook":
            if not self.choices():
                self.add_error("value", gettext("No webhook is on: add one in the settings' Webhooks page first."))
                return cleaned
            picked = self._one_of(typed[0], self.choices() or [], gettext("webhook"))
            value = int(picked) if picked else None
        elif action in ("set_group", "set_assignee"):
            nobody = typed[0] == NOBODY or _same(typed[0], NOBODY, (self.choices() or [("", "")])[0][1])
            value = None if nobody else self._reference(typed[0], "group" if action == "set_group" else "assignee")
        else:
            value = self._one_of(typed[0], self.choices() or [], action_label(action).lower())
        if not self.errors:
            cleaned["json"] = {"action": action, "value": value}
        return cleaned

    def _set_field_read(self, key: str, typed: list[str]) -> None:
        """ "Set a ticket field": its value as typed or chosen, checked as the field checks it (empty: clear it)."""
        found = self.lists.ticket_fields.get(key)
        if found is None:
            self.add_error("action", gettext("This ticket field no longer exists."))
            return
        choices = ticket_field_choices(found) or []
        value: Any
        if found.kind == FieldKind.CHECKBOX:
            value = bool(typed) and _as_choices(typed, choices, several=False) == ["yes"]
        elif found.kind == FieldKind.MULTI_SELECT:
            value = _as_choices(typed, choices, several=True) or _split(typed)
        else:
            value = " ".join(typed).strip() or None
            if value is not None and choices:
                value = next((choice for choice, label in choices if _same(value, choice, label)), value)
        problem, stored = predicates.value_problem(found, value)
        if problem:
            self.add_error("value", problem)
            return
        self.cleaned_data["json"] = {"action": SET_FIELD, "value": {"field": key, "value": stored}}

    @staticmethod
    def _details_typed(cleaned: Mapping[str, Any]) -> bool:
        names = [
            "to",
            "address",
            "agent",
            "message",
            *[f"{what}_{code}" for what in ("subject", "text") for code in _languages()],
        ]
        return any(str(cleaned.get(name) or "").strip() for name in names)

    def _detail_value(self, action: str, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        """The value of a reply, an e-mail or a notice, in the shape comptoir.rules.actions reads."""
        first = _languages()[0]
        texts = {code: _lines(cleaned.get(f"text_{code}") or "") for code in _languages()}
        if action == "add_reply":
            if not any(texts.values()):
                self.add_error(f"text_{first}", gettext("Write the reply in at least one language."))
            return texts
        to = cleaned.get("to") or ""
        if action == "send_email":
            if to not in EMAIL_RECIPIENTS:
                self.add_error(
                    "to", gettext("Choose who gets the e-mail: the requester, the assignee, the group or an address.")
                )
            value: dict[str, Any] = {"to": to}
            if to == "address":
                value["address"] = self._address(cleaned.get("address") or "")
            subjects = {code: str(cleaned.get(f"subject_{code}") or "").strip() for code in _languages()}
            if not any(subjects.values()):
                self.add_error(f"subject_{first}", gettext("Write the subject in at least one language."))
            if not any(texts.values()):
                self.add_error(f"text_{first}", gettext("Write the text in at least one language."))
            return value | {"subject": subjects, "body": texts}
        if to not in NOTIFIED:
            self.add_error("to", gettext("Choose whom to notify: the assignee, the group's agents or one agent."))
        value = {"to": to}
        if to == "agent":
            agent = cleaned.get("agent") or ""
            if not agent:
                self.add_error("agent", gettext("Choose the agent to notify."))
            else:
                value["agent"] = int(agent)
        message = _lines(cleaned.get("message") or "")
        if message:
            value["message"] = message
        return value

    def _address(self, typed: str) -> str:
        address = typed.strip()
        if not address:
            self.add_error("address", gettext("Type the address the e-mail goes to."))
            return address
        try:
            validate_email(address)
        except ValidationError:
            self.add_error("address", gettext("“%(value)s” is not an e-mail address.") % {"value": address})
        return address


def _lines(text: str) -> str:
    """A text as typed in a box: browsers send its line ends as CRLF; a rule keeps them as LF."""
    return str(text).replace("\r\n", "\n").strip()


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0)
ActionFormSet = forms.formset_factory(ActionForm, extra=0)
SPARE_ROWS = 2


def _told(label: object, error: object) -> str:
    """An error as the box at the top of a page lists it: "Name: This field is required." """
    return gettext("%(field)s: %(error)s") % {"field": label, "error": error}


def _lower_first(label: object) -> str:
    """ "Subject in French" → "subject in French": a label inside a sentence ("Action 2, subject in French")."""
    text = str(label)
    return text[:1].lower() + text[1:]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    active = forms.BooleanField(label=_("Active"), required=False)
    events = forms.MultipleChoiceField(
        label=_("Runs when"),
        required=False,
        choices=Trigger.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    match = forms.ChoiceField(label=_("Matches when"), choices=Match.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, automation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if automation:
            # An automation runs on time, and all of its conditions must hold (comptoir.rules.validation).
            del self.fields["events"]
            del self.fields["match"]


@dataclass
class Problems:
    """What comptoir.rules.validation says about the rule as a whole, by part of the page."""

    conditions: list[str]
    actions: list[str]
    other: list[str]


class RuleForms:
    """Everything the rule page asks: the rule's fields, its events (a trigger's), its conditions, its actions."""

    def __init__(
        self,
        data: Any = None,
        *,
        rule: Rule | None = None,
        kind: str = RuleKind.TRIGGER,
        lists: Lists | None = None,
    ) -> None:
        self.rule = rule
        self.kind = rule.kind if rule is not None else kind
        self.automation = self.kind == RuleKind.AUTOMATION
        self.lists = lists or Lists()
        initial = (
            {"name": rule.name, "active": rule.active, "events": rule.events, "match": rule.match}
            if rule is not None
            else {"active": True, "events": [Trigger.CREATED], "match": Match.ALL}
        )
        self.form = RuleForm(data, initial=initial, automation=self.automation)
        conditions = [self._condition_initial(row) for row in (rule.conditions if rule else [])]
        # Actions this page does not know (none yet; a newer backend's) are kept as they are.
        self.kept_actions = [
            row for row in (rule.actions if rule else []) if row.get("action") not in (*ACTION_ORDER, SET_FIELD)
        ]
        actions = [self._action_initial(row) for row in (rule.actions if rule else []) if row not in self.kept_actions]
        kwargs = {"lists": self.lists, "automation": self.automation}
        # Bound, the rows are what was posted (with spare rows added when all are used).
        self.conditions = ConditionFormSet(
            _with_spare_rows(data, "conditions"),
            prefix="conditions",
            initial=None if data is not None else conditions,
            form_kwargs=kwargs,
        )
        self.actions = ActionFormSet(
            _with_spare_rows(data, "actions"),
            prefix="actions",
            initial=None if data is not None else actions,
            form_kwargs=kwargs,
        )
        self.conditions.extra = SPARE_ROWS + (1 if not conditions and rule is None else 0)
        self.actions.extra = SPARE_ROWS
        self.problems = Problems([], [], [])

    def _condition_initial(self, row: Mapping[str, Any]) -> dict[str, Any]:
        field, value = row.get("field", ""), row.get("value")
        if field in TIME_FIELDS:
            number, unit = hours_shown(value)
            return {"field": field, "operator": row.get("operator", ""), "value": [number], "unit": unit}
        values = value if isinstance(value, list) else [] if value is None else [value]
        if field == "organisation":
            names = dict(Organisation.objects.filter(pk__in=values).values_list("pk", "name"))
            values = [names.get(pk, pk) for pk in values]
        texts = [str(item) for item in values]
        if self.lists.condition_choices(field) is None and len(texts) > 1:
            texts = [", ".join(texts)]
        return {"field": field, "operator": row.get("operator", ""), "value": texts}

    def _action_initial(self, row: Mapping[str, Any]) -> dict[str, Any]:
        action, value = row.get("action", ""), row.get("value")
        if action == SET_FIELD and isinstance(value, dict):
            wanted = value.get("value")
            listed: list[Any] = wanted if isinstance(wanted, list) else [] if wanted is None else [wanted]
            texts = ["yes" if item is True else str(item) for item in listed]
            return {"action": f"{SET_FIELD}:{value.get('field', '')}", "value": texts}
        if action in DETAIL_ACTIONS:
            return {"action": action, "value": [], **_detail_initial(action, value)}
        shown = NOBODY if value is None and action in ("set_group", "set_assignee") else value
        return {"action": action, "value": [] if shown is None else [str(shown)]}

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), self.conditions.is_valid(), self.actions.is_valid()]
        return all(valid)

    def events(self) -> list[str]:
        """The events typed (a trigger's); an automation has none. Read after is_valid."""
        return [] if self.automation else list(self.form.cleaned_data["events"])

    def match(self) -> str:
        return Match.ALL if self.automation else str(self.form.cleaned_data["match"])

    def rule_typed(self) -> Rule:
        """The rule as typed, not saved (for the dry run). Read after is_valid."""
        data = self.form.cleaned_data
        return Rule(
            pk=self.rule.pk if self.rule else None,
            kind=self.kind,
            name=data["name"],
            active=data["active"],
            events=self.events(),
            match=self.match(),
            conditions=self.conditions_json(),
            actions=self.actions_json(),
        )

    def conditions_json(self) -> list[dict[str, Any]]:
        return [row for row in (form.as_json() for form in self.conditions.forms) if row is not None]

    def actions_json(self) -> list[dict[str, Any]]:
        typed = [row for row in (form.as_json() for form in self.actions.forms) if row is not None]
        return typed + self.kept_actions

    def add_rule_errors(self, error: ValidationError) -> None:
        """What the rule's own checks said (comptoir.rules.validation), placed where it belongs on the page."""
        by_field: Mapping[str, Iterable[str]] = (
            error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        )
        for field, messages in by_field.items():
            if field in ("name", "events", "match", "active") and field in self.form.fields:
                for message in messages:
                    self.form.add_error(field, message)
            elif field == "conditions":
                self.problems.conditions.extend(messages)
            elif field == "actions":
                self.problems.actions.extend(messages)
            else:
                self.problems.other.extend(messages)

    def has_problems(self) -> bool:
        return bool(self.summary())

    def summary(self) -> list[tuple[str, str]]:
        """Each error, with the element to go to for it, for the box at the top of the page."""
        if not self.form.is_bound:
            return []
        found = [(field.auto_id, _told(field.label, error)) for field in self.form for error in field.errors]
        found += [("rule-form", str(error)) for error in self.form.non_field_errors()]
        found += [("rule-form", problem) for problem in self.problems.other]
        for number, row in enumerate(self.conditions.forms, start=1):
            for field in row:
                label = gettext("Condition %(number)s, %(field)s") % {
                    "number": number,
                    "field": _lower_first(field.label),
                }
                found += [(field.auto_id, _told(label, error)) for error in field.errors]
        found += [("conditions", problem) for problem in self.problems.conditions]
        for number, action in enumerate(self.actions.forms, start=1):
            for field in action:
                label = gettext("Action %(number)s, %(field)s") % {"number": number, "field": _lower_first(field.label)}
                found += [(field.auto_id, _told(label, error)) for error in field.errors]
        found += [("actions", problem) for problem in self.problems.actions]
        return found


def _detail_initial(action: str, value: Any) -> dict[str, Any]:
    """The inputs under the row for a saved reply, e-mail or notice."""
    value = value if isinstance(value, dict) else {}
    found: dict[str, Any] = {}
    if action == "add_reply":
        texts = value
    else:
        found = {"to": value.get("to", ""), "address": value.get("address", ""), "message": value.get("message", "")}
        if value.get("agent") is not None:
            found["agent"] = str(value["agent"])
        subjects = value.get("subject") if isinstance(value.get("subject"), dict) else {}
        found |= {f"subject_{code}": subjects.get(code, "") for code in _languages()}
        texts = value.get("body") if isinstance(value.get("body"), dict) else {}
    return found | {f"text_{code}": texts.get(code, "") for code in _languages()}


def _with_spare_rows(data: Any, prefix: str) -> Any:
    """Posted rows, plus empty ones so that the page always offers SPARE_ROWS to fill (the formset reads them)."""
    if data is None:
        return None
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = min(int(data.get(key, 0)), 50)
    except ValueError:
        return data
    empty = 0
    for index in range(total - 1, -1, -1):
        name = f"{prefix}-{index}-{'field' if prefix == 'conditions' else 'action'}"
        if data.get(name) or _filled(data.getlist(f"{prefix}-{index}-value") if hasattr(data, "getlist") else []):
            break
        empty += 1
    if empty >= SPARE_ROWS:
        return data
    data = data.copy()
    data[key] = str(total + SPARE_ROWS - empty)
    return data
