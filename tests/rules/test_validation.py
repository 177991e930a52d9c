"""An admin cannot save a rule that names what does not exist, can never match, or contradicts itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from comptoir.rules.models import Rule
from comptoir.rules.validation import rule_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def rule(**fields: Any) -> Rule:
    given: dict[str, Any] = {
        "name": "R",
        "events": ["created"],
        "conditions": [{"field": "subject", "operator": "contains", "value": "facture"}],
        "actions": [{"action": "add_tags", "value": "billing"}],
    }
    given.update(fields)
    return Rule(**given)


def condition(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def test_a_sound_rule_passes(billing, agent):
    valid = rule(
        conditions=[condition("group", "in", [billing.pk]), condition("assignee", "is_empty")],
        actions=[{"action": "set_assignee", "value": agent.pk}, {"action": "set_status", "value": "open"}],
    )
    assert rule_errors(valid) == {}
    valid.full_clean()


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([condition("colour", "is", "red")], "Condition 1: unknown field “colour”."),
        (
            [condition("status", "contains", "open")],
            "Condition 1: the operator “contains” does not apply to the status.",
        ),
        ([condition("status", "is", "asleep")], "Condition 1: “asleep” is not a status."),
        ([condition("priority", "in", "high")], "Condition 1: “in” and “not in” take a list of at least one value."),
        ([condition("group", "is", "Billing")], "Condition 1: “Billing” does not name a group."),
        ([condition("requester", "is", "alice")], "Condition 1: “alice” is not an e-mail address."),
        ([condition("subject", "contains", "  ")], "Condition 1: type at least one word."),
        ([condition("assignee", "is_set", 3)], "Condition 1: “is empty” and “is set” take no value."),
        (
            [condition("status", "is", "open"), condition("status", "is", "solved")],
            "The conditions on the status can never all hold.",
        ),
        (
            [condition("priority", "in", ["high", "urgent"]), condition("priority", "not_in", ["high", "urgent"])],
            "The conditions on the priority can never all hold.",
        ),
        (
            [condition("assignee", "is_empty"), condition("assignee", "is", 4)],
            "The assignee cannot be both empty and set: this rule would never match.",
        ),
    ],
)
def test_conditions_that_cannot_be_read_or_never_match_are_refused(conditions, message):
    assert rule_errors(rule(conditions=conditions)) == {"conditions": [message]}


def test_the_same_conditions_under_any_may_match():
    conditions = [condition("status", "is", "open"), condition("status", "is", "solved")]
    assert rule_errors(rule(conditions=conditions, match="any")) == {}


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([], "A rule needs at least one action."),
        ([{"action": "delete_ticket"}], "Action 1: unknown action “delete_ticket”."),
        ([{"action": "set_status", "value": "asleep"}], "Action 1: “asleep” is not a status a rule can set."),
        (
            [{"action": "set_status", "value": "closed"}],
            "Only an automation closes tickets: closed is final, and comes with time.",
        ),
        ([{"action": "add_note", "value": " "}], "Action 1: the note is empty."),
        (
            [{"action": "set_status", "value": "solved"}, {"action": "set_status", "value": "open"}],
            "Two actions set the status to different values (solved and open).",
        ),
        (
            [{"action": "add_tags", "value": "vip Billing"}, {"action": "remove_tags", "value": "billing"}],
            "The rule both adds and removes the tags: billing.",
        ),
    ],
)
def test_actions_that_cannot_be_done_or_contradict_each_other_are_refused(actions, message):
    assert rule_errors(rule(actions=actions)) == {"actions": [message]}


def test_a_trigger_on_every_update_needs_a_condition():
    errors = rule_errors(rule(events=["updated"], conditions=[]))
    assert errors == {
        "conditions": ["A trigger on every update needs a condition, or it would run on every change of every ticket."]
    }
    assert rule_errors(rule(events=["created"], conditions=[])) == {}


def test_events_and_kinds_that_do_not_run_are_refused():
    assert rule_errors(rule(events=[])) == {"events": ["Choose at least one event the trigger runs on."]}
    assert rule_errors(rule(events=["deleted"])) == {"events": ["Unknown events: deleted."]}
    assert rule_errors(rule(kind="automation", events=["created"])) == {
        "events": ["An automation runs on time, not on events: leave its events empty."],
        "conditions": [
            "An automation needs a condition “at least N hours since” (created, in the status, a message, "
            "the service level due) or “less than N hours until” the service level is due."
        ],
    }


def test_groups_and_agents_that_do_not_exist_are_refused(billing, requester):
    errors = rule_errors(
        rule(
            conditions=[condition("group", "in", [billing.pk, 999])],
            actions=[{"action": "set_assignee", "value": requester.pk}],
        )
    )
    assert errors == {"conditions": ["No group has the id 999."], "actions": [f"No agent has the id {requester.pk}."]}


def test_the_admin_reads_the_errors_in_french():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        rule(actions=[{"action": "set_status", "value": "solved"}, {"action": "set_status", "value": "open"}]).clean()
    assert refused.value.message_dict == {
        "actions": ["Deux actions donnent des valeurs différentes au champ statut (solved et open)."]
    }
