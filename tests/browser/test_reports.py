"""The reports page in a real browser, in French and English: a lead's Monday look, axe-clean."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.reports.services import reports_rebuild
from comptoir.sla.breaches import breaches_raise
from comptoir.sla.models import SlaPolicy, SlaTarget
from comptoir.sla.services import ticket_sla_refresh
from comptoir.tickets.models import Status, Survey, Ticket, TicketEvent
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import ticket_update_by_agent
from tests.browser.conftest import ROOT, assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

# By id, not by words: the French catalogue is compiled apart from this change.
SECTIONS = ("volume", "speed", "sla", "satisfaction", "agents")


def _a_breach_a_bad_rating_and_a_tag(make_ticket) -> None:
    """A ticket that missed a one-minute first reply target, one rated 1 with a comment, both tagged "refund"."""
    camille = User.objects.create_user("camille@example.com", name="Camille", role=Role.AGENT)
    policy = SlaPolicy.objects.create(name="Standard")
    SlaTarget.objects.create(policy=policy, metric="first_reply", priority="normal", minutes=1, business_hours=False)
    late = make_ticket(email="late@example.org", subject="Nobody answers")
    ticket_update_by_agent(late, agent=camille, assignee=camille, add_tags=["refund"])
    ticket_sla_refresh(late)
    breaches_raise(now=timezone.now() + timedelta(minutes=5))
    rated = make_ticket(email="rated@example.org", subject="Refund refused")
    ticket_update_by_agent(
        rated, agent=camille, body="No.", assignee=camille, status=Status.SOLVED, add_tags=["refund"]
    )
    survey_answer(Survey.objects.filter(ticket=rated).latest("id"), rating=1, comment="Rude <b>answer</b>")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_lead_reads_the_reports(site, new_page, make_ticket, language):
    User.objects.create_user("lea@example.com", password="pw-lea", name="Léa", role=Role.ADMIN)
    _a_breach_a_bad_rating_and_a_tag(make_ticket)
    # The demo's tickets, counted from their events (the worker may still be handing them on).
    reports_rebuild()
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "lea@example.com", "pw-lea", language)
    page.goto(f"{site.url}/{language}/agent/reports/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    for section in SECTIONS:
        expect(page.locator(f"h2#{section}-heading")).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert_accessible(page)

    page.locator("#report-period").select_option("this_quarter")
    page.locator(".report-filters button[type=submit]").click()
    page.wait_for_url(lambda url: "period=this_quarter" in url)
    page.locator(".report-numbers summary").first.click()
    expect(page.locator(".report-numbers table").first).to_be_visible()
    assert_accessible(page)

    # Camille's tickets tagged "refund", per week: the breach is listed with a link to its ticket,
    # the bad comment shown as text.
    page.locator("#report-agent").select_option(label="Camille")
    page.locator("#report-tag").fill("Refund")
    page.locator("#report-by").select_option("week")
    page.locator(".report-filters button[type=submit]").click()
    page.wait_for_url(lambda url: "by=week" in url and "tag=Refund" in url)
    expect(page.locator("#sla-heading")).to_be_visible()
    expect(page.locator("table[aria-labelledby=breaches-heading] a", has_text="Nobody answers")).to_be_visible()
    expect(page.locator(".report-comments .report-bad blockquote")).to_have_text("Rude <b>answer</b>")
    expect(page.locator(".report-value a").first).to_have_attribute("href", re.compile(r"tag%3Arefund"))
    expect(page.locator("#score-chart-title")).to_be_attached()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)


@pytest.mark.screenshots
@pytest.mark.parametrize("language", ["fr", "en"])
def test_reports_screenshots(site, new_page, make_ticket, language):
    """`make screenshots`: a month of a small team, drawn."""
    folder = ROOT / os.environ.get("COMPTOIR_SCREENSHOTS", "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    User.objects.create_user("lea@example.com", password="pw-lea", name="Léa", role=Role.ADMIN)
    camille = User.objects.create_user("camille@example.com", name="Camille", role=Role.AGENT)
    sam = User.objects.create_user("sam@example.com", name="Sam", role=Role.AGENT)
    now = timezone.now()
    for number in range(40):
        ticket = make_ticket(email=f"client{number}@example.org", subject=f"Request {number}", language=language)
        agent = camille if number % 3 else sam
        if number % 4:
            ticket_update_by_agent(ticket, agent=agent, body="…", assignee=agent, status=Status.SOLVED)
            if number % 5 == 0:
                survey = Survey.objects.filter(ticket=ticket).latest("id")
                survey_answer(survey, rating=2 if number % 10 == 0 else 5, comment="Slow" if number % 10 == 0 else "")
        else:
            ticket_update_by_agent(ticket, agent=agent, assignee=agent)
        # Spread over the last four weeks, each ticket's history moved back as a whole.
        back = timedelta(days=number % 28, hours=number % 7)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - back)
        TicketEvent.objects.filter(ticket=ticket).update(created_at=F("created_at") - back)
        # Answered some hours after it came in.
        wait = timedelta(hours=1 + number % 9, minutes=7 * number % 60)
        TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").update(created_at=F("created_at") + wait)
    reports_rebuild()
    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "lea@example.com", "pw-lea", language)
    page.goto(f"{site.url}/{language}/agent/reports/")
    assert_accessible(page)
    page.screenshot(path=str(folder / f"reports.{language}.png"), full_page=True)
