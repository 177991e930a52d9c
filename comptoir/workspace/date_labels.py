"""Dates written dozens of times a page (the list's rows), in the language's formats, without a DateFormat each.

``django.utils.dateformat.format`` builds a formatter object per value, reads
settings, splits the format with a regular expression and translates the
month's name every time: about 18 µs a value, some fifty values a list page
(each row's last change and its service-level due time, exact on hover, and its
"5 Nov 2026" once older than a week). Here a format is split once per language
and process into its literal pieces and the letters Comptoir's formats use
(comptoir/formats: day, month, year, hour, minute); a value then costs a few
attribute reads. A format holding any other letter or a backslash escape is left
to Django: the output is Django's either way (tests/workspace/test_date_labels.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache, partial

from django.utils import dateformat, formats, translation
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_AP

# What Django's DateFormat and TimeFormat write for these letters.
_NUMBERS: dict[str, Callable[[datetime], str]] = {
    "j": lambda value: str(value.day),
    "d": lambda value: f"{value.day:02d}",
    "n": lambda value: str(value.month),
    "m": lambda value: f"{value.month:02d}",
    "Y": lambda value: f"{value.year:04d}",
    "y": lambda value: f"{value.year % 100:02d}",
    "G": lambda value: str(value.hour),
    "H": lambda value: f"{value.hour:02d}",
    "i": lambda value: f"{value.minute:02d}",
}
_MONTH_LETTERS = frozenset("FMN")
# The letters Django's formats know (django.utils.dateformat.re_formatchars): any other character is literal.
_DJANGO_LETTERS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")


def writer(format_name: str) -> Callable[[datetime], str]:
    """The writer of the active language's ``format_name`` ("SHORT_DATETIME_FORMAT"), for local datetimes."""
    return _writer(translation.get_language() or "", formats.get_format(format_name))


@cache
def _writer(language: str, format_string: str) -> Callable[[datetime], str]:
    # ``language`` is only the cache's key: the month names below are translated into the active one, this one.
    pieces: list[str | Callable[[datetime], str]] = []
    for character in format_string:
        if character in _NUMBERS:
            pieces.append(_NUMBERS[character])
        elif character in _MONTH_LETTERS:
            pieces.append(partial(_month, _month_names(character)))
        elif character in _DJANGO_LETTERS or character == "\\":
            return partial(dateformat.format, format_string=format_string)
        else:
            pieces.append(character)
    return partial(_write, tuple(pieces))


def _month_names(letter: str) -> tuple[str, ...]:
    names = {"F": MONTHS, "M": MONTHS_3, "N": MONTHS_AP}[letter]
    # Django's "M" title-cases the three letters ("Dec", French "Déc"): the same here.
    return ("", *(str(names[month]).title() if letter == "M" else str(names[month]) for month in range(1, 13)))


def _month(names: tuple[str, ...], value: date) -> str:
    return names[value.month]


def _write(pieces: tuple[str | Callable[[datetime], str], ...], value: datetime) -> str:
    return "".join(piece if isinstance(piece, str) else piece(value) for piece in pieces)
