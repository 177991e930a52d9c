"""Service levels in a real browser, in French and in English, the time moved by a fake clock.

A ticket sent on Friday evening promises the customer an answer on Monday (and
says the team is back on Monday morning); on Monday, once the warning window
opens, the agent's list shows the ticket's clock in amber. The clock is
django.utils.timezone.now, replaced for the test: the live server's thread and
the worker's read the same module, so they see the same fake time.
"""

from __future__ import annotations

import re
import time
from datetime import time as clock_time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.sla.models import BusinessSchedule, Metric, OpeningRange, TicketSla
from comptoir.tickets.models import Ticket
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.browser.test_journey import WORDS, solve_captcha
from tests.sla.clock import MONDAY_TO_FRIDAY, paris
from tests.sla.conftest import OFFICE_TARGETS, FakeNow, policy_make

pytestmark = pytest.mark.browser

FRIDAY_EVENING = paris(2026, 6, 5, 19)
# Four business hours from Monday 09:00 are due at 14:00; warned an hour before, at 13:00.
MONDAY_IN_THE_WINDOW = paris(2026, 6, 8, 13, 10)

EXPECTED = {
    "en": ("expect our answer by Monday at 14:00.", "back on Monday at 09:00", "due soon: 50 min left"),
    "fr": (
        "attendez notre réponse d’ici lundi à 14:00.",  # noqa: RUF001  # French typography
        "de retour lundi à 09:00",
        "échéance proche\u202f: reste 50 min",
    ),
}


@pytest.fixture
def fake_now(monkeypatch) -> FakeNow:
    fake = FakeNow(FRIDAY_EVENING)
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def office_policy(transactional_db):
    schedule = BusinessSchedule.objects.create(name="Office", time_zone="Europe/Paris", country="FR")
    OpeningRange.objects.bulk_create(
        OpeningRange(schedule=schedule, weekday=weekday, start=start, end=end)
        for weekday in MONDAY_TO_FRIDAY
        for start, end in ((clock_time(9), clock_time(12)), (clock_time(13), clock_time(18)))
    )
    return policy_make("Office hours", OFFICE_TARGETS, schedule=schedule, position=10)


def first_reply_clock(ticket: Ticket) -> TicketSla:
    """The worker writes the clock after the commit: wait for it (a bound on waiting, not a sleep for time to pass)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        clock = TicketSla.objects.filter(ticket=ticket, metric=Metric.FIRST_REPLY).first()
        if clock is not None:
            return clock
        time.sleep(0.1)
    raise AssertionError("the worker wrote no first-reply clock")


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_friday_evening_promises_monday_and_the_agent_sees_amber_in_the_warning_window(
    site, new_page, locale, fake_now, office_policy
):
    words = WORDS[locale]
    promise, back, amber = EXPECTED[locale]
    base = site.url
    subject = f"Invoice missing {locale}"

    requester = new_page(words["locale"])
    requester.goto(f"{base}/{locale}/tickets/new/")
    requester.locator("input[name=email]").fill("claire@example.org")
    requester.locator("input[name=name]").fill("Claire Dubois")
    requester.locator("input[name=ticket_type][value=question]").check()
    requester.locator("input[name=subject]").fill(subject)
    requester.locator("textarea[name=description]").fill("Where is my May invoice?")
    solve_captcha(requester, words)
    requester.locator("main form button[type=submit]").click()
    heading = requester.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"#\d+"))
    expect(requester.locator(".promise")).to_contain_text(promise)
    expect(requester.locator(".promise")).to_contain_text(back)
    assert_accessible(requester)

    reference = int(re.search(r"#(\d+)", heading.inner_text()).group(1))
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(reference))
    assert first_reply_clock(ticket).due_at == paris(2026, 6, 8, 14)

    fake_now.set(MONDAY_IN_THE_WINDOW)
    agent_user = User.objects.create_user(
        f"camille-{locale}@example.com", password="pw-camille-1", role=Role.AGENT, name="Camille", language=locale
    )
    agent = new_page(words["locale"])
    log_in(agent, base, agent_user.email, "pw-camille-1", locale)
    agent.goto(f"{base}/{locale}/agent/?view=all")
    row = agent.locator("tr", has=agent.locator(f"a[href$='/agent/tickets/{reference}/']"))
    badge = row.locator("time.sla")
    expect(badge).to_have_class(re.compile(r"\bsla-warning\b"))
    expect(badge).to_have_text(amber)
    assert badge.get_attribute("datetime") == paris(2026, 6, 8, 14).isoformat()
    assert_accessible(agent)
