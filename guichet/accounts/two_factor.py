"""« Double authentification »: who must have it, what verifying a code means, recovery codes.

The devices are django-otp's: one ``TOTPDevice`` (an authenticator application: HMAC-SHA1,
6 digits, 30-second steps) and one ``StaticDevice`` holding ``RECOVERY_CODES`` single-use
recovery codes, shown once when they are made. ``OTPMiddleware`` marks a session verified
(``request.user.is_verified()``) once ``django_otp.login`` has recorded the device that
accepted a code; the views call it after ``verify``.

What this module adds to django-otp:

- the time is the application's clock (``guichet.clock``), so tests and the demo move it;
- a TOTP step is recorded by a conditional UPDATE and a recovery code spent by a DELETE whose
  row count is checked: of two requests with the same code at the same moment, only one wins;
- wrong codes are counted per account in the shared cache (``guichet.accounts.throttling``,
  whatever the address: a code has only a million values), with French messages; django-otp's
  own per-device throttling is switched off (``OTP_*_THROTTLE_FACTOR = 0``) so that there is one
  rule, not two;
- the policy: staff accounts (the admin) and programme managers must have a second factor
  (``required``); a manager signed in through ProConnect counts as strongly authenticated for
  the back-office (the administration's identity provider is where agents' multi-factor
  authentication belongs), not for the admin, which wants this site's own code.

Every change is recorded in the account's history (``AccountEvent``) in the same transaction.
"""

from __future__ import annotations

import enum
import math
import secrets
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from guichet import clock

from . import history, throttling
from .models import AccountEvent, User

ISSUER = "guichet"
DIGITS = 6
PERIOD = 30
RECOVERY_CODES = 10
RECOVERY_LENGTH = 8  # characters of a recovery code (base32, 40 bits)
TOTP_NAME = "Application d’authentification"
RECOVERY_NAME = "Codes de secours"

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"

# Where the sign-in records how the session was opened: "totp" or "proconnect".
SECOND_FACTOR = "accounts:second-factor"
PROCONNECT = "proconnect"

# Role.MANAGER of guichet.review.models; not imported: the review app depends on accounts.
_MANAGER_ROLE = "manager"


# --------------------------------------------------------------------------------------------
# The policy


def is_manager(user: Any) -> bool:
    """A programme manager of at least one call (the roles read once per request,
    ``User.call_roles``)."""
    return bool(user.is_authenticated) and any(r.role == _MANAGER_ROLE for r in user.call_roles())


def required(user: Any) -> bool:
    """Staff accounts (the admin) and programme managers must have a second factor."""
    return bool(user.is_authenticated) and (bool(user.is_staff) or is_manager(user))


def totp_device(user: Any) -> TOTPDevice | None:
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enabled(user: Any) -> bool:
    return bool(user.is_authenticated) and (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def is_verified(request: Any) -> bool:
    """This session's second factor was checked by this site (a code or a recovery code)."""
    user = request.user
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def strongly_authenticated(request: Any) -> bool:
    """Verified here, or signed in through ProConnect."""
    return is_verified(request) or request.session.get(SECOND_FACTOR) == PROCONNECT


def must_set_up(request: Any) -> bool:
    """Signed in, needing a second factor, without one (and not through ProConnect for a
    manager who is not staff)."""
    user = request.user
    if not required(user) or enabled(user):
        return False
    if user.is_staff:
        return True
    return request.session.get(SECOND_FACTOR) != PROCONNECT


def may_use_admin(request: Any) -> bool:
    """The admin: an active staff account whose session was verified with this site's code."""
    user = request.user
    return bool(user.is_active and user.is_staff) and is_verified(request)


def may_disable(user: User) -> bool:
    return not required(user)


# --------------------------------------------------------------------------------------------
# Codes


def clean_code(code: str) -> str:
    """The characters typed, without the spaces or dashes some applications show, lower case."""
    return "".join(c for c in code if not c.isspace() and c != "-").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def is_recovery_code(code: str) -> bool:
    return len(code) == RECOVERY_LENGTH and code.isascii() and all(c in _BASE32 for c in code)


def _step(key_hex: str, code: str, min_step: int) -> int | None:
    """The step ``code`` is valid for (one step either side of now, above ``min_step``)."""
    if not is_totp_code(code):
        return None
    totp = TOTP(unhexlify(key_hex.encode()), PERIOD, 0, DIGITS, 0)
    totp.time = clock.now().timestamp()
    if not totp.verify(int(code), tolerance=1, min_t=min_step):
        return None
    return totp.t()


def _accept_totp(device: TOTPDevice, code: str) -> bool:
    step = _step(device.key, code, device.last_t + 1)
    if step is None:
        return False
    updated = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=step).update(
        last_t=step, last_used_at=clock.now()
    )
    if updated:
        device.last_t = step
    return bool(updated)


