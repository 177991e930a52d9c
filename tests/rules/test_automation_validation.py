"""What an admin may save as an automation, and the time conditions and reply action it may use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from comptoir.rules.actions import plan
from comptoir.rules.conditions import TicketFacts, evaluate
from comptoir.rules.models import Rule
from comptoir.rules.validation import rule_errors

pytestmark = pytest.mark.django_db

ANCHOR_MISSING = (
    "An automation needs a condition “at least N hours since” (created, in the status, a message, "
    "the service level due) or “less than N hours until” the service level is due."
)


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def automation(*conditions: tuple[str, str, Any], **fields: Any) -> Rule:
    given: dict[str, Any] = {
        "name": "A",
        "kind": "automation",
        "conditions": [{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        "actions": [{"action": "set_status", "value": "solved"}],
    }
    given.update(fields)
    return Rule(**given)


def test_an_automation_with_a_time_bound_passes():
    assert rule_errors(automation(("status", "is", "pending"), ("hours_in_status", "at_least", 168))) == {}
    assert rule_errors(automation(("hours_until_sla_due", "less_than", 2))) == {}


def test_an_automation_without_a_time_bound_would_read_every_ticket_and_is_refused():
    assert rule_errors(automation(("status", "is", "pending"))) == {"conditions": [ANCHOR_MISSING]}
    # "Less than 5 hours since" bounds nothing from below: every ticket since.
    assert rule_errors(automation(("hours_since_created", "less_than", 5))) == {"conditions": [ANCHOR_MISSING]}


def test_an_automation_matching_any_condition_or_on_events_is_refused():
    errors = rule_errors(automation(("hours_in_status", "at_least", 1), match="any", events=["created"]))
    assert errors == {
        "events": [
            "An automation runs on time, not on events: leave its events empty.",
            "An automation's conditions must all hold (“any” would read every ticket).",
        ]
    }


@pytest.mark.parametrize("hours", [0, -3, "12", True, 10**9])
def test_hours_are_a_positive_number(hours):
    errors = rule_errors(automation(("hours_in_status", "at_least", hours)))
    assert errors == {
        "conditions": ["Condition 1: the hours must be a number greater than 0 and at most 43920."],
    }


def test_hours_that_can_never_all_hold_are_refused():
    errors = rule_errors(automation(("hours_in_status", "at_least", 48), ("hours_in_status", "less_than", 24)))
    assert errors == {"conditions": ["The conditions on the hours in the current status can never all hold."]}


def test_a_trigger_cannot_count_hours():
    trigger = Rule(
        name="T",
        events=["created"],
        conditions=[{"field": "hours_since_created", "operator": "at_least", "value": 2}],
        actions=[{"action": "add_tags", "value": "x"}],
    )
    assert rule_errors(trigger) == {
        "conditions": ["Conditions on hours belong to automations: a trigger runs when something happens."]
    }


def test_a_reply_is_its_text_by_language_and_not_with_a_note():
    def actions(*given: dict[str, Any]) -> dict[str, list[str]]:
        return rule_errors(automation(("hours_in_status", "at_least", 1), actions=list(given)))

    assert actions({"action": "add_reply", "value": {"fr": "Bonjour", "en": "Hello"}}) == {}
    assert actions({"action": "add_reply", "value": "Hello"}) == {
        "actions": ['Action 1: a reply is its text by language: {"fr": "…", "en": "…"}.']
    }
    assert actions({"action": "add_reply", "value": {"fr": " ", "en": ""}}) == {
        "actions": ["Action 1: the reply is empty."]
    }
    assert actions({"action": "add_reply", "value": {"en": "Hello"}}, {"action": "add_note", "value": "Reminded."}) == {
        "actions": ["A rule adds either an internal note or a public reply, not both."]
    }


def facts(**given: Any) -> TicketFacts:
    now = timezone.now()
    fields: dict[str, Any] = {
        "ticket_id": 1,
        "status": "pending",
        "priority": "normal",
        "type": "question",
        "channel": "web",
        "language": "fr",
        "group_id": None,
        "assignee_id": None,
        "requester": "a@example.org",
        "organisation_id": None,
        "tags": (),
        "subject": "S",
        "body": "",
        "sla_due_at": None,
        "now": now,
    }
    fields.update(given)
    return TicketFacts.of(**fields)


def test_time_conditions_count_hours_from_the_facts_and_fail_without_the_time():
    now = timezone.now()
    rule = automation(("hours_since_requester_message", "at_least", 3))
    assert evaluate(rule, facts(now=now, requester_message_at=now - timedelta(hours=3))).matched
    assert not evaluate(rule, facts(now=now, requester_message_at=now - timedelta(hours=2))).matched
    assert not evaluate(rule, facts(now=now)).matched  # no message from the requester yet


def test_the_reply_planned_is_the_one_in_the_ticket_s_language_else_the_site_s():
    texts = {"fr": "Bonjour", "en": "Hello"}
    assert plan([{"action": "add_reply", "value": texts}], facts(language="fr")).changes == {"reply": "Bonjour"}
    assert plan([{"action": "add_reply", "value": {"en": "Hello"}}], facts(language="fr")).reply == "Hello"
