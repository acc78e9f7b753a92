"""Security headers on the main pages: the Content-Security-Policy, and no cache for private pages.

The policy allows no inline script or style, so the pages must carry none: the walk also looks
at each page's HTML for ``<script>`` without ``src``, ``<style>`` and ``style=`` attributes.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db

EXPECTED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_policy(response) -> None:
    assert "Content-Security-Policy" in response, response.request["PATH_INFO"]
    found = directives(response["Content-Security-Policy"])
    for name, value in EXPECTED_DIRECTIVES.items():
        assert found.get(name) == value, (response.request["PATH_INFO"], name, found.get(name))
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def assert_nothing_inline(html: str, path: str) -> None:
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html, re.I) if "src=" not in tag
    ]
    assert not inline_scripts, (path, inline_scripts)
    assert not re.search(r"<style\b", html, re.I), path
    assert not re.search(r"\sstyle\s*=", html, re.I), (path, re.findall(r".{60}style=.{60}", html))
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", html), path  # no onclick= and the like


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def submitted(owner):
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


PUBLIC_PAGES = [
    ("public:home", []),
    ("public:call", [REAL_CALL]),
    ("public:results", [REAL_CALL]),
    ("public:simulator", [REAL_CALL]),
    ("public:accessibility", []),
    ("accounts:login", []),
    ("accounts:signup", []),
    ("accounts:password_reset", []),
    ("accounts:resend-confirmation", []),
    ("api:documentation", []),
]


@pytest.mark.parametrize(("name", "args"), PUBLIC_PAGES)
def test_public_and_sign_in_pages_have_the_policy_and_no_inline_code(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert_policy(response)
    assert_nothing_inline(response.content.decode(), name)


def test_the_applicant_s_pages_have_the_policy_and_no_inline_code(client, owner, submitted):
    client.force_login(owner)
    editable = draft(owner)
    paths = [
        reverse("applicant:dossiers"),
        reverse("accounts:account"),
        reverse("applicant:dossier", args=[submitted.uuid]),
        *(
            reverse("applicant:step", args=[editable.uuid, step])
            for step in ("porteur", "projet", "budget", "pieces", "recapitulatif")
        ),
    ]
    with clock.frozen(IN_WINDOW):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert_policy(response)
            assert_nothing_inline(response.content.decode(), path)


def test_the_back_office_pages_have_the_policy_and_no_inline_code(client, submitted):
    client.force_login(reviewer())
    for path in (
        reverse("backoffice:dossiers"),
        reverse("backoffice:dossiers") + "?q=portail",
        reverse("backoffice:dossier", args=[submitted.uuid]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_policy(response)
        assert_nothing_inline(response.content.decode(), path)


def test_htmx_injects_no_style_of_its_own(client):
    import json

    html = client.get(reverse("public:home")).content.decode()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match, "base.html configures htmx"
    config = json.loads(match.group(1))
    assert config["includeIndicatorStyles"] is False  # no <style> for .htmx-indicator
    assert "style" not in config["attributesToSettle"]  # no style attribute copied on swaps


def test_errors_have_the_policy_too(client):
    assert_policy(client.get("/cette-page-n-existe-pas/"))


def test_a_stored_file_keeps_its_own_sandbox_policy(client, submitted):
    client.force_login(reviewer())
    piece = submitted.attachments.get(kind="quote")
    response = client.get(
        reverse("backoffice:attachment", args=[submitted.uuid, piece.pk]) + "?apercu=1"
    )
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"


def test_proconnect_s_origin_is_allowed_as_a_form_target_when_configured(monkeypatch):
    """« Se déconnecter » is a form whose answer redirects to ProConnect's end of session."""
    import config.settings.base as base

    monkeypatch.setenv("PROCONNECT_CLIENT_ID", "guichet")
    monkeypatch.setenv("PROCONNECT_ISSUER", "https://auth.agentconnect.gouv.fr/api/v2")
    try:
        policy = importlib.reload(base).CONTENT_SECURITY_POLICY["DIRECTIVES"]
        assert policy["form-action"] == ["'self'", "https://auth.agentconnect.gouv.fr"]
    finally:
        monkeypatch.delenv("PROCONNECT_CLIENT_ID")
        monkeypatch.delenv("PROCONNECT_ISSUER")
        importlib.reload(base)
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] == ["'self'"]


# --- Cache-Control ----------------------------------------------------------------------------


def test_signed_in_pages_are_private_and_not_stored(client, owner, submitted):
    client.force_login(owner)
    for path in (
        reverse("public:home"),
        reverse("applicant:dossiers"),
        reverse("applicant:dossier", args=[submitted.uuid]),
        reverse("accounts:account"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-store", path


def test_back_office_pages_are_private_and_not_stored(client, submitted):
    client.force_login(reviewer())
    for path in (
        reverse("backoffice:dossiers"),
        reverse("backoffice:dossier", args=[submitted.uuid]),
    ):
        assert client.get(path)["Cache-Control"] == "private, no-store", path


@pytest.mark.parametrize(
    "name",
    [
        "accounts:login",
        "accounts:signup",
        "accounts:password_reset",
        "accounts:resend-confirmation",
    ],
)
def test_sign_in_pages_are_not_stored_even_signed_out(client, name):
    response = client.get(reverse(name))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_redirect_to_sign_in_is_not_stored_either(client, owner):
    client.force_login(owner)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"


def test_public_pages_for_visitors_are_left_to_the_defaults(client):
    response = client.get(reverse("public:home"))
    assert "Cache-Control" not in response


def test_a_cache_control_chosen_by_the_view_is_kept(client):
    # Django's sign-in view says never_cache itself: its words stay.
    response = client.get(reverse("accounts:login"))
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
