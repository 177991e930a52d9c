"""A second worker in a test: another connection holding rows locked while the code under test runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet


@contextmanager
def held_by_another_worker(rows: QuerySet[Any]) -> Iterator[None]:
    """While the block runs, another thread's transaction holds ``rows`` FOR UPDATE, as a busy worker would.

    Needs ``django_db(transaction=True)`` on PostgreSQL: the thread has its own connection.
    """
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(rows.select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    try:
        assert locked.wait(timeout=10), "the other worker never locked its rows"
        yield
    finally:
        release.set()
        holder.join(timeout=30)
