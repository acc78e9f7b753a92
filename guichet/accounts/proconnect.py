"""ProConnect (OpenID Connect, the State's sign-in for public agents): the client side.

Off unless configured (``settings.PROCONNECT["ENABLED"]``, from the environment; see
config/settings/base.py). Authorization code flow with state, nonce and PKCE (S256); the id_token
is checked against the provider's JWKS (signature, iss, aud, exp, nonce); userinfo may come as a
signed JWT (ProConnect) or as JSON. Every failure is a ``ProConnectError`` with a French message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
LEEWAY = 30  # seconds of clock difference tolerated on exp / iat
CACHE_SECONDS = 3600


class ProConnectError(Exception):
    """``str()`` is what the person is told (French); ``detail`` is for the logs."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


UNAVAILABLE = (
    "ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous "
    "avec votre adresse électronique et votre mot de passe."
)
REJECTED = (
    "La connexion avec ProConnect n’a pas pu être vérifiée. Recommencez depuis la page de "
    "connexion."
)


def config() -> dict[str, Any]:
    return getattr(settings, "PROCONNECT", {}) or {}


def enabled() -> bool:
    c = config()
    return bool(c.get("ENABLED") and c.get("CLIENT_ID") and c.get("DISCOVERY_URL"))


# --------------------------------------------------------------------------------------------
# HTTP


def _request(url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ProConnectError(UNAVAILABLE, f"{url}: not an HTTP URL")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(
        url, data=body, headers={"Accept": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=config().get("TIMEOUT", 10)) as response:
            return response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode(errors="replace")
        raise ProConnectError(REJECTED, f"{url}: HTTP {exc.code} {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProConnectError(UNAVAILABLE, f"{url}: {exc}") from exc


def _json(url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    _, raw = _request(url, data, headers)
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ProConnectError(UNAVAILABLE, f"{url}: not JSON") from exc
    if not isinstance(value, dict):
        raise ProConnectError(UNAVAILABLE, f"{url}: not a JSON object")
    return value


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def _cached_json(url: str, refresh: bool = False) -> dict[str, Any]:
    with _cache_lock:
        hit = _cache.get(url)
    if hit and not refresh and hit[0] > time.monotonic():
        return hit[1]
    value = _json(url)
    with _cache_lock:
        _cache[url] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def discovery() -> dict[str, Any]:
    doc = _cached_json(config()["DISCOVERY_URL"])
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise ProConnectError(UNAVAILABLE, f"discovery without {key}")
    return doc


# --------------------------------------------------------------------------------------------
# The flow


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    nonce: str
    code_verifier: str


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization(redirect_uri: str) -> Authorization:
    """Where to send the browser; the state, nonce and verifier are to be kept in the session."""
    doc = discovery()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    params = {
        "response_type": "code",
        "client_id": config()["CLIENT_ID"],
        "redirect_uri": redirect_uri,
        "scope": config().get("SCOPES") or "openid email given_name usual_name siret",
        "state": state,
        "nonce": nonce,
        "code_challenge": _s256(verifier),
        "code_challenge_method": "S256",
    }
    if config().get("ACR_VALUES"):
        params["acr_values"] = config()["ACR_VALUES"]
    separator = "&" if "?" in doc["authorization_endpoint"] else "?"
    url = doc["authorization_endpoint"] + separator + urllib.parse.urlencode(params)
    return Authorization(url, state, nonce, verifier)


@dataclass(frozen=True)
class Identity:
    sub: str
    email: str
    given_name: str
    usual_name: str
    siret: str
    id_token: str


def _signing_key(token: str, doc: dict[str, Any]) -> tuple[Any, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ProConnectError(REJECTED, f"malformed JWT: {exc}") from exc
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise ProConnectError(REJECTED, f"algorithm {alg!r} refused")
    kid = header.get("kid")
    for refresh in (False, True):  # a key unknown to the cached set: the provider rotated keys
        keys = _cached_json(doc["jwks_uri"], refresh=refresh).get("keys") or []
        for jwk in keys:
            if (kid is None or jwk.get("kid") == kid) and jwk.get("use", "sig") == "sig":
                try:
                    return jwt.PyJWK(jwk, algorithm=alg).key, alg
                except jwt.PyJWTError:
                    continue
    raise ProConnectError(REJECTED, f"no JWKS key for kid {kid!r}")


def _verify(token: str, doc: dict[str, Any], require: list[str]) -> dict[str, Any]:
    key, alg = _signing_key(token, doc)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=config()["CLIENT_ID"],
            issuer=doc["issuer"],
            leeway=LEEWAY,
            options={"require": require},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ProConnectError(REJECTED, f"expired token: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise ProConnectError(REJECTED, f"invalid token: {exc}") from exc


def complete(code: str, redirect_uri: str, nonce: str, code_verifier: str) -> Identity:
    """Exchange the code, check the id_token, read userinfo. Raises ProConnectError."""
    doc = discovery()
    c = config()
    tokens = _json(
        doc["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": c["CLIENT_ID"],
            "client_secret": c.get("CLIENT_SECRET", ""),
            "code_verifier": code_verifier,
        },
    )
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise ProConnectError(REJECTED, "token response without id_token or access_token")
    claims = _verify(id_token, doc, ["exp", "iat", "iss", "aud", "sub"])
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise ProConnectError(REJECTED, "nonce mismatch")

    info: dict[str, Any] = {}
    if doc.get("userinfo_endpoint"):
        content_type, raw = _request(
            doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
        )
        if content_type == "application/jwt":
            info = _verify(raw.decode().strip(), doc, ["sub"])
        else:
            try:
                info = json.loads(raw)
            except ValueError as exc:
                raise ProConnectError(REJECTED, "userinfo neither JWT nor JSON") from exc
        if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
            raise ProConnectError(REJECTED, "userinfo sub differs from id_token sub")
    merged = {**claims, **info}
    email = str(merged.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise ProConnectError(
            "ProConnect n’a pas transmis votre adresse électronique : connectez-vous avec votre "
            "adresse et votre mot de passe.",
            "no email claim",
        )
    return Identity(
        sub=str(claims["sub"]),
        email=email,
        given_name=str(merged.get("given_name") or "").strip(),
        usual_name=str(merged.get("usual_name") or merged.get("family_name") or "").strip(),
        siret=str(merged.get("siret") or "").replace(" ", ""),
        id_token=id_token,
    )


def end_session_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's logout URL, or None when it has none or cannot be reached."""
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProConnectError as exc:
        logger.warning("ProConnect logout skipped: %s", exc.detail)
        return None
    if not endpoint:
        return None
    params = {
        "id_token_hint": id_token,
        "state": secrets.token_urlsafe(16),
        "post_logout_redirect_uri": post_logout_redirect_uri,
    }
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urllib.parse.urlencode(params)
