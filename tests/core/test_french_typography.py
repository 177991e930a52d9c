"""French typography on every French page and e-mail (issue 22, "Words and typography").

In French a narrow no-break space (U+202F) comes before ``:`` ``;`` ``?`` ``!`` and
inside « », so that the mark never starts a line; a no-break space (U+00A0, what
Django's and allauth's own catalogues use) passes too. An ordinary space or no
space at all is a fault. The pages are found by walking the URL resolver, as the
access matrix does (tests/portal/test_access_matrix.py), so that a page added
tomorrow is read the day it is added; every kind of e-mail is built in French.
What a person typed (messages, code, text areas) and what is not words (URLs,
addresses, times such as 18:30, search syntax such as status:open) is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation
from django.utils.safestring import mark_safe

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record
from comptoir.core.typography import NBSP, NNBSP, colon, file_size, french_spacing, in_sentence
from comptoir.devoutbox.models import CapturedEmail
from comptoir.helpcenter.demo import load_demo_content
from comptoir.helpcenter.models import Article, Category, Section
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import email_deliver, email_queue
from comptoir.rules.models import Rule
from comptoir.sla.models import BusinessSchedule, SlaPolicy
from comptoir.ticketforms.models import FieldKind, TicketField, TicketForm
from comptoir.ticketforms.services import form_fields_set, ticket_values_update
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Channel, Message, Priority, Status, SupportGroup, Survey, Ticket, TicketCC
from comptoir.tickets.satisfaction import survey_issue_token
from comptoir.tickets.services import ticket_add_ccs, ticket_create, ticket_reply_by_requester, ticket_update_by_agent
from comptoir.webhooks.models import Webhook, WebhookDelivery
from comptoir.webhooks.services import secret_new
from comptoir.workspace.models import BulkJob, SavedView, Visibility
from tests.conftest import account_mail_delivered, png_attachment, png_bytes, stored_inbound_email
from tests.mail.test_ingest import with_attachments

pytestmark = pytest.mark.django_db

# --- The checker ------------------------------------------------------------------------------

SPACES_BEFORE = (NNBSP, NBSP)
# Not words: what people typed or code (kept as written), keys on a keyboard, drawings.
UNREAD_ELEMENTS = {"script", "style", "pre", "code", "textarea", "kbd", "svg", "template"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK_ELEMENTS = {
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "legend", "li",
    "main", "nav", "ol", "option", "p", "section", "summary", "table", "td", "th", "title", "tr", "ul",
}  # fmt: skip
# Attributes a person reads or hears (a tooltip, a screen reader's label, a field's example).
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
NOT_WORDS = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bmailto:\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# A mark is punctuation when a space, the end or a closing quote follows it: "18:30", "https://",
# "status:open", "?page=2" and "tag:…" are not.
MARK = re.compile(r"[:;?!](?=\s|$|[»”\"])")


class _PageReader(HTMLParser):
    """The words of a page as a reader gets them: text and read attributes, less code and other languages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._unread: list[str] = []  # the open elements being skipped, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._unread:
            if tag == self._unread[0] and tag not in VOID_ELEMENTS:
                self._unread.append(tag)
            return
        attributes = {name: value or "" for name, value in attrs}
        in_another_language = not attributes.get("lang", "fr").lower().startswith("fr")
        # translate="no": data shown as it is (an e-mail's headers), not words of the page.
        if tag in UNREAD_ELEMENTS or in_another_language or attributes.get("translate") == "no":
            if tag not in VOID_ELEMENTS:
                self._unread.append(tag)
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(f"\n{attributes[name]}\n")
        if tag in BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._unread:
            if tag == self._unread[0]:
                self._unread.pop()
            return
        if tag in BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._unread:
            self.parts.append(data)


def page_words(html: str) -> str:
    reader = _PageReader()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts)


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[max(start - 30, 0) : end + 20].split())


