"""Cursor pagination: ``next`` and ``previous`` links, stable whatever is written meanwhile."""

from __future__ import annotations

from typing import Any

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
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None


def ordered_by(*fields: str) -> type[Cursor]:
    """A cursor pagination over this ordering (its first field should change rarely)."""
    return type("Cursor", (Cursor,), {"ordering": fields})
