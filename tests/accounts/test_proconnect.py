"""ProConnect against a fake OpenID Connect provider started by the tests."""

import socket
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.accounts import proconnect
from guichet.accounts.models import User
from guichet.www.accounts.views import PROCONNECT_ID_TOKEN

from .conftest import GOOD_PASSWORD, text
from .fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeProvider, _new_key

pytestmark = pytest.mark.django_db

LOGIN = "/compte/proconnect/connexion/"
CALLBACK = "/compte/proconnect/retour/"


@pytest.fixture
def provider(settings):
    fake = FakeProvider().start()
    settings.PROCONNECT = {
        "ENABLED": True,
        "DISCOVERY_URL": fake.discovery_url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "SCOPES": "openid email given_name usual_name siret",
        "TIMEOUT": 5,
    }
    proconnect.clear_cache()
    yield fake
    fake.stop()
    proconnect.clear_cache()


def start(client, next_url=""):
    response = client.get(LOGIN + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response.url


def callback_path(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def journey(client, provider, next_url=""):
    return client.get(callback_path(provider.authorize(start(client, next_url))))


# --------------------------------------------------------------------------------------------
# Switched off


def test_off_by_default_no_button_and_404(client, settings):
    assert settings.PROCONNECT["ENABLED"] is False
    assert "ProConnect" not in text(client.get("/compte/connexion/"))
    assert client.get(LOGIN).status_code == 404
    assert client.get(CALLBACK + "?code=x&state=y").status_code == 404


def test_button_shown_when_on(client, provider):
    html = client.get("/compte/connexion/").content.decode()
    assert 'href="/compte/proconnect/connexion/"' in html and "S’identifier avec" in html


# --------------------------------------------------------------------------------------------
# Success


def test_first_sign_in_creates_the_account_and_asks_the_rest(client, provider):
    response = journey(client, provider)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:complete-profile"))
    user = User.objects.get(email="agent.numerique@billom-communaute.fr")
    assert user.email_confirmed_at is not None and not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Camille", "Durand")
    assert user.proconnect_sub.startswith("sub-")
    c = user.collectivity  # from the SIRET's SIREN
    assert (c.kind, c.code, c.name) == ("epci", "200067627", "CC Billom Communauté")
    # The request went with the PKCE verifier and the client's credentials.
    assert provider.token_requests[0]["code_verifier"]
    # The completion page: prefilled collectivité, the function asked.
    page = client.get(response.url)
    assert "Complétez votre profil" in text(page)
    assert 'value="CC Billom Communauté"' in page.content.decode()
    data = {
        "first_name": "Camille", "last_name": "Durand", "function": "", "phone": "",
        "collectivity_q": "CC Billom Communauté", "collectivity": "epci:200067627",
        "next": "/mes-dossiers/",
    }  # fmt: skip
    assert "Indiquez votre fonction." in text(client.post(response.url, data))
    data["function"] = "Chargée de mission numérique"
    response = client.post(reverse("accounts:complete-profile"), data)
    assert response.url == "/mes-dossiers/"
    user.refresh_from_db()
    assert user.profile_complete


def test_commune_siret_and_json_userinfo(client, provider):
    provider.userinfo_as = "json"
    provider.claims = {**provider.claims, "email": "maire@billom.fr", "siret": "21630040000016"}
    journey(client, provider)
    c = User.objects.get(email="maire@billom.fr").collectivity
    assert (c.kind, c.code, c.name) == ("commune", "63040", "Billom")


def test_unknown_siret_leaves_the_collectivity_to_the_agent(client, provider):
    provider.claims = {**provider.claims, "siret": "13000000000019"}  # a State service
    journey(client, provider)
    assert User.objects.get().collectivity is None


def test_existing_account_is_found_by_email(client, provider, agent):
    provider.claims = {**provider.claims, "email": agent.email.upper(), "given_name": "X"}
    response = journey(client, provider, next_url="/compte/")
    assert response.url == "/compte/"  # complete profile: straight to where one was going
    agent.refresh_from_db()
    assert agent.first_name == "Dominique"  # not overwritten
    assert agent.collectivity.ref == "commune:63040"  # not overwritten
    assert agent.check_password(GOOD_PASSWORD)  # still usable
    assert User.objects.count() == 1
    assert client.session["_auth_user_id"] == str(agent.pk)
    # Second time: found by its ProConnect identifier even if the address changed there.
    client.logout()
    User.objects.filter(pk=agent.pk).update(email="nouvelle@billom.fr")
    journey(client, provider)
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_unconfirmed_account_becomes_confirmed(client, provider, agent):
    User.objects.filter(pk=agent.pk).update(email_confirmed_at=None)
    provider.claims = {**provider.claims, "email": agent.email}
    journey(client, provider)
    agent.refresh_from_db()
    assert agent.email_confirmed_at is not None


def test_logout_goes_through_the_provider(client, provider):
    journey(client, provider)
    id_token = client.session[PROCONNECT_ID_TOKEN]
    response = client.post("/compte/deconnexion/")
    assert response.url.startswith(f"{provider.url}/session/end?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.url).query))
    assert params["id_token_hint"] == id_token and params["state"]
    assert params["post_logout_redirect_uri"] == "http://testserver/compte/proconnect/deconnecte/"
    assert "_auth_user_id" not in client.session
    assert client.get("/compte/proconnect/deconnecte/").url == "/"


def test_password_logout_does_not_go_through_the_provider(client, provider, agent):
    client.force_login(agent)
    assert client.post("/compte/deconnexion/").url == "/"


# --------------------------------------------------------------------------------------------
# Failures: a French page, never a 500, nobody signed in


def assert_refused(response, status, words):
    assert response.status_code == status
    body = text(response)
    assert "Connexion avec ProConnect impossible" in body
    assert words in body
    assert "Se connecter avec son adresse électronique" in body


def test_bad_state(client, provider):
    url = provider.authorize(start(client))
    tampered = url.replace("state=", "state=x")
    assert_refused(client.get(callback_path(tampered)), 400, "n’a pas pu être vérifiée")
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_callback_without_a_flow(client, provider):
    assert_refused(client.get(CALLBACK + "?code=abc&state=def"), 400, "n’a pas pu être vérifiée")


def test_state_is_single_use(client, provider):
    url = callback_path(provider.authorize(start(client)))
    assert client.get(url).status_code == 302
    client.logout()
    assert client.get(url).status_code == 400


def test_bad_nonce(client, provider):
    provider.nonce_override = "another-nonce"
    assert_refused(journey(client, provider), 400, "n’a pas pu être vérifiée")
    assert not User.objects.exists()


def test_bad_signature(client, provider):
    provider.sign_with = _new_key()
    assert_refused(journey(client, provider), 400, "n’a pas pu être vérifiée")
    assert not User.objects.exists()


def test_expired_id_token(client, provider):
    provider.id_token_lifetime = -120  # beyond the 30 s of tolerated clock difference
    assert_refused(journey(client, provider), 400, "n’a pas pu être vérifiée")
    assert not User.objects.exists()


def test_userinfo_of_another_person(client, provider, monkeypatch):
    original = provider._token_response

    def swap(form):
        status, body = original(form)
        for info in provider.tokens.values():
            info["sub"] = "someone-else"
        return status, body

    monkeypatch.setattr(provider, "_token_response", swap)
    assert_refused(journey(client, provider), 400, "n’a pas pu être vérifiée")


def test_no_email(client, provider):
    provider.claims = {k: v for k, v in provider.claims.items() if k != "email"}
    assert_refused(journey(client, provider), 400, "n’a pas transmis votre adresse électronique")


def test_user_cancelled_at_the_provider(client, provider):
    auth = start(client)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth).query))["state"]
    response = client.get(f"{CALLBACK}?error=access_denied&state={state}")
    assert_refused(response, 400, "annulée ou refusée")


def test_provider_down_before_sign_in(client, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.PROCONNECT = {
        "ENABLED": True,
        "DISCOVERY_URL": f"http://127.0.0.1:{port}/.well-known/openid-configuration",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "TIMEOUT": 2,
    }
    proconnect.clear_cache()
    assert_refused(client.get(LOGIN), 502, "ProConnect ne répond pas pour le moment")


def test_provider_down_during_the_token_exchange(client, provider):
    url = callback_path(provider.authorize(start(client)))
    provider.stop()
    assert_refused(client.get(url), 502, "ProConnect ne répond pas pour le moment")


def test_inactive_account(client, provider, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False, email_confirmed_at=timezone.now())
    provider.claims = {**provider.claims, "email": agent.email}
    assert_refused(journey(client, provider), 403, "désactivé")
