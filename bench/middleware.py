"""Benchmarks only (enabled by ``config.settings.bench``): the number of SQL queries a request
made, in an ``X-Queries`` response header, counted in the server itself.

Placed first in the middleware list, it counts the queries of every other middleware too
(session, user) and of the view and its template; not those of the floor view, which makes none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            # A streamed response would run its queries later: none of the measured pages is one.
        response["X-Queries"] = str(count)
        return response
