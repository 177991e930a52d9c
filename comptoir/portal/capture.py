"""The limits of "Record my screen" on the ticket form, as capture.js receives them.

A recording is one attachment: it must stop before it breaks the file size
limit, whatever the screen shows. The bit rate is sized so that the longest
recording fits the limit with room to spare (WebM framing, the microphone's
sound); capture.js also stops at the size itself, should the encoder overshoot.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.formats import number_format

from comptoir.core.typography import duration
from comptoir.tickets.files import max_bytes

# The share of the file size limit the recording aims to fill, at the most.
_FILL = 0.8
# Bit rates below this make unreadable screens; above the top one nobody needs more for a bug report.
_MIN_BITS_PER_SECOND = 250_000
_MAX_BITS_PER_SECOND = 2_500_000


def max_seconds() -> int:
    return int(settings.COMPTOIR_SCREEN_RECORDING_MAX_SECONDS)


def capture_rules() -> dict[str, object]:
    """Time, size and bit rate of a recording, and the longest one as the page shows it.

    ``max_duration`` is the clock's (5:00, beside the running timer); ``max_duration_words`` is
    what sentences say ("after 5 minutes"), in the active language.
    """
    seconds = max_seconds()
    fitting = int(max_bytes() * 8 * _FILL / seconds)
    minutes, rest = divmod(seconds, 60)
    return {
        "max_seconds": seconds,
        # Stop a little before the limit: the last second of data arrives after the stop.
        "stop_bytes": int(max_bytes() * 0.95),
        "bits_per_second": max(_MIN_BITS_PER_SECOND, min(_MAX_BITS_PER_SECOND, fitting)),
        "max_duration": f"{number_format(minutes)}:{rest:02d}",
        "max_duration_words": duration(seconds),
    }
