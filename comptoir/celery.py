"""The Celery application: the web process enqueues, workers and beat run tasks.

The embedded broker (filesystem://) keeps its messages in folders, and beat its
schedule in a file: whatever writes there creates them, a worker as it starts,
a publisher before its first message, beat's scheduler as it opens its file,
not the import of settings.

Logs: a task sent while a request is served carries the request's id in a
message header, and the worker's lines while it runs carry that id and the
task's name and id (comptoir.core.logging_json). With COMPTOIR_LOG_FORMAT=json
Celery's own lines, worker and beat, are JSON too: Celery sets up its handlers
as usual, and each then gets Comptoir's formatter and context filter.
"""

from __future__ import annotations

import contextvars
import logging
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
def _before_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from comptoir.core.logging_json import TASK_REQUEST_ID_HEADER, request_id_var

    make_broker_folders()
    request_id = request_id_var.get()
    # A task sent by another task keeps the first request's id: the worker set it while running the sender.
    if request_id and headers is not None:
        headers.setdefault(TASK_REQUEST_ID_HEADER, request_id)


# What each running task's start replaced in the log context, given back as it ends: a worker's next
# task starts clean, and a task run eagerly inside a request leaves the request's own context as it was.
_contexts: dict[str, tuple[contextvars.Token[str | None], contextvars.Token[tuple[str, str] | None]]] = {}


@signals.task_prerun.connect
def _task_starts(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    from comptoir.core.logging_json import TASK_REQUEST_ID_HEADER, request_id_var, task_var, valid_request_id

    offered = getattr(task.request, TASK_REQUEST_ID_HEADER, None) if task is not None else None
    # Eager, the task has no message: it runs in its caller's context, whose request id stays.
    request_id = valid_request_id(offered) or request_id_var.get()
    _contexts[task_id] = (
        request_id_var.set(request_id),
        task_var.set((str(getattr(task, "name", "")), task_id)),
    )


@signals.task_postrun.connect
def _task_ends(task_id: str = "", **kwargs: Any) -> None:
    from comptoir.core.logging_json import request_id_var, task_var

    tokens = _contexts.pop(task_id, None)
    if tokens is not None:
        request_id_var.reset(tokens[0])
        task_var.reset(tokens[1])


def _json_logs(logger: logging.Logger) -> None:
    """Comptoir's JSON lines on the handlers Celery has just given ``logger`` (COMPTOIR_LOG_FORMAT=json)."""
    from django.conf import settings

    from comptoir.core.logging_json import JsonFormatter, RequestContextFilter

    if settings.COMPTOIR_LOG_FORMAT != "json":
        return
    # Python's warnings through the logs too, as JSON lines, not loose lines on stderr.
    logging.captureWarnings(True)
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
        if not any(isinstance(existing, RequestContextFilter) for existing in handler.filters):
            handler.addFilter(RequestContextFilter())


@signals.after_setup_logger.connect
def _root_logger_set_up(logger: logging.Logger, **kwargs: Any) -> None:
    _json_logs(logger)


@signals.after_setup_task_logger.connect
def _task_logger_set_up(logger: logging.Logger, **kwargs: Any) -> None:
    _json_logs(logger)


@signals.celeryd_init.connect
def _worker_starting(**kwargs: Any) -> None:
    make_broker_folders()


@signals.worker_init.connect
def _worker_initialised(sender: Any = None, **kwargs: Any) -> None:
    """A worker whose pool forks its processes (prefork, the default): its startup objects, the tasks imported,
    are frozen in the parent before the pool forks, as Python's documentation of gc.freeze advises. Every pool
    process, forked then or later, inherits them frozen (comptoir.core.heap) and collects nothing to copy them.
    Other pools run tasks in this process, which may be a test's: nothing is frozen there."""
    pool = getattr(sender, "pool_cls", "")
    # The alias ("prefork") from the settings, or the class the command line resolved.
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if "prefork" in name:
        from comptoir.core.heap import settle

        settle(load_urls=False)


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's scheduler (settings.CELERY_BEAT_SCHEDULER), creating the folder of its schedule file."""

    def setup_schedule(self) -> None:
        filename = getattr(self, "schedule_filename", None)
        if filename:
            Path(filename).resolve().parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
