"""A fake Démarches Simplifiées: a real HTTP server on a free localhost port, in a thread, that
executes the queries with graphql-core against the shipped schema, over dossiers kept in memory.

It honours ``first``/``after``/``updatedSince``, serves the pieces' files, checks the bearer
token, and fails on demand: an HTTP 500 or a dropped connection at the Nth GraphQL request, or a
GraphQL error.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import build_schema, graphql_sync

from guichet.ds.client import SCHEMA

TOKEN = "jeton-de-test"
_schema = build_schema(SCHEMA.read_text(encoding="utf-8"))


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@dataclass
class FakeDossier:
    number: int
    champs: list[dict[str, Any]]
    state: str = "en_construction"
    deposited: dt.datetime = dt.datetime(2021, 6, 1, 9, 0, tzinfo=dt.UTC)
    updated: dt.datetime = dt.datetime(2021, 6, 1, 9, 0, tzinfo=dt.UTC)
    email: str = "mairie@example.fr"
    messages: list[dict[str, Any]] = field(default_factory=list)
    motivation: str | None = None
    deleted: dt.datetime | None = None
    pending_deleted: dt.datetime | None = None
    reason: str = "user_request"
    broken: str | None = None  # a GraphQL error about this node alone (its motivation)

    def node(self) -> dict[str, Any]:
        def broken(info: Any) -> None:
            raise ValueError(self.broken)

        return {
            "id": f"RG9zc2llci0{self.number}",
            "number": self.number,
            "state": self.state,
            "dateDepot": iso(self.deposited),
            "dateDerniereModification": iso(self.updated),
            "dateTraitement": None,
            "motivation": broken if self.broken else self.motivation,
            "usager": {"id": f"U{self.number}", "email": self.email},
            "demandeur": {"__typename": "PersonneMorale", "id": "D", "siret": "21630040000019"},
            "champs": self.champs,
            "messages": self.messages,
        }

    def deleted_node(self, at: dt.datetime) -> dict[str, Any]:
        return {
            "id": f"RGVsZXRlZC0{self.number}",
            "number": self.number,
            "state": self.state,
            "reason": self.reason,
            "dateSupression": iso(at),
        }


def _champ(typename: str, label: str, string: str | None, **extra: Any) -> dict[str, Any]:
    slug = base64.b64encode(label.encode()).decode()[:12]
    return {
        "__typename": typename, "id": f"Q2hhbXAt{slug}", "champDescriptorId": f"desc-{slug}",
        "label": label, "stringValue": string, "columns": [], "prefilled": False,
        "updatedAt": "2021-06-01T09:00:00+00:00", **extra,
    }  # fmt: skip


def text(label: str, value: str) -> dict[str, Any]:
    return _champ("TextChamp", label, value, value=value)


def commune(label: str, code: str, name: str) -> dict[str, Any]:
    return _champ("CommuneChamp", label, name, commune={"code": code, "name": name})


def date(label: str, day: str) -> dict[str, Any]:
    return _champ("DateChamp", label, day, date=day)


def pieces(label: str, *files: tuple[str, str, str]) -> dict[str, Any]:
    """``files``: (filename, url, checksum)."""
    return _champ(
        "PieceJustificativeChamp", label, ", ".join(f[0] for f in files),
        files=[
            {"filename": n, "url": u, "checksum": c, "contentType": "application/pdf",
             "byteSizeBigInt": "1000", "byteSize": 1000, "createdAt": "2021-06-01T09:00:00+00:00",
             "virusScanResult": "safe"}
            for n, u, c in files
        ],
    )  # fmt: skip


def _key(value: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _unkey(cursor: str) -> tuple[Any, ...]:
    return tuple(json.loads(base64.urlsafe_b64decode(cursor.encode())))


def _page(
    items: list[tuple[tuple[Any, ...], dict[str, Any]]], first: int | None, after: str | None
) -> dict[str, Any]:
    items = sorted(items, key=lambda i: i[0])
    if after:
        start = _unkey(after)
        items = [i for i in items if i[0] > start]
    page = items[: first or 100]
    return {
        "pageInfo": {
            "hasNextPage": len(items) > len(page),
            "hasPreviousPage": bool(after),
            "endCursor": _key(page[-1][0]) if page else None,
            "startCursor": _key(page[0][0]) if page else None,
        },
        "nodes": [node for _, node in page],
        "edges": None,
    }


class FakeDS:
    def __init__(self, demarche: int = 4242):
        self.demarche = demarche
        self.dossiers: dict[int, FakeDossier] = {}
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # a file's name → the Location it redirects to
        self.form: list[dict[str, Any]] = []  # the published revision's champs
        self.requests: list[dict[str, Any]] = []
        self.fail_at: int | None = None  # the Nth GraphQL request (1-based) fails…
        self.failure = "500"  # … with "500", "drop" (connection closed) or "graphql"
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/v2/graphql"
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeDS:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def add(self, dossier: FakeDossier) -> FakeDossier:
        self.dossiers[dossier.number] = dossier
        return dossier

    def file_url(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.base}/files/{name}"

    # ---------------------------------------------------------------- resolvers

    def _demarche(self, info: Any, number: int) -> dict[str, Any]:
        if number != self.demarche:
            raise ValueError(f"Démarche {number} introuvable")
        descriptors = [
            {"__typename": f"{c['__typename']}Descriptor", "id": c["champDescriptorId"],
             "label": c["label"], "required": True}
            for c in self.form
        ]  # fmt: skip
        return {
            "id": "RGVtYXJjaGU", "number": number, "title": "FITN7 axe 3",
            "activeRevision": {"id": "UmV2aXNpb24", "champDescriptors": descriptors},
            "dossiers": self._dossiers,
            "deletedDossiers": self._deleted,
            "pendingDeletedDossiers": self._pending,
        }  # fmt: skip

    def _dossiers(
        self,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        updatedSince: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        alive = [
            d for d in self.dossiers.values() if d.deleted is None and d.pending_deleted is None
        ]
        if updatedSince:
            since = dt.datetime.fromisoformat(updatedSince)
            alive = [d for d in alive if d.updated >= since]
            items = [((iso(d.updated), d.number), d.node()) for d in alive]
        else:
            items = [((d.number,), d.node()) for d in alive]
        return _page(items, first, after)

    def _deleted(
        self, info: Any, first: int | None = None, after: str | None = None, **_: Any
    ) -> dict[str, Any]:
        gone = [d for d in self.dossiers.values() if d.deleted is not None]
        return _page(
            [((iso(d.deleted), d.number), d.deleted_node(d.deleted)) for d in gone], first, after
        )  # type: ignore[arg-type]

    def _pending(
        self, info: Any, first: int | None = None, after: str | None = None, **_: Any
    ) -> dict[str, Any]:
        gone = [d for d in self.dossiers.values() if d.pending_deleted is not None]
        return _page(
            [((iso(d.pending_deleted), d.number), d.deleted_node(d.pending_deleted)) for d in gone],  # type: ignore[arg-type]
            first, after,
        )  # fmt: skip

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = graphql_sync(
            _schema, query, root_value={"demarche": self._demarche}, variable_values=variables
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return body

    # ---------------------------------------------------------------- HTTP

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes, content_type: str = "application/json"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                name = self.path.removeprefix("/files/")
                if name in fake.redirects:
                    self.send_response(302)
                    self.send_header("Location", fake.redirects[name])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif name in fake.files:
                    self._send(200, fake.files[name], "application/octet-stream")
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(payload)
                    n = len(fake.requests)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, b'{"errors": [{"message": "Unauthorized"}]}')
                    return
                if fake.fail_at is not None and n == fake.fail_at:
                    if fake.failure == "drop":
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if fake.failure == "graphql":
                        self._send(
                            200,
                            json.dumps({"data": None, "errors": [{"message": "Timeout"}]}).encode(),
                        )
                        return
                    self._send(500, b"Internal Server Error", "text/plain")
                    return
                body = fake.execute(payload.get("query", ""), payload.get("variables") or {})
                self._send(200, json.dumps(body).encode())

        return Handler
