"""Durations in words (comptoir.core.typography.duration), and the capture block saying its limit with them
rather than as a clock's "5:00" (issue 22)."""

from __future__ import annotations

import pytest

from comptoir.core.typography import NBSP, duration

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seconds", "english"),
    [
        (300, "5 minutes"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (1, "1 second"),
        (45, "45 seconds"),
        (119, "119 seconds"),
        (120, "2 minutes"),
        (150, "2 minutes 30 seconds"),
        (3601, "60 minutes 1 second"),
    ],
)
def test_a_duration_reads_in_words(seconds, english):
    assert duration(seconds, "en").replace(NBSP, " ") == english


def test_each_number_is_held_to_its_word_by_a_no_break_space():
    assert duration(300, "en") == f"5{NBSP}minutes"
    assert duration(150, "en") == f"2{NBSP}minutes 30{NBSP}seconds"


def test_french_says_minutes_in_french():
    assert duration(300, "fr") == f"5{NBSP}minutes"
    assert duration(60, "fr") == f"1{NBSP}minute"


@pytest.mark.parametrize(
    ("language", "limit", "sentence"),
    [
        ("en", 300, "Recordings stop after 5 minutes."),
        ("fr", 300, "Les enregistrements s\u2019arrêtent au bout de 5 minutes."),
        ("en", 90, "Recordings stop after 90 seconds."),
    ],
)
def test_the_capture_block_says_its_limit_in_words(client, settings, language, limit, sentence):
    settings.COMPTOIR_SCREEN_RECORDING_MAX_SECONDS = limit

    html = client.get(f"/{language}/tickets/new/").content.decode().replace(NBSP, " ")

    assert sentence in html
    assert f"after {limit // 60}:" not in html and f"au bout de {limit // 60}:" not in html
    # The running clock beside the timer keeps its clock's form.
    assert f"/ {limit // 60}:{limit % 60:02d}</span>" in html
