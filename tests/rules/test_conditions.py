"""Conditions read a ticket's facts and nothing else: each field and operator, "all" and "any", the first failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from comptoir.rules.conditions import Condition, SlaState, TicketFacts, evaluate, fold, terms
from comptoir.rules.models import Rule

NOW = datetime(2026, 6, 8, 9, tzinfo=UTC)


def facts(**changes: Any) -> TicketFacts:
    given: dict[str, Any] = {
        "ticket_id": 1,
        "status": "open",
        "priority": "normal",
        "type": "question",
        "channel": "email",
        "language": "fr",
        "group_id": 3,
        "assignee_id": None,
        "requester": "Alice@Example.org",
        "organisation_id": 7,
        "tags": ("vip", "refund"),
        "subject": "Facture impayée de mars",
        "body": "Bonjour, j\u2019ai reçu un bon de commande erroné.",
        "sla_due_at": None,
        "now": NOW,
    }
    given.update(changes)
    return TicketFacts.of(**given)


def holds(field: str, operator: str, value: Any = None, **changes: Any) -> bool:
    return Condition(field, operator, value).holds_for(facts(**changes))


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "is", "open", True),
        ("status", "is", "pending", False),
        ("status", "is_not", "pending", True),
        ("status", "is_not", "open", False),
        ("priority", "in", ["high", "normal"], True),
        ("priority", "in", ["high", "urgent"], False),
        ("priority", "not_in", ["high", "urgent"], True),
        ("priority", "not_in", ["normal"], False),
        ("type", "is", "question", True),
        ("channel", "is", "email", True),
        ("channel", "is", "web", False),
        ("language", "is", "fr", True),
        ("language", "is_not", "fr", False),
    ],
)
def test_it_compares_fields_with_fixed_values(field, operator, value, expected):
    assert holds(field, operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("group", "is", 3, True),
        ("group", "is", 4, False),
        ("group", "is_not", 4, True),
        ("group", "in", [1, 3], True),
        ("group", "not_in", [1, 3], False),
        ("group", "is_set", None, True),
        ("group", "is_empty", None, False),
        ("assignee", "is_empty", None, True),
        ("assignee", "is_set", None, False),
        ("assignee", "is", 5, False),
        ("assignee", "is_not", 5, True),
        ("organisation", "is", 7, True),
        ("organisation", "not_in", [7], False),
    ],
)
def test_it_compares_references_and_tells_empty_from_set(field, operator, value, expected):
    assert holds(field, operator, value) is expected


def test_the_requester_s_address_is_compared_whatever_its_case():
    assert holds("requester", "is", "alice@example.org")
    assert holds("requester", "is", " ALICE@example.ORG ")
    assert holds("requester", "in", ["bob@example.org", "alice@EXAMPLE.org"])
    assert not holds("requester", "is_not", "alice@example.org")
    assert holds("requester", "not_in", ["bob@example.org"])


def test_tags_contain_every_tag_named_and_not_contains_none_of_them():
    assert holds("tags", "contains", "VIP")
    assert holds("tags", "contains", "vip refund")
    assert not holds("tags", "contains", "vip billing")
    assert holds("tags", "not_contains", "billing late")
    assert not holds("tags", "not_contains", "billing vip")
    assert holds("tags", "is_set")
    assert not holds("tags", "is_empty")
    assert holds("tags", "is_empty", tags=())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("facture", True),
        ("FACTURE", True),
        ("impayee", True),  # no accent typed, one in the subject
        ("IMPAYÉE", True),
        ("factur", False),  # whole words only
        ("facturer", False),
        ("remboursement facture", True),  # any of the words
        ("remboursement avoir", False),
        ('"facture impayée"', True),  # a phrase: its words, in order
        ('"impayée facture"', False),
    ],
)
def test_subject_contains_whole_words_whatever_the_case_and_accents(value, expected):
    assert holds("subject", "contains", value) is expected
    assert holds("subject", "not_contains", value) is not expected


def test_the_body_is_the_event_s_message_and_an_apostrophe_separates_words():
    assert holds("body", "contains", '"bon de commande"')
    assert holds("body", "contains", "recu")
    assert holds("body", "contains", "ai")
    assert not holds("body", "contains", "facture")
    assert holds("body", "not_contains", "facture", body="")


def test_the_service_level_state_comes_from_the_earliest_due_time():
    assert holds("sla", "is", SlaState.NONE)
    assert holds("sla", "is", "counting", sla_due_at=NOW + timedelta(minutes=1))
    assert holds("sla", "is", "breached", sla_due_at=NOW)
    assert holds("sla", "is_not", "breached", sla_due_at=NOW + timedelta(hours=1))


def test_folding_and_terms():
    assert fold("L\u2019Été, c'est FINI!") == " l ete c est fini "
    assert terms('facture "bon de  commande"  ') == [" facture ", " bon de commande "]
    assert terms('"" ,') == []


def rule(match: str, *conditions: tuple[str, str, Any]) -> Rule:
    return Rule(match=match, conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions])


def test_all_tells_the_first_condition_that_failed():
    verdict = evaluate(rule("all", ("status", "is", "open"), ("priority", "is", "urgent"), ("group", "is", 4)), facts())
    assert not verdict.matched
    assert verdict.first_failed == Condition("priority", "is", "urgent")


def test_all_matches_when_every_condition_holds():
    assert evaluate(rule("all", ("status", "is", "open"), ("subject", "contains", "facture")), facts()).matched


def test_any_matches_on_one_condition_and_when_none_holds_names_the_first():
    assert evaluate(rule("any", ("priority", "is", "urgent"), ("tags", "contains", "vip")), facts()).matched
    verdict = evaluate(rule("any", ("priority", "is", "urgent"), ("tags", "contains", "billing")), facts())
    assert (verdict.matched, verdict.first_failed) == (False, Condition("priority", "is", "urgent"))


def test_no_condition_matches_every_ticket():
    assert evaluate(rule("all"), facts()) == evaluate(rule("any"), facts())
    assert evaluate(rule("all"), facts()).matched
