"""`make run`: the web server, a Celery worker and beat together, on the embedded default."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from comptoir.accounts.demo import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        port = settings.PORT
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            # One process runs beat inside the worker (-B): fine for one machine;
            # scaled-out deployments run beat once, separately.
            "worker": [python, "-m", "celery", "-A", "comptoir", "worker", "-B", "--pool=solo",
                       "--loglevel=INFO", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }  # fmt: skip
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"\nComptoir is running at {settings.COMPTOIR_BASE_URL}/"))
        if settings.DEBUG:
            self.stdout.write(f"Development outbox: {settings.COMPTOIR_BASE_URL}/dev/outbox/")
            self.stdout.write(f"Log in at {settings.COMPTOIR_BASE_URL}/accounts/login/ with:")
            for email, password, role in DEMO_ACCOUNTS:
                self.stdout.write(f"  {role}: {email} / {password}")
        self.stdout.write("Press Ctrl+C to stop.\n")

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
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
