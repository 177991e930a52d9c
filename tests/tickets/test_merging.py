"""Merging tickets: everything moves to the target, the source closes pointing there, mail and links follow."""

from __future__ import annotations

import pytest

from comptoir.gateway.inbound import ingest
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.tickets.links import link_issue, link_redeem
from comptoir.tickets.merging import MergeRefused, merge_plan, tickets_merge
from comptoir.tickets.models import AuthorRole, Channel, EventKind, Message, Status, Ticket
from comptoir.tickets.search import search_condition
from comptoir.tickets.search_query import parse_search
from comptoir.tickets.services import (
    merge_destination,
    ticket_add_ccs,
    ticket_reply_by_requester,
    ticket_set_status,
    ticket_update_by_agent,
)
from tests.conftest import png_attachment
from tests.mail.test_reply_by_email import deliver, reply_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_ticket, agent):
    """Alice wrote twice about the same export: the second ticket is the duplicate."""
    kept = make_ticket(subject="Export fails")
    duplicate = make_ticket(
        subject="Export still broken", description="Same problem, zebra file.", files=[png_attachment()]
    )
    ticket_update_by_agent(duplicate, agent=agent, body="Looked at the logs.", is_public=False)
    return kept, duplicate


def test_a_merge_moves_the_conversation_and_files_and_closes_the_source(pair, agent):
    kept, duplicate = pair
    token = link_issue(duplicate)
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=False)

    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.merged_into == kept
    bodies = list(kept.messages.values_list("body", flat=True))
    assert bodies[:3] == ["The export button does nothing.", "Same problem, zebra file.", "Looked at the logs."]
    assert bodies[-1] == f"Request #{duplicate.reference} was merged into this one."
    assert kept.attachments.count() == 1
    assert kept.attachments.get().message.ticket == kept
    # Left on the source: the message saying where the rest went; here an internal note.
    note = duplicate.messages.get()
    assert note.body == f"This request was merged into request #{kept.reference}."
    assert not note.is_public and note.author == agent
    # The duplicate's secret link still opens the duplicate, which says where the conversation went:
    # moved, it would let its holder speak on the kept ticket as that ticket's requester.
    assert link_redeem(token) == duplicate
    # Both histories say so.
    assert duplicate.events.filter(kind=EventKind.MERGED_INTO, new_value=f"#{kept.reference}").count() == 1
    assert kept.events.filter(kind=EventKind.MERGED_FROM, new_value=f"#{duplicate.reference}").count() == 1
    closing = duplicate.events.get(kind=EventKind.MERGED_INTO).change
    assert set(duplicate.events.filter(change=closing).values_list("kind", flat=True)) >= {
        EventKind.MERGED_INTO,
        EventKind.NOTE,
        EventKind.STATUS,
    }


def test_telling_the_requesters_writes_public_replies_that_are_e_mailed(pair, agent, mailoutbox):
    kept, duplicate = pair
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=True)
    replies = OutboundEmail.objects.filter(kind=OutboundKind.AGENT_REPLY)
    assert sorted((email.ticket_id, email.to_address) for email in replies) == [
        (kept.pk, "alice@example.org"),
        (duplicate.pk, "alice@example.org"),
    ]
    assert duplicate.messages.get().is_public


def test_not_telling_them_sends_nothing(pair, agent):
    kept, duplicate = pair
    before = OutboundEmail.objects.count()
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=False)
    assert OutboundEmail.objects.count() == before


def test_another_requester_and_the_sources_ccs_are_copied_on_the_target(make_ticket, agent):
    kept = make_ticket(email="alice@example.org")
    other = make_ticket(email="bob@example.net", name="Bob Stone")
    ticket_add_ccs(other, [("Carol", "carol@example.com"), ("Alice", "alice@example.org")], actor=agent)
    plan = merge_plan([other], kept)
    assert [person.email for person in plan.other_requesters] == ["bob@example.net"]
    tickets_merge([other], kept, agent=agent, tell_requesters=False)
    # Alice is the target's requester: she is not copied on her own ticket.
    assert sorted(kept.ccs.values_list("email", flat=True)) == ["bob@example.net", "carol@example.com"]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("closed target", MergeRefused.CLOSED_TARGET),
        ("closed source", MergeRefused.CLOSED_SOURCE),
        ("same ticket", MergeRefused.SAME_TICKET),
    ],
)
def test_a_merge_that_cannot_be_done_is_refused_and_changes_nothing(pair, agent, case, reason):
    kept, duplicate = pair
    if case == "closed target":
        assert ticket_set_status(kept, Status.CLOSED, actor=None)
    elif case == "closed source":
        duplicate.refresh_from_db()
        assert ticket_set_status(duplicate, Status.CLOSED, actor=None)
    sources = [kept] if case == "same ticket" else [duplicate]
    messages_before = list(Message.objects.order_by("id").values_list("id", "ticket_id"))
    with pytest.raises(MergeRefused) as refused:
        tickets_merge(sources, kept, agent=agent, tell_requesters=True)
    assert refused.value.reason == reason
    assert list(Message.objects.order_by("id").values_list("id", "ticket_id")) == messages_before
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()


