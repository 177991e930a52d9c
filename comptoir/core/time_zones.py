"""Time zone names as a browser reports them, checked before anything trusts them."""

from __future__ import annotations

import functools
import zoneinfo


@functools.cache
def _names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_time_zone(name: str) -> str:
    """``name`` if it is an IANA time zone this machine knows ("Europe/Paris"), else "".

    Compared with the list rather than opened with ZoneInfo: what a form posts
    never becomes a path the zoneinfo loader looks for.
    """
    name = name.strip()
    return name if name in _names() else ""
