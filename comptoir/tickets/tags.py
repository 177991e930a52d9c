"""What a tag is, as a name: pure functions, no database.

Tags are typed by hand by many agents, so the same idea must come out as one
name whatever the case, accents aside: "Refund", "refund " and "REFUND" are
the tag ``refund``; "late delivery" is ``late-delivery`` (a tag is one word,
so that ``tag:late-delivery`` finds it in the search box). Accents are kept:
``remboursé`` is a French agent's word and reads as one.

In a typed list (``tag_names``) spaces separate tags: "late delivery" typed
in the tags field is two tags, as in most help desks.
"""

from __future__ import annotations

import re
import unicodedata

TAG_MAX_LENGTH = 50
# Letters and digits of any script (with their combining accents), and the joiners people use inside a tag.
_NOT_IN_A_TAG = re.compile(r"[^\w\-.\u0300-\u036f]+")
_DASHES = re.compile(r"-{2,}")
_SEPARATORS = re.compile(r"[,;\s]+")


def tag_name(typed: str) -> str:
    """The tag a typed label stands for ("" when nothing usable is left).

    Composed first: an "é" typed as "e" and a combining accent (macOS, some
    pasted text) is the same tag as one typed as "é".
    """
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", typed).lower())
    words = (word.strip("-.") for word in _NOT_IN_A_TAG.sub(" ", text).split())
    joined = _DASHES.sub("-", "-".join(word for word in words if word))
    return joined[:TAG_MAX_LENGTH].strip("-.")


def tag_names(typed: str) -> list[str]:
    """The tags of a list typed as "refund, vip late" (commas, semicolons or spaces), each once, in order."""
    names: list[str] = []
    for piece in _SEPARATORS.split(typed):
        name = tag_name(piece)
        if name and name not in names:
            names.append(name)
    return names
