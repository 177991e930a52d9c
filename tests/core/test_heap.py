"""Long-running processes freeze their startup objects out of the collector's full collections (core.heap)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> list[str]:
    """``code`` in a fresh interpreter with Comptoir's settings (freezing is for the process's life)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "comptoir.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_web_worker_loads_its_views_then_freezes_what_it_holds():
    frozen, views_loaded, tracked = run(
        "import gc, sys; import comptoir.wsgi; "
        "print(gc.get_freeze_count(), 'comptoir.workspace.views' in sys.modules, len(gc.get_objects()))"
    )
    # Tens of thousands of objects (about 175,000 with the URLconf's modules), none left for full collections.
    assert int(frozen) > 50_000
    assert views_loaded == "True"
    assert int(tracked) < int(frozen) // 10


CELERY_WORKER_STARTS = (
    "import gc, django; django.setup(); from celery import signals; import comptoir.celery; "
    "signals.worker_init.send(sender=type('Worker', (), {{'pool_cls': {pool}}})()); print(gc.get_freeze_count())"
)


def test_a_celery_worker_whose_pool_forks_freezes_before_forking():
    # The settings' alias, and the class Celery's command line hands over.
    by_alias = run(CELERY_WORKER_STARTS.format(pool="'prefork'"))
    by_class = run("from celery.concurrency.prefork import TaskPool; " + CELERY_WORKER_STARTS.format(pool="TaskPool"))
    assert int(by_alias[0]) > 50_000
    assert int(by_class[0]) > 50_000


def test_a_worker_running_tasks_in_its_own_process_freezes_nothing():
    # A solo or threads pool runs tasks in the worker's process, which may be a test's (tests/conftest.py).
    for pool in ("'solo'", "'threads'"):
        assert run(CELERY_WORKER_STARTS.format(pool=pool)) == ["0"]
