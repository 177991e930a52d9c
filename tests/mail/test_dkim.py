"""DKIM signing with real keys, checked by dkimpy the way a receiving server checks it."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from dkim.util import parse_tag_value

from comptoir.mail.dkim import SIGNED_HEADERS, load_key
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.services import ticket_update_by_agent
from tests.conftest import ROOT, png_attachment

SELECTOR = "s2026"
DOMAIN = "exemple.fr"
RECORD_NAME = f"{SELECTOR}._domainkey.{DOMAIN}"


def generate_rsa_key(path: Path, bits: int = 2048, *, pkcs1: bool = False) -> Path:
    """A fresh RSA key, PKCS#8 as OpenSSL 3 writes it, or the older PKCS#1."""
    command = ["openssl", "genrsa", *(["-traditional"] if pkcs1 else []), "-out", str(path), str(bits)]
    subprocess.run(command, check=True, capture_output=True)
    return path


def published_record(key_file: Path) -> bytes:
    """The DKIM TXT record, with the public key as openssl derives it (not our code)."""
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(key_file), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def dns_with(name: str, record: bytes) -> Callable[..., bytes | None]:
    """A resolver for dkim.verify that knows one TXT record; no other name exists."""

    def lookup(query: bytes, timeout: int = 5) -> bytes | None:
        return record if query == f"{name}.".encode() else None

    return lookup


def configure_dkim(settings, key_file: Path | str) -> None:
    settings.COMPTOIR_SUPPORT_EMAIL = f"support@{DOMAIN}"
    settings.COMPTOIR_DKIM_DOMAIN = DOMAIN
    settings.COMPTOIR_DKIM_SELECTOR = SELECTOR
    settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE = str(key_file)


@pytest.fixture
def dkim_key(settings, tmp_path) -> Path:
    key_file = generate_rsa_key(tmp_path / "dkim.pem")
    configure_dkim(settings, key_file)
    return key_file


def sent_bytes(make_ticket, mailoutbox) -> bytes:
    """A ticket confirmation delivered for real, as the SMTP backend would serialise it."""
    make_ticket(subject="Problème d'accès à l'espace élève", language="fr")
    assert email_deliver(OutboundEmail.objects.get().pk) is True
    return bytes(mailoutbox[0].message().as_bytes(linesep="\r\n"))


@pytest.mark.django_db
@pytest.mark.parametrize("pkcs1", [False, True], ids=["pkcs8", "pkcs1"])
def test_it_signs_ticket_emails_so_that_a_receiver_verifies_them(settings, tmp_path, make_ticket, mailoutbox, pkcs1):
    key_file = generate_rsa_key(tmp_path / "dkim.pem", pkcs1=pkcs1)
    configure_dkim(settings, key_file)

    raw = sent_bytes(make_ticket, mailoutbox)

    assert dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, published_record(key_file)))
    signature = raw.split(b"\r\nDKIM-Signature:", 1)[1].split(b"\r\n\r\n", 1)[0]
    tags = parse_tag_value(b"".join(signature.split()))
    assert (tags[b"d"], tags[b"s"]) == (DOMAIN.encode(), SELECTOR.encode())
    assert (tags[b"a"], tags[b"c"]) == (b"rsa-sha256", b"relaxed/relaxed")
    assert tags[b"h"].decode().split(":") == [name.lower() for name in SIGNED_HEADERS]


@pytest.mark.django_db
def test_it_signs_an_agent_reply_with_its_thread_headers_and_a_file(dkim_key, make_ticket, agent, mailoutbox):
    ticket = make_ticket()
    assert email_deliver(OutboundEmail.objects.get().pk) is True
    ticket_update_by_agent(ticket, agent=agent, body="Voici le correctif.", files=[png_attachment()])
    assert email_deliver(OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY).pk) is True

    raw = bytes(mailoutbox[1].message().as_bytes(linesep="\r\n"))
    assert b"\r\nIn-Reply-To: " in raw
    assert b"\r\nReferences: " in raw
    assert b"Content-Type: multipart/mixed" in raw
    assert dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, published_record(dkim_key)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("original", "changed"),
    [(b"The export button does nothing.", b"The export button does anything."), (b"\r\nTo: ", b"\r\nTo: evil@x.org, ")],
    ids=["body", "to-header"],
)
def test_a_changed_message_fails_verification(dkim_key, make_ticket, mailoutbox, original, changed):
    raw = sent_bytes(make_ticket, mailoutbox)
    dns = dns_with(RECORD_NAME, published_record(dkim_key))
    assert dkim.verify(raw, dnsfunc=dns)
    assert original in raw
    assert not dkim.verify(raw.replace(original, changed, 1), dnsfunc=dns)


