"""The documentation page, drawn on the server from the API's own OpenAPI document: each
endpoint, its parameters, the fields it answers, whether it needs a token, and a curl example.
(drf-spectacular's Swagger and Redoc pages load their scripts from a CDN, which the site's
Content-Security-Policy forbids.)"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

EXAMPLES = {"{slug}": "fitn7-axe3-puy-de-dome-2021", "{year}": "2021", "{uuid}": "<uuid>"}


@functools.cache
def openapi() -> dict[str, Any]:
    """The OpenAPI document (the code's, the same for every request: built once)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str


@dataclass
class Endpoint:
    path: str
    anchor: str
    summary: str
    description: str
    public: bool
    paginated: bool
    parameters: list[Parameter] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    curl: str = ""


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "allOf" in schema and len(schema["allOf"]) == 1:  # a nested serializer, read only
        return {**_resolve(document, schema["allOf"][0]),
                **{k: v for k, v in schema.items() if k != "allOf"}}  # fmt: skip
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    return dict(document["components"]["schemas"][name])


def _type(document: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(document, schema)
    kind = schema.get("type", "objet")
    label = {
        "string": "texte",
        "integer": "entier",
        "number": "nombre",
        "boolean": "booléen",
        "array": "liste",
        "object": "objet",
    }.get(kind, kind)
    fmt = schema.get("format")
    if fmt in ("date", "date-time", "uuid", "uri"):
        label = {"date": "date ISO 8601", "date-time": "date et heure ISO 8601", "uuid": "uuid",
                 "uri": "adresse"}[fmt]  # fmt: skip
    if "enum" in schema:
        label += " (" + ", ".join(str(v) for v in schema["enum"] if v is not None) + ")"
    if schema.get("nullable"):
        label += " ou null"
    return label


def _fields(document: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[Field]:
    schema = _resolve(document, schema)
    result = []
    for name, prop in schema.get("properties", {}).items():
        prop_resolved = _resolve(document, prop)
        result.append(
            Field(prefix + name, _type(document, prop), prop_resolved.get("description", ""))
        )
        if prop_resolved.get("type") == "array" and "items" in prop_resolved:
            inner = _resolve(document, prop_resolved["items"])
            if inner.get("properties"):
                result += _fields(document, inner, f"{prefix}{name}[]."
                                  )  # fmt: skip
        elif prop_resolved.get("properties"):
            result += _fields(document, prop_resolved, f"{prefix}{name}.")
    return result


def _response_schema(document: dict[str, Any], operation: dict[str, Any]) -> tuple[Any, bool]:
    """The schema of one result, and whether the list is paginated."""
    content = operation["responses"]["200"]["content"]["application/json"]["schema"]
    schema = _resolve(document, content)
    props = schema.get("properties", {})
    if "results" in props and "next" in props:
        return _resolve(document, props["results"]["items"]), True
    if schema.get("type") == "array":
        return _resolve(document, schema["items"]), False
    return schema, False


def _param_type(schema: dict[str, Any]) -> str:
    label = {"string": "texte", "integer": "entier", "number": "nombre"}.get(
        schema.get("type", ""), schema.get("type", "")
    )
    if schema.get("format") == "date-time":
        label = "date et heure ISO 8601"
    if schema.get("format") == "uuid":
        label = "uuid"
    if "enum" in schema:
        label += " : " + ", ".join(str(v) for v in schema["enum"])
    return label


def build(request: HttpRequest) -> dict[str, Any]:
    document = openapi()
    base = request.build_absolute_uri("/").rstrip("/")
    endpoints = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        security = operation.get("security", [])
        public = {} in security
        one, paginated = _response_schema(document, operation)
        example = path
        for placeholder, value in EXAMPLES.items():
            example = example.replace(placeholder, value)
        header = "" if public else '-H "Authorization: Bearer $JETON" '
        endpoints.append(
            Endpoint(
                path=path,
                anchor="api" + path.replace("/", "-").replace("{", "").replace("}", "").rstrip("-"),
                summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                public=public,
                paginated=paginated,
                parameters=[
                    Parameter(
                        p["name"],
                        {"path": "chemin", "query": "requête"}.get(p["in"], p["in"]),
                        _param_type(p.get("schema", {})),
                        bool(p.get("required")),
                        p.get("description", ""),
                    )
                    for p in operation.get("parameters", [])
                ],
                fields=_fields(document, one),
                curl=f'curl {header}"{base}{example}"',
            )
        )
    return {
        "title": document["info"]["title"],
        "version": document["info"]["version"],
        "description": document["info"].get("description", ""),
        "endpoints": endpoints,
        "base": base,
    }
