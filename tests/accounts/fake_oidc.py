"""A small OpenID Connect provider for the tests: discovery, JWKS, token and userinfo endpoints.

It runs in a thread on 127.0.0.1 (random port) with an RSA key made for the test. The browser's
visit to the authorization endpoint is simulated by ``authorize(url)``, which returns the
callback URL the provider would redirect to. Attributes let a test spoil one step (signature,
expiry, nonce, userinfo format, a missing e-mail).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "guichet-test"
CLIENT_SECRET = "secret-de-test"


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProvider:
    def __init__(self) -> None:
        self.key = _new_key()
        self.kid = "key-1"
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        # What a test may change:
        self.claims = {
            "email": "Agent.Numerique@billom-communaute.fr",
            "given_name": "Camille",
            "usual_name": "Durand",
            "siret": "20006762700011",  # CC Billom Communauté
        }
        self.sign_with = None  # another private key: a bad signature
        self.id_token_lifetime = 60  # negative: expired
        self.nonce_override = None
        self.userinfo_as = "jwt"  # or "json"
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    # -- the browser's step

    def authorize(self, authorization_url: str) -> str:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
        assert authorization_url.startswith(f"{self.url}/authorize?")
        assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
        assert params["code_challenge_method"] == "S256"
        assert "openid" in params["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        query = urllib.parse.urlencode({"code": code, "state": params["state"]})
        return f"{params['redirect_uri']}?{query}"

    # -- tokens

    def sign(self, payload: dict, key=None) -> str:
        return jwt.encode(
            payload, key or self.sign_with or self.key, algorithm="RS256", headers={"kid": self.kid}
        )

    def _token_response(self, form: dict) -> tuple[int, dict]:
        self.token_requests.append(form)
        params = self.codes.pop(form.get("code", ""), None)
        if params is None:
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if form.get("redirect_uri") != params["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        ).rstrip(b"=")
        if challenge.decode() != params["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        sub = (
            "sub-" + hashlib.sha256(self.claims.get("email", "").lower().encode()).hexdigest()[:12]
        )
        id_token = self.sign(
            {
                "iss": self.url,
                "aud": CLIENT_ID,
                "sub": sub,
                "iat": now,
                "exp": now + self.id_token_lifetime,
                "nonce": self.nonce_override or params["nonce"],
                "acr": "eidas1",
            }
        )
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = {"sub": sub, **self.claims}
        return 200, {"access_token": access_token, "id_token": id_token, "token_type": "Bearer"}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body, content_type="application/json"):
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    base = provider.url
                    return self._send(
                        200,
                        {
                            "issuer": base,
                            "authorization_endpoint": f"{base}/authorize",
                            "token_endpoint": f"{base}/token",
                            "userinfo_endpoint": f"{base}/userinfo",
                            "jwks_uri": f"{base}/jwks",
                            "end_session_endpoint": f"{base}/session/end",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                if path == "/jwks":
                    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(
                        provider.key.public_key(), as_dict=True
                    )
                    jwk.update(kid=provider.kid, use="sig", alg="RS256")
                    return self._send(200, {"keys": [jwk]})
                if path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    info = provider.tokens.get(token)
                    if info is None:
                        return self._send(401, {"error": "invalid_token"})
                    if provider.userinfo_as == "json":
                        return self._send(200, info)
                    signed = provider.sign({**info, "iss": provider.url, "aud": CLIENT_ID})
                    return self._send(200, signed.encode(), "application/jwt")
                return self._send(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if urllib.parse.urlsplit(self.path).path == "/token":
                    status, body = provider._token_response(form)
                    return self._send(status, body)
                return self._send(404, {"error": "not_found"})

        return Handler
