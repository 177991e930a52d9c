"""The bounds that keep parsing linear on hostile input, and the list of defects found on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

MAX_SUBJECT_CHARS = 998  # RFC 5322 line length limit; also bounds DB columns
MAX_HEADER_TEXT_CHARS = 998
MAX_ADDRESSES = 100
MAX_MESSAGE_IDS = 100
MAX_TEXT_BODY_CHARS = 1_000_000
MAX_FILENAME_CHARS = 255
MAX_DEFECTS = 100

# Bounds that keep every stage linear-ish on hostile input.
_MAX_RAW_HEADER_CHARS = 65_536
_MAX_ADDRESS_PIECES = 200
_MAX_STRUCTURED_ADDRESS_CHARS = 256  # policy.default's parser is quadratic
_MAX_DATE_CHARS = 256
_MAX_PARTS = 1_000
_MAX_DEPTH = 40
_MAX_HTML_FOR_TEXT_CHARS = 2_000_000
_MAX_MIME_HEADER_CHARS = 8_192  # both MIME parameter parsers are quadratic
_MAX_CHARSET_NAME_CHARS = 64

_T = TypeVar("_T")


class _Defects:
    """Ordered, de-duplicated, bounded list of problem descriptions."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._seen: set[str] = set()

    def add(self, description: str) -> None:
        if description in self._seen or len(self._items) >= MAX_DEFECTS:
            return
        self._seen.add(description)
        self._items.append(description)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._items)


def _guarded(defects: _Defects, label: str, default: _T, func: Callable[[], _T]) -> _T:
    # One broken header must not cost us the rest of the message.
    try:
        return func()
    except Exception as exc:
        defects.add(f"{label}: {type(exc).__name__}")
        return default
