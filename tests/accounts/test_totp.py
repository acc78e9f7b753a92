"""Two-factor authentication: the TOTP functions against the RFCs' vectors, then the pages."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from guichet.accounts import totp

SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = b"12345678901234567890123456789012"
SEED_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"

# RFC 6238, appendix B (8 digits).
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(seconds, sha1, sha256, sha512):
    for seed, digest, expected in [
        (SEED_SHA1, "sha1", sha1),
        (SEED_SHA256, "sha256", sha256),
        (SEED_SHA512, "sha512", sha512),
    ]:
        assert totp.code_at(b32(seed), seconds, digits=8, digest=digest) == expected
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    assert totp.code_at(b32(SEED_SHA1), moment, digits=8) == sha1


def test_rfc4226_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489"]  # fmt: skip
    assert [totp.hotp(SEED_SHA1, i) for i in range(10)] == expected


def test_secrets_are_random_base32_of_160_bits():
    first, second = totp.generate_secret(), totp.generate_secret()
    assert first != second
    assert len(first) == 32 and len(totp.secret_bytes(first)) == 20
    assert totp.grouped(first).count(" ") == 7
    assert totp.grouped("jbsw y3dp ehpk 3pxp") == "JBSW Y3DP EHPK 3PXP"
    assert totp.secret_bytes("jbsw y3dp ehpk 3pxp") == b"Hello!\xde\xad\xbe\xef"
    with pytest.raises(ValueError):
        totp.secret_bytes("not base32 !")
    with pytest.raises(ValueError):
        totp.secret_bytes("")


def test_provisioning_uri_names_the_issuer_and_the_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "claire.martin@puy-de-dome.gouv.fr")
    assert uri == (
        "otpauth://totp/guichet:claire.martin@puy-de-dome.gouv.fr?secret=JBSWY3DPEHPK3PXP"
        "&issuer=guichet&algorithm=SHA1&digits=6&period=30"
    )
    assert "%20" in totp.provisioning_uri("JBSWY3DPEHPK3PXP", "a b@x.fr")


SECRET = b32(SEED_SHA1)
T0 = 1_700_000_010  # 10 s into a step


def test_window_of_one_step_either_side():
    step = totp.step_at(T0)
    for delta in (-1, 0, 1):
        code = totp.hotp(SEED_SHA1, step + delta)
        assert totp.verify(SECRET, code, T0) == step + delta
    for delta in (-2, 2):
        assert totp.verify(SECRET, totp.hotp(SEED_SHA1, step + delta), T0) is None


def test_clock_edges():
    boundary = 1_700_000_040  # a multiple of 30: the first second of a step
    assert totp.step_at(boundary) == totp.step_at(boundary - 1) + 1
    assert totp.step_at(boundary - 0.001) == totp.step_at(boundary) - 1
    code = totp.code_at(SECRET, boundary - 1)
    # The code of the last second of a step still works 30 s later, not 60 s later.
    assert totp.verify(SECRET, code, boundary + 29) is not None
    assert totp.verify(SECRET, code, boundary + 30) is None
    with pytest.raises(ValueError):
        totp.step_at(dt.datetime(2021, 6, 1, 12, 0))  # naive


def test_a_code_is_not_accepted_twice_nor_an_older_one():
    step = totp.step_at(T0)
    code = totp.code_at(SECRET, T0)
    accepted = totp.verify(SECRET, code, T0)
    assert accepted == step
    assert totp.verify(SECRET, code, T0, last_step=accepted) is None
    previous = totp.hotp(SEED_SHA1, step - 1)
    assert totp.verify(SECRET, previous, T0, last_step=accepted) is None
    following = totp.hotp(SEED_SHA1, step + 1)
    assert totp.verify(SECRET, following, T0, last_step=accepted) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_are_refused(typed):
    assert totp.verify(SECRET, typed, T0) is None


def test_spaces_and_dashes_in_a_code_are_ignored():
    code = totp.code_at(SECRET, T0)
    assert totp.verify(SECRET, f" {code[:3]} {code[3:]} ", T0) is not None
    assert totp.verify(SECRET, f"{code[:3]}-{code[3:]}", T0) is not None
