"""The request id follows a task into the worker, and Celery's own lines (worker, beat) are JSON like the web's."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comptoir.celery import _before_publish, _task_ends, _task_starts
from comptoir.celery import app as celery_app
from comptoir.core.logging_json import TASK_REQUEST_ID_HEADER, request_id_var, task_var
from comptoir.monitoring import tasks  # noqa: F401  registers the task used here
from tests.conftest import ROOT

CELERY = Path(sys.executable).with_name("celery")
HEARTBEAT = "comptoir.monitoring.tasks.beat_heartbeat"


def test_a_task_sent_during_a_request_carries_its_id_in_the_message_headers():
    headers: dict[str, object] = {}
    token = request_id_var.set("req-0123abcd")
    try:
        _before_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers[TASK_REQUEST_ID_HEADER] == "req-0123abcd"

    outside: dict[str, object] = {}
    _before_publish(headers=outside)
    assert TASK_REQUEST_ID_HEADER not in outside


def test_the_worker_runs_the_task_under_that_id_and_then_forgets_it():
    task = celery_app.tasks[HEARTBEAT]
    task.push_request(**{TASK_REQUEST_ID_HEADER: "req-from-header", "id": "t-1"})
    try:
        _task_starts(task_id="t-1", task=task)
        assert request_id_var.get() == "req-from-header"
        assert task_var.get() == (HEARTBEAT, "t-1")
        _task_ends(task_id="t-1")
    finally:
        task.pop_request()
    assert request_id_var.get() is None
    assert task_var.get() is None


def test_a_header_that_is_not_a_request_id_is_not_believed():
    task = celery_app.tasks[HEARTBEAT]
    task.push_request(**{TASK_REQUEST_ID_HEADER: "forged\nline", "id": "t-2"})
    try:
        _task_starts(task_id="t-2", task=task)
        assert request_id_var.get() is None
        _task_ends(task_id="t-2")
    finally:
        task.pop_request()


PUBLISH = """
import comptoir  # the Celery app, and DJANGO_SETTINGS_MODULE
import django
django.setup()
from comptoir.core.logging_json import request_id_var
from comptoir.monitoring.tasks import beat_heartbeat
request_id_var.set("req-abc123")
print(beat_heartbeat.delay().id)
request_id_var.set(None)
print(beat_heartbeat.delay().id)
"""


def _environment(tmp_path: Path) -> dict[str, str]:
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {
        **kept,
        "COMPTOIR_ENV_FILE": "",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "COMPTOIR_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'comptoir.sqlite3'}",
        # The embedded broker: folders under COMPTOIR_VAR_DIR that the worker and the publisher share.
        "CELERY_BROKER_URL": "filesystem://",
        "COMPTOIR_LOG_FORMAT": "json",
    }


def _run_until(command: list[str], env: dict[str, str], log: Path, done: object, seconds: float = 90) -> str:
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done(log.read_text()):  # type: ignore[operator]
            if process.poll() is not None:
                break
            time.sleep(0.3)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    return log.read_text()


# Celery prints these to the terminal itself, not through logging: they are not log lines.
PRINTED = ("worker: Warm shutdown", "worker: Cold shutdown")


def _json_lines(written: str) -> list[dict[str, object]]:
    # Before its logging is set up Celery may warn on stderr (as root, on a test machine): from the first line on,
    # every line is JSON.
    start = written.find("{")
    assert start >= 0, written
    lines = [line for line in written[start:].splitlines() if line.strip() and not line.startswith(PRINTED)]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n{written}")
    return parsed


def test_a_real_worker_and_beat_write_json_and_the_task_s_lines_carry_the_request_id(tmp_path):
    env = _environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    sent = subprocess.run(
        [sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    with_id, without_id = sent[-2:]

    written = _run_until(
        [str(CELERY), "-A", "comptoir", "--quiet", "worker", "--pool=solo", "--loglevel=INFO", "--without-mingle",
         "--without-gossip"],
        env,
        tmp_path / "worker.log",
        lambda text: text.count("succeeded in") >= 2,
    )  # fmt: skip

    lines = _json_lines(written)
    succeeded = {line.get("task_id"): line for line in lines if "succeeded in" in str(line["message"])}
    assert succeeded[with_id]["request_id"] == "req-abc123"
    assert succeeded[with_id]["task"] == HEARTBEAT
    assert succeeded[without_id]["task"] == HEARTBEAT
    assert "request_id" not in succeeded[without_id]
    assert any(line["logger"].startswith("celery.") for line in lines)  # type: ignore[union-attr]

    beat = _run_until(
        [str(CELERY), "-A", "comptoir", "--quiet", "beat", "--loglevel=INFO"],
        env,
        tmp_path / "beat.log",
        lambda text: '"logger": "celery.beat"' in text,
    )
    beat_lines = _json_lines(beat)
    assert any(line["logger"] == "celery.beat" for line in beat_lines)
