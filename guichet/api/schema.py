"""What drf-spectacular needs to know of our authentication class."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "guichet.api.authentication.TokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Un jeton créé dans « Mon compte », limité à un appel à projets et aux droits "
                "de son agent : « Authorization: Bearer gch_… »."
            ),
        }
