"""The list's date labels: written without a DateFormat per value, the same text as Django's."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from django.utils import dateformat, formats, timezone, translation

from comptoir.workspace import date_labels

# Every month (names differ), days of one and two digits, hours around midnight and noon, a year below 1000.
MOMENTS = [
    datetime(2026, month, day, hour, minute, tzinfo=UTC)
    for month in range(1, 13)
    for day, hour, minute in ((1, 0, 0), (9, 9, 5), (28, 12, 30), (15, 23, 59))
] + [datetime(987, 3, 4, 5, 6, tzinfo=UTC)]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("format_name", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT"])
def test_each_label_is_what_django_writes(language, format_name):
    with translation.override(language):
        write = date_labels.writer(format_name)
        format_string = formats.get_format(format_name)
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert write(local) == dateformat.format(local, format_string)


@pytest.mark.parametrize(
    "format_string",
    # Every letter the writer writes itself, then literals between them.
    ["j d n m Y y G H i", "F M N", "d/m/Y à H:i (G)", "Y-m-d"],
)
def test_the_letters_written_here_match_djangos_in_both_languages(format_string):
    for language in ("en", "fr"):
        with translation.override(language):
            write = date_labels._writer(language, format_string)
            assert isinstance(write, partial)
            assert write.func is date_labels._write, "these letters are written without Django's DateFormat"
            for moment in MOMENTS:
                local = timezone.localtime(moment)
                assert write(local) == dateformat.format(local, format_string)


@pytest.mark.parametrize("format_string", ["D j M", "P", r"j \d\e F", "N jS"])
def test_a_format_with_other_letters_or_an_escape_is_left_to_django(format_string):
    with translation.override("en"):
        write = date_labels._writer("en", format_string)
        moment = timezone.localtime(datetime(2026, 12, 4, 15, 30, tzinfo=UTC))
        assert write(moment) == dateformat.format(moment, format_string)
        assert write.func is dateformat.format  # type: ignore[attr-defined]


def test_month_names_follow_the_language_of_each_call():
    # DATE_FORMAT is "j F Y" in both languages: only the language tells the writers apart.
    moment = timezone.localtime(datetime(2026, 7, 14, 10, 0, tzinfo=UTC))
    with translation.override("en"):
        english = date_labels.writer("DATE_FORMAT")(moment)
    with translation.override("fr"):
        french = date_labels.writer("DATE_FORMAT")(moment)
    with translation.override("en"):
        again = date_labels.writer("DATE_FORMAT")(moment)
    assert (english, french, again) == ("14 July 2026", "14 juillet 2026", "14 July 2026")


@pytest.mark.django_db
def test_an_older_ticket_in_the_list_reads_as_its_date_with_the_exact_time_on_hover(client, agent, make_ticket):
    from comptoir.tickets.models import Ticket

    ticket = make_ticket()
    # 08:07 UTC is 10:07 in Paris (summer time), the site's time zone.
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=datetime(2026, 9, 10, 8, 7, tzinfo=UTC))
    client.force_login(agent)
    english = client.get("/en/agent/?view=all").content.decode()
    french = client.get("/fr/agent/?view=all").content.decode()
    assert 'title="10 Sep 2026, 10:07">10 Sep 2026</time>' in english
    assert 'title="10 sept. 2026, 10:07">10 sept. 2026</time>' in french
