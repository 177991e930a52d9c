"""Saved views: the list kept under a name, personal or shared, counted in the list's one count query."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Priority, SupportGroup
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace.models import SavedView, Visibility
from tests.workspace.test_workspace_queries import LIST_QUERIES

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def refs(html: str) -> list[int]:
    return sorted(int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', html))


def side_bar(client) -> dict[str, str]:
    response = client.get(url("agent_tickets"))
    return {view.name: str(count) for view, count in response.context["saved_views"]}


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def colleague(db):
    return User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)


@pytest.fixture
def admin(db):
    return User.objects.create_user("admin@example.com", name="Ada", role=Role.ADMIN)


def save(client, name: str, params: str, **fields) -> SavedView:
    response = client.post(url("agent_view_save"), {"name": name, "params": params, **fields})
    view = SavedView.objects.get(name=name)
    assert response["Location"] == url("agent_tickets") + f"?saved={view.pk}"
    return view


def test_a_saved_view_lists_what_the_list_did_and_counts_it_in_the_side_bar(signed_in, make_ticket, agent):
    urgent = [make_ticket(subject=f"Urgent {n}") for n in range(3)]
    make_ticket(subject="Calm")
    for ticket in urgent:
        ticket_update_by_agent(ticket, agent=agent, priority=Priority.URGENT, add_tags=["vip"])
    params = "view=all&q=tag%3Avip&priority=urgent&sort=-created&page=3&after=x"
    view = save(signed_in, "Urgent VIPs", params)
    # What a view is, not where the agent was in it: the page is not kept.
    assert view.params == "view=all&q=tag%3Avip&priority=urgent&sort=-created"
    assert (view.owner, view.visibility) == (agent, Visibility.PERSONAL)
    html = signed_in.get(url("agent_tickets"), {"saved": view.pk}).content.decode()
    assert refs(html) == sorted(ticket.reference for ticket in urgent)
    assert '<h2 id="view-heading">Urgent VIPs' in html
    assert side_bar(signed_in) == {"Urgent VIPs": "3"}


def test_a_personal_view_is_its_owners_alone(signed_in, colleague, make_ticket):
    view = save(signed_in, "Mine only", "view=all")
    other = Client()
    other.force_login(colleague)
    assert side_bar(other) == {}
    assert other.get(url("agent_tickets"), {"saved": view.pk}).status_code == 404
    assert other.post(url("agent_view_delete", view.pk)).status_code == 404
    for nonsense in ("abc", "9" * 40, "-1", "\u00b2"):
        assert other.get(url("agent_tickets"), {"saved": nonsense}).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_only_admins_share_and_a_shared_view_counts_for_each_agent(client, agent, colleague, admin, make_ticket):
    mine, theirs = make_ticket(subject="Camille's"), make_ticket(subject="Dominique's")
    ticket_update_by_agent(mine, agent=agent, assignee=agent)
    ticket_update_by_agent(theirs, agent=colleague, assignee=colleague)
    client.force_login(agent)
    tried = save(client, "Tried to share", "view=all", visibility=Visibility.EVERYONE)
    assert tried.visibility == Visibility.PERSONAL
    client.force_login(admin)
    shared = save(client, "Assigned to me", "view=all&q=assignee%3Ame", visibility=Visibility.EVERYONE)
    assert shared.visibility == Visibility.EVERYONE
    for person, expected in ((agent, "1"), (colleague, "1"), (admin, "0")):
        viewer = Client()
        viewer.force_login(person)
        assert side_bar(viewer)["Assigned to me"] == expected
    viewer = Client()
    viewer.force_login(colleague)
    assert refs(viewer.get(url("agent_tickets"), {"saved": shared.pk}).content.decode()) == [theirs.reference]
    # A shared view is its owner's and the admins' to change, not every agent's.
    assert viewer.post(url("agent_view_delete", shared.pk)).status_code == 404


def test_a_view_shared_with_a_group_is_for_its_members(client, admin, agent, colleague):
    billing = SupportGroup.objects.create(name="Billing")
    billing.members.add(agent)
    client.force_login(admin)
    view = save(client, "Billing queue", "view=all", visibility=Visibility.GROUP, group=str(billing.pk))
    assert view.group == billing
    member, outsider = Client(), Client()
    member.force_login(agent)
    outsider.force_login(colleague)
    assert "Billing queue" in side_bar(member)
    assert "Billing queue" not in side_bar(outsider)
    response = client.post(url("agent_view_save"), {"name": "No group", "params": "", "visibility": Visibility.GROUP})
    assert not SavedView.objects.filter(name="No group").exists()
    assert response.status_code == 302


def test_the_counts_of_every_saved_view_take_the_lists_one_count_query(
    signed_in, make_ticket, django_assert_num_queries
):
    make_ticket()
    for n in range(10):
        save(signed_in, f"View {n}", f"view=all&q=status%3Anew+export{n}")
    with django_assert_num_queries(LIST_QUERIES):
        response = signed_in.get(url("agent_tickets"), {"view": "all"})
    assert len(response.context["saved_views"]) == 10


def test_views_move_up_and_down_and_are_deleted_by_their_owner(signed_in):
    first, second, third = (save(signed_in, name, "view=all") for name in ("First", "Second", "Third"))
    signed_in.post(url("agent_view_move", third.pk), {"direction": "up"})
    assert list(side_bar(signed_in)) == ["First", "Third", "Second"]
    signed_in.post(url("agent_view_move", first.pk), {"direction": "down"})
    assert list(side_bar(signed_in)) == ["Third", "First", "Second"]
    signed_in.post(url("agent_view_move", third.pk), {"direction": "up"})  # already first: stays
    assert list(side_bar(signed_in)) == ["Third", "First", "Second"]
    assert signed_in.post(url("agent_view_delete", second.pk))["Location"] == url("agent_tickets")
    assert list(side_bar(signed_in)) == ["Third", "First"]
    assert signed_in.get(url("agent_view_delete", first.pk)).status_code == 405


def test_a_saved_views_next_page_stays_in_the_view(signed_in, make_ticket):
    for n in range(30):
        make_ticket(subject=f"Printer jam {n}")
    view = save(signed_in, "Printers", "view=all&q=printer")
    first = signed_in.get(url("agent_tickets"), {"saved": view.pk}).content.decode()
    following = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert following is not None and f"saved={view.pk}" in following.group(1)
    second = signed_in.get(url("agent_tickets") + "?" + following.group(1).replace("&amp;", "&")).content.decode()
    assert len(refs(second)) == 5


def test_moving_ones_own_view_leaves_the_shared_ones_where_the_admin_put_them(client, agent, admin):
    client.force_login(admin)
    shared = save(client, "Shared", "view=all", visibility=Visibility.EVERYONE)
    client.force_login(agent)
    mine = save(client, "Mine", "view=all")
    other = save(client, "Also mine", "view=all")
    before = SavedView.objects.get(pk=shared.pk).position
    client.post(url("agent_view_move", other.pk), {"direction": "up"})
    assert SavedView.objects.get(pk=shared.pk).position == before
    assert [view.name for view in SavedView.objects.filter(owner=agent)] == ["Also mine", "Mine"]
    assert mine.pk != other.pk
