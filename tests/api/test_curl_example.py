"""The README's curl example opens a ticket with a file: run as written, with curl, against a live server.

Issue 18: "README and docs/api.md: a curl example that creates a ticket with
a file". An example nobody runs rots; this one is run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Attachment, Channel, Ticket
from tests.api.conftest import token_for
from tests.conftest import png_bytes

README = Path(__file__).resolve().parents[2] / "README.md"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SITE = "https://help.example.com"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


def curl_with_a_file(text: str) -> str:
    """The shell block that opens a ticket with ``-F files=@…``."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    found = [block for block in blocks if "-F files=@" in block and "/api/v1/tickets/ " in block]
    assert len(found) == 1, found
    return found[0]


def test_the_readme_and_the_guide_give_the_same_example():
    assert curl_with_a_file(README.read_text()) == curl_with_a_file(DOCS.read_text())


def test_the_readme_s_curl_example_opens_a_ticket_with_its_file(live_server, tmp_path):
    agent = User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT)
    command = curl_with_a_file(README.read_text()).replace(SITE, live_server.url)
    (tmp_path / "screenshot.png").write_bytes(png_bytes())

    done = subprocess.run(
        ["bash", "-c", "curl --silent --show-error --fail-with-body " + command.removeprefix("curl ")],
        cwd=tmp_path,
        env={"COMPTOIR_TOKEN": token_for(agent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.requester.email, ticket.channel) == (
        "Invoice missing",
        "claire@example.org",
        Channel.API,
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("screenshot.png", "image/png")
    assert attachment.file.read() == png_bytes()
