"""The merge page: a number, a confirmation saying what moves (and warning of another requester), then the merge."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.services import ticket_set_status

pytestmark = pytest.mark.django_db


def merge_url(ticket: Ticket) -> str:
    with translation.override("en"):
        return reverse("agent_ticket_merge", args=[ticket.reference])


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_the_ticket_page_links_to_the_merge_page_which_asks_for_a_number(signed_in, make_ticket):
    ticket = make_ticket()
    with translation.override("en"):
        page = signed_in.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()
    assert f'href="{merge_url(ticket)}"' in page
    response = signed_in.get(merge_url(ticket))
    assert response.status_code == 200
    assert 'name="into"' in response.content.decode()
    assert 'method="post"' not in response.content.decode().split("<main", 1)[1]


def test_the_confirmation_warns_when_the_requesters_differ_and_merging_is_a_post(signed_in, make_ticket):
    kept = make_ticket(email="alice@example.org")
    other = make_ticket(email="bob@example.net", name="Bob Stone")
    response = signed_in.get(merge_url(other), {"into": kept.reference})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page and "bob@example.net" in page
    assert f'<input type="hidden" name="into" value="{kept.reference}">' in page
    other.refresh_from_db()
    assert other.merged_into is None  # looking is not merging

    same = make_ticket(email="alice@example.org")
    page = signed_in.get(merge_url(same), {"into": kept.reference}).content.decode()
    assert 'role="alert"' not in page

    response = signed_in.post(merge_url(other), {"into": kept.reference, "tell": "no"})
    with translation.override("en"):
        assert response["Location"] == reverse("agent_ticket", args=[kept.reference])
    other.refresh_from_db()
    assert other.merged_into == kept and other.status == Status.CLOSED
    assert not other.messages.get().is_public  # "no": an internal note


@pytest.mark.parametrize(
    ("into", "said"),
    [
        ("999999", "There is no ticket #999999."),
        ("self", "A ticket cannot be merged into itself"),
        ("closed", "is closed: nothing can be merged into it."),
        ("", "Enter the number of the ticket to merge into."),
    ],
)
def test_a_merge_that_cannot_be_done_says_why_and_changes_nothing(signed_in, make_ticket, into, said):
    source = make_ticket()
    target = make_ticket()
    if into == "self":
        into = str(source.reference)
    elif into == "closed":
        assert ticket_set_status(target, Status.CLOSED, actor=None)
        into = str(target.reference)
    response = signed_in.post(merge_url(source), {"into": into})
    assert response.status_code == 400
    assert said in response.content.decode()
    source.refresh_from_db()
    assert source.merged_into is None and source.status == Status.NEW


def test_only_agents_merge_and_only_by_post_with_a_csrf_token(client, make_ticket, agent):
    source, target = make_ticket(), make_ticket()
    data = {"into": target.reference}
    client.force_login(source.requester)
    assert client.post(merge_url(source), data).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(merge_url(source), data).status_code == 403
    source.refresh_from_db()
    assert source.merged_into is None