def typography_faults(text: str) -> list[str]:
    """Each place where ``text`` (words, not markup) breaks French spacing, with its surroundings."""
    text = NOT_WORDS.sub(" ", text)
    faults = []
    for match in MARK.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        # "?!" takes its space once, before the first mark.
        if before not in SPACES_BEFORE and before not in ":;?!":
            faults.append(f"{match.group()!r} without a narrow no-break space: …{_snippet(text, *match.span())}…")
    for match in re.finditer("«", text):
        if text[match.end() : match.end() + 1] not in SPACES_BEFORE:
            faults.append(f"'«' without a narrow no-break space: …{_snippet(text, *match.span())}…")
    for match in re.finditer("»", text):
        if text[match.start() - 1 : match.start()] not in SPACES_BEFORE:
            faults.append(f"'»' without a narrow no-break space: …{_snippet(text, *match.span())}…")
    return faults


def page_faults(html: str) -> list[str]:
    return typography_faults(page_words(html))


# --- The checker can fail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "Changement de statut: Ouvert",
        "Votre adresse e-mail : Ce champ est obligatoire.",
        "Pourquoi ?",
        "Attention!",
        "un ; deux",
        f"le lien «Nouveau ticket{NNBSP}»",
        f"le lien «{NNBSP}Nouveau ticket »",
    ],
)
def test_the_checker_finds_a_seeded_fault(bad):
    assert len(typography_faults(bad)) == 1
    assert len(page_faults(f"<p>Bonjour.</p><p>{bad}</p>")) == 1


@pytest.mark.parametrize(
    "good",
    [
        f"Changement de statut{NNBSP}: Ouvert",
        f"Pourquoi{NNBSP}?! Attention{NNBSP}! un{NNBSP}; deux",
        f"le lien «{NNBSP}Nouveau ticket{NNBSP}» et «{NBSP}Aide{NBSP}»",
        "Ouvert de 09:00 à 18:30, voir https://example.org/a?b=c ou écrire à support@example.org",
        f"Rechercher{NNBSP}: mots, #1042, status:open, tag:…",
    ],
)
def test_the_checker_passes_good_french(good):
    assert typography_faults(good) == []


def test_the_checker_reads_words_not_markup_code_or_other_languages():
    html = (
        '<a href="/x?a=b" title="Aide : ici">Statut</a>: ouvert'
        "<pre>Subject: raw header</pre><textarea>Typed: as is</textarea><kbd>?</kbd><dd translate=no>a; b</dd>"
        '<script>if (a) { b(); }</script><span lang="en">English: fine</span>'
    )
    assert page_words(html).split() == ["Aide", ":", "ici", "Statut:", "ouvert"]
    assert [fault.split(" without")[0] for fault in page_faults(html)] == ["':'", "':'"]


# --- The helpers the pages use ----------------------------------------------------------------


def test_french_spacing_spaces_runtime_text_in_french_only():
    assert (
        french_spacing("Statut: Ouvert; « ok » ?", "fr") == f"Statut{NNBSP}: Ouvert{NNBSP}; «{NNBSP}ok{NNBSP}»{NNBSP}?"
    )
    assert french_spacing("Statut: Ouvert?", "en") == "Statut: Ouvert?"
    assert french_spacing("18:30 https://example.org/?a=b status:open", "fr") == (
        "18:30 https://example.org/?a=b status:open"
    )


def test_french_spacing_leaves_markup_alone():
    html = mark_safe(
        '<a href="https://x.test/?a=b" title="t: u">Statut</a>: x &amp; y &#x27;z&#x27;: <code>a : b</code>'
    )
    spaced = french_spacing(html, "fr")
    assert spaced == (
        f'<a href="https://x.test/?a=b" title="t: u">Statut</a>{NNBSP}: x &amp; y &#x27;z&#x27;{NNBSP}: '
        "<code>a : b</code>"
    )
    assert hasattr(spaced, "__html__")


