"""Benchmarks only (enabled by ``config.settings.bench``): what a request cost in SQL, measured in
the server itself, in two response headers: ``X-Queries`` (how many queries) and ``X-SQL-ms``
(the milliseconds spent in them, from sending each query to reading its rows).

Placed first in the middleware list, it counts the queries of every other middleware too
(session, user) and of the view and its template; not those of the floor view, which makes none.
The page's total time minus ``X-SQL-ms`` is what Python, the template engine and the network
cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0
        seconds = 0.0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
            nonlocal count, seconds
            count += 1
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seconds += time.perf_counter() - start

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            # A streamed response would run its queries later: none of the measured pages is one.
        response["X-Queries"] = str(count)
        response["X-SQL-ms"] = f"{seconds * 1000:.2f}"
        return response
