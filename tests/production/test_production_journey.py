"""The production topology on loopback, walked through by a customer in Chromium.

Issue 21: ".ci/run boots the production topology on loopback (gunicorn with 2
workers, a worker, beat, PostgreSQL, Redis, an S3-compatible server …, and an
SMTP sink) with DEBUG off and a real secret, and walks the customer journey
through it in Chromium: form with a file → confirmation e-mail received by the
SMTP sink → link → reply; the file is in the bucket, not on disk."

Every part is a separate process configured only by its environment, as
docs/deploy.md says: gunicorn with deploy/gunicorn.conf.py, `celery worker`,
`celery beat`, on a database of their own (created here, dropped after), a
Redis database of their own, moto's S3 server and an aiosmtpd server. Nothing
of the tests' settings reaches them. It runs in the PostgreSQL and Redis leg
of .ci/run; elsewhere it is skipped, saying so.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from moto.server import ThreadedMotoServer

from comptoir.tickets.models import Ticket
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import ROOT, png_bytes, redis_url_for_worker
from tests.mail.test_smtp_delivery import free_port

BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
BUCKET = "comptoir-files"

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgres") and BROKER_URL.startswith("redis://")),
    reason="the production topology runs on PostgreSQL and Redis: in the second leg of .ci/run",
)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"


@dataclass
class Topology:
    base_url: str
    var_dir: Path
    inbox: Inbox
    s3: object
    database_url: str


def _database_url(name: str) -> str:
    return urlsplit(DATABASE_URL)._replace(path=f"/{name}").geturl()


@pytest.fixture
def database() -> Iterator[str]:
    name = f"comptoir_production_{secrets.token_hex(4)}"
    admin = _database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _database_url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def s3() -> Iterator[tuple[str, object]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="comptoir",
        aws_secret_access_key="comptoir-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


def _wait(condition, what: str, logs: Path, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    written = "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for log in sorted(logs.glob("*.log")))
    pytest.fail(f"{what} within {seconds} s\n{written}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


@pytest.fixture
def topology(tmp_path, database, s3) -> Iterator[Topology]:
    endpoint, client = s3
    inbox = Inbox()
    smtp_port, web_port = free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    base_url = f"http://127.0.0.1:{web_port}"
    var_dir = tmp_path / "var"
    logs = tmp_path / "logs"
    logs.mkdir()
    xdist = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env = {
        **kept,
        "COMPTOIR_ENV_FILE": "",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "COMPTOIR_VAR_DIR": str(var_dir),
        "COMPTOIR_BASE_URL": base_url,
        "DATABASE_URL": database,
        # A Redis database no test's worker reads (those take 15 down: tests/conftest.py).
        "CELERY_BROKER_URL": redis_url_for_worker(BROKER_URL, 8 + xdist),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "COMPTOIR_STORAGE": "s3",
        "COMPTOIR_S3_BUCKET": BUCKET,
        "COMPTOIR_S3_ENDPOINT_URL": endpoint,
        "COMPTOIR_S3_REGION": "us-east-1",
        "COMPTOIR_S3_ACCESS_KEY_ID": "comptoir",
        "COMPTOIR_S3_SECRET_ACCESS_KEY": "comptoir-secret",
        "COMPTOIR_WEB_BIND": f"127.0.0.1:{web_port}",
        "COMPTOIR_WEB_WORKERS": "2",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)
    subprocess.run([str(BIN / "celery"), "-A", "comptoir", "purge", "-f"], cwd=ROOT, env=env, check=True)
    commands = {
        "web": [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "comptoir.wsgi"],
        "worker": [str(BIN / "celery"), "-A", "comptoir", "worker", "--concurrency=2", "--loglevel=INFO"],
        "beat": [str(BIN / "celery"), "-A", "comptoir", "beat", "--loglevel=INFO"],
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        _wait(lambda: _answers(f"{base_url}/healthz"), "gunicorn did not answer", logs)
        yield Topology(base_url, var_dir, inbox, client, database)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        smtp.stop()


def _ticket_link(message: EmailMessage, base_url: str) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    links = re.findall(re.escape(base_url) + r"/\S+", body.get_content())
    assert links, body.get_content()
    return str(links[0])


def test_a_customer_s_journey_through_the_production_topology(topology: Topology, tmp_path, request):
    if not Path(CHROMIUM).exists() and os.environ.get("COMPTOIR_REQUIRE_BROWSER") == "1":
        pytest.fail("Debian's chromium is not installed while COMPTOIR_REQUIRE_BROWSER=1")
    # The test process's one Playwright (tests/conftest.py): a second one inside its event loop fails.
    playwright = request.getfixturevalue("playwright")

    shot = tmp_path / "screenshot.png"
    shot.write_bytes(png_bytes(40, 30))
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    page = browser.new_context(locale="en-GB").new_page()
    page.set_default_timeout(30_000)

    page.goto(f"{topology.base_url}/en/tickets/new/")
    page.locator("input[name=email]").fill("claire@example.org")
    page.locator("input[name=name]").fill("Claire Dubois")
    page.locator("input[name=subject]").fill("Export broken in production")
    page.locator("textarea[name=description]").fill("I click Export, nothing happens.")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    page.get_by_text("I'm not a robot", exact=True).click()
    page.wait_for_function(
        "() => { const i = document.querySelector('input[name=altcha]'); return i && i.value.length > 20; }"
    )
    page.get_by_role("button", name="Send", exact=True).click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "has been sent" in heading, heading
    reference = re.search(r"#(\d+)", heading).group(1)  # type: ignore[union-attr]

    # The worker sends the confirmation through the SMTP server; it carries the ticket's link.
    _wait(
        lambda: any(f"[#{reference}]" in str(m["Subject"]) for m in topology.inbox.messages),
        "no confirmation e-mail reached the SMTP server",
        tmp_path / "logs",
    )
    confirmation = next(m for m in topology.inbox.messages if f"[#{reference}]" in str(m["Subject"]))
    assert "claire@example.org" in str(confirmation["To"])

    page.goto(_ticket_link(confirmation, topology.base_url))
    page.wait_for_url(re.compile(rf"/en/tickets/{reference}/$"))
    assert page.get_by_role("link", name=re.compile("screenshot.png")).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("screenshot.png")).click()
    assert Path(download.value.path()).read_bytes() == shot.read_bytes()

    page.locator("textarea[name=body]").fill("It works again after a reload.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert "It works again after a reload." in page.locator(".conversation").inner_text()
    browser.close()

    # Beat's heartbeat, the worker's broker, the database, the bucket and the queue: all ready.
    _wait(lambda: _answers(f"{topology.base_url}/readyz"), "/readyz did not say ready", tmp_path / "logs", 150)

    # The file is in the bucket, byte for byte, and nowhere on the server's disk.
    listed = topology.s3.list_objects_v2(Bucket=BUCKET)  # type: ignore[attr-defined]
    stored = [topology.s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed["Contents"]]  # type: ignore[attr-defined]
    assert shot.read_bytes() in stored
    media = topology.var_dir / "media"
    assert not media.exists() or not [path for path in media.rglob("*") if path.is_file()]
    # The reply is the ticket's second message, in the production database.
    with psycopg.connect(topology.database_url) as connection:
        bodies = [
            row[0]
            for row in connection.execute(
                "SELECT body FROM tickets_message WHERE ticket_id = %s ORDER BY id",
                (Ticket.pk_from_reference(int(reference)),),
            )
        ]
    assert bodies[-1] == "It works again after a reload."
