"""Text normalisation shared by the loader (``search_name`` columns) and the search."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """Lowercase, strip accents, turn hyphens, apostrophes and other punctuation into spaces.

    >>> normalize_name("Saint-Genès-Champanelle")
    'saint genes champanelle'
    >>> normalize_name("L'Abergement-Clémenciat")
    'l abergement clemenciat'
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NOT_ALNUM.sub(" ", ascii_only).strip()
