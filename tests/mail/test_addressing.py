"""Signed Message-IDs, signed reply addresses and subject tags (comptoir.mail.addressing).

Pure functions of the settings: no database. The support address is the test
default, support@comptoir.localhost.
"""

from __future__ import annotations

import re

import pytest

from comptoir.mail.addressing import (
    Check,
    Reference,
    check_message_id,
    check_reply_address,
    is_own_address,
    reply_address,
    subject_tag_references,
    ticket_message_id,
)

OLD_KEY = "test-only-old-secret-key-before-rotation-0b6e1f2a9c8d7e6f5a4b3c2d1e0f"
NEW_KEY = "test-only-new-secret-key-after-rotation-7a1c9e3b5d2f4a6c8e0b1d3f5a7c"


def other_base32_char(char: str) -> str:
    """A different character of the signature alphabet (a-z, 2-7)."""
    return "b" if char == "a" else "a"


def changed_signature(value: str, at: int) -> str:
    """The value with the signature character at `at` (counted from the signature's start) replaced."""
    return value[:at] + other_base32_char(value[at]) + value[at + 1 :]


# --- Message-IDs ------------------------------------------------------------------


def test_it_reads_back_the_ticket_from_its_own_message_id():
    message_id = ticket_message_id(1042)

    assert re.fullmatch(r"cpt\.1042\.[0-9a-f]{16}\.[a-z2-7]{26}@comptoir\.localhost", message_id)
    assert check_message_id(message_id) == Reference(Check.VALID, 1042)
    # As it appears in In-Reply-To and References.
    assert check_message_id(f"<{message_id}>") == Reference(Check.VALID, 1042)


def test_it_makes_a_new_message_id_for_every_email():
    assert ticket_message_id(1042) != ticket_message_id(1042)


def test_it_flags_a_message_id_whose_reference_was_changed_as_forged():
    message_id = ticket_message_id(1042)

    tampered = message_id.replace("cpt.1042.", "cpt.1043.", 1)

    assert check_message_id(tampered) == Reference(Check.FORGED, 1043)


def test_it_flags_a_message_id_whose_nonce_was_changed_as_forged():
    message_id = ticket_message_id(1042)
    nonce_start = len("cpt.1042.")
    nonce_char = message_id[nonce_start]
    tampered = message_id[:nonce_start] + ("1" if nonce_char == "0" else "0") + message_id[nonce_start + 1 :]

    assert check_message_id(tampered).check is Check.FORGED


@pytest.mark.parametrize("position", [0, 13, 25], ids=["first", "middle", "last"])
def test_it_flags_a_message_id_whose_signature_was_changed_as_forged(position):
    message_id = ticket_message_id(1042)
    signature_start = message_id.index("@") - 26

    tampered = changed_signature(message_id, signature_start + position)

    assert tampered != message_id
    assert check_message_id(tampered) == Reference(Check.FORGED, 1042)


def test_it_does_not_accept_a_reply_address_signature_in_a_message_id():
    # The two signatures have different purposes: one cannot stand for the other.
    reply_signature = reply_address(1042).partition("@")[0].rpartition(".")[2]

    borrowed = f"cpt.1042.0123456789abcdef.{reply_signature}@comptoir.localhost"

    assert check_message_id(borrowed) == Reference(Check.FORGED, 1042)


@pytest.mark.parametrize(
    "message_id",
    [
        "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com",
        "first@mail.example.net",
        "cpt.1042.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
        "cpt.1042.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaa@comptoir.localhost.example.com",
        "cpt.1042.not-hex-nonce!!.aaaaaaaaaaaaaaaaaaaaaaaaaa@comptoir.localhost",
        "",
    ],
    ids=["gmail", "plain", "foreign-domain", "suffixed-domain", "bad-nonce", "empty"],
)
def test_it_leaves_message_ids_of_others_alone(message_id):
    assert check_message_id(message_id) == Reference(Check.NOT_OURS)


def test_it_keeps_a_foreign_copy_of_our_message_id_format_not_ours():
    # Our exact id, but at someone else's domain: that server made it, not us.
    ours = ticket_message_id(1042)

    elsewhere = ours.replace("@comptoir.localhost", "@example.com")

    assert check_message_id(elsewhere) == Reference(Check.NOT_OURS)


# --- Reply addresses ---------------------------------------------------------------


def test_it_reads_back_the_ticket_from_its_reply_address():
    address = reply_address(1042)

    assert re.fullmatch(r"support\+1042\.[a-z2-7]{26}@comptoir\.localhost", address)
    assert check_reply_address(address) == Reference(Check.VALID, 1042)


def test_it_gives_a_ticket_the_same_reply_address_every_time():
    assert reply_address(1042) == reply_address(1042)
    assert reply_address(1042) != reply_address(1043)


def test_it_accepts_a_reply_address_written_in_capitals():
    # Some clients and servers upper-case the whole address.
    address = reply_address(1042)

    assert check_reply_address(address.upper()) == Reference(Check.VALID, 1042)
    assert check_reply_address(f"  {address}  ") == Reference(Check.VALID, 1042)


def test_it_flags_a_reply_address_whose_reference_was_changed_as_forged():
    tampered = reply_address(1042).replace("+1042.", "+1043.", 1)

    assert check_reply_address(tampered) == Reference(Check.FORGED, 1043)


