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


def test_a_celery_pool_process_freezes_once_forked():
    before, after = run(
        "import gc, django; django.setup(); from celery import signals; import comptoir.celery; "
        "before = gc.get_freeze_count(); signals.worker_process_init.send(sender=None); "
        "print(before, gc.get_freeze_count())"
    )
    assert int(before) == 0
    assert int(after) > 50_000
