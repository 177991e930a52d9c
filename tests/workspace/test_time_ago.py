"""The list's relative times: short, translated, and the exact time on hover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from comptoir.workspace.rows import time_ago

# French typography: an apostrophe, not a quote mark.
JUST_NOW_FR = "à l\u2019instant"
NOW = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "english", "french"),
    [
        (timedelta(seconds=0), "just now", JUST_NOW_FR),
        (timedelta(seconds=59), "just now", JUST_NOW_FR),
        (timedelta(minutes=1), "1 min ago", "il y a 1 min"),
        (timedelta(minutes=59, seconds=59), "59 min ago", "il y a 59 min"),
        (timedelta(hours=2, minutes=10), "2 h ago", "il y a 2 h"),
        (timedelta(hours=23, minutes=59), "23 h ago", "il y a 23 h"),
        (timedelta(days=1), "1 d ago", "il y a 1 j"),
        (timedelta(days=6, hours=23), "6 d ago", "il y a 6 j"),
        # A clock a little ahead (another server's) is "just now", never a negative time.
        (timedelta(seconds=-30), "just now", JUST_NOW_FR),
    ],
)
def test_recent_times_read_as_how_long_ago(ago, english, french):
    with translation.override("en"):
        assert time_ago(NOW - ago, NOW) == english
    with translation.override("fr"):
        assert time_ago(NOW - ago, NOW) == french


def test_a_week_and_more_reads_as_the_date(settings):
    with translation.override("en"):
        assert time_ago(NOW - timedelta(days=7), NOW) == "27 Nov 2026"
    with translation.override("fr"):
        assert time_ago(NOW - timedelta(days=40), NOW) == "25 oct. 2026"


@pytest.mark.django_db
def test_the_list_shows_the_relative_time_with_the_exact_one_on_hover(client, agent, make_ticket):
    make_ticket()
    client.force_login(agent)
    html = client.get("/en/agent/?view=all").content.decode()
    assert ">just now</time>" in html
    assert 'title="' in html.split("<time", 2)[1]
