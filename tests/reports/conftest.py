"""A week of a small team, built by hand through the services, with a clock the test moves.

Monday 8 to Sunday 14 June 2026, Paris (the team's time zone). The figures each test
expects are worked out in its own comments from what happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from comptoir.accounts.models import Role, User
from comptoir.reports.periods import Period
from comptoir.tickets.models import Priority, Status, SupportGroup, Survey, Ticket, TicketType
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent
from tests.sla import conftest as sla_fixtures
from tests.sla.clock import paris
from tests.sla.conftest import OFFICE_TARGETS, FakeNow, policy_make
from tests.ticketforms.fixtures import product, vip  # noqa: F401 (fixtures for the tests here)

# The SLA tests' clock and office hours, shared.
fake_now = sla_fixtures.fake_now
office = sla_fixtures.office

WEEK = Period(date(2026, 6, 8), date(2026, 6, 14))
NEXT_WEEK = Period(date(2026, 6, 15), date(2026, 6, 21))


@dataclass
class Week:
    agent: User
    billing: SupportGroup
    one_touch: Ticket  # T1
    reopened: Ticket  # T2
    waiting: Ticket  # T3
    weekend: Ticket  # T4


@pytest.fixture
def lead(db) -> User:
    return User.objects.create_user("lead@example.com", password="lead", name="Lea Admin", role=Role.ADMIN)


def _answer(ticket: Ticket, rating: int, comment: str) -> None:
    survey = Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).latest("id")
    survey_answer(survey, rating=rating, comment=comment)


@pytest.fixture
def week(fake_now: FakeNow, office, agent, make_ticket) -> Week:
    # Every ticket falls under a policy with the office's hours (Mon-Fri 09:00-12:00, 13:00-18:00).
    policy_make("Office", OFFICE_TARGETS, schedule=office)
    billing = SupportGroup.objects.create(name="Billing")

    # T1, Monday 09:00: answered and solved at 11:00 in one reply (one-touch); rated 2, then 5 on Tuesday.
    one_touch = make_ticket(subject="Invoice missing", ticket_type=TicketType.INCIDENT, priority=Priority.HIGH)
    fake_now.set(paris(2026, 6, 8, 11))
    ticket_update_by_agent(
        one_touch, agent=agent, body="Here it is.", status=Status.SOLVED, assignee=agent, group=billing
    )
    fake_now.set(paris(2026, 6, 8, 12))
    _answer(one_touch, 2, "Slow")

    # T2, Monday 10:00: answered at 13:00, solved Tuesday 09:00, reopened by the requester at 10:00,
    # answered and solved again at 11:00.
    fake_now.set(paris(2026, 6, 8, 10))
    reopened = make_ticket(subject="Export fails")
    fake_now.set(paris(2026, 6, 8, 13))
    ticket_update_by_agent(reopened, agent=agent, body="Looking.", assignee=agent)
    fake_now.set(paris(2026, 6, 9, 9))
    ticket_update_by_agent(reopened, agent=agent, status=Status.SOLVED)
    fake_now.set(paris(2026, 6, 9, 10))
    ticket_reply_by_requester(ticket=reopened, body="Still broken.", channel="web")
    fake_now.set(paris(2026, 6, 9, 10, 30))
    _answer(one_touch, 5, "Finally sorted, thanks")
    fake_now.set(paris(2026, 6, 9, 11))
    ticket_update_by_agent(reopened, agent=agent, body="Fixed now.", status=Status.SOLVED)

    # T3, Tuesday 09:00: still waiting at the end of the week, assigned to the agent.
    fake_now.set(paris(2026, 6, 9, 9))
    waiting = make_ticket(subject="Question about plans", language="fr")
    fake_now.set(paris(2026, 6, 9, 9, 5))
    ticket_update_by_agent(waiting, agent=agent, assignee=agent)

    # T4, Friday 17:00: answered on Monday 15 June at 09:30, after the weekend.
    fake_now.set(paris(2026, 6, 12, 17))
    weekend = make_ticket(subject="Password reset")
    fake_now.set(paris(2026, 6, 15, 9, 30))
    ticket_update_by_agent(weekend, agent=agent, body="Done.")
    fake_now.set(paris(2026, 6, 16, 9))
    return Week(agent, billing, one_touch, reopened, waiting, weekend)
