"""Business rules in the workspace settings, for administrators: triggers and automations listed in order,
written, tried, explained.

Each page reads its form and calls one action of comptoir.rules.settings; the
dry run ("Try it") and "why did it not fire" read, and write nothing. Triggers
and automations share the pages: an automation's has no events, and its time
conditions; it is tried on the tickets its next run would act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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
from comptoir.core.typography import colon
from comptoir.rules import settings as rule_settings
from comptoir.rules.actions import PLACEHOLDERS
from comptoir.rules.conditions import FIELDS, Op, ValueKind, field_label
from comptoir.rules.engine import WouldChange, dry_run, dry_run_tickets
from comptoir.rules.models import Outcome, Rule, RuleKind, RuleRun, RunWarning, Trigger
from comptoir.rules.validation import rule_errors
from comptoir.ticketforms import predicates, validation
from comptoir.ticketforms.models import TicketField
from comptoir.tickets.models import Status, SupportGroup, Ticket
from comptoir.webhooks.models import Webhook
from comptoir.workspace.access import admin_required
from comptoir.workspace.rules_settings_forms import (
    DETAIL_ACTIONS,
    LISTS,
    TIME_FIELD_NAMES,
    RuleForms,
    action_label,
    fixed_choices,
    hours_words,
    operator_label,
)

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
    webhooks: dict[int, str] = field(default_factory=dict)
    # Ticket fields by key (comptoir.ticketforms), for their labels and their values' labels.
    fields: dict[str, TicketField] = field(default_factory=dict)

    @classmethod
    def of(cls, conditions: Iterable[Mapping[str, Any]], actions: Iterable[Mapping[str, Any]]) -> Names:
        """One query per kind named, none when nothing is: a page of rules costs at most five."""
        conditions, actions = list(conditions), list(actions)
        wanted: dict[str, set[int]] = {"group": set(), "assignee": set(), "organisation": set(), "webhook": set()}
        keys = predicates.keys_named(conditions) | {
            row["value"]["field"]
            for row in actions
            if row.get("action") == "set_field" and isinstance(row.get("value"), dict) and "field" in row["value"]
        }
        for row in conditions:
            if row.get("field") in wanted:
                wanted[row["field"]].update(_ids(row.get("value")))
        for row in actions:
            if row.get("action") in ("set_group", "set_assignee"):
                wanted[row["action"][4:]].update(_ids(row.get("value")))
            value = row.get("value")
            if row.get("action") == "notify_agents" and isinstance(value, dict) and value.get("to") == "agent":
                wanted["assignee"].update(_ids(value.get("agent")))
            if row.get("action") == "call_webhook":
                wanted["webhook"].update(_ids(value))
        return cls.for_ids(
            groups=wanted["group"],
            agents=wanted["assignee"],
            organisations=wanted["organisation"],
            webhooks=wanted["webhook"],
            fields=keys,
        )

    @classmethod
    def for_ids(
        cls,
        *,
        groups: set[int],
        agents: set[int],
        organisations: Iterable[int] = (),
        webhooks: Iterable[int] = (),
        fields: Iterable[str] = (),
    ) -> Names:
        names = cls(fields=predicates.fields_by_key(set(fields)))
        if webhooks:
            names.webhooks = {
                pk: description or url
                for pk, description, url in Webhook.objects.filter(pk__in=webhooks).values_list(
                    "pk", "description", "url"
                )
            }
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
        found = {
            "group": self.groups,
            "assignee": self.agents,
            "organisation": self.organisations,
            "webhook": self.webhooks,
        }[what].get(value)
        return found if found is not None else gettext("#%(id)s (gone)") % {"id": value}

    def field_label(self, key: str) -> str:
        found = self.fields.get(key)
        return found.label if found is not None else gettext("%(key)s (deleted)") % {"key": key}

    def field_value(self, key: str, value: Any) -> str:
        """A value of a ticket field as people read it (a choice's label in the reader's language)."""
        found = self.fields.get(key)
        if value is None:
            return "—"
        return validation.shown(found, value) if found is not None else str(value)


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, int) and not isinstance(item, bool)]


def _choice_label(field: str, value: Any) -> str:
    return str(dict(fixed_choices(field) or []).get(str(value), value))


def _quoted(text: str) -> str:
    return gettext("“%(text)s”") % {"text": text}


def _time_words(field: str, operator: str, value: Any) -> str:
    """ "in the current status for at least 3 days", "service level due in less than 2 hours"."""
    at_least = operator == Op.AT_LEAST
    sentences = {
        "hours_since_created": (gettext("created at least %(time)s ago"), gettext("created less than %(time)s ago")),
        "hours_in_status": (
            gettext("in the current status for at least %(time)s"),
            gettext("in the current status for less than %(time)s"),
        ),
        "hours_since_requester_message": (
            gettext("the requester's last message at least %(time)s ago"),
            gettext("the requester's last message less than %(time)s ago"),
        ),
        "hours_since_agent_message": (
            gettext("an agent's last reply at least %(time)s ago"),
            gettext("an agent's last reply less than %(time)s ago"),
        ),
        "hours_since_sla_due": (
            gettext("service level overdue by at least %(time)s"),
            gettext("service level overdue by less than %(time)s"),
        ),
        "hours_until_sla_due": (
            gettext("service level due in at least %(time)s"),
            gettext("service level due in less than %(time)s"),
        ),
    }
    if field not in sentences or operator not in (Op.AT_LEAST, Op.LESS_THAN):
        return gettext("%(field)s %(operator)s %(value)s") % {
            "field": field_label(field),
            "operator": operator_label(operator),
            "value": value,
        }
    return sentences[field][0 if at_least else 1] % {"time": hours_words(value)}


def condition_words(condition: Mapping[str, Any], names: Names) -> str:
    """ "subject contains “facture”", "status is one of Open, Pending", "assignee is empty", "created at least…"."""
    name, operator, value = condition.get("field", ""), condition.get("operator", ""), condition.get("value")
    key = predicates.key_of(name)
    if key is not None:
        # A ticket field: “Plan” is one of Pro, Team; “Seats” is greater than 50; “VIP” is checked.
        said = {"field": _quoted(names.field_label(key)), "operator": predicates.operator_label(operator)}
        if operator in predicates.NO_VALUE:
            return gettext("%(field)s %(operator)s") % said
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(names.field_value(key, item) for item in values)
        return gettext("%(field)s %(operator)s %(value)s") % {**said, "value": shown}
    said = {"field": field_label(name), "operator": operator_label(operator)}
    if operator in (Op.IS_EMPTY, Op.IS_SET):
        return gettext("%(field)s %(operator)s") % said
    kind = FIELDS[name][0] if name in FIELDS else ValueKind.WORDS
    if kind is ValueKind.HOURS:
        return _time_words(name, operator, value)
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
        return gettext("reply to the requester: %(reply)s") % {"reply": _quoted(_in_reader_language(value, 60))}
    if name == "send_email" and isinstance(value, dict):
        subject = value.get("subject") if isinstance(value.get("subject"), dict) else {}
        return gettext("send an e-mail to %(recipient)s: %(subject)s") % {
            "recipient": _recipient_words(value, names),
            "subject": _quoted(_in_reader_language(subject or {}, 60)),
        }
    if name == "notify_agents" and isinstance(value, dict):
        told = gettext("notify %(recipient)s") % {"recipient": _recipient_words(value, names)}
        message = str(value.get("message") or "").strip()
        return f"{told}{colon()} {_quoted(Truncator(message).chars(60))}" if message else told
    if name == "call_webhook":
        return gettext("call the webhook %(webhook)s") % {"webhook": _quoted(names.of_id("webhook", value))}
    if name == "set_field" and isinstance(value, dict):
        key = str(value.get("field", ""))
        if value.get("value") is None:
            return gettext("clear the field %(field)s") % {"field": _quoted(names.field_label(key))}
        return gettext("set the field %(field)s to %(value)s") % {
            "field": _quoted(names.field_label(key)),
            "value": names.field_value(key, value.get("value")),
        }
    return action_label(name)


def _in_reader_language(texts: Mapping[str, Any], length: int) -> str:
    """A text typed by language, in the reader's (else the first written), cut to ``length`` characters."""
    text = texts.get(get_language() or "") or next((text for text in texts.values() if text), "")
    return Truncator(str(text)).chars(length)


