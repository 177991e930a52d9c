"""Fixtures shared by the customer-side tests."""

from tests.ticketforms.fixtures import plan, plan_choices  # noqa: F401 (fixtures for the tests here)
