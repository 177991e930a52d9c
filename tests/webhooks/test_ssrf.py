"""Server-side request forgery: only public addresses, checked where the connection goes, no redirect followed.

With COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES empty (the default), every case of the
issue is refused, when the webhook is saved and when a delivery is attempted.
"""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from comptoir.webhooks import addresses
from comptoir.webhooks.addresses import AddressRefused, address_refusal, target_for
from comptoir.webhooks.models import EventType, WebhookDelivery
from comptoir.webhooks.services import deliveries_send_due, url_check, webhook_create

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/hook", "loopback"),
    ("http://localhost:8000/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://0.0.0.0/", "private"),
    ("http://192.168.1.20/", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://[64:ff9b::a00:1]/", "private"),
    ("http://[64:ff9b:1::a9fe:a9fe]/", "link-local"),  # local-use NAT64 to the metadata address
    ("http://224.0.0.1/", "multicast"),
    ("http://2130706433/", "loopback"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_non_public_address_is_refused_when_saved(url, why):
    with pytest.raises(ValidationError) as refused:
        url_check(url)
    assert why in refused.value.messages[0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("http://user:pass@example.com/", "no user name or password"),
        ("http:///nohost", "names no host"),
        ("http://name.invalid./", "does not resolve"),
    ],
)
def test_what_is_not_an_http_url_to_a_host_is_refused(url, message, monkeypatch):
    def no_dns(host, port):
        raise OSError("no such name")

    monkeypatch.setattr(addresses, "resolve", no_dns)
    with pytest.raises(ValidationError) as refused:
        url_check(url)
    assert message in refused.value.messages[0]


def test_a_public_address_is_accepted_and_pinned(monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.215.14"])
    target = target_for("https://hooks.example.com/in?x=1")
    assert (target.host, target.address, target.port, target.path) == (
        "hooks.example.com",
        "93.184.215.14",
        443,
        "/in?x=1",
    )


def test_one_private_address_among_the_names_answers_is_enough_to_refuse(monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.215.14", "127.0.0.1"])
    with pytest.raises(AddressRefused, match="loopback"):
        target_for("https://hooks.example.com/")


def test_the_setting_allows_an_address_or_a_network(settings):
    settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1", "10.0.0.0/8"]
    allowed = addresses.allowed_networks()
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert address_refusal(ipaddress.ip_address("10.20.30.40"), allowed) is None
    assert address_refusal(ipaddress.ip_address("::ffff:10.0.0.1"), allowed) is None
    assert address_refusal(ipaddress.ip_address("127.0.0.2"), allowed) is not None
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), allowed) is not None


def test_a_delivery_to_an_address_refused_since_is_logged_not_sent(owner, receiver, settings, make_ticket):
    settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1"]
    webhook_create(owner=owner, url=receiver.url, description="", event_types=EventType.values)
    settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = []
    make_ticket()
    deliveries_send_due()
    assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert (attempt.ok, attempt.status_code) == (False, None)
    assert "127.0.0.1 is this machine (loopback)." in attempt.error


def test_a_name_that_turns_to_loopback_after_saving_is_refused_at_delivery(owner, receiver, monkeypatch, make_ticket):
    # DNS rebinding: public when the admin saves, loopback when the worker sends.
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    monkeypatch.setattr(addresses, "resolve", lambda host, port: next(answers))
    webhook_create(
        owner=owner, url=f"http://rebind.example.com:{receiver.port}/", description="", event_types=EventType.values
    )
    make_ticket()
    deliveries_send_due()
    assert receiver.received == []
    assert "loopback" in WebhookDelivery.objects.get().attempt_log.get().error


def test_the_connection_goes_to_the_address_checked_with_the_name_in_host(
    owner, receiver, loopback_allowed, monkeypatch, make_ticket
):
    # The name resolves once, to the receiver; the request names the host, as a virtual host expects.
    looked_up: list[str] = []

    def resolve(host, port):
        looked_up.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(addresses, "resolve", resolve)
    url = f"http://hooks.example.com:{receiver.port}/in"
    webhook_create(owner=owner, url=url, description="", event_types=EventType.values)
    make_ticket()
    deliveries_send_due()
    [request] = receiver.received
    assert request.headers["Host"] == f"hooks.example.com:{receiver.port}"
    assert looked_up == ["hooks.example.com", "hooks.example.com"]  # once when saved, once when sent


def test_a_redirect_to_loopback_is_not_followed(webhook, receiver, make_ticket):
    receiver.status = 307
    receiver.location = f"http://127.0.0.1:{receiver.port}/internal/admin"
    make_ticket()
    deliveries_send_due()
    [request] = receiver.received  # nothing went to /internal/admin
    assert request.path == "/hooks/comptoir"
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert not attempt.ok
    assert attempt.status_code == 307
    assert "not followed" in attempt.error
    assert WebhookDelivery.objects.get().state == "pending"  # tried again later, never followed
