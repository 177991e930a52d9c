"""Fixtures of the e-mail tests: DNS as a test publishes it, and domains that sign their mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.dns import PublishedRecords, SigningDomain


@pytest.fixture
def published_dns() -> Iterator[dict[str, list[bytes]]]:
    """The zone a test publishes records in; emptied afterwards."""
    PublishedRecords.zone = {}
    PublishedRecords.lookups = []
    PublishedRecords.unreachable = False
    try:
        yield PublishedRecords.zone
    finally:
        PublishedRecords.zone = {}
        PublishedRecords.lookups = []
        PublishedRecords.unreachable = False


@pytest.fixture(scope="session")
def example_org(tmp_path_factory) -> SigningDomain:
    """example.org, Alice's domain, which signs its mail (its records are published by each test)."""
    return SigningDomain("example.org", tmp_path_factory.mktemp("dkim"))


@pytest.fixture(scope="session")
def evil_example(tmp_path_factory) -> SigningDomain:
    """A domain of the attacker's, which signs its mail as well as anyone."""
    return SigningDomain("evil.example", tmp_path_factory.mktemp("dkim"))
