"""A group's lead hears of every breach on the group's tickets, once; a warning stays with the assignee or the group."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.notifications.agent_rules import AgentNoticeDue, agent_notices_for
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
def lead(db) -> User:
    return User.objects.create_user("lou@example.com", name="Lou", role=Role.AGENT)


@pytest.fixture
def group(lead) -> SupportGroup:
    """Billing, led by Lou (who is not one of its members), with Dominique as its member."""
    billing = SupportGroup.objects.create(name="Billing", lead=lead)
    User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT).support_groups.add(billing)
    return billing


def notices(kind: str) -> list[str]:
    return sorted(AgentNotice.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def test_it_tells_the_assignee_and_the_lead_of_a_breach_not_the_members(
    fake_now, hour_policy, make_ticket, agent, group
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, group=group)

    breaches_raise(now=BREACHED)

    assert notices(NoticeKind.SLA_BREACH) == ["agent@example.com", "lou@example.com"]
    sent = OutboundEmail.objects.filter(kind=OutboundKind.AGENT_SLA_BREACH)
    assert sorted(sent.values_list("to_address", flat=True)) == ["agent@example.com", "lou@example.com"]


def test_it_tells_a_lead_who_is_the_assignee_once(fake_now, hour_policy, make_ticket, agent, group, lead):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=lead, group=group)

    breaches_raise(now=BREACHED)

    assert notices(NoticeKind.SLA_BREACH) == ["lou@example.com"]
    assert OutboundEmail.objects.filter(kind=OutboundKind.AGENT_SLA_BREACH, to_address="lou@example.com").count() == 1


def test_it_tells_the_lead_of_a_breach_on_an_unassigned_ticket(fake_now, hour_policy, make_ticket, agent, group):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, group=group)

    breaches_raise(now=BREACHED)

    assert notices(NoticeKind.SLA_BREACH) == ["lou@example.com"]


def test_it_does_not_tell_the_lead_of_a_warning(fake_now, hour_policy, make_ticket, agent, group):
    assigned, unassigned = make_ticket(subject="Assigned"), make_ticket(subject="Unassigned")
    ticket_update_by_agent(assigned, agent=agent, assignee=agent, group=group)
    ticket_update_by_agent(unassigned, agent=agent, group=group)

    breaches_raise(now=WARNED)

    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 2
    # The assignee of one, the group's member for the other: as before there were leads.
    assert notices(NoticeKind.SLA_WARNING) == ["agent@example.com", "dominique@example.com"]


def test_it_tells_the_members_when_the_lead_is_no_longer_an_active_agent(
    fake_now, hour_policy, make_ticket, agent, group, lead
):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, group=group)
    lead.is_active = False
    lead.save(update_fields=["is_active"])

    breaches_raise(now=BREACHED)

    assert notices(NoticeKind.SLA_BREACH) == ["dominique@example.com"]


def test_the_rule_names_the_lead_once_beside_the_assignee(make_ticket, agent):
    ticket = make_ticket()
    ticket.assignee = agent
    breach = TicketEvent(ticket=ticket, kind=EventKind.SLA_BREACH, automatic=False)

    assert agent_notices_for([breach], group_member_ids=[7, 8], lead_id=agent.pk) == [
        AgentNoticeDue(NoticeKind.SLA_BREACH, agent.pk)
    ]
    assert agent_notices_for([breach], group_member_ids=[7, 8], lead_id=9) == [
        AgentNoticeDue(NoticeKind.SLA_BREACH, agent.pk),
        AgentNoticeDue(NoticeKind.SLA_BREACH, 9),
    ]


def test_admins_choose_a_group_s_lead_in_the_admin(client, lead):
    admin = User.objects.create_superuser("admin@example.com", password="admin-password-1")
    requester = User.objects.create_user("alice@example.org", name="Alice", role=Role.REQUESTER)
    client.force_login(admin)

    page = client.get(reverse("admin:tickets_supportgroup_add")).content.decode()
    response = client.post(
        reverse("admin:tickets_supportgroup_add"), {"name": "Shipping", "lead": lead.pk, "members": [lead.pk]}
    )

    leads = page[page.index('name="lead"') :]
    leads = leads[: leads.index("</select>")]
    assert "lou@example.com" in leads and "alice@example.org" not in leads  # agents only
    assert response.status_code == 302
    assert SupportGroup.objects.get(name="Shipping").lead == lead
    refused = client.post(reverse("admin:tickets_supportgroup_add"), {"name": "Sales", "lead": requester.pk})
    assert refused.status_code == 200 and not SupportGroup.objects.filter(name="Sales").exists()
