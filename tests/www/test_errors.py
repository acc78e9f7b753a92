"""The error pages with DEBUG off (the test settings): French, DSFR look, right status, and
none of them reads the request's body. Issue 8: « Error pages » and the 400 that was a 500."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.dossiers.factories import REAL_CALL, agent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.www.error_urls")]

SIGN_IN = "/compte/connexion/"


def text(response) -> str:
    return " ".join(
        re.sub(r"<[^>]+>", " ", response.content.decode()).replace("\u00a0", " ").split()
    )


def assert_dsfr_error_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html
    assert 'class="fr-header' in html and "République" in html
    assert f"<h1>{heading}</h1>" in html
    assert f"Erreur {status}" in html
    assert "fr-artwork" in html  # the DSFR's error illustration
    assert "Page d’accueil" in html
    for english in ("Not Found", "Bad Request", "Server Error", "Forbidden", "Traceback"):
        assert english not in html
    return html


def test_debug_is_off_in_the_tests(settings):
    assert settings.DEBUG is False


def test_404_is_french_and_dsfr(client):
    html = assert_dsfr_error_page(client.get("/nulle-part/"), 404, "Page introuvable")
    assert "<title>Page introuvable — guichet</title>" in html


def test_404_knows_who_is_signed_in(client):
    client.force_login(agent())
    html = assert_dsfr_error_page(client.get("/nulle-part/"), 404, "Page introuvable")
    assert "Se déconnecter" in html


def test_403_is_french_and_dsfr(client):
    assert_dsfr_error_page(client.get("/essai/interdit/"), 403, "Accès refusé")


def test_400_is_french_and_dsfr(client):
    assert_dsfr_error_page(client.get("/essai/illisible/"), 400, "Demande illisible")


def test_500_is_french_and_dsfr_and_says_what_was_kept():
    client = Client(raise_request_exception=False)
    html = assert_dsfr_error_page(client.get("/essai/panne/"), 500, "Erreur inattendue")
    assert "Ce que vous avez déjà enregistré est conservé" in html


def failing_processor(request):
    raise RuntimeError("un processeur de contexte en panne")


def test_500_renders_without_the_database_and_without_context_processors(
    settings, django_assert_num_queries
):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {
            **settings.TEMPLATES[0]["OPTIONS"],
            "context_processors": ["tests.www.test_errors.failing_processor"],
        }}
    ]  # fmt: skip
    from guichet.www.errors import server_error

    with django_assert_num_queries(0):
        response = server_error(None)
    assert_dsfr_error_page(response, 500, "Erreur inattendue")


def test_a_404_that_cannot_be_rendered_falls_back_to_the_static_page(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {
            **settings.TEMPLATES[0]["OPTIONS"],
            "context_processors": ["tests.www.test_errors.failing_processor"],
        }}
    ]  # fmt: skip
    response = Client(raise_request_exception=False).get("/nulle-part/")
    assert response.status_code == 404
    assert "<h1>Erreur inattendue</h1>" in response.content.decode()


# ---------------------------------------------------------------- 400: bodies Django cannot read

UNREADABLE_BODIES = [
    ("application/x-www-form-urlencoded; charset=latin-1", b"email=%E9t%E9&password=x"),
    ("multipart/form-data", b"--x\r\nbroken"),  # no boundary
    ("multipart/form-data; boundary=\xff", b"--x\r\nbroken"),
    ("application/x-www-form-urlencoded", b"&".join(b"a%d=1" % i for i in range(1200))),
]


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_BODIES)
def test_an_unreadable_post_is_a_french_400_not_a_500(content_type, body):
    # raise_request_exception=True: a handler reading request.POST again would raise here.
    response = Client().generic("POST", SIGN_IN, data=body, content_type=content_type)
    assert_dsfr_error_page(response, 400, "Demande illisible")


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_BODIES)
def test_an_unreadable_post_with_a_valid_csrf_cookie_is_a_french_400(content_type, body):
    client = Client(enforce_csrf_checks=True)
    client.get(SIGN_IN)  # sets the CSRF cookie; the token is in the body Django cannot read
    response = client.generic("POST", SIGN_IN, data=body, content_type=content_type)
    assert response.status_code in (400, 403)
    heading = "Demande illisible" if response.status_code == 400 else "Formulaire expiré"
    assert_dsfr_error_page(response, response.status_code, heading)


def test_an_unknown_charset_is_not_a_500():
    response = Client().generic(
        "POST",
        SIGN_IN,
        data=b"email=a",
        content_type="application/x-www-form-urlencoded; charset=x-nope",
    )
    assert response.status_code < 500


def test_a_broken_multipart_boundary_is_a_french_400():
    body = b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\na'  # never closed
    response = Client().generic(
        "POST", SIGN_IN, data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code in (200, 400)  # an empty form, or the French page
    if response.status_code == 400:
        assert_dsfr_error_page(response, 400, "Demande illisible")


def test_non_utf8_bytes_in_the_query_string_are_not_a_500(client):
    response = client.get(
        reverse("public:simulator", args=[REAL_CALL]), QUERY_STRING="q=%E9%FF&cost=%FF%FE"
    )
    assert response.status_code == 200


# ---------------------------------------------------------------- 403 of a refused CSRF token


def test_a_refused_csrf_token_is_a_french_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(SIGN_IN, {"email": "a@example.fr", "password": "x"})
    html = assert_dsfr_error_page(response, 403, "Formulaire expiré")
    assert "cookies" in html
    assert "CSRF" not in text(response)


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_BODIES[:1])
def test_the_csrf_page_does_not_read_the_body(content_type, body):
    from django.test import RequestFactory

    from guichet.www.errors import csrf_failure

    request = RequestFactory().generic("POST", SIGN_IN, data=body, content_type=content_type)
    request.user = __import__("django.contrib.auth.models", fromlist=["x"]).AnonymousUser()
    response = csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert not hasattr(request, "_post")  # request.POST never read


# ---------------------------------------------------------------- 405


def test_opening_the_start_of_a_dossier_by_its_address_offers_the_button(client):
    client.force_login(agent())
    url = reverse("applicant:create", args=["demo-fitn7-axe3-puy-de-dome"])
    response = client.get(url)
    html = assert_dsfr_error_page(response, 405, "Cette page s’ouvre depuis un bouton")
    assert response["Allow"] == "POST"
    assert re.search(rf'<form method="post" action="{re.escape(url)}">', html)
    assert "Commencer le dossier" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_other_post_only_addresses_get_the_page_without_a_button(client):
    user = agent()
    client.force_login(user)
    response = client.get(reverse("accounts:logout"))
    if response.status_code == 405:
        html = assert_dsfr_error_page(response, 405, "Cette page s’ouvre depuis un bouton")
        assert '<button class="fr-btn" type="submit">' not in html  # no retry button


def test_posting_to_a_page_that_only_shows_is_a_french_405(client):
    response = client.post("/")
    html = assert_dsfr_error_page(response, 405, "Cette page s’ouvre depuis un bouton")
    assert response["Allow"] == "GET"
    assert "Commencer le dossier" not in html


# ---------------------------------------------------------------- favicon


def test_the_favicon_is_linked_and_answered(client):
    html = client.get("/").content.decode()
    assert re.search(
        r'<link rel="shortcut icon"\s+href="/static/dsfr/dist/favicon/favicon.ico"', html
    )
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/dsfr/dist/favicon/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    icon.close()  # a file response: its file is closed with it


@override_settings(DEBUG=False)
def test_an_unknown_static_file_is_a_404_not_a_500(client):
    assert client.get("/static/nulle-part.css").status_code == 404


def test_an_unknown_host_is_a_french_400():
    response = Client(HTTP_HOST="evil.example").get("/")
    assert_dsfr_error_page(response, 400, "Demande illisible")
