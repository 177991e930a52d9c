"""Business rules in the workspace settings: administrators list, write, try and question automations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.rules.automations import automations_run
from comptoir.rules.models import Outcome, Rule, RuleRun, TicketClock
from comptoir.tickets.models import Message, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from tests.workspace.test_bulk_views import flashes, url
from tests.workspace.test_rules_settings import _uuid, posted_back, rows, rule_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_default_rules(db) -> None:
    # These tests read the rules they write, in order; the default ones are tested in tests/rules/test_default_rules.py.
    Rule.objects.exclude(built_in="").delete()


PENDING_3_DAYS = (("status", "", "pending"), ("hours_in_status", "at_least", "3"))
REPLY = {"fr": "Bonjour {requester_name}, avez-vous pu avancer ?", "en": "Hello {requester_name}, any news?"}


def automation_make(name: str = "Remind the pending", **fields: Any) -> Rule:
    """An automation as an administrator would save it (validated); it comes after the others."""
    values: dict[str, Any] = {
        "kind": "automation",
        "conditions": [
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_in_status", "operator": "at_least", "value": 72},
        ],
        "actions": [{"action": "add_tags", "value": "waiting"}],
        "position": Rule.objects.filter(kind="automation").count() + 1,
    } | fields
    rule = Rule(name=name, **values)
    rule.full_clean()
    rule.save()
    return rule


def automation_data(
    *,
    name: str = "Remind the pending",
    conditions: Sequence[tuple[str, str, str]] = PENDING_3_DAYS,
    units: Sequence[str] = ("hours", "days"),
    actions: Sequence[tuple[str, str]] = (("add_tags", "waiting"),),
) -> dict[str, Any]:
    """The automation form as posted: no events, no match; each condition row with its unit."""
    data: dict[str, Any] = {"name": name, "active": "on"}
    data |= rows("conditions", conditions) | rows("actions", actions)
    for index in range(int(data["conditions-TOTAL_FORMS"])):
        data[f"conditions-{index}-unit"] = units[index] if index < len(units) else "hours"
    return data


def pending_since(make_ticket, agent, *, days: float, **extra: Any) -> Ticket:
    """A ticket pending for ``days`` (its clock, kept by the rules subscriber, set back)."""
    ticket = make_ticket(**extra)
    ticket_update_by_agent(ticket, agent=agent, body="Could you send the file?", status=Status.PENDING)
    TicketClock.objects.filter(ticket=ticket).update(status_since=timezone.now() - timedelta(days=days))
    return ticket


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_triggers_then_automations_each_in_its_order(as_admin):
    rule_make("Invoices to Billing")
    second = automation_make("Solve the forgotten", actions=[{"action": "set_status", "value": "solved"}])
    automation_make(
        "Warn before the due time",
        conditions=[{"field": "hours_until_sla_due", "operator": "less_than", "value": 2}],
        position=0,
    )

    html = as_admin.get(url("agent_rules_settings")).content.decode()

    triggers, automations = html.index('id="triggers-title"'), html.index('id="automations-title"')
    assert triggers < html.index("Invoices to Billing") < automations
    assert automations < html.index("Warn before the due time") < html.index("Solve the forgotten")
    assert 'Automations <span class="muted">(2)</span>' in html
    assert f'href="{url("agent_automation_new")}"' in html and f'href="{url("agent_rule_new")}"' in html
    assert "<li>in the current status for at least 3 days</li>" in html
    assert "<li>service level due in less than 2 hours</li>" in html
    assert "<li>set the status to Solved</li>" in html
    assert f'href="{url("agent_rule", second.pk)}"' in html
    assert "Always on: a message from the requester reopens a pending, on-hold or solved ticket" in html


def test_the_list_says_the_built_in_behaviour_and_the_times_in_french(as_admin):
    automation_make(conditions=[{"field": "hours_since_created", "operator": "at_least", "value": 36}])

    html = as_admin.get(url("agent_rules_settings").replace("/en/", "/fr/", 1)).content.decode()

    assert "Automatismes" in html and "Nouvel automatisme" in html
    assert "Toujours actif\N{NARROW NO-BREAK SPACE}:" in html
    assert re.search("créé il y a au moins 36[ \N{NO-BREAK SPACE}]heures", html)


def test_the_list_costs_the_same_queries_with_automations(as_admin, agent, make_ticket, django_assert_num_queries):
    ticket = make_ticket()
    billing = SupportGroup.objects.create(name="Billing")
    rule_make(conditions=[{"field": "group", "operator": "is", "value": billing.pk}])

    def more_automations(n: int) -> None:
        rule = automation_make(f"Automation {n}", actions=[{"action": "set_assignee", "value": agent.pk}])
        RuleRun.objects.create(rule=rule, ticket=ticket, change=_uuid(n), chain=_uuid(n), outcome="fired")

    more_automations(1)
    as_admin.get(url("agent_rules_settings"))  # the session's first reads, once
    # The session, the user; triggers and automations with when each last fired and how often lately (one
    # query for both kinds); the names of the groups, then of the agents, they name.
    with django_assert_num_queries(5):
        as_admin.get(url("agent_rules_settings"))
    for n in range(2, 7):
        more_automations(n)
    with django_assert_num_queries(5):
        html = as_admin.get(url("agent_rules_settings")).content.decode()
    assert html.count('class="move-form"') == 14  # on or off, and move, per rule: one trigger, six automations


def test_automations_move_in_their_own_order(as_admin):
    trigger = rule_make("Trigger", position=1)
    first, second = automation_make("First", position=1), automation_make("Second", position=2)

    as_admin.post(url("agent_rule_move", second.pk), {"direction": "up"})

    order = list(Rule.objects.filter(kind="automation").order_by("position", "id").values_list("name", flat=True))
    assert order == ["Second", "First"]
    assert Rule.objects.get(pk=trigger.pk).position == 1
    response = as_admin.post(url("agent_rule_move", first.pk), {"direction": "down"})  # already last
    assert response["Location"] == url("agent_rules_settings") + f"#rule-{first.pk}"
    assert Rule.objects.get(pk=first.pk).position == 2


def test_an_automation_is_turned_off_and_deleted_as_a_trigger_is(as_admin):
    rule = automation_make()

    assert flashes(as_admin.post(url("agent_rule_toggle", rule.pk), {"active": "0"})) == [
        "“Remind the pending” is off."
    ]
    assert "It never changed a ticket." in as_admin.get(url("agent_rule_delete", rule.pk)).content.decode()
    as_admin.post(url("agent_rule_delete", rule.pk))

    assert not Rule.objects.exists()


# --- Writing an automation -----------------------------------------------------------------------


def test_an_administrator_creates_an_automation_pending_3_days_then_a_reply(as_admin):
    automation_make("Earlier", position=4)
    rule_make("A trigger", position=9)
    data = automation_data(actions=()) | {
        "actions-0-action": "add_reply",
        "actions-0-text_fr": REPLY["fr"],
        "actions-0-text_en": REPLY["en"],
    }

    response = as_admin.post(url("agent_automation_new"), data)

    rule = Rule.objects.get(name="Remind the pending")
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == url("agent_rules_settings") + f"#rule-{rule.pk}"
    assert (rule.kind, rule.events, rule.match, rule.position, rule.active) == ("automation", [], "all", 5, True)
    assert rule.conditions == [
        {"field": "status", "operator": "is", "value": "pending"},
        {"field": "hours_in_status", "operator": "at_least", "value": 72},
    ]
    assert rule.actions == [{"action": "add_reply", "value": REPLY}]


def test_an_automation_made_on_the_page_replies_to_a_ticket_pending_for_3_days(as_admin, agent, make_ticket):
    data = automation_data(actions=()) | {"actions-0-action": "add_reply", "actions-0-text_en": "Any news?"}
    as_admin.post(url("agent_automation_new"), data)
    ticket = pending_since(make_ticket, agent, days=3.5, language="en")
    pending_since(make_ticket, agent, days=1)

    assert automations_run() == 1

    assert Message.objects.filter(ticket=ticket, is_public=True).order_by("-id").first().body == "Any news?"


@pytest.mark.parametrize(
    ("row", "unit", "expected"),
    [
        (("hours_in_status", "", "72"), "hours", {"field": "hours_in_status", "operator": "at_least", "value": 72}),
        (
            ("hours_in_status", "at_least", "3"),
            "days",
            {"field": "hours_in_status", "operator": "at_least", "value": 72},
        ),
        (
            ("hours_since_created", "", "3 jours"),
            "hours",
            {"field": "hours_since_created", "operator": "at_least", "value": 72},
        ),
        (
            ("hours_since_created", "", "36 h"),
            "days",
            {"field": "hours_since_created", "operator": "at_least", "value": 36},
        ),
        (
            ("hours_since_created", "", "1,5"),
            "hours",
            {"field": "hours_since_created", "operator": "at_least", "value": 1.5},
        ),
        (
            ("hours_until_sla_due", "", "2"),
            "hours",
            {"field": "hours_until_sla_due", "operator": "less_than", "value": 2},
        ),
    ],
)
def test_hours_are_read_as_typed(as_admin, row, unit, expected):
    response = as_admin.post(url("agent_automation_new"), automation_data(conditions=[row], units=[unit]))

    assert response.status_code == 302, response.content.decode()
    assert Rule.objects.get().conditions == [expected]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("soon", "“soon” is not a number of hours: type 72, or 3 with the unit “days”."),
        ("3 weeks", "“3 weeks” is not a number of hours"),
        ("0", "Count more than 0 hours and at most five years."),
        ("", "Give the number of hours, or of days."),
    ],
)
def test_hours_that_cannot_be_read_are_refused_next_to_the_value(as_admin, typed, error):
    data = automation_data(conditions=[("status", "", "pending"), ("hours_in_status", "at_least", typed)])

    response = as_admin.post(url("agent_automation_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'<ul class="errors" id="id_conditions-1-value_error"><li>{error}' in html
    assert f'<a href="#id_conditions-1-value">Condition 2, value: {error}' in html
    assert 'aria-invalid="true"' in html and 'value="Remind the pending"' in html
    assert not Rule.objects.exists()


def test_an_automation_without_a_time_condition_is_refused_with_what_was_typed_kept(as_admin):
    data = automation_data(conditions=[("status", "", "pending"), ("priority", "is", "high")])

    response = as_admin.post(url("agent_automation_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    anchor_error = "An automation needs a condition “at least N hours since”"
    conditions = html[html.index('id="conditions"') : html.index('id="actions"')]
    assert anchor_error in conditions  # next to the conditions
    summary = html[html.index('class="error-summary"') : html.index('id="rule-form"')]
    assert f'<a href="#conditions">{anchor_error}' in summary
    assert '<option value="high" selected>High</option>' in html and 'value="Remind the pending"' in html
    assert not Rule.objects.exists()


def test_an_automation_whose_times_contradict_each_other_is_refused(as_admin):
    data = automation_data(
        conditions=[("hours_in_status", "at_least", "2"), ("hours_in_status", "less_than", "24")],
        units=["days", "hours"],
    )

    response = as_admin.post(url("agent_automation_new"), data)

    assert response.status_code == 400
    assert "The conditions on the hours in the current status can never all hold." in response.content.decode()


def test_the_automation_page_offers_time_fields_and_closing_and_the_trigger_page_does_not(as_admin):
    automation = as_admin.get(url("agent_automation_new")).content.decode()
    trigger = as_admin.get(url("agent_rule_new")).content.decode()

    assert '<option value="hours_in_status">Hours in the current status</option>' in automation
    assert '<option value="at_least">at least</option>' in automation
    assert 'name="conditions-0-unit"' in automation and 'name="events"' not in automation
    assert 'name="match"' not in automation
    assert "hours_in_status" not in trigger.split('id="conditions-template"')[0]
    assert 'name="events"' in trigger and 'name="conditions-0-unit"' not in trigger

    closing = automation_data(actions=[("set_status", "Closed")])
    assert as_admin.post(url("agent_automation_new"), closing).status_code == 302
    assert Rule.objects.get().actions == [{"action": "set_status", "value": "closed"}]
    refused = as_admin.post(
        url("agent_rule_new"),
        {"name": "Close", "events": ["created"], "match": "all"}
        | rows("conditions", [("subject", "", "facture")])
        | rows("actions", [("set_status", "closed")]),
    )
    assert refused.status_code == 400
    assert "“closed” is not a set the status: choose one of" in refused.content.decode()


def test_the_edit_page_shows_hours_as_typed_and_an_untouched_save_keeps_the_automation(as_admin, agent):
    rule = automation_make(
        conditions=[
            {"field": "status", "operator": "in", "value": ["pending", "on_hold"]},
            {"field": "hours_in_status", "operator": "at_least", "value": 72},
            {"field": "hours_since_requester_message", "operator": "less_than", "value": 30},
        ],
        actions=[{"action": "set_status", "value": "closed"}, {"action": "add_reply", "value": REPLY}],
        active=False,
    )

    html = as_admin.get(url("agent_rule", rule.pk)).content.decode()

    assert "<h1>Automation “Remind the pending”</h1>" in html
    assert 'name="conditions-1-value" id="id_conditions-1-value" value="3" inputmode="decimal"' in html
    assert '<option value="days" selected>days</option>' in html
    assert 'name="conditions-2-value" id="id_conditions-2-value" value="30"' in html
    assert '<option value="closed" selected>Closed</option>' in html
    assert as_admin.post(url("agent_rule", rule.pk), posted_back(html)).status_code == 302
    saved = Rule.objects.get()
    assert (saved.kind, saved.conditions, saved.actions, saved.active) == (
        "automation",
        rule.conditions,
        rule.actions,
        False,
    )


# --- Try it --------------------------------------------------------------------------------------


def test_trying_an_automation_lists_the_tickets_its_next_run_would_act_on_and_writes_nothing(
    as_admin, agent, make_ticket
):
    old = pending_since(make_ticket, agent, days=4, subject="Waiting for the logs")
    pending_since(make_ticket, agent, days=1, subject="Asked yesterday")
    make_ticket(subject="Still open")
    data = automation_data(actions=[("add_tags", "waiting")]) | {"try": "1"}

    with CaptureQueriesContext(connection) as captured:
        response = as_admin.post(url("agent_automation_new"), data)

    writes = [q["sql"] for q in captured if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tried on the tickets it would act on now" in html
    assert "1 ticket is past its time conditions now" in html
    assert "The automation as typed would act on 1 of them at its next run." in html
    assert f"#{old.reference} Waiting for the logs" in html and "tags added: waiting" in html
    assert "Asked yesterday" not in html and "Still open" not in html
    assert not Rule.objects.exists() and not RuleRun.objects.exists()


def test_trying_a_saved_automation_leaves_out_the_tickets_it_acted_on_in_this_period(as_admin, agent, make_ticket):
    rule = automation_make()
    done = pending_since(make_ticket, agent, days=4, subject="Reminded already")
    assert automations_run() == 1
    waiting = pending_since(make_ticket, agent, days=5, subject="Not yet reminded")
    data = automation_data() | {"try": "1"}

    html = as_admin.post(url("agent_rule", rule.pk), data).content.decode()

    assert f"#{waiting.reference} Not yet reminded" in html
    assert f"#{done.reference} Reminded already" not in html


def test_trying_an_automation_reads_the_latest_message_for_its_words(as_admin, agent, make_ticket):
    ticket = pending_since(make_ticket, agent, days=4, subject="Logs")
    data = automation_data(conditions=[*PENDING_3_DAYS, ("body", "", "file")]) | {"try": "1"}

    html = as_admin.post(url("agent_automation_new"), data).content.decode()

    assert f"#{ticket.reference} Logs" in html  # the agent's "Could you send the file?" is the latest message


# --- Why -----------------------------------------------------------------------------------------


def test_why_an_automation_does_not_match_a_ticket_yet(as_admin, agent, make_ticket):
    rule = automation_make()
    ticket = pending_since(make_ticket, agent, days=1, subject="Asked yesterday")

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": str(ticket.reference)}).content.decode()

    assert "It has not acted on this ticket" in html
    assert (
        "As the automation is saved, it does not match this ticket now: the first condition that fails is "
        "<strong>in the current status for at least 3 days</strong>."
    ) in html


def test_why_an_automation_fired_and_waits_for_a_new_period(as_admin, agent, make_ticket):
    rule = automation_make()
    ticket = pending_since(make_ticket, agent, days=4)
    assert automations_run() == 1

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": str(ticket.reference)}).content.decode()

    assert "It fired on" in html and "It changed: tags added: waiting" in html
    assert "it matches this ticket now" in html
    assert "It already acted on it in this period" in html
    assert RuleRun.objects.get(rule=rule).outcome == Outcome.FIRED


def test_why_an_automation_would_act_on_a_ticket_at_its_next_run(as_admin, agent, make_ticket):
    rule = automation_make()
    ticket = pending_since(make_ticket, agent, days=4)

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": str(ticket.reference)}).content.decode()

    assert "At its next run it would change: tags added: waiting" in html


def test_the_automation_page_costs_the_same_queries_whatever_its_rows(as_admin, agent, django_assert_num_queries):
    rule = automation_make()
    as_admin.get(url("agent_rule", rule.pk))  # the session's first reads, once
    # The session, the user, the automation, the agents offered to notify (once for every row).
    # + 1 the ticket fields the condition and action pickers offer (comptoir.ticketforms, once for every row).
    with django_assert_num_queries(4 + 1):
        as_admin.get(url("agent_rule", rule.pk))
    Rule.objects.filter(pk=rule.pk).update(
        actions=[
            {"action": "add_tags", "value": "waiting"},
            {"action": "notify_agents", "value": {"to": "agent", "agent": agent.pk}},
            {"action": "add_reply", "value": REPLY},
        ]
    )
    with django_assert_num_queries(4 + 1):
        html = as_admin.get(url("agent_rule", rule.pk)).content.decode()
    assert html.count('class="rule-details"') == 6  # three actions, two spare rows, the row template
    with django_assert_num_queries(3 + 1):  # a new one: no automation to read
        as_admin.get(url("agent_automation_new"))
