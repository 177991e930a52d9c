"""Saved views: the list kept under a name, personal or shared, counted in the list's one count query."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Priority, SupportGroup
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace.models import SavedView, Visibility, built_in_views_restore
from tests.workspace.test_workspace_queries import LIST_QUERIES

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def refs(html: str) -> list[int]:
    return sorted(int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', html))


def side_bar(client, *, built_in: bool = False) -> dict[str, str]:
    """The side bar's views, the team's then the agent's own, by name, with their counts (built-in ones if asked)."""
    response = client.get(url("agent_tickets"))
    views = response.context["shared_views"] + response.context["own_views"]
    return {view.label: str(count) for view, count in views if built_in or not view.key}


@pytest.fixture
def built_in(db) -> None:
    # They come with the migrations; a flush by an earlier test on a real transaction takes them away.
    built_in_views_restore()


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
    assert len(response.context["own_views"]) == 10


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


def test_pages_other_than_the_list_fetch_the_side_bar_with_its_counts_in_a_constant_number_of_queries(
    signed_in, make_ticket, agent, django_assert_num_queries, built_in
):
    for n in range(3):
        ticket_update_by_agent(make_ticket(subject=f"Urgent {n}"), agent=agent, priority=Priority.URGENT)
    make_ticket(subject="Calm")
    save(signed_in, "Urgent", "view=all&priority=urgent")
    with translation.override("en"):
        page = signed_in.get(reverse("agent_quarantine")).content.decode()
    # The page shows the views at once, without counts, and says where to fetch them.
    assert f'data-sidebar-source="{url("agent_sidebar")}"' in page
    assert '<span class="count">' not in page.split('id="views-nav"')[1].split("</nav>")[0]

    # session, user, agents, groups, saved views, and every count in one query
    with django_assert_num_queries(6):
        fragment = signed_in.get(url("agent_sidebar"))
    html = fragment.content.decode()
    assert fragment.context["own_views"][0][0].name == "Urgent"
    assert re.search(r'\?saved=\d+"\s*>\s*<span>Urgent</span>\s*<span class="count">3</span>', html)
    assert re.search(r'\?view=all" data-view="all"\s*>\s*<span>All tickets</span>\s*<span class="count">4</span>', html)
    save(signed_in, "Calm ones", "view=all&q=calm")
    with django_assert_num_queries(6):
        signed_in.get(url("agent_sidebar"))


def test_the_side_bar_is_the_workspace_s_alone(client, make_ticket):
    assert client.get(url("agent_sidebar"))["Location"].startswith(url("account_login"))
    client.force_login(make_ticket().requester)
    assert client.get(url("agent_sidebar")).status_code == 403


def test_the_team_s_views_are_shared_views_named_in_the_reader_s_language(signed_in, make_ticket, agent, built_in):
    ticket_update_by_agent(make_ticket(), agent=agent, assignee=agent)
    make_ticket()
    assert side_bar(signed_in, built_in=True) == {
        "My unsolved tickets": "1",
        "Unassigned": "1",
        "All open": "2",
        "Pending": "0",
        "On hold": "0",
        "Solved": "0",
        "All tickets": "2",
        "Spam": "0",
        "Breaching soon": "0",  # no service-level policy here
    }
    with translation.override("fr"):
        french = signed_in.get(reverse("agent_tickets")).content.decode()
    # Agents land on their own unsolved tickets, at the view's plain address.
    assert re.search(
        r'href="/fr/agent/\?view=mine" data-view="mine"\s*aria-current="page">\s*<span>Mes tickets non résolus', french
    )
    assert '<h2 id="view-heading">Mes tickets non résolus' in french
    # An agent may not change them: no tools, and no "changes to" among the save choices.
    assert (
        "agent_view_delete" not in french and "Changes to" not in signed_in.get(url("agent_tickets")).content.decode()
    )


def test_an_admin_changes_a_built_in_view_for_everyone_and_an_agent_cannot(client, agent, admin, make_ticket, built_in):
    unassigned = SavedView.objects.get(key="unassigned")
    urgent = make_ticket(subject="Urgent")
    ticket_update_by_agent(urgent, agent=admin, priority=Priority.URGENT)
    make_ticket(subject="Calm")
    client.force_login(agent)
    response = client.post(
        url("agent_view_save"), {"replace": unassigned.pk, "params": "view=unassigned&priority=urgent", "name": "x"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)][-1:] == [
        f"Select a valid choice. {unassigned.pk} is not one of the available choices."
    ]
    client.force_login(admin)
    page = client.get(url("agent_tickets"), {"view": "unassigned"}).content.decode()
    assert f'action="{url("agent_view_delete", unassigned.pk)}"' in page and "Changes to “Unassigned”" in page

    response = client.post(
        url("agent_view_save"), {"replace": unassigned.pk, "params": "view=unassigned&priority=urgent"}
    )

    assert response["Location"] == url("agent_tickets") + f"?saved={unassigned.pk}"
    unassigned.refresh_from_db()
    assert (unassigned.params, unassigned.name, unassigned.visibility) == (
        "view=unassigned&priority=urgent",
        "",
        Visibility.EVERYONE,
    )
    viewer = Client()
    viewer.force_login(agent)
    assert side_bar(viewer, built_in=True)["Unassigned"] == "1"
    html = viewer.get(url("agent_tickets"), {"saved": unassigned.pk}).content.decode()
    assert refs(html) == [urgent.reference]
    assert f'href="{url("agent_tickets")}?saved={unassigned.pk}"' in html


def test_a_deleted_built_in_view_can_be_put_back(client, admin, built_in):
    # An admin of the team who also runs the admin site.
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin)
    spam = SavedView.objects.get(key="spam")
    client.post(url("agent_view_delete", spam.pk))
    assert "Spam" not in side_bar(client, built_in=True)
    # The view's address still lists, as it always did; the admin puts the view back from the admin site.
    assert client.get(url("agent_tickets"), {"view": "spam"}).status_code == 200
    response = client.post(
        reverse("admin:workspace_savedview_changelist"),
        {"action": "restore_built_in_views", "_selected_action": [SavedView.objects.first().pk]},
    )
    assert response.status_code == 302
    assert side_bar(client, built_in=True)["Spam"] == "0"
