"""Triggers on PostgreSQL with real concurrent workers: one ticket's changes handed over by two at once.

The writes commit for real and put their hand-offs in the broker; a real Celery
worker with two threads takes them, each thread with its own database connection,
as two workers would: both run the dispatcher's task on the same ticket at once,
and a rule's change hands the ticket on again to whichever thread is free. The
first thread to take a change for the rules holds it until the other has asked
for the rules' changes too and been turned away (``rules_collide``), so the two
really meet where it matters, whatever the machine's speed; nothing sleeps to
synchronise, every wait is bounded.

What must hold is what one worker gives (tests/rules/test_triggers.py): each
rule fires once per chain, the history has each rule's change once, the chain
guard stops a flip-flop with one warning, and nothing failed or waits for a retry.

Run with DATABASE_URL=postgres://... (SQLite has one writer: nothing to race).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.db import connection

from comptoir.accounts.models import Role, User
from comptoir.celery import app as celery_app
from comptoir.events import registry
from comptoir.events.dispatch import dispatch_ticket
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.events.registry import subscribe, unsubscribe
from comptoir.rules.engine import RULE_KINDS
from comptoir.rules.models import Outcome, RuleRun, RunWarning
from comptoir.rules.subscriber import rules_follow
from comptoir.sla.models import Metric, SlaPolicy, SlaTarget, TicketSla
from comptoir.tickets.models import AuthorRole, EventKind, Message, Priority, Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

# Every wait is bounded by this; a test that reaches it fails saying what it waited for.
PATIENCE = 10.0


class _Watch(logging.Handler):
    """What the workers say and do while they run: when they met on the rules, and anything worse than a notice."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        # The other worker asked for the rules' changes while the first held one...
        self.met = threading.Event()
        # ...and the backbone turned it away, as it must: one worker at a time hands a ticket's changes over.
        self.turned_away = threading.Event()
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.problems.append(f"{record.name}: {record.getMessage()}")
        elif _turned_away_from_the_rules(record):
            self.turned_away.set()
            self.met.set()


def _turned_away_from_the_rules(record: logging.LogRecord) -> bool:
    # The dispatcher's notice, its arguments the ticket and the subscriber.
    args = record.args if isinstance(record.args, tuple) else ()
    return (
        record.name == "comptoir.events.dispatch"
        and "by another worker" in record.getMessage()
        and args[-1:] == ("rules",)
    )


@contextmanager
def rules_collide() -> Iterator[_Watch]:
    """The first change handed to the rules waits, its delivery held, until the other worker asked for the rules too.

    The rules are the real subscriber, called once the two workers met. The backbone's
    log says when a worker found another handing the ticket's changes over; a second
    worker handed a change while the first holds one would be a meeting too (and a bug).
    """
    watch = _Watch()
    comptoir_logger = logging.getLogger("comptoir")
    level = comptoir_logger.level
    comptoir_logger.setLevel(logging.INFO)
    comptoir_logger.addHandler(watch)
    first = threading.Lock()

    def rules_once_met(change: UUID) -> None:
        if first.acquire(blocking=False):  # the first hand-over only; later ones run straight away
            assert watch.met.wait(PATIENCE), "the other worker never asked for the rules' changes"
        else:
            watch.met.set()
        rules_follow(change)

    # The registry's order is the order of a change's deliveries: put it back as it was, not "rules" last.
    registered = dict(registry._SUBSCRIBERS)
    unsubscribe("rules")
    subscribe("rules", kinds=RULE_KINDS)(rules_once_met)
    try:
        yield watch
    finally:
        registry._SUBSCRIBERS.clear()
        registry._SUBSCRIBERS.update(registered)
        comptoir_logger.removeHandler(watch)
        comptoir_logger.setLevel(level)


@contextmanager
def two_workers() -> Iterator[None]:
    """A real Celery worker running two tasks at once (two threads, two connections) on the broker's hand-offs."""
    options = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("memory://"):
        # The in-memory broker is polled, once a second by default: a chain of hand-offs would crawl.
        celery_app.conf.broker_transport_options = {**options, "polling_interval": 0.02}
    try:
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            shutdown_timeout=PATIENCE,
            loglevel="ERROR",
        ) as worker:
            yield
            # A warm shutdown, asked before leaving: the worker's loop ends at its next poll, not a cycle later.
            worker.stop()
    finally:
        celery_app.conf.broker_transport_options = options