def _accept_recovery(user: User, code: str) -> StaticDevice | None:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not is_recovery_code(code):
        return None
    # Compared in the database; one DELETE wins when two requests bring the same code.
    deleted, _ = StaticToken.objects.filter(device=device, token=code).delete()
    if not deleted:
        return None
    StaticDevice.objects.filter(pk=device.pk).update(last_used_at=clock.now())
    history.record(
        user,
        user,
        AccountEvent.Action.RECOVERY_CODE_USED,
        after={"codes_restants": recovery_codes_left(user)},
    )
    return device


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    device: TOTPDevice | StaticDevice | None = None
    message: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    @property
    def by_recovery_code(self) -> bool:
        return isinstance(self.device, StaticDevice)


WRONG_CODE = (
    "Ce code n’est pas valide ou a déjà été utilisé. Saisissez le code à 6 chiffres affiché en "
    "ce moment par votre application, puis validez sans attendre, ou l’un de vos codes de "
    "secours."
)


def _throttle_key(user: User) -> str:
    return f"totp|{user.pk}"


def locked_message(user: User) -> str | None:
    lock = throttling.check(_throttle_key(user), "")
    if lock is None:
        return None
    minutes = max(1, math.ceil(lock.seconds / 60))
    return (
        f"Trop de codes erronés pour ce compte. Par sécurité, patientez {minutes} "
        f"minute{'s' if minutes > 1 else ''} avant de réessayer."
    )


def verify(user: User, code: str, *, recovery: bool = True) -> Check:
    """Check a code (or, if ``recovery``, a recovery code) for ``user``, with the delay."""
    locked = locked_message(user)
    if locked:
        return Check(Outcome.LOCKED, message=locked)
    code = clean_code(code)
    device: TOTPDevice | StaticDevice | None = None
    with transaction.atomic():
        totp = totp_device(user)
        if totp is not None and _accept_totp(totp, code):
            device = totp
        elif recovery:
            device = _accept_recovery(user, code)
    if device is not None:
        throttling.reset(_throttle_key(user), "")
        return Check(Outcome.ACCEPTED, device)
    throttling.record_failure(_throttle_key(user), "")
    return Check(Outcome.WRONG, message=WRONG_CODE)


# --------------------------------------------------------------------------------------------
# Setting up, recovery codes, turning off


def new_key() -> str:
    """A new random key (hex, 20 bytes: the length RFC 4226 recommends for HMAC-SHA1)."""
    return str(default_key())


def grouped_secret(key_hex: str, size: int = 4) -> str:
    """``"JBSW Y3DP EHPK 3PXP …"``: the base32 key, easier to type into an application."""
    clean = b32encode(unhexlify(key_hex.encode())).decode("ascii").rstrip("=")
    return " ".join(clean[i : i + size] for i in range(0, len(clean), size))


def provisioning_uri(key_hex: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator application reads (django-otp's config_url)."""
    device = TOTPDevice(key=key_hex, step=PERIOD, digits=DIGITS, name=TOTP_NAME)
    device.user = User(email=account)
    return str(device.config_url)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (segno), with a title for screen readers."""
    qr = segno.make(uri, error="m")
    return str(
        qr.svg_inline(
            scale=5,
            border=2,
            title="Code QR à scanner avec votre application d’authentification",
            svgclass="guichet-qr",
        )
    )


def setup_code_valid(key_hex: str, code: str) -> int | None:
    """The step of ``code`` for a key not yet confirmed, or None."""
    return _step(key_hex, clean_code(code), 0)


def create_device(user: User, key_hex: str, last_step: int = -1) -> TOTPDevice:
    """A confirmed application for ``user``, replacing any previous one."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(
        user=user,
        name=TOTP_NAME,
        key=key_hex,
        step=PERIOD,
        digits=DIGITS,
        tolerance=1,
        confirmed=True,
        last_t=last_step,
    )


def _new_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODES:
        code = _random_recovery_code()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _random_recovery_code() -> str:
    return "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_LENGTH))


def grouped_recovery(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@transaction.atomic
def enable(user: User, key_hex: str, step: int) -> tuple[TOTPDevice, list[str]]:
    """Confirm the application (its first code was valid for ``step``), make recovery codes."""
    device = create_device(user, key_hex, last_step=step)
    codes = _new_recovery_codes(user)
    history.record(user, user, AccountEvent.Action.TWO_FACTOR_ENABLED)
    return device, codes


@transaction.atomic
def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the previous ones stop working."""
    codes = _new_recovery_codes(user)
    history.record(user, user, AccountEvent.Action.RECOVERY_CODES_REGENERATED)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def disable(user: User) -> None:
    """Remove the application and the recovery codes (the caller checked a fresh code)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    history.record(user, user, AccountEvent.Action.TWO_FACTOR_DISABLED)
