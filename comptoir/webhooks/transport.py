"""One POST to a webhook, to the address comptoir.webhooks.addresses checked, and what came back.

The standard library's http.client, with the connection pinned: the socket
goes to the checked address, while the Host header, TLS's server name and the
certificate check use the URL's name. No redirect is followed (a 3xx is an
answer like any other, and a failure), and the time and the size read are bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.utils.translation import gettext as _

from comptoir.webhooks.addresses import AddressRefused, Target, target_for

CONNECT_TIMEOUT = 5.0
# The whole exchange, answer included: a receiver that drips its answer is cut off.
TOTAL_TIMEOUT = 15.0
# What is kept of an answer for the admins to read.
EXCERPT_CHARS = 1000
_READ_BYTES = 4 * EXCERPT_CHARS
USER_AGENT = "Comptoir-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int
    excerpt: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        raw.settimeout(self.timeout)
        # The certificate is checked against the URL's name, not the address connected to.
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_for(url)
    except AddressRefused as refused:
        return Answer(ok=False, status_code=None, error=str(refused), duration_ms=took(), excerpt="")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=TOTAL_TIMEOUT)
    # The socket's timeout bounds each read; this bounds them all (a receiver dripping its headers a byte
    # at a time would hold the worker past the delivery's lease): the socket is shut at the deadline.
    deadline = threading.Timer(TOTAL_TIMEOUT, _cut, args=(connection,))
    deadline.daemon = True
    deadline.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        data = b""
        while len(data) < _READ_BYTES and time.monotonic() - started < TOTAL_TIMEOUT:
            chunk = response.read1(_READ_BYTES - len(data))
            if not chunk:
                break
            data += chunk
        status = response.status
        location = response.getheader("Location", "")
    except (OSError, http.client.HTTPException) as error:
        late = time.monotonic() - started >= TOTAL_TIMEOUT
        why = _("No answer in time.") if late else _failure(error)
        return Answer(ok=False, status_code=None, error=why, duration_ms=took(), excerpt="")
    finally:
        deadline.cancel()
        connection.close()
    excerpt = data.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    if 200 <= status < 300:
        return Answer(ok=True, status_code=status, error="", duration_ms=took(), excerpt=excerpt)
    # Any other status speaks for itself: the pages say "the receiver answered 500" in the reader's language.
    why = ""
    if 300 <= status < 400:
        why = _("Redirect to %(location)s not followed: give the final address.") % {"location": location[:300]}
    return Answer(ok=False, status_code=status, error=why, duration_ms=took(), excerpt=excerpt)


def _cut(connection: http.client.HTTPConnection) -> None:
    """End the exchange now: a read blocked on the socket returns at once (shutdown wakes it; close may not)."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _failure(error: Exception) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return _("No answer in time.")
    if isinstance(error, ConnectionRefusedError):
        return _("Connection refused.")
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return _("TLS failed: %(error)s") % {"error": error}
    return f"{type(error).__name__}: {error}"[:500]
