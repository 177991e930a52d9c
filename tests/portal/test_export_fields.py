"""The customer's copy of their data holds the values of the ticket fields they see, never agents' fields."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.portal.export import requester_data_export
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.services import ticket_values_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(requester) -> User:
    email_address_record(user=requester, verified=True)
    return requester


def _archive(user: User, language: str) -> zipfile.ZipFile:
    with translation.override(language), requester_data_export(user=user) as output:
        return zipfile.ZipFile(io.BytesIO(output.read()))


def test_the_fields_customers_see_are_in_the_ticket_and_its_text_in_the_reader_s_language(verified, make_ticket, plan):
    internal = TicketField.objects.create(
        key="risk", kind=FieldKind.TEXT, label_fr="Risque", label_en="Risk", visible_to_customers=False
    )
    ticket = make_ticket()
    ticket_values_record(ticket=ticket, values={plan: "pro", internal: "churn likely"})

    archive = _archive(verified, "fr")

    record = json.loads(archive.read(f"tickets/{ticket.reference}/ticket.json"))
    assert record["fields"] == [{"key": "plan", "label": "Formule", "value": "pro", "shown": "Professionnelle"}]
    text = archive.read(f"tickets/{ticket.reference}/conversation.txt").decode()
    assert "Formule: Professionnelle" in text
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"churn likely" not in everything
    assert b"Risque" not in everything


def test_a_ticket_without_values_has_an_empty_list(verified, make_ticket, plan):
    ticket = make_ticket()

    record = json.loads(_archive(verified, "en").read(f"tickets/{ticket.reference}/ticket.json"))

    assert record["fields"] == []
