"""The link to an attached file, on the requester's and the agent's ticket pages: the name alone is its text.

A space between the paper clip and the name, inside the link, was underlined before the name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from comptoir.tickets.models import Attachment
from tests.conftest import png_attachment

pytestmark = pytest.mark.django_db


def test_the_file_link_holds_the_icon_then_the_name_with_no_space_to_underline(make_ticket):
    ticket = make_ticket(files=[png_attachment("shot of the error.png")])
    attachment = Attachment.objects.get()

    with translation.override("en"):
        html = render_to_string("includes/message_attachments.html", {"message": attachment.message, "ticket": ticket})

    (link,) = re.findall(r'<a href="[^"]+" download>(.*?)</a>', html, re.DOTALL)
    icon, text = link.split("</span>", 1)
    assert icon.startswith('<span class="file-icon"><svg')
    assert text == "shot of the error.png"


def test_both_ticket_pages_show_the_files_through_that_template():
    for page in ("tickets/detail.html", "workspace/ticket.html"):
        template = Path(__file__).resolve().parents[2] / "comptoir" / "templates" / page
        assert '{% include "includes/message_attachments.html" %}' in template.read_text(encoding="utf-8")
