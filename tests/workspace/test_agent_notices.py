"""Agents' notices: who is told what, in the workspace and by e-mail, as each agent chose."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.notifications.agent_rules import mentioned_handles
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_save
from comptoir.tickets.models import Channel, SupportGroup
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def dominique(db):
    return User.objects.create_user("dominique.martin@example.com", name="Dominique Martin", role=Role.AGENT)


def notices(agent: User) -> list[tuple[str, int]]:
    return list(AgentNotice.objects.filter(recipient=agent).order_by("id").values_list("kind", "ticket_id"))


def emails(kind: str) -> list[str]:
    return list(OutboundEmail.objects.filter(kind=kind).values_list("to_address", flat=True))


def test_handles_are_read_from_a_note_but_not_from_addresses():
    assert mentioned_handles("@Camille can you look? cc @dominique.martin, @camille again.") == [
        "camille",
        "dominique.martin",
    ]
    assert mentioned_handles("Write to bob@example.org or see a@b") == []


def test_an_agent_assigned_by_a_colleague_is_told_in_the_workspace_and_by_e_mail(make_ticket, agent, dominique):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=dominique)
    assert notices(dominique) == [(NoticeKind.ASSIGNED, ticket.pk)]
    assert emails(OutboundKind.AGENT_ASSIGNED) == ["dominique.martin@example.com"]
    # Taking a ticket oneself tells nobody.
    ticket_update_by_agent(make_ticket(), agent=agent, assignee=agent)
    assert notices(agent) == []


def test_the_e_mail_says_why_and_links_to_the_workspace(make_ticket, agent, dominique, mailoutbox):
    ticket = make_ticket(subject="Export fails")
    ticket_update_by_agent(ticket, agent=agent, assignee=dominique)
    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.AGENT_ASSIGNED).pk)
    sent = mailoutbox[-1]
    assert sent.subject == f"[#{ticket.reference}] Export fails"
    assert f"/agent/tickets/{ticket.reference}/" in sent.body
    assert f"#{ticket.reference}" in sent.body and sent.to == ["dominique.martin@example.com"]


def test_a_requesters_reply_tells_the_assignee_who_may_turn_the_e_mail_off(make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, body="Which browser?")
    ticket_reply_by_requester(ticket=ticket, body="Firefox.", channel=Channel.WEB)
    assert notices(agent) == [(NoticeKind.REPLY, ticket.pk)]
    assert emails(OutboundKind.REQUESTER_REPLIED) == ["agent@example.com"]
    choices_save(agent.pk, {NoticeKind.REPLY: (False, False)})
    ticket_reply_by_requester(ticket=ticket, body="And Chrome.", channel=Channel.WEB)
    assert notices(agent) == [(NoticeKind.REPLY, ticket.pk)]  # no new one
    assert emails(OutboundKind.REQUESTER_REPLIED) == ["agent@example.com"]  # no second e-mail


def test_a_mention_in_a_note_tells_the_agent_named_with_the_note(make_ticket, agent, dominique, mailoutbox):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="@dominique can you check the invoice?", is_public=False)
    assert notices(dominique) == [(NoticeKind.MENTION, ticket.pk)]
    email = OutboundEmail.objects.get(kind=OutboundKind.AGENT_MENTIONED)
    assert email_deliver(email.pk) is True
    assert "can you check the invoice?" in mailoutbox[-1].body
    assert "Camille vous a mentionné" in mailoutbox[-1].body  # the agent has no language: the site's
    # A public reply mentions nobody: the customer reads it.
    ticket_update_by_agent(ticket, agent=agent, body="Thanks @dominique", is_public=True)
    assert len(notices(dominique)) == 1


def test_a_ticket_coming_into_a_group_tells_its_members_in_the_workspace_only(make_ticket, agent, dominique):
    billing = SupportGroup.objects.create(name="Billing")
    billing.members.add(agent, dominique)
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, group=billing)
    assert notices(dominique) == [(NoticeKind.NEW_IN_GROUP, ticket.pk)]
    assert notices(agent) == []  # who moved it knows
    assert emails(OutboundKind.AGENT_NEW_IN_GROUP) == []  # off by default: a group's new tickets are many


def test_the_choices_page_saves_what_each_agent_hears(client, agent, dominique, make_ticket):
    client.force_login(dominique)
    page = client.get(url("agent_notice_settings")).content.decode()
    assert 'name="assigned-email" checked' in page and 'name="new_in_group-email" ' in page
    client.post(url("agent_notice_settings"), {"assigned-email": "on", "mention-workspace": "on"})
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=dominique)
    assert notices(dominique) == []  # not in the workspace any more
    assert emails(OutboundKind.AGENT_ASSIGNED) == ["dominique.martin@example.com"]


def test_the_list_the_badge_and_reading(client, agent, dominique, make_ticket):
    first, second = make_ticket(subject="First"), make_ticket(subject="Second")
    ticket_update_by_agent(first, agent=agent, assignee=dominique)
    ticket_update_by_agent(second, agent=agent, assignee=dominique)
    client.force_login(dominique)
    assert client.get(url("agent_notice_count")).json()["unread"] == 2
    page = client.get(url("agent_notices")).content.decode()
    assert page.count("is-unread") == 2 and "First" in page and "Second" in page
    # Opening a ticket (its presence check-in, a POST) reads its notices.
    client.post(url("agent_presence", first.reference))
    assert client.get(url("agent_notice_count")).json()["unread"] == 1
    client.post(url("agent_notices_read"))
    assert client.get(url("agent_notice_count")).json()["unread"] == 0
    # Another agent's notices are theirs: nothing here reads or counts them.
    other = Client()
    other.force_login(agent)
    assert other.get(url("agent_notice_count")).json()["unread"] == 0


def test_a_note_kept_from_an_e_mail_mentions_nobody(make_ticket, dominique):
    from comptoir.gateway.inbound import ingest
    from comptoir.mail.models import InboundEmail
    from comptoir.tickets.services import ticket_note_from_email
    from tests.mail.test_ingest import raw_message

    ticket = make_ticket()
    row = ingest(raw_message(subject="Hello"), source="test")
    assert isinstance(row, InboundEmail)
    ticket_note_from_email(ticket, body="Hi @dominique please wire the money", inbound_email=row)
    assert notices(dominique) == []
    assert emails(OutboundKind.AGENT_MENTIONED) == []
