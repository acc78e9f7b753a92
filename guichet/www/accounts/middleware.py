"""Programme managers set up two-factor authentication before any back-office page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from guichet.accounts import two_factor

from .totp_views import setup_url

# Back-office pages reachable without TOTP: accepting an invitation (a new agent has no
# account yet, and a manager may be invited to another call).
EXEMPT = {"agent-invitation"}


class ManagerTotpMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or "backoffice" not in match.namespaces or match.url_name in EXEMPT:
            return None
        if two_factor.must_set_up(request):
            next_url = request.get_full_path() if request.method == "GET" else ""
            return redirect(setup_url(next_url))
        return None
