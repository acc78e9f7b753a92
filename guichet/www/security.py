"""HTTP headers that keep a signed-in person's pages out of every cache.

The Content-Security-Policy itself comes from django-csp (``CONTENT_SECURITY_POLICY`` in
config/settings/base.py); this module adds what no library does here:
:class:`PrivatePagesMiddleware` marks ``Cache-Control: private, no-store`` on every response to a
signed-in person and on the pages of the accounts space (sign-in, sign-up, password reset,
two-factor code), so that neither a shared proxy nor the browser's back button shows them again.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

NO_STORE = "private, no-store"
# Namespaces whose pages carry forms with credentials or codes, signed in or not.
PRIVATE_NAMESPACES = frozenset({"accounts"})


def is_private(request: HttpRequest) -> bool:
    """Whether the response to this request must not be stored by any cache."""
    match = getattr(request, "resolver_match", None)
    if match is not None and PRIVATE_NAMESPACES.intersection(match.namespaces):
        return True
    # Without a session cookie nobody is signed in: the session is not read (no ``Vary: Cookie``
    # added to public pages for anonymous visitors).
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` unless the view already chose a Cache-Control."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and is_private(request):
            response["Cache-Control"] = NO_STORE
        return response