@pytest.mark.django_db
def test_a_signature_does_not_verify_against_another_key(dkim_key, tmp_path, make_ticket, mailoutbox):
    raw = sent_bytes(make_ticket, mailoutbox)
    other = published_record(generate_rsa_key(tmp_path / "other.pem"))
    assert not dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, other))


@pytest.mark.django_db
def test_nothing_is_signed_without_a_key(settings, make_ticket, mailoutbox):
    settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE = ""
    raw = sent_bytes(make_ticket, mailoutbox)
    assert b"DKIM-Signature" not in raw
    assert b"\r\nDate: " in raw


def test_it_publishes_the_public_key_openssl_derives(tmp_path):
    key_file = generate_rsa_key(tmp_path / "dkim.pem")
    assert load_key(str(key_file)).dns_record.encode() == published_record(key_file)


@pytest.mark.django_db
def test_it_reads_the_key_once_per_process(dkim_key, make_ticket, mailoutbox):
    load_key(str(dkim_key))
    record = published_record(dkim_key)
    dkim_key.unlink()
    raw = sent_bytes(make_ticket, mailoutbox)
    assert dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, record))


def broken_key(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A key file that cannot sign, and what the error must say about it."""
    path = tmp_path / "dkim.pem"
    if kind == "missing":
        return path, "cannot read the DKIM key (No such file or directory)"
    if kind == "garbage":
        path.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        return path, "not an unencrypted RSA private key in PEM form"
    generate_rsa_key(path, bits=512)
    return path, "a 512-bit key is too short"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["missing", "garbage", "short"])
def test_a_key_that_cannot_sign_keeps_the_email_queued_with_the_reason(settings, tmp_path, make_ticket, kind):
    path, reason = broken_key(tmp_path, kind)
    configure_dkim(settings, path)
    make_ticket()
    email = OutboundEmail.objects.get()
    with pytest.raises(ImproperlyConfigured, match=re.escape(reason)):
        email_deliver(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundStatus.QUEUED
    assert f"COMPTOIR_DKIM_PRIVATE_KEY_FILE={path}" in email.last_error
    assert reason in email.last_error


def check_email() -> str:
    out = io.StringIO()
    call_command("check_email", stdout=out)
    return out.getvalue()


def quoted_value(output: str, name: str) -> bytes:
    """The TXT value printed for a name, its 255-character strings joined again."""
    line = next(line for line in output.splitlines() if line.strip().startswith(f"{name}. IN TXT "))
    return "".join(re.findall(r'"([^"]*)"', line)).encode()


def test_check_email_prints_the_three_records_and_passes_with_a_good_key(dkim_key):
    output = check_email()
    assert quoted_value(output, DOMAIN) == b"v=spf1 mx ~all"
    assert quoted_value(output, RECORD_NAME) == published_record(dkim_key)
    assert quoted_value(output, f"_dmarc.{DOMAIN}") == (
        b"v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:dmarc-reports@exemple.fr"
    )
    assert "ok    a sample e-mail signed with the key verifies against the DKIM record above" in output
    assert "FAIL" not in output


def test_check_email_accepts_a_parent_domain_with_relaxed_alignment(dkim_key, settings):
    settings.COMPTOIR_SUPPORT_EMAIL = "support@aide.exemple.fr"
    output = check_email()
    assert quoted_value(output, RECORD_NAME) == published_record(dkim_key)
    assert "adkim=r;" in output
    assert "align (relaxed)" in output


def test_check_email_fails_when_the_dkim_domain_does_not_align(dkim_key, settings):
    settings.COMPTOIR_DKIM_DOMAIN = "autre-domaine.org"
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 check"):
        call_command("check_email", stdout=out)
    assert "FAIL  the From domain exemple.fr and the DKIM domain autre-domaine.org" in out.getvalue()


@pytest.mark.parametrize("kind", ["missing", "garbage", "short"])
def test_check_email_fails_with_a_key_that_cannot_sign(settings, tmp_path, kind):
    path, reason = broken_key(tmp_path, kind)
    configure_dkim(settings, path)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 check"):
        call_command("check_email", stdout=out)
    assert reason in out.getvalue()
    assert "._domainkey." not in out.getvalue()


def test_check_email_explains_how_to_make_a_key_when_there_is_none(settings):
    settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE = ""
    output = check_email()
    assert "No key is configured" in output
    assert "openssl genrsa -out dkim.pem 2048" in output


def test_check_email_exits_non_zero_from_the_command_line(tmp_path):
    environment = {**os.environ, "COMPTOIR_DKIM_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check_email"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stderr
    assert "cannot read the DKIM key" in result.stdout
