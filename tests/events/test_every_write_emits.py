"""Every write service records its events, and the backbone hands each over exactly once, after commit only.

These tests commit for real and go through Celery: the broker configured for
the run (in memory, or Redis in CI) and a real worker thread.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from comptoir.accounts.models import Role, User
from comptoir.celery import app as celery_app
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.events.registry import interested_in
from comptoir.portal.erasure import account_erase
from comptoir.rules.automations import automations_run
from comptoir.rules.defaults import ASSIGNEE_TOLD_OF_REPLY, default_rules_restore
from comptoir.rules.models import Rule, TicketClock
from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import Metric, SlaPolicy, SlaTarget
from comptoir.sla.services import ticket_sla_refresh
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.services import ticket_values_update
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import (
    EventKind,
    Macro,
    Priority,
    RuleRecipient,
    Status,
    SupportGroup,
    Survey,
    Ticket,
    TicketEvent,
    TicketType,
)
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import (
    PropertyChanges,
    RuleTold,
    ticket_add_ccs,
    ticket_change_requester,
    ticket_mark_spam,
    ticket_record_delivery_failure,
    ticket_remove_cc,
    ticket_reply_by_requester,
    ticket_rule_tell,
    ticket_set_status,
    ticket_solve_by_requester,
    ticket_update_by_agent,
    ticket_webhook_called,
    tickets_update_in_bulk,
)
from comptoir.workspace.macros import tickets_apply_macro
from tests.conftest import running_worker
from tests.events.recorder import Recorder, recording


def handed_over(recorder: Recorder) -> None:
    """Run a real worker until every change owed is handed over (or a bound on waiting passes)."""
    with running_worker():
        deadline = time.monotonic() + 30
        while EventDelivery.objects.filter(state=DeliveryState.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def every_write(make_ticket, agent: User) -> dict[str, Ticket]:
    # The default rules as migrated (an earlier transactional test's flush took them away), but the notice
    # on a requester's reply, which would add its own events: the same writes whatever ran before.
    default_rules_restore()
    Rule.objects.filter(built_in=ASSIGNEE_TOLD_OF_REPLY).delete()
    group = SupportGroup.objects.create(name="Billing")
    worked = make_ticket(subject="Worked on")
    ticket_set_status(worked, Status.PENDING, actor=agent)
    ticket_reply_by_requester(ticket=worked, body="Here is the log.", channel="web")
    ticket_update_by_agent(
        worked,
        agent=agent,
        body="Fixed in 2.3.",
        priority=Priority.HIGH,
        ticket_type=TicketType.INCIDENT,
        assignee=agent,
        group=group,
        status=Status.SOLVED,
    )
    survey_answer(Survey.objects.get(ticket=worked, withdrawn_at__isnull=True), rating=5, comment="Thanks")
    ticket_update_by_agent(worked, agent=agent, body="Customer happy.", is_public=False)
    [cc] = ticket_add_ccs(worked, [("Bob", "bob@example.net")], actor=agent)
    ticket_remove_cc(worked, cc, actor=agent)
    ticket_record_delivery_failure(worked, recipient="bob@example.net", detail="550", permanent=True)

    self_solved = make_ticket(subject="Solved by the requester")
    ticket_solve_by_requester(ticket=self_solved)
    # The default automation "Close tickets solved for N days" closes it, reading the ticket's clock: the
    # rules subscriber keeps it once the worker runs, after these writes; written here as it will be.
    self_solved.refresh_from_db()
    TicketClock.objects.update_or_create(
        ticket=self_solved, defaults={"status": Status.SOLVED, "status_since": self_solved.solved_at}
    )
    assert automations_run(now=timezone.now() + timedelta(days=30)) == 1
    ticket_reply_by_requester(ticket=self_solved, body="It broke again.", channel="web")  # opens a follow-up

    erased = make_ticket(email="erase-me@example.org", subject="To be erased")
    account_erase(user=User.objects.get(email="erase-me@example.org"))

    tagged = make_ticket(subject="Tagged, then merged into")
    ticket_update_by_agent(tagged, agent=agent, add_tags=["vip"])
    tickets_update_in_bulk(
        [tagged.pk], agent=agent, changes=PropertyChanges(remove_tags=["vip"]), status=Status.PENDING
    )
    duplicate = make_ticket(subject="Written twice")
    tickets_merge([duplicate], tagged, agent=agent, tell_requesters=False)
    ticket_change_requester(tagged, email="bob@example.net", name="Bob", actor=agent)
    ticket_mark_spam(make_ticket(subject="Cheap pills"), agent=agent)
    canned = make_ticket(subject="Answered with a canned reply")
    macro = Macro.objects.create(title="Thanks", body="Thanks, {requester_name}.", status=Status.PENDING, add_tags="ok")
    tickets_apply_macro([canned.pk], macro=macro, agent=agent, is_public=True)

    # Service levels: a policy for the tickets tagged "sla" only, so the job raises this ticket's clock alone.
    policy = SlaPolicy.objects.create(name="An hour", tag="sla", warn_minutes=15)
    SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_REPLY, priority=Priority.NORMAL, minutes=60)
    timed = make_ticket(subject="On the clock")
    ticket_update_by_agent(timed, agent=agent, add_tags=["sla"])
    # The clocks' subscriber runs in the worker later; its service is idempotent, so start the clock now.
    ticket_sla_refresh(Ticket.objects.select_related("requester").get(pk=timed.pk))
    started = timezone.now()
    assert breaches_raise(now=started + timedelta(minutes=50)).warned
    assert breaches_raise(now=started + timedelta(hours=2)).breached
    # What a business rule tells (comptoir.rules.actions), recorded as the rules' write records it.
    told = make_ticket(subject="Told by a rule")
    texts = {"fr": {"subject": "Bien reçu", "body": "Merci."}, "en": {"subject": "Got it", "body": "Thanks."}}
    ticket_rule_tell(
        told.pk,
        [
            RuleTold(
                kind=EventKind.RULE_EMAIL,
                rule_name="Welcome",
                recipient=RuleRecipient.REQUESTER,
                address="alice@example.org",
                texts=texts,
            ),
            RuleTold(
                kind=EventKind.AGENTS_NOTIFIED,
                rule_name="Welcome",
                recipient=RuleRecipient.AGENT,
                name="Camille",
                agent_ids=[agent.pk],
            ),
        ],
    )
    # A rule's call of a webhook (comptoir.rules.actions), recorded in the same way.
    ticket_webhook_called(told.pk, "CRM sync")
    # An agent's value in a ticket field (comptoir.ticketforms.services).
    order = TicketField.objects.create(key="order", kind=FieldKind.TEXT, label_en="Order")
    ticket_values_update(ticket=told, values={order: "CMD-123456"}, actor=agent)
    return {
        "told": told,
        "worked": worked,
        "self_solved": self_solved,
        "erased": erased,
        "tagged": tagged,
        "duplicate": duplicate,
        "canned": canned,
        "timed": timed,
    }


def test_each_write_s_events_reach_a_subscriber_once_after_commit(transactional_db, make_ticket):
    celery_app.control.purge()  # only this test's tasks in the broker
    agent = User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT)
    with recording() as recorder:
        tickets = every_write(make_ticket, agent)
        # Committed, but no worker ran yet: nothing was handed over inside a write.
        assert recorder.events == []
        handed_over(recorder)

    recorded = list(TicketEvent.objects.order_by("id").values_list("pk", flat=True))
    assert sorted(recorder.event_ids) == recorded  # each event exactly once
    assert set(EventDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DONE}
    # Every kind of event the services write was written and handed over.
    assert {kind for _, kind, _ in recorder.events} == set(EventKind.values)
    worked = tickets["worked"]
    assert recorder.kinds(worked.pk) == [
        EventKind.CREATED,
        EventKind.STATUS,
        EventKind.REPLY,
        EventKind.STATUS,
        EventKind.PRIORITY,
        EventKind.TYPE,
        EventKind.ASSIGNEE,
        EventKind.GROUP,
        EventKind.REPLY,
        EventKind.STATUS,
        EventKind.SATISFACTION,
        EventKind.NOTE,
        EventKind.CC_ADDED,
        EventKind.CC_REMOVED,
        EventKind.DELIVERY_FAILED,
    ]
    follow_up = Ticket.objects.get(follow_up_of=tickets["self_solved"])
    assert recorder.kinds(tickets["self_solved"].pk) == [
        EventKind.CREATED,
        EventKind.STATUS,
        EventKind.STATUS,
        EventKind.FOLLOW_UP,
    ]
    assert recorder.kinds(follow_up.pk) == [EventKind.CREATED]
    assert recorder.kinds(tickets["erased"].pk) == [EventKind.CREATED, EventKind.REQUESTER_ERASED]
    # A bulk action's change is handed over like any other: its events in the order written.
    assert recorder.kinds(tickets["tagged"].pk) == [
        EventKind.CREATED,
        EventKind.TAG_ADDED,
        EventKind.STATUS,
        EventKind.TAG_REMOVED,
        EventKind.STATUS,
        EventKind.MERGED_FROM,
        EventKind.NOTE,
        EventKind.REQUESTER_CHANGED,
    ]
    # A canned reply applied from the list: one change, as a submit on the ticket's page.
    assert recorder.kinds(tickets["canned"].pk) == [
        EventKind.CREATED,
        EventKind.TAG_ADDED,
        EventKind.REPLY,
        EventKind.STATUS,
    ]
    # The breach job's events: a change of each, no actor.
    assert recorder.kinds(tickets["timed"].pk) == [
        EventKind.CREATED,
        EventKind.TAG_ADDED,
        EventKind.STATUS,
        EventKind.SLA_WARNING,
        EventKind.SLA_BREACH,
    ]
    assert recorder.kinds(tickets["told"].pk) == [
        EventKind.CREATED,
        EventKind.RULE_EMAIL,
        EventKind.AGENTS_NOTIFIED,
        EventKind.WEBHOOK_CALLED,
        EventKind.FIELD,
    ]
    assert recorder.kinds(tickets["duplicate"].pk) == [
        EventKind.CREATED,
        EventKind.MERGED_INTO,
        EventKind.NOTE,
        EventKind.STATUS,
        EventKind.STATUS,
    ]


def test_a_rolled_back_write_emits_nothing(transactional_db, make_ticket):
    celery_app.control.purge()

    class Undone(Exception):
        pass

    def write_then_fail() -> None:
        with transaction.atomic():
            make_ticket(subject="Never happened")
            raise Undone

    with recording() as recorder:
        with pytest.raises(Undone):
            write_then_fail()
        kept = make_ticket(subject="Happened")
        handed_over(recorder)
    assert not Ticket.objects.filter(subject="Never happened").exists()
    assert recorder.kinds(kept.pk) == [EventKind.CREATED]
    assert len(recorder.changes) == 1
    # Each subscriber interested in a new ticket once (the recorder, the notifications, the business rules, the
    # service-level clocks, the webhooks...), and nothing of the write undone.
    interested = len(interested_in([EventKind.CREATED])) + 1  # the recorder, unsubscribed by now
    assert interested >= 5
    assert EventDelivery.objects.filter(ticket_id=kept.pk).count() == interested
    assert EventDelivery.objects.count() == interested
