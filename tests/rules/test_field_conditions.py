"""Ticket fields in business rules: conditions by kind, the "set a field" action, validation, a deleted field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from comptoir.rules.automations import automations_run, candidates
from comptoir.rules.engine import dry_run, rule_last_run, rules_run
from comptoir.rules.models import Outcome, Rule, RuleRun, RunWarning
from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField
from comptoir.ticketforms.predicates import FieldOp, holds
from comptoir.ticketforms.services import ticket_values_record, ticket_values_update
from comptoir.tickets.models import EventKind, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def make_field(key: str, kind: str = FieldKind.TEXT, **extra: Any) -> TicketField:
    return TicketField.objects.create(key=key, kind=kind, label_en=key.replace("_", " ").title(), **extra)


@pytest.fixture
def fields(db) -> dict[str, TicketField]:
    return {
        "order": make_field("order_number", FieldKind.PATTERN, pattern=r"CMD-\d{6}", label_fr="Numéro de commande"),
        "seats": make_field("seats", FieldKind.NUMBER),
        "amount": make_field("amount", FieldKind.DECIMAL),
        "since": make_field("since", FieldKind.DATE),
        "plan": make_field("plan", FieldKind.DROPDOWN, choices=[["pro", "Pro", "Pro"], ["free", "Gratuit", "Free"]]),
        "apps": make_field("apps", FieldKind.MULTI_SELECT, choices=[["web", "Web", "Web"], ["ios", "iOS", "iOS"]]),
        "vip": make_field("vip", FieldKind.CHECKBOX),
        "notes": make_field("notes", FieldKind.LONG_TEXT),
    }


def created_with(make_ticket, values: dict[TicketField, Any], **extra: Any) -> Ticket:
    """A new ticket with its customer's values, in one transaction as the Help Center form writes them."""
    with transaction.atomic():
        ticket = make_ticket(**extra)
        ticket_values_record(ticket=ticket, values=values)
    return ticket


def tags(ticket: Ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("kind", "operator", "expected", "actual", "result"),
    [
        (FieldKind.TEXT, FieldOp.IS, "Acme", "acme", True),
        (FieldKind.TEXT, FieldOp.IS_NOT, "Acme", None, True),
        (FieldKind.TEXT, FieldOp.CONTAINS, "cme", "ACME", True),
        (FieldKind.TEXT, FieldOp.CONTAINS, "cme", None, False),
        (FieldKind.NUMBER, FieldOp.GREATER_THAN, 9, 10, True),
        (FieldKind.NUMBER, FieldOp.LESS_THAN, 9, 10, False),
        (FieldKind.NUMBER, FieldOp.LESS_THAN, 9, None, False),
        (FieldKind.DECIMAL, FieldOp.IS, "12.5", "12.50", True),
        (FieldKind.DATE, FieldOp.LESS_THAN, "2026-02-01", "2026-01-31", True),
        (FieldKind.DROPDOWN, FieldOp.IN, ["pro", "team"], "pro", True),
        (FieldKind.DROPDOWN, FieldOp.IS_NOT, "pro", "free", True),
        (FieldKind.MULTI_SELECT, FieldOp.INCLUDES, "web", ["ios", "web"], True),
        (FieldKind.MULTI_SELECT, FieldOp.EXCLUDES, "web", ["ios"], True),
        (FieldKind.MULTI_SELECT, FieldOp.EXCLUDES, "web", None, True),
        (FieldKind.CHECKBOX, FieldOp.CHECKED, None, True, True),
        (FieldKind.CHECKBOX, FieldOp.NOT_CHECKED, None, None, True),
        (FieldKind.CHECKBOX, FieldOp.CHECKED, None, None, False),
        (FieldKind.DATE, FieldOp.IS_EMPTY, None, None, True),
        (FieldKind.DATE, FieldOp.IS_SET, None, None, False),
    ],
)
def test_each_kind_compares_as_its_values_read(kind, operator, expected, actual, result):
    assert holds(kind, operator, expected, actual) is result


def test_a_trigger_on_an_order_number_and_a_plan_tags_the_new_ticket(make_rule, make_ticket, fields):
    rule = make_rule(
        "Pro orders",
        events=["created"],
        conditions=[("field:order_number", "is_set", None), ("field:plan", "is", "Pro")],
        actions=[("add_tags", "pro-order")],
    )
    pro = created_with(make_ticket, {fields["order"]: "CMD-123456", fields["plan"]: "pro"})
    free = created_with(make_ticket, {fields["order"]: "CMD-123456", fields["plan"]: "free"})
    without = created_with(make_ticket, {fields["plan"]: "pro"})

    assert tags(pro) == {"pro-order"}
    assert tags(free) == set() and tags(without) == set()
    # The rule saved the choice as the field spells it, and the miss names the failed condition.
    assert Rule.objects.get(pk=rule.pk).conditions[1]["value"] == "pro"
    assert rule_last_run(rule, free).failed_condition == {  # type: ignore[union-attr]
        "field": "field:plan",
        "operator": "is",
        "value": "pro",
    }


