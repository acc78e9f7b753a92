"""Where to go after a sign-in or a form: a path of this site, never a name, never another site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, value: str | None) -> str:
    """``value`` when it is a path of this site (``/…``), else "".

    A bare word (``next=foo``) is refused too: ``redirect()`` would try to reverse it as a URL
    name and fail. ``//evil``, ``/\\evil``, ``https://evil`` and ``javascript:`` are refused by
    ``url_has_allowed_host_and_scheme`` or by the leading slash.
    """
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return ""
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value
