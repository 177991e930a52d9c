"""Business rules in the workspace settings, for administrators: triggers listed in order, written, tried, explained.

Each page reads its form and calls one action of comptoir.rules.settings; the
dry run ("Try it") and "why did it not fire" read, and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.accounts.models import Organisation, User
from comptoir.rules import settings as rule_settings
from comptoir.rules.conditions import FIELDS, Op, ValueKind, field_label
from comptoir.rules.engine import dry_run, dry_run_tickets
from comptoir.rules.models import Outcome, Rule, RuleKind, RuleRun, RunWarning, Trigger
from comptoir.rules.validation import rule_errors
from comptoir.tickets.models import Channel, Priority, Status, SupportGroup, Ticket, TicketType
from comptoir.workspace.access import admin_required
from comptoir.workspace.rules_settings_forms import LISTS, RuleForms, action_label, operator_label, sla_choices

# The dry run looks at the tickets created in the last DRY_RUN_DAYS days, at most DRY_RUN_LIMIT of them.
DRY_RUN_LIMIT = 1000
DRY_RUN_DAYS = 30
# The page lists this many of the tickets it would have matched; the others are counted.
DRY_RUN_SHOWN = 100
# "Fired N times" counts this many days back.
FIRED_DAYS = 30


# --- Rules in words ------------------------------------------------------------------------------


@dataclass
class Names:
    """The names of the groups, agents and organisations rules refer to by id."""

    groups: dict[int, str] = field(default_factory=dict)
    agents: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, conditions: Iterable[Mapping[str, Any]], actions: Iterable[Mapping[str, Any]]) -> Names:
        """One query per kind named, none when nothing is: a page of rules costs at most three."""
        wanted: dict[str, set[int]] = {"group": set(), "assignee": set(), "organisation": set()}
        for row in conditions:
            if row.get("field") in wanted:
                wanted[row["field"]].update(_ids(row.get("value")))
        for row in actions:
            if row.get("action") in ("set_group", "set_assignee"):
                wanted[row["action"][4:]].update(_ids(row.get("value")))
        return cls.for_ids(groups=wanted["group"], agents=wanted["assignee"], organisations=wanted["organisation"])

    @classmethod
    def for_ids(cls, *, groups: set[int], agents: set[int], organisations: Iterable[int] = ()) -> Names:
        names = cls()
        if groups:
            names.groups = dict(SupportGroup.objects.filter(pk__in=groups).values_list("pk", "name"))
        if agents:
            names.agents = {
                pk: name or email
                for pk, name, email in User.objects.filter(pk__in=agents).values_list("pk", "name", "email")
            }
        if organisations:
            names.organisations = dict(Organisation.objects.filter(pk__in=organisations).values_list("pk", "name"))
        return names

    def of_id(self, what: str, value: Any) -> str:
        if value is None:
            return gettext("nobody") if what == "assignee" else gettext("no group")
        found = {"group": self.groups, "assignee": self.agents, "organisation": self.organisations}[what].get(value)
        return found if found is not None else gettext("#%(id)s (gone)") % {"id": value}


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, int) and not isinstance(item, bool)]


def _choice_label(field: str, value: Any) -> str:
    choices: Mapping[str, Any] = {
        "status": Status.choices,
        "priority": Priority.choices,
        "type": TicketType.choices,
        "channel": Channel.choices,
        "language": settings.LANGUAGES,
        "sla": sla_choices(),
    }
    return str(dict(choices.get(field, [])).get(value, value))


def _quoted(text: str) -> str:
    return gettext("“%(text)s”") % {"text": text}


def condition_words(condition: Mapping[str, Any], names: Names) -> str:
    """ "subject contains “facture”", "status is one of Open, Pending", "assignee is empty"."""
    name, operator, value = condition.get("field", ""), condition.get("operator", ""), condition.get("value")
    said = {"field": field_label(name), "operator": operator_label(operator)}
    if operator in (Op.IS_EMPTY, Op.IS_SET):
        return gettext("%(field)s %(operator)s") % said
    kind = FIELDS[name][0] if name in FIELDS else ValueKind.WORDS
    values = value if isinstance(value, list) else [value]
    if kind in (ValueKind.WORDS, ValueKind.TAGS, ValueKind.ADDRESS):
        shown = ", ".join(_quoted(str(item)) for item in values)
    elif kind is ValueKind.REFERENCE:
        shown = ", ".join(names.of_id(name, item) for item in values)
    else:
        shown = ", ".join(_choice_label(name, item) for item in values)
    return gettext("%(field)s %(operator)s %(value)s") % {**said, "value": shown}


def action_words(action: Mapping[str, Any], names: Names) -> str:
    name, value = action.get("action", ""), action.get("value")
    if name == "set_group":
        if value is None:
            return gettext("take the group away")
        return gettext("set the group to %(group)s") % {"group": names.of_id("group", value)}
    if name == "set_assignee":
        if value is None:
            return gettext("unassign")
        return gettext("assign to %(agent)s") % {"agent": names.of_id("assignee", value)}
    if name in ("set_status", "set_priority", "set_type"):
        field_name = name[4:]
        return gettext("set the %(field)s to %(value)s") % {
            "field": field_label(field_name),
            "value": _choice_label(field_name, value),
        }
    if name == "add_tags":
        return gettext("add the tags %(tags)s") % {"tags": value}
    if name == "remove_tags":
        return gettext("remove the tags %(tags)s") % {"tags": value}
    if name == "add_note":
        return gettext("add an internal note: %(note)s") % {"note": _quoted(Truncator(str(value)).chars(60))}
    if name == "add_reply" and isinstance(value, dict) and value:
        text = value.get(get_language() or "", "") or next(iter(value.values()))
        return gettext("reply to the requester: %(reply)s") % {"reply": _quoted(Truncator(str(text)).chars(60))}
    return action_label(name)


def changes_words(changes: Mapping[str, Any], names: Names) -> list[str]:
    """What a rule changed (a RuleRun's ``changes``, a dry run's plan), one line each: "group: none → Billing"."""
    lines = []
    for key, change in changes.items():
        if key in ("group", "assignee"):
            old, new = (names.of_id(key, value) for value in change)
        elif key in ("status", "priority", "type"):
            old, new = (_choice_label(key, value) for value in change)
        elif key == "tags_added":
            lines.append(gettext("tags added: %(tags)s") % {"tags": ", ".join(change)})
            continue
        elif key == "tags_removed":
            lines.append(gettext("tags removed: %(tags)s") % {"tags": ", ".join(change)})
            continue
        elif key == "note":
            lines.append(gettext("internal note: %(note)s") % {"note": _quoted(Truncator(str(change)).chars(80))})
            continue
        else:
            continue
        lines.append(gettext("%(field)s: %(old)s → %(new)s") % {"field": field_label(key), "old": old, "new": new})
    return lines


def _names_of_changes(runs: Iterable[Mapping[str, Any]]) -> Names:
    groups: set[int] = set()
    agents: set[int] = set()
    for changes in runs:
        groups.update(_ids(changes.get("group", [])))
        agents.update(_ids(changes.get("assignee", [])))
    return Names.for_ids(groups=groups, agents=agents)


# --- The list ------------------------------------------------------------------------------------


@require_GET
@admin_required
def rules_settings(request: HttpRequest) -> HttpResponse:
    """The triggers in the order they run, with what each did lately."""
    since = timezone.now() - timedelta(days=FIRED_DAYS)
    fired = Q(runs__outcome=Outcome.FIRED)
    rules = list(
        Rule.objects.filter(kind=RuleKind.TRIGGER)
        .annotate(
            last_fired=Max("runs__created_at", filter=fired),
            fired_recently=Count("runs", filter=fired & Q(runs__created_at__gte=since)),
        )
        .order_by("position", "id")
    )
    names = Names.of(
        [row for rule in rules for row in rule.conditions or []],
        [row for rule in rules for row in rule.actions or []],
    )
    events = dict(Trigger.choices)
    context = {
        "rows": [
            {
                "rule": rule,
                "events": [str(events.get(event, event)) for event in rule.events or []],
                "conditions": [condition_words(row, names) for row in rule.conditions or []],
                "actions": [action_words(row, names) for row in rule.actions or []],
            }
            for rule in rules
        ],
        "fired_days": FIRED_DAYS,
    }
    return render(request, "workspace/settings/rules.html", context)


# --- One rule ------------------------------------------------------------------------------------


@dataclass
class TrialRow:
    ticket: Ticket
    changes: list[str]


@dataclass
class Trial:
    """What "Try it" found: how many tickets it looked at, and those the rule as typed matches."""

    looked_at: int
    matched: int
    rows: list[TrialRow]
    days: int = DRY_RUN_DAYS
    limit: int = DRY_RUN_LIMIT


def trial_of(rule: Rule) -> Trial:
    tickets = dry_run_tickets(limit=DRY_RUN_LIMIT, days=DRY_RUN_DAYS)
    found = dry_run(rule, tickets)
    names = _names_of_changes(row.plan.changes for row in found[:DRY_RUN_SHOWN])
    rows = [TrialRow(row.ticket, changes_words(row.plan.changes, names)) for row in found[:DRY_RUN_SHOWN]]
    return Trial(looked_at=len(tickets), matched=len(found), rows=rows)


@dataclass
class WhyShown:
    """ "Why did this rule not fire on #N?" in words."""

    reference: int
    ticket: Ticket | None = None
    left_alone: bool = False
    last_run: RuleRun | None = None
    last_failed: str = ""
    last_changes: list[str] = field(default_factory=list)
    last_warning: str = ""
    matches_now: bool = False
    failed_now: str = ""
    would_change: list[str] = field(default_factory=list)


def why_of(rule: Rule, reference: int) -> WhyShown:
    shown = WhyShown(reference=reference)
    ticket = Ticket.objects.filter(pk=Ticket.pk_from_reference(reference)).first()
    if ticket is None:
        return shown
    why = rule_settings.rule_why(rule, ticket)
    run = why.last_run
    changes = [dict(run.changes) if run else {}, dict(why.would.changes) if why.would else {}]
    names = Names.of(
        [row for row in (rule.conditions or []) if isinstance(row, dict)]
        + ([run.failed_condition] if run and run.failed_condition else []),
        [],
    )
    more = _names_of_changes(changes)
    names.groups |= more.groups
    names.agents |= more.agents
    shown.ticket = ticket
    shown.left_alone = ticket.status == Status.CLOSED or ticket.spam or ticket.merged_into_id is not None
    shown.last_run = run
    if run is not None:
        shown.last_failed = condition_words(run.failed_condition, names) if run.failed_condition else ""
        shown.last_changes = changes_words(changes[0], names)
        shown.last_warning = str(RunWarning(run.warning).label) if run.warning else ""
    shown.matches_now = why.now.matched
    shown.failed_now = condition_words(why.now.first_failed.as_json(), names) if why.now.first_failed else ""
    shown.would_change = changes_words(changes[1], names)
    return shown


def _reference(raw: str) -> int | None:
    raw = raw.strip().lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _rule_page(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    forms = RuleForms(request.POST if request.method == "POST" else None, rule=rule)
    trial: Trial | None = None
    trying = request.method == "POST" and "try" in request.POST
    if request.method == "POST" and forms.is_valid():
        if trying:
            # Checked as a save would be, and written nowhere: the dry run reads only.
            typed = forms.rule_typed()
            errors = rule_errors(typed)
            if errors:
                forms.add_rule_errors(ValidationError(errors))
            else:
                trial = trial_of(typed)
        else:
            data = forms.form.cleaned_data
            try:
                saved = rule_settings.rule_save(
                    rule,
                    name=data["name"],
                    active=data["active"],
                    events=data["events"],
                    match=data["match"],
                    conditions=forms.conditions_json(),
                    actions=forms.actions_json(),
                )
            except ValidationError as error:
                forms.add_rule_errors(error)
            else:
                messages.success(request, gettext("The rule “%(name)s” is saved.") % {"name": saved.name})
                return redirect(f"{reverse('agent_rules_settings')}#rule-{saved.pk}")
    why: WhyShown | None = None
    why_error = ""
    asked = request.GET.get("ticket")
    if rule is not None and asked is not None:
        reference = _reference(asked)
        if reference is None:
            why_error = gettext("Give a ticket number, such as 1042.")
        else:
            why = why_of(rule, reference)
            if why.ticket is None:
                why_error = gettext("No ticket has the number #%(reference)s.") % {"reference": reference}
    summary = forms.summary()
    context = {
        "rule": rule,
        "forms": forms,
        "summary": summary,
        "trial": trial,
        "why": why if why is not None and why.ticket is not None else None,
        "why_error": why_error,
        "asked": asked or "",
        "events": [str(label) for value, label in Trigger.choices if rule is not None and value in rule.events],
        "kept_actions": [action_words(row, Names()) for row in forms.kept_actions],
        "list_operators": [str(op) for op in LISTS],
    }
    return render(request, "workspace/settings/rule.html", context, status=400 if summary else 200)


def _rule_or_404(rule_id: int) -> Rule:
    # Triggers only: automations (on time) are not edited here yet.
    return get_object_or_404(Rule, pk=rule_id, kind=RuleKind.TRIGGER)


@require_http_methods(["GET", "POST"])
@admin_required
def rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@require_http_methods(["GET", "POST"])
@admin_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    return _rule_page(request, _rule_or_404(rule_id))


@require_POST
@admin_required
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    """One place up or down the order in which rules run."""
    rule = _rule_or_404(rule_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(gettext("Move up or down."))
    rule_settings.rule_move(rule, up=direction == "up")
    return redirect(f"{reverse('agent_rules_settings')}#rule-{rule.pk}")


@require_POST
@admin_required
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Turn a rule on or off from the list."""
    rule = _rule_or_404(rule_id)
    active = request.POST.get("active") == "1"
    try:
        rule_settings.rule_toggle(rule, active=active)
    except ValidationError as error:
        problems = " ".join(error.messages)
        messages.error(
            request,
            gettext("“%(name)s” cannot be turned on: %(problems)s") % {"name": rule.name, "problems": problems},
        )
    else:
        text = gettext("“%(name)s” is on.") if active else gettext("“%(name)s” is off.")
        messages.success(request, text % {"name": rule.name})
    return redirect(f"{reverse('agent_rules_settings')}#rule-{rule.pk}")


@require_http_methods(["GET", "POST"])
@admin_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    """GET asks to confirm; POST deletes the rule."""
    rule = _rule_or_404(rule_id)
    if request.method == "POST":
        rule_settings.rule_delete(rule)
        messages.success(request, gettext("The rule “%(name)s” is deleted.") % {"name": rule.name})
        return redirect("agent_rules_settings")
    fired = RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count()
    return render(request, "workspace/settings/rule_delete.html", {"rule": rule, "fired": fired})