def test_an_agent_changing_a_field_is_an_update_rules_hear(make_rule, make_ticket, agent, fields):
    make_rule(
        "Big accounts",
        events=["updated"],
        conditions=[("field:seats", "greater_than", "50")],
        actions=[("set_priority", "high")],
    )
    ticket = make_ticket()
    ticket_values_update(ticket=ticket, values={fields["seats"]: 20}, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"

    ticket_values_update(ticket=ticket, values={fields["seats"]: 120}, actor=agent)

    assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_set_a_field_is_a_field_event_of_the_rule_s_change_with_its_other_actions(make_rule, make_ticket, fields):
    rule = make_rule(
        "Web app bugs",
        events=["created"],
        conditions=[("subject", "contains", "export")],
        actions=[
            ("add_tags", "bug"),
            ("set_field", {"field": "apps", "value": ["web"]}),
            ("set_field", {"field": "amount", "value": "12,50"}),
        ],
    )
    ticket = make_ticket(subject="Export fails")

    values = dict(FieldValue.objects.filter(ticket=ticket).values_list("field__key", "value"))
    assert values == {"apps": ["web"], "amount": "12.50"}
    run = RuleRun.objects.get(rule=rule, ticket=ticket, outcome=Outcome.FIRED)
    events = TicketEvent.objects.filter(change=run.produced_change).order_by("id")
    assert [(event.kind, event.old_value, event.actor_id) for event in events if event.kind == EventKind.FIELD] == [
        (EventKind.FIELD, "apps", None),
        (EventKind.FIELD, "amount", None),
    ]
    assert {EventKind.TAG_ADDED, EventKind.FIELD} <= {event.kind for event in events}
    assert run.changes["field:apps"] == [None, ["web"]]


def test_a_rule_that_only_sets_a_field_fires_once_then_finds_nothing_to_change(make_rule, make_ticket, agent, fields):
    rule = make_rule(
        "Mark VIP",
        events=["created", "updated"],
        conditions=[("requester", "is", "alice@example.org")],
        actions=[("set_field", {"field": "vip", "value": True})],
    )
    ticket = make_ticket()
    assert FieldValue.objects.get(ticket=ticket, field=fields["vip"]).value is True

    ticket_values_update(ticket=ticket, values={fields["seats"]: 3}, actor=agent)

    assert RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count() == 1
    assert rule_last_run(rule, ticket).warning == RunWarning.NOTHING_TO_CHANGE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("condition", "action", "said"),
    [
        (("field:nope", "is", "x"), None, "no ticket field has the key “nope”"),
        (("field:seats", "contains", "3"), None, "does not apply to the field “Seats”"),
        (("field:seats", "greater_than", "lots"), None, "the field “Seats” does not accept “lots”"),
        (("field:plan", "is", "gold"), None, "“gold” is not a choice of the field “Plan”"),
        (("field:order_number", "is", "123"), None, "the field “Order Number” does not accept “123”"),
        (("field:vip", "checked", "yes"), None, "takes no value"),
        (None, {"field": "order_number", "value": "CMD-12"}, "the field “Order Number” does not accept"),
        (None, {"field": "gone", "value": "x"}, "no ticket field has the key “gone”"),
        (None, {"field": "since", "value": "31/01/2026"}, "Type a date as 2026-01-31."),
    ],
)
def test_a_rule_naming_a_field_wrongly_is_refused_naming_the_field(make_rule, fields, condition, action, said):
    conditions = [condition] if condition else [("status", "is", "new")]
    actions = [("add_tags", "x"), ("set_field", action)] if action else [("add_tags", "x")]

    # In English: the messages and the fields' labels (test_in_english... below checks the label's language).
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        make_rule("Wrong", events=["created"], conditions=conditions, actions=actions)

    [message] = refused.value.messages
    assert said in message
    assert message.startswith("Action 2" if action else "Condition 1")


def test_in_english_the_field_is_named_by_its_english_label(make_rule, fields):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        make_rule(
            "Wrong", events=["created"], conditions=[("field:order_number", "is", "123")], actions=[("add_tags", "x")]
        )

    assert "the field “Order Number” does not accept “123”" in " ".join(refused.value.messages)


def test_a_field_deleted_after_the_rule_was_saved_is_a_warning_not_a_crash(make_rule, make_ticket, fields):
    reads = make_rule(
        "Reads plan", events=["created"], conditions=[("field:plan", "is", "pro")], actions=[("add_tags", "pro")]
    )
    sets = make_rule(
        "Sets notes",
        events=["created"],
        conditions=[("subject", "contains", "export")],
        actions=[("add_tags", "seen"), ("set_field", {"field": "notes", "value": "Export bug"})],
    )
    fields["plan"].delete()
    fields["notes"].delete()

    ticket = make_ticket(subject="Export fails")

    assert rule_last_run(reads, ticket).warning == RunWarning.FIELD_GONE  # type: ignore[union-attr]
    fired = rule_last_run(sets, ticket)
    assert fired is not None and fired.outcome == Outcome.FIRED and fired.warning == RunWarning.FIELD_GONE
    assert tags(ticket) == {"seen"}  # its other action went ahead


