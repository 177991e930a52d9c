"""The list's rows read by statements compiled once (comptoir.workspace.compiled), and the page's parts written once
(comptoir.workspace.shell, list_forms): each shows what the page showed when it was built at every request."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import ERASED_DOMAIN, Role, User
from comptoir.tickets.models import Priority, Tag, Ticket
from comptoir.workspace import listing
from comptoir.workspace.selectors import SORTS

pytestmark = pytest.mark.django_db

PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def references(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<span class="ref">#(\d+)</span>', page)]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="\?([^"]+)"', page)
    return url("agent_tickets") + "?" + html.unescape(found.group(1)) if found else None


@pytest.fixture
def tied(make_ticket) -> list[Ticket]:
    """28 tickets whose update times and priorities repeat: pages end inside runs of equal sort keys."""
    made = [make_ticket(email=f"p{n}@example.org", subject=f"T{n}") for n in range(28)]
    start = timezone.now() - timedelta(days=3)
    for n, ticket in enumerate(made):
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=start + timedelta(hours=n % 4), priority=PRIORITIES[n % 4]
        )
    return made


@pytest.mark.parametrize("sort", ["-updated", "-priority", "created"])
def test_the_list_pages_through_every_ticket_once_forwards_and_back(signed_in, tied, sort):
    expected = [ticket.reference for ticket in Ticket.objects.order_by(*SORTS[sort])]
    address: str | None = url("agent_tickets") + f"?view=all&sort={sort}"
    pages = []
    while address is not None:
        page = signed_in.get(address).content.decode()
        pages.append(references(page))
        address = link(page, "next")
    backwards = []
    address = link(page, "prev")
    while address is not None:
        page = signed_in.get(address).content.decode()
        backwards.insert(0, references(page))
        address = link(page, "prev")

    assert [len(shown) for shown in pages] == [25, 3]
    assert [reference for shown in pages for reference in shown] == expected
    # Back from the last page: the pages before it, as they were going forwards.
    assert backwards == pages[:-1]


def test_a_page_s_statement_is_compiled_once_for_every_agent_and_page_of_its_shape(client, agent, tied, monkeypatch):
    compiled_now: list[str] = []
    original = listing._page_statement

    def counting(*args, **kwargs):
        statement = original(*args, **kwargs)
        compiled_now.append(statement.sql)
        return statement

    monkeypatch.setattr(listing, "_page_statement", counting)
    monkeypatch.setattr(listing, "_PAGES_COMPILED", {})
    client.force_login(agent)
    first = client.get(url("agent_tickets") + "?view=all").content.decode()
    second_page = client.get(link(first, "next")).content.decode()
    back = client.get(link(second_page, "prev")).content.decode()
    # Three shapes: the first page, the rows after a boundary, the rows before one.
    assert len(compiled_now) == 3

    # The same shapes again: nothing compiled, and each page the rows of its own boundary.
    again = client.get(url("agent_tickets") + "?view=all").content.decode()
    assert references(client.get(link(again, "next")).content.decode()) == references(second_page)
    assert len(compiled_now) == 3
    newest_first = [ticket.reference for ticket in Ticket.objects.order_by(*SORTS["-updated"])]
    assert references(again) == references(first) == references(back) == newest_first[:25]
    assert references(second_page) == newest_first[25:]

    # "mine" is each agent's own: another agent's page is a statement of its own.
    other = User.objects.create_user("other@example.com", name="Other", role=Role.AGENT)
    Ticket.objects.filter(pk=tied[0].pk).update(assignee=other)
    client.force_login(other)
    assert references(client.get(url("agent_tickets") + "?view=mine").content.decode()) == [tied[0].reference]
    client.force_login(agent)
    assert references(client.get(url("agent_tickets") + "?view=mine").content.decode()) == []
    assert len(compiled_now) == 5


def test_a_row_shows_its_tags_in_name_order_and_an_erased_requester_as_every_page_names_them(signed_in, make_ticket):
    ticket = make_ticket(email="gone@example.org", name="Gone Person")
    ticket.tags.add(*(Tag.objects.create(name=name) for name in ("zeta", "alpha", "m&m")))
    User.objects.filter(pk=ticket.requester_id).update(is_active=False, email=f"x1@{ERASED_DOMAIN}")
    bare = make_ticket(email="bare@example.org", subject="No tags")

    page = signed_in.get(url("agent_tickets") + "?view=all").content.decode()

    names = re.findall(r'<a class="tag tag-label" href="[^"]+">([^<]+)</a>', page)
    assert names == ["alpha", "m&amp;m", "zeta"]
    assert "<td>Erased requester</td>" in page and "Gone Person" not in page
    row = page[page.index(f"#{bare.reference}</span>") :].split("</tr>")[0]
    assert "tag-label" not in row


def test_the_top_bar_is_the_agent_s_own_with_the_request_s_address_and_a_token_that_is_accepted(agent, make_ticket):
    make_ticket()
    other = User.objects.create_user("bea@example.com", name="Béa <Ops>", role=Role.AGENT)
    agent_client, other_client = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    agent_client.force_login(agent)
    other_client.force_login(other)
    address = url("agent_tickets") + "?view=all&q=a%22b"

    mine = agent_client.get(address).content.decode()
    theirs = other_client.get(address).content.decode()

    assert re.findall(r'<span class="profile-name">([^<]*)</span>', mine) == [agent.get_short_name()]
    assert re.findall(r'<span class="profile-name">([^<]*)</span>', theirs) == ["Béa &lt;Ops&gt;"]
    # The address the language switcher and the availability form come back to: this page's, escaped.
    assert mine.count('name="next" value="/en/agent/?view=all&amp;q=a%22b"') >= 2
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', mine)
    assert token is not None
    response = agent_client.post(url("agent_availability"), {"away": "1", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    # What the bar shows changed: the bar changes with it.
    assert "I am back" in agent_client.get(address).content.decode()
    User.objects.filter(pk=agent.pk).update(name="Renamed Agent")
    assert '<span class="profile-name">Renamed Agent</span>' in agent_client.get(address).content.decode()


def test_the_filters_show_the_values_of_the_address_and_the_team_as_it_is(signed_in, make_ticket):
    make_ticket()
    base = url("agent_tickets") + "?view=all"

    assert '<option value="open" selected>' in signed_in.get(base + "&status=open").content.decode()
    pending = signed_in.get(base + "&status=pending").content.decode()
    assert '<option value="pending" selected>' in pending and '<option value="open" selected>' not in pending
    newcomer = User.objects.create_user("zoe@example.com", name="Zoé Newhire", role=Role.AGENT)
    page = signed_in.get(base + "&status=open").content.decode()
    filters = page[page.index('<form method="get" class="filter-form">') :].split("</form>")[0]
    assert f'<option value="{newcomer.pk}">Zoé Newhire</option>' in filters
    assert '<option value="open" selected>' in filters
