"""DKIM signing of outgoing e-mail (dkimpy), driven by settings.

When COMPTOIR_DKIM_PRIVATE_KEY_FILE names an RSA key, every e-mail built by
render_email carries a DKIM-Signature computed over the very bytes Django's SMTP
backend sends. Without a key nothing is signed: a relay or an e-mail service
may sign instead.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText

# What a reader sees and a relay has no business changing. Listing a header the
# message does not have (Cc, In-Reply-To...) is deliberate: nobody can add it
# later without breaking the signature. From is listed twice so that a second
# From cannot be added either (RFC 6376, section 8.15).
SIGNED_HEADERS = (
    "From",
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Auto-Submitted",
    "Reply-To",
)
# Receivers ignore shorter keys (RFC 8301).
MIN_KEY_BITS = 1024
GENERATE_KEY_COMMAND = "openssl genrsa -out dkim.pem 2048"


@dataclass(frozen=True)
class DkimKey:
    pem: bytes
    bits: int
    # Base64 SubjectPublicKeyInfo: the p= of the DNS record, as `openssl rsa -pubout` writes it.
    public_key: str

    @property
    def dns_record(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


def dns_record_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def configured_key() -> DkimKey | None:
    """The configured signing key, or None when signing is off."""
    path = settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE
    return load_key(path) if path else None


@functools.cache
def load_key(path: str) -> DkimKey:
    """Read and check a PEM RSA private key, once per process and path.

    A failure is not cached: fixing the file is enough, without a restart.
    """
    try:
        with open(path, "rb") as handle:
            # dkimpy only finds the base64 between lines ending in a bare LF.
            pem = handle.read().replace(b"\r\n", b"\n")
    except OSError as error:
        raise ImproperlyConfigured(
            f"COMPTOIR_DKIM_PRIVATE_KEY_FILE={path}: cannot read the DKIM key ({error.strerror})"
        ) from error
    # Imported where used: dkimpy brings dnspython, megabytes a web process without a key never needs.
    from dkim.crypto import parse_pem_private_key  # type: ignore[import-untyped]

    try:
        parsed = parse_pem_private_key(pem)
    except Exception as error:  # dkimpy's ASN.1 parser fails on junk in several ways
        raise ImproperlyConfigured(
            f"COMPTOIR_DKIM_PRIVATE_KEY_FILE={path}: not an unencrypted RSA private key in PEM form "
            f"(ed25519 is not supported: dkimpy needs PyNaCl for it). Generate one with: {GENERATE_KEY_COMMAND}"
        ) from error
    modulus, exponent = int(parsed["modulus"]), int(parsed["publicExponent"])
    if modulus.bit_length() < MIN_KEY_BITS:
        raise ImproperlyConfigured(
            f"COMPTOIR_DKIM_PRIVATE_KEY_FILE={path}: a {modulus.bit_length()}-bit key is too short, "
            f"receivers ignore DKIM keys under {MIN_KEY_BITS} bits. Generate one with: {GENERATE_KEY_COMMAND}"
        )
    public_key = base64.b64encode(_rsa_subject_public_key_info(modulus, exponent)).decode("ascii")
    return DkimKey(pem=pem, bits=modulus.bit_length(), public_key=public_key)


def dkim_signature(message: bytes, *, key: DkimKey, selector: str, domain: str) -> str:
    """The DKIM-Signature header value for these exact bytes, on one line."""
    import dkim  # type: ignore[import-untyped]  # where used, as in load_key

    header: bytes = dkim.sign(
        message,
        selector.encode("ascii"),
        domain.encode("idna"),
        key.pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[name.lower().encode("ascii") for name in SIGNED_HEADERS],
        linesep=b"\r\n",
    )
    # dkimpy folds the header, but Django refuses line breaks in header values.
    # Unfolded, the email package folds it again on output, only at spaces:
    # relaxed canonicalisation ignores that, and b= ignores all whitespace.
    value = header.decode("ascii").partition(":")[2]
    return " ".join(value.split())


class DkimEmail(EmailMultiAlternatives):
    """An e-mail that signs itself with DKIM when a key is configured."""

    def message(self) -> SafeMIMEText | SafeMIMEMultipart:
        message: SafeMIMEText | SafeMIMEMultipart = super().message()
        key = configured_key()
        if key is not None:
            # Django's SMTP backend sends message.as_bytes(linesep="\r\n"): sign
            # exactly those bytes. Adding the header afterwards changes no other
            # byte (the multipart boundary is fixed by the first serialisation).
            # It goes last as the email package cannot prepend; verifiers do
            # not mind where it is.
            message["DKIM-Signature"] = dkim_signature(
                message.as_bytes(linesep="\r\n"),
                key=key,
                selector=settings.COMPTOIR_DKIM_SELECTOR,
                domain=settings.COMPTOIR_DKIM_DOMAIN,
            )
        return message


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_integer(number: int) -> bytes:
    # DER integers are signed: one more byte than the bits need keeps the top bit clear.
    return _der(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big"))


# AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
_RSA_ALGORITHM = _der(0x30, bytes.fromhex("06092a864886f70d010101") + bytes.fromhex("0500"))


def _rsa_subject_public_key_info(modulus: int, exponent: int) -> bytes:
    # dkimpy's own ASN.1 builder has no INTEGER nor BIT STRING, hence these few lines.
    rsa_public_key = _der(0x30, _der_integer(modulus) + _der_integer(exponent))
    return _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\x00" + rsa_public_key))
