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


# The legal form of a grouping, as written in the reference data (« CC Billom Communauté »,
# « Clermont Auvergne Métropole ») and as people say it (« Communauté de communes Billom »,
# « Métropole Clermont »), already normalised. Longest first: « communaute de communes » before
# « communaute ».
_EPCI_FORMS = (
    "communaute de communes", "communaute d agglomeration", "communaute urbaine",
    "communaute", "agglomeration", "agglo", "metropole", "cc", "ca", "cu",
)  # fmt: skip
_EPCI_FORM = re.compile(r"\b(?:" + "|".join(_EPCI_FORMS) + r")\b")
# The article a name keeps once its legal form is gone: « (CC) du Pays de Saint-Eloy ».
_LEADING_ARTICLE = re.compile(r"^(?:(?:de la|de l|des|du|de|d|la|le|les|l)\b\s*)+")


def epci_core_name(normalized: str) -> str:
    """A grouping's name without its legal form, from a ``normalize_name`` text.

    Both the names of the reference data and what is typed go through it, so that every
    spoken form of a name meets the written one. "" when nothing but a legal form (or the
    start of one, while it is being typed) is left.

    >>> epci_core_name("cc billom communaute")
    'billom'
    >>> epci_core_name("communaute de communes du pays de saint eloy")
    'pays de saint eloy'
    >>> epci_core_name("clermont auvergne metropole")
    'clermont auvergne'
    >>> epci_core_name("communaute de comm")
    ''
    """
    if any(form.startswith(normalized) for form in _EPCI_FORMS[:3]):
        return ""
    core = " ".join(_EPCI_FORM.sub(" ", normalized).split())
    return _LEADING_ARTICLE.sub("", core).strip()
