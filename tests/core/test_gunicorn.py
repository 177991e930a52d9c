"""The production entry point: gunicorn with deploy/gunicorn.conf.py, DEBUG off, a real secret.

The server runs in a child process on a loopback port, on its own SQLite file and
folder, as docs/deploy.md has it: migrate, collectstatic, then gunicorn.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(var_dir: Path, port: int) -> dict[str, str]:
    # Nothing of the tests' own settings: a server configured as docs/deploy.md says.
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {
        **kept,
        "COMPTOIR_ENV_FILE": "",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "COMPTOIR_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'comptoir.sqlite3'}",
        "COMPTOIR_BASE_URL": f"http://127.0.0.1:{port}",
        "CELERY_BROKER_URL": "memory://",
        "COMPTOIR_WEB_BIND": f"127.0.0.1:{port}",
        "COMPTOIR_WEB_WORKERS": "2",
        "COMPTOIR_WEB_THREADS": "2",
    }


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer within 60 s")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()]


def test_it_serves_pages_and_hashed_static_files_with_two_workers(tmp_path):
    port = free_port()
    env = production_environment(tmp_path, port)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "comptoir.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/", process)
        assert len(worker_pids(process.pid)) == 2

        status, headers, _ = get(f"{base}/fr/")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"

        # The manifest names each file by its hash: such a name is never served other content.
        manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["comptoir/app.css"]
        assert hashed != "comptoir/app.css"
        status, headers, body = get(f"{base}/static/{hashed}")
        assert status == 200
        assert body == (ROOT / "comptoir" / "static" / "comptoir" / "app.css").read_bytes()
        assert headers["Cache-Control"] == "max-age=315360000, public, immutable"

        # The access log keeps the path, never the query string (a token, a person's search).
        status, _, _ = get(f"{base}/fr/?q=secret-query-value")
        assert status == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)
    written = log.read_text()
    # With DEBUG off the logs are JSON (COMPTOIR_LOG_FORMAT's default), gunicorn's own included: one object a line.
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    page = next(line for line in access if line.get("path") == "/fr/")
    assert {"method": "GET", "protocol": "HTTP/1.1", "status": 200}.items() <= page.items()
    assert isinstance(page["duration_ms"], int)
    assert any(line["path"] == f"/static/{hashed}" and line["status"] == 200 for line in access)
    # Each access line names the request it answered, by the id the response carried.
    assert all(len(str(line["request_id"])) == 32 for line in access)
    assert "secret-query-value" not in written
    # A TERM lets the workers finish and the master says goodbye: a graceful stop.
    assert any(line["message"] == "Shutting down: Master" and line["logger"] == "gunicorn.error" for line in lines)
