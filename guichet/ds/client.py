"""The Démarches Simplifiées GraphQL API v2, read only: one POST per page, errors in French.

``DS_API_URL`` (the public endpoint by default) and ``DS_API_TOKEN`` (required) come from the
environment. Every request has a timeout; an HTTP error, a dropped connection, an answer that is
not JSON or a GraphQL ``errors`` list all become a ``DSError`` whose message is French.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

DEFAULT_URL = "https://www.demarches-simplifiees.fr/api/v2/graphql"
QUERIES = Path(__file__).parent / "queries"
SCHEMA = Path(__file__).parent / "schema" / "ds-graphql-schema-2026-01.graphql"
# (connect, read) seconds: a page of 100 dossiers with their champs takes a few seconds on DS.
TIMEOUT = (10, 60)
# A piece's whole download, however slowly the bytes come (the read timeout is per chunk).
DOWNLOAD_DEADLINE = 120
MAX_REDIRECTS = 3
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


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
        data, _ = self._split(self._post(name, variables), None)
        return data

    def execute_page(
        self, name: str, variables: dict[str, Any], key: str
    ) -> tuple[dict[str, Any], dict[int, str]]:
        """Run a query reading ``demarche.<key>``: its data and, when some errors are each
        about one node of the connection (their path starts ``demarche.<key>.nodes.<i>``),
        those errors by node index, the other nodes being usable. Any other error: ``DSError``."""
        return self._split(self._post(name, variables), key)

    def _post(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
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
        return body

    @staticmethod
    def _split(body: dict[str, Any], key: str | None) -> tuple[dict[str, Any], dict[int, str]]:
        data = body.get("data")
        errors = body.get("errors") or []
        if not isinstance(errors, list):
            errors = [errors]
        by_node: dict[int, str] = {}
        connection = (
            (data.get("demarche") or {}).get(key)
            if key and isinstance(data, dict) and isinstance(data.get("demarche"), dict)
            else None
        )
        for error in errors:
            path = error.get("path") if isinstance(error, dict) else None
            if (
                isinstance(connection, dict)
                and isinstance(path, list)
                and len(path) >= 4
                and path[:3] == ["demarche", key, "nodes"]
                and isinstance(path[3], int)
                and not isinstance(path[3], bool)
            ):
                message = str(error.get("message") or "erreur")
                by_node[path[3]] = (
                    f"{by_node[path[3]]}; {message}" if path[3] in by_node else message
                )
                continue
            messages = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
            raise DSError(f"Démarches Simplifiées a refusé la requête : {messages}")
        if not isinstance(data, dict):
            raise DSError("La réponse de Démarches Simplifiées ne contient pas de données.")
        return data, by_node

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """A piece's file, refused beyond ``max_bytes`` (read in chunks, never all at once) or
        beyond ``DOWNLOAD_DEADLINE``. Every address, the redirects' included (at most
        ``MAX_REDIRECTS``, each checked again), must be ``https`` and not a private, loopback or
        link-local address (``check_file_url``)."""
        deadline = time.monotonic() + DOWNLOAD_DEADLINE
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self.check_file_url(url)
                with self.session.get(
                    url, timeout=TIMEOUT, stream=True, allow_redirects=False
                ) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location") or ""
                        if not location:
                            raise DSError(
                                "Le fichier n’a pas pu être téléchargé (redirection vide)."
                            )
                        url = urljoin(url, location)
                        continue
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
                        if time.monotonic() > deadline:
                            raise DSError(
                                "Le fichier n’a pas pu être téléchargé : plus de "
                                f"{DOWNLOAD_DEADLINE} secondes."
                            )
                        chunks.append(chunk)
                    return b"".join(chunks)
        except requests.RequestException as exc:
            raise DSError(f"Le fichier n’a pas pu être téléchargé : {type(exc).__name__}.") from exc
        raise DSError(
            f"Le fichier n’a pas pu être téléchargé : plus de {MAX_REDIRECTS} redirections."
        )

    def check_file_url(self, url: str) -> None:
        """``DSError`` unless ``url`` may be fetched: ``https`` to a public address. Plain
        ``http`` and loopback addresses only when ``DS_API_URL`` itself is ``http`` on this
        machine (``127.0.0.1`` or ``localhost``: the tests' fake server), and then only there."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        api = urlsplit(self.url)
        local_api = api.scheme == "http" and (api.hostname or "").lower() in LOCAL_HOSTS
        if local_api and parts.scheme in ("http", "https") and host in LOCAL_HOSTS:
            return
        if parts.scheme != "https" or not host:
            raise DSError(f"Adresse de fichier refusée (https exigé) : {url[:200]}")
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise DSError(f"Adresse de fichier introuvable : {host}.") from None
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not address.is_global or address.is_multicast:
                raise DSError(
                    f"Adresse de fichier refusée ({host} est une adresse privée ou locale)."
                )
