"""The default rules: what a new help desk does by itself, as rules admins read, change and turn off."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_save
from comptoir.rules.automations import automations_run
from comptoir.rules.defaults import ASSIGNEE_TOLD_OF_REPLY, AUTO_CLOSE, default_rules_restore
from comptoir.rules.models import Outcome, Rule, RuleRun, TicketClock
from comptoir.rules.tasks import automations_run as automations_task
from comptoir.tickets.models import Channel, EventKind, Status, Ticket, TicketEvent
from comptoir.tickets.services import (
    ticket_reply_by_requester,
    ticket_update_by_agent,
)
from tests.conftest import running_worker
from tests.locks import at_once

pytestmark = pytest.mark.django_db


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


def default(key: str) -> Rule:
    return Rule.objects.get(built_in=key)


def solved(make_ticket, agent: User, **extra) -> Ticket:
    ticket = make_ticket(**extra)
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    return ticket


def status(ticket: Ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def closing_events(ticket: Ticket) -> list[tuple[str, int | None]]:
    return list(ticket.events.filter(kind=EventKind.STATUS, new_value=Status.CLOSED).values_list("old_value", "actor"))


# --- What a new desk starts with --------------------------------------------------------------


def test_a_migrated_desk_has_both_default_rules_valid_and_on_named_in_its_language(settings):
    rules = {rule.built_in: rule for rule in Rule.objects.exclude(built_in="")}

    assert set(rules) == {AUTO_CLOSE, ASSIGNEE_TOLD_OF_REPLY}
    for rule in rules.values():
        rule.full_clean()  # the validation admins' rules pass
        assert rule.active
    # The site's language is French unless configured: the names are as a French admin writes them.
    assert settings.LANGUAGE_CODE == "fr"
    assert rules[AUTO_CLOSE].name == "Clore les tickets résolus depuis 4 jours"
    assert rules[ASSIGNEE_TOLD_OF_REPLY].name == "Prévenir le responsable quand le demandeur répond"
    assert rules[AUTO_CLOSE].conditions[1] == {"field": "hours_in_status", "operator": "at_least", "value": 96}


def test_restoring_puts_back_only_what_is_missing_after_the_admins_rules(settings):
    settings.COMPTOIR_AUTO_CLOSE_DAYS = 7
    mine = Rule.objects.create(name="Mine", position=40, actions=[{"action": "add_tags", "value": "x"}])
    default(AUTO_CLOSE).delete()
    told = default(ASSIGNEE_TOLD_OF_REPLY)
    Rule.objects.filter(pk=told.pk).update(name="Renamed by an admin", active=False)

    assert default_rules_restore() == 1
    assert default_rules_restore() == 0

    back = default(AUTO_CLOSE)
    assert back.position == mine.position + 1
    assert back.conditions[1]["value"] == 7 * 24
    told.refresh_from_db()
    assert (told.name, told.active) == ("Renamed by an admin", False)


# --- "Close tickets solved for N days" ----------------------------------------------------------


def test_solved_tickets_close_after_four_days_as_nobody_without_an_e_mail(make_ticket, agent):
    old = solved(make_ticket, agent, subject="Old")

    assert automations_run(now=later(days=3, hours=23)) == 0
    assert status(old) == Status.SOLVED

    assert automations_run(now=later(days=4, minutes=1)) == 1
    old.refresh_from_db()
    assert (old.status, old.closed_at is not None) == (Status.CLOSED, True)
    assert closing_events(old) == [(Status.SOLVED, None)]
    run = RuleRun.objects.get(rule=default(AUTO_CLOSE), ticket=old)
    assert (run.outcome, run.changes) == (Outcome.FIRED, {"status": ["solved", "closed"]})
    # The e-mails of the creation and of the agent's "solved": closing tells nobody.
    assert list(OutboundEmail.objects.filter(ticket=old).values_list("kind", flat=True)) == [
        OutboundKind.TICKET_CREATED,
        OutboundKind.TICKET_SOLVED,
    ]
    # A second run finds nothing more to do.
    assert automations_run(now=later(days=5)) == 0
    assert closing_events(old) == [(Status.SOLVED, None)]


def test_a_reply_reopens_and_the_delay_counts_again_from_the_next_resolution(make_ticket, agent):
    by_requester = solved(make_ticket, agent, subject="Requester")
    resolved_again = solved(make_ticket, agent, subject="Solved again")
    ticket_reply_by_requester(ticket=by_requester, body="Not fixed.", channel=Channel.EMAIL)
    ticket_reply_by_requester(ticket=resolved_again, body="Not fixed.", channel=Channel.WEB)

    assert automations_run(now=later(days=10)) == 0
    assert status(by_requester) == Status.OPEN

    ticket_update_by_agent(resolved_again, agent=agent, body="Now it is.", status=Status.SOLVED)
    assert automations_run(now=later(days=4, minutes=1)) == 1
    assert (status(by_requester), status(resolved_again)) == (Status.OPEN, Status.CLOSED)


def test_admins_change_the_delay_or_turn_the_rule_off(make_ticket, agent):
    ticket = solved(make_ticket, agent)
    rule = default(AUTO_CLOSE)
    rule.conditions = [rule.conditions[0], {"field": "hours_in_status", "operator": "at_least", "value": 10 * 24}]
    rule.full_clean()
    rule.save()

    assert automations_run(now=later(days=6)) == 0
    Rule.objects.filter(pk=rule.pk).update(active=False)
    assert automations_run(now=later(days=30)) == 0
    assert status(ticket) == Status.SOLVED

    Rule.objects.filter(pk=rule.pk).update(active=True)
    assert automations_task() == 0  # the beat's job, now: not yet ten days
    assert automations_run(now=later(days=10, minutes=1)) == 1
    assert status(ticket) == Status.CLOSED


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_close_each_ticket_once(make_ticket, agent):
    default_rules_restore()  # a transactional test starts from the tables another test flushed
    tickets = [solved(make_ticket, agent, subject=f"Ticket {n}") for n in range(12)]
    with running_worker():  # the rules subscriber keeps the tickets' clocks, which the automation reads
        deadline = time.monotonic() + 60
        while EventDelivery.objects.filter(state=DeliveryState.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert TicketClock.objects.filter(status=Status.SOLVED).count() == 12
    when = later(days=5)

    results = at_once(lambda: automations_run(now=when))

    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.CLOSED}
    for ticket in tickets:
        assert closing_events(ticket) == [(Status.SOLVED, None)]
    assert len(results) == 2 and sum(results) == 12


# --- "Tell the assignee when the requester replies" ---------------------------------------------


@pytest.fixture
def zoe(db) -> User:
    return User.objects.create_user("zoe@example.com", name="Zoé Martin", role=Role.AGENT, language="en")


def replied_emails(to: str) -> list[str]:
    return list(
        OutboundEmail.objects.filter(kind=OutboundKind.REQUESTER_REPLIED, to_address=to).values_list(
            "language", flat=True
        )
    )


def test_the_assignee_hears_of_the_requesters_reply_in_the_workspace_and_by_e_mail(make_ticket, agent, zoe):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe)

    ticket_reply_by_requester(ticket=ticket, body="Here is the invoice.", channel=Channel.EMAIL)

    assert list(AgentNotice.objects.filter(recipient=zoe, kind=NoticeKind.REPLY).values_list("ticket", flat=True)) == [
        ticket.pk
    ]
    assert replied_emails(zoe.email) == ["en"]
    # The history says which rule told her.
    told = TicketEvent.objects.get(ticket=ticket, kind=EventKind.AGENTS_NOTIFIED)
    assert RuleRun.objects.get(produced_change=told.change).rule.built_in == ASSIGNEE_TOLD_OF_REPLY
    # Nobody else is told, and an unassigned ticket's reply runs the rule into no warning.
    assert AgentNotice.objects.exclude(recipient=zoe).filter(kind=NoticeKind.REPLY).count() == 0
    unassigned = make_ticket(subject="Nobody's")
    ticket_reply_by_requester(ticket=unassigned, body="Hello?", channel=Channel.WEB)
    assert not RuleRun.objects.filter(ticket=unassigned, outcome=Outcome.FIRED).exists()


def test_the_assignees_choices_hold_and_turning_the_rule_off_silences_it(make_ticket, agent, zoe):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe)
    choices_save(zoe.pk, {NoticeKind.REPLY: (True, False)})

    ticket_reply_by_requester(ticket=ticket, body="First.", channel=Channel.WEB)
    assert AgentNotice.objects.filter(recipient=zoe, kind=NoticeKind.REPLY).count() == 1
    assert replied_emails(zoe.email) == []

    Rule.objects.filter(built_in=ASSIGNEE_TOLD_OF_REPLY).update(active=False)
    ticket_reply_by_requester(ticket=ticket, body="Second.", channel=Channel.WEB)
    assert AgentNotice.objects.filter(recipient=zoe, kind=NoticeKind.REPLY).count() == 1


def test_an_assignee_who_follows_the_ticket_is_told_once(make_ticket, agent, zoe):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe)
    ticket.followers.add(zoe, agent)

    ticket_reply_by_requester(ticket=ticket, body="Any news?", channel=Channel.WEB)

    assert AgentNotice.objects.filter(recipient=zoe, kind=NoticeKind.REPLY).count() == 1
    assert replied_emails(zoe.email) == ["en"]
    assert AgentNotice.objects.filter(recipient=agent, kind=NoticeKind.REPLY).count() == 1


def test_an_assignee_following_still_hears_with_the_rule_off(make_ticket, agent, zoe):
    Rule.objects.filter(built_in=ASSIGNEE_TOLD_OF_REPLY).update(active=False)
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe)
    ticket.followers.add(zoe)

    ticket_reply_by_requester(ticket=ticket, body="Any news?", channel=Channel.WEB)

    assert AgentNotice.objects.filter(recipient=zoe, kind=NoticeKind.REPLY).count() == 1
    assert replied_emails(zoe.email) == ["en"]


# --- In the settings ----------------------------------------------------------------------------


def url(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_user("admin@example.com", name="Ada Admin", role=Role.ADMIN, language="en")
    client.force_login(admin)
    return client


def test_the_rules_page_marks_default_rules_and_refuses_to_delete_one(admin_client):
    rule = default(AUTO_CLOSE)

    page = admin_client.get(url("agent_rules_settings")).content.decode()
    assert page.count('class="badge badge-built-in"') >= 3  # both rules, and the statuses' line
    assert url("agent_rule_delete", rule.pk) not in admin_client.get(url("agent_rule", rule.pk)).content.decode()

    response = admin_client.post(url("agent_rule_delete", rule.pk), follow=True)

    assert Rule.objects.filter(pk=rule.pk).exists()
    assert "A default rule is not deleted: turn it off instead." in response.content.decode()