def _recipient_words(value: Mapping[str, Any], names: Names) -> str:
    """Whom an e-mail or a notice goes to: "the requester", "billing@example.org", "Camille"."""
    to = value.get("to")
    if to == "address":
        return str(value.get("address") or "")
    if to == "agent":
        return names.of_id("assignee", value.get("agent"))
    words = {
        "requester": gettext("the requester"),
        "assignee": gettext("the assignee"),
        "group": gettext("the group's agents"),
    }
    return words.get(str(to), str(to))


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
        elif key == "reply":
            lines.append(gettext("public reply: %(reply)s") % {"reply": _quoted(Truncator(str(change)).chars(80))})
            continue
        elif key == "emails":
            lines += [
                gettext("e-mail to %(recipient)s: %(subject)s")
                % {"recipient": _recipient_words(row, names), "subject": _quoted(str(row.get("subject") or ""))}
                for row in change
                if isinstance(row, dict)
            ]
            continue
        elif key == "webhooks":
            lines += [
                gettext("webhook called: %(webhook)s") % {"webhook": _quoted(names.of_id("webhook", webhook_id))}
                for webhook_id in _ids(change)
            ]
            continue
        elif (field_key := predicates.key_of(key)) is not None:
            lines.append(
                gettext("%(field)s: %(old)s → %(new)s")
                % {
                    "field": names.field_label(field_key),
                    "old": names.field_value(field_key, change[0]),
                    "new": names.field_value(field_key, change[1]),
                }
            )
            continue
        elif key == "notices":
            lines += [
                gettext("notify %(recipient)s") % {"recipient": _recipient_words(row, names)}
                for row in change
                if isinstance(row, dict)
            ]
            continue
        else:
            continue
        lines.append(gettext("%(field)s: %(old)s → %(new)s") % {"field": field_label(key), "old": old, "new": new})
    return lines


