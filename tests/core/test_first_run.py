"""The first ten minutes: `make run` ends on what to do next, and `make demo-reset` brings the demo back.

Both run the real commands in a child process, on their own folder and port.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from comptoir.accounts.demo import DEMO_ACCOUNTS, DEMO_NAMES
from comptoir.helpcenter.demo import CONTENT_DIR
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """This test's database, for a child process."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    return (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


def environment(var_dir: Path, port: int, **extra: str) -> dict[str, str]:
    # The embedded broker, as `make run` has it: the tests' own is in memory.
    inherited = {name: value for name, value in os.environ.items() if name != "CELERY_BROKER_URL"}
    return {
        **inherited,
        "DEBUG": "1",
        "COMPTOIR_VAR_DIR": str(var_dir),
        "PORT": str(port),
        "COMPTOIR_BASE_URL": f"http://127.0.0.1:{port}",
        **extra,
    }


@pytest.mark.django_db(transaction=True)
def test_make_run_prints_the_address_and_the_logins_last_and_nothing_alarming(tmp_path):
    port = free_port()
    command = [sys.executable, "manage.py", "run_embedded"]
    env = environment(tmp_path, port, DATABASE_URL=database_url())
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    summary_shown = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C to stop."):
                summary_shown.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while not summary_shown.wait(0.5) and process.poll() is None and time.monotonic() < deadline:
            pass
        assert summary_shown.is_set(), "no summary:\n" + "\n".join(lines)
    finally:
        # The whole group, as Ctrl+C in a terminal would.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(30)
        reader.join(10)

    output = "\n".join(lines)
    summary = output.index(f"Comptoir is running at http://127.0.0.1:{port}/")
    # The worker's banner, its "ready" and the web server's first lines all come before the summary.
    assert output.index("[tasks]") < summary
    assert output.index(" ready.") < summary
    assert output.index(f"Starting development server at http://127.0.0.1:{port}/") < summary
    logins = [output.index(f"  {role}: {email} / {password}") for email, password, role in DEMO_ACCOUNTS]
    assert summary < min(logins)
    assert max(logins) < output.index("Press Ctrl+C to stop.")
    # What scared the first visitors: kombu's, Celery's as root, Django's on runserver.
    assert "No hostname was supplied" not in output
    assert "superuser privileges" not in output
    assert "Do not use it in a production setting" not in output
    assert "Traceback" not in output


def run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_demo_reset_brings_the_demo_back_to_its_first_state(tmp_path):
    """What `make demo-reset` runs, on a checkout of its own: a SQLite file under its var/ folder."""
    # A newcomer played: their database, an attachment, an e-mail left in the broker's queue.
    database = tmp_path / "comptoir.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE tickets_ticket (id INTEGER PRIMARY KEY, subject TEXT)")
        db.executemany("INSERT INTO tickets_ticket (subject) VALUES (?)", [("Mine",), ("Another",)])
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "screenshot.png").write_bytes(b"\x89PNG")
    (tmp_path / "celery" / "queue").mkdir(parents=True)
    (tmp_path / "celery" / "queue" / "stale.msg").write_text("{}")
    env = environment(tmp_path, free_port())
    env.pop("DATABASE_URL", None)

    output = run([sys.executable, "manage.py", "reset_demo", "--no-input"], env)

    with sqlite3.connect(database) as db:
        people = db.execute("SELECT email, name, role FROM accounts_user ORDER BY email").fetchall()
        tickets = db.execute("SELECT subject FROM tickets_ticket").fetchall()
        articles = db.execute("SELECT COUNT(*) FROM helpcenter_articletranslation").fetchone()[0]
        editors = db.execute("SELECT COUNT(*) FROM auth_group WHERE name = 'Editors'").fetchone()[0]
    assert people == sorted((email, DEMO_NAMES[email], role) for email, _password, role in DEMO_ACCOUNTS)
    assert tickets == [("L'export CSV est vide / The CSV export is empty",)]
    assert articles == len(list((CONTENT_DIR / "articles").glob("*.md")))
    assert editors == 1, "what the migrations write is there again"
    assert not (tmp_path / "media" / "attachments").exists()
    assert not (tmp_path / "celery" / "queue" / "stale.msg").exists()
    assert "The demo is back to its first state" in output
    assert "Demo requester: customer@example.com / customer" in output


def test_demo_reset_refuses_with_debug_off(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("reset_demo", "--no-input", stdout=io.StringIO())


def test_demo_reset_refuses_a_database_that_is_not_the_checkouts_own(settings, db, tmp_path, monkeypatch):
    """A DATABASE_URL from the environment wins over the checkout's file: DEBUG alone is no proof."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path  # the test database is not under it
    monkeypatch.delenv("COMPTOIR_DEMO_RESET_DATABASE", raising=False)
    with pytest.raises(CommandError, match="not this checkout's demo database"):
        call_command("reset_demo", "--no-input", stdout=io.StringIO())
    assert "accounts_user" in connection.introspection.table_names()


def test_demo_reset_refuses_while_make_run_still_serves(settings, db, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("COMPTOIR_DEMO_RESET_DATABASE", str(connection.settings_dict["NAME"]))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        settings.PORT = server.getsockname()[1]
        with pytest.raises(CommandError, match="stop `make run`"):
            call_command("reset_demo", "--no-input", stdout=io.StringIO())


def test_demo_reset_asks_before_erasing(settings, db, monkeypatch):
    settings.DEBUG = True
    settings.PORT = free_port()
    monkeypatch.setenv("COMPTOIR_DEMO_RESET_DATABASE", str(connection.settings_dict["NAME"]))
    # The person at the keyboard answers anything but "yes".
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was erased"):
        call_command("reset_demo", stdout=io.StringIO())
    assert "accounts_user" in connection.introspection.table_names()