def handed_over(ticket: Ticket) -> None:
    """Wait (bounded) until nothing is owed on the ticket and the worker is idle: no task queued, taken or running.

    The e-mails the changes queued are delivered by tasks of their own: they too end before the worker stops.
    Idle twice in a row, a poll apart: a task is between the broker and the worker only for an instant.
    """
    owed = EventDelivery.objects.filter(ticket_id=ticket.pk, state=DeliveryState.PENDING)
    deadline = time.monotonic() + 2 * PATIENCE
    idle_polls = 0
    while idle_polls < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        with celery_app.connection_for_read() as conn:
            channel: Any = conn.default_channel  # kombu's stub knows only the base of its channels
            queued = channel.queue_declare(celery_app.conf.task_default_queue).message_count
        busy = queued or worker_state.reserved_requests or worker_state.active_requests or owed.exists()
        idle_polls = 0 if busy else idle_polls + 1
    # Still busy at the deadline: the assertions that follow say what was left undone.


def assert_each_change_handed_over_once(ticket: Ticket, watch: _Watch) -> None:
    deliveries = EventDelivery.objects.filter(ticket_id=ticket.pk)
    # Done at the first attempt: no deadlock, no lock error, no retry waiting.
    assert set(deliveries.values_list("state", "attempts", "last_error")) == {(DeliveryState.DONE, 1, "")}
    assert watch.turned_away.is_set(), "the two workers never met on the rules"


def fired(ticket: Ticket) -> Counter[tuple[int, UUID]]:
    """How many times each rule fired in each chain."""
    runs = RuleRun.objects.filter(ticket=ticket, outcome=Outcome.FIRED)
    return Counter(runs.values_list("rule_id", "chain"))


def change_of(ticket: Ticket, kind: str, **fields: object) -> UUID | None:
    return TicketEvent.objects.get(ticket=ticket, kind=kind, **fields).change


@pytest.fixture
def broker() -> Iterator[None]:
    # Only this test's hand-offs in the broker, and none left for the next.
    celery_app.control.purge()
    yield
    celery_app.control.purge()


def test_two_workers_on_one_ticket_fire_each_rule_once_per_chain(broker, make_rule, make_ticket, agent, billing):
    tag = make_rule(
        "Invoices tagged",
        events=["created", "updated"],
        conditions=[("subject", "contains", "facture")],
        actions=[("add_tags", "billing")],
        position=1,
    )
    route = make_rule(
        "Billing to the Billing group",
        events=["updated"],
        conditions=[("tags", "contains", "billing")],
        actions=[("set_group", billing.pk)],
        position=2,
    )
    # Service levels on every ticket: the SLA clocks' subscriber writes the ticket beside the rules.
    policy = SlaPolicy.objects.create(name="Everyone")
    for priority in (Priority.NORMAL, Priority.HIGH):
        SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_REPLY, priority=priority, minutes=60)
    # Four changes committed one after the other, four hand-offs in the broker, nothing handed over yet.
    ticket = make_ticket(subject="Facture de mars")
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.HIGH)
    ticket_update_by_agent(ticket, agent=agent, body="Asking accounting.", is_public=False)
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])
    assert (
        EventDelivery.objects.filter(ticket_id=ticket.pk, subscriber="rules", state=DeliveryState.PENDING).count() == 4
    )

    with rules_collide() as watch, two_workers():
        handed_over(ticket)

    assert watch.problems == []
    # In order, as one worker: the creation tags it (its chain); the priority, next, finds the tag and
    # routes it (its chain); the note, the tag "vip" and the rules' own changes find nothing to change.
    created, prioritised = change_of(ticket, EventKind.CREATED), change_of(ticket, EventKind.PRIORITY)
    assert fired(ticket) == {(tag.pk, created): 1, (route.pk, prioritised): 1}
    assert not RuleRun.objects.filter(outcome=Outcome.STOPPED).exists()
    ticket.refresh_from_db()
    assert set(ticket.tags.values_list("name", flat=True)) == {"billing", "vip"}
    assert (ticket.group, ticket.priority) == (billing, Priority.HIGH)
    tagged = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAG_ADDED, new_value="billing")
    routed = TicketEvent.objects.get(ticket=ticket, kind=EventKind.GROUP)
    assert (tagged.actor_id, routed.actor_id, routed.new_value) == (None, None, "Billing")
    produced = RuleRun.objects.filter(ticket=ticket, outcome=Outcome.FIRED).values_list("rule_id", "produced_change")
    assert dict(produced) == {tag.pk: tagged.change, route.pk: routed.change}
    assert TicketSla.objects.filter(ticket=ticket).exists()
    assert_each_change_handed_over_once(ticket, watch)


