"""The webhook pages of the workspace settings: administrators only, the secret shown once, the attempts log."""

from __future__ import annotations

import pytest
from django.test import Client

from comptoir.accounts.models import Role, User
from comptoir.webhooks.models import DisabledReason, EventType, Webhook, WebhookDelivery
from comptoir.webhooks.services import deliveries_send_due, webhook_create, webhook_disable
from tests.workspace.test_bulk_views import flashes, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_owner(client, owner) -> Client:
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def delivered(webhook, receiver, make_ticket) -> WebhookDelivery:
    receiver.status = 500
    receiver.answer = b"<script>alert('hi')</script> upstream down"
    make_ticket()
    deliveries_send_due()
    return WebhookDelivery.objects.get()


def every_address(webhook: Webhook, delivery: WebhookDelivery) -> list[tuple[str, str]]:
    return [
        ("get", url("agent_webhook_settings")),
        ("get", url("agent_webhook_new")),
        ("post", url("agent_webhook_new")),
        ("get", url("agent_webhook", webhook.pk)),
        ("post", url("agent_webhook", webhook.pk)),
        ("post", url("agent_webhook_rotate", webhook.pk)),
        ("post", url("agent_webhook_enable", webhook.pk)),
        ("post", url("agent_webhook_send_again", webhook.pk)),
        ("get", url("agent_webhook_delete", webhook.pk)),
        ("post", url("agent_webhook_delete", webhook.pk)),
        ("get", url("agent_webhook_delivery", webhook.pk, delivery.pk)),
        ("post", url("agent_webhook_delivery_send_again", webhook.pk, delivery.pk)),
    ]


def _form(**changes) -> dict:
    return {"url": "http://127.0.0.1:9/hook", "description": "CRM", "event_types": ["ticket.created"], **changes}


def test_a_visitor_is_sent_to_log_in(client, webhook, delivered):
    for method, address in every_address(webhook, delivered):
        response = getattr(client, method)(address)
        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=" + address)


@pytest.mark.parametrize("role", [Role.AGENT, Role.REQUESTER])
def test_an_agent_or_a_requester_is_refused_and_changes_nothing(client, webhook, delivered, role):
    client.force_login(User.objects.create_user("someone@example.com", name="Someone", role=role))
    secret = webhook.secret
    for method, address in every_address(webhook, delivered):
        response = getattr(client, method)(address, _form(active="on"))
        assert response.status_code in (302, 403), address
        if response.status_code == 302:
            assert "/agent/settings/webhooks" not in response["Location"]
    assert Webhook.objects.get().secret == secret
    assert Webhook.objects.count() == 1
    assert WebhookDelivery.objects.get().state == delivered.state


def test_the_profile_menu_leads_an_administrator_to_the_webhooks_through_the_settings(as_owner):
    assert f'href="{url("agent_settings")}"' in as_owner.get(url("agent_tickets")).content.decode()
    assert f'href="{url("agent_webhook_settings")}"' in as_owner.get(url("agent_settings")).content.decode()


def test_a_new_webhook_shows_its_secret_once(as_owner, loopback_allowed):
    response = as_owner.post(url("agent_webhook_new"), _form(event_types=["ticket.created", "sla.breached"]))
    webhook = Webhook.objects.get()
    assert response["Location"] == url("agent_webhook", webhook.pk)
    assert webhook.event_types == ["ticket.created", "sla.breached"]
    assert webhook.owner.email == "ada@example.com"
    first = as_owner.get(response["Location"]).content.decode()
    assert webhook.secret in first
    assert "Copy it now: it will not be shown again." in first
    assert webhook.secret not in as_owner.get(response["Location"]).content.decode()


def test_an_address_on_the_private_network_is_refused_with_the_reason(as_owner):
    response = as_owner.post(url("agent_webhook_new"), _form(url="http://169.254.169.254/latest/meta-data/"))
    assert response.status_code == 400
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert not Webhook.objects.exists()


def test_choosing_no_event_is_refused(as_owner, loopback_allowed):
    response = as_owner.post(url("agent_webhook_new"), _form(event_types=[]))
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()


def test_an_edit_changes_the_events_and_turns_it_off(as_owner, webhook):
    response = as_owner.post(url("agent_webhook", webhook.pk), _form(url=webhook.url, event_types=["ticket.solved"]))
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.event_types, webhook.active, webhook.disabled_reason) == (
        ["ticket.solved"],
        False,
        DisabledReason.BY_ADMIN,
    )


def test_rotating_shows_the_new_secret_once(as_owner, webhook):
    old = webhook.secret
    response = as_owner.post(url("agent_webhook_rotate", webhook.pk), follow=True)
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.previous_secret == old
    assert webhook.secret in response.content.decode()
    assert webhook.secret not in as_owner.get(url("agent_webhook", webhook.pk)).content.decode()


