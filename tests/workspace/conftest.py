"""Fixtures shared by the workspace's tests."""

from __future__ import annotations

import pytest
from django.test import Client

from comptoir.accounts.models import Role, User


@pytest.fixture
def signed_in(client, agent):
    """A client signed in as the agent (modules that need another sign-in define their own)."""
    client.force_login(agent)
    return client


@pytest.fixture
def administrator(db) -> User:
    """An administrator: who keeps the workspace settings (service levels, rules)."""
    return User.objects.create_user("ada@example.com", name="Ada", role=Role.ADMIN)


@pytest.fixture
def as_admin(client, administrator) -> Client:
    client.force_login(administrator)
    return client
