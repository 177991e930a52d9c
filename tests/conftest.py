"""Shared fixtures: three people, a real solved captcha, small real files."""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import altcha
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from comptoir.accounts import policy
from comptoir.accounts.models import Role, User
from comptoir.branding import selectors as branding_selectors
from comptoir.celery import app as celery_app
from comptoir.core import captcha
from comptoir.events import dispatch
from comptoir.events.dispatch import dispatch_ticket
from comptoir.mail.models import InboundEmail, OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import email_deliver
from comptoir.mail.raw_store import raw_save
from comptoir.tickets import history
from comptoir.tickets.files import NewAttachment, accept_file
from comptoir.tickets.models import Ticket
from comptoir.tickets.services import ticket_create
from tests.corpus import CORPUS as CORPUS  # where tests/corpus.py says the mail corpus is
from tests.corpus import MISSING_REASON, REQUIRE_VARIABLE, corpus_present

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Sign-in rate limits count in the cache: one test's attempts must not slow the next.
    cache.clear()
    # A running site holds the security policy in its cache, so query counts measure pages
    # in that steady state; tests that change the policy go through security_policy_save.
    cache.set(policy.CACHE_KEY, False)
    # The branding likewise (no branding saved): tests that brand go through branding_update.
    cache.set(branding_selectors.CACHE_KEY, branding_selectors.Brand(), branding_selectors.CACHE_SECONDS)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    # A request or a service "in the ticket's language" activates a language in this
    # thread; the next test in the worker must start from the default, not from it.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Static files are served from the source folders, not a collected manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _changes_handed_on_as_if_committed(request, monkeypatch):
    """On the `db` fixture nothing ever commits, so the event backbone would hand nothing on.

    There, the changes a write recorded are handed to their subscribers when the
    write's outermost atomic block exits, as a worker would do right after a real
    commit; what the subscribers leave for after *their* commit (delivering the
    e-mails they queued) is dropped, as a broker no worker reads would keep it.
    Tests on `transactional_db` commit for real and go through Celery
    (tests/events/test_every_write_emits.py).
    """
    marker = request.node.get_closest_marker("django_db")
    uses_db = "db" in request.fixturenames or marker is not None
    commits = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not uses_db or commits:
        return
    original_exit = transaction.Atomic.__exit__
    original_announce = history.announce
    original_announce_many = history.announce_many
    owed: set[int] = set()
    handing_on = False

    def announce_and_note(*, ticket_id, **kwargs):
        owed.add(ticket_id)
        return original_announce(ticket_id=ticket_id, **kwargs)

    def announce_many_and_note(changes):
        owed.update(ticket_id for ticket_id, _change, _kinds in changes)
        return original_announce_many(changes)

    def exit_then_hand_on(atomic, exc_type, exc_value, traceback):
        nonlocal handing_on
        result = original_exit(atomic, exc_type, exc_value, traceback)
        connection = transaction.get_connection(atomic.using)
        committed_as_far_as_the_test_goes = (
            exc_type is None
            and not atomic._from_testcase
            and not connection.needs_rollback
            and all(block._from_testcase for block in connection.atomic_blocks)
        )
        if committed_as_far_as_the_test_goes and owed and not handing_on:
            handing_on = True
            try:
                waiting = len(connection.run_on_commit)
                while owed:
                    dispatch_ticket(owed.pop())
                del connection.run_on_commit[waiting:]
            finally:
                handing_on = False
        return result

    def hand_over_alone(*args, **kwargs):
        # A test that calls the dispatcher itself is the worker: the atomic blocks
        # the dispatcher exits must not hand over what it is about to take next.
        nonlocal handing_on
        outer, handing_on = handing_on, True
        try:
            return run_next(*args, **kwargs)
        finally:
            handing_on = outer

    run_next = dispatch._run_next
    monkeypatch.setattr(history, "announce", announce_and_note)
    monkeypatch.setattr(history, "announce_many", announce_many_and_note)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_then_hand_on)
    monkeypatch.setattr(dispatch, "_run_next", hand_over_alone)


