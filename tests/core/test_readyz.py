"""/readyz: each check fails for real, the answer says unready, and it comes back when the cause is gone."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler
from django.test import Client
from django.utils import timezone

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.monitoring import health
from comptoir.monitoring.models import Heartbeat
from comptoir.monitoring.tasks import beat_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _healthy(settings) -> Iterator[None]:
    """Every check passes unless a test breaks one: beat seen just now, the embedded broker, no mail waiting."""
    health.forget_migrations()
    settings.CELERY_BROKER_URL = "memory://"
    beat_heartbeat()
    yield
    health.forget_migrations()


def readiness(client) -> tuple[int, str]:
    response = client.get("/readyz")
    return response.status_code, response.content.decode()


@pytest.fixture
def admin_client():
    staff = Client()
    staff.force_login(User.objects.create_user("boss@example.com", name="Boss", role=Role.ADMIN, is_staff=True))
    return staff


def checks(admin_client) -> dict[str, dict[str, object]]:
    return admin_client.get("/readyz").json()["checks"]


def test_it_answers_ready_and_nothing_more_to_anyone(client, django_assert_num_queries):
    client.get("/readyz")  # the migrations, checked once per process
    # SELECT 1; beat's heartbeat; the oldest queued e-mail.
    with django_assert_num_queries(3):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ready")
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_signed_in_requesters_get_no_detail_either(client, caplog):
    client.force_login(User.objects.create_user("alice@example.org", name="Alice"))
    Heartbeat.objects.all().delete()
    assert readiness(client) == (503, "unready")
    # A probe every few seconds during an outage: not one error line each.
    assert not [record for record in caplog.records if record.name == "django.request"]


def test_admins_get_each_check_s_detail(admin_client):
    response = admin_client.get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["ready"] is True
    assert set(body["checks"]) == {"database", "broker", "storage", "migrations", "beat", "mail_queue"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "embedded broker (memory://)" in body["checks"]["broker"]["detail"]


def test_eager_mode_says_so(admin_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert checks(admin_client)["broker"] == {
        "ok": True,
        "detail": "eager mode: tasks run in the process that sends them",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_the_broker_going_away_makes_it_unready_and_coming_back_ready(client, admin_client, settings):
    port = _free_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    assert readiness(client) == (503, "unready")
    broker = checks(admin_client)["broker"]
    assert broker["ok"] is False and "refused" in str(broker["detail"]).lower()

    server = _redis(port)
    try:
        assert readiness(client) == (200, "ready")
        assert checks(admin_client)["broker"] == {"ok": True, "detail": "redis reachable"}
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert readiness(client) == (503, "unready")


def test_an_unapplied_migration_makes_it_unready(client, admin_client):
    applied = MigrationRecorder.Migration.objects.get(app="monitoring", name="0001_initial")
    applied.delete()

    assert readiness(client) == (503, "unready")
    migrations = checks(admin_client)["migrations"]
    assert migrations["ok"] is False and "monitoring.0001_initial" in str(migrations["detail"])

    MigrationRecorder.Migration.objects.create(app="monitoring", name="0001_initial")
    assert readiness(client) == (200, "ready")


def test_beat_never_seen_or_silent_too_long_makes_it_unready(client, admin_client, settings):
    Heartbeat.objects.all().delete()
    assert readiness(client) == (503, "unready")
    assert "never seen" in str(checks(admin_client)["beat"]["detail"])

    settings.COMPTOIR_READYZ_BEAT_MAX_AGE_SECONDS = 300
    Heartbeat.objects.create(name=health.BEAT, seen_at=timezone.now() - timedelta(minutes=6))
    assert readiness(client) == (503, "unready")
    assert "limit 300 s" in str(checks(admin_client)["beat"]["detail"])

    beat_heartbeat()  # the periodic task, as a worker runs it
    assert readiness(client) == (200, "ready")


def test_an_e_mail_stuck_in_the_queue_makes_it_unready(client, admin_client, settings):
    settings.COMPTOIR_READYZ_MAIL_MAX_AGE_SECONDS = 1800
    email = OutboundEmail.objects.create(kind=OutboundKind.ACCOUNT, to_address="alice@example.org", language="en")
    assert readiness(client) == (200, "ready")  # just queued: not stuck

    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert readiness(client) == (503, "unready")
    queue = checks(admin_client)["mail_queue"]
    assert queue["ok"] is False and float(str(queue["value"])) >= 3600

    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundStatus.SENT, sent_at=timezone.now())
    assert readiness(client) == (200, "ready")


def test_storage_that_cannot_be_written_makes_it_unready(client, admin_client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    good = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = str(blocker / "media")  # a folder cannot be made inside a file, even by root

    assert readiness(client) == (503, "unready")
    assert checks(admin_client)["storage"]["ok"] is False

    settings.MEDIA_ROOT = good
    assert readiness(client) == (200, "ready")
    assert not list(Path(good).joinpath("readyz").iterdir())  # the probe file was deleted


def test_an_unreachable_database_fails_its_check(tmp_path):
    unreachable = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "no-such-folder" / "db.sqlite3")}}
    )["default"]
    try:
        check = health.check_database(unreachable)
    finally:
        unreachable.close()
    assert check.ok is False and "OperationalError" in check.detail
    assert health.check_database(ConnectionHandler()["default"]).ok is True
