"""Template filters of the documents app: ``{% load documents %}``."""

from __future__ import annotations

from django import template

from ..uploads import format_size

register = template.Library()


@register.filter
def taille(size: int | None) -> str:
    """``{{ piece.size|taille }}`` → ``12 Ko``, ``2,4 Mo`` (French units, not Django's « Kio »)."""
    if size is None or size == "":
        return ""
    return format_size(int(size))
