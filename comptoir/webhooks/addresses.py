"""Where a webhook may post: public addresses only, checked on the address the connection will use.

Server-side request forgery is the risk of any "post to this URL" feature: an
admin's (or a stolen admin session's) URL must not reach the machine itself,
the private network, or a cloud's metadata service. So:

- only http and https, no user name or password in the address;
- the host is resolved here, and every address it resolves to must be public
  (not loopback, private, link-local, multicast, reserved, unspecified, shared
  or documentation space; an IPv4 address wrapped in IPv6, mapped, NAT64, 6to4
  or Teredo, is judged as the IPv4 address it carries);
- the caller connects to the address checked here, never resolving the name a
  second time (a name that answers a public address now and 127.0.0.1 a second
  later gains nothing), and follows no redirect (comptoir.webhooks.transport).

COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES lists addresses and networks allowed anyway:
the tests' receiver on loopback, an internal service on purpose.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# NAT64's well-known prefix (RFC 6052) and its local-use one (RFC 8215): the last 32 bits are an IPv4 address.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class AddressRefused(Exception):
    """The address is not one a webhook may reach; the message says why, for the admin."""


@dataclass(frozen=True)
class Target:
    """Where to connect: the name the URL gives (for the Host header and TLS) and the address checked for it."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def allowed_networks() -> list[IPNetwork]:
    return [ipaddress.ip_network(item, strict=False) for item in settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES]


def url_parts(url: str) -> SplitResult:
    """The URL's parts, or AddressRefused for anything but an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(_("This address is not a valid URL.")) from error
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(_("Only http:// and https:// addresses can receive webhooks."))
    if not parts.hostname:
        raise AddressRefused(_("The address names no host."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("Put no user name or password in the address: check the signature instead."))
    if port == 0:
        raise AddressRefused(_("This address is not a valid URL."))
    return parts


def _carried(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if any(address in prefix for prefix in _NAT64):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def address_refusal(address: IPAddress, allowed: list[IPNetwork]) -> str | None:
    """Why a webhook may not reach ``address``, or None when it may."""
    if any(address in network for network in allowed if network.version == address.version):
        return None
    carried = _carried(address)
    if carried is not address and any(carried in network for network in allowed if network.version == carried.version):
        return None
    # The IPv4 address carried first: ::ffff:127.0.0.1 is refused as loopback, which is what it reaches.
    for judged in (carried, address):
        if judged.is_loopback:
            return _("%(address)s is this machine (loopback).") % {"address": address}
        if judged.is_link_local:
            return _("%(address)s is a link-local address (cloud metadata services live there).") % {"address": address}
        if judged.is_multicast:
            return _("%(address)s is a multicast address.") % {"address": address}
        if judged.is_private or judged.is_unspecified or judged.is_reserved or not judged.is_global:
            return _("%(address)s is a private or reserved address, not one on the Internet.") % {"address": address}
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (a literal address is itself). Replaced in tests only to fake DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def target_for(url: str) -> Target:
    """Where to connect for ``url``, every address of its host checked; AddressRefused says why not."""
    parts = url_parts(url)
    host = parts.hostname
    assert host is not None  # url_parts refuses a URL without one
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(_("The name %(host)s does not resolve to any address.") % {"host": host}) from error
    if not addresses:
        raise AddressRefused(_("The name %(host)s does not resolve to any address.") % {"host": host})
    allowed = allowed_networks()
    for text in addresses:
        # A scoped IPv6 address (fe80::1%eth0) is link-local: its scope goes before judging it.
        refusal = address_refusal(ipaddress.ip_address(text.partition("%")[0]), allowed)
        if refusal is not None:
            # One refused address is enough: the name could answer with it next time.
            raise AddressRefused(refusal)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, address=addresses[0], path=path)
