"""DNS as the tests publish it: the one thing from outside that the tests replace.

pyproject.toml names PublishedRecords as COMPTOIR_DNS_RESOLVER for every test
(commands run in a subprocess included), so no lookup ever leaves the machine:
a name exists only when a test published it with the ``published_dns`` fixture
(tests/mail/conftest.py).
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import ClassVar

import dkim

from comptoir.mail.authentication import DnsFailure


class PublishedRecords:
    """A Resolver (comptoir.mail.authentication) over the TXT records in ``zone``."""

    zone: ClassVar[dict[str, list[bytes]]] = {}
    # Set to make every lookup fail, as a DNS server that does not answer.
    unreachable: ClassVar[bool] = False
    lookups: ClassVar[list[str]] = []

    def txt(self, name: str) -> list[bytes]:
        normalised = name.lower().rstrip(".")
        self.lookups.append(normalised)
        if self.unreachable:
            raise DnsFailure(f"{normalised}: the DNS server did not answer")
        return list(self.zone.get(normalised, []))


class SigningDomain:
    """A domain that signs its mail with DKIM, with a fresh key made by openssl (not our code)."""

    def __init__(self, domain: str, folder: Path, selector: str = "s2026") -> None:
        self.domain = domain
        self.selector = selector
        key_file = folder / f"{domain}.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key_file), "2048"], check=True, capture_output=True)
        self.private_key = key_file.read_bytes()
        der = subprocess.run(
            ["openssl", "rsa", "-in", str(key_file), "-pubout", "-outform", "DER"], check=True, capture_output=True
        ).stdout
        self.key_record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

    def publish(self, zone: dict[str, list[bytes]], *, dmarc: bytes | None = b"v=DMARC1; p=reject") -> None:
        zone[f"{self.selector}._domainkey.{self.domain}"] = [self.key_record]
        if dmarc is not None:
            zone[f"_dmarc.{self.domain}"] = [dmarc]

    def sign(self, raw: bytes) -> bytes:
        """The message with this domain's DKIM-Signature on top, as its outgoing server would add it."""
        signature: bytes = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to"],
        )
        return signature + raw
