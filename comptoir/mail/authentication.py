"""Who vouches for an inbound message's From domain: SPF, DKIM and DMARC, with a reason in plain words.

Two sources, never mixed:

- a mail server Comptoir trusts (the MTA that pipes mail in, or an IMAP
  mailbox marked so in the admin) already checked the message and wrote an
  ``Authentication-Results`` header (RFC 8601) under its authserv-id: the
  topmost such header is read; any other is ignored, since anyone can write
  one into a message;
- otherwise Comptoir verifies the DKIM signatures itself (dkimpy).

Either way the question is DMARC's: does an SPF or DKIM pass for a domain
*aligned* with the From domain vouch for it? Aligned means the same
organisational domain (``mail.example.org`` and ``example.org``), or the very
same domain when the domain's DMARC record asks for strict alignment.

Pure apart from DNS, which goes through a ``Resolver``: the system's, with a
short timeout and a small cache, in production (COMPTOIR_DNS_RESOLVER); the
records a test publishes in tests.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from email import policy as email_policy
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string
from publicsuffixlist import PublicSuffixList

# dkimpy and dnspython (megabytes) are imported where mail is checked, not by every web
# process that loads the inbound gateway's URLs (bench/README.md, compare_helpdesk's memory).
if TYPE_CHECKING:
    import dkim  # type: ignore[import-untyped]
    import dns.resolver

# The name Comptoir writes as "checked by" when it verified the signatures itself.
SELF_CHECKED = "comptoir"
# Bounds on the work one message can cause: signatures verified (each a DNS
# lookup and a pass over the body), headers one signature may cover.
MAX_SIGNATURES = 5
MAX_SIGNED_HEADERS = 64
MAX_AUTHENTICATION_RESULTS = 20
_MAX_HEADER_BLOCK = 1_000_000

# dkimpy logs every bad signature at error level; the result carries the reason instead.
_DKIMPY_LOG = logging.getLogger(f"{__name__}.dkimpy")
_DKIMPY_LOG.setLevel(logging.CRITICAL)


# DNS -----------------------------------------------------------------------------


class DnsFailure(Exception):
    """DNS could not say (a timeout, no server answered): a temporary error, not an answer."""


class Resolver(Protocol):
    def txt(self, name: str) -> list[bytes]:
        """The TXT records at ``name``, each one's strings joined; [] when there are none. Raises DnsFailure."""
        ...


class SystemResolver:
    """The system's DNS servers (resolv.conf), or the ones given; COMPTOIR_DNS_TIMEOUT_SECONDS per lookup; a cache."""

    CACHE_ENTRIES = 512

    def __init__(self, nameservers: Sequence[str] = (), port: int = 53) -> None:
        self._nameservers = list(nameservers)
        self._port = port
        self._resolver: dns.resolver.Resolver | None = None

    def _dns(self) -> dns.resolver.Resolver:
        import dns.resolver

        if self._resolver is None:
            resolver = dns.resolver.Resolver(configure=not self._nameservers)
            if self._nameservers:
                resolver.nameservers = self._nameservers
                resolver.port = self._port
            resolver.lifetime = float(settings.COMPTOIR_DNS_TIMEOUT_SECONDS)
            # Bounded, and each answer kept no longer than its TTL.
            resolver.cache = dns.resolver.LRUCache(self.CACHE_ENTRIES)
            self._resolver = resolver
        return self._resolver

    def txt(self, name: str) -> list[bytes]:
        import dns.exception
        import dns.resolver

        try:
            answer = self._dns().resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, ValueError, UnicodeError) as error:
            raise DnsFailure(f"{name}: {error}") from error
        return [b"".join(record.strings) for record in answer]


@functools.cache
def _resolver(path: str) -> Resolver:
    return cast(Resolver, import_string(path)())


def configured_resolver() -> Resolver:
    """The process's resolver, named by COMPTOIR_DNS_RESOLVER; built once so that its cache lasts."""
    return _resolver(settings.COMPTOIR_DNS_RESOLVER)


# Domains and alignment -------------------------------------------------------------


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def ascii_domain(domain: str) -> str:
    """A domain lowercased, without the final dot, in its ASCII (IDNA) form when it has one."""
    lowered = domain.strip().lower().rstrip(".")
    try:
        return lowered.encode("idna").decode("ascii")
    except UnicodeError:
        return lowered


