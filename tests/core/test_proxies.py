"""Client addresses and HTTPS through trusted proxies only (COMPTOIR_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from comptoir.core.proxies import PEER_ADDR_KEY, TrustedProxyMiddleware, client_address, parse_networks
from tests.core.test_settings import _manage

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ff::/48", "192.0.2.7"])


def seen(settings, trusted: list[str], **meta: str) -> tuple[str, bool, str]:
    """What the rest of the stack sees after the middleware: REMOTE_ADDR, is_secure(), the peer kept aside."""
    settings.COMPTOIR_TRUSTED_PROXIES = trusted
    captured: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        captured["addr"] = request.META["REMOTE_ADDR"]
        captured["secure"] = request.is_secure()
        captured["peer"] = request.META[PEER_ADDR_KEY]
        return HttpResponse()

    TrustedProxyMiddleware(view)(RequestFactory().get("/", **meta))
    return str(captured["addr"]), bool(captured["secure"]), str(captured["peer"])


def test_it_takes_the_peer_when_no_proxy_is_trusted():
    assert client_address("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"


def test_it_ignores_forwarded_for_from_an_untrusted_peer():
    assert client_address("203.0.113.5", "198.51.100.1, 10.0.0.1", PROXIES) == "203.0.113.5"


def test_it_walks_the_chain_from_the_right_past_trusted_hops():
    # The client claimed 1.2.3.4; our edge proxy (10.0.0.2) saw 198.51.100.9; the inner proxy (10.0.0.1) is the peer.
    assert client_address("10.0.0.1", "1.2.3.4, 198.51.100.9, 10.0.0.2", PROXIES) == "198.51.100.9"


def test_it_takes_the_leftmost_when_every_hop_is_ours():
    assert client_address("10.0.0.1", "10.0.0.3, 10.0.0.2", PROXIES) == "10.0.0.3"


def test_it_stops_at_a_malformed_hop():
    assert client_address("10.0.0.1", "198.51.100.9, not-an-address", PROXIES) == "10.0.0.1"


def test_it_reads_ports_and_ipv6_hops():
    assert client_address("192.0.2.7", "[2001:db8::5]:443, 2001:db8:ff::1", PROXIES) == "2001:db8::5"
    assert client_address("192.0.2.7", "198.51.100.9:51234", PROXIES) == "198.51.100.9"
    # A dual-stack socket's IPv4 peer.
    assert client_address("::ffff:10.0.0.1", "198.51.100.9", PROXIES) == "198.51.100.9"


def test_a_bad_network_is_refused_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="COMPTOIR_TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "proxy.example"])


def test_spoofed_headers_from_an_untrusted_peer_change_nothing(settings):
    addr, secure, peer = seen(
        settings,
        ["10.0.0.0/8"],
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="10.0.0.1",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert (addr, secure, peer) == ("203.0.113.5", False, "203.0.113.5")


def test_headers_count_for_nothing_when_no_proxy_is_configured(settings):
    addr, secure, _ = seen(
        settings, [], REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https"
    )
    assert (addr, secure) == ("10.0.0.1", False)


def test_a_trusted_proxy_gives_the_client_s_address_and_https(settings):
    addr, secure, peer = seen(
        settings,
        ["10.0.0.0/8"],
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert (addr, secure, peer) == ("198.51.100.9", True, "10.0.0.1")


def test_a_trusted_proxy_saying_http_leaves_the_request_insecure(settings):
    _, secure, _ = seen(settings, ["10.0.0.0/8"], REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="http")
    assert secure is False


@pytest.mark.django_db
def test_rate_limits_count_the_forwarded_client_not_the_proxy(client, settings):
    settings.COMPTOIR_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.COMPTOIR_RATE_LIMIT_LINKS_PER_IP = 2
    url = reverse("link_request")

    def post(remote: str, forwarded: str) -> int:
        data = {"email": "alice@example.org"}  # no captcha: refused, but counted first
        return client.post(url, data, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # Through the proxy, two clients have a limit each.
    assert [post("10.0.0.1", "198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert post("10.0.0.1", "198.51.100.2") == 200
    # A client talking to us directly cannot pass for another by writing the header.
    assert [post("203.0.113.9", f"198.51.100.{n}") for n in range(10, 13)] == [200, 200, 429]


@pytest.mark.django_db
def test_https_redirect_believes_only_a_trusted_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.COMPTOIR_TRUSTED_PROXIES = ["10.0.0.0/8"]
    through_proxy = client.get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    spoofed = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert through_proxy.status_code == 200
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")


def test_the_old_switch_and_bad_addresses_stop_start_up():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "COMPTOIR_ENV_FILE": ""}
    old = _manage("check", COMPTOIR_BEHIND_PROXY="1", **production)
    assert old.returncode != 0 and "replaced by COMPTOIR_TRUSTED_PROXIES" in old.stderr
    bad = _manage("check", COMPTOIR_TRUSTED_PROXIES="10.0.0.0/8, proxy.example", **production)
    assert bad.returncode != 0 and "'proxy.example'" in bad.stderr
    good = _manage("check", COMPTOIR_TRUSTED_PROXIES="10.0.0.0/8, ::1", COMPTOIR_BEHIND_PROXY="1", **production)
    assert good.returncode == 0, good.stderr
