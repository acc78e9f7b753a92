"""The API's errors: one shape, ``detail`` in French, and for a 400 ``errors`` per parameter."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's answer, with one shape: ``detail`` (French), and for a 400 ``errors`` per
    parameter."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"parametres": exc.detail}
        errors = {
            str(name): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in detail.items()
        }
        response.data = {
            "detail": "Paramètre refusé : " + ", ".join(errors) + ".",
            "errors": errors,
        }
    return response
