"""`make screenshots`, agent side: the workspace list, a ticket, and the survey page, in French and English."""

from __future__ import annotations

import os

import pytest

from comptoir.accounts.models import Role, User
from comptoir.gateway.inbound import ingest
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.tickets.models import Macro, Priority, Status, SupportGroup
from comptoir.tickets.satisfaction import survey_issue_token, survey_url
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent
from tests.browser.conftest import ROOT, assert_accessible
from tests.conftest import png_attachment
from tests.mail.test_ingest import raw_message

pytestmark = [pytest.mark.browser, pytest.mark.screenshots]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_workspace_screenshots(site, new_page, make_ticket, language):
    folder = ROOT / os.environ.get("COMPTOIR_SCREENSHOTS", "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    agent = User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    User.objects.create_user("sam@example.com", password="pw-sam", name="Sam", role=Role.AGENT)
    group = SupportGroup.objects.create(name="Support")
    Macro.objects.create(title="Ask for details", body="Hello {requester_name}, …", status=Status.PENDING)
    french = language == "fr"
    subjects = (
        ["Export CSV en panne", "Facture introuvable", "Idée : mode sombre", "Connexion impossible"]
        if french
        else ["CSV export broken", "Cannot find my invoice", "Idea: dark mode", "Cannot log in"]
    )
    tickets = [
        make_ticket(email=f"client{i}@example.org", subject=subject, language=language, files=[png_attachment()])
        for i, subject in enumerate(subjects)
    ]
    main = tickets[0]
    ticket_update_by_agent(
        main,
        agent=agent,
        body="Pourriez-vous nous envoyer le fichier ?" if french else "Could you send us the file?",
        status=Status.PENDING,
        priority=Priority.HIGH,
        group=group,
        assignee=agent,
    )
    ticket_reply_by_requester(
        ticket=main,
        body="Voici le fichier." if french else "Here is the file.",
        channel="web",
        files=[png_attachment()],
    )
    ticket_update_by_agent(
        main, agent=agent, is_public=False, body="Bug connu, corrigé en 4.2." if french else "Known bug, fixed in 4.2."
    )
    solved = tickets[1]
    ticket_update_by_agent(solved, agent=agent, body="…", status=Status.SOLVED)
    OutboundEmail.objects.filter(kind=OutboundKind.TICKET_SOLVED).delete()
    stranger = ingest(
        raw_message(
            sender="Dana Colleague <dana@example.org>",
            subject=f"Re: [#{main.reference}] {main.subject}",
            body=("Même souci de mon côté." if french else "Same problem on my side.").encode(),
            message_id="<dana-screenshot@example.org>",
        ),
        source="imap:support",
    )

    page = new_page("fr-FR" if french else "en-GB")

    def shoot(name: str, url: str | None = None) -> None:
        if url:
            page.goto(url)
        assert_accessible(page)
        page.screenshot(path=str(folder / f"{name}.{language}.png"), full_page=True)

    page.goto(f"{site.url}/accounts/login/")
    page.locator("input[name=login]").fill("camille@example.com")
    page.locator("input[name=password]").fill("pw-camille")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"**/{language}/agent/**")
    shoot("agent-list", f"{site.url}/{language}/agent/?view=all")
    shoot("agent-ticket", f"{site.url}/{language}/agent/tickets/{main.reference}/")
    shoot("agent-quarantine", f"{site.url}/{language}/agent/mail/quarantine/")
    shoot("agent-inbound-email", f"{site.url}/{language}/agent/mail/{stranger.pk}/")
    # What an agent is told where their role does not reach: the editor, an administrator's settings.
    User.objects.create_user("alex@example.com", name="Alex Admin", role=Role.ADMIN)
    shoot("refused-editor", f"{site.url}/{language}/agent/articles/")
    shoot("refused-settings", f"{site.url}/{language}/agent/settings/rules/")
    # A laptop's screen and a phone's: the shell stays whole at 1366 px and usable at 390 px.
    page.set_viewport_size({"width": 1366, "height": 768})
    shoot("agent-list-laptop", f"{site.url}/{language}/agent/?view=all")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("agent-list-phone", f"{site.url}/{language}/agent/?view=all")
    shoot("agent-ticket-phone", f"{site.url}/{language}/agent/tickets/{main.reference}/")
    page.set_viewport_size({"width": 1280, "height": 900})
    survey = solved.surveys.get()
    shoot("survey", survey_url(survey_issue_token(survey), language))