def organisational_domain(domain: str) -> str:
    """The registered domain (``example.co.uk`` for ``mail.example.co.uk``), by the Public Suffix List."""
    return _public_suffixes().privatesuffix(domain) or domain


def aligned(domain: str, from_domain: str, *, strict: bool) -> bool:
    """DMARC identifier alignment (RFC 7489, 3.1)."""
    if strict:
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


# The result ----------------------------------------------------------------------


@dataclass(frozen=True)
class SenderAuthentication:
    """What is known of the sender: RFC 8601 results ("" when unknown) and why it is or is not verified."""

    verified: bool
    spf: str = ""
    dkim: str = ""
    dmarc: str = ""
    # The authserv-id of the trusted server whose results these are, or SELF_CHECKED.
    checked_by: str = ""
    reason: str = ""


def unverified(reason: str, *, dmarc: str = "") -> SenderAuthentication:
    return SenderAuthentication(verified=False, dmarc=dmarc, reason=reason)


def authenticate(
    raw: bytes, *, from_address: str, trusted_ids: Collection[str], resolver: Resolver
) -> SenderAuthentication:
    """Check who vouches for the From domain of ``raw``; never raises for what the message holds."""
    from_domain = ascii_domain(from_address.rpartition("@")[2])
    if not from_domain:
        return unverified("the message has no From domain to check")
    trusted = trusted_results(header_values(raw, "authentication-results"), trusted_ids) if trusted_ids else None
    try:
        if trusted is not None:
            return _from_trusted_server(trusted, from_domain, resolver)
        return _self_checked(raw, from_domain, resolver)
    except DnsFailure as error:
        return SenderAuthentication(
            verified=False,
            dmarc="temperror",
            checked_by=trusted.authserv_id if trusted is not None else SELF_CHECKED,
            reason=f"DNS did not answer ({error}), so the sender could not be checked",
        )


def header_values(raw: bytes, name: str) -> list[str]:
    """The raw values of one header field, from the top of the message down."""
    end = re.search(rb"\r?\n\r?\n", raw[:_MAX_HEADER_BLOCK])
    block = raw[: end.end()] if end else raw[:_MAX_HEADER_BLOCK]
    try:
        message = BytesHeaderParser(policy=email_policy.compat32).parsebytes(block)
    except Exception:
        return []
    return [str(value) for value in message.get_all(name, [])]


# Authentication-Results (RFC 8601) ---------------------------------------------------


@dataclass(frozen=True)
class MethodResult:
    method: str
    result: str
    # ptype.property -> value, e.g. "header.d" -> "example.org".
    properties: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        return next((value for key, value in self.properties if key == name), "")


@dataclass(frozen=True)
class AuthenticationResults:
    authserv_id: str
    results: tuple[MethodResult, ...]

    def of(self, method: str) -> list[MethodResult]:
        return [result for result in self.results if result.method == method]


_PAIR = re.compile(r'([A-Za-z0-9_.-]+)\s*(?:/\s*[0-9]+\s*)?=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)')


def _without_comments(value: str) -> str:
    """The value with its (nested) comments blanked out, quoted strings kept: linear."""
    kept: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == "(":
            depth += 1
            continue
        elif char == ")" and depth:
            depth -= 1
            continue
        elif char == '"' and not depth:
            quoted = True
        if not depth:
            kept.append(char)
    return "".join(kept)


def _split_outside_quotes(value: str) -> list[str]:
    parts, start, quoted, escaped = [], 0, False, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def parse_authentication_results(value: str) -> AuthenticationResults | None:
    """One Authentication-Results header value, or None when it is not one."""
    text = " ".join(_without_comments(value[:8192]).split())
    head, *resinfos = _split_outside_quotes(text)
    words = head.split()
    if not words:
        return None
    results: list[MethodResult] = []
    for resinfo in resinfos:
        pairs = [(key.lower(), raw.strip('"')) for key, raw in _PAIR.findall(resinfo)]
        if not pairs:
            continue  # "none": no method was checked
        (method, result), rest = pairs[0], pairs[1:]
        properties = tuple((key, found.lower()) for key, found in rest if "." in key)
        results.append(MethodResult(method, result.lower(), properties))
    return AuthenticationResults(words[0].strip('"').lower().rstrip("."), tuple(results))


