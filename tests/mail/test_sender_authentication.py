"""comptoir.mail.authentication on its own: RFC 8601 headers, DKIM, DMARC records and alignment."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dns.message
import dns.rcode
import dns.rrset
import pytest

from comptoir.mail.authentication import (
    DnsFailure,
    MethodResult,
    SystemResolver,
    authenticate,
    dmarc_policy,
    organisational_domain,
    parse_authentication_results,
    trusted_results,
)
from tests.mail.dns import PublishedRecords, SigningDomain

RAW = b"From: Alice <alice@example.org>\r\nTo: support@comptoir.localhost\r\nSubject: Hello\r\n\r\nHi.\r\n"


def test_it_reads_an_authentication_results_header_with_comments_versions_and_quotes():
    value = (
        'mx.example.net 1; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom="alice@example.org";\r\n'
        " dkim/1=pass (2048-bit key) header.d=Example.ORG header.s=s2026 header.b=AbCd;\r\n"
        " dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org; arc=none"
    )

    results = parse_authentication_results(value)

    assert results is not None
    assert results.authserv_id == "mx.example.net"
    assert results.of("spf") == [MethodResult("spf", "pass", (("smtp.mailfrom", "alice@example.org"),))]
    [dkim] = results.of("dkim")
    assert (dkim.result, dkim.get("header.d"), dkim.get("header.s")) == ("pass", "example.org", "s2026")
    assert results.of("dmarc")[0].get("header.from") == "example.org"
    assert [result.method for result in results.results] == ["spf", "dkim", "dmarc", "arc"]


def test_a_semicolon_or_an_equals_sign_inside_a_comment_or_quotes_changes_nothing():
    results = parse_authentication_results('mx.example.net; dkim=fail (reason "a;b=c" (nested; x=y)) header.d=a.org')

    assert results is not None
    assert results.results == (MethodResult("dkim", "fail", (("header.d", "a.org"),)),)


def test_a_header_that_says_none_holds_no_result():
    results = parse_authentication_results("mx.example.net; none")

    assert results is not None and results.results == ()


def test_only_the_topmost_header_of_a_trusted_server_counts():
    values = [
        "mx.other.example; dmarc=pass header.from=example.org",
        "mx.example.net; dmarc=fail header.from=example.org",
        "mx.example.net; dmarc=pass header.from=example.org",  # came with the message
    ]

    found = trusted_results(values, {"MX.example.net."})

    assert found is not None and found.of("dmarc")[0].result == "fail"
    assert trusted_results(values, set()) is None


@pytest.mark.parametrize(
    ("domain", "organisation"),
    [("mail.example.co.uk", "example.co.uk"), ("a.b.example.org", "example.org"), ("example.org", "example.org")],
)
def test_the_organisational_domain_comes_from_the_public_suffix_list(domain, organisation):
    assert organisational_domain(domain) == organisation


def test_a_subdomain_without_a_record_takes_its_organisation_s_subdomain_policy(published_dns):
    published_dns["_dmarc.example.org"] = [b"v=DMARC1; p=none; sp=reject; adkim=s"]
    published_dns["_dmarc.other.example"] = [b"v=DMARC1; p=reject", b"v=DMARC1; p=none"]

    policy = dmarc_policy("mail.example.org", PublishedRecords())

    assert policy is not None
    assert (policy.domain, policy.policy) == ("example.org", "reject")
    assert (policy.strict_dkim, policy.strict_spf) == (True, False)
    assert dmarc_policy("other.example", PublishedRecords()) is None  # two records: as if none


def test_it_verifies_a_real_signature_and_names_what_fails(published_dns, example_org: SigningDomain):
    example_org.publish(published_dns)
    signed = example_org.sign(RAW)

    good = authenticate(signed, from_address="alice@example.org", trusted_ids=(), resolver=PublishedRecords())
    other = authenticate(signed, from_address="alice@example.net", trusted_ids=(), resolver=PublishedRecords())
    none = authenticate(RAW, from_address="alice@example.org", trusted_ids=(), resolver=PublishedRecords())

    assert (good.verified, good.dkim, good.dmarc, good.checked_by) == (True, "pass", "pass", "comptoir")
    assert (other.verified, other.dkim, other.dmarc) == (False, "pass", "fail")
    assert other.reason == "only example.org vouched for the message, not example.net"
    assert (none.verified, none.dkim) == (False, "none")
    assert none.reason == "no DKIM signature, and no trusted mail server checked the message"


def test_a_signature_covering_only_part_of_the_body_does_not_count(published_dns, example_org: SigningDomain):
    example_org.publish(published_dns)
    signed = example_org.sign(RAW).replace(b"DKIM-Signature: v=1;", b"DKIM-Signature: v=1; l=4;", 1)

    found = authenticate(signed, from_address="alice@example.org", trusted_ids=(), resolver=PublishedRecords())

    assert (found.verified, found.dkim) == (False, "neutral")
    assert "covers only part of the body" in found.reason


# --- The production resolver, against a DNS server on this machine ---------------------------


@contextmanager
def loopback_dns(zone: dict[str, list[str]], *, answers: bool = True) -> Iterator[tuple[int, list[str]]]:
    """A DNS server on 127.0.0.1 with the TXT records of ``zone`` (or silent); yields its port and what it was asked."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(0.1)
    asked: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = server.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            name = query.question[0].name
            asked.append(name.to_text().rstrip("."))
            if not answers:
                continue
            response = dns.message.make_response(query)
            if name.to_text().rstrip(".") in zone:
                response.answer.append(dns.rrset.from_text(name, 300, "IN", "TXT", *zone[name.to_text().rstrip(".")]))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            server.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], asked
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_the_system_resolver_joins_a_record_s_strings_and_keeps_answers_in_its_cache():
    zone = {"s1._domainkey.example.org": ['"v=DKIM1; k=rsa; " "p=MIIBIjANBg"']}
    with loopback_dns(zone) as (port, asked):
        resolver = SystemResolver(nameservers=["127.0.0.1"], port=port)

        first = resolver.txt("s1._domainkey.example.org")
        again = resolver.txt("s1._domainkey.example.org")
        missing = resolver.txt("_dmarc.example.org")

    assert first == again == [b"v=DKIM1; k=rsa; p=MIIBIjANBg"]
    assert missing == []
    assert asked.count("s1._domainkey.example.org") == 1


def test_the_system_resolver_gives_up_on_a_silent_server_after_its_timeout(settings):
    settings.COMPTOIR_DNS_TIMEOUT_SECONDS = 1
    with loopback_dns({}, answers=False) as (port, asked):
        resolver = SystemResolver(nameservers=["127.0.0.1"], port=port)
        started = time.monotonic()

        with pytest.raises(DnsFailure):
            resolver.txt("_dmarc.example.org")

    assert asked
    assert time.monotonic() - started < 5