@pytest.mark.parametrize("position", [0, 13, 25], ids=["first", "middle", "last"])
def test_it_flags_a_reply_address_whose_signature_was_changed_as_forged(position):
    address = reply_address(1042)
    signature_start = address.index("@") - 26

    tampered = changed_signature(address, signature_start + position)

    assert tampered != address
    assert check_reply_address(tampered) == Reference(Check.FORGED, 1042)


@pytest.mark.parametrize(
    "address",
    [
        "support+billing@comptoir.localhost",
        "support+1042@comptoir.localhost",
        "support@comptoir.localhost",
        "alice@example.org",
        "alice+1042.aaaaaaaaaaaaaaaaaaaaaaaaaa@comptoir.localhost",
        "support+1042.aaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
    ],
    ids=["other-plus-use", "no-signature", "support-itself", "foreign", "other-local-part", "foreign-domain"],
)
def test_it_leaves_addresses_that_are_not_reply_addresses_alone(address):
    assert check_reply_address(address) == Reference(Check.NOT_OURS)


def test_it_does_not_accept_a_reply_address_moved_to_another_domain():
    moved = reply_address(1042).replace("@comptoir.localhost", "@example.com")

    assert check_reply_address(moved) == Reference(Check.NOT_OURS)


# --- Key rotation ---------------------------------------------------------------------


def test_it_keeps_references_signed_with_the_previous_key_valid_while_it_is_a_fallback(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    message_id = ticket_message_id(1042)
    address = reply_address(1042)

    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]

    assert check_message_id(message_id) == Reference(Check.VALID, 1042)
    assert check_reply_address(address) == Reference(Check.VALID, 1042)
    # New e-mails are signed with the new key.
    assert reply_address(1042) != address
    assert check_reply_address(reply_address(1042)) == Reference(Check.VALID, 1042)


def test_it_treats_references_signed_with_a_retired_key_as_forged(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    message_id = ticket_message_id(1042)
    address = reply_address(1042)

    settings.SECRET_KEY = NEW_KEY

    assert check_message_id(message_id) == Reference(Check.FORGED, 1042)
    assert check_reply_address(address) == Reference(Check.FORGED, 1042)


# --- A separate reply domain -------------------------------------------------------------


@pytest.fixture
def reply_domain(settings) -> str:
    settings.COMPTOIR_REPLY_DOMAIN = "reply.example.com"
    return "reply.example.com"


def test_it_uses_the_reply_domain_when_one_is_configured(reply_domain):
    address = reply_address(1042)

    assert re.fullmatch(r"1042\.[a-z2-7]{26}@reply\.example\.com", address)
    assert check_reply_address(address) == Reference(Check.VALID, 1042)
    assert check_reply_address(address.upper()) == Reference(Check.VALID, 1042)


def test_it_flags_a_forged_address_at_the_reply_domain(reply_domain):
    address = reply_address(1042)

    assert check_reply_address(address.replace("1042.", "1043.", 1)) == Reference(Check.FORGED, 1043)
    assert check_reply_address(changed_signature(address, address.index("@") - 1)) == Reference(Check.FORGED, 1042)


@pytest.mark.parametrize(
    "address",
    ["postmaster@reply.example.com", "1042@reply.example.com", "1042.aaaaaaaaaaaaaaaaaaaaaaaaaa@example.com"],
    ids=["other-local-part", "no-signature", "other-domain"],
)
def test_it_leaves_other_addresses_alone_in_reply_domain_mode(reply_domain, address):
    assert check_reply_address(address) == Reference(Check.NOT_OURS)


def test_it_keeps_message_ids_at_the_support_domain_in_reply_domain_mode(reply_domain):
    message_id = ticket_message_id(1042)

    assert message_id.endswith("@comptoir.localhost")
    assert check_message_id(message_id) == Reference(Check.VALID, 1042)


# --- Our own addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "support@comptoir.localhost",
        "SUPPORT@Comptoir.Localhost",
        "support+billing@comptoir.localhost",
        "support+1042.aaaaaaaaaaaaaaaaaaaaaaaaaa@comptoir.localhost",
    ],
    ids=["support", "capitals", "plus-tag", "forged-reply-address"],
)
def test_it_knows_its_own_addresses(address):
    assert is_own_address(address) is True


def test_it_knows_a_reply_address_is_its_own():
    assert is_own_address(reply_address(1042)) is True


@pytest.mark.parametrize(
    "address",
    ["alice@example.org", "support@example.com", "support.team@comptoir.localhost", "supportx@comptoir.localhost"],
    ids=["person", "same-local-other-domain", "longer-local-part", "prefix"],
)
def test_it_does_not_take_other_addresses_for_its_own(address):
    assert is_own_address(address) is False


def test_it_knows_reply_domain_addresses_are_its_own(reply_domain):
    assert is_own_address(reply_address(1042)) is True
    assert is_own_address("support@comptoir.localhost") is True
    assert is_own_address("someone@example.com") is False


# --- Subject tags --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "references"),
    [
        ("Re: [#1042] Export fails", [1042]),
        ("AW: Re: Export fails [#1042]", [1042]),
        ("[#1042] and [#1043]", [1042, 1043]),
        ("Export fails", []),
        ("#1042 without brackets", []),
        ("[# 1042] with a space", []),
        ("[#10a42] not a number", []),
        ("[#1234567890123] thirteen digits", []),
        ("[#1] [#2] [#3] [#4] [#5] [#6] [#7]", [1, 2, 3, 4, 5]),
    ],
)
def test_it_reads_ticket_references_from_subject_tags(subject, references):
    assert subject_tag_references(subject) == references
