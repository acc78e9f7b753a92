"""Two-factor authentication: the TOTP functions against the RFCs' vectors, then the pages."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from guichet import clock
from guichet.accounts import totp
from guichet.accounts.models import User
from guichet.review.models import AgentRole, Role
from guichet.www.accounts import totp_views

from .conftest import GOOD_PASSWORD, text
from .test_proconnect import journey, provider  # noqa: F401

SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = b"12345678901234567890123456789012"
SEED_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"

# RFC 6238, appendix B (8 digits).
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(seconds, sha1, sha256, sha512):
    for seed, digest, expected in [
        (SEED_SHA1, "sha1", sha1),
        (SEED_SHA256, "sha256", sha256),
        (SEED_SHA512, "sha512", sha512),
    ]:
        assert totp.code_at(b32(seed), seconds, digits=8, digest=digest) == expected
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    assert totp.code_at(b32(SEED_SHA1), moment, digits=8) == sha1


def test_rfc4226_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489"]  # fmt: skip
    assert [totp.hotp(SEED_SHA1, i) for i in range(10)] == expected


def test_secrets_are_random_base32_of_160_bits():
    first, second = totp.generate_secret(), totp.generate_secret()
    assert first != second
    assert len(first) == 32 and len(totp.secret_bytes(first)) == 20
    assert totp.grouped(first).count(" ") == 7
    assert totp.grouped("jbsw y3dp ehpk 3pxp") == "JBSW Y3DP EHPK 3PXP"
    assert totp.secret_bytes("jbsw y3dp ehpk 3pxp") == b"Hello!\xde\xad\xbe\xef"
    with pytest.raises(ValueError):
        totp.secret_bytes("not base32 !")
    with pytest.raises(ValueError):
        totp.secret_bytes("")


def test_provisioning_uri_names_the_issuer_and_the_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "claire.martin@puy-de-dome.gouv.fr")
    assert uri == (
        "otpauth://totp/guichet:claire.martin@puy-de-dome.gouv.fr?secret=JBSWY3DPEHPK3PXP"
        "&issuer=guichet&algorithm=SHA1&digits=6&period=30"
    )
    assert "%20" in totp.provisioning_uri("JBSWY3DPEHPK3PXP", "a b@x.fr")


SECRET = b32(SEED_SHA1)
T0 = 1_700_000_010  # 10 s into a step


def test_window_of_one_step_either_side():
    step = totp.step_at(T0)
    for delta in (-1, 0, 1):
        code = totp.hotp(SEED_SHA1, step + delta)
        assert totp.verify(SECRET, code, T0) == step + delta
    for delta in (-2, 2):
        assert totp.verify(SECRET, totp.hotp(SEED_SHA1, step + delta), T0) is None


def test_clock_edges():
    boundary = 1_700_000_040  # a multiple of 30: the first second of a step
    assert totp.step_at(boundary) == totp.step_at(boundary - 1) + 1
    assert totp.step_at(boundary - 0.001) == totp.step_at(boundary) - 1
    code = totp.code_at(SECRET, boundary - 1)
    # The code of the last second of a step still works 30 s later, not 60 s later.
    assert totp.verify(SECRET, code, boundary + 29) is not None
    assert totp.verify(SECRET, code, boundary + 30) is None
    with pytest.raises(ValueError):
        totp.step_at(dt.datetime(2021, 6, 1, 12, 0))  # naive


def test_a_code_is_not_accepted_twice_nor_an_older_one():
    step = totp.step_at(T0)
    code = totp.code_at(SECRET, T0)
    accepted = totp.verify(SECRET, code, T0)
    assert accepted == step
    assert totp.verify(SECRET, code, T0, last_step=accepted) is None
    previous = totp.hotp(SEED_SHA1, step - 1)
    assert totp.verify(SECRET, previous, T0, last_step=accepted) is None
    following = totp.hotp(SEED_SHA1, step + 1)
    assert totp.verify(SECRET, following, T0, last_step=accepted) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_are_refused(typed):
    assert totp.verify(SECRET, typed, T0) is None


def test_spaces_and_dashes_in_a_code_are_ignored():
    code = totp.code_at(SECRET, T0)
    assert totp.verify(SECRET, f" {code[:3]} {code[3:]} ", T0) is not None
    assert totp.verify(SECRET, f"{code[:3]}-{code[3:]}", T0) is not None


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
    user.totp_secret = SECRET
    user.totp_confirmed_at = NOW - dt.timedelta(days=30)
    user.save()
    return user


def make_manager(user: User) -> User:
    from guichet.calls.models import Call

    AgentRole.objects.create(
        user=user, call=Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021"), role=Role.MANAGER
    )
    return user


def code_at(moment=NOW, delta_steps=0):
    return totp.hotp(SEED_SHA1, totp.step_at(moment) + delta_steps)


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
    agent.refresh_from_db()
    assert agent.totp_last_step == totp.step_at(NOW)
    assert client.session[totp_views.SECOND_FACTOR] == "totp"


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


def test_set_up_confirm_and_disable(client, agent, frozen):
    client.force_login(agent)
    page = client.get(SETUP)
    html = page.content.decode()
    secret = client.session[totp_views.SETUP_SECRET]
    assert totp.grouped(secret) in html
    assert totp.provisioning_uri(secret, agent.email).replace("&", "&amp;") in html
    assert client.get(SETUP).content.decode().count(totp.grouped(secret)) == 1  # same secret
    response = client.post(SETUP, {"code": "111111"})
    assert response.status_code == 422
    assert "ne correspond pas à la clé affichée" in text(response)
    agent.refresh_from_db()
    assert not agent.totp_enabled
    response = client.post(SETUP, {"code": totp.code_at(secret, NOW)}, follow=True)
    assert "La double authentification est activée" in text(response)
    agent.refresh_from_db()
    assert agent.totp_enabled and agent.totp_secret == secret
    assert agent.totp_last_step == totp.step_at(NOW)
    # Turning it off takes a fresh code: the one just used is refused.
    response = client.post(DISABLE, {"code": totp.code_at(secret, NOW)})
    assert response.status_code == 422 and "déjà été utilisé" in text(response)
    with clock.frozen(NOW + dt.timedelta(seconds=30)):
        code = totp.code_at(secret, NOW + dt.timedelta(seconds=30))
        response = client.post(DISABLE, {"code": code}, follow=True)
    assert "désactivée" in text(response)
    agent.refresh_from_db()
    assert not agent.totp_enabled and agent.totp_secret == ""


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
    secret = client.session[totp_views.SETUP_SECRET]
    response = client.post(SETUP, {"code": totp.code_at(secret, NOW), "next": "/instruction/"})
    assert response.url == "/instruction/"
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
