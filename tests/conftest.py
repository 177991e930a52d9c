"""Shared fixtures: three people, a real solved captcha, small real files."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import altcha
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from comptoir.accounts import policy
from comptoir.accounts.models import Role, User
from comptoir.celery import app as celery_app
from comptoir.core import captcha
from comptoir.tickets.files import NewAttachment, accept_file
from comptoir.tickets.models import Ticket
from comptoir.tickets.services import ticket_create

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "mail-corpus"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Sign-in rate limits count in the cache: one test's attempts must not slow the next.
    cache.clear()
    # A running site holds the security policy in its cache, so query counts measure pages
    # in that steady state; tests that change the policy go through security_policy_save.
    cache.set(policy.CACHE_KEY, False)


@pytest.fixture(autouse=True)
def _test_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Static files are served from the source folders, not a collected manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (COMPTOIR_REQUIRE_BROWSER=1) a skipped browser test is a failure."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("COMPTOIR_REQUIRE_BROWSER") == "1"
        and item.get_closest_marker("browser") is not None
    ):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped while COMPTOIR_REQUIRE_BROWSER=1: {report.longrepr}"
