"""Following a ticket: an agent who is not its assignee hears of the requester's replies too, as they chose."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.notifications.agent_rules import agent_notices_for
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_save
from comptoir.tickets.models import Channel, EventKind
from comptoir.tickets.services import ticket_follow, ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def dominique(db):
    return User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)


def notices(agent: User) -> list[str]:
    return list(AgentNotice.objects.filter(recipient=agent).values_list("kind", flat=True))


def emailed(kind: str) -> list[str]:
    return sorted(OutboundEmail.objects.filter(kind=kind).values_list("to_address", flat=True))


def test_an_agent_follows_a_ticket_from_its_page_and_stops(client, agent, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)
    page = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert f'action="{url("agent_ticket_follow", ticket.reference)}"' in page and 'aria-pressed="false"' in page

    response = client.post(url("agent_ticket_follow", ticket.reference), {"follow": "1"})

    assert response["Location"] == url("agent_ticket", ticket.reference)
    assert list(ticket.followers.all()) == [agent]
    page = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert 'aria-pressed="true"' in page and "Following" in page
    client.post(url("agent_ticket_follow", ticket.reference), {"follow": "0"})
    assert not ticket.followers.exists()
    # Following is the agent's own choice: the ticket's history does not change.
    assert not ticket.events.exclude(kind=EventKind.CREATED).exists()


def test_following_takes_a_post_by_an_agent(client, make_ticket):
    ticket = make_ticket()
    client.force_login(ticket.requester)
    assert client.post(url("agent_ticket_follow", ticket.reference), {"follow": "1"}).status_code == 403
    assert not ticket.followers.exists()
    with pytest.raises(ValueError, match="only agents"):
        ticket_follow(ticket, ticket.requester, follow=True)


def test_the_assignee_sees_no_follow_button(client, agent, make_ticket):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent)
    client.force_login(agent)
    assert (
        url("agent_ticket_follow", ticket.reference)
        not in client.get(url("agent_ticket", ticket.reference)).content.decode()
    )


def test_a_requester_s_reply_tells_the_followers_and_the_assignee_once_each(make_ticket, agent, dominique, mailoutbox):
    ticket = make_ticket(subject="Export fails")
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, body="Which browser?")
    ticket_follow(ticket, dominique, follow=True)

    ticket_reply_by_requester(ticket=ticket, body="Firefox.", channel=Channel.WEB)

    assert notices(dominique) == [NoticeKind.REPLY] and notices(agent) == [NoticeKind.REPLY]
    assert emailed(OutboundKind.REQUESTER_REPLIED) == ["agent@example.com", "dominique@example.com"]
    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.REQUESTER_REPLIED, to_address="dominique@example.com").pk)
    assert (
        "Firefox." in mailoutbox[-1].body and "que vous suivez" in mailoutbox[-1].body
    )  # the agent's language: French here
    # A follower who wants no e-mail of replies still sees the notice in the workspace.
    choices_save(dominique.pk, {NoticeKind.REPLY: (True, False)})
    ticket_reply_by_requester(ticket=ticket, body="And Chrome.", channel=Channel.WEB)
    assert notices(dominique) == [NoticeKind.REPLY, NoticeKind.REPLY]
    assert emailed(OutboundKind.REQUESTER_REPLIED).count("dominique@example.com") == 1


def test_an_agent_s_own_words_tell_no_follower_of_a_reply(make_ticket, agent, dominique):
    ticket = make_ticket()
    ticket_follow(ticket, dominique, follow=True)
    ticket_update_by_agent(ticket, agent=agent, body="We are on it.")
    assert notices(dominique) == []


def test_the_rule_gives_a_follower_the_reply_notice_and_a_mention_comes_first(make_ticket, dominique):
    ticket = make_ticket()
    reply = ticket_reply_by_requester(ticket=ticket, body="Still broken.", channel=Channel.WEB)
    events = list(ticket.events.filter(kind=EventKind.REPLY).select_related("message", "ticket"))
    assert reply is not None and events
    due = agent_notices_for(events, follower_ids=[dominique.pk])
    assert [(notice.kind, notice.recipient_id) for notice in due] == [(NoticeKind.REPLY, dominique.pk)]
    assert agent_notices_for(events, follower_ids=[ticket.requester_id]) == []  # whoever wrote hears nothing
