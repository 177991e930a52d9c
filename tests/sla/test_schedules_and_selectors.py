"""Business hours in the database, the admin pages that keep them, and what pages will read of the clocks."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from comptoir.accounts.models import Role, User
from comptoir.sla.business_time import add_business_minutes, is_open
from comptoir.sla.models import BusinessSchedule, ClosedDay, Metric, OpeningRange
from comptoir.sla.selectors import next_due_targets, ticket_targets
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.sla.clock import office_week, paris

pytestmark = pytest.mark.django_db


def test_a_schedule_s_rows_give_the_pure_schedule_with_the_country_s_holidays_and_the_team_s_days_off(office):
    ClosedDay.objects.create(schedule=office, day=date(2026, 12, 24), name="Christmas Eve")

    schedule = office.business_schedule([2026])

    assert schedule == office_week(schedule.closed_days)
    assert date(2026, 7, 14) in schedule.closed_days  # Bastille Day
    assert date(2026, 12, 24) in schedule.closed_days
    assert not is_open(schedule, paris(2026, 7, 14, 10))
    # Monday 13 July, 17:00, plus two business hours: over the holiday, to Wednesday 10:00.
    assert add_business_minutes(schedule, paris(2026, 7, 13, 17), 120) == paris(2026, 7, 15, 10)


def test_a_schedule_without_a_country_has_only_the_team_s_days_off(office):
    office.country = ""
    office.save()

    assert office.business_schedule([2026]).closed_days == frozenset()


def test_a_night_range_crosses_midnight_as_in_the_arithmetic():
    nights = BusinessSchedule.objects.create(name="Nights", time_zone="Europe/Paris", country="")
    OpeningRange.objects.create(schedule=nights, weekday=0, start=time(22), end=time(6))

    schedule = nights.business_schedule([2026])

    assert is_open(schedule, paris(2026, 6, 9, 5, 59))  # Tuesday morning, Monday's night
    assert not is_open(schedule, paris(2026, 6, 9, 22))


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"time_zone": "Europe/Pariss"}, "time_zone"),
        ({"country": "XX"}, "country"),
        ({"country": "", "subdivision": "57"}, "subdivision"),
    ],
)
def test_a_schedule_refuses_an_unknown_zone_country_or_a_region_without_country(fields, error_field):
    schedule = BusinessSchedule(name="Wrong", **fields)

    with pytest.raises(ValidationError) as refused:
        schedule.full_clean()

    assert error_field in refused.value.message_dict


def test_a_schedule_accepts_a_region_of_its_country():
    schedule = BusinessSchedule(name="Metz", time_zone="Europe/Paris", country="fr", subdivision="57")

    schedule.full_clean()
    schedule.save()

    assert (schedule.country, schedule.subdivision) == ("FR", "57")
    assert date(2026, 12, 26) in schedule.business_schedule([2026]).closed_days


def test_a_ticket_s_targets_come_oldest_first_with_their_policy(fake_now, office_policy, make_ticket, agent):
    ticket = make_ticket()
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(ticket, agent=agent, body="Hello.")

    rows = ticket_targets(ticket.pk)

    assert [(row.metric, row.met) for row in rows] == [(Metric.FIRST_REPLY, True), (Metric.RESOLUTION, None)]
    assert rows[0].policy.name == "Office hours"


def test_the_next_due_target_of_many_tickets_comes_in_one_query(
    fake_now, office_policy, make_ticket, agent, django_assert_num_queries
):
    answered = make_ticket(subject="Answered")
    waiting = make_ticket(subject="Waiting")
    pending = make_ticket(subject="Pending")
    solved = make_ticket(subject="Solved")
    fake_now.set(paris(2026, 6, 8, 10))
    ticket_update_by_agent(answered, agent=agent, body="Hello.")
    ticket_set_status(pending, Status.PENDING, actor=agent)
    ticket_update_by_agent(solved, agent=agent, body="Done.", status=Status.SOLVED)
    ids = [ticket.pk for ticket in (answered, waiting, pending, solved)]

    with django_assert_num_queries(1):
        shown = next_due_targets(ids)

    assert set(shown) == {answered.pk, waiting.pk, pending.pk}
    assert shown[answered.pk].metric == Metric.RESOLUTION
    assert (shown[waiting.pk].metric, shown[waiting.pk].due_at) == (Metric.FIRST_REPLY, paris(2026, 6, 8, 14))
    # All paused: the one due first, its due time that before the pause.
    assert shown[pending.pk].paused_since == paris(2026, 6, 8, 10)
    assert shown[pending.pk].metric == Metric.FIRST_REPLY
    assert next_due_targets([]) == {}


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("admin@example.com", password="admin-password-1")
    assert admin.role == Role.ADMIN
    client.force_login(admin)
    return client


def test_admins_keep_schedules_with_their_hours_and_policies_with_their_targets(admin_client, office_policy):
    pages = [
        reverse("admin:sla_businessschedule_changelist"),
        reverse("admin:sla_businessschedule_add"),
        reverse("admin:sla_businessschedule_change", args=[office_policy.schedule_id]),
        reverse("admin:sla_slapolicy_changelist"),
        reverse("admin:sla_slapolicy_add"),
        reverse("admin:sla_slapolicy_change", args=[office_policy.pk]),
    ]

    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    changelist = admin_client.get(reverse("admin:sla_slapolicy_changelist")).content.decode()
    assert "Office hours" in changelist
