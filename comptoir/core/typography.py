"""French typography for words put together at run time, and file sizes in the reader's language.

Translated sentences carry their own spacing (comptoir/locale); what is joined
while a page or an e-mail is made ("label: value", a form error after its
field's name, a file's size) goes through here, so that the rule is written
once: in French a narrow no-break space (U+202F) before ``:`` ``;`` ``?`` ``!``
and inside « », so that the mark never starts a line; in English, nothing.
"""

from __future__ import annotations

import re

from django.utils import formats, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, ngettext, npgettext

NNBSP = "\u202f"
# Between a number and its unit: the unit never starts a line either.
NBSP = "\u00a0"

# Where tags and character references were set aside in markup (see french_spacing).
_SET_ASIDE = "\ue000"
# A high mark that ends a word: followed by a space, the end, a closing quote or a tag. "18:30",
# "https://", "status:open", "?page=2" and "!=" are followed by something else and are left alone.
# A mark right after another ("?!") takes no second space. Spaces before it become one narrow one.
_HIGH_MARK = re.compile(r"(?<=[^\s:;?!])[ \t\u00a0\u202f]*([:;?!])(?=\s|$|[»”\"\ue000])")
_OPENING_QUOTE = re.compile(r"«[ \t\u00a0\u202f]*")
_CLOSING_QUOTE = re.compile(r"[ \t\u00a0\u202f]*»")
# In markup, what is not text: code and scripts whole, tags with their attributes, and character
# references (whose ";" is no semicolon). Each is set aside behind a private-use character.
_NOT_TEXT = re.compile(
    r"<(script|style|pre|code|textarea)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]\w*);",
    re.DOTALL | re.IGNORECASE,
)


# Translators: units of file sizes, after a number (French: Go, Mo, Ko).
_UNITS = ((1024**3, gettext_lazy("GB")), (1024**2, gettext_lazy("MB")), (1024, gettext_lazy("KB")))


def is_french(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").split("-")[0] == "fr"


def _space_text(text: str) -> str:
    text = _HIGH_MARK.sub(NNBSP + r"\1", text)
    text = _OPENING_QUOTE.sub("«" + NNBSP, text)
    return _CLOSING_QUOTE.sub(NNBSP + "»", text)


def french_spacing(text: str, language: str | None = None) -> str:
    """``text`` spaced as French wants it when ``language`` (by default the active one) is French.

    Markup (a SafeString) keeps its tags, attributes, character references,
    scripts and code blocks untouched: only the words change, and it stays safe.
    Plain text comes back plain, for the template to escape as usual.
    """
    if not is_french(language) or not text:
        return text
    if not isinstance(text, SafeString):
        return _space_text(str(text))
    aside: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        aside.append(match.group(0))
        return _SET_ASIDE

    spaced = _space_text(_NOT_TEXT.sub(set_aside, text.replace(_SET_ASIDE, "")))
    pieces = iter(aside)
    return mark_safe(re.sub(_SET_ASIDE, lambda _match: next(pieces), spaced))  # only spaces were added to safe markup


_ORDINARY_WHITE_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def one_line(text: str) -> str:
    """``text`` on one line (a subject): runs of ordinary white space become one space.

    Not ``" ".join(text.split())``: str.split() takes no-break spaces for white
    space too, and would undo the French spacing of a translated subject.
    """
    return _ORDINARY_WHITE_SPACE.sub(" ", text).strip(" ")


def colon(language: str | None = None) -> str:
    """The colon that follows a label: with its narrow no-break space in French."""
    return NNBSP + ":" if is_french(language) else ":"


def in_sentence(name: str, language: str | None = None) -> str:
    """A language's (or a day's, a month's) name as written inside a sentence: lower case in French."""
    if is_french(language) and name[:1].isupper() and not name[1:2].isupper():
        return name[:1].lower() + name[1:]
    return name


def file_size(size: int, language: str | None = None) -> str:
    """A size as people read it: "16 Ko", "1,5 Mo", "50 Mo" in French; "16 KB", "1.5 MB" in English.

    Counted in units of 1024, as the limits are set (COMPTOIR_ATTACHMENT_MAX_MB is
    megabytes of 1024 * 1024 bytes), so that a 50 MB limit reads "50 MB", under the
    unit names people know rather than "MiB" or "Kio". Under 10, one decimal, unless
    it is a zero: a 5 MB limit reads "5 MB", not "5.0 MB".
    """
    with translation.override(language or translation.get_language()):
        if size < 1024:
            return f"{size}{NBSP}{ngettext('byte', 'bytes', size)}"
        for unit, name in _UNITS:
            if size >= unit or unit == 1024:
                value = round(size / unit, 1 if size / unit < 10 else 0)
                places = 0 if value == int(value) else 1
                return f"{formats.number_format(value, places, use_l10n=True)}{NBSP}{name}"
    raise AssertionError("unreachable: 1024 takes every size left")


def duration(seconds: int, language: str | None = None) -> str:
    """A duration in words, as a sentence says it: "5 minutes", "90 seconds", "2 minutes 30 seconds".

    Whole minutes in minutes; under two minutes, a duration that is not whole minutes in
    seconds (people say "90 seconds" rather than "1 minute 30 seconds"); longer ones in
    both. The number is kept from its word by a no-break space, as a file size is.
    """
    with translation.override(language or translation.get_language()):
        minutes, rest = divmod(max(0, int(seconds)), 60)
        in_minutes = _counted(minutes, npgettext("duration", "minute", "minutes", minutes))
        if minutes and not rest:
            return in_minutes
        if minutes < 2:
            total = minutes * 60 + rest
            return _counted(total, npgettext("duration", "second", "seconds", total))
        return f"{in_minutes} {_counted(rest, npgettext('duration', 'second', 'seconds', rest))}"


def _counted(number: int, word: str) -> str:
    return f"{formats.number_format(number, use_l10n=True)}{NBSP}{word}"