def _names_of_changes(runs: Iterable[Mapping[str, Any]]) -> Names:
    groups: set[int] = set()
    agents: set[int] = set()
    webhooks: set[int] = set()
    keys: set[str] = set()
    for changes in runs:
        keys.update(key for name in changes if (key := predicates.key_of(name)))
        groups.update(_ids(changes.get("group", [])))
        agents.update(_ids(changes.get("assignee", [])))
        webhooks.update(_ids(changes.get("webhooks", [])))
        for notice in changes.get("notices", []):
            if isinstance(notice, dict) and notice.get("to") == "agent":
                agents.update(_ids(notice.get("agent")))
    return Names.for_ids(groups=groups, agents=agents, webhooks=webhooks, fields=keys)


# --- The list ------------------------------------------------------------------------------------


@require_GET
@admin_required
def rules_settings(request: HttpRequest) -> HttpResponse:
    """The triggers, then the automations, each in the order they run, with what each did lately."""
    since = timezone.now() - timedelta(days=FIRED_DAYS)
    fired = Q(runs__outcome=Outcome.FIRED)
    # Both kinds in one query, each kept in its own order.
    rules = list(
        Rule.objects.annotate(
            last_fired=Max("runs__created_at", filter=fired),
            fired_recently=Count("runs", filter=fired & Q(runs__created_at__gte=since)),
        ).order_by("position", "id")
    )
    names = Names.of(
        [row for rule in rules for row in rule.conditions or []],
        [row for rule in rules for row in rule.actions or []],
    )
    events = dict(Trigger.choices)

    def rows(kind: str) -> list[dict[str, Any]]:
        return [
            {
                "rule": rule,
                "events": [str(events.get(event, event)) for event in rule.events or []],
                "conditions": [condition_words(row, names) for row in rule.conditions or []],
                "actions": [action_words(row, names) for row in rule.actions or []],
            }
            for rule in rules
            if rule.kind == kind
        ]

    context = {
        "triggers": rows(RuleKind.TRIGGER),
        "automations": rows(RuleKind.AUTOMATION),
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
    """What "Try it" found: how many tickets it looked at, and those the rule as typed matches.

    A trigger looks at the recent tickets as if each had just been created; an automation at those
    its next run would read (past its time conditions, not acted on in their current period).
    """

    automation: bool
    looked_at: int
    matched: int
    rows: list[TrialRow]
    days: int = DRY_RUN_DAYS
    limit: int = DRY_RUN_LIMIT


def trial_of(rule: Rule) -> Trial:
    automation = rule.kind == RuleKind.AUTOMATION
    found: list[WouldChange]
    if automation:
        tried = rule_settings.automation_dry_run(rule, limit=DRY_RUN_LIMIT)
        looked_at, found = tried.looked_at, tried.found
    else:
        tickets = dry_run_tickets(limit=DRY_RUN_LIMIT, days=DRY_RUN_DAYS)
        looked_at, found = len(tickets), dry_run(rule, tickets)
    names = _names_of_changes(row.plan.changes for row in found[:DRY_RUN_SHOWN])
    rows = [TrialRow(row.ticket, changes_words(row.plan.changes, names)) for row in found[:DRY_RUN_SHOWN]]
    return Trial(automation=automation, looked_at=looked_at, matched=len(found), rows=rows)


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
    acted_this_period: bool = False


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
    names.fields |= more.fields
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
    shown.acted_this_period = why.acted_this_period
    return shown


def _reference(raw: str) -> int | None:
    raw = raw.strip().lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _rule_page(request: HttpRequest, rule: Rule | None, *, kind: str = RuleKind.TRIGGER) -> HttpResponse:
    forms = RuleForms(request.POST if request.method == "POST" else None, rule=rule, kind=kind)
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
                    kind=forms.kind,
                    name=data["name"],
                    active=data["active"],
                    events=forms.events(),
                    match=forms.match(),
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
        "automation": forms.automation,
        "forms": forms,
        "summary": summary,
        "trial": trial,
        "why": why if why is not None and why.ticket is not None else None,
        "why_error": why_error,
        "asked": asked or "",
        "events": [str(label) for value, label in Trigger.choices if rule is not None and value in rule.events],
        "kept_actions": [action_words(row, Names()) for row in forms.kept_actions],
        "list_operators": [str(op) for op in LISTS],
        "detail_actions": " ".join(DETAIL_ACTIONS),
        "time_fields": TIME_FIELD_NAMES,
        "placeholders": PLACEHOLDERS,
    }
    return render(request, "workspace/settings/rule.html", context, status=400 if summary else 200)


def _rule_or_404(rule_id: int) -> Rule:
    return get_object_or_404(Rule, pk=rule_id)


@require_http_methods(["GET", "POST"])
@admin_required
def rule_new(request: HttpRequest) -> HttpResponse:
    """A new trigger."""
    return _rule_page(request, None)


@require_http_methods(["GET", "POST"])
@admin_required
def automation_new(request: HttpRequest) -> HttpResponse:
    """A new automation."""
    return _rule_page(request, None, kind=RuleKind.AUTOMATION)


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
    """GET asks to confirm; POST deletes the rule. A default rule is turned off, not deleted."""
    rule = _rule_or_404(rule_id)
    if rule.built_in:
        messages.error(request, gettext("A default rule is not deleted: turn it off instead."))
        return redirect("agent_rule", rule.pk)
    if request.method == "POST":
        rule_settings.rule_delete(rule)
        messages.success(request, gettext("The rule “%(name)s” is deleted.") % {"name": rule.name})
        return redirect("agent_rules_settings")
    fired = RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count()
    return render(request, "workspace/settings/rule_delete.html", {"rule": rule, "fired": fired})
