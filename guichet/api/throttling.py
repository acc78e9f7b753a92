"""Requests per minute, per token (and per address for anonymous requests)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from guichet.accounts.throttling import client_ip


class _Rate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read at each request (DRF reads it once, at import): settings may change in tests.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenThrottle(_Rate):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.uuid}


class AnonymousThrottle(_Rate):
    scope = "anonymous"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.auth is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request: Request) -> str:
        # The address the site's trusted proxies saw (GUICHET_TRUSTED_PROXIES), as the sign-in
        # delay counts it: DRF's own reads X-Forwarded-For as the client wrote it.
        return client_ip(request._request) or "inconnue"