def trusted_results(values: Sequence[str], trusted_ids: Collection[str]) -> AuthenticationResults | None:
    """The topmost header written under a trusted authserv-id.

    A server adds its header on top and must remove any bearing its own id
    from incoming mail (RFC 8601, section 5); the first found is the one it wrote.
    """
    trusted = {identifier.lower().rstrip(".") for identifier in trusted_ids}
    for value in values[:MAX_AUTHENTICATION_RESULTS]:
        parsed = parse_authentication_results(value)
        if parsed is not None and parsed.authserv_id in trusted:
            return parsed
    return None


def _domain_of(identity: str) -> str:
    return ascii_domain(identity.rpartition("@")[2])


def _from_trusted_server(results: AuthenticationResults, from_domain: str, resolver: Resolver) -> SenderAuthentication:
    server = results.authserv_id
    spf = next(iter(results.of("spf")), None)
    dkims = results.of("dkim")
    dmarc = next(iter(results.of("dmarc")), None)
    found = SenderAuthentication(
        verified=False,
        spf=spf.result if spf else "",
        dkim=_summary([check.result for check in dkims]),
        dmarc=dmarc.result if dmarc else "",
        checked_by=server,
    )
    if dmarc is not None and dmarc.result != "none":
        checked_domain = _domain_of(dmarc.get("header.from")) if dmarc.get("header.from") else from_domain
        if checked_domain != from_domain:
            reason = f"{server} checked DMARC for {checked_domain}, but the From address is at {from_domain}"
            return replace(found, verified=False, reason=reason)
        verdict = "passes" if dmarc.result == "pass" else f"gives {dmarc.result}"
        return replace(found, verified=dmarc.result == "pass", reason=f"{server}: DMARC {verdict} for {from_domain}")
    # The server checked SPF and DKIM but not DMARC: the alignment is ours to judge.
    dkim_passes = [_domain_of(c.get("header.d") or c.get("header.i")) for c in dkims if c.result == "pass"]
    spf_domain = _domain_of(spf.get("smtp.mailfrom") or spf.get("smtp.helo")) if spf and spf.result == "pass" else ""
    dmarc_result, reason = _alignment(from_domain, dkim_passes, spf_domain, resolver)
    return replace(found, verified=dmarc_result == "pass", dmarc=dmarc_result, reason=f"{server}: {reason}")


def _summary(results: Sequence[str]) -> str:
    if not results:
        return "none"
    return "pass" if "pass" in results else results[0]


# DKIM, checked by Comptoir ------------------------------------------------------------


@dataclass(frozen=True)
class DkimCheck:
    domain: str
    result: str
    detail: str


def verify_dkim(raw: bytes, resolver: Resolver) -> list[DkimCheck]:
    """Each DKIM signature of the message (the first MAX_SIGNATURES), verified."""
    import dkim

    try:
        signer = dkim.DKIM(raw, logger=_DKIMPY_LOG, minkey=1024)
    except Exception:
        return []
    signatures = [value for name, value in signer.headers if name.lower() == b"dkim-signature"]
    return [_verify_one(signer, index, value, resolver) for index, value in enumerate(signatures[:MAX_SIGNATURES])]


def _verify_one(signer: dkim.DKIM, index: int, value: bytes, resolver: Resolver) -> DkimCheck:
    import dkim
    from dkim.util import InvalidTagValueList, parse_tag_value  # type: ignore[import-untyped]

    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList:
        return DkimCheck("", "permerror", "a DKIM-Signature header that cannot be read")
    domain = ascii_domain(tags.get(b"d", b"").decode("ascii", "replace"))
    if b"l" in tags:
        return DkimCheck(domain, "neutral", f"the DKIM signature of {domain} covers only part of the body")
    if len(tags.get(b"h", b"").split(b":")) > MAX_SIGNED_HEADERS:
        return DkimCheck(domain, "permerror", f"the DKIM signature of {domain} covers too many headers")
    keys: list[bytes | None] = []

    def key_lookup(name: bytes, timeout: int = 5) -> bytes | None:
        records = resolver.txt(name.decode("ascii", "replace").rstrip("."))
        keys.append(records[0] if records else None)
        return keys[-1]

    try:
        valid = signer.verify(idx=index, dnsfunc=key_lookup)
    except DnsFailure as error:
        return DkimCheck(domain, "temperror", f"the DKIM key of {domain} could not be looked up ({error})")
    except dkim.ValidationError as error:
        return DkimCheck(domain, "fail", f"the DKIM signature of {domain} does not verify ({error})")
    except dkim.DKIMException as error:
        return DkimCheck(domain, "permerror", f"the DKIM signature of {domain} is unusable ({error})")
    if valid:
        return DkimCheck(domain, "pass", f"a valid DKIM signature of {domain}")
    if keys and keys[-1] is None:
        selector = tags.get(b"s", b"").decode("ascii", "replace")
        return DkimCheck(domain, "permerror", f"{domain} publishes no DKIM key for selector {selector}")
    return DkimCheck(domain, "fail", f"the DKIM signature of {domain} does not verify")


