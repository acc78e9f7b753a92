"""``Authorization: Bearer <token>``: the token's agent, with the token as ``request.auth``."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from . import tokens

WRONG_HEADER = "En-tête « Authorization » attendu sous la forme « Bearer <jeton> »."
WRONG_TOKEN = (
    "Jeton inconnu, révoqué ou qui n’est plus valable (compte désactivé, rôle retiré sur "
    "l’appel). Créez-en un dans « Mon compte »."
)


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # anonymous: only what is public
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise AuthenticationFailed(WRONG_HEADER)
        token = tokens.authenticate(parts[1])
        if token is None:
            raise AuthenticationFailed(WRONG_TOKEN)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # makes DRF answer 401 (not 403) without a valid token


class TokenRequired(BasePermission):
    """The endpoint needs a token (``ApiView.permission_denied`` makes it a 401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.auth is not None