def test_a_disabled_webhook_is_enabled_again(as_owner, webhook):
    webhook_disable(webhook, reason=DisabledReason.FAILING)
    page = as_owner.get(url("agent_webhook", webhook.pk)).content.decode()
    assert "Every delivery failed for 24 hours" in page
    assert url("agent_webhook_enable", webhook.pk) in page
    as_owner.post(url("agent_webhook_enable", webhook.pk))
    webhook.refresh_from_db()
    assert (webhook.active, webhook.disabled_at, webhook.failing_since) == (True, None, None)


def test_the_attempts_log_shows_each_answer_escaped_and_sends_again(as_owner, webhook, delivered, receiver):
    page = as_owner.get(url("agent_webhook_delivery", webhook.pk, delivered.pk)).content.decode()
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt; upstream down" in page
    assert "<script>alert" not in page
    assert "The receiver answered 500." in page
    assert delivered.message_id in page

    delivered.state = "failed"
    delivered.save()
    receiver.status = 200
    response = as_owner.post(url("agent_webhook_delivery_send_again", webhook.pk, delivered.pk))
    assert response.status_code == 302
    assert flashes(response) == ["The delivery is sent again in a moment, with the same webhook-id."]
    deliveries_send_due()
    delivered.refresh_from_db()
    assert (delivered.state, delivered.attempts) == ("delivered", 2)


def test_a_disabled_webhooks_delivery_is_not_sent_again(as_owner, webhook, delivered):
    webhook_disable(webhook, reason=DisabledReason.BY_ADMIN)
    response = as_owner.post(url("agent_webhook_delivery_send_again", webhook.pk, delivered.pk))
    assert flashes(response) == ["Enable the webhook first: a disabled webhook is sent nothing."]
    assert WebhookDelivery.objects.get().state == "failed"


def test_a_delivery_of_another_webhook_is_not_found_under_this_one(as_owner, webhook, delivered, owner, receiver):
    other = webhook_create(owner=owner, url=receiver.url, description="", event_types=[EventType.TICKET_SOLVED])
    assert as_owner.get(url("agent_webhook_delivery", other.pk, delivered.pk)).status_code == 404


def test_delete_asks_then_deletes_with_the_deliveries(as_owner, webhook, delivered):
    assert as_owner.get(url("agent_webhook_delete", webhook.pk)).status_code == 200
    as_owner.post(url("agent_webhook_delete", webhook.pk))
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(owner, webhook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(url("agent_webhook_rotate", webhook.pk)).status_code == 403


def test_the_pages_cost_the_same_whatever_the_rows(
    as_owner, webhook, owner, receiver, make_ticket, django_assert_num_queries
):
    make_ticket()
    deliveries_send_due()
    with django_assert_num_queries(QUERIES_LIST):
        as_owner.get(url("agent_webhook_settings"))
    with django_assert_num_queries(QUERIES_WEBHOOK):
        as_owner.get(url("agent_webhook", webhook.pk))
    delivery = WebhookDelivery.objects.get()
    with django_assert_num_queries(QUERIES_DELIVERY):
        as_owner.get(url("agent_webhook_delivery", webhook.pk, delivery.pk))

    for index in range(3):
        webhook_create(owner=owner, url=receiver.url, description=f"{index}", event_types=EventType.values)
    make_ticket(email="bob@example.net")
    make_ticket(email="carol@example.net")
    deliveries_send_due()
    delivery.attempt_log.create(attempted_at=delivery.created_at, ok=False, error="again")
    with django_assert_num_queries(QUERIES_LIST):
        as_owner.get(url("agent_webhook_settings"))
    with django_assert_num_queries(QUERIES_WEBHOOK):
        as_owner.get(url("agent_webhook", webhook.pk))
    with django_assert_num_queries(QUERIES_DELIVERY):
        as_owner.get(url("agent_webhook_delivery", webhook.pk, delivery.pk))


# The session, the admin, then: the webhooks with their owners.
QUERIES_LIST = 3
# ... the webhook with its owner, the deliveries counted, a page of them.
QUERIES_WEBHOOK = 5
# ... the delivery with its webhook, its attempts.
QUERIES_DELIVERY = 4


def test_what_a_disabled_webhook_gave_up_is_sent_again_once_enabled(as_owner, webhook, receiver, make_ticket):
    receiver.status = 500
    make_ticket(subject="First")
    make_ticket(email="bob@example.net", subject="Second")
    deliveries_send_due()
    webhook_disable(webhook, reason=DisabledReason.FAILING)
    as_owner.post(url("agent_webhook_enable", webhook.pk), follow=True)  # its message read
    receiver.status = 200
    response = as_owner.post(url("agent_webhook_send_again", webhook.pk))
    assert flashes(response) == ["2 deliveries given up are sent again, oldest first."]
    deliveries_send_due()
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert len(receiver.received) == 4  # two failed attempts, then each once
