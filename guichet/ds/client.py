"""The Démarches Simplifiées GraphQL API v2, read only: one POST per page, errors in French.

``DS_API_URL`` (the public endpoint by default) and ``DS_API_TOKEN`` (required) come from the
environment. Every request has a timeout; an HTTP error, a dropped connection, an answer that is
not JSON or a GraphQL ``errors`` list all become a ``DSError`` whose message is French.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

DEFAULT_URL = "https://www.demarches-simplifiees.fr/api/v2/graphql"
QUERIES = Path(__file__).parent / "queries"
SCHEMA = Path(__file__).parent / "schema" / "ds-graphql-schema-2026-01.graphql"
# (connect, read) seconds: a page of 100 dossiers with their champs takes a few seconds on DS.
TIMEOUT = (10, 60)


class DSError(Exception):
    """Démarches Simplifiées could not be reached or refused the request. ``str`` is French."""


class ConfigurationError(Exception):
    """The token or the URL is missing. ``str`` is French."""


def query_text(name: str) -> str:
    """The GraphQL text of ``queries/<name>.graphql``."""
    return (QUERIES / f"{name}.graphql").read_text(encoding="utf-8")


@dataclass
class Client:
    url: str
    token: str
    session: requests.Session

    @classmethod
    def from_environment(cls) -> Client:
        token = os.environ.get("DS_API_TOKEN", "").strip()
        if not token:
            raise ConfigurationError(
                "La variable d’environnement DS_API_TOKEN est obligatoire : "
                "le jeton d’API de Démarches Simplifiées (profil de l’instructeur, « Jetons »)."
            )
        url = os.environ.get("DS_API_URL", "").strip() or DEFAULT_URL
        return cls(url=url, token=token, session=requests.Session())

    def execute(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run the named query; its ``data``, or ``DSError``."""
        try:
            response = self.session.post(
                self.url,
                json={"query": query_text(name), "variables": variables},
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise DSError(
                f"Démarches Simplifiées est injoignable ({self.url}) : {type(exc).__name__}."
            ) from exc
        if response.status_code in (401, 403):
            raise DSError(
                f"Démarches Simplifiées refuse le jeton d’API (HTTP {response.status_code}) : "
                "vérifiez DS_API_TOKEN et ses droits sur la démarche."
            )
        if response.status_code != 200:
            raise DSError(
                f"Démarches Simplifiées a répondu par une erreur HTTP {response.status_code}."
            )
        try:
            body = response.json()
        except ValueError:
            raise DSError("Démarches Simplifiées a répondu autre chose que du JSON.") from None
        if not isinstance(body, dict):
            raise DSError("Démarches Simplifiées a répondu autre chose qu’un objet JSON.")
        errors = body.get("errors")
        if errors:
            messages = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
            raise DSError(f"Démarches Simplifiées a refusé la requête : {messages}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise DSError("La réponse de Démarches Simplifiées ne contient pas de données.")
        return data

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """A piece's file, refused beyond ``max_bytes`` (read in chunks, never all at once)."""
        try:
            with self.session.get(url, timeout=TIMEOUT, stream=True) as response:
                if response.status_code != 200:
                    raise DSError(
                        f"Le fichier n’a pas pu être téléchargé (HTTP {response.status_code})."
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise DSError(
                            f"Le fichier dépasse la taille permise ({max_bytes // 1_000_000} Mo)."
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
        except requests.RequestException as exc:
            raise DSError(f"Le fichier n’a pas pu être téléchargé : {type(exc).__name__}.") from exc