def test_the_colon_after_a_label_and_a_language_inside_a_sentence():
    assert (colon("fr"), colon("en")) == (f"{NNBSP}:", ":")
    assert (in_sentence("Anglais", "fr"), in_sentence("English", "en"), in_sentence("PDF", "fr")) == (
        "anglais",
        "English",
        "PDF",
    )


@pytest.mark.parametrize(
    ("size", "french", "english"),
    [
        (1, "1 octet", "1 byte"),
        (500, "500 octets", "500 bytes"),
        (16 * 1024, "16 Ko", "16 KB"),
        (1536 * 1024, "1,5 Mo", "1.5 MB"),
        (50 * 1024 * 1024, "50 Mo", "50 MB"),
        (3 * 1024**3, "3 Go", "3 GB"),
        # No trailing zero (issue 22): "5 MB", not "5.0 MB"; a half stays.
        (5 * 1024 * 1024, "5 Mo", "5 MB"),
        (1024 * 1024 + 1, "1 Mo", "1 MB"),
        (int(9.5 * 1024), "9,5 Ko", "9.5 KB"),
        (int(9.96 * 1024), "10 Ko", "10 KB"),
        (int(10.6 * 1024), "11 Ko", "11 KB"),
    ],
)
def test_file_sizes_read_in_the_readers_language(size, french, english):
    assert file_size(size, "fr") == french.replace(" ", NBSP)
    assert file_size(size, "en") == english.replace(" ", NBSP)


# --- A help desk with something on every page -------------------------------------------------


@dataclass
class Desk:
    requester: User
    agent: User
    administrator: User
    ticket: Ticket
    values: dict[str, object]


@pytest.fixture
def desk(db) -> Desk:
    load_demo_content()
    agent = User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT, language="fr")
    administrator = User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN, language="fr")
    group = SupportGroup.objects.create(name="Facturation")
    ticket = ticket_create(
        email="alice@example.org",
        name="Alice Martin",
        subject="Export impossible",
        description="Le bouton Exporter ne fait rien.",
        language="fr",
        files=[png_attachment("capture.png")],
    )
    requester = ticket.requester
    requester.language = "fr"
    requester.save(update_fields=["language"])
    email_address_record(user=requester, verified=True)
    # A history with a line of every common kind: fields, tags, a note, replies both ways, solved.
    ticket_update_by_agent(
        ticket,
        agent=agent,
        body="Quel navigateur utilisez-vous",
        status=Status.PENDING,
        priority=Priority.HIGH,
        assignee=agent,
        group=group,
        add_tags=["export", "pdf"],
        files=[png_attachment("journal.png")],
    )
    ticket_update_by_agent(ticket, agent=agent, body="Journal du serveur", is_public=False, remove_tags=["pdf"])
    ticket_reply_by_requester(ticket=ticket, body="Firefox", channel=Channel.WEB)
    ticket_add_ccs(ticket, [("dana@example.org", "Dana")], actor=agent)
    ticket_update_by_agent(ticket, agent=agent, body="Corrigé dans la version 4.3", status=Status.SOLVED)
    ticket.refresh_from_db()
    raw = with_attachments([("capture.png", "image/png", png_bytes())])
    schedule = BusinessSchedule.objects.create(name="Bureau")
    bulk_job = BulkJob.objects.create(agent=administrator, ticket_ids=[ticket.pk])
    article = Article.objects.get(key="how-to-open-a-support-ticket")
    values: dict[str, object] = {
        "reference": ticket.reference,
        "cc_id": TicketCC.objects.get(ticket=ticket).pk,
        "attachment_id": ticket.attachments.filter(message__is_public=True).first().pk,
        "index": 0,
        "language": "fr",
        "job_id": bulk_job.pk,
        "schedule_id": schedule.pk,
        "policy_id": SlaPolicy.objects.create(name="Standard", schedule=schedule).pk,
        "rule_id": Rule.objects.create(
            name="Factures", events=["created"], actions=[{"action": "add_tags", "value": "facture"}]
        ).pk,
        "token": survey_issue_token(Survey.objects.get(ticket=ticket)),
        "uidb36": "0",
        "key": "expired-key",
        "article": article,
        "category": Category.objects.order_by("position").first(),
        "section": Section.objects.get(pk=article.section_id),
        "inbound": stored_inbound_email(raw, dedup_key="mid:x", source="test"),
        "captured": CapturedEmail.objects.create(
            subject="Nouvelle réponse", from_address="support@example.com", to_addresses="alice@example.org", raw=raw
        ),
        "saved_view": SavedView.objects.create(
            name="Les miens", owner=agent, visibility=Visibility.EVERYONE, params="view=all"
        ),
    }
    webhook = Webhook.objects.create(
        url="https://crm.example.com/hooks", event_types=["ticket.created"], secret=secret_new(), owner=administrator
    )
    values["webhook_id"] = webhook.pk
    values["delivery_id"] = WebhookDelivery.objects.create(
        webhook=webhook, ticket_id=ticket.pk, event_type="ticket.created", message_id="msg_1", body="{}",
        created_at=ticket.created_at,
    ).pk  # fmt: skip
    # A ticket field and a form that asks it (comptoir.ticketforms), its value changed by the agent: the
    # settings pages, the form, and a history line.
    order = TicketField.objects.create(
        key="commande", kind=FieldKind.PATTERN, pattern=r"CMD-\d{6}", label_fr="Numéro de commande", label_en="Order"
    )
    billing = TicketForm.objects.create(slug="facturation", title_fr="Question de facturation", title_en="Billing")
    form_fields_set(form=billing, fields=[order])
    ticket_values_update(ticket=ticket, values={order: "CMD-123456"}, actor=agent)
    values["field_id"], values["form_id"] = order.pk, billing.pk
    return Desk(requester=requester, agent=agent, administrator=administrator, ticket=ticket, values=values)


