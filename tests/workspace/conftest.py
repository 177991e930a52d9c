"""Fixtures shared by the workspace's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def signed_in(client, agent):
    """A client signed in as the agent (modules that need another sign-in define their own)."""
    client.force_login(agent)
    return client