def account_mail_delivered() -> list:
    """Deliver the account e-mails waiting in the queue, as the worker does right after the request.

    Returns django.core.mail.outbox, where the test backend puts what left.
    """
    queued = OutboundEmail.objects.filter(kind=OutboundKind.ACCOUNT, status=OutboundStatus.QUEUED)
    for pk in queued.order_by("pk").values_list("pk", flat=True):
        email_deliver(pk)
    return mail.outbox


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real, valid PNG image (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def png_attachment(name: str = "shot.png") -> NewAttachment:
    """A PNG accepted by the attachment rules, as the ticket services take it."""
    data = png_bytes()
    return accept_file(io.BytesIO(data), name, len(data))


def stored_inbound_email(raw: bytes, **fields: object) -> InboundEmail:
    """An inbound e-mail row with its bytes in storage, as ingest stores them (comptoir.mail.raw_store)."""
    name, digest = raw_save(raw)
    return InboundEmail.objects.create(raw_file=name, sha256=digest, size=len(raw), **fields)


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    """One Playwright per test process (tests/browser, tests/production): its sync API runs an event loop,
    and a second one started inside it fails."""
    if not Path(shutil.which("chromium") or "/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@contextmanager
def running_worker() -> Iterator[None]:
    """A real Celery worker thread consuming the configured broker."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
        yield


def png_upload(name: str = "screenshot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def solved_captcha() -> str:
    """A payload the browser widget would post: a fresh challenge, really solved."""
    challenge = altcha.Challenge.from_dict(captcha.new_challenge())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


TRUSTED_MTA = "mx.comptoir.test"
MTA_PASSES = "spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"


def with_mta_results(raw: bytes, results: str, authserv_id: str = TRUSTED_MTA) -> bytes:
    """The message as the receiving MTA hands it on: its Authentication-Results on top."""
    return f"Authentication-Results: {authserv_id}; {results}\r\n".encode() + raw


@pytest.fixture
def ingest_vouched(settings):
    """Ingest a message as the trusted MTA's pipe hands it on, its sender's domain passing DMARC.

    For tests of what follows when someone vouches for the sender (people copied
    on a new ticket, a subject-tag reply made public); the checks themselves are
    tested in tests/mail/test_speaking_for_others.py.
    """
    from comptoir.gateway.inbound import ingest
    from comptoir.gateway.senders import PIPE_SOURCE
    from comptoir.mail.parsing import parse_email

    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({TRUSTED_MTA})

    def ingest_it(raw: bytes):
        domain = (parse_email(raw).from_address or "").rpartition("@")[2]
        results = MTA_PASSES.format(domain=domain)
        return ingest(with_mta_results(raw, results), source=PIPE_SOURCE)

    return ingest_it


@pytest.fixture
def requester(db) -> User:
    return User.objects.create_user("alice@example.org", name="Alice Martin")


@pytest.fixture
def agent(db) -> User:
    return User.objects.create_user("agent@example.com", password="agent", name="Camille", role=Role.AGENT)


@pytest.fixture
def make_ticket(db):
    def make(email: str = "alice@example.org", subject: str = "Export fails", **extra) -> Ticket:
        fields = {
            "name": "Alice Martin",
            "description": "The export button does nothing.",
            "language": "en",
            **extra,
        }
        return ticket_create(email=email, subject=subject, **fields)

    return make


def pytest_configure(config):
    """With a shared Redis broker, each xdist worker gets its own Redis database.

    Otherwise the Celery worker one test starts would take the tasks another
    pytest worker queued for its own test database (and lose them there), and a
    test's purge would empty the other's queue. The in-memory broker of `make
    test` is per process already.
    """
    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("CELERY_BROKER_URL", "")
    if xdist_worker.startswith("gw") and url.startswith(("redis://", "rediss://")):
        # Celery reads this variable whenever it needs the broker, before its settings.
        os.environ["CELERY_BROKER_URL"] = redis_url_for_worker(url, int(xdist_worker.removeprefix("gw")))


def redis_url_for_worker(url: str, index: int) -> str:
    """The broker URL with its database number moved down by the worker's index (Redis has 16)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base - index) % 16}"))


def pytest_runtest_setup(item):
    """Tests marked ``corpus`` read the public mail corpus (tests/corpus.py): without it they are skipped."""
    if item.get_closest_marker("corpus") is not None and not corpus_present():
        pytest.skip(MISSING_REASON)


# In CI a skipped test of these kinds is a failure: marker -> the variable that requires it.
REQUIRED_WHEN_SET = {"browser": "COMPTOIR_REQUIRE_BROWSER", "corpus": REQUIRE_VARIABLE}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (COMPTOIR_REQUIRE_BROWSER=1, COMPTOIR_REQUIRE_CORPUS=1) a skipped browser or corpus test is a failure."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    for marker, variable in REQUIRED_WHEN_SET.items():
        if os.environ.get(variable) == "1" and item.get_closest_marker(marker) is not None:
            report.outcome = "failed"
            report.longrepr = f"{marker} test skipped while {variable}=1: {report.longrepr}"
            return
