"""The text a dossier is searched by: collectivité, title and number, lowercase, without French
accents, hyphens and apostrophes as spaces. Kept on the dossier (``Dossier.search_text``) so that
an index can serve the reviewers' search (a trigram index on PostgreSQL)."""

from __future__ import annotations

_ACCENTS = "àâäáãåçéèêëîïíìôöóòõùûüúÿñÀÂÄÁÃÅÇÉÈÊËÎÏÍÌÔÖÓÒÕÙÛÜÚŸÑ’'-"
_PLAIN = "aaaaaaceeeeiiiiooooouuuuynaaaaaaceeeeiiiiooooouuuuyn   "
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
_TRANSLATION = str.maketrans(_ACCENTS, _PLAIN) | str.maketrans(_LIGATURES)
assert len(_ACCENTS) == len(_PLAIN)

# The dossier's fields that make up its search text.
SOURCE_FIELDS = ("applicant_name", "title", "number")


def normalize(text: str) -> str:
    """Lowercase, French accents removed, œ/æ spelt out, - and ' as spaces."""
    return text.lower().translate(_TRANSLATION)


def search_text(applicant_name: str, title: str, number: str | None) -> str:
    return normalize(" | ".join((applicant_name, title, number or "")))