def test_a_reply_to_the_sources_e_mail_thread_lands_on_the_target(make_ticket, agent, mailoutbox):
    kept = make_ticket(subject="Export fails")
    duplicate = make_ticket(subject="Export still broken")
    ticket_update_by_agent(duplicate, agent=agent, body="Which browser do you use?", status=Status.PENDING)
    message_id = deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=False)

    ingest(reply_to(message_id, b"Firefox 140, on Linux."), source="test")
    latest = Message.objects.order_by("-id").first()
    assert latest is not None
    assert latest.ticket == kept
    assert latest.author_role == AuthorRole.REQUESTER
    assert latest.body.startswith("Firefox 140, on Linux.")
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert not Ticket.objects.filter(follow_up_of=duplicate).exists()  # no follow-up: the thread goes on


def test_a_reply_on_the_sources_page_goes_to_the_target_in_the_writers_name(make_ticket, agent):
    kept = make_ticket(email="alice@example.org")
    other = make_ticket(email="bob@example.net", name="Bob Stone")
    tickets_merge([other], kept, agent=agent, tell_requesters=False)
    other.refresh_from_db()
    message = ticket_reply_by_requester(ticket=other, body="Any news?", channel=Channel.WEB)
    assert message.ticket == kept
    assert message.author == other.requester


def test_a_chain_of_merges_is_followed_to_its_end(make_ticket, agent):
    first, second, third = (make_ticket(subject=f"Export {n}") for n in range(3))
    tickets_merge([first], second, agent=agent, tell_requesters=False)
    tickets_merge([second], third, agent=agent, tell_requesters=False)
    first.refresh_from_db()
    assert merge_destination(first) == third


def test_the_words_of_moved_messages_find_the_target(pair, agent):
    kept, duplicate = pair
    tickets_merge([duplicate], kept, agent=agent, tell_requesters=False)
    found = Ticket.objects.filter(search_condition(parse_search("zebra"), agent).condition)
    assert list(found) == [kept]


def test_a_reply_on_a_merged_tickets_page_goes_on_but_opens_nothing_more(client, make_ticket, agent):
    from django.urls import reverse
    from django.utils import translation

    kept = make_ticket(email="alice@example.org", subject="Alice's")
    other = make_ticket(email="bob@example.net", name="Bob Stone", subject="Bob's")
    with translation.override("en"):
        assert client.post(reverse("ticket_link"), {"link": link_issue(other)}).status_code == 302
        tickets_merge([other], kept, agent=agent, tell_requesters=False)
        response = client.post(reverse("ticket_reply", args=[other.reference]), {"body": "Any news?"})
        assert response.status_code == 302
        # Bob's words reach the kept ticket as his, a CC's; Alice's ticket stays closed to his browser.
        message = kept.messages.order_by("-id").first()
        assert message is not None and message.body == "Any news?" and message.author == other.requester
        assert client.get(reverse("ticket_detail", args=[kept.reference])).status_code == 404


def test_merging_several_tells_the_kept_ticket_once_and_hands_it_their_followers(make_ticket, agent):
    from comptoir.accounts.models import Role, User
    from comptoir.mail.models import OutboundEmail
    from comptoir.tickets.services import ticket_follow

    kept = make_ticket(email="kept@example.org", subject="Printer")
    sources = [make_ticket(email=f"other{n}@example.org", subject=f"Printer {n}") for n in range(3)]
    watcher = User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)
    ticket_follow(sources[1], watcher, follow=True)
    before = set(OutboundEmail.objects.filter(to_address="kept@example.org").values_list("pk", flat=True))

    tickets_merge(sources, kept, agent=agent, tell_requesters=True)

    references = ", ".join(f"#{source.reference}" for source in sources)
    said = list(kept.messages.filter(author=agent).values_list("body", flat=True))
    assert said == [f"Requests {references} were merged into this one."]
    assert kept.events.filter(kind=EventKind.MERGED_FROM).count() == 3
    # The kept ticket's requester is e-mailed the merge once, not once a ticket merged (and who is now copied).
    sent = OutboundEmail.objects.filter(to_address="kept@example.org").exclude(pk__in=before)
    assert sorted(sent.values_list("kind", flat=True)) == sorted([OutboundKind.AGENT_REPLY, OutboundKind.CCS_ADDED])
    assert list(kept.followers.all()) == [watcher]
