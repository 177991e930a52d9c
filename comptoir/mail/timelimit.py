"""A wall-clock limit on reading one message, so no e-mail can hang a worker.

The parser is written to stay linear on hostile input; this is the backstop.
It uses SIGALRM, which exists only in a process's main thread: that is where
the ingest command, Celery's prefork workers and gunicorn's sync workers run
their work. Elsewhere (a thread) the block runs without a limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TimeLimitExceeded(BaseException):
    """A BaseException, so the parser's own "never raise" guards cannot swallow it."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise TimeLimitExceeded


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
