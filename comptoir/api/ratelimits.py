"""The API's rate limits: every request counts against its client address, then against its token.

Counted in the database (comptoir.core.ratelimit), so every web node shares
them. Each answer says where the caller stands under the tighter of the two,
in the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers
(seconds until the window starts again); a refused request gets 429 with
Retry-After.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from comptoir.api.authentication import request_token
from comptoir.core.ratelimit import Window, client_ip, hit_window


def _window_seconds() -> int:
    return int(settings.COMPTOIR_API_RATE_LIMIT_WINDOW_SECONDS)


def count_address(request: Request) -> Window:
    """Before anything else, even before the token is read: a flood of bad tokens is counted too."""
    return hit_window(
        "api-ip",
        client_ip(request._request),
        limit=int(settings.COMPTOIR_API_RATE_LIMIT_PER_IP),
        window_seconds=_window_seconds(),
    )


def count_caller(request: Request) -> Window | None:
    """Per token, or per person for a browser session; nothing more for an anonymous request."""
    token = request_token(request)
    if token is not None:
        identity = f"token:{token.pk}"
    elif request.user.is_authenticated:
        identity = f"user:{request.user.pk}"
    else:
        return None
    return hit_window(
        "api-caller",
        identity,
        limit=int(settings.COMPTOIR_API_RATE_LIMIT_PER_TOKEN),
        window_seconds=_window_seconds(),
    )


def refuse_when_over(windows: Sequence[Window]) -> None:
    over = [window for window in windows if not window.allowed]
    if over:
        raise Throttled(wait=max(window.seconds_left() for window in over))


def tightest(windows: Sequence[Window]) -> Window:
    """The window the caller will hit first: the fewest requests left, then the latest reset."""
    return min(windows, key=lambda window: (window.remaining, -window.seconds_left()))


def headers(windows: Sequence[Window]) -> dict[str, str]:
    if not windows:
        return {}
    window = tightest(windows)
    return {
        "RateLimit-Limit": str(window.limit),
        "RateLimit-Remaining": str(window.remaining),
        "RateLimit-Reset": str(window.seconds_left()),
    }
