"""The captcha's proof of work: the work stays the visitor's, the POST checks it with two HMACs."""

from __future__ import annotations

import json
import time
from base64 import b64decode, b64encode
from datetime import UTC, datetime, timedelta

import altcha
import altcha.v2
import pytest

from comptoir.core import captcha
from comptoir.core.models import SpentChallenge
from tests.conftest import solved_captcha

pytestmark = pytest.mark.django_db


def _with_solution(payload: str, **changes: object) -> str:
    data = json.loads(b64decode(payload))
    data["solution"].update(changes)
    return b64encode(json.dumps(data).encode()).decode()


def test_it_accepts_a_solved_challenge_once():
    payload = solved_captcha()

    assert captcha.verify(payload) is True
    assert captcha.verify(payload) is False
    assert SpentChallenge.objects.count() == 1


def test_a_spent_challenge_is_kept_until_it_expires_then_purged():
    payload = solved_captcha()
    expires_at = json.loads(b64decode(payload))["challenge"]["parameters"]["expiresAt"]
    assert captcha.verify(payload) is True

    spent = SpentChallenge.objects.get()
    assert spent.expires_at == datetime.fromtimestamp(expires_at, tz=UTC)
    assert captcha.purge_spent() == 0
    SpentChallenge.objects.update(
        expires_at=spent.expires_at - timedelta(seconds=captcha.CHALLENGE_LIFETIME_SECONDS + 1)
    )
    assert captcha.purge_spent() == 1


def test_it_checks_a_solution_without_deriving_the_key_again(monkeypatch):
    payload = solved_captcha()

    def derivation_refused(*args: object) -> bytes:
        raise AssertionError("the POST derived a key")

    monkeypatch.setattr(altcha.v2, "derive_key_pbkdf2", derivation_refused)
    monkeypatch.setattr(altcha.v2.hashlib, "pbkdf2_hmac", derivation_refused)

    assert captcha.verify(payload) is True


def test_it_refuses_a_key_whose_unworked_half_is_guessed():
    """The prefix is public; the key's other half comes only from the work."""
    payload = solved_captcha()
    key = json.loads(b64decode(payload))["solution"]["derivedKey"]
    guessed = key[:32] + ("0" if key[32] != "0" else "1") + key[33:]

    assert captcha.verify(_with_solution(payload, derivedKey=guessed)) is False
    assert captcha.verify(_with_solution(payload, derivedKey=key[:32])) is False
    assert SpentChallenge.objects.count() == 0


def test_the_visitor_still_derives_as_many_keys_as_before(settings):
    """Counters drawn below 512: 256 derivations on average, as the random mode's "00" prefix asked."""
    counters = []
    for _ in range(40):
        challenge = altcha.Challenge.from_dict(captcha.new_challenge())
        assert len(challenge.parameters.key_prefix) == 32  # half of the 32-byte key, in hex
        assert challenge.parameters.cost == settings.COMPTOIR_ALTCHA_COST
        solution = altcha.solve_challenge(challenge)
        assert solution is not None
        counters.append(solution.counter)
    assert max(counters) < captcha.COUNTER_CEILING
    assert len(set(counters)) > 30  # drawn, not fixed


def test_it_refuses_a_challenge_without_a_key_signature(settings):
    """A signed random-mode challenge would make the library re-derive the key on the POST."""
    challenge = altcha.create_challenge(
        captcha.ALGORITHM,
        settings.COMPTOIR_ALTCHA_COST,
        key_prefix="0",
        expires_at=int(time.time()) + 60,
        hmac_secret=settings.COMPTOIR_ALTCHA_HMAC_KEY,
    )
    solution = altcha.solve_challenge(challenge)
    assert solution is not None

    assert captcha.verify(altcha.Payload(challenge, solution).to_base64()) is False


def test_it_refuses_a_challenge_signed_with_another_key(settings):
    payload = solved_captcha()
    settings.COMPTOIR_ALTCHA_HMAC_KEY = "another key"

    assert captcha.verify(payload) is False


def test_it_refuses_an_expired_challenge(monkeypatch):
    payload = solved_captcha()
    now = time.time()
    monkeypatch.setattr(altcha.v2.time, "time", lambda: now + captcha.CHALLENGE_LIFETIME_SECONDS + 1)

    assert captcha.verify(payload) is False


@pytest.mark.parametrize("payload", ["", "not base64!", b64encode(b"[]").decode(), "eyJjaGFsbGVuZ2UiOnt9fQ=="])
def test_it_refuses_what_is_not_a_payload(payload):
    assert captcha.verify(payload) is False
