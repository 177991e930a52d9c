"""Who counts as a reader of an article, once a day, for the "Most read" lists.

A reader is told apart by a signed cookie that lists the articles they read today,
not by an IP address (many people share one, and it is personal data) nor by the
session (reading an article must not create one). The cookie holds article ids
and the day, nothing about the person. Not counted: agents and editors (their
reading is work, and they read a lot), robots (search engines, link previews:
their User-Agent says so, or they send none), and HEAD requests (no one reads them).
A reader who refuses cookies is counted at each visit: an over-count we accept
rather than identify anyone.

The daily counts are kept as long as the "Most read" window needs them, plus a margin:
the periodic purge (comptoir.core.purge) forgets older days.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from comptoir.helpcenter.models import ArticleDailyViews
from comptoir.helpcenter.search_page import POPULAR_DAYS
from comptoir.helpcenter.services import article_view_count
from comptoir.tickets import access

COOKIE = "comptoir_read"
_SALT = "comptoir.helpcenter.reads"
# The ids the cookie keeps: enough for anyone's day, small enough for a cookie (about 1 KB at most).
MAX_REMEMBERED = 120
_ROBOT = re.compile(r"bot|crawler|spider|preview", re.IGNORECASE)
# Days of counts kept: the "Most read" window and a week more, so that a purge run late, a change of
# the site's time zone (which moves "today") or a window made a few days longer still find their days.
VIEWS_KEPT_DAYS = POPULAR_DAYS + 7


def is_reader(request: HttpRequest) -> bool:
    """A person of the public reading the page: neither a robot, nor an agent, nor a HEAD request."""
    if request.method != "GET":
        return False
    user_agent = request.headers.get("User-Agent", "").strip()
    if not user_agent or _ROBOT.search(user_agent):
        return False
    user = request.user
    return not (user.is_authenticated and (access.is_agent(request) or getattr(user, "is_staff", False)))


def _read_today(request: HttpRequest, today: date) -> list[int]:
    """The articles this reader already read today, according to their cookie ([] when absent, stale or forged)."""
    try:
        value = request.get_signed_cookie(COOKIE, salt=_SALT)
    except (KeyError, signing.BadSignature):
        return []
    day, _sep, ids = (value or "").partition(":")
    if day != today.isoformat():
        return []
    return [int(pk) for pk in ids.split(".") if pk.isdigit()]


def article_read(request: HttpRequest, response: HttpResponse, article_pk: int) -> None:
    """Count this request as a read of the article, unless it is not a reader's or the reader counted today."""
    if not is_reader(request):
        return
    today = timezone.localdate()
    read = _read_today(request, today)
    if article_pk in read:
        return
    article_view_count(article_pk=article_pk, day=today)
    read = [*read, article_pk][-MAX_REMEMBERED:]
    response.set_signed_cookie(
        COOKIE,
        f"{today.isoformat()}:{'.'.join(map(str, read))}",
        salt=_SALT,
        # A day is enough: tomorrow's first read of each article counts again (the day inside also says so).
        max_age=24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def daily_views_purge(*, today: date | None = None) -> int:
    """Forget the days of reads older than VIEWS_KEPT_DAYS (today counted): no list reads them any more.

    One DELETE: the table holds at most VIEWS_KEPT_DAYS days of the articles read, and each run
    finds the day or so that left the window since the last one.
    """
    oldest_kept = (today or timezone.localdate()) - timedelta(days=VIEWS_KEPT_DAYS - 1)
    deleted, _ = ArticleDailyViews.objects.filter(day__lt=oldest_kept).delete()
    return deleted
