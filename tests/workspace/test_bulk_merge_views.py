"""The list's "Merge into…": the ticked tickets go to the merge page, which confirms as for one ticket, then merges."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import translation

from comptoir.tickets.models import Status, Ticket, TicketCC
from comptoir.tickets.services import ticket_set_status
from tests.workspace.test_bulk_views import flashes, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(make_ticket) -> tuple[Ticket, Ticket, Ticket]:
    """Alice's ticket to keep, her duplicate, and Bob's ticket about the same outage."""
    return (
        make_ticket(email="alice@example.org", subject="Export fails"),
        make_ticket(email="alice@example.org", subject="Export still fails"),
        make_ticket(email="bob@example.net", name="Bob Stone", subject="Export broken for us too"),
    )


def test_the_bulk_panel_asks_for_the_target_and_the_choice_to_tell(signed_in, make_ticket):
    make_ticket()
    page = signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    assert 'name="action" value="merge"' in page
    assert re.search(r'<input type="text" name="into"[^>]* id="bulk-into"', page)
    assert re.search(r'<input type="radio" name="tell" value="yes"[^>]* checked', page)
    assert 'value="no"' in page


def test_merge_into_goes_to_the_confirmation_with_the_ticked_tickets_and_merges_nothing(signed_in, trio):
    kept, duplicate, other = trio
    response = signed_in.post(
        url("agent_bulk_update"),
        {
            "tickets": [duplicate.reference, other.reference, duplicate.reference],
            "action": "merge",
            "into": kept.reference,
            "tell": "no",
            "priority": "urgent",  # another button's field: not read
        },
    )
    assert response.status_code == 302
    address = urlsplit(response["Location"])
    assert address.path == url("agent_tickets_merge")
    assert parse_qs(address.query) == {
        "tickets": [str(duplicate.reference), str(other.reference)],
        "into": [str(kept.reference)],
        "tell": ["no"],
    }

    page = signed_in.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    for ticket in (duplicate, other):
        assert f"#{ticket.reference} {ticket.subject}" in content
        assert f'<input type="hidden" name="tickets" value="{ticket.reference}">' in content
    assert f'<input type="hidden" name="into" value="{kept.reference}">' in content
    # Bob would read Alice's conversation: said before anything is done, as for one ticket.
    assert 'role="alert"' in content and "bob@example.net" in content
    assert re.search(r'<input type="radio" name="tell" value="no"[^>]* checked', content)
    assert "Merge these 2 tickets into" in content
    for ticket in trio:
        ticket.refresh_from_db()
        assert ticket.merged_into is None and ticket.status == Status.NEW


def test_confirming_merges_every_ticked_ticket_into_the_target(signed_in, trio):
    kept, duplicate, other = trio
    response = signed_in.post(
        url("agent_tickets_merge"),
        {"tickets": [duplicate.reference, other.reference], "into": kept.reference, "tell": "yes"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("agent_ticket", kept.reference)
    with translation.override("en"):
        assert flashes(response) == [f"Tickets #{duplicate.reference}, #{other.reference} were merged into this one."]
    for source in (duplicate, other):
        source.refresh_from_db()
        assert source.merged_into == kept and source.status == Status.CLOSED
        assert source.messages.get().is_public  # "yes": a public reply on each
    assert list(TicketCC.objects.filter(ticket=kept).values_list("email", flat=True)) == ["bob@example.net"]


def test_the_target_ticked_with_its_duplicates_is_the_one_kept(signed_in, trio):
    kept, duplicate, _other = trio
    query = {"tickets": [kept.reference, duplicate.reference], "into": kept.reference}
    page = signed_in.get(url("agent_tickets_merge"), query).content.decode()
    assert f'<input type="hidden" name="tickets" value="{kept.reference}">' not in page
    assert 'role="alert"' not in page  # the same requester
    response = signed_in.post(url("agent_tickets_merge"), {**query, "tell": "no"})
    assert response["Location"] == url("agent_ticket", kept.reference)
    duplicate.refresh_from_db()
    kept.refresh_from_db()
    assert duplicate.merged_into == kept
    assert kept.merged_into is None and kept.status != Status.CLOSED


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("closed source", "is closed: it cannot be merged."),
        ("only the target", "A ticket cannot be merged into itself"),
        ("no such target", "There is no ticket #999999."),
        ("no target", "Enter the number of the ticket to merge into."),
    ],
)
def test_a_merge_that_cannot_be_done_says_why_and_changes_nothing(signed_in, trio, case, said):
    kept, duplicate, other = trio
    data: dict[str, object] = {"tickets": [duplicate.reference, other.reference], "into": kept.reference}
    if case == "closed source":
        assert ticket_set_status(other, Status.CLOSED, actor=None)
    elif case == "only the target":
        data["tickets"] = [kept.reference]
    elif case == "no such target":
        data["into"] = "999999"
    else:
        data["into"] = ""
    response = signed_in.post(url("agent_tickets_merge"), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert said in content
    # Asked again, with the same tickets.
    first = kept if case == "only the target" else duplicate
    assert 'name="into"' in content and f'name="tickets" value="{first.reference}"' in content
    for ticket in trio:
        ticket.refresh_from_db()
        assert ticket.merged_into is None


def test_without_a_number_the_page_asks_for_one(signed_in, trio):
    _kept, duplicate, other = trio
    response = signed_in.post(
        url("agent_bulk_update"), {"tickets": [duplicate.reference, other.reference], "action": "merge", "into": ""}
    )
    assert "into" not in parse_qs(urlsplit(response["Location"]).query)
    page = signed_in.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert 'method="post"' not in content.split("<main", 1)[1]
    assert re.search(r'<form method="get"', content) and 'name="into"' in content
    assert "Merge 2 tickets into another" in content


def test_ticked_tickets_since_deleted_are_named_and_the_rest_shown(signed_in, trio):
    kept, duplicate, _other = trio
    gone = Ticket.objects.create(requester=kept.requester, subject="Gone")
    gone_reference = gone.reference
    gone.delete()
    query = {"tickets": [duplicate.reference, gone_reference], "into": kept.reference}
    content = signed_in.get(url("agent_tickets_merge"), query).content.decode()
    assert f"No longer there: #{gone_reference}." in content
    assert f'name="tickets" value="{duplicate.reference}"' in content
    assert f'name="tickets" value="{gone_reference}"' not in content

    response = signed_in.get(url("agent_tickets_merge"), {"tickets": [gone_reference]})
    assert response["Location"] == url("agent_tickets")
    with translation.override("en"):
        assert flashes(response) == [f"No longer there: #{gone_reference}."]


def test_the_merge_needs_ticked_tickets(signed_in, trio):
    response = signed_in.post(url("agent_bulk_update"), {"action": "merge", "into": trio[0].reference})
    assert response["Location"] == url("agent_tickets")
    with translation.override("en"):
        assert flashes(response)[-1:] == ["Tick at least one ticket first."]
    response = signed_in.get(url("agent_tickets_merge"))
    assert response["Location"] == url("agent_tickets")
    response = signed_in.post(
        url("agent_bulk_update"), {"tickets": [trio[1].reference], "action": "merge", "into": "9" * 40}
    )
    assert response["Location"] == url("agent_tickets")


def test_only_agents_merge_in_bulk_and_only_by_post_with_a_csrf_token(client, trio, agent):
    kept, duplicate, other = trio
    data = {"tickets": [duplicate.reference, other.reference], "into": kept.reference}
    assert client.post(url("agent_tickets_merge"), data)["Location"].startswith("/accounts/login/")
    client.force_login(duplicate.requester)
    assert client.post(url("agent_tickets_merge"), data).status_code == 403
    assert client.get(url("agent_tickets_merge"), data).status_code == 403
    client.force_login(agent)
    assert client.put(url("agent_tickets_merge"), data).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(url("agent_tickets_merge"), data).status_code == 403
    for ticket in trio:
        ticket.refresh_from_db()
        assert ticket.merged_into is None
