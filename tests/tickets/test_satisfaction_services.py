"""Satisfaction surveys: one per resolution, answered while solved, refused after."""

from __future__ import annotations

import hashlib

import pytest

from comptoir.tickets.models import Channel, EventKind, Status, Survey, Ticket
from comptoir.tickets.satisfaction import (
    SurveyClosed,
    survey_answer,
    survey_for_token,
    survey_issue_token,
)
from comptoir.tickets.services import ticket_reply_by_requester, ticket_set_status, ticket_update_by_agent
from comptoir.tickets.tokens import TOKEN_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def solved_ticket(make_ticket, agent) -> Ticket:
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    ticket.refresh_from_db()
    return ticket


def test_it_creates_an_open_survey_when_the_ticket_is_solved(make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Looking.", status=Status.PENDING)
    assert not Survey.objects.exists()
    ticket_update_by_agent(ticket, agent=agent, status=Status.SOLVED)
    survey = Survey.objects.get()
    assert survey.ticket == ticket
    assert (survey.rating, survey.answered_at, survey.withdrawn_at, survey.token_hash) == (None, None, None, None)


def test_it_issues_a_token_of_at_least_128_bits_stored_only_as_its_sha256(solved_ticket):
    survey = solved_ticket.surveys.get()
    raw = survey_issue_token(survey)
    assert TOKEN_BYTES * 8 >= 128 and len(raw) >= 22
    survey.refresh_from_db()
    assert survey.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(Survey.objects.values().get())


def test_it_finds_the_survey_of_a_token_and_only_the_latest_one(solved_ticket):
    survey = solved_ticket.surveys.get()
    first = survey_issue_token(survey)
    assert survey_for_token(first) == survey
    second = survey_issue_token(survey)
    assert survey_for_token(second) == survey
    assert survey_for_token(first) is None
    assert survey_for_token("") is None
    assert survey_for_token("x" * 43) is None
    assert survey_for_token(second + "x" * 100) is None


def test_it_records_the_answer_on_the_survey_the_ticket_and_its_history(solved_ticket):
    survey = solved_ticket.surveys.get()
    survey_answer(survey, rating=4, comment="  Quick and clear.  ")
    survey.refresh_from_db()
    solved_ticket.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Quick and clear.")
    assert survey.answered_at is not None
    assert solved_ticket.satisfaction_rating == 4
    event = solved_ticket.events.get(kind=EventKind.SATISFACTION)
    assert (event.actor, event.new_value) == (solved_ticket.requester, "4/5")


def test_it_lets_the_answer_change_while_the_ticket_stays_solved(solved_ticket):
    survey = solved_ticket.surveys.get()
    survey_answer(survey, rating=2, comment="Slow.")
    survey_answer(survey, rating=5, comment="Actually great.")
    survey.refresh_from_db()
    solved_ticket.refresh_from_db()
    assert (survey.rating, survey.comment, solved_ticket.satisfaction_rating) == (5, "Actually great.", 5)
    assert list(solved_ticket.events.filter(kind=EventKind.SATISFACTION).values_list("new_value", flat=True)) == [
        "2/5",
        "5/5",
    ]


def test_it_freezes_the_survey_once_the_ticket_is_closed(solved_ticket):
    survey = solved_ticket.surveys.get()
    survey_answer(survey, rating=3, comment="")
    ticket_set_status(solved_ticket, Status.CLOSED, actor=None)
    with pytest.raises(SurveyClosed):
        survey_answer(survey, rating=1, comment="Changed my mind.")
    survey.refresh_from_db()
    solved_ticket.refresh_from_db()
    assert (survey.rating, solved_ticket.satisfaction_rating) == (3, 3)
    assert solved_ticket.events.filter(kind=EventKind.SATISFACTION).count() == 1


def test_it_withdraws_the_survey_when_the_ticket_is_reopened(solved_ticket):
    survey = solved_ticket.surveys.get()
    ticket_reply_by_requester(ticket=solved_ticket, body="Still broken.", channel=Channel.WEB)
    survey.refresh_from_db()
    assert survey.withdrawn_at is not None
    with pytest.raises(SurveyClosed):
        survey_answer(survey, rating=5, comment="")
    survey.refresh_from_db()
    assert survey.rating is None
    assert not solved_ticket.events.filter(kind=EventKind.SATISFACTION).exists()


def test_it_asks_again_for_a_new_resolution(solved_ticket, agent):
    first = solved_ticket.surveys.get()
    ticket_reply_by_requester(ticket=solved_ticket, body="Still broken.", channel=Channel.EMAIL)
    ticket_update_by_agent(solved_ticket, agent=agent, body="Fixed for real.", status=Status.SOLVED)
    second = solved_ticket.surveys.exclude(pk=first.pk).get()
    assert second.withdrawn_at is None
    survey_answer(second, rating=5, comment="")
    with pytest.raises(SurveyClosed):
        survey_answer(first, rating=1, comment="")
    solved_ticket.refresh_from_db()
    assert solved_ticket.satisfaction_rating == 5


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_it_refuses_a_rating_outside_one_to_five(solved_ticket, rating):
    survey = solved_ticket.surveys.get()
    with pytest.raises(ValueError, match="rating must be one of"):
        survey_answer(survey, rating=rating, comment="")
    survey.refresh_from_db()
    solved_ticket.refresh_from_db()
    assert (survey.rating, solved_ticket.satisfaction_rating) == (None, None)
