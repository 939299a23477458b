"""Password rules, TOTP steps and the enrolment QR code: pure, no database."""

from __future__ import annotations

import pyotp
import pytest

from api.credentials import (
    WeakPasswordError,
    check_password,
    hash_password,
    new_recovery_codes,
    password_matches,
    qr_svg,
    totp_step,
)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "at least 12"),
        ("password1234", "most common"),
        ("Welcome1!!!!", "most common"),
        ("amina.mensah-2026", "your name"),
        ("aaaaaaaaaaaaaaaa", "three different"),
        ("abcdefghijklmn", "run"),
        ("abcdabcdabcdabcd", "run"),
        ("1234567890123", "run"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(WeakPasswordError, match=why):
        check_password(password, "amina.mensah", "amina.mensah@gra.example")


def test_a_long_unusual_password_passes_and_is_stored_as_argon2id() -> None:
    check_password("tariff rulings published 7x", "amina.mensah", "a@gra.example")
    stored = hash_password("tariff rulings published 7x")
    assert stored.startswith("$argon2id$")
    assert password_matches(stored, "tariff rulings published 7x")
    assert not password_matches(stored, "tariff rulings published 7y")
    assert not password_matches(None, "anything at all")


def test_a_totp_code_is_accepted_once_within_one_step_of_drift() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_000.0
    step = int(now // 30)
    assert totp_step(secret, totp.at(now), 0, at=now) == step
    assert totp_step(secret, totp.at(now - 30), 0, at=now) == step - 1
    assert totp_step(secret, totp.at(now + 30), 0, at=now) == step + 1
    assert totp_step(secret, totp.at(now - 60), 0, at=now) is None
    assert totp_step(secret, totp.at(now), step, at=now) is None  # replayed
    assert totp_step(secret, "12345", 0, at=now) is None


def test_the_qr_code_is_inline_svg_and_recovery_codes_are_distinct() -> None:
    svg = qr_svg(pyotp.TOTP(pyotp.random_base32()).provisioning_uri(name="a", issuer_name="acip"))
    # The secret is drawn, not written: the URI (and its secret) is nowhere in the text.
    assert svg.startswith("<svg") and "<path" in svg and "otpauth" not in svg
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
