"""Who is really asking, behind reverse proxies we trust (COMPTOIR_TRUSTED_PROXIES).

X-Forwarded-For and X-Forwarded-Proto are plain request headers: any client can
send them. They mean something only when the direct peer is one of our own
proxies, which appends the address it saw to X-Forwarded-For. So the chain is
read from the right, past every trusted hop, and the first address not ours is
the client; the left of it is whatever the client claimed, never believed.
HTTPS is likewise taken from X-Forwarded-Proto only from a trusted peer; this
replaces Django's SECURE_PROXY_SSL_HEADER, which believes the header from
anyone.

The middleware runs first, so that every later layer (SecurityMiddleware's
HTTPS redirect, rate limits, logs) reads the client's address in REMOTE_ADDR
and the scheme from request.is_secure(). The address the request came from is
kept in META[PEER_ADDR_KEY].
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PEER_ADDR_KEY = "COMPTOIR_PEER_ADDR"


def parse_networks(items: Iterable[str], *, setting: str = "COMPTOIR_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """Addresses and networks ("10.0.0.5", "10.0.0.0/8", "::1"); anything else stops start-up."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{setting} must list IP addresses or networks; got {item!r}") from None
    return tuple(networks)


@functools.lru_cache(maxsize=4)
def _parsed(items: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(items)


def trusted_networks() -> tuple[Network, ...]:
    """COMPTOIR_TRUSTED_PROXIES, parsed once per value (settings.py has already refused a bad one)."""
    return _parsed(tuple(settings.COMPTOIR_TRUSTED_PROXIES))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443", as some proxies write IPv6 with a port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:51234"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # "::ffff:192.0.2.1" is the IPv4 peer of a dual-stack socket: compare it as IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """The client's address: the peer itself, unless it is a trusted proxy.

    Through trusted proxies, the rightmost X-Forwarded-For entry that is not
    itself trusted; if every entry is trusted, the leftmost (the request began
    inside our own network). A malformed entry stops the walk there: what lies
    left of it cannot be trusted, so the hop that wrote it is the answer.
    """
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    current = peer
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            return current
        current = str(parsed)
        if not any(parsed in network for network in trusted):
            return current
    return current


def forwarded_https(peer: str, forwarded_proto: str, trusted: Sequence[Network]) -> bool:
    """Whether a trusted proxy says the client spoke HTTPS (the value nearest to us, when it lists several)."""
    if not forwarded_proto or not is_trusted(peer, trusted):
        return False
    return forwarded_proto.split(",")[-1].strip().lower() == "https"


class TrustedProxyMiddleware:
    """Sets REMOTE_ADDR to the client's address and the scheme to https, through trusted proxies only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = trusted_networks()
        peer = request.META.get("REMOTE_ADDR") or ""
        request.META[PEER_ADDR_KEY] = peer
        if trusted and is_trusted(peer, trusted):
            request.META["REMOTE_ADDR"] = client_address(peer, request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted)
            if forwarded_https(peer, request.META.get("HTTP_X_FORWARDED_PROTO", ""), trusted):
                # A WSGI request's META is its environ: request.is_secure() reads the scheme from here.
                request.META["wsgi.url_scheme"] = "https"
        return self.get_response(request)


def peer_is_trusted(request: HttpRequest) -> bool:
    """Whether the request's direct peer is one of our proxies (for headers such as X-Request-ID)."""
    peer = request.META.get(PEER_ADDR_KEY, request.META.get("REMOTE_ADDR") or "")
    return is_trusted(peer, trusted_networks())
