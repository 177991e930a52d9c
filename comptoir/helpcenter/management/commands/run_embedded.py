"""`make run`: the web server, a Celery worker and beat together, on the embedded default.

What a newcomer reads last is what to do next: the address and the demo
logins come after the worker's banner and the web server's first lines, once
both answer, not lost among them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand

from comptoir.accounts.demo import DEMO_ACCOUNTS

# Celery logs "celery@<host> ready." once the worker consumes its queue.
_WORKER_READY = re.compile(r"\bcelery@\S+ ready\.")
# How long the processes may take to start before the summary is printed anyway.
STARTUP_SECONDS = 60.0
# The worker's first tasks (those queued while it was down) log a few lines right after "ready":
# the summary waits for this long a quiet worker, so that it is the last thing on the screen.
QUIET_SECONDS = 1.0
# Celery's warning for a worker run as root, which is what a container does: in this
# development setup the worker reads only JSON; production runs it as its own user.
_ROOT_WARNING = "ignore:You're running the worker with superuser privileges"


class OutputRelay:
    """Copies a process's output to ours line by line, noting when the worker is ready and when it last spoke."""

    def __init__(self, source: IO[str], write: Callable[[str], None]) -> None:
        self.ready = threading.Event()
        self.last_line_at = time.monotonic()
        self._source = source
        self._write = write
        self._thread = threading.Thread(target=self._copy, daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        for line in self._source:
            self.last_line_at = time.monotonic()
            self._write(line)
            if _WORKER_READY.search(line):
                self.ready.set()

    def quiet_for(self, seconds: float) -> bool:
        return time.monotonic() - self.last_line_at >= seconds


def answers(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:port (the web server, once it listens)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        port = settings.PORT
        worker = [python]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            worker += ["-W", _ROOT_WARNING]
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            # One process runs beat inside the worker (-B): fine for one machine;
            # scaled-out deployments run beat once, separately.
            "worker": [*worker, "-m", "celery", "-A", "comptoir", "worker", "-B", "--pool=solo",
                       "--loglevel=INFO", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }  # fmt: skip
        # Unbuffered, so that each line shows when it is written, even through a pipe.
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        processes: dict[str, subprocess.Popen[Any]] = {
            # The summary below says what Django's "development server" warning would.
            "web": subprocess.Popen(commands["web"], env={**environment, "DJANGO_RUNSERVER_HIDE_WARNING": "true"}),
            "worker": subprocess.Popen(
                commands["worker"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ),
        }
        assert processes["worker"].stdout is not None
        relay = OutputRelay(processes["worker"].stdout, self._echo)

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            if self._started(processes, relay, port):
                self._summary()
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _echo(self, line: str) -> None:
        self.stdout.write(line, ending="")
        self.stdout.flush()

    def _started(self, processes: dict[str, subprocess.Popen[Any]], relay: OutputRelay, port: int) -> bool:
        """Waits until the web server answers and the worker is ready and quiet; False if one of them stopped."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes.values()):
                return False
            if relay.ready.is_set() and relay.quiet_for(QUIET_SECONDS) and answers(port):
                return True
            time.sleep(0.2)
        return True

    def _summary(self) -> None:
        base = settings.COMPTOIR_BASE_URL
        lines = ["", self.style.SUCCESS(f"Comptoir is running at {base}/")]
        if settings.DEBUG:
            lines.append(f"Development outbox (every e-mail sent): {base}/dev/outbox/")
            lines.append(f"Log in at {base}/accounts/login/ with:")
            lines += [f"  {role}: {email} / {password}" for email, password, role in DEMO_ACCOUNTS]
            lines.append("Back to the demo's first state: stop, then `make demo-reset`.")
        lines.append("A development server: production runs gunicorn and its own workers (docs/configuration.md).")
        lines.append("Press Ctrl+C to stop.")
        self.stdout.write("\n".join(lines) + "\n")
        self.stdout.flush()
