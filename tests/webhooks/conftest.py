"""A real HTTP receiver on loopback, and the webhook pointing at it (allowed by the test setting)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.webhooks.models import EventType, Webhook
from comptoir.webhooks.services import webhook_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with ``status`` (and ``location`` when set); ``stop()`` takes it down, ``start()`` up again."""

    port: int = 0
    status: int = 204
    location: str = ""
    answer: bytes = b""
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/comptoir"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.received.append(
                    Received(path=self.path, headers=dict(self.headers.items()), body=self.rfile.read(length))
                )
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def is_down(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) != 0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1"]


@pytest.fixture
def owner(db) -> User:
    return User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN, language="en")


@pytest.fixture
def webhook(owner, receiver, loopback_allowed) -> Webhook:
    return webhook_create(owner=owner, url=receiver.url, description="CRM sync", event_types=EventType.values)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    # What the services say outside a request is in the site's language (French by default): these tests
    # read it in English, as the pages' tests do through the English addresses.
    with translation.override("en"):
        yield
