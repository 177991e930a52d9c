"""Ticket fields the tests of several areas (rules, service levels, reports) set up alike.

Import the fixtures into a folder's conftest.py (``from tests.ticketforms.fixtures import plan, seats  # noqa: F401``):
each test there then asks for them by name. A test module that needs other labels overrides ``plan_choices``.
"""

from __future__ import annotations

import pytest

from comptoir.ticketforms.models import FieldKind, TicketField

# [key, French label, English label] of each choice, as TicketField.choices keeps them.
Choices = list[list[str]]


@pytest.fixture
def plan_choices() -> Choices:
    return [["pro", "Professionnelle", "Professional"], ["free", "Gratuite", "Free"]]


@pytest.fixture
def plan(db, plan_choices: Choices) -> TicketField:
    """A drop-down, "Plan" ("Formule"): pro or free."""
    return TicketField.objects.create(
        key="plan", kind=FieldKind.DROPDOWN, label_fr="Formule", label_en="Plan", choices=plan_choices
    )


@pytest.fixture
def seats(db) -> TicketField:
    """A number, "Seats" ("Postes")."""
    return TicketField.objects.create(key="seats", kind=FieldKind.NUMBER, label_fr="Postes", label_en="Seats")


@pytest.fixture
def product(db) -> TicketField:
    """A drop-down, "Product" ("Produit"), one of whose keys is not in lower case: printer or scanner."""
    return TicketField.objects.create(
        key="product",
        kind=FieldKind.DROPDOWN,
        label_fr="Produit",
        label_en="Product",
        choices=[["Printer", "Imprimante", "Printer"], ["scanner", "Scanner", "Scanner"]],
    )


@pytest.fixture
def vip(db) -> TicketField:
    """A checkbox, "VIP"."""
    return TicketField.objects.create(key="vip", kind=FieldKind.CHECKBOX, label_fr="VIP", label_en="VIP")


def product_and_browser() -> tuple[TicketField, TicketField]:
    """A bug report's two fields: "Product" (web or mobile app, required) and "Browser", asked and required
    only when the product is the web app."""
    product = TicketField.objects.create(
        key="product",
        kind=FieldKind.DROPDOWN,
        label_en="Product",
        label_fr="Produit",
        choices=[["web", "Application web", "Web app"], ["mobile", "Application mobile", "Mobile app"]],
        required=True,
    )
    browser = TicketField.objects.create(
        key="browser",
        kind=FieldKind.TEXT,
        label_en="Browser",
        label_fr="Navigateur",
        required=True,
        shown_when_field=product,
        shown_when_value="web",
    )
    return product, browser
