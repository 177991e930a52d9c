"""Colour arithmetic for the main colour: WCAG contrast and the lighter and darker shades the pages use. Pure."""

from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
WHITE = "#ffffff"
# WCAG 2.x level AA for normal text: buttons carry white text on the colour, links are the colour on white.
AA_NORMAL_TEXT = 4.5


def normalise(value: str) -> str | None:
    """``#rrggbb`` in lower case, or None when ``value`` is not a hex colour (``#abc`` is widened)."""
    match = HEX_COLOUR.match(value.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return f"#{digits}"


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    r, g, b = (_linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, weight: float) -> str:
    """``colour`` moved ``weight`` (0 to 1) of the way towards ``other``."""
    mixed = (round(a + (b - a) * weight) for a, b in zip(_channels(colour), _channels(other), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def darker(colour: str) -> str:
    """The hover shade of buttons and links (the shipped pair is #0b5c70 → #084656)."""
    return mix(colour, "#000000", 0.24)


def softer(colour: str) -> str:
    """The pale background of badges and selected choices (the shipped pair is #0b5c70 → #e6f2f5)."""
    return mix(colour, WHITE, 0.9)