# --- Every page -------------------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def walk(patterns: Sequence[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route; the language prefix is written {lang}/."""
    for entry in patterns:
        route = "{lang}/" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + route)
        else:
            yield prefix + route, entry


ROUTES = sorted(
    (route, entry)
    for route, entry in walk(get_resolver().url_patterns)
    if route.startswith(("{lang}/", "accounts/", "t/", "dev/outbox/"))
)
BY_NAME = {entry.name: (route, entry) for route, entry in ROUTES}


def address(route: str, entry: URLPattern, desk: Desk) -> tuple[str, bool]:
    """The page's French address, its path arguments filled with real objects (False: not all of them)."""
    values = dict(desk.values)
    module = entry.callback.__module__
    # A "pk" and a "slug" name whatever the view is about.
    if module == "comptoir.helpcenter.views":
        about = {"category_detail": "category", "section_detail": "section"}.get(entry.name, "article")
        values["pk"] = values[about].pk  # type: ignore[attr-defined]
        values["slug"] = "x"  # the page sends the reader on to the right one
    pk_by_module = {
        "comptoir.editor.views": values["article"].pk,  # type: ignore[attr-defined]
        "comptoir.workspace.mail_views": values["inbound"].pk,  # type: ignore[attr-defined]
        "comptoir.workspace.view_views": values["saved_view"].pk,  # type: ignore[attr-defined]
        "comptoir.devoutbox.views": values["captured"].pk,  # type: ignore[attr-defined]
    }
    values.setdefault("pk", pk_by_module.get(module))
    if entry.name == "ticket_link_redeem":
        values["token"] = link_issue(desk.ticket)
    arguments = ARGUMENT.findall(route)
    # Without a real object, 1: enough for a page that takes only POST (see the walk).
    kwargs = {argument: values[argument] if values.get(argument) is not None else 1 for argument in arguments}
    with translation.override("fr"):
        return reverse(entry.name, kwargs=kwargs), all(values.get(argument) is not None for argument in arguments)


