"""Accounts in a real browser, in French and English: a guest becomes an account holder, codes, organisations.

Selectors are names, ids and hrefs, and the visible text checked is the tickets'
own, so the French runs do not hang on the wording of the account pages.
"""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.db.models import Max
from playwright.sync_api import Page, expect

from comptoir.accounts.models import Organisation, User
from comptoir.accounts.services import email_address_record
from comptoir.devoutbox.models import CapturedEmail
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_create, ticket_set_status
from tests.browser.conftest import assert_accessible
from tests.conftest import png_bytes

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
PASSWORD = "a long enough passphrase 42"
PASSWORD_LINK = "/accounts/password/reset/key/"
CONFIRMATION_PAGE = "/accounts/confirm-email/"
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)  # allauth's default format


def last_mail() -> int:
    return CapturedEmail.objects.aggregate(last=Max("pk"))["last"] or 0


def mail_text(captured: CapturedEmail) -> str:
    message = message_from_bytes(bytes(captured.raw), policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def caught_mail(address: str, *, after: int, wanted: re.Pattern[str] | str) -> int:
    """The outbox entry of the first e-mail to `address`, caught after entry `after`, whose text matches.

    The ticket e-mails that the worker sends to the same address meanwhile are passed over.
    """
    for _ in range(60):
        for captured in CapturedEmail.objects.filter(pk__gt=after, to_addresses__icontains=address).order_by("pk"):
            text = mail_text(captured)
            found = (wanted in text) if isinstance(wanted, str) else wanted.search(text)
            if found:
                return captured.pk
        time.sleep(0.25)
    raise AssertionError(f"no e-mail to {address} with {wanted!r} reached the outbox")


def follow_mailed_link(page: Page, base_url: str, address: str, *, after: int, path: str) -> None:
    """Open the e-mail in the development outbox and follow its link to `path`."""
    page.goto(f"{base_url}/dev/outbox/{caught_mail(address, after=after, wanted=base_url + path)}/")
    with page.expect_navigation():
        page.locator(f".outbox-links a[href*='{path}']").first.click()


def subjects(page: Page) -> list[str]:
    return sorted(page.locator(".my-tickets-table .subject-cell a").all_inner_texts())


def search(page: Page, words: str) -> list[str]:
    page.locator("#my-tickets-q").fill(words)
    with page.expect_navigation():
        page.locator(".my-tickets-filters button[type=submit]").click()
    return subjects(page)


def show_tab(page: Page, key: str) -> list[str]:
    with page.expect_navigation():
        page.locator(f".status-tabs a[href*='status={key}']").click()
    return subjects(page)


def submit_account_form(page: Page) -> None:
    with page.expect_navigation():
        page.locator("form.account-form button[type=submit]").first.click()


def log_in(page: Page, base_url: str, email: str, language: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(rf"/{language}/my/tickets/$"))


def account(email: str, name: str, language: str, organisation: Organisation | None = None) -> User:
    user = User.objects.create_user(email, password=PASSWORD, name=name, language=language, organisation=organisation)
    email_address_record(user=user, verified=True)
    return user


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_guest_signs_up_through_the_outbox_then_finds_replies_filters_and_searches_her_tickets(
    site, new_page, language: str, tmp_path
) -> None:
    email = "lea.martin@example.org"
    ticket = ticket_create(
        email=email,
        name="Léa Martin",
        subject="Scanner jams on page two",
        description="The paper tray makes a grinding noise.",
        language=language,
    )
    done = ticket_create(
        email=email, name="Léa Martin", subject="Toner order", description="Two cartridges please.", language=language
    )
    ticket_set_status(done, Status.SOLVED, actor=None)
    shot = tmp_path / "scanner.png"
    shot.write_bytes(png_bytes(32, 24))
    page = new_page(LOCALES[language])

    # She signs up with the address her tickets were opened with, as if it were new.
    page.goto(f"{site.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    before = last_mail()
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    submit_account_form(page)
    expect(page.locator("#error-summary")).to_have_count(0)
    assert "/accounts/signup/" not in page.url, page.url

    # The address was known from its tickets: the e-mail asks her to choose a password,
    # and following its link proves the address.
    follow_mailed_link(page, site.url, email, after=before, path=PASSWORD_LINK)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    submit_account_form(page)
    # Signed in by choosing her password, she lands on her tickets.
    page.wait_for_url(re.compile(rf"/{language}/my/tickets/$"))
    assert subjects(page) == ["Scanner jams on page two"]
    assert_accessible(page)

    assert show_tab(page, "done") == ["Toner order"]
    assert show_tab(page, "all") == ["Scanner jams on page two", "Toner order"]
    assert search(page, "xylophone") == []
    assert search(page, "grinding") == ["Scanner jams on page two"]
    assert search(page, "scanner") == ["Scanner jams on page two"]

    with page.expect_navigation():
        page.locator(".my-tickets-table .subject-cell a", has_text="Scanner jams on page two").click()
    assert page.url.endswith(f"/{language}/tickets/{ticket.reference}/"), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Scanner jams on page two")
    assert "The paper tray makes a grinding noise." in page.locator(".conversation").inner_text()
    assert_accessible(page)

    page.locator("textarea[name=body]").fill("Here is a photo of the jammed sheet.")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert "Here is a photo of the jammed sheet." in page.locator(".conversation").inner_text()
    expect(page.get_by_role("link", name=re.compile(r"scanner\.png"))).to_be_visible()
    assert_accessible(page)

    # Her own reply is searchable too.
    page.goto(f"{site.url}/{language}/my/tickets/?status=all")
    assert search(page, "jammed sheet") == ["Scanner jams on page two"]


def test_a_new_address_is_verified_with_a_code_read_in_the_outbox_and_lands_signed_in(site, new_page) -> None:
    email = "nina@example.org"
    page = new_page(LOCALES["fr"])
    page.goto(f"{site.url}/accounts/signup/")
    before = last_mail()
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    submit_account_form(page)

    # Not signed in yet: the page asks for the code mailed to the address.
    page.wait_for_url(f"**{CONFIRMATION_PAGE}")
    expect(page.locator(f"header a[href='{CONFIRMATION_PAGE}']")).to_have_count(0)
    assert_accessible(page)
    page.locator("#id_code").fill(read_code(page, email, after=before))
    submit_account_form(page)
    page.wait_for_url(re.compile(r"/fr/my/tickets/$"))
    expect(page.locator(".my-tickets-table")).to_have_count(0)  # nothing opened yet
    assert User.objects.get(email=email).language == "fr"


def read_code(page: Page, address: str, *, after: int) -> str:
    """The code of the e-mail, read in another tab, as in a webmail."""
    mailbox = page.context.new_page()
    mailbox.goto(f"{page.url.split('/accounts/')[0]}/dev/outbox/{caught_mail(address, after=after, wanted=CODE)}/")
    code = CODE.search(mailbox.locator("pre.email-text").inner_text())
    assert code is not None
    mailbox.close()
    return code.group(1)


def test_a_requester_signs_in_with_a_code_read_in_the_outbox(site, new_page) -> None:
    # Someone who only ever opened a ticket as a guest: no password, an unproven address.
    email = "theo@example.org"
    ticket_create(email=email, name="Théo", subject="Badge reader offline", description="Red light.", language="en")
    page = new_page(LOCALES["en"])

    page.goto(f"{site.url}/accounts/login/code/")
    before = last_mail()
    page.locator("#id_email").fill(email)
    submit_account_form(page)
    page.wait_for_url("**/accounts/login/code/confirm/")

    page.locator("#id_code").fill(read_code(page, email, after=before))
    submit_account_form(page)
    page.wait_for_url(re.compile(r"/en/my/tickets/$"))
    assert subjects(page) == ["Badge reader offline"]


def test_an_organisation_member_sees_a_colleague_s_ticket_and_an_outsider_does_not(site, new_page) -> None:
    language = "fr"
    organisation = Organisation.objects.create(name="Atelier Nord", shares_tickets=True)
    author = account("ines@atelier-nord.example", "Inès", language, organisation)
    account("marc@atelier-nord.example", "Marc", language, organisation)
    account("zoe@elsewhere.example", "Zoé", language)
    shared = ticket_create(
        email=author.email,
        name=author.name,
        subject="Shared plotter is offline",
        description="Nobody on the second floor can print plans.",
        language=language,
    )
    ticket_create(
        email="zoe@elsewhere.example", name="Zoé", subject="My own question", description="Hello.", language=language
    )
    shared_url = f"{site.url}/{language}/tickets/{shared.reference}/"

    outsider = new_page(LOCALES[language])
    log_in(outsider, site.url, "zoe@elsewhere.example", language)
    assert show_tab(outsider, "all") == ["My own question"]
    response = outsider.goto(shared_url)
    assert response is not None and response.status == 404
    assert "Nobody on the second floor" not in outsider.content()

    colleague = new_page(LOCALES[language])
    log_in(colleague, site.url, "marc@atelier-nord.example", language)
    response = colleague.goto(shared_url)
    assert response is not None and response.status == 200
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Shared plotter is offline")
    assert "Nobody on the second floor can print plans." in colleague.locator(".conversation").inner_text()
    assert_accessible(colleague)

    # A colleague's shared ticket is listed with one's own (here, none).
    colleague.goto(f"{site.url}/{language}/my/tickets/?status=all")
    assert subjects(colleague) == ["Shared plotter is offline"]
