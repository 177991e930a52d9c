"""The clock rules, pure: which clocks a status change pauses, resumes, meets or stops, and a history replayed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.sla.business_time import always_open
from comptoir.sla.clock import Happening, Moment, Target, Terms, clocks_run_in, replay, status_effect
from comptoir.sla.models import Metric
from comptoir.tickets.models import Status
from tests.sla.clock import office_week, paris

OFFICE = office_week()
CALENDAR = always_open()


def office_terms(pause_on_hold: bool = True, warn_minutes: int = 60) -> Terms:
    return Terms(
        targets={
            Metric.FIRST_REPLY: Target(4 * 60, OFFICE),
            Metric.NEXT_REPLY: Target(2 * 60, OFFICE),
            Metric.RESOLUTION: Target(16 * 60, OFFICE),
        },
        pause_on_hold=pause_on_hold,
        warn_minutes=warn_minutes,
    )


def created(at, *, by_agent=False):
    return Happening(Moment.CREATED, at, by_agent=by_agent)


def status(at, new):
    return Happening(Moment.STATUS, at, status=new)


def agent_reply(at):
    return Happening(Moment.AGENT_REPLY, at)


def requester_reply(at):
    return Happening(Moment.REQUESTER_REPLY, at)


def by_key(clocks):
    return {(clock.metric, clock.cycle): clock for clock in clocks}


# --- which statuses run the clocks ---


@pytest.mark.parametrize(
    ("state", "on_hold_pauses", "runs"),
    [
        (Status.NEW, True, True),
        (Status.OPEN, True, True),
        (Status.PENDING, True, False),
        (Status.PENDING, False, False),  # waiting on the customer always pauses
        (Status.ON_HOLD, True, False),
        (Status.ON_HOLD, False, True),
        (Status.SOLVED, False, False),
        (Status.CLOSED, False, False),
    ],
)
def test_clocks_run_while_new_or_open_and_on_hold_only_when_the_policy_says(state, on_hold_pauses, runs):
    assert clocks_run_in(state, pause_on_hold=on_hold_pauses) is runs


def test_solving_meets_the_resolution_and_pauses_the_rest():
    effect = status_effect(Status.OPEN, Status.SOLVED, pause_on_hold=True)

    assert effect.achieves == {Metric.RESOLUTION}
    assert not effect.runs
    assert not effect.stops


def test_reopening_a_solved_ticket_reopens_the_resolution_and_runs_again():
    effect = status_effect(Status.SOLVED, Status.OPEN, pause_on_hold=True)

    assert effect.reopens == {Metric.RESOLUTION}
    assert effect.runs


def test_closing_stops_every_clock():
    assert status_effect(Status.OPEN, Status.CLOSED, pause_on_hold=True).stops
    assert status_effect(Status.SOLVED, Status.CLOSED, pause_on_hold=True).stops


# --- a history replayed ---


def test_a_new_ticket_starts_first_reply_and_resolution_on_business_time():
    monday_nine = paris(2026, 6, 8, 9)

    clocks = by_key(replay([created(monday_nine)], office_terms()))

    assert set(clocks) == {(Metric.FIRST_REPLY, 0), (Metric.RESOLUTION, 0)}
    first = clocks[(Metric.FIRST_REPLY, 0)]
    assert first.due_at == paris(2026, 6, 8, 14)  # 9-12, then 13-14
    # An hour of business time before: three have run by noon, the minutes spent by the close.
    assert first.warn_at == paris(2026, 6, 8, 12)
    assert clocks[(Metric.RESOLUTION, 0)].due_at == paris(2026, 6, 9, 18)  # two working days


def test_a_target_no_longer_than_the_warning_window_is_in_it_from_its_start():
    terms = Terms(targets={Metric.FIRST_REPLY: Target(30, CALENDAR)}, warn_minutes=60)
    start = paris(2026, 6, 8, 9)

    [first] = replay([created(start)], terms)

    assert first.warn_at == start
    assert first.due_at == start + timedelta(minutes=30)


def test_the_first_public_agent_reply_meets_the_first_reply():
    start = paris(2026, 6, 8, 9)

    clocks = by_key(replay([created(start), agent_reply(paris(2026, 6, 8, 10))], office_terms()))

    assert clocks[(Metric.FIRST_REPLY, 0)].achieved_at == paris(2026, 6, 8, 10)
    assert clocks[(Metric.RESOLUTION, 0)].achieved_at is None


def test_a_ticket_an_agent_wrote_has_no_first_reply_and_the_customer_s_answer_starts_next_reply():
    start = paris(2026, 6, 8, 9)

    clocks = by_key(replay([created(start, by_agent=True), requester_reply(paris(2026, 6, 8, 11))], office_terms()))

    assert set(clocks) == {(Metric.RESOLUTION, 0), (Metric.NEXT_REPLY, 1)}
    assert clocks[(Metric.NEXT_REPLY, 1)].due_at == paris(2026, 6, 8, 14)  # 11-12, 13-14


def test_next_reply_starts_at_each_requester_reply_after_an_agent_s_and_only_then():
    history = [
        created(paris(2026, 6, 8, 9)),
        requester_reply(paris(2026, 6, 8, 9, 30)),  # before any answer: first reply covers it
        agent_reply(paris(2026, 6, 8, 10)),
        requester_reply(paris(2026, 6, 8, 10, 30)),  # cycle 1
        requester_reply(paris(2026, 6, 8, 10, 45)),  # still cycle 1: nobody answered in between
        agent_reply(paris(2026, 6, 8, 11)),
        requester_reply(paris(2026, 6, 8, 15)),  # cycle 2
    ]

    clocks = by_key(replay(history, office_terms()))

    assert set(clocks) == {
        (Metric.FIRST_REPLY, 0),
        (Metric.RESOLUTION, 0),
        (Metric.NEXT_REPLY, 1),
        (Metric.NEXT_REPLY, 2),
    }
    cycle_1 = clocks[(Metric.NEXT_REPLY, 1)]
    assert (cycle_1.started_at, cycle_1.achieved_at) == (paris(2026, 6, 8, 10, 30), paris(2026, 6, 8, 11))
    cycle_2 = clocks[(Metric.NEXT_REPLY, 2)]
    assert (cycle_2.started_at, cycle_2.due_at, cycle_2.achieved_at) == (
        paris(2026, 6, 8, 15),
        paris(2026, 6, 8, 17),
        None,
    )


def test_a_pause_pushes_the_due_time_by_the_business_time_it_lasted():
    history = [
        created(paris(2026, 6, 8, 9)),
        status(paris(2026, 6, 8, 10), Status.PENDING),
        # Monday 10-12 and 13-18, Tuesday 9-10: eight business hours paused.
        status(paris(2026, 6, 9, 10), Status.OPEN),
    ]

    first = by_key(replay(history, office_terms()))[(Metric.FIRST_REPLY, 0)]

    assert first.paused_since is None
    assert first.paused_total == timedelta(hours=8)
    # One hour ran before the pause; three are left from Tuesday 10:00: 10-12, 13-14.
    assert first.due_at == paris(2026, 6, 9, 14)
    assert first.warn_at == paris(2026, 6, 9, 12)


def test_a_paused_clock_keeps_the_due_time_it_had_before_the_pause():
    history = [created(paris(2026, 6, 8, 9)), status(paris(2026, 6, 8, 10), Status.PENDING)]

    first = by_key(replay(history, office_terms()))[(Metric.FIRST_REPLY, 0)]

    assert first.paused_since == paris(2026, 6, 8, 10)
    assert first.due_at == paris(2026, 6, 8, 14)


def test_a_pause_that_begins_after_the_due_time_does_not_move_it():
    history = [
        created(paris(2026, 6, 8, 9)),
        status(paris(2026, 6, 8, 15), Status.PENDING),  # first reply was due at 14:00
        status(paris(2026, 6, 9, 10), Status.OPEN),
    ]

    first = by_key(replay(history, office_terms()))[(Metric.FIRST_REPLY, 0)]

    assert first.due_at == paris(2026, 6, 8, 14)
    assert first.paused_total == timedelta(0)


def test_on_hold_pauses_only_when_the_terms_say_so():
    history = [
        created(paris(2026, 6, 8, 9)),
        status(paris(2026, 6, 8, 10), Status.ON_HOLD),
        status(paris(2026, 6, 8, 11), Status.OPEN),
    ]

    pausing = by_key(replay(history, office_terms(pause_on_hold=True)))[(Metric.RESOLUTION, 0)]
    running = by_key(replay(history, office_terms(pause_on_hold=False)))[(Metric.RESOLUTION, 0)]

    assert pausing.paused_total == timedelta(hours=1)
    assert running.paused_total == timedelta(0)
    assert running.due_at == paris(2026, 6, 9, 18)
    assert pausing.due_at == paris(2026, 6, 10, 10)  # an hour more, on Wednesday morning


def test_solving_meets_resolution_and_a_reopening_resumes_it_the_time_solved_counted_as_paused():
    history = [
        created(paris(2026, 6, 8, 9)),
        agent_reply(paris(2026, 6, 8, 11)),
        status(paris(2026, 6, 8, 11), Status.SOLVED),
        requester_reply(paris(2026, 6, 10, 10)),
        status(paris(2026, 6, 10, 10), Status.OPEN),
    ]

    solved = by_key(replay(history[:3], office_terms()))[(Metric.RESOLUTION, 0)]
    reopened = by_key(replay(history, office_terms()))

    assert solved.achieved_at == paris(2026, 6, 8, 11)
    resolution = reopened[(Metric.RESOLUTION, 0)]
    assert (resolution.achieved_at, resolution.paused_since) == (None, None)
    # Two hours ran before the solve; fourteen are left from Wednesday 10:00.
    assert resolution.due_at == paris(2026, 6, 11, 17)
    # The reply that reopened it waits for an answer, as any reply after an agent's.
    assert reopened[(Metric.NEXT_REPLY, 1)].due_at == paris(2026, 6, 10, 12)


def test_closing_and_merging_stop_the_clocks_still_waiting_and_leave_the_met_ones():
    start = paris(2026, 6, 8, 9)
    closed = [created(start), agent_reply(paris(2026, 6, 8, 10)), status(paris(2026, 6, 8, 11), Status.CLOSED)]
    merged = [created(start), Happening(Moment.MERGED, paris(2026, 6, 8, 11))]

    for history in (closed, merged):
        clocks = by_key(replay(history, office_terms()))
        resolution = clocks[(Metric.RESOLUTION, 0)]
        assert (resolution.stopped_at, resolution.achieved_at) == (paris(2026, 6, 8, 11), None)
    assert by_key(replay(closed, office_terms()))[(Metric.FIRST_REPLY, 0)].stopped_at is None


def test_only_the_metrics_the_terms_target_get_a_clock():
    terms = Terms(targets={Metric.RESOLUTION: Target(60, CALENDAR)})

    clocks = replay([created(paris(2026, 6, 8, 9)), agent_reply(paris(2026, 6, 8, 10))], terms)

    assert [(clock.metric, clock.cycle) for clock in clocks] == [(Metric.RESOLUTION, 0)]
