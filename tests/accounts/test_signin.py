"""Sign-in (confirmed accounts only, delay after failures), sign-out, password reset, « Mon compte »."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet.accounts import throttling
from guichet.accounts.models import User

from .conftest import GOOD_PASSWORD, text

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def sign_in(client, email="secretariat@mairie-billom.fr", password=GOOD_PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def test_sign_in_page(client):
    html = client.get(LOGIN).content.decode()
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert "Mot de passe oublié ?" in html and "Créer un compte" in html
    assert "ProConnect" not in html  # off by default


def test_sign_in_and_out(client, agent):
    response = sign_in(client, email="  SECRETARIAT@mairie-billom.fr ")
    assert response.status_code == 302 and response.url == reverse("applicant:dossiers")
    body = text(client.get(response.url))
    assert "Mes dossiers" in body and "Mon compte" in body and "Se déconnecter" in body
    response = client.post("/compte/deconnexion/", follow=True)
    assert "Se connecter" in text(response) and "Mon compte" not in text(response)
    assert client.get(reverse("applicant:dossiers")).status_code == 302


def test_sign_in_follows_next_but_not_elsewhere(client, agent):
    response = client.post(
        LOGIN, {"username": agent.email, "password": GOOD_PASSWORD, "next": "/compte/"}
    )
    assert response.url == "/compte/"
    client.logout()
    response = client.post(
        LOGIN, {"username": agent.email, "password": GOOD_PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == reverse("applicant:dossiers")


def test_logout_needs_post(client, agent):
    client.force_login(agent)
    assert client.get("/compte/deconnexion/").status_code == 405


@pytest.mark.parametrize(
    ("email", "password", "message", "field"),
    [
        ("", GOOD_PASSWORD, "Indiquez votre adresse électronique.", "id_username"),
        ("secretariat@mairie-billom.fr", "", "Indiquez votre mot de passe.", "id_password"),
    ],
)
def test_missing_fields(client, agent, email, password, message, field):
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert message in text(response)
    assert f"{field}-error" in response.content.decode()


def test_wrong_password_keeps_the_email_not_the_password(client, agent):
    response = sign_in(client, password="Mauvais-mot-2026!")
    body = text(response)
    assert "Adresse électronique ou mot de passe incorrect." in body
    html = response.content.decode()
    assert 'value="secretariat@mairie-billom.fr"' in html
    assert "Mauvais-mot-2026!" not in html


def test_unknown_account_gets_the_same_message(client):
    body = text(sign_in(client, email="personne@nulle-part.fr"))
    assert "Adresse électronique ou mot de passe incorrect." in body


def test_unconfirmed_account_is_refused_and_offered_a_new_link(
    client, agent, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=agent.pk).update(email_confirmed_at=None)
    response = sign_in(client)
    assert response.status_code == 200
    body = text(response)
    assert "Votre adresse électronique n’est pas encore confirmée" in body
    assert "Recevoir un nouveau lien de confirmation" in body
    assert "_auth_user_id" not in client.session
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/confirmer/", {"email": agent.email})
    [message] = mail.outbox
    link = re.search(r"http://\S+/compte/confirmer/\S+/", message.body).group(0)
    client.get(link)
    assert sign_in(client).status_code == 302


def test_unconfirmed_but_wrong_password_does_not_say_unconfirmed(client, agent):
    User.objects.filter(pk=agent.pk).update(email_confirmed_at=None)
    body = text(sign_in(client, password="Mauvais-mot-2026!"))
    assert "pas encore confirmée" not in body


def test_inactive_account(client, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert "Adresse électronique ou mot de passe incorrect." in text(sign_in(client))


# --------------------------------------------------------------------------------------------
# Throttling


def test_five_failures_then_a_delay_even_with_the_right_password(client, agent):
    for _ in range(throttling.FREE_FAILURES):
        assert sign_in(client, password="Mauvais-mot-2026!").status_code == 200
    response = sign_in(client)
    assert response.status_code == 429
    body = text(response)
    assert "Trop de tentatives de connexion ont échoué" in body
    assert "patientez 1 minute" in body
    assert "_auth_user_id" not in client.session


def test_the_delay_is_per_account_and_address(client, agent):
    for _ in range(throttling.FREE_FAILURES):
        sign_in(client, password="Mauvais-mot-2026!")
    # Another address (IP) may still sign in to this account.
    assert sign_in(client, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_the_delay_ends_and_doubles(client, agent, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    for _ in range(throttling.FREE_FAILURES):
        sign_in(client, password="Mauvais-mot-2026!")
    assert throttling.check(agent.email, "127.0.0.1").seconds == 60
    clock[0] += 61
    sign_in(client, password="Mauvais-mot-2026!")  # the 6th failure: 2 minutes
    assert "patientez 2 minutes" in text(sign_in(client))
    clock[0] += 121
    assert sign_in(client).status_code == 302  # success forgets the count
    assert throttling.check(agent.email, "127.0.0.1") is None


def test_delay_is_capped():
    assert throttling._delay(100) == throttling.MAX_DELAY
    assert throttling._delay(100, throttling.ACCOUNT_FREE_FAILURES) == throttling.MAX_DELAY


# --------------------------------------------------------------------------------------------
# Password reset


def reset_link(client, capture, email):
    with capture(execute=True):
        response = client.post("/compte/mot-de-passe/", {"email": email})
    assert response.url == reverse("accounts:password_reset_done")
    if not mail.outbox:
        return None
    message = mail.outbox[-1]
    return re.search(r"http://\S+/compte/mot-de-passe/\S+/\S+/", message.body).group(0)


def test_reset_flow(client, agent, django_capture_on_commit_callbacks):
    link = reset_link(client, django_capture_on_commit_callbacks, "SECRETARIAT@mairie-billom.fr")
    [message] = mail.outbox
    assert message.subject.startswith("Choisir un nouveau mot de passe")
    assert "Bonjour Dominique," in message.body
    html = message.alternatives[0][0]
    assert "Choisir un nouveau mot de passe" in html and link in html
    response = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in text(response)
    form_url = response.redirect_chain[-1][0]
    new = "Nouveau-Billom-2027?"
    # Weak, then mismatched, then right.
    response = client.post(form_url, {"new_password1": "court", "new_password2": "court"})
    assert "il en faut au moins 12" in text(response)
    response = client.post(form_url, {"new_password1": new, "new_password2": new + "x"})
    assert "Les deux mots de passe ne sont pas identiques." in text(response)
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.url == reverse("accounts:password_reset_complete")
    assert sign_in(client, password=new).status_code == 302
    # The link served once.
    client.logout()
    assert "Ce lien n’est plus valable" in text(client.get(link, follow=True))


def test_reset_of_an_unknown_address_says_the_same_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    assert reset_link(client, django_capture_on_commit_callbacks, "inconnu@x.fr") is None
    body = text(client.get(reverse("accounts:password_reset_done")))
    assert "Si un compte correspond à l’adresse indiquée" in body


def test_reset_bad_email(client):
    response = client.post("/compte/mot-de-passe/", {"email": "pas une adresse"})
    assert "Cette adresse électronique n’est pas valide." in text(response)


def test_reset_confirms_an_unconfirmed_address(client, agent, django_capture_on_commit_callbacks):
    User.objects.filter(pk=agent.pk).update(email_confirmed_at=None)
    link = reset_link(client, django_capture_on_commit_callbacks, agent.email)
    form_url = client.get(link).url
    new = "Nouveau-Billom-2027?"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    agent.refresh_from_db()
    assert agent.email_confirmed_at is not None


def test_tampered_reset_link(client, agent):
    response = client.get("/compte/mot-de-passe/MQ/abc-def/")
    assert "Ce lien n’est plus valable" in text(response)


# --------------------------------------------------------------------------------------------
# « Mon compte »


def test_account_needs_sign_in(client):
    response = client.get("/compte/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_account_shows_and_edits_the_profile(client, agent):
    client.force_login(agent)
    html = client.get("/compte/").content.decode()
    assert 'value="Billom"' in html and 'value="commune:63040"' in html
    assert 'value="Secrétaire de mairie"' in html
    response = client.post(
        "/compte/",
        {
            "first_name": "Dominique", "last_name": "Martin", "function": "DGS",
            "phone": "+33 4 73 68 39 85", "collectivity_q": "CC Billom Communauté",
            "collectivity": "epci:200067627",
        },
    )  # fmt: skip
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.function == "DGS" and agent.phone == "04 73 68 39 85"
    assert agent.collectivity.ref == "epci:200067627"
    assert "Vos informations sont enregistrées." in text(client.get("/compte/"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12", "Ce numéro de téléphone n’est pas valide."),
        ("phone", "04 73 68 39 8", "Ce numéro de téléphone n’est pas valide."),
        ("function", "", "Indiquez votre fonction."),
        ("first_name", "", "Indiquez votre prénom."),
        ("collectivity_q", "", "Indiquez la collectivité"),
    ],
)
def test_account_bad_input(client, agent, field, value, message):
    client.force_login(agent)
    data = {
        "first_name": "Dominique", "last_name": "Martin", "function": "DGS", "phone": "",
        "collectivity_q": "Billom", "collectivity": "commune:63040",
    }  # fmt: skip
    data[field] = value
    if field == "collectivity_q":
        data["collectivity"] = ""
    response = client.post("/compte/", data)
    assert response.status_code == 200
    assert message in text(response)
    assert f"id_{field}-error" in response.content.decode()
    agent.refresh_from_db()
    assert agent.function == "Secrétaire de mairie"
