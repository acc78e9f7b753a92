"""Two-factor authentication: the TOTP functions against the RFCs' vectors, then the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet import clock
from guichet.accounts import two_factor
from guichet.accounts.models import AccountEvent, User
from guichet.review.models import AgentRole, Role
from guichet.www.accounts import totp_views

from . import two_factor_helpers as helpers
from .conftest import GOOD_PASSWORD, text
from .test_proconnect import journey, provider  # noqa: F401

SECRET = helpers.SECRET
T0 = dt.datetime.fromtimestamp(1_700_000_010, dt.UTC)  # 10 s into a step


@pytest.fixture
def device(agent):
    return helpers.give_totp(agent)


def step_of(moment):
    return int(moment.timestamp() // 30)


def test_the_application_key_matches_the_rfc4226_vectors():
    # django-otp's HOTP with the RFC's seed: the codes any authenticator application shows.
    seed = b"12345678901234567890".hex()
    expected = ["755224", "287082", "359152", "969429", "338314"]
    with clock.frozen(dt.datetime.fromtimestamp(0, dt.UTC)):
        assert [helpers.code_at(delta_steps=i, key=seed) for i in range(5)] == expected


def test_window_of_one_step_either_side(agent, device):
    with clock.frozen(T0):
        assert two_factor.verify(agent, helpers.code_at(T0, -1)).accepted
        assert two_factor.verify(agent, helpers.code_at(T0, 1)).accepted
        assert not two_factor.verify(agent, helpers.code_at(T0, 2)).accepted
    device.refresh_from_db()
    assert device.last_t == step_of(T0) + 1


def test_two_steps_late_is_refused(agent, device):
    with clock.frozen(T0):
        assert not two_factor.verify(agent, helpers.code_at(T0, -2)).accepted


def test_a_code_is_not_accepted_twice_nor_an_older_one(agent, device):
    with clock.frozen(T0):
        assert two_factor.verify(agent, helpers.code_at(T0)).accepted
        assert not two_factor.verify(agent, helpers.code_at(T0)).accepted
        assert not two_factor.verify(agent, helpers.code_at(T0, -1)).accepted
        assert two_factor.verify(agent, helpers.code_at(T0, 1)).accepted


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_are_refused(agent, device, typed):
    with clock.frozen(T0):
        assert not two_factor.verify(agent, typed).accepted


def test_spaces_and_dashes_in_a_code_are_ignored(agent, device):
    with clock.frozen(T0):
        code = helpers.code_at(T0)
        assert two_factor.verify(agent, f" {code[:3]} {code[3:]} ").accepted
        code = helpers.code_at(T0, 1)
        assert two_factor.verify(agent, f"{code[:3]}-{code[3:]}").accepted


def test_the_setup_page_shows_a_qr_code_the_key_and_the_link(client, agent):
    client.force_login(agent)
    html = client.get(SETUP).content.decode()
    key = client.session[totp_views.SETUP_KEY]
    uri = two_factor.provisioning_uri(key, agent.email)
    assert uri.startswith("otpauth://totp/guichet%3A") and "issuer=guichet" in uri
    assert "<svg" in html and "Code QR à scanner" in html
    assert two_factor.grouped_secret(key) in html
    assert uri.replace("&", "&amp;") in html
    # segno's QR code encodes the same URI.
    import segno

    assert segno.make(uri, error="m").svg_inline(
        scale=5, border=2,
        title="Code QR à scanner avec votre application d’authentification",
        svgclass="guichet-qr",
    ) in html  # fmt: skip


# --------------------------------------------------------------------------------------------
# The pages

NOW = dt.datetime(2021, 6, 1, 8, 0, 10, tzinfo=dt.UTC)
LOGIN = "/compte/connexion/"
CODE = "/compte/connexion/code/"
SETUP = "/compte/double-authentification/"
DISABLE = "/compte/double-authentification/desactiver/"


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield NOW


def with_totp(user: User) -> User:
    helpers.give_totp(user)
    return user


def make_manager(user: User) -> User:
    from guichet.calls.models import Call

    AgentRole.objects.create(
        user=user, call=Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021"), role=Role.MANAGER
    )
    return user


def code_at(moment=NOW, delta_steps=0):
    return helpers.code_at(moment, delta_steps)


def password_step(client, user, next_url=""):
    data = {"username": user.email, "password": GOOD_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_password_then_code(client, agent, frozen):
    with_totp(agent)
    response = password_step(client, agent, "/compte/")
    assert response.status_code == 302 and response.url == CODE
    assert signed_in_as(client) is None  # not yet
    assert client.get("/compte/").status_code == 302  # still anonymous
    page = client.get(CODE)
    assert page.status_code == 200
    assert "Code de vérification" in text(page)
    response = client.post(CODE, {"code": code_at()})
    assert response.status_code == 302 and response.url == "/compte/"
    assert signed_in_as(client) == str(agent.pk)
    assert TOTPDevice.objects.get(user=agent).last_t == step_of(NOW)
    assert client.session[totp_views.SECOND_FACTOR] == "totp"
    assert client.session[DEVICE_ID_SESSION_KEY]  # django-otp: the session is verified


def test_wrong_code_is_refused_at_the_field(client, agent, frozen):
    with_totp(agent)
    password_step(client, agent)
    response = client.post(CODE, {"code": code_at(delta_steps=3)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_code-error"' in html and "n’est pas valide ou a déjà été utilisé" in html
    assert "Il vous reste 4 essais" in text(response)
    assert signed_in_as(client) is None
    response = client.post(CODE, {"code": "12ab56"})
    assert "Le code est composé de 6 chiffres" in text(response)
    response = client.post(CODE, {"code": ""})
    assert "Saisissez le code à 6 chiffres" in text(response)


def test_a_code_cannot_be_replayed(client, agent, frozen):
    with_totp(agent)
    password_step(client, agent)
    client.post(CODE, {"code": code_at()})
    assert signed_in_as(client) == str(agent.pk)
    client.post("/compte/deconnexion/")
    password_step(client, agent)
    response = client.post(CODE, {"code": code_at()})  # the same code, 0 s later
    assert signed_in_as(client) is None
    assert "déjà été utilisé" in text(response)
    # The code of the previous step is refused too, the next one is accepted.
    client.post(CODE, {"code": code_at(delta_steps=-1)})
    assert signed_in_as(client) is None
    client.post(CODE, {"code": code_at(delta_steps=1)})
    assert signed_in_as(client) == str(agent.pk)


def test_clock_drift_of_one_step_either_side(client, agent, frozen):
    with_totp(agent)
    password_step(client, agent)
    client.post(CODE, {"code": code_at(delta_steps=-1)})
    assert signed_in_as(client) == str(agent.pk)


def test_the_pending_sign_in_expires(client, agent, frozen):
    with_totp(agent)
    password_step(client, agent)
    with clock.frozen(NOW + dt.timedelta(seconds=totp_views.PENDING_SECONDS + 1)):
        response = client.post(CODE, {"code": code_at(NOW + dt.timedelta(minutes=5))}, follow=True)
    assert signed_in_as(client) is None
    assert "Le délai pour saisir le code de vérification est dépassé" in text(response)
    assert client.get(CODE).url == LOGIN  # nothing pending any more


def test_limited_attempts_then_the_password_again_then_a_delay(client, agent, frozen):
    with_totp(agent)
    password_step(client, agent)
    for _ in range(totp_views.MAX_ATTEMPTS - 1):
        assert client.post(CODE, {"code": "000000"}).status_code == 200
    response = client.post(CODE, {"code": "000000"}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "Trop de codes erronés" in text(response)
    # Starting again with the password does not give free tries: the account waits.
    password_step(client, agent)
    response = client.post(CODE, {"code": code_at()})
    assert response.status_code == 429
    assert "patientez 1 minute" in text(response)
    assert signed_in_as(client) is None


def test_code_page_without_a_password_step(client, agent):
    assert client.get(CODE).url == LOGIN
    assert client.post(CODE, {"code": "123456"}).url == LOGIN


def test_set_up_confirm_see_recovery_codes_once_and_disable(client, agent, frozen):
    client.force_login(agent)
    page = client.get(SETUP)
    html = page.content.decode()
    key = client.session[totp_views.SETUP_KEY]
    secret = two_factor.grouped_secret(key)
    assert secret in html
    assert two_factor.provisioning_uri(key, agent.email).replace("&", "&amp;") in html
    assert client.get(SETUP).content.decode().count(secret) == 1  # same key
    response = client.post(SETUP, {"code": "111111"})
    assert response.status_code == 422
    assert "ne correspond pas à la clé affichée" in text(response)
    assert not agent.totp_enabled
    response = client.post(SETUP, {"code": helpers.code_at(NOW, key=key)})
    assert response.status_code == 200
    body = text(response)
    assert "La double authentification est activée" in body
    assert "Vos codes de secours" in body and "ne seront plus affichés" in body
    codes = re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(set(codes)) == 10
    assert agent.totp_enabled
    device = TOTPDevice.objects.get(user=agent)
    assert device.key == key and device.last_t == step_of(NOW)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # Shown once: the status page counts them, never shows them.
    status = client.get(SETUP).content.decode()
    assert "Il vous reste <strong>10 codes de secours" in status
    assert not any(c in status for c in codes)
    assert list(AccountEvent.objects.filter(subject=agent).values_list("action", flat=True)) == [
        AccountEvent.Action.TWO_FACTOR_ENABLED
    ]
    # Turning it off takes a fresh code: the one just used is refused.
    response = client.post(DISABLE, {"code": helpers.code_at(NOW, key=key)})
    assert response.status_code == 422 and "déjà été utilisé" in text(response)
    later = NOW + dt.timedelta(seconds=30)
    with clock.frozen(later):
        response = client.post(DISABLE, {"code": helpers.code_at(later, key=key)}, follow=True)
    assert "désactivée" in text(response)
    assert not agent.totp_enabled
    assert not StaticToken.objects.filter(device__user=agent).exists()
    event = AccountEvent.objects.filter(subject=agent).first()
    assert event.action == AccountEvent.Action.TWO_FACTOR_DISABLED and event.actor == agent


def test_a_recovery_code_signs_in_once(client, agent, frozen):
    with_totp(agent)
    codes = two_factor.regenerate_recovery_codes(agent)
    password_step(client, agent)
    response = client.post(CODE, {"code": two_factor.grouped_recovery(codes[0]).upper()})
    assert response.status_code == 302
    assert signed_in_as(client) == str(agent.pk)
    assert client.session[DEVICE_ID_SESSION_KEY]
    assert two_factor.recovery_codes_left(agent) == 9
    assert AccountEvent.objects.filter(
        subject=agent, action=AccountEvent.Action.RECOVERY_CODE_USED
    ).exists()
    client.post("/compte/deconnexion/")
    password_step(client, agent)
    response = client.post(CODE, {"code": codes[0]})
    assert signed_in_as(client) is None
    assert "n’est pas valide ou a déjà été utilisé" in text(response)


def test_recovery_codes_are_regenerated_after_a_code(client, agent, frozen):
    with_totp(agent)
    old = two_factor.regenerate_recovery_codes(agent)
    client.force_login(agent)
    url = "/compte/double-authentification/codes-de-secours/"
    response = client.post(url, {"regenerate-code": "000000"})
    assert response.status_code == 422
    assert "n’est pas valide" in text(response)
    response = client.post(url, {"regenerate-code": code_at()})
    assert response.status_code == 200
    new = re.findall(r"<code[^>]*>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(new) == 10
    assert two_factor.recovery_codes_left(agent) == 10
    assert not two_factor.verify(agent, old[0]).accepted  # the previous ones stop working
    assert two_factor.verify(agent, new[0]).accepted
    assert AccountEvent.objects.filter(
        subject=agent, action=AccountEvent.Action.RECOVERY_CODES_REGENERATED
    ).exists()


def test_a_manager_signing_in_without_totp_sets_it_up_first(client, agent, frozen):
    make_manager(agent)
    response = password_step(client, agent, "/instruction/")
    assert response.status_code == 302
    assert response.url == SETUP + "?next=%2Finstruction%2F"
    # Any back-office page sends there too, the set-up page itself stays reachable.
    response = client.get("/instruction/")
    assert response.url == SETUP + "?next=%2Finstruction%2F"
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Obligatoire pour les gestionnaires d’un appel" in text(page)
    assert client.get("/compte/").status_code == 200  # « Mon compte » is not the back-office
    key = client.session[totp_views.SETUP_KEY]
    response = client.post(SETUP, {"code": helpers.code_at(NOW, key=key), "next": "/instruction/"})
    assert response.status_code == 200 and 'href="/instruction/"' in response.content.decode()
    assert client.get("/instruction/").status_code == 200


def test_a_manager_cannot_disable_it(client, agent, frozen):
    with_totp(make_manager(agent))
    client.force_login(agent)
    assert "ne peut pas être désactivée" in text(client.get(SETUP))
    response = client.post(DISABLE, {"code": code_at()})
    assert response.status_code == 422
    agent.refresh_from_db()
    assert agent.totp_enabled


def test_a_reviewer_is_not_forced(client, agent):
    make_manager(agent)
    AgentRole.objects.filter(user=agent).update(role=Role.REVIEWER)
    client.force_login(agent)
    assert client.get("/instruction/").status_code == 200


def test_proconnect_skips_the_code_step(client, provider, agent, frozen):  # noqa: F811
    # Decision (see totp_views): ProConnect authenticates the agent; no TOTP code is asked, and
    # a manager signed in through it is not sent to the set-up page.
    with_totp(agent)
    provider.claims = {**provider.claims, "email": agent.email}
    response = journey(client, provider, next_url="/compte/")
    assert response.url == "/compte/"
    assert signed_in_as(client) == str(agent.pk)
    assert client.session[totp_views.SECOND_FACTOR] == "proconnect"


def test_a_manager_through_proconnect_reaches_the_back_office(client, provider, agent):  # noqa: F811
    make_manager(agent)
    provider.claims = {**provider.claims, "email": agent.email}
    journey(client, provider)
    assert client.get("/instruction/").status_code == 200


def test_of_two_requests_with_the_same_code_only_one_wins(agent, device):
    # Both read the device before either records the step: the conditional UPDATE decides.
    first, second = (TOTPDevice.objects.get(pk=device.pk) for _ in range(2))
    with clock.frozen(T0):
        code = helpers.code_at(T0)
        assert two_factor._accept_totp(first, code)
        assert not two_factor._accept_totp(second, code)


def test_of_two_requests_with_the_same_recovery_code_only_one_wins(agent, device):
    [code, *_] = two_factor.regenerate_recovery_codes(agent)
    assert two_factor._accept_recovery(agent, code) is not None
    assert two_factor._accept_recovery(agent, code) is None
    assert two_factor.recovery_codes_left(agent) == 9
