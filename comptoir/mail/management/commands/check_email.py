"""Print the DNS records that make our e-mail trusted, and check what we can offline.

Nothing is looked up in DNS: the command says what to publish, computed from
the settings, and proves the DKIM key signs mail that verifies against the
record it prints. Checking what is actually published is the job of the
operator's DNS tools (or of a test message to a mailbox that shows the
Authentication-Results).
"""

from __future__ import annotations

from typing import Any

import dkim  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from comptoir.mail.dkim import GENERATE_KEY_COMMAND, DkimEmail, DkimKey, configured_key, dns_record_name

# Zone files cut TXT values in strings of at most 255 characters.
TXT_STRING_MAX = 255
RECOMMENDED_KEY_BITS = 2048


def txt_line(name: str, value: str) -> str:
    """The record as a zone-file line (web DNS editors want the value alone)."""
    strings = " ".join(f'"{value[i : i + TXT_STRING_MAX]}"' for i in range(0, len(value), TXT_STRING_MAX))
    return f"{name}. IN TXT {strings}"


def alignment(from_domain: str, dkim_domain: str) -> str:
    """DMARC alignment of the two domains: "strict", "relaxed" or "" (none).

    Relaxed means one is a subdomain of the other. Without the public suffix
    list this also accepts d=co.uk for example.co.uk, which nobody can sign for.
    """
    if from_domain == dkim_domain:
        return "strict"
    if from_domain.endswith(f".{dkim_domain}") or dkim_domain.endswith(f".{from_domain}"):
        return "relaxed"
    return ""


class Command(BaseCommand):
    help = (
        "Print the SPF, DKIM and DMARC records to publish for the domain of COMPTOIR_SUPPORT_EMAIL "
        "and check the DKIM key and domain alignment, offline."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        support = settings.COMPTOIR_SUPPORT_EMAIL
        domain = support.rpartition("@")[2].lower()
        dkim_domain = settings.COMPTOIR_DKIM_DOMAIN
        selector = settings.COMPTOIR_DKIM_SELECTOR
        failures = 0

        self.stdout.write(f"DNS records for {domain} (COMPTOIR_SUPPORT_EMAIL={support}); nothing was looked up.\n")

        self.stdout.write("SPF: the servers allowed to send mail for the domain")
        self.stdout.write("  " + txt_line(domain, "v=spf1 mx ~all"))
        relay = f" (EMAIL_HOST={settings.EMAIL_HOST})" if settings.EMAIL_HOST else ""
        self.stdout.write(
            f"  If mail leaves through a server that is not an MX of {domain}{relay}, add it before ~all:\n"
            '  "a:<host name>" for your own relay, "include:<their SPF domain>" for an e-mail provider.\n'
        )

        self.stdout.write(f'DKIM: the public key of selector "{selector}"')
        key: DkimKey | None = None
        key_error = ""
        try:
            key = configured_key()
        except ImproperlyConfigured as error:
            key_error = str(error)
            self.stdout.write("  No record: the configured key cannot be used (see Checks).\n")
        if key is not None:
            self.stdout.write("  " + txt_line(dns_record_name(selector, dkim_domain), key.dns_record) + "\n")
        elif not key_error:
            self.stdout.write(
                "  No key is configured: e-mails are not signed. Generate one, point\n"
                f"  COMPTOIR_DKIM_PRIVATE_KEY_FILE at it and run this command again:\n    {GENERATE_KEY_COMMAND}\n"
            )

        aligned = alignment(domain, dkim_domain)
        self.stdout.write("DMARC: what receivers do with mail that fails SPF and DKIM for the From domain")
        adkim = "r" if aligned == "relaxed" else "s"
        record = f"v=DMARC1; p=quarantine; adkim={adkim}; aspf=s; rua=mailto:dmarc-reports@{domain}"
        self.stdout.write("  " + txt_line(f"_dmarc.{domain}", record))
        self.stdout.write(
            "  rua= receives daily aggregate reports: use a mailbox you read. While testing, p=none\n"
            "  reports without affecting delivery.\n"
        )

        self.stdout.write("Checks")
        if key_error:
            self._fail(key_error)
            failures += 1
        elif key is None:
            self.stdout.write("  skip  no DKIM key is configured: e-mails are not signed")
        elif not self._check_signature(key, selector=selector, domain=dkim_domain, sender=support):
            failures += 1
        if aligned:
            self._ok(f"the From domain {domain} and the DKIM domain {dkim_domain} align ({aligned})")
        else:
            self._fail(
                f"the From domain {domain} and the DKIM domain {dkim_domain} (COMPTOIR_DKIM_DOMAIN) do not align: "
                "DMARC ignores the signature. Use the same domain or one of its subdomains."
            )
            failures += 1

        if failures:
            raise CommandError(f"{failures} check(s) failed.")

    def _check_signature(self, key: DkimKey, *, selector: str, domain: str, sender: str) -> bool:
        if key.bits < RECOMMENDED_KEY_BITS:
            self._ok(f"the DKIM key loads ({key.bits}-bit RSA; {RECOMMENDED_KEY_BITS} bits are recommended)")
        else:
            self._ok(f"the DKIM key loads ({key.bits}-bit RSA)")
        sample = DkimEmail(subject="check_email", body="Test.\n", from_email=sender, to=[sender])
        signed = sample.message().as_bytes(linesep="\r\n")
        expected_name = f"{dns_record_name(selector, domain)}.".encode("idna")

        def published(name: bytes, timeout: int = 5) -> bytes | None:
            return key.dns_record.encode("ascii") if name == expected_name else None

        if dkim.verify(signed, dnsfunc=published):
            self._ok("a sample e-mail signed with the key verifies against the DKIM record above")
            return True
        self._fail("a sample e-mail signed with the key does not verify against the DKIM record above")
        return False

    def _ok(self, text: str) -> None:
        self.stdout.write(self.style.SUCCESS("  ok    ") + text)

    def _fail(self, text: str) -> None:
        self.stdout.write(self.style.ERROR("  FAIL  ") + text)
