"""A business rule that calls a webhook: the history says so, the receiver gets a signed rule.called."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from standardwebhooks import Webhook as Verifier

from comptoir.accounts.models import Role, User
from comptoir.rules.engine import dry_run
from comptoir.rules.models import Outcome, Rule, RuleRun, RunWarning
from comptoir.rules.validation import rule_errors
from comptoir.tickets.models import EventKind, Ticket, TicketEvent
from comptoir.webhooks.models import Webhook, WebhookDelivery
from comptoir.webhooks.services import deliveries_send_due

pytestmark = pytest.mark.django_db


def calling(webhook_id: int, **fields: Any) -> Rule:
    rule = Rule(
        name=fields.pop("name", "Invoices to the CRM"),
        events=["created"],
        conditions=[{"field": "subject", "operator": "contains", "value": "facture"}],
        actions=[{"action": "add_tags", "value": "billing"}, {"action": "call_webhook", "value": webhook_id}],
        **fields,
    )
    rule.full_clean()
    rule.save()
    return rule


def test_a_rule_calls_the_webhook_and_the_history_says_which(webhook, receiver, make_ticket):
    rule = calling(webhook.pk)

    ticket = make_ticket(subject="Ma facture de mars")
    other = make_ticket(subject="Mot de passe")

    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.changes["webhooks"]) == (Outcome.FIRED, [webhook.pk])
    called = TicketEvent.objects.get(ticket=ticket, kind=EventKind.WEBHOOK_CALLED)
    assert (called.new_value, called.change) == ("CRM sync", run.produced_change)
    assert not TicketEvent.objects.filter(ticket=other, kind=EventKind.WEBHOOK_CALLED).exists()

    deliveries_send_due()
    calls = [json.loads(r.body) for r in receiver.received if json.loads(r.body)["type"] == "rule.called"]
    assert len(calls) == 1
    [raw] = [r for r in receiver.received if json.loads(r.body)["type"] == "rule.called"]
    verified = Verifier(webhook.secret).verify(raw.body, raw.headers)
    assert verified["data"]["rule"] == {"name": "Invoices to the CRM"}
    assert verified["data"]["ticket"]["reference"] == ticket.reference
    # The event the rule ran on: the ticket's creation.
    assert verified["data"]["event"]["kind"] == EventKind.CREATED
    assert "billing" in verified["data"]["ticket"]["tags"]


def test_a_webhook_turned_off_since_is_a_warning_and_the_rule_s_other_actions_go_ahead(webhook, make_ticket):
    rule = calling(webhook.pk)
    Webhook.objects.filter(pk=webhook.pk).update(active=False)

    ticket = make_ticket(subject="Facture")

    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.warning) == (Outcome.FIRED, RunWarning.WEBHOOK_GONE)
    assert set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == {"billing"}
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.WEBHOOK_CALLED).exists()
    assert not WebhookDelivery.objects.filter(event_type="rule.called").exists()


def test_a_rule_may_only_call_a_webhook_that_is_on(webhook):
    rule = Rule(name="x", events=["created"], actions=[{"action": "call_webhook", "value": webhook.pk + 100}])
    assert rule_errors(rule)["actions"] == [f"No webhook that is on has the id {webhook.pk + 100}."]
    odd = Rule(name="x", events=["created"], actions=[{"action": "call_webhook", "value": "crm"}])
    assert "does not name a webhook" in " ".join(rule_errors(odd)["actions"])


def test_the_dry_run_says_it_would_call_and_calls_nothing(webhook, make_ticket):
    ticket = make_ticket(subject="Facture")
    WebhookDelivery.objects.all().delete()
    rule = Rule(
        name="Try",
        events=["created"],
        actions=[{"action": "call_webhook", "value": webhook.pk}],
    )

    [would] = dry_run(rule, [ticket])

    assert would.plan.changes == {"webhooks": [webhook.pk]}
    assert not WebhookDelivery.objects.exists()
    assert not TicketEvent.objects.filter(kind=EventKind.WEBHOOK_CALLED).exists()


def test_the_rule_page_offers_the_webhooks_that_are_on_and_says_what_the_rule_calls(client, webhook):
    admin = User.objects.create_user("root@example.com", name="Root", role=Role.ADMIN, language="en")
    client.force_login(admin)
    Webhook.objects.create(owner=admin, url="https://off.example.org/hook", description="Old CRM", active=False)
    with translation.override("en"):
        new, listing = reverse("agent_rule_new"), reverse("agent_rules_settings")
    form = {
        "name": "To the CRM",
        "events": ["created"],
        "match": "all",
        "conditions-TOTAL_FORMS": "0",
        "conditions-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-action": "call_webhook",
        "actions-0-value": str(webhook.pk),
    }

    page = client.get(new).content.decode()
    response = client.post(new, form)

    assert "Call a webhook" in page
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Rule.objects.get(name="To the CRM")
    assert saved.actions == [{"action": "call_webhook", "value": webhook.pk}]
    assert "call the webhook “CRM sync”" in client.get(listing).content.decode()
