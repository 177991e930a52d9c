"""The Celery application: the web process enqueues, workers and beat run tasks.

The embedded broker (filesystem://) keeps its messages in folders, and beat its
schedule in a file: whatever writes there creates them, a worker as it starts,
a publisher before its first message, beat's scheduler as it opens its file,
not the import of settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery, beat, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

app = Celery("comptoir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "control_folder")
_made_broker_folders = False


def make_broker_folders() -> None:
    """The filesystem broker's folders, once per process (other brokers have none)."""
    global _made_broker_folders
    if _made_broker_folders:
        return
    options = app.conf.broker_transport_options or {}
    for key in _BROKER_FOLDERS:
        if options.get(key):
            Path(str(options[key])).mkdir(parents=True, exist_ok=True)
    _made_broker_folders = True


@signals.before_task_publish.connect
def _before_first_message(**kwargs: Any) -> None:
    make_broker_folders()


@signals.celeryd_init.connect
def _worker_starting(**kwargs: Any) -> None:
    make_broker_folders()


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's scheduler (settings.CELERY_BEAT_SCHEDULER), creating the folder of its schedule file."""

    def setup_schedule(self) -> None:
        filename = getattr(self, "schedule_filename", None)
        if filename:
            Path(filename).resolve().parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
