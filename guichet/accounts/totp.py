"""Time-based one-time passwords (TOTP, RFC 6238 over HOTP, RFC 4226), standard library only.

The parameters are those every authenticator application understands: HMAC-SHA1, 6 digits,
30-second steps from the Unix epoch. A code is accepted for the current step and one step either
side (clocks of telephones drift), and never for a step at or before the last one accepted for
the account: a code seen over a shoulder or replayed from a log is refused.

The secret is stored on the user row (``User.totp_secret``) in clear; encrypting it at rest (a
key outside the database) is a production concern, as for any shared secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

ISSUER = "guichet"
DIGITS = 6
PERIOD = 30  # seconds
WINDOW = 1  # steps accepted either side of the current one
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA1

_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def generate_secret() -> str:
    """A new random secret in base32 without padding (32 characters for 20 bytes)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def normalize_secret(secret: str) -> str:
    """Upper case, without spaces or padding: the form kept and shown."""
    return "".join(secret.split()).upper().rstrip("=")


def secret_bytes(secret: str) -> bytes:
    """The key of a base32 secret (spaces, lower case and missing padding accepted).

    Raises ValueError for text that is not base32.
    """
    clean = normalize_secret(secret)
    if not clean:
        raise ValueError("empty TOTP secret")
    padded = clean + "=" * (-len(clean) % 8)
    try:
        return base64.b32decode(padded, casefold=False)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ValueError("TOTP secret is not base32") from exc


def grouped(secret: str, size: int = 4) -> str:
    """``"JBSW Y3DP EHPK 3PXP"``: easier to type into an application by hand."""
    clean = normalize_secret(secret)
    return " ".join(clean[i : i + size] for i in range(0, len(clean), size))


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator application reads (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": normalize_secret(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, ``digits`` decimal digits."""
    if counter < 0:
        raise ValueError("the counter cannot be negative")
    mac = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(moment: dt.datetime | float, period: int = PERIOD) -> int:
    """The RFC 6238 time step ``T`` of ``moment`` (an aware datetime or Unix seconds)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("TOTP needs an aware datetime")
        seconds = moment.timestamp()
    else:
        seconds = float(moment)
    return int(seconds // period)


def code_at(
    secret: str,
    moment: dt.datetime | float,
    *,
    digits: int = DIGITS,
    digest: str = "sha1",
    period: int = PERIOD,
) -> str:
    """The code an application shows at ``moment``."""
    return hotp(secret_bytes(secret), step_at(moment, period), digits, digest)


def clean_code(code: str) -> str:
    """The digits typed, without the spaces or dashes some applications show in the middle."""
    return "".join(c for c in code if not c.isspace() and c != "-")


def verify(
    secret: str,
    code: str,
    moment: dt.datetime | float,
    *,
    last_step: int | None = None,
    window: int = WINDOW,
) -> int | None:
    """The step ``code`` is valid for, within ``window`` steps of ``moment``, or None.

    A step at or before ``last_step`` (the last one accepted for this account) is refused, so the
    same code cannot be used twice, nor an older one after a newer. The caller records the
    returned step as the new ``last_step``.
    """
    typed = clean_code(code)
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    key = secret_bytes(secret)
    current = step_at(moment)
    floor = -1 if last_step is None else last_step
    accepted = None
    # Every candidate is computed and compared in constant time, whatever matches.
    for step in range(max(0, current - window), current + window + 1):
        if hmac.compare_digest(hotp(key, step), typed) and step > floor and accepted is None:
            accepted = step
    return accepted
