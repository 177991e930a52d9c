"""The rule page's forms: a trigger's name, events, and its rows of conditions and actions, as a person types them.

Conditions and actions are formsets with spare rows: no script is needed. Once
a row's field is known, its value is offered as a list where the field has
choices (status, priority, type, channel, language, service level, group,
assignee); until then, and for words, tags, addresses and organisations, it is
typed: "open", "Ouvert", "Billing" or an agent's name are read as the value a
rule keeps. The form says what it could not read; whether the rule makes sense
(it can match, it does not contradict itself) is comptoir.rules.validation's
word, through comptoir.rules.settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation, Role, User
from comptoir.rules.conditions import FIELDS, Op, SlaState, ValueKind, field_label, fold
from comptoir.rules.models import Match, Rule, Trigger
from comptoir.tickets.models import Channel, Priority, Status, SupportGroup, TicketType
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES

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
    }
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
    }
    return str(labels.get(action, action))


ACTION_ORDER = (
    "set_status",
    "set_priority",
    "set_type",
    "set_group",
    "set_assignee",
    "add_tags",
    "remove_tags",
    "add_note",
)
# The operator a row gets when none is chosen: what a person means by "status: open" or "subject: facture".
DEFAULT_OPERATOR = {
    ValueKind.CHOICE: Op.IS,
    ValueKind.REFERENCE: Op.IS,
    ValueKind.ADDRESS: Op.IS,
    ValueKind.TAGS: Op.CONTAINS,
    ValueKind.WORDS: Op.CONTAINS,
}
LISTS = (Op.IN, Op.NOT_IN)
# What a trigger may look at (time conditions are for automations, which these pages do not edit yet).
TRIGGER_FIELDS = [name for name, (kind, _values) in FIELDS.items() if kind in DEFAULT_OPERATOR]
OPERATORS = [Op.IS, Op.IS_NOT, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.NOT_CONTAINS, Op.IS_EMPTY, Op.IS_SET]
NO_VALUE = (Op.IS_EMPTY, Op.IS_SET)


def sla_choices() -> Choices:
    return [
        (SlaState.NONE, gettext("no clock counting")),
        (SlaState.COUNTING, gettext("counting")),
        (SlaState.BREACHED, gettext("breached")),
    ]


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
        fixed: Mapping[str, Any] = {
            "status": Status.choices,
            "priority": Priority.choices,
            "type": TicketType.choices,
            "channel": Channel.choices,
            "language": settings.LANGUAGES,
        }
        if field in fixed:
            return [(str(value), str(label)) for value, label in fixed[field]]
        if field == "sla":
            return sla_choices()
        if field == "group":
            return self.groups
        if field == "assignee":
            return self.agents
        return None

    def action_choices(self, action: str) -> Choices | None:
        if action == "set_status":
            return [(str(status), str(status.label)) for status in AGENT_SUBMIT_STATUSES]
        if action == "set_priority":
            return [(str(value), str(label)) for value, label in Priority.choices]
        if action == "set_type":
            return [(str(value), str(label)) for value, label in TicketType.choices]
        if action == "set_group":
            return [(NOBODY, gettext("No group")), *self.groups]
        if action == "set_assignee":
            return [(NOBODY, gettext("Nobody")), *self.active_agents]
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

    def __init__(self, *args: Any, lists: Lists, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lists = lists

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
            attrs["aria-describedby"] = f"{bound.auto_id}_errors"
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
        return format_html(
            '<input type="text" name="{}" id="{}" value="{}"{}>', bound.html_name, attrs["id"], text, _aria(attrs)
        )

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


def _aria(attrs: Mapping[str, str]) -> SafeString:
    extra = {key: value for key, value in attrs.items() if key.startswith("aria-")}
    return format_html_join("", ' {}="{}"', extra.items())


def _split(values: Sequence[str]) -> list[str]:
    """Several values typed in one box, comma-separated; or chosen in a list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class ConditionForm(_Row):
    KEY = "field"
    field = forms.ChoiceField(label=_("Field"), required=False)
    operator = forms.ChoiceField(label=_("Comparison"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field, operator = self.fields["field"], self.fields["operator"]
        assert isinstance(field, forms.ChoiceField) and isinstance(operator, forms.ChoiceField)
        field.choices = [("", gettext("Choose…")), *[(name, capfirst(field_label(name))) for name in TRIGGER_FIELDS]]
        operator.choices = [("", gettext("(the usual)")), *[(str(op), operator_label(op)) for op in OPERATORS]]

    def choices(self) -> Choices | None:
        return self.lists.condition_choices(self.chosen())

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
        kind, _values = FIELDS[field]
        operator = operator or DEFAULT_OPERATOR[kind]
        value = self._read(field, kind, operator, typed)
        if not self.errors:
            cleaned["json"] = {"field": field, "operator": operator, "value": value}
        return cleaned

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


class ActionForm(_Row):
    KEY = "action"
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", gettext("Choose…")), *[(name, action_label(name)) for name in ACTION_ORDER]]

    def choices(self) -> Choices | None:
        return self.lists.action_choices(self.chosen())

    def long_text(self) -> bool:
        return self.chosen() == "add_note"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        action = cleaned.get("action", "")
        raw = [str(value) for value in cleaned.get("value") or []]
        typed = _filled(raw)
        if not action:
            if typed:
                self.add_error("action", gettext("Choose what the rule does, or clear the row."))
            return cleaned
        value: Any
        if action == "add_note":
            value = "\n".join(raw).strip()
        elif action in ("add_tags", "remove_tags"):
            value = " ".join(" ".join(typed).split())
        elif not typed:
            self.add_error("value", gettext("Choose the value it sets."))
            return cleaned
        elif len(typed) > 1:
            self.add_error("value", gettext("Choose one value."))
            return cleaned
        elif action in ("set_group", "set_assignee"):
            nobody = typed[0] == NOBODY or _same(typed[0], NOBODY, (self.choices() or [("", "")])[0][1])
            value = None if nobody else self._reference(typed[0], "group" if action == "set_group" else "assignee")
        else:
            value = self._one_of(typed[0], self.choices() or [], action_label(action).lower())
        if not self.errors:
            cleaned["json"] = {"action": action, "value": value}
        return cleaned


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0)
ActionFormSet = forms.formset_factory(ActionForm, extra=0)
SPARE_ROWS = 2


def _told(label: object, error: object) -> str:
    """An error as the box at the top of a page lists it: "Name: This field is required." """
    return gettext("%(field)s: %(error)s") % {"field": label, "error": error}


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


@dataclass
class Problems:
    """What comptoir.rules.validation says about the rule as a whole, by part of the page."""

    conditions: list[str]
    actions: list[str]
    other: list[str]


class RuleForms:
    """Everything the rule page asks: the rule's fields, its conditions, its actions."""

    def __init__(self, data: Any = None, *, rule: Rule | None = None, lists: Lists | None = None) -> None:
        self.rule = rule
        self.lists = lists or Lists()
        initial = (
            {"name": rule.name, "active": rule.active, "events": rule.events, "match": rule.match}
            if rule is not None
            else {"active": True, "events": [Trigger.CREATED], "match": Match.ALL}
        )
        self.form = RuleForm(data, initial=initial)
        conditions = [self._condition_initial(row) for row in (rule.conditions if rule else [])]
        # Actions this page does not write yet (a public reply by language) are kept as they are.
        self.kept_actions = [row for row in (rule.actions if rule else []) if row.get("action") not in ACTION_ORDER]
        actions = [self._action_initial(row) for row in (rule.actions if rule else []) if row not in self.kept_actions]
        kwargs = {"lists": self.lists}
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
        values = value if isinstance(value, list) else [] if value is None else [value]
        if field == "organisation":
            names = dict(Organisation.objects.filter(pk__in=values).values_list("pk", "name"))
            values = [names.get(pk, pk) for pk in values]
        texts = [str(item) for item in values]
        if self.lists.condition_choices(field) is None and len(texts) > 1:
            texts = [", ".join(texts)]
        return {"field": field, "operator": row.get("operator", ""), "value": texts}

    def _action_initial(self, row: Mapping[str, Any]) -> dict[str, Any]:
        value = row.get("value")
        shown = NOBODY if value is None and row.get("action") in ("set_group", "set_assignee") else value
        return {"action": row.get("action", ""), "value": [] if shown is None else [str(shown)]}

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), self.conditions.is_valid(), self.actions.is_valid()]
        return all(valid)

    def rule_typed(self) -> Rule:
        """The rule as typed, not saved (for the dry run). Read after is_valid."""
        data = self.form.cleaned_data
        return Rule(
            pk=self.rule.pk if self.rule else None,
            name=data["name"],
            active=data["active"],
            events=data["events"],
            match=data["match"],
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
            if field in ("name", "events", "match", "active"):
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
                label = gettext("Condition %(number)s, %(field)s") % {"number": number, "field": field.label.lower()}
                found += [(field.auto_id, _told(label, error)) for error in field.errors]
        found += [("conditions", problem) for problem in self.problems.conditions]
        for number, action in enumerate(self.actions.forms, start=1):
            for field in action:
                label = gettext("Action %(number)s, %(field)s") % {"number": number, "field": field.label.lower()}
                found += [(field.auto_id, _told(label, error)) for error in field.errors]
        found += [("actions", problem) for problem in self.problems.actions]
        return found


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
