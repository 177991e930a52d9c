"""The agent list written lightly: rows and side bar written in Python, a saved view's count compiled once, the
bulk panel written once per language and team. Each keeps what the page showed before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Tag, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace import listing
from comptoir.workspace.models import SavedView, Visibility
from comptoir.workspace.rows import ListRow, rows_html
from tests.workspace.test_workspace_queries import LIST_QUERIES

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def side_bar_count(html: str, label: str) -> str:
    """The count the side bar shows beside the view named ``label``."""
    found = re.search(rf"<span>{re.escape(label)}</span> <span class=\"count\">([^<]+)</span>", html)
    assert found is not None, label
    return found.group(1)


def test_a_saved_view_s_page_reads_the_view_with_the_side_bar_s_views(
    client, agent, make_ticket, django_assert_num_queries
):
    client.force_login(agent)
    make_ticket()
    # No words: a search's words cost the query of the rows' excerpts.
    view = SavedView.objects.create(name="Mine", owner=agent, params="view=all&status=new", position=1)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url("agent_tickets"), {"saved": view.pk})

    assert response.status_code == 200
    assert response.content.decode().count('<span class="ref">') == 1
    # Another agent's personal view is not one of the agent's: not found, as before.
    other = User.objects.create_user("other@example.com", name="Other", role=Role.AGENT)
    theirs = SavedView.objects.create(name="Theirs", owner=other, params="view=all", position=2)
    assert client.get(url("agent_tickets"), {"saved": theirs.pk}).status_code == 404
    assert client.get(url("agent_tickets"), {"saved": "9" * 30}).status_code == 404


def test_the_rows_escape_what_people_typed(client, agent, make_ticket):
    client.force_login(agent)
    ticket = make_ticket(subject="<script>alert(1)</script> & more", name='Bob "the" <i>Builder</i>')
    ticket.tags.add(Tag.objects.create(name="a&b/c"))

    page = client.get(url("agent_tickets"), {"view": "all"}).content.decode()

    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</a>" in page
    assert "<td>Bob &quot;the&quot; &lt;i&gt;Builder&lt;/i&gt;</td>" in page
    # The tag links to a search of it, its name URL-encoded in the address and escaped in the text.
    assert '<a class="tag tag-label" href="?view=all&amp;q=tag:a%26b/c">a&amp;b/c</a>' in page
    assert f'aria-label="Select #{ticket.reference}"' in page


def test_a_row_shows_its_clock_rating_waiting_requester_and_excerpt_as_the_template_did():
    due = timezone.now() + timedelta(hours=2)
    row = ListRow(
        reference=1042,
        url="/en/agent/tickets/1042/",
        subject="Export",
        group="Billing",
        requester="Alice",
        status="open",
        status_label="Open",
        priority="high",
        priority_label="High",
        assignee="",
        updated_at=due,
        updated_ago="just now",
        updated_label="5 Dec 2026, 10:00",
        rating=4,
        requester_spoke_last=True,
        tags=("vip",),
        excerpt='the <mark>export</mark> &amp; "more"',
        sla_state="warning",
        sla_text="due soon: 2 h 00 left",
        sla_due_at=due,
        sla_due_label="5 Dec 2026, 12:00",
    )
    with translation.override("en"):
        html = str(rows_html([row]))

    assert '<span class="ref">#1042</span> Export</a> <span class="tag tag-waiting">Requester spoke last</span>' in html
    assert ' <span class="muted small">Billing</span>' in html
    # The excerpt is safe HTML already: written as it is.
    assert '<p class="excerpt small">the <mark>export</mark> &amp; "more"</p>' in html
    assert (
        f'<time class="sla sla-warning" datetime="{due.isoformat()}" title="Due 5 Dec 2026, 12:00">'
        "due soon: 2 h 00 left</time>"
    ) in html
    assert '<td><span class="muted">Nobody</span></td>' in html
    assert '<span class="rating">4/5</span>' in html
    assert html.count("<tr>") == 1 and html.count("</td>") == 8


def test_a_saved_view_s_count_follows_the_team_it_was_compiled_for(client, agent, make_ticket):
    """Compiled once and kept, a view's count is compiled again when what decides its SQL changes."""
    client.force_login(agent)
    make_ticket(email="a@example.org")
    assigned = make_ticket(email="b@example.org")
    # Not an agent yet: the filter names nobody the form accepts, so the view lists every ticket.
    newcomer = User.objects.create_user("newcomer@example.com", name="Newcomer", role=Role.REQUESTER)
    SavedView.objects.create(
        name="For the newcomer", owner=agent, params=f"view=all&assignee={newcomer.pk}", position=9
    )

    assert side_bar_count(client.get(url("agent_tickets")).content.decode(), "For the newcomer") == "2"
    assert side_bar_count(client.get(url("agent_tickets")).content.decode(), "For the newcomer") == "2"

    User.objects.filter(pk=newcomer.pk).update(role=Role.AGENT)
    newcomer.refresh_from_db()
    ticket_update_by_agent(assigned, agent=newcomer, assignee=newcomer)
    assert side_bar_count(client.get(url("agent_tickets")).content.decode(), "For the newcomer") == "1"


def test_a_saved_view_s_count_is_compiled_once(agent):
    agents, groups = [agent], []
    first = listing.matches_count("view=mine&q=status%3Aopen", agent, agents=agents, groups=groups)
    again = listing.matches_count("view=mine&q=status%3Aopen", agent, agents=agents, groups=groups)
    other = User.objects.create_user("second@example.com", name="Second", role=Role.AGENT)
    theirs = listing.matches_count("view=mine&q=status%3Aopen", other, agents=[agent, other], groups=groups)

    assert again is first
    # "mine" is each agent's own.
    assert theirs != first and agent.pk in first[1] and other.pk in theirs[1]


def test_the_bulk_panel_is_in_the_reader_s_language_and_offers_the_team_as_it_is(client, agent, make_ticket):
    client.force_login(agent)
    make_ticket()

    english = client.get(url("agent_tickets"), {"view": "all"}).content.decode()
    with translation.override("fr"):
        french = client.get(reverse("agent_tickets"), {"view": "all"}).content.decode()
    User.objects.create_user("zoe@example.com", name="Zoé Newhire", role=Role.AGENT)
    later = client.get(url("agent_tickets"), {"view": "all"}).content.decode()

    assert "Apply to the selected tickets" in english
    assert "Apply to the selected tickets" not in french and 'data-macro-options="/fr/agent/' in french
    panel = later.split('<details class="bulk">')[1].split("</details>")[0]
    assert "Zoé Newhire" not in english and "Zoé Newhire" in panel


def test_a_shared_view_is_marked_and_the_shown_one_is_the_current_page(client, agent, make_ticket):
    client.force_login(agent)
    make_ticket()
    admin = User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN)
    shared = SavedView.objects.create(
        name="Team <b>", owner=admin, visibility=Visibility.EVERYONE, params="view=all", position=1
    )

    page = client.get(url("agent_tickets"), {"saved": shared.pk}).content.decode()

    assert re.search(
        rf'<a href="{url("agent_tickets")}\?saved={shared.pk}" aria-current="page"><span>Team &lt;b&gt;'
        r' <span class="shared-mark" title="Shared">·</span><span class="visually-hidden">\(shared\)</span></span>'
        r' <span class="count">1</span></a>',
        page,
    )
    assert page.count('aria-current="page"') == 1
    assert Ticket.objects.count() == 1
