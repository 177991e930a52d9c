"""Other workers in a test: a connection holding rows locked while the code under test runs, or workers at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import QuerySet

_T = TypeVar("_T")


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


def at_once(work: Callable[[], _T], *, workers: int = 2, timeout: float = 120) -> list[_T]:
    """Run ``work`` in ``workers`` threads released together (each with its own connection); their results.

    Whatever a thread raises fails the test, as does a thread still running after ``timeout`` seconds.
    Needs ``django_db(transaction=True)``: each thread commits on its own connection.
    """
    barrier = threading.Barrier(workers)
    results: list[_T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as error:  # reported by the calling thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker is still running"
    assert errors == [], errors
    return results
