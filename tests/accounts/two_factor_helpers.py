"""Giving a test account an authenticator application and computing its codes at a moment.

Used by the back-office tests too: a programme manager needs a second factor to reach them.
"""

from __future__ import annotations

import base64
import datetime as dt

from django_otp.oath import hotp

from guichet import clock
from guichet.accounts import two_factor

SECRET = "JBSWY3DPEHPK3PXP"  # base32, as an application shows it
KEY = base64.b32decode(SECRET).hex()


def give_totp(user, key: str = KEY):
    """A confirmed authenticator application for ``user`` (and no recovery codes)."""
    return two_factor.create_device(user, key)


def code_at(moment: dt.datetime | None = None, delta_steps: int = 0, key: str = KEY) -> str:
    """The code the application shows at ``moment`` (the application's clock by default)."""
    moment = moment or clock.now()
    step = int(moment.timestamp() // two_factor.PERIOD) + delta_steps
    return str(hotp(bytes.fromhex(key), step)).zfill(two_factor.DIGITS)


def verified_login(client, user) -> None:
    """Sign ``client`` in as ``user`` with a session verified by a second factor, as after the
    code step (what the admin needs; ``client.force_login`` alone is not verified)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = two_factor.totp_device(user) or give_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
