"""A token's life in « Mon compte » (made, shown once, used, revoked) and what authenticates."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse

from guichet import clock
from guichet.accounts.models import AccountEvent
from guichet.api.models import ApiToken
from guichet.review.models import AgentRole
from tests.dossiers.factories import reviewer

from .conftest import bearer

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'id="new-token-secret">(gch_[A-Za-z0-9_-]{43})<')
T0 = dt.datetime(2021, 9, 20, 8, 0, tzinfo=dt.UTC)


def create(client, world, who="reviewer_632", name="Tableau de bord", call=None):
    client.force_login(world.users[who])
    return client.post(
        reverse("accounts:api-token-create"),
        {"jeton-name": name, "jeton-call": (call or world.call).slug},
    )


def test_a_token_is_shown_once_and_only_its_hash_is_kept(client, world):
    response = create(client, world)
    assert response.status_code == 200
    secret = SECRET.search(response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and token.call == world.call
    assert secret not in str(list(ApiToken.objects.values()))
    event = AccountEvent.objects.get(action=AccountEvent.Action.API_TOKEN_CREATED)
    assert secret not in str(event.after) and token.prefix in event.after["token"]
    again = client.get(reverse("accounts:account")).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again and "Tableau de bord" in again and "Jamais" in again
    assert "Jeton d’API créé" in again


def test_a_token_is_for_a_call_where_the_agent_has_a_role(client, world):
    response = create(client, world, who="other_call", call=world.call)
    assert response.status_code == 200
    assert "Choisissez un appel à projets où vous avez un rôle." in response.content.decode()
    assert not ApiToken.objects.exists()
    response = create(client, world, name="   ")
    assert "Donnez un nom au jeton" in response.content.decode()
    assert not ApiToken.objects.exists()
    # An applicant has no token form, and cannot post one.
    client.force_login(world.users["applicant"])
    assert 'id="api-token-form"' not in client.get(reverse("accounts:account")).content.decode()
    response = client.post(reverse("accounts:api-token-create"),
                           {"jeton-name": "x", "jeton-call": world.call.slug})  # fmt: skip
    assert response.status_code == 200 and not ApiToken.objects.exists()


def test_a_manager_sets_up_a_second_factor_before_making_a_token(client, world):
    manager = reviewer(role="manager")
    client.force_login(manager)
    response = client.post(reverse("accounts:api-token-create"),
                           {"jeton-name": "x", "jeton-call": world.call.slug})  # fmt: skip
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:totp"))
    assert not ApiToken.objects.exists()
    assert create(client, world, who="manager").status_code == 200  # has one
    assert ApiToken.objects.count() == 1


def test_the_last_use_is_recorded_at_most_once_a_minute(client, world):
    secret = world.token("manager")
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    url = reverse("api:dossiers", args=[world.call.slug])
    with clock.frozen(T0):
        assert client.get(url, **bearer(secret)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == T0
    with clock.frozen(T0 + dt.timedelta(seconds=59)):
        client.get(url, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == T0
    with clock.frozen(T0 + dt.timedelta(seconds=60)):
        client.get(url, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == T0 + dt.timedelta(seconds=60)


def test_revoking_needs_the_ticked_box_then_the_token_opens_nothing(client, world):
    secret = world.token("reviewer_632")
    token = ApiToken.objects.get()
    url = reverse("api:dossiers", args=[world.call.slug])
    assert client.get(url, **bearer(secret)).status_code == 200
    client.force_login(world.users["reviewer_632"])
    revoke = reverse("accounts:api-token-revoke", args=[token.uuid])
    response = client.post(revoke, {})
    assert "Cochez la case pour confirmer la révocation." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(revoke, {"confirm": "1"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AccountEvent.objects.filter(action=AccountEvent.Action.API_TOKEN_REVOKED).count() == 1
    denied = client.get(url, **bearer(secret))
    assert denied.status_code == 401 and "révoqué" in denied.json()["detail"]
    page = client.get(reverse("accounts:account")).content.decode()
    assert "Révoqué le" in page
    # Again: nothing changes, no second history line.
    client.post(revoke, {"confirm": "1"})
    assert AccountEvent.objects.filter(action=AccountEvent.Action.API_TOKEN_REVOKED).count() == 1


def test_nobody_revokes_anothers_token(client, world):
    world.token("manager")
    token = ApiToken.objects.get()
    client.force_login(world.users["reviewer_632"])
    revoke = reverse("accounts:api-token-revoke", args=[token.uuid])
    assert client.post(revoke, {"confirm": "1"}).status_code == 404
    assert client.post(revoke, {}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "header",
    ["Bearer gch_faux", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Token gch_x",
     "Bearer " + "x" * 300, "Bearer gch_é"],
)  # fmt: skip
def test_a_wrong_authorization_is_a_401_in_french(client, world, header):
    response = client.get(reverse("api:calls"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"].startswith(("Jeton", "En-tête"))
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_whose_agent_lost_the_role_or_the_account_opens_nothing(client, world):
    url = reverse("api:dossiers", args=[world.call.slug])
    lost_role = world.token("reviewer_632")
    AgentRole.objects.filter(user=world.users["reviewer_632"]).delete()
    assert client.get(url, **bearer(lost_role)).status_code == 401
    inactive = world.token("manager")
    assert client.get(url, **bearer(inactive)).status_code == 200
    world.users["manager"].is_active = False
    world.users["manager"].save()
    assert client.get(url, **bearer(inactive)).status_code == 401


def test_requests_beyond_the_rate_are_a_429(client, world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/min", "anonymous": "1/min"},
    }
    from django.core.cache import cache

    cache.clear()
    secret = world.token("manager")
    url = reverse("api:dossiers", args=[world.call.slug])
    assert [client.get(url, **bearer(secret)).status_code for _ in range(3)] == [200, 200, 429]
    other = world.token("reviewer_632")  # each token its own count
    assert client.get(url, **bearer(other)).status_code == 200
    calls = reverse("api:calls")
    assert [client.get(calls).status_code for _ in range(2)] == [200, 429]
    assert client.get(calls).json()["detail"]


def test_a_forged_forwarded_for_does_not_reset_the_anonymous_rate(client, world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/min", "anonymous": "1/min"},
    }
    from django.core.cache import cache

    cache.clear()
    calls = reverse("api:calls")
    answers = [
        client.get(calls, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(3)
    ]
    assert answers == [200, 429, 429]


def test_a_tokens_answer_is_never_cached_a_public_one_may_be(client, world):
    url = reverse("api:dossiers", args=[world.call.slug])
    answer = client.get(url, **bearer(world.token("manager")))
    assert answer.status_code == 200 and answer["Cache-Control"] == "private, no-store"
    assert "no-store" not in client.get(reverse("api:calls")).get("Cache-Control", "")
