"""Cursor pagination: ``next`` and ``previous`` links, stable whatever is written meanwhile."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Cursor(CursorPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = (
        "Curseur invalide : reprenez tel quel le lien « next » ou « previous » d’une réponse."
    )

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise self._invalid()  # PostgreSQL refuses NUL in a text parameter
        return cursor

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # A forged position that decodes but is not a value of the ordering's field (a date, a
        # number) fails only when the page is read.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError, DataError):
            raise self._invalid() from None

    def _invalid(self) -> ValidationError:
        return ValidationError({"cursor": [self.invalid_cursor_message]})


def ordered_by(*fields: str) -> type[Cursor]:
    """A cursor pagination over this ordering (its first field should change rarely)."""
    return type("Cursor", (Cursor,), {"ordering": fields})
