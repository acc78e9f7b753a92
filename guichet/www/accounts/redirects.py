"""Where to go after a sign-in or a form: a path of this site, never a name, never another site."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse
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


def landing_url(user) -> str:
    """Where a sign-in without ``next`` ends: « Instruction » for an agent with a role on a call
    (reviewer, manager, committee member, auditor), « Mes dossiers » for an applicant."""
    if user.is_authenticated and user.agent_roles.exists():
        return reverse("backoffice:dossiers")
    return resolve_url(settings.LOGIN_REDIRECT_URL)