@pytest.mark.parametrize(
    ("action", "fired_runs"),
    [
        # The second reply finds the tag there: nothing to change, one firing for two chains.
        (("add_tags", "answered"), 1),
        # A note is something new each time: one firing in each chain.
        (("add_note", "Check the contract first."), 2),
    ],
    ids=["tag", "note"],
)
def test_two_agents_answering_at_once_set_off_the_rule_once_per_chain(
    broker, make_rule, make_ticket, agent, action: tuple[str, str], fired_runs: int
):
    rule = make_rule("Answered", events=["agent_message"], actions=[action])
    colleague = User.objects.create_user("lea@example.com", name="Léa", role=Role.AGENT)
    ticket = make_ticket()
    dispatch_ticket(ticket.pk)  # its creation handed over already: the race is the agents'
    celery_app.control.purge()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def answer(who: User) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait(timeout=PATIENCE)
                ticket_update_by_agent(ticket, agent=who, body=f"{who.name} looks into it.")
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)
            finally:
                connection.close()

        return run

    with rules_collide() as watch, two_workers():
        agents = [threading.Thread(target=answer(who)) for who in (agent, colleague)]
        for thread in agents:
            thread.start()
        for thread in agents:
            thread.join(timeout=2 * PATIENCE)
        handed_over(ticket)

    assert (failures, watch.problems) == ([], [])
    # The ticket's row lock makes one reply commit before the other: it is handed over first.
    first, second = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REPLY).order_by("id")
    runs = RuleRun.objects.filter(rule=rule, ticket=ticket)
    if fired_runs == 1:
        assert fired(ticket) == {(rule.pk, first.change): 1}
        [missed] = runs.filter(outcome=Outcome.NOT_FIRED)
        assert (missed.chain, missed.warning) == (second.change, RunWarning.NOTHING_TO_CHANGE)
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAG_ADDED).count() == 1
    else:
        assert fired(ticket) == {(rule.pk, first.change): 1, (rule.pk, second.change): 1}
        assert not runs.exclude(outcome=Outcome.FIRED).exists()
        notes = Message.objects.filter(ticket=ticket, is_public=False, author=None, author_role=AuthorRole.AGENT)
        assert notes.count() == 2
    assert runs.count() == 2
    assert_each_change_handed_over_once(ticket, watch)


def test_two_workers_stop_a_flip_flop_with_one_warning_as_one_worker_does(broker, make_rule, make_ticket, agent):
    down = make_rule(
        "High goes normal",
        events=["updated"],
        conditions=[("priority", "is", "high")],
        actions=[("set_priority", "normal")],
        position=1,
    )
    up = make_rule(
        "Normal goes high",
        events=["updated"],
        conditions=[("priority", "is", "normal")],
        actions=[("set_priority", "high")],
        position=2,
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, priority=Priority.HIGH)

    with rules_collide() as watch, two_workers():
        handed_over(ticket)

    assert watch.problems == []
    priorities = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PRIORITY).order_by("id")
    assert list(priorities.values_list("new_value", "actor_id")) == [
        (Priority.HIGH, agent.pk),
        (Priority.NORMAL, None),
        (Priority.HIGH, None),
    ]
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.HIGH
    chain = change_of(ticket, EventKind.PRIORITY, actor=agent)
    assert fired(ticket) == {(down.pk, chain): 1, (up.pk, chain): 1}
    # Warned once for the chain, though each rule's change was handed back, maybe by the other worker.
    [stopped] = RuleRun.objects.filter(outcome=Outcome.STOPPED)
    assert (stopped.rule, stopped.chain, stopped.warning, stopped.depth, stopped.changes) == (
        down,
        chain,
        RunWarning.ALREADY_FIRED,
        1,
        {"priority": [Priority.HIGH, Priority.NORMAL]},
    )
    assert_each_change_handed_over_once(ticket, watch)
