"""Service level settings in the workspace: administrators keep business hours and policies, and the rules hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client

from comptoir.accounts.models import Organisation
from comptoir.sla.models import BusinessSchedule, ClosedDay, Metric, OpeningRange, SlaPolicy, SlaTarget, TicketSla
from comptoir.sla.settings import Opening, opening_problems
from comptoir.tickets.models import Channel, Priority, SupportGroup, TicketType
from tests.sla.conftest import OFFICE_TARGETS, policy_make
from tests.workspace.test_bulk_views import flashes, url

pytestmark = pytest.mark.django_db

OFFICE_HOURS = [("09:00", "12:00"), ("13:00", "18:00")]
MONDAY_TO_FRIDAY = dict.fromkeys(range(5), OFFICE_HOURS)


@pytest.fixture
def office(db) -> BusinessSchedule:
    schedule = BusinessSchedule.objects.create(name="Office", time_zone="Europe/Paris", country="FR")
    OpeningRange.objects.bulk_create(
        OpeningRange(schedule=schedule, weekday=weekday, start=time(9), end=time(18)) for weekday in range(5)
    )
    return schedule


def schedule_data(
    *,
    name: str = "Office",
    time_zone: str = "Europe/Paris",
    country: str = "FR",
    subdivision: str = "",
    week: Mapping[int, Sequence[tuple[str, str]]] = MONDAY_TO_FRIDAY,
    closed: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """What the business hours page posts: the fields, then a formset of ranges per weekday, then the closed days."""
    data = {"name": name, "time_zone": time_zone, "country": country, "subdivision": subdivision}
    for weekday in range(7):
        rows = [*week.get(weekday, ()), ("", "")]  # the empty row the page always offers
        data |= {f"day{weekday}-TOTAL_FORMS": str(len(rows)), f"day{weekday}-INITIAL_FORMS": "0"}
        for index, (start, end) in enumerate(rows):
            data |= {f"day{weekday}-{index}-start": start, f"day{weekday}-{index}-end": end}
    rows = [*closed, ("", "")]
    data |= {"closed-TOTAL_FORMS": str(len(rows)), "closed-INITIAL_FORMS": "0"}
    for index, (day, reason) in enumerate(rows):
        data |= {f"closed-{index}-day": day, f"closed-{index}-name": reason}
    return data


def policy_data(*, name: str = "Standard", targets: Mapping[str, tuple[str, str, str]] = (), **fields: str) -> dict:
    """What the policy page posts; ``targets`` maps "metric-priority" to (amount, unit, clock)."""
    data = {
        "name": name,
        "is_active": "on",
        "priority": "",
        "ticket_type": "",
        "group": "",
        "organisation": "",
        "channel": "",
        "tag": "",
        "schedule": "",
        "pause_on_hold": "on",
        "warn_minutes": "60",
    }
    for metric in Metric.values:
        for priority in Priority.values:
            amount, unit, clock = dict(targets).get(f"{metric}-{priority}", ("", "hours", "business"))
            data |= {
                f"{metric}-{priority}-amount": amount,
                f"{metric}-{priority}-unit": unit,
                f"{metric}-{priority}-clock": clock,
            }
    return data | fields


def week_of(schedule: BusinessSchedule) -> dict[int, list[tuple[str, str]]]:
    week: dict[int, list[tuple[str, str]]] = {}
    for row in schedule.ranges.all():
        week.setdefault(row.weekday, []).append((f"{row.start:%H:%M}", f"{row.end:%H:%M}"))
    return week


def targets_of(policy: SlaPolicy) -> dict[tuple[str, str], tuple[int, bool]]:
    return {(t.metric, t.priority): (t.minutes, t.business_hours) for t in SlaTarget.objects.filter(policy=policy)}


# --- Who may ------------------------------------------------------------------------------------


def every_address(schedule: BusinessSchedule, policy: SlaPolicy) -> list[tuple[str, str]]:
    return [
        ("get", url("agent_sla_settings")),
        ("get", url("agent_sla_schedule_new")),
        ("get", url("agent_sla_schedule", schedule.pk)),
        ("post", url("agent_sla_schedule", schedule.pk)),
        ("post", url("agent_sla_schedule_delete", schedule.pk)),
        ("get", url("agent_sla_policy_new")),
        ("post", url("agent_sla_policy_new")),
        ("get", url("agent_sla_policy", policy.pk)),
        ("post", url("agent_sla_policy_move", policy.pk)),
        ("post", url("agent_sla_policy_delete", policy.pk)),
    ]


def test_it_sends_a_visitor_to_log_in(client, office):
    policy = policy_make("Standard", OFFICE_TARGETS, schedule=office)
    for method, address in every_address(office, policy):
        response = getattr(client, method)(address)
        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=" + address)


def test_it_refuses_an_agent_who_is_not_an_administrator_and_changes_nothing(client, agent, office):
    policy = policy_make("Standard", OFFICE_TARGETS, schedule=office)
    client.force_login(agent)
    for method, address in every_address(office, policy):
        assert getattr(client, method)(address, {"direction": "up"}).status_code == 403, address
    assert BusinessSchedule.objects.get() == office and SlaPolicy.objects.get() == policy
    assert url("agent_sla_settings") not in client.get(url("agent_tickets")).content.decode()


def test_the_profile_menu_leads_an_administrator_to_the_page_through_the_settings(as_admin):
    assert f'href="{url("agent_settings")}"' in as_admin.get(url("agent_tickets")).content.decode()
    assert f'href="{url("agent_sla_settings")}"' in as_admin.get(url("agent_settings")).content.decode()
    assert as_admin.get(url("agent_sla_settings")).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(administrator, office):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    refused = client.post(url("agent_sla_schedule", office.pk), schedule_data(name="Renamed"))
    assert refused.status_code == 403
    assert BusinessSchedule.objects.get().name == "Office"


# --- The list ------------------------------------------------------------------------------------


def test_the_page_lists_business_hours_and_policies_in_the_order_they_are_tried(as_admin, office):
    ClosedDay.objects.create(schedule=office, day=date(2026, 12, 24), name="Christmas Eve")
    OpeningRange.objects.create(schedule=office, weekday=5, start=time(10), end=time(12))
    urgent = policy_make(
        "Urgent incidents",
        {(Metric.FIRST_REPLY, Priority.URGENT): 30, (Metric.RESOLUTION, Priority.URGENT): 24 * 60},
        schedule=office,
        business_hours=False,
        priority=Priority.URGENT,
        ticket_type=TicketType.INCIDENT,
        position=2,
    )
    standard = policy_make("Standard", OFFICE_TARGETS, schedule=office, position=1, is_active=False)

    html = as_admin.get(url("agent_sla_settings")).content.decode()

    assert html.index("Standard") < html.index("Urgent incidents")
    assert "Mon\N{EN DASH}Fri 09:00\N{EN DASH}18:00" in html
    assert "Sat 10:00\N{EN DASH}12:00" in html
    assert "Europe/Paris" in html and "France" in html
    assert "Urgent · Incident" in html
    assert "<strong>Urgent</strong>: first reply 30 min (calendar time), resolution 24 h (calendar time)" in html
    assert "<strong>High</strong>: first reply 2 h, next reply 1 h, resolution 8 h" in html
    assert f'href="{url("agent_sla_policy", urgent.pk)}"' in html
    assert f'href="{url("agent_sla_schedule", office.pk)}"' in html
    assert f'<tr id="policy-{standard.pk}" class="is-inactive">' in html


def test_the_page_reads_in_french(as_admin, office):
    policy_make("Standard", OFFICE_TARGETS, schedule=office)
    with_french = as_admin.get(url("agent_sla_settings").replace("/en/", "/fr/", 1)).content.decode()
    assert "Niveaux de service" in with_french
    assert "lun\N{EN DASH}ven 09:00\N{EN DASH}18:00" in with_french
    assert "<strong>Haute</strong>\N{NARROW NO-BREAK SPACE}: première réponse 2 h" in with_french


def test_the_list_costs_the_same_queries_whatever_the_number_of_rows(as_admin, office, django_assert_num_queries):
    group = SupportGroup.objects.create(name="Billing")
    organisation = Organisation.objects.create(name="Acme")

    def more_rows(n: int) -> None:
        schedule = BusinessSchedule.objects.create(name=f"Hours {n}", country="")
        OpeningRange.objects.create(schedule=schedule, weekday=0, start=time(8), end=time(20))
        policy_make(f"Policy {n}", OFFICE_TARGETS, schedule=schedule, group=group, organisation=organisation)

    more_rows(1)
    as_admin.get(url("agent_sla_settings"))  # the session's first reads, once
    # The session, the user; the schedules with their policy counts, their ranges; the policies with their
    # schedule, group and organisation, their targets.
    with django_assert_num_queries(6):
        as_admin.get(url("agent_sla_settings"))
    for n in range(2, 6):
        more_rows(n)
    with django_assert_num_queries(6):
        assert as_admin.get(url("agent_sla_settings")).content.decode().count('class="move-form"') == 5


# --- Business hours ------------------------------------------------------------------------------


def test_a_new_schedule_proposes_office_hours(as_admin):
    html = as_admin.get(url("agent_sla_schedule_new")).content.decode()
    assert 'name="day0-0-start" value="09:00"' in html and 'name="day4-1-end" value="18:00"' in html
    assert 'name="day5-0-start"' in html and 'name="day5-0-start" value' not in html  # Saturday: closed, empty rows
    assert '<option value="Europe/Paris" selected>' in html
    assert '<option value="FR" selected>France</option>' in html


class FormReader(HTMLParser):
    """What a browser would post back of a page's form, untouched: its inputs, ticked boxes and chosen options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name") or ""
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            if named.get("type") != "checkbox" or "checked" in named:
                self.data[name] = named.get("value") or ("on" if named.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in named:
            self.data[self._select] = named.get("value") or ""


def posted_back(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html.split('id="main"')[1])
    return reader.data


def test_business_hours_saved_as_proposed_keep_every_proposed_range(as_admin):
    """Regression: a row left as the page proposed it was skipped as "unchanged", so Monday 09:00-12:00 was lost."""
    data = posted_back(as_admin.get(url("agent_sla_schedule_new")).content.decode()) | {"name": "Office"}

    assert as_admin.post(url("agent_sla_schedule_new"), data).status_code == 302

    assert week_of(BusinessSchedule.objects.get()) == MONDAY_TO_FRIDAY


def test_a_policy_saved_untouched_stays_as_it_was(as_admin, office):
    group = SupportGroup.objects.create(name="Billing")
    organisation = Organisation.objects.create(name="Acme")
    policy = policy_make(
        "Standard", OFFICE_TARGETS, schedule=office, group=group, organisation=organisation, tag="vip", warn_minutes=45
    )
    data = posted_back(as_admin.get(url("agent_sla_policy", policy.pk)).content.decode())

    assert as_admin.post(url("agent_sla_policy", policy.pk), data).status_code == 302

    saved = SlaPolicy.objects.get()
    assert (saved.group, saved.organisation, saved.tag, saved.warn_minutes, saved.schedule) == (
        group,
        organisation,
        "vip",
        45,
        office,
    )
    assert targets_of(saved) == {key: (minutes, True) for key, minutes in OFFICE_TARGETS.items()}


def test_an_administrator_creates_business_hours_with_ranges_and_closed_days(as_admin):
    week = {0: [("08:00", "12:00"), ("13:30", "17:00")], 4: [("22:00", "06:00")]}
    data = schedule_data(
        name="Montreal desk", time_zone="America/Toronto", country="CA", week=week, closed=[("2026-12-24", "Eve")]
    )

    response = as_admin.post(url("agent_sla_schedule_new"), data)

    assert response["Location"] == url("agent_sla_settings")
    schedule = BusinessSchedule.objects.get()
    assert (schedule.name, schedule.time_zone, schedule.country) == ("Montreal desk", "America/Toronto", "CA")
    assert week_of(schedule) == week
    assert [(day.day, day.name) for day in schedule.closed_days.all()] == [(date(2026, 12, 24), "Eve")]
    assert flashes(response) == ["The business hours “Montreal desk” are saved."]


def test_editing_business_hours_replaces_their_ranges_and_closed_days(as_admin, office):
    ClosedDay.objects.create(schedule=office, day=date(2026, 12, 24), name="Eve")
    page = as_admin.get(url("agent_sla_schedule", office.pk)).content.decode()
    assert 'value="2026-12-24"' in page and 'value="Eve"' in page

    data = schedule_data(week={0: [("09:00", "12:00")], 1: [("00:00", "00:00")]}, closed=[("2026-05-15", "Bridge")])
    response = as_admin.post(url("agent_sla_schedule", office.pk), data)

    assert response.status_code == 302
    office.refresh_from_db()
    assert week_of(office) == {0: [("09:00", "12:00")], 1: [("00:00", "00:00")]}  # midnight to midnight: all day
    assert [(day.day, day.name) for day in office.closed_days.all()] == [(date(2026, 5, 15), "Bridge")]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"week": {0: [("09:00", "09:00")]}}, "Monday 09:00\N{EN DASH}09:00 closes when it opens."),
        (
            {"week": {2: [("09:00", "12:00"), ("11:00", "14:00")]}},
            "Wednesday 09:00\N{EN DASH}12:00 overlaps Wednesday 11:00\N{EN DASH}14:00.",
        ),
        (
            {"week": {6: [("22:00", "06:00")], 0: [("05:00", "09:00")]}},
            "Monday 05:00\N{EN DASH}09:00 overlaps Sunday 22:00\N{EN DASH}06:00.",
        ),
        ({"week": {}}, "Give at least one opening range"),
        ({"week": {0: [("09:00", "")]}}, "Give both the opening and the closing time, or neither."),
        ({"time_zone": "Europe/Pariss"}, "“Europe/Pariss” is not a time zone name, such as Europe/Paris."),
        ({"country": "XX"}, "Select a valid choice. XX is not one of the available choices."),
        (
            {"closed": [("2026-12-24", "Eve"), ("2026-12-24", "Again")]},
            "24 December 2026 is listed twice as a closed day.",
        ),
        ({"closed": [("", "Party")]}, "Give the date of this closed day, or clear its reason."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_business_hours_with_a_mistake_are_refused_with_what_was_typed_kept(as_admin, change, error):
    data = schedule_data(name="Helpdesk", **change) if "name" not in change else schedule_data(**change)

    response = as_admin.post(url("agent_sla_schedule_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert 'class="error-summary"' in html
    assert not BusinessSchedule.objects.exists()
    if "name" not in change:
        assert 'value="Helpdesk"' in html
    for weekday, rows in change.get("week", MONDAY_TO_FRIDAY).items():
        for index, (start, _end) in enumerate(rows):
            assert f'name="day{weekday}-{index}-start" value="{start}"' in html


def test_two_schedules_may_not_share_a_name(as_admin, office):
    response = as_admin.post(url("agent_sla_schedule_new"), schedule_data(name="Office"))
    assert response.status_code == 400
    assert "Business hours with this Name already exists." in response.content.decode()


def test_business_hours_a_policy_counts_on_are_not_deleted(as_admin, office):
    policy_make("Standard", OFFICE_TARGETS, schedule=office)

    confirm = as_admin.get(url("agent_sla_schedule_delete", office.pk)).content.decode()
    response = as_admin.post(url("agent_sla_schedule_delete", office.pk))

    refusal = "“Office” cannot be deleted: the policy “Standard” counts on them. Give it other business hours first."
    assert refusal in confirm and "button-danger" not in confirm
    assert response["Location"] == url("agent_sla_schedule", office.pk)
    assert flashes(response) == [refusal]
    assert BusinessSchedule.objects.filter(pk=office.pk).exists()


def test_business_hours_no_policy_counts_on_are_deleted_after_a_confirmation(as_admin, office):
    ClosedDay.objects.create(schedule=office, day=date(2026, 12, 24))
    assert as_admin.get(url("agent_sla_schedule_delete", office.pk)).status_code == 200
    assert BusinessSchedule.objects.exists()  # looking deletes nothing

    response = as_admin.post(url("agent_sla_schedule_delete", office.pk))

    assert response["Location"] == url("agent_sla_settings")
    assert not BusinessSchedule.objects.exists() and not OpeningRange.objects.exists()
    assert not ClosedDay.objects.exists()


# --- Policies ------------------------------------------------------------------------------------


def test_an_administrator_creates_a_policy_with_conditions_and_targets_and_it_comes_last(as_admin, office):
    group = SupportGroup.objects.create(name="Billing")
    Organisation.objects.create(name="Acme")
    first = policy_make("First", OFFICE_TARGETS, schedule=office, position=7)
    data = policy_data(
        name="Acme urgent",
        priority=Priority.URGENT,
        ticket_type=TicketType.INCIDENT,
        group=str(group.pk),
        organisation="acme",
        channel=Channel.EMAIL,
        tag="VIP",
        schedule=str(office.pk),
        warn_minutes="30",
        targets={
            "first_reply-urgent": ("45", "minutes", "business"),
            "resolution-urgent": ("2", "hours", "calendar"),
        },
    )
    del data["pause_on_hold"]  # unticked

    response = as_admin.post(url("agent_sla_policy_new"), data)

    assert response["Location"] == url("agent_sla_settings")
    policy = SlaPolicy.objects.exclude(pk=first.pk).get()
    assert (policy.name, policy.position, policy.is_active, policy.pause_on_hold) == ("Acme urgent", 8, True, False)
    assert (policy.priority, policy.ticket_type, policy.group, policy.organisation.name) == (
        "urgent",
        "incident",
        group,
        "Acme",
    )
    assert (policy.channel, policy.tag, policy.schedule, policy.warn_minutes) == ("email", "vip", office, 30)
    assert targets_of(policy) == {("first_reply", "urgent"): (45, True), ("resolution", "urgent"): (120, False)}


def test_the_policy_page_shows_the_targets_as_they_were_typed(as_admin, office):
    policy = policy_make("Standard", {(Metric.FIRST_REPLY, Priority.HIGH): 120, (Metric.NEXT_REPLY, Priority.LOW): 90})
    html = as_admin.get(url("agent_sla_policy", policy.pk)).content.decode()
    assert 'name="first_reply-high-amount" value="2"' in html
    assert 'name="next_reply-low-amount" value="90"' in html
    assert '<label class="visually-hidden" for="id_first_reply-high-amount">High · First reply</label>' in html


def test_editing_a_policy_replaces_its_targets(as_admin, office):
    policy = policy_make("Standard", OFFICE_TARGETS, schedule=office)
    data = policy_data(
        name="Standard", schedule=str(office.pk), targets={"first_reply-normal": ("3", "hours", "business")}
    )

    assert as_admin.post(url("agent_sla_policy", policy.pk), data).status_code == 302

    assert targets_of(policy) == {("first_reply", "normal"): (180, True)}


@pytest.mark.parametrize(
    ("fields", "targets", "error"),
    [
        ({}, {"first_reply-high": ("0", "minutes", "business")}, "A target needs at least one minute"),
        ({}, {"resolution-low": ("soon", "hours", "business")}, "Enter a whole number."),
        ({"schedule": ""}, {"first_reply-high": ("4", "hours", "business")}, "Targets in business hours need"),
        ({"organisation": "Nobody Inc"}, {}, "No organisation is named “Nobody Inc”."),
        ({"name": ""}, {}, "This field is required."),
    ],
)
def test_a_policy_with_a_mistake_is_refused_with_what_was_typed_kept(as_admin, office, fields, targets, error):
    data = policy_data(name="Half done", schedule=str(office.pk), targets=targets) | fields

    response = as_admin.post(url("agent_sla_policy_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'class="error-summary"' in html
    assert not SlaPolicy.objects.exists()
    if fields.get("name") != "":
        assert 'value="Half done"' in html
    for key, (amount, _unit, _clock) in targets.items():
        assert f'name="{key}-amount" value="{amount}"' in html


def test_policies_move_up_and_down_the_order(as_admin):
    first, second, third = (policy_make(name, {}, position=5) for name in ("First", "Second", "Third"))

    def order() -> list[str]:
        return list(SlaPolicy.objects.order_by("position", "id").values_list("name", flat=True))

    response = as_admin.post(url("agent_sla_policy_move", third.pk), {"direction": "up"})
    assert response["Location"] == url("agent_sla_settings") + f"#policy-{third.pk}"
    assert order() == ["First", "Third", "Second"]
    as_admin.post(url("agent_sla_policy_move", first.pk), {"direction": "down"})
    assert order() == ["Third", "First", "Second"]
    as_admin.post(url("agent_sla_policy_move", third.pk), {"direction": "up"})  # already first: nothing moves
    as_admin.post(url("agent_sla_policy_move", second.pk), {"direction": "down"})  # already last
    assert order() == ["Third", "First", "Second"]
    assert as_admin.post(url("agent_sla_policy_move", second.pk), {"direction": "sideways"}).status_code == 400


def test_a_policy_is_deleted_after_a_confirmation(as_admin, office):
    policy = policy_make("Standard", OFFICE_TARGETS, schedule=office)
    assert "Delete for good" in as_admin.get(url("agent_sla_policy_delete", policy.pk)).content.decode()

    response = as_admin.post(url("agent_sla_policy_delete", policy.pk))

    assert response["Location"] == url("agent_sla_settings")
    assert not SlaPolicy.objects.exists() and not SlaTarget.objects.exists()


def test_a_policy_that_measured_tickets_is_kept_and_can_be_turned_off(as_admin, office, make_ticket):
    policy = policy_make("Standard", {(Metric.FIRST_REPLY, Priority.NORMAL): 60}, business_hours=False)
    make_ticket()
    assert TicketSla.objects.filter(policy=policy).exists()

    confirm = as_admin.get(url("agent_sla_policy_delete", policy.pk)).content.decode()
    response = as_admin.post(url("agent_sla_policy_delete", policy.pk))

    assert "“Standard” measured 1 ticket" in confirm
    assert response["Location"] == url("agent_sla_policy", policy.pk)
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
    turned_off = policy_data(name="Standard", targets={"first_reply-normal": ("1", "hours", "calendar")})
    del turned_off["is_active"]
    as_admin.post(url("agent_sla_policy", policy.pk), turned_off)
    assert SlaPolicy.objects.get(pk=policy.pk).is_active is False


def test_a_policy_made_on_the_page_gives_new_tickets_their_due_times(as_admin, make_ticket):
    data = policy_data(name="Calendar", targets={"first_reply-normal": ("2", "hours", "calendar")})
    as_admin.post(url("agent_sla_policy_new"), data)

    ticket = make_ticket()

    clock = TicketSla.objects.get(ticket=ticket)
    assert (clock.policy.name, clock.metric, clock.due_at - clock.started_at) == (
        "Calendar",
        "first_reply",
        timedelta(hours=2),
    )


# --- The rules, without pages ---------------------------------------------------------------------


def test_a_night_that_ends_before_the_next_morning_s_range_is_no_overlap():
    week = [Opening(0, time(22), time(6)), Opening(1, time(6), time(14)), Opening(6, time(18), time(0))]
    assert opening_problems(week) == []
    # Tuesday 05:00 falls in Monday's night, and runs into Tuesday's morning range.
    assert [weekday for weekday, _message in opening_problems([*week, Opening(1, time(5), time(7))])] == [1, 1]