def _self_checked(raw: bytes, from_domain: str, resolver: Resolver) -> SenderAuthentication:
    checks = verify_dkim(raw, resolver)
    passes = [check.domain for check in checks if check.result == "pass"]
    dmarc_result, reason = _alignment(from_domain, passes, "", resolver)
    if dmarc_result != "pass" and not checks:
        reason = "no DKIM signature, and no trusted mail server checked the message"
    elif dmarc_result != "pass" and not passes:
        reason = "; ".join(check.detail for check in checks)
        if any(check.result == "temperror" for check in checks):
            dmarc_result = "temperror"
    return SenderAuthentication(
        verified=dmarc_result == "pass",
        dkim=_summary([check.result for check in checks]),
        dmarc=dmarc_result,
        checked_by=SELF_CHECKED,
        reason=reason,
    )


# DMARC --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DmarcPolicy:
    domain: str
    policy: str
    strict_dkim: bool
    strict_spf: bool


def dmarc_policy(from_domain: str, resolver: Resolver) -> DmarcPolicy | None:
    """The DMARC record for the From domain, or for its organisational domain (RFC 7489, 6.6.3)."""
    organisation = organisational_domain(from_domain)
    for domain in dict.fromkeys((from_domain, organisation)):
        records = [record for record in resolver.txt(f"_dmarc.{domain}") if record.startswith(b"v=DMARC1")]
        if len(records) == 1:
            return _parse_dmarc(domain, records[0], inherited=domain != from_domain)
        if records:
            return None  # several records: as if none (RFC 7489, 6.6.3)
    return None


def _parse_dmarc(domain: str, record: bytes, *, inherited: bool) -> DmarcPolicy | None:
    from dkim.util import InvalidTagValueList, parse_tag_value

    try:
        tags = {key.lower(): value.lower() for key, value in parse_tag_value(record).items()}
    except InvalidTagValueList:
        return None
    policy = tags.get(b"sp", tags.get(b"p", b"none")) if inherited else tags.get(b"p", b"none")
    return DmarcPolicy(
        domain=domain,
        policy=policy.decode("ascii", "replace"),
        strict_dkim=tags.get(b"adkim") == b"s",
        strict_spf=tags.get(b"aspf") == b"s",
    )


def _alignment(from_domain: str, dkim_domains: Sequence[str], spf_domain: str, resolver: Resolver) -> tuple[str, str]:
    """DMARC's verdict from the domains SPF and DKIM vouched for: ("pass" or "fail", why)."""
    candidates = [(domain, "DKIM") for domain in dkim_domains if domain] + ([(spf_domain, "SPF")] if spf_domain else [])
    exact = next((method for domain, method in candidates if domain == from_domain), None)
    if exact is not None:
        return "pass", f"{exact} vouches for {from_domain}"
    relaxed = [(domain, method) for domain, method in candidates if aligned(domain, from_domain, strict=False)]
    if not relaxed:
        others = ", ".join(sorted({domain for domain, _ in candidates}))
        if others:
            return "fail", f"only {others} vouched for the message, not {from_domain}"
        return "fail", f"nothing vouches for {from_domain}"
    # Relaxed alignment only: whether it counts is the domain's choice.
    policy = dmarc_policy(from_domain, resolver)
    for domain, method in relaxed:
        strict = policy is not None and (policy.strict_dkim if method == "DKIM" else policy.strict_spf)
        if not strict:
            return "pass", f"{method} vouches for {domain}, the same organisation as {from_domain}"
    return "fail", f"{from_domain} asks for strict alignment, and only {relaxed[0][0]} vouched for the message"
