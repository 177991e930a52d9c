"""A business rule's notice to agents: in the workspace and by e-mail, as each agent chose.

The notice a rule sends on a requester's reply is that reply's (NoticeKind.REPLY and the
"requester replied" e-mail with their words), so that a rule can tell the assignee of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_save
from comptoir.rules.models import Outcome, Rule, RuleRun, RunWarning
from comptoir.tickets.models import Channel, EventKind, SupportGroup, Ticket, TicketEvent
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def trigger(name: str, *, events: list[str], actions: list[tuple[str, Any]]) -> Rule:
    rule = Rule(name=name, events=events, actions=[{"action": a, "value": v} for a, v in actions])
    rule.full_clean()
    rule.save()
    return rule


def notices(agent: User) -> list[tuple[str, str, str]]:
    return list(AgentNotice.objects.filter(recipient=agent).order_by("id").values_list("kind", "rule_name", "note"))


def emails(kind: str, to: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind, to_address=to).order_by("id"))


@pytest.fixture
def zoe(db) -> User:
    return User.objects.create_user("zoe@example.com", name="Zoé Martin", role=Role.AGENT, language="en")


@pytest.fixture
def billing(db) -> SupportGroup:
    return SupportGroup.objects.create(name="Billing")


def test_the_groups_agents_are_told_with_the_rules_name_and_words(make_ticket, billing, agent, zoe, mailoutbox):
    away = User.objects.create_user("away@example.com", name="Away", role=Role.AGENT, is_active=False)
    billing.members.add(agent, zoe, away)
    trigger(
        "Urgent to Billing",
        events=["created"],
        actions=[("set_group", billing.pk), ("notify_agents", {"to": "group", "message": "Call <them> today."})],
    )

    ticket = make_ticket(subject="Card charged twice")

    rule_notice = (NoticeKind.RULE, "Urgent to Billing", "Call <them> today.")
    assert notices(zoe)[-1] == rule_notice
    assert notices(agent)[-1] == rule_notice
    assert notices(away) == []
    [sent] = emails(OutboundKind.AGENT_RULE_NOTICE, "zoe@example.com")
    assert (sent.language, sent.ticket_id) == ("en", ticket.pk)
    assert email_deliver(sent.pk) is True
    message = mailoutbox[-1]
    assert message.subject == f"[#{ticket.reference}] Card charged twice"
    assert f"The rule “Urgent to Billing” asks you to look at ticket #{ticket.reference}." in message.body
    assert "Call <them> today." in message.body
    assert url("agent_ticket", ticket.reference) in message.body
    html = message.alternatives[0][0]
    assert "Call &lt;them&gt; today." in html and "<them>" not in html
    # Camille chose no language: the site's.
    [french] = emails(OutboundKind.AGENT_RULE_NOTICE, "agent@example.com")
    assert french.language == "fr"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.AGENTS_NOTIFIED)
    assert (event.old_value, event.new_value, event.actor_id) == ("group", "Billing", None)


def test_each_agent_hears_of_a_rule_as_they_chose(make_ticket, billing, agent, zoe):
    billing.members.add(agent, zoe)
    choices_save(zoe.pk, {NoticeKind.RULE: (True, False)})
    choices_save(agent.pk, {NoticeKind.RULE: (False, False)})
    trigger("Tell Billing", events=["created"], actions=[("set_group", billing.pk), ("notify_agents", {"to": "group"})])

    make_ticket()

    assert [kind for kind, _name, _note in notices(zoe)] == [NoticeKind.NEW_IN_GROUP, NoticeKind.RULE]
    assert [kind for kind, _name, _note in notices(agent)] == [NoticeKind.NEW_IN_GROUP]
    assert not OutboundEmail.objects.filter(kind=OutboundKind.AGENT_RULE_NOTICE).exists()


def test_the_notice_list_shows_the_rule_and_its_words(client, make_ticket, zoe):
    trigger(
        "Look at it",
        events=["created"],
        actions=[("notify_agents", {"to": "agent", "agent": zoe.pk, "message": "VIP <customer>"})],
    )
    ticket = make_ticket()
    client.force_login(zoe)

    page = client.get(url("agent_notices")).content.decode()

    assert f"#{ticket.reference}" in page
    assert "Look at it" in page and "VIP &lt;customer&gt;" in page


def test_a_rule_on_the_requesters_reply_tells_of_that_reply_under_the_reply_choice(make_ticket, agent, zoe):
    # Zoé neither is assigned nor follows the ticket: only the rule tells her.
    trigger(
        "Tell Zoé of replies",
        events=["requester_message"],
        actions=[("notify_agents", {"to": "agent", "agent": zoe.pk, "message": "Not shown"})],
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Which browser?")

    reply = ticket_reply_by_requester(ticket=ticket, body="Firefox <128>.", channel=Channel.WEB)

    assert notices(zoe) == [(NoticeKind.REPLY, "", "")]
    [sent] = emails(OutboundKind.REQUESTER_REPLIED, "zoe@example.com")
    assert (sent.ticket_message_id, sent.language) == (reply.pk, "en")
    assert not OutboundEmail.objects.filter(kind=OutboundKind.AGENT_RULE_NOTICE).exists()
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.AGENTS_NOTIFIED)
    assert event.message_id == reply.pk

    # Her choice for replies is the one that holds.
    choices_save(zoe.pk, {NoticeKind.REPLY: (True, False)})
    ticket_reply_by_requester(ticket=ticket, body="And Chrome.", channel=Channel.WEB)
    assert notices(zoe) == [(NoticeKind.REPLY, "", "")] * 2
    assert len(emails(OutboundKind.REQUESTER_REPLIED, "zoe@example.com")) == 1
    choices_save(zoe.pk, {NoticeKind.REPLY: (False, False)})
    ticket_reply_by_requester(ticket=ticket, body="And Safari.", channel=Channel.WEB)
    assert len(notices(zoe)) == 2
    assert len(emails(OutboundKind.REQUESTER_REPLIED, "zoe@example.com")) == 1


def test_the_reply_e_mail_a_rule_sends_carries_the_requesters_words(make_ticket, agent, zoe, mailoutbox):
    trigger(
        "Tell the assignee of replies",
        events=["requester_message"],
        actions=[("notify_agents", {"to": "assignee"})],
    )
    ticket = make_ticket(subject="Export fails")
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe, body="Which browser?")
    built_in = len(emails(OutboundKind.REQUESTER_REPLIED, "zoe@example.com"))

    ticket_reply_by_requester(ticket=ticket, body="Firefox 128.", channel=Channel.WEB)

    # The rule's e-mail, besides the built-in one until the default rule replaces it.
    rows = emails(OutboundKind.REQUESTER_REPLIED, "zoe@example.com")
    assert len(rows) == built_in + 2
    assert email_deliver(rows[-1].pk) is True
    assert "Firefox 128." in mailoutbox[-1].body
    assert mailoutbox[-1].subject == f"[#{ticket.reference}] Alice Martin replied: Export fails"


def test_an_automation_tells_agents_with_the_rules_notice(make_ticket, agent, zoe):
    from datetime import timedelta

    from django.utils import timezone

    from comptoir.rules.automations import automations_run
    from comptoir.tickets.models import Status

    rule = Rule(
        name="Stale",
        kind="automation",
        conditions=[
            {"field": "status", "operator": "is", "value": "pending"},
            {"field": "hours_in_status", "operator": "at_least", "value": 48},
        ],
        actions=[{"action": "notify_agents", "value": {"to": "assignee", "message": "Still waiting."}}],
    )
    rule.full_clean()
    rule.save()
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=zoe, body="Your file?", status=Status.PENDING)
    unassigned = make_ticket(subject="Nobody's")
    ticket_update_by_agent(unassigned, agent=agent, body="Your file?", status=Status.PENDING)

    assert automations_run(now=timezone.now() + timedelta(hours=49)) == 1

    assert notices(zoe)[-1] == (NoticeKind.RULE, "Stale", "Still waiting.")
    missed = RuleRun.objects.get(rule=rule, ticket=unassigned)
    assert (missed.outcome, missed.warning) == (Outcome.NOT_FIRED, RunWarning.NO_ASSIGNEE)
    assert Ticket.objects.get(pk=unassigned.pk).status == Status.PENDING


def test_a_notice_to_an_agent_who_left_is_a_warning(make_ticket, zoe):
    rule = trigger("Tell Zoé", events=["created"], actions=[("notify_agents", {"to": "agent", "agent": zoe.pk})])
    User.objects.filter(pk=zoe.pk).update(is_active=False)

    ticket = make_ticket()

    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.warning) == (Outcome.NOT_FIRED, RunWarning.TOLD_AGENT_GONE)
    assert notices(zoe) == []