def test_the_dry_run_reads_the_values_and_says_what_it_would_set(make_rule, make_ticket, fields):
    rule = make_rule(
        "Web bugs",
        events=["status_changed"],
        conditions=[("field:apps", "includes", "web")],
        actions=[("set_field", {"field": "plan", "value": "pro"})],
    )
    web = created_with(make_ticket, {fields["apps"]: ["web", "ios"]})
    created_with(make_ticket, {fields["apps"]: ["ios"]})

    [found] = dry_run(rule, list(Ticket.objects.all()))

    assert found.ticket == web and found.plan.changes == {"field:plan": [None, "pro"]}


def test_a_rule_without_field_conditions_costs_what_it_did(make_rule, make_ticket, fields, django_assert_num_queries):
    from tests.rules.test_queries import NOT_FIRING

    ticket = make_ticket()
    change = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED).change
    make_rule("Plain", events=["created"], conditions=[("priority", "is", "urgent")], actions=[("add_tags", "u")])

    with transaction.atomic(), django_assert_num_queries(NOT_FIRING):
        rules_run(change)


def test_a_rule_reading_fields_costs_two_queries_more_whatever_their_number(
    make_rule, make_ticket, fields, django_assert_num_queries
):
    from tests.rules.test_queries import NOT_FIRING

    ticket = make_ticket()
    change = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED).change
    make_rule("One", events=["created"], conditions=[("field:plan", "is", "pro")], actions=[("add_tags", "a")])
    make_rule(
        "Two",
        events=["created"],
        conditions=[("field:seats", "greater_than", 3), ("field:vip", "checked", None)],
        actions=[("add_tags", "b")],
    )

    # NOT_FIRING, and the fields named (one query) and the ticket's values of them (one query).
    with transaction.atomic(), django_assert_num_queries(NOT_FIRING + 2):
        rules_run(change)


def _automation(conditions: list[tuple[str, str, Any]], actions: list[tuple[str, Any]]) -> Rule:
    Rule.objects.exclude(built_in="").delete()
    rule = Rule(
        name="Old pro tickets",
        kind="automation",
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        actions=[{"action": a, "value": v} for a, v in actions],
    )
    rule.full_clean()
    rule.save()
    return rule


@pytest.mark.parametrize(
    ("condition", "matching"),
    [
        (("field:seats", "greater_than", 10), {"big"}),
        (("field:seats", "less_than", 10), {"small"}),
        (("field:seats", "is_not", 12), {"small", "none"}),
        (("field:amount", "is", "12.5"), {"big"}),
        (("field:since", "less_than", "2026-01-15"), {"small"}),
        (("field:plan", "in", ["pro", "free"]), {"big", "small"}),
        (("field:plan", "is_not", "pro"), {"small", "none"}),
        (("field:apps", "includes", "web"), {"big"}),
        (("field:apps", "excludes", "web"), {"small", "none"}),
        (("field:vip", "not_checked", None), {"small", "none"}),
        (("field:order_number", "contains", "1234"), {"big"}),
        (("field:order_number", "is_empty", None), {"small", "none"}),
        (("field:notes", "contains", "printer"), {"big"}),
    ],
)
def test_automations_select_by_field_values_in_the_database_as_triggers_read_them(
    make_ticket, fields, condition, matching
):
    big = created_with(
        make_ticket,
        {
            fields["seats"]: 12,
            fields["amount"]: "12.50",
            fields["since"]: "2026-02-01",
            fields["plan"]: "pro",
            fields["apps"]: ["ios", "web"],
            fields["vip"]: True,
            fields["order"]: "CMD-123456",
            fields["notes"]: "x" * 600 + " the printer jams",
        },
    )
    small = created_with(
        make_ticket,
        {fields["seats"]: 3, fields["since"]: "2026-01-01", fields["plan"]: "free", fields["apps"]: ["ios"]},
    )
    none = make_ticket()
    names = {big.pk: "big", small.pk: "small", none.pk: "none"}
    rule = _automation([("hours_since_created", "at_least", 1), condition], [("add_tags", "matched")])
    later = timezone.now() + timedelta(hours=2)

    found = {names[ticket.pk] for ticket in candidates(rule, now=later)}
    automations_run(now=later)

    tagged = {names[ticket.pk] for ticket in Ticket.objects.filter(tags__name="matched")}
    assert tagged == matching
    assert matching <= found  # the database's choice holds every ticket the conditions match


def test_an_automation_on_a_deleted_field_selects_no_ticket(make_ticket, fields):
    created_with(make_ticket, {fields["plan"]: "pro"})
    rule = _automation([("hours_since_created", "at_least", 1), ("field:plan", "is", "pro")], [("add_tags", "x")])
    FieldValue.objects.all().delete()
    fields["plan"].delete()

    assert list(candidates(rule, now=timezone.now() + timedelta(hours=2))) == []