def french_client(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    if user is not None:
        client.force_login(user)
    return client


# A page, or a form sent back with its errors (400).
ANSWERED = {200, 400}


def read(
    client: Client, url: str, faults: dict[str, list[str]], *, data: dict | None = None, statuses: set[int] = ANSWERED
) -> bool:
    """GET (or POST ``data``) the page, following redirects; note its faults. False when it is no French page."""
    response = client.post(url, data, follow=True) if data is not None else client.get(url, follow=True)
    if response.status_code not in statuses or not response["Content-Type"].startswith("text/html"):
        return False
    html = response.content.decode()
    # A whole page says its language; a piece that htmx puts into one does not.
    assert "<html" not in html[:500] or 'lang="fr"' in html[:500], f"{url} is not in French"
    found = page_faults(html)
    if found:
        faults[f"{'POST' if data is not None else 'GET'} {url}"] = found
    return True


def report(faults: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}\n    " + "\n    ".join(found) for page, found in faults.items())


# Forms sent, for the pages that answer them: error summaries (sent wrong), a confirmation.
FORM_ANSWERS = [
    ("anonymous", "ticket_new", {"email": "not an address"}),
    ("anonymous", "link_request", {"email": "not an address"}),
    ("anonymous", "account_login", {"login": "alice@example.org", "password": "wrong"}),
    ("anonymous", "account_signup", {"email": "not an address"}),
    ("anonymous", "account_reset_password", {"email": "not an address"}),
    ("anonymous", "account_request_login_code", {"email": "not an address"}),
    ("requester", "ticket_reply", {"body": ""}),
    ("requester", "profile", {"name": "x" * 500}),
    ("administrator", "agent_ticket_new", {}),
    ("administrator", "editor_article_new", {}),
    ("administrator", "agent_sla_schedule_new", {"name": ""}),
    ("administrator", "agent_sla_policy_new", {"name": ""}),
    ("administrator", "agent_rule_new", {"name": ""}),
    ("administrator", "agent_bulk_update", {"every": "1", "params": "view=all", "status": "solved"}),
]


def test_every_french_page_spaces_its_punctuation(desk, settings):
    clients = {
        "anonymous": french_client(),
        "requester": french_client(desk.requester),
        "administrator": french_client(desk.administrator),
    }
    faults: dict[str, list[str]] = {}
    # The pages that say no (as in production: DEBUG shows Django's own).
    assert read(clients["anonymous"], "/fr/no-such-page/", faults, statuses={404})
    assert read(clients["requester"], address(*BY_NAME["agent_tickets"], desk)[0], faults, statuses={403})
    settings.DEBUG = True  # the development outbox is a page too
    read_pages: set[str] = set()
    for route, entry in ROUTES:
        url, real = address(route, entry, desk)
        if not real:
            # Only a page that takes nothing but POST does without a real object: GET never reaches it.
            refused = clients["administrator"].get(url).status_code
            assert refused == 405, f"{entry.name}: no real object for {route}; add one to the desk"
            continue
        staff_side = route.startswith(("{lang}/agent/", "dev/", "accounts/2fa/", "accounts/email/"))
        for who in ("administrator",) if staff_side else ("anonymous", "requester"):
            if read(clients[who], url, faults):
                read_pages.add(entry.name)
    for who, name, data in FORM_ANSWERS:
        url, _real = address(*BY_NAME[name], desk)
        assert read(clients[who], url, faults, data=data), f"{name}: the form's answer is no French page"
    # The walk really read the pages, with their objects: the test cannot pass by reading nothing.
    assert {
        "home", "category_detail", "section_detail", "article_detail", "search", "ticket_new", "link_request",
        "ticket_detail", "survey", "my_tickets", "profile", "statuses_help", "account_login", "account_signup",
        "agent_tickets", "agent_ticket", "editor_article", "agent_inbound", "agent_quarantine", "agent_sla_settings",
        "agent_rules_settings", "agent_notices", "outbox_detail",
    } <= read_pages  # fmt: skip
    assert not faults, f"{len(faults)} French pages break French typography:\n{report(faults)}"


# --- Every e-mail -----------------------------------------------------------------------------

TICKET_KINDS = [kind for kind in OutboundKind if kind != OutboundKind.ACCOUNT]
AGENT_KINDS = {kind for kind in TICKET_KINDS if kind.startswith("agent_") and kind != OutboundKind.AGENT_REPLY_CC} | {
    OutboundKind.REQUESTER_REPLIED
}


def test_every_french_e_mail_spaces_its_punctuation(desk):
    ticket = desk.ticket
    reply = Message.objects.filter(ticket=ticket, is_public=True, author=desk.agent).order_by("pk").first()
    for kind in TICKET_KINDS:
        agent_side = kind in AGENT_KINDS
        email_queue(
            kind=kind,
            to=desk.agent.email if agent_side else desk.requester.email,
            language="fr",
            ticket_id=ticket.pk,
            message_id=reply.pk if reply else None,
        )
    # With the e-mails the desk's own history queued, all in French.
    for pk in OutboundEmail.objects.exclude(kind=OutboundKind.ACCOUNT).order_by("pk").values_list("pk", flat=True):
        email_deliver(pk)
    assert set(OutboundEmail.objects.filter(status=OutboundStatus.SENT).values_list("kind", flat=True)) == set(
        TICKET_KINDS
    )
    sent_kinds = len(mail.outbox)
    # Account e-mails, as allauth writes them in French: a new account, an address already known,
    # a password reset, an unknown address, a sign-in code, and the offer of an account from a ticket.
    anonymous = french_client()
    with translation.override("fr"):
        anonymous.post(reverse("account_signup"), {"email": "new@example.org", "password1": "x" * 20})
        anonymous.post(reverse("account_reset_password"), {"email": desk.requester.email})
        anonymous.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
        anonymous.post(reverse("account_request_login_code"), {"email": desk.requester.email})
        guest = french_client()
        guest.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
        guest.post(reverse("ticket_account", args=[ticket.reference]))
    account_mail_delivered()
    assert len(mail.outbox) - sent_kinds >= 4, "the account e-mails were not all written"
    faults: dict[str, list[str]] = {}
    for message in mail.outbox:
        found = typography_faults(message.subject)
        found += page_faults(message.body) if message.content_subtype == "html" else typography_faults(message.body)
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                found += page_faults(str(content))
        if found:
            faults[f"{message.subject} ({message.to[0]})"] = found
    assert not faults, f"{len(faults)} French e-mails break French typography:\n{report(faults)}"


# --- Words, not only spaces -------------------------------------------------------------------


def test_sizes_read_in_french_on_the_form_and_on_the_ticket(desk):
    # The desk has a ticket form (comptoir.ticketforms): the customer picks it first, then sees the files.
    form = french_client().get(address(*BY_NAME["ticket_new"], desk)[0] + "?form=facturation").content.decode()
    # A unit after a number, not two letters anywhere (the CSRF token is random letters).
    assert f"50{NBSP}Mo" in form and not re.search(r"\d[\s\xa0]?MB\b", form)
    assert 'data-unit-kb="Ko"' in form
    ticket_page = french_client(desk.requester).get(address(*BY_NAME["ticket_detail"], desk)[0]).content.decode()
    size = desk.ticket.attachments.filter(message__is_public=True).first().size
    assert f"({size}{NBSP}octets)" in ticket_page and "Kio" not in ticket_page


def test_a_language_named_inside_a_french_sentence_is_in_lower_case(desk):
    desk.values["language"] = "en"
    page = french_client(desk.administrator).get(address(*BY_NAME["editor_article"], desk)[0]).content.decode()
    assert "Article en anglais" in page and "en Anglais" not in page
