"""Sign-up: every field's bad input, the collectivité without JavaScript, duplicates, confirmation."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from guichet.accounts import services
from guichet.accounts.models import User

from .conftest import GOOD_PASSWORD, text

pytestmark = pytest.mark.django_db

SIGNUP = "/compte/inscription/"

VALID = {
    "email": "Secretariat@Mairie-Billom.fr",
    "first_name": "Dominique",
    "last_name": "Martin",
    "function": "Secrétaire de mairie",
    "collectivity_q": "Billom",
    "collectivity": "commune:63040",
    "password1": GOOD_PASSWORD,
    "password2": GOOD_PASSWORD,
    "consent": "on",
}


def post(client, capture, **changes):
    data = {**VALID, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    with capture(execute=True):
        return client.post(SIGNUP, data)


def field_error(response, field_id):
    """The error text shown under a field, tied to it by aria-describedby."""
    html = response.content.decode()
    match = re.search(rf'<p id="{field_id}-error" class="[^"]*">([^<]*)</p>', html) or re.search(
        rf'<p class="fr-message fr-message--error" id="{field_id}-error">([^<]*)</p>', html
    )
    assert match, f"no error shown for {field_id}"
    tag = re.search(rf'<input[^>]*\sid="{field_id}"[^>]*>', html, re.S).group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
    assert f"{field_id}-error" in described or f"{field_id}-messages" in described, tag
    assert 'aria-invalid="true"' in tag
    return match.group(1)


def test_the_page_is_a_dsfr_form_with_autocomplete(client):
    html = client.get(SIGNUP).content.decode()
    assert 'autocomplete="email"' in html
    assert 'autocomplete="given-name"' in html and 'autocomplete="family-name"' in html
    assert 'autocomplete="new-password"' in html
    assert 'class="fr-password' in html
    assert 'role="combobox"' in html
    assert "combobox.js" in html


def test_sign_up_creates_an_unconfirmed_account_and_sends_the_link(
    client, django_capture_on_commit_callbacks
):
    response = post(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("accounts:signup-done")
    user = User.objects.get(email="secretariat@mairie-billom.fr")
    assert user.email_confirmed_at is None and user.terms_accepted_at is not None
    assert user.check_password(GOOD_PASSWORD)
    assert user.function == "Secrétaire de mairie"
    c = user.collectivity
    assert (c.kind, c.code, c.name, c.vintage) == ("commune", "63040", "Billom", "2026")
    assert c.ref == "commune:63040"
    [message] = mail.outbox
    assert message.to == ["secretariat@mairie-billom.fr"]
    assert message.subject.startswith("Confirmez votre adresse électronique")
    assert "Billom" in message.body
    assert "secretariat@mairie-billom.fr" in text(client.get(reverse("accounts:signup-done")))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Indiquez votre adresse électronique."),
        ("email", "secretariat@", "Cette adresse électronique n’est pas valide."),
        ("email", "a" * 250 + "@b.fr", "254 caractères au plus"),
        ("first_name", "", "Indiquez votre prénom."),
        ("first_name", "x" * 151, "Prénom : 150 caractères au plus."),
        ("last_name", "   ", "Indiquez votre nom."),
        ("function", "", "Indiquez votre fonction."),
        ("function", "x" * 151, "Fonction : 150 caractères au plus."),
        ("password1", "", "Choisissez un mot de passe."),
        ("password2", "", "Saisissez à nouveau votre mot de passe."),
        ("password2", GOOD_PASSWORD + "x", "Les deux mots de passe ne sont pas identiques."),
        ("password1", "Court-1!", "il fait 8 caractères, il en faut au moins 12"),
        ("consent", None, "Cochez cette case pour créer votre compte."),
    ],
)
def test_bad_input_gets_a_french_message_at_its_field(
    client, django_capture_on_commit_callbacks, field, value, message
):
    if field == "password1" and value:
        response = post(
            client, django_capture_on_commit_callbacks, password1=value, password2=value
        )
    else:
        response = post(client, django_capture_on_commit_callbacks, **{field: value})
    assert response.status_code == 200
    assert message in field_error(response, f"id_{field}")
    assert "Le formulaire contient 1 erreur" in text(response)
    assert not User.objects.exists() and not mail.outbox
    # What was typed is kept, except passwords.
    html = response.content.decode()
    if field != "first_name":
        assert 'value="Dominique"' in html
    assert 'value="Secrétaire de mairie"' in html or field == "function"
    assert GOOD_PASSWORD not in html


def test_password_containing_the_name_is_refused(client, django_capture_on_commit_callbacks):
    password = "Martin-Billom-2026!"
    response = post(
        client, django_capture_on_commit_callbacks, password1=password, password2=password
    )
    assert "contient votre adresse électronique, votre nom ou votre prénom" in field_error(
        response, "id_password1"
    )


def test_collectivity_missing(client, django_capture_on_commit_callbacks):
    response = post(client, django_capture_on_commit_callbacks, collectivity_q="", collectivity="")
    assert "Indiquez la collectivité" in field_error(response, "id_collectivity_q")


def test_collectivity_unknown(client, django_capture_on_commit_callbacks):
    response = post(
        client, django_capture_on_commit_callbacks, collectivity_q="Zzyzx-sur-Mer", collectivity=""
    )
    assert "Aucune collectivité ne correspond à « Zzyzx-sur-Mer »" in field_error(
        response, "id_collectivity_q"
    )


def test_collectivity_forged_reference(client, django_capture_on_commit_callbacks):
    response = post(client, django_capture_on_commit_callbacks, collectivity="commune:99999")
    assert "pas dans le référentiel" in field_error(response, "id_collectivity_q")
    response = post(client, django_capture_on_commit_callbacks, collectivity="entreprise:123")
    assert "pas dans le référentiel" in field_error(response, "id_collectivity_q")


def test_collectivity_by_name_without_javascript(client, django_capture_on_commit_callbacks):
    response = post(
        client, django_capture_on_commit_callbacks, collectivity_q="billom", collectivity=""
    )
    assert response.status_code == 302
    assert User.objects.get().collectivity.ref == "commune:63040"


def test_collectivity_epci_by_siren(client, django_capture_on_commit_callbacks):
    response = post(
        client, django_capture_on_commit_callbacks, collectivity_q="200067627", collectivity=""
    )
    assert response.status_code == 302
    c = User.objects.get().collectivity
    assert (c.kind, c.name) == ("epci", "CC Billom Communauté")


def test_ambiguous_collectivity_offers_a_choice_and_keeps_the_rest(
    client, django_capture_on_commit_callbacks
):
    response = post(
        client, django_capture_on_commit_callbacks, collectivity_q="Saint-Julien", collectivity=""
    )
    html = response.content.decode()
    assert "Plusieurs collectivités correspondent" in field_error(response, "id_collectivity_q")
    radios = re.findall(r'name="collectivity" value="([a-z]+:\w+)"', html)
    assert len(radios) >= 2
    assert 'type="hidden" id="id_collectivity"' not in html
    assert 'value="Secretariat@Mairie-Billom.fr"' in html  # as typed
    # Choosing one of them (the passwords typed again) creates the account.
    response = post(
        client,
        django_capture_on_commit_callbacks,
        collectivity_q="Saint-Julien",
        collectivity=radios[0],
    )
    assert response.status_code == 302
    assert User.objects.get().collectivity.ref == radios[0]


def test_duplicate_email_reveals_nothing_on_screen_and_tells_the_owner(
    client, agent, django_capture_on_commit_callbacks
):
    response = post(
        client, django_capture_on_commit_callbacks, email="SECRETARIAT@mairie-billom.fr"
    )
    assert response.status_code == 302 and response.url == reverse("accounts:signup-done")
    assert User.objects.count() == 1
    [message] = mail.outbox
    assert message.to == ["secretariat@mairie-billom.fr"]
    assert message.subject.startswith("Vous avez déjà un compte")
    assert "/compte/mot-de-passe/" in message.body
    assert "/compte/confirmer/" not in message.body  # already confirmed
    agent.refresh_from_db()
    assert agent.check_password(GOOD_PASSWORD)  # untouched


def test_the_signed_in_user_is_sent_to_their_dossiers(client, agent):
    client.force_login(agent)
    assert client.get(SIGNUP).url == reverse("applicant:dossiers")


# --------------------------------------------------------------------------------------------
# Confirmation


def signed_up(client, capture):
    post(client, capture)
    [message] = mail.outbox
    link = re.search(r"https?://\S+/compte/confirmer/\S+/", message.body).group(0)
    return User.objects.get(), link


def test_confirmation_link_activates_the_account(client, django_capture_on_commit_callbacks):
    user, link = signed_up(client, django_capture_on_commit_callbacks)
    response = client.get(link)
    assert response.status_code == 200
    assert "Votre adresse électronique est confirmée" in text(response)
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert "était déjà confirmée" in text(client.get(link))


def test_tampered_confirmation_link(client, django_capture_on_commit_callbacks):
    user, link = signed_up(client, django_capture_on_commit_callbacks)
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 400
    assert "Ce lien de confirmation n’est pas valable" in text(response)
    forged = signing.dumps({"u": user.pk, "e": user.email}, salt="another-salt")
    assert client.get(f"/compte/confirmer/{forged}/").status_code == 400
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_expired_confirmation_link(client, django_capture_on_commit_callbacks, monkeypatch):
    _user, link = signed_up(client, django_capture_on_commit_callbacks)
    monkeypatch.setattr(services, "CONFIRMATION_MAX_AGE", -1)
    response = client.get(link)
    assert response.status_code == 400
    assert "Ce lien de confirmation a expiré" in text(response)
    assert 'name="email"' in response.content.decode()  # and a form to get a new one


def test_link_stops_working_when_the_address_changes(client, django_capture_on_commit_callbacks):
    user, link = signed_up(client, django_capture_on_commit_callbacks)
    User.objects.filter(pk=user.pk).update(email="autre@billom.fr")
    assert client.get(link).status_code == 400


def test_resend_confirmation(client, django_capture_on_commit_callbacks):
    user, _ = signed_up(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/confirmer/", {"email": user.email})
    assert response.url == reverse("accounts:signup-done")
    assert len(mail.outbox) == 2
    # At most one a minute; and an unknown address gets the same answer.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/confirmer/", {"email": user.email})
        response = client.post("/compte/confirmer/", {"email": "inconnu@x.fr"}, follow=True)
    assert len(mail.outbox) == 2
    assert "Si un compte en attente de confirmation correspond" in text(response)


def test_resend_confirmation_bad_email(client):
    response = client.post("/compte/confirmer/", {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert "n’est pas valide" in field_error(response, "id_email")
