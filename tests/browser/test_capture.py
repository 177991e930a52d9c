"""Screen capture and recording from the ticket form, and the signed-in requester's form, in Chromium.

Chromium's fake media stream stands in for the screen: the sharing prompt is
answered by itself (--use-fake-ui-for-media-stream, --auto-select-desktop-capture-source)
and the "screen" and microphone are generated (--use-fake-device-for-media-stream).
The PNG and the WebM go through the real form, the real checks and storage, and
the agent's page plays them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Attachment, Ticket
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, assert_accessible, screenshot_folder
from tests.browser.test_journey import WORDS

pytestmark = pytest.mark.browser

PASSWORD = "a long enough passphrase 42"
MEDIA_FLAGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--auto-select-desktop-capture-source=Entire screen",
]
CAPTURE_WORDS = {
    "fr": {"shot": "Take a screenshot", "record": "Record my screen", "stop": "Stop recording"},
    "en": {"shot": "Take a screenshot", "record": "Record my screen", "stop": "Stop recording"},
}


@pytest.fixture(scope="module")
def media_browser(playwright) -> Iterator[object]:
    """A Chromium whose screen-sharing prompt answers itself with a generated screen."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + MEDIA_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def media_page(media_browser):
    contexts = []

    def make(locale: str) -> Page:
        context = media_browser.new_context(
            locale=locale, timezone_id="Europe/Paris", bypass_csp=True, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def person(email: str, name: str, role: str = Role.REQUESTER) -> User:
    user = User.objects.create_user(email, password=PASSWORD, name=name, role=role)
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


def file_names(page: Page) -> list[str]:
    return page.evaluate("() => Array.from(document.querySelector('input[name=attachments]').files, f => f.name)")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_customer_attaches_a_screenshot_and_a_recording_that_the_agent_sees_inline(
    site, media_page, language: str
) -> None:
    words = WORDS[language]
    person(f"claire-{language}@example.org", "Claire Dubois")
    person(f"camille-{language}@example.com", "Camille", role=Role.AGENT)
    page = media_page(words["locale"])
    sign_in(page, site.url, f"claire-{language}@example.org")
    page.goto(f"{site.url}/{language}/tickets/new/")

    # Known: the account's name and address, not editable, and no robot check.
    identity = page.locator("[data-signed-in-as]")
    expect(identity).to_contain_text(f"claire-{language}@example.org")
    expect(identity).to_contain_text("Claire Dubois")
    expect(page.locator("input[name=email]")).to_have_count(0)
    expect(page.locator("altcha-widget")).to_have_count(0)
    expect(page.locator("[data-capture-fallback]")).to_be_hidden()
    assert_accessible(page)

    # One frame of the screen, as a PNG with its thumbnail.
    page.locator("[data-capture-shot]").click()
    expect(page.locator("[data-capture-status]")).not_to_be_empty()
    expect(page.locator(".file-list img.file-thumb")).to_have_count(1)
    assert re.fullmatch(r"[\w-]+\.png", file_names(page)[0])

    # A recording: the timer runs, Stop ends it, the preview plays before it is attached.
    page.locator("[data-capture-mic]").check()
    page.locator("[data-capture-record]").click()
    expect(page.locator("[data-capture-recording]")).to_be_visible()
    expect(page.locator("[data-capture-stop]")).to_be_focused()
    expect(page.locator("[data-capture-timer]")).to_have_text("0:02", timeout=10_000)
    page.keyboard.press("Enter")
    expect(page.locator("[data-capture-preview]")).to_be_visible()
    expect(page.locator("[data-capture-attach]")).to_be_focused()
    page.wait_for_function("() => document.querySelector('[data-capture-video]').readyState >= 1")
    assert_accessible(page)
    # For docs/screenshots: the sticky header would cover part of the form in a tall picture.
    page.add_style_tag(content="header { position: static !important; }")
    page.locator("main form").screenshot(path=str(screenshot_folder() / f"capture-preview.{language}.png"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-capture-preview]")).to_be_hidden()
    names = file_names(page)
    assert len(names) == 2 and names[1].endswith(".webm")

    # Refused for its subject: the captured files are kept on the server, nobody captures them again.
    page.locator("textarea[name=description]").fill("The export button does nothing: see the screen.")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    kept = page.locator("[data-pending-files] input[name=pending_file]:checked")
    expect(kept).to_have_count(2)
    expect(page.locator("[data-pending-files]")).to_contain_text(".webm")
    assert_accessible(page)
    page.locator("input[name=subject]").fill(f"Captured screen {language}")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["sent"])

    ticket = Ticket.objects.select_related("requester").get(subject=f"Captured screen {language}")
    assert ticket.requester.email == f"claire-{language}@example.org"
    kinds = sorted(Attachment.objects.filter(message__ticket=ticket).values_list("content_type", flat=True))
    assert kinds == ["image/png", "video/webm"]

    # The agent sees the screenshot and plays the recording on the ticket page.
    agent = media_page(words["locale"])
    sign_in(agent, site.url, f"camille-{language}@example.com")
    agent.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    image = agent.locator(".attachments img, .thumb img").first
    expect(image).to_be_visible()
    agent.wait_for_function(
        "() => { const i = document.querySelector('.thumb img'); return i && i.complete && i.naturalWidth > 0; }"
    )
    agent.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && !v.error && v.readyState >= 2; }"
    )
    played = agent.evaluate(
        """async () => {
            const v = document.querySelector('video');
            v.muted = true;
            await v.play();
            await new Promise(r => setTimeout(r, 500));
            v.pause();
            return {time: v.currentTime, width: v.videoWidth, error: v.error};
        }"""
    )
    assert played["error"] is None and played["width"] > 0 and played["time"] > 0


