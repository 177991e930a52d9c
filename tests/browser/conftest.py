"""Headless Chromium (Debian's), a live server, and a real Celery worker thread."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.helpcenter.demo import load_demo_content
from comptoir.rules.defaults import default_rules_restore
from comptoir.workspace.models import built_in_views_restore
from tests.conftest import running_worker

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in the test thread; the test's own
# database calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def screenshot_folder() -> Path:
    """Where a test's pictures of its pages go: docs/screenshots/ under `make screenshots` (which sets
    COMPTOIR_SCREENSHOTS), else a scratch folder, so that running the tests never changes the tree."""
    chosen = os.environ.get("COMPTOIR_SCREENSHOTS")
    folder = ROOT / chosen if chosen else Path(tempfile.gettempdir()) / "comptoir-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def whole_page_screenshot(page, path: Path) -> None:
    """A full-page picture of ``page`` with its sticky header drawn once, at the top.

    Chromium draws a sticky header where the scrolled page last had it: after a form was
    filled or a button pressed, across the middle of a tall picture. Static, it stays on top.
    """
    page.add_style_tag(content="header { position: static !important; }")
    page.screenshot(path=str(path), full_page=True)


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[object]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def site(live_server, settings, transactional_db):
    """The live server as `make run` serves it: DEBUG on, outbox, demo content, a worker."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "comptoir.devoutbox.backend.OutboxBackend"
    settings.COMPTOIR_BASE_URL = live_server.url
    load_demo_content()
    # The team's built-in views and the default rules come with the migrations; an earlier test's flush
    # took them away.
    built_in_views_restore()
    default_rules_restore()
    with running_worker():
        yield live_server


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(locale: str = "en-GB", timezone_id: str = "Europe/Paris"):
        # bypass_csp lets the test inject axe-core; the pages' own CSP is tested elsewhere. The clock
        # is a French team's customer's, whatever the machine's (the new-ticket form sends it).
        context = browser.new_context(
            locale=locale, timezone_id=timezone_id, bypass_csp=True, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def assert_accessible(page) -> None:
    """axe-core finds no violation on the page as it is now."""
    # A click that navigates may return before the next document exists.
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    # Only the violations are asked for: axe then skips building a selector and a summary for every
    # element that passed (most of the time it spent), and finds the same violations.
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    summary = [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations]
    assert summary == [], f"axe-core violations on {page.url}:\n" + "\n".join(summary)
