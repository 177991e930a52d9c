"""The reports page: who may open it, what it shows, its CSV, and a query count that does not grow with tickets."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_update_by_agent
from tests.reports.conftest import Week
from tests.sla.clock import paris

WEEK_ADDRESS = {"period": "custom", "from": "2026-06-08", "to": "2026-06-14"}


def url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("agent_reports")


def _reporting_agent() -> User:
    agent = User.objects.create_user("reporter@example.com", password="x", name="Rita", role=Role.AGENT)
    leads = Group.objects.create(name="Leads")
    leads.permissions.add(Permission.objects.get(content_type__app_label="reports", codename="view_reports"))
    agent.groups.add(leads)
    return agent


@pytest.mark.django_db
def test_visitors_log_in_requesters_and_agents_without_the_permission_are_refused(client, requester, agent):
    assert client.get(url()).status_code == 302
    client.force_login(requester)
    assert client.get(url()).status_code == 403
    client.force_login(agent)
    assert client.get(url()).status_code == 403


@pytest.mark.django_db
def test_admins_and_agents_given_the_permission_open_it(client, lead):
    client.force_login(lead)
    assert client.get(url()).status_code == 200
    client.force_login(_reporting_agent())
    assert client.get(url("fr")).status_code == 200


def test_a_custom_range_at_the_calendar_s_ends_is_read_as_no_range(client, lead):
    client.force_login(lead)
    for first, last in (("0001-01-01", "0001-01-03"), ("9999-12-29", "9999-12-31")):
        query = {"period": "custom", "from": first, "to": last}
        assert client.get(url(), query).status_code == 200
        assert client.get(url(), {**query, "csv": "volume"}).status_code == 200


@pytest.mark.django_db
def test_admins_find_it_in_their_menu(client, lead, agent):
    client.force_login(lead)
    assert f'href="{url("fr")}"' in client.get(reverse("agent_tickets")).content.decode()
    client.force_login(agent)
    assert f'href="{url("fr")}"' not in client.get(reverse("agent_tickets")).content.decode()


def test_the_page_shows_each_section_with_links_to_the_tickets_behind_the_numbers(client, lead, week: Week):
    client.force_login(lead)
    response = client.get(url(), WEEK_ADDRESS)
    page = response.content.decode()
    assert response.status_code == 200
    for heading in ("Volume", "Speed", "Satisfaction", "Agents"):
        assert f">{heading}</h2>" in page
    assert 'role="img"' in page
    # Created per day link to the workspace search for that day.
    assert "/en/agent/?q=created%3A2026-06-08" in page
    assert "Finally sorted, thanks" in page
    # The agent's open load (T3) links to their active tickets.
    assert "assignee%3Aagent%40example.com+status%3Aactive" in page
    # First reply median 2 h 30 min; one-touch 50 %.
    assert "2 h 30 min" in page
    assert "50%" in page


def test_a_group_filter_narrows_the_figures_and_the_links(client, lead, week: Week):
    client.force_login(lead)
    page = client.get(url(), {**WEEK_ADDRESS, "group": week.billing.pk}).content.decode()
    assert "group%3A%22Billing%22" in page
    volume = _csv(client, {**WEEK_ADDRESS, "group": week.billing.pk, "csv": "volume"})
    assert sum(int(row[1]) for row in volume[1:]) == 1


def _csv(client, params) -> list[list[str]]:
    response = client.get(url(), params)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_each_section_downloads_as_csv(client, lead, week: Week):
    client.force_login(lead)
    volume = _csv(client, {**WEEK_ADDRESS, "csv": "volume"})
    assert volume[0] == ["day", "created", "solved", "reopened", "open_at_end"]
    assert volume[1] == ["2026-06-08", "2", "1", "0", "1"]
    speed = _csv(client, {**WEEK_ADDRESS, "csv": "speed"})
    assert ["resolution", "current", "48600", "81720"] in speed
    satisfaction = _csv(client, {**WEEK_ADDRESS, "csv": "satisfaction"})
    assert satisfaction[-1][1:2] == ["5"]
    agents = _csv(client, {**WEEK_ADDRESS, "csv": "agents"})
    assert agents[1][:3] == ["Camille", "agent@example.com", "3"]


def test_a_comment_that_looks_like_a_formula_is_written_as_text(client, lead, week: Week):
    from comptoir.reports.services import ticket_facts_refresh
    from comptoir.tickets.models import Survey

    Survey.objects.filter(ticket=week.one_touch, answered_at__isnull=False).update(comment="=HYPERLINK(1)")
    ticket_facts_refresh(ticket_id=week.one_touch.pk)
    client.force_login(lead)
    satisfaction = _csv(client, {**WEEK_ADDRESS, "csv": "satisfaction"})
    assert satisfaction[-1][3] == "'=HYPERLINK(1)"


def test_the_query_count_does_not_grow_with_tickets(
    client, lead, week: Week, make_ticket, fake_now, django_assert_num_queries
):
    client.force_login(lead)
    client.get(url(), WEEK_ADDRESS)  # the session and the site's settings are warm, as on a running site
    # session, user; the filters' groups, agents, organisations, ticket fields (the drop-downs and checkboxes
    # a lead may narrow to: the one query the field filter added); volume 2 (the range's days and those
    # after it, the backlog now); speed 1 (first replies and resolutions, each read once); agents 4;
    # service levels 2 (met and breached per policy and metric: the daily attainment, since it replaced
    # the range's clocks, still 1; the latest breaches); satisfaction per group 1; comments 1.
    with django_assert_num_queries(17):
        assert client.get(url(), WEEK_ADDRESS).status_code == 200
    # More tickets in the week, another agent, more comments: more rows, not more queries.
    other = User.objects.create_user("second@example.com", name="Sam", role=Role.AGENT)
    fake_now.set(paris(2026, 6, 10, 9))
    for number in range(6):
        ticket = make_ticket(subject=f"More {number}")
        ticket_update_by_agent(
            ticket, agent=other, body="On it.", assignee=other, status=Status.SOLVED if number % 2 else None
        )
    with django_assert_num_queries(17):
        assert client.get(url(), WEEK_ADDRESS).status_code == 200
    assert "Sam" in client.get(url(), WEEK_ADDRESS).content.decode()


def test_the_agent_tag_and_organisation_filters_narrow_the_figures_and_the_links(client, lead, week: Week):
    from comptoir.accounts.models import Organisation

    acme = Organisation.objects.create(name="Acme")
    ticket_update_by_agent(week.reopened, agent=week.agent, add_tags=["Refund"])
    client.force_login(lead)
    page = client.get(url(), {**WEEK_ADDRESS, "agent": week.agent.pk, "tag": "refund"}).content.decode()
    # T2 only, created on Monday: the search says the agent and the tag.
    assert "created%3A2026-06-08+assignee%3Aagent%40example.com+tag%3Arefund" in page
    assert f'<option value="{week.agent.pk}" selected>Camille</option>' in page
    volume = _csv(client, {**WEEK_ADDRESS, "agent": week.agent.pk, "tag": "refund", "csv": "volume"})
    assert sum(int(row[1]) for row in volume[1:]) == 1
    # Nobody in Acme asked anything; an unknown tag or agent narrows nothing, and says so for the tag.
    volume = _csv(client, {**WEEK_ADDRESS, "organisation": acme.pk, "csv": "volume"})
    assert sum(int(row[1]) for row in volume[1:]) == 0
    page = client.get(url(), {**WEEK_ADDRESS, "organisation": acme.pk}).content.decode()
    assert "org%3A%22Acme%22" in page
    page = client.get(url(), {**WEEK_ADDRESS, "tag": "nothing-like-it", "agent": "999"}).content.decode()
    assert 'id="report-tag-unknown"' in page
    volume = _csv(client, {**WEEK_ADDRESS, "tag": "nothing-like-it", "agent": "999", "csv": "volume"})
    assert sum(int(row[1]) for row in volume[1:]) == 4


def test_a_filter_the_search_cannot_say_links_nothing(client, lead, week: Week):
    client.force_login(lead)
    page = client.get(url(), {**WEEK_ADDRESS, "channel": "web"}).content.decode()
    assert "/en/agent/?q=" not in page


def test_per_week_the_numbers_and_their_links_cover_each_week(client, lead, week: Week):
    client.force_login(lead)
    address = {"period": "custom", "from": "2026-06-08", "to": "2026-06-21", "by": "week"}
    page = client.get(url(), address).content.decode()
    assert "Tickets created and solved per week" in page
    assert "/en/agent/?q=created%3E%3D2026-06-08+created%3C%3D2026-06-14" in page
    # Nothing was created the second week: its 0 links nowhere.
    assert "created%3E%3D2026-06-15" not in page
    volume = _csv(client, {**address, "csv": "volume"})
    assert volume == [
        ["week", "created", "solved", "reopened", "open_at_end"],
        ["2026-06-08", "4", "3", "1", "2"],
        ["2026-06-15", "0", "0", "0", "2"],
    ]


def test_the_service_levels_section_lists_the_breaches_with_their_ticket(client, lead, week: Week):
    from comptoir.sla.breaches import breaches_raise

    breaches_raise(now=paris(2026, 6, 16, 9))
    client.force_login(lead)
    page = client.get(url(), WEEK_ADDRESS).content.decode()
    assert 'id="sla-heading">Service levels</h2>' in page
    assert f'href="/en/agent/tickets/{week.waiting.reference}/"' in page
    assert "2 breaches, the latest first" in page
    sla = _csv(client, {**WEEK_ADDRESS, "csv": "sla"})
    assert sla[:4] == [
        ["policy", "metric", "met", "breached", "met_share"],
        ["Office", "first_reply", "2", "1", str(2 / 3)],
        ["Office", "next_reply", "1", "0", "1.0"],
        ["Office", "resolution", "2", "1", str(2 / 3)],
    ]
    assert [row[0] for row in sla[6:]] == [f"#{week.waiting.reference}"] * 2
