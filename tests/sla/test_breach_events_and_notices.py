"""The breach job's events in the ticket's history, and the agents they reach: never the requester."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import Metric
from comptoir.tickets.models import EventKind, Priority, SupportGroup, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent
from tests.sla.clock import paris
from tests.sla.conftest import policy_make

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 6, 8, 9)
WARNED = MONDAY_NINE + timedelta(minutes=45)
BREACHED = MONDAY_NINE + timedelta(hours=1)


@pytest.fixture
def hour_policy(db):
    return policy_make("An hour", {(Metric.FIRST_REPLY, Priority.NORMAL): 60}, warn_minutes=15)


@pytest.fixture
def group(db) -> SupportGroup:
    return SupportGroup.objects.create(name="Billing")


@pytest.fixture
def members(group) -> list[User]:
    people = [
        User.objects.create_user(f"{name.lower()}@example.com", name=name, role=Role.AGENT)
        for name in ("Dominique", "Eliott")
    ]
    for person in people:
        person.support_groups.add(group)
    return people


def notices(kind: str) -> list[tuple[str, int]]:
    return sorted(AgentNotice.objects.filter(kind=kind).values_list("recipient__email", "ticket_id"))


def test_the_job_records_a_warning_then_a_breach_with_the_metric_and_due_time(fake_now, hour_policy, make_ticket):
    ticket = make_ticket()

    breaches_raise(now=WARNED)
    breaches_raise(now=BREACHED)
    breaches_raise(now=BREACHED + timedelta(hours=1))  # raised once each

    raised = TicketEvent.objects.filter(ticket=ticket, kind__in=(EventKind.SLA_WARNING, EventKind.SLA_BREACH))
    assert list(raised.values_list("kind", "old_value", "new_value", "actor")) == [
        (EventKind.SLA_WARNING, Metric.FIRST_REPLY, BREACHED.isoformat(), None),
        (EventKind.SLA_BREACH, Metric.FIRST_REPLY, BREACHED.isoformat(), None),
    ]


def test_the_requester_is_never_e_mailed_of_a_service_level(fake_now, hour_policy, make_ticket):
    ticket = make_ticket()
    before = OutboundEmail.objects.filter(to_address=ticket.requester.email).count()

    breaches_raise(now=BREACHED)

    assert OutboundEmail.objects.filter(to_address=ticket.requester.email).count() == before


def test_a_warning_goes_to_the_assignee_alone_in_the_workspace(
    fake_now, hour_policy, make_ticket, agent, group, members
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=members[0], assignee=agent, group=group)

    breaches_raise(now=WARNED)

    assert notices(NoticeKind.SLA_WARNING) == [("agent@example.com", ticket.pk)]
    assert not OutboundEmail.objects.filter(kind=OutboundKind.AGENT_SLA_WARNING).exists()  # off by default


def test_a_warning_on_an_unassigned_ticket_goes_to_its_group(fake_now, hour_policy, make_ticket, agent, group, members):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, group=group)

    breaches_raise(now=WARNED)

    assert notices(NoticeKind.SLA_WARNING) == [
        ("dominique@example.com", ticket.pk),
        ("eliott@example.com", ticket.pk),
    ]


def test_a_breach_tells_the_assignee_and_the_group_by_e_mail_too(
    fake_now, hour_policy, make_ticket, agent, group, members, mailoutbox
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=members[0], assignee=agent, group=group)

    breaches_raise(now=BREACHED)

    everyone = [
        ("agent@example.com", ticket.pk),
        ("dominique@example.com", ticket.pk),
        ("eliott@example.com", ticket.pk),
    ]
    assert notices(NoticeKind.SLA_BREACH) == everyone
    sent = OutboundEmail.objects.filter(kind=OutboundKind.AGENT_SLA_BREACH)
    assert sorted(sent.values_list("to_address", flat=True)) == [address for address, _ in everyone]
    email_deliver(sent.get(to_address="agent@example.com").pk)
    # In the agent's language: the site's (French) when they chose none.
    assert f"Le ticket n° {ticket.reference} a dépassé son niveau de service." in mailoutbox[-1].body
    assert f"/agent/tickets/{ticket.reference}/" in mailoutbox[-1].body