def test_the_page_says_how_to_attach_a_capture_where_the_browser_cannot(site, media_page) -> None:
    page = media_page("en-GB")
    # As on most phones: no screen sharing at all.
    page.add_init_script("delete MediaDevices.prototype.getDisplayMedia;")
    page.goto(f"{site.url}/en/tickets/new/")
    expect(page.locator("[data-capture-fallback]")).to_be_visible()
    expect(page.locator("[data-capture-shot]")).to_be_hidden()
    expect(page.locator("[data-capture-record]")).to_be_hidden()
    assert_accessible(page)


def test_a_cancelled_share_attaches_nothing_and_says_so(site, media_page) -> None:
    page = media_page("en-GB")
    page.add_init_script(
        "MediaDevices.prototype.getDisplayMedia = () => Promise.reject(new DOMException('no', 'NotAllowedError'));"
    )
    page.goto(f"{site.url}/en/tickets/new/")
    page.locator("[data-capture-shot]").click()
    expect(page.locator("[data-capture-status]")).to_have_text("Screen sharing was cancelled: nothing was captured.")
    assert file_names(page) == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_files_breaking_a_rule_are_named_with_the_limit_before_upload(
    site, media_page, settings, tmp_path, language: str
) -> None:
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = tmp_path / "big-video.mp4"
    big.write_bytes(b"\x00" * (1024 * 1024 + 1))
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    notes = tmp_path / "notes.md"
    notes.write_text("Steps: open Reports, click Export.\n")
    page = media_page(WORDS[language]["locale"])
    page.goto(f"{site.url}/{language}/tickets/new/")
    page.locator("input[name=attachments]").set_input_files([str(big), str(program), str(notes)])
    message = page.locator(".dropzone-message")
    expect(message).to_contain_text("big-video.mp4")
    expect(message).to_contain_text("setup.exe")
    text = message.inner_text()
    # The limit and the accepted types are the server's (1 MB here, no trailing ".0").
    assert re.search(r"\b1\u00a0(MB|Mo)", text)
    assert "png, jpeg" in text
    # Text the server would accept as text passes; the rest never leaves.
    assert file_names(page) == ["notes.md"]
    assert_accessible(page)


def test_a_recording_stops_by_itself_at_its_time_limit(site, media_page, settings) -> None:
    settings.COMPTOIR_SCREEN_RECORDING_MAX_SECONDS = 2
    page = media_page("en-GB")
    page.goto(f"{site.url}/en/tickets/new/")
    page.locator("[data-capture-record]").click()
    expect(page.locator("[data-capture-preview]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-capture-status]")).to_have_text(
        # The limit in words (comptoir.core.typography.duration); the clock below keeps "0:02".
        "The recording reached its limit of 2\u00a0seconds and stopped. Watch it below, then attach it or discard it."
    )
    expect(page.locator("[data-capture-timer]")).to_have_text("0:02")
    page.locator("[data-capture-discard]").click()
    expect(page.locator("[data-capture-preview]")).to_be_hidden()
    expect(page.locator("[data-capture-status]")).to_have_text("Recording discarded.")
    assert file_names(page) == []
