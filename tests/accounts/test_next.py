"""``next=`` after the profile, the sign-in and its code step: a path of this site or nothing.

A bare word (``next=foo``) once ended in a 500 (``redirect()`` tried to reverse it), and in the
code step the code was spent while the user stayed signed out.
"""

import pytest

from guichet.accounts.models import User

from .conftest import GOOD_PASSWORD
from .test_totp import CODE, LOGIN, code_at, frozen, signed_in_as, with_totp  # noqa: F401

pytestmark = pytest.mark.django_db

UNSAFE = ["foo", "applicant:dossiers", "//evil.example/", "/\\evil.example", "https://evil.example/",
          "javascript:alert(1)", " //evil.example", "http:/evil.example"]  # fmt: skip


@pytest.mark.parametrize("value", UNSAFE)
def test_profile_ignores_an_unsafe_next(client, agent, value):
    User.objects.filter(pk=agent.pk).update(function="")
    client.force_login(agent)
    response = client.post(
        "/compte/profil/",
        {
            "first_name": "Dominique",
            "last_name": "Martin",
            "function": "Secrétaire de mairie",
            "phone": "",
            "collectivity": "commune:63040",
            "collectivity_q": "Billom",
            "next": value,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == "/mes-dossiers/"


def test_profile_follows_a_path_of_the_site(client, agent):
    client.force_login(agent)
    response = client.post(
        "/compte/profil/",
        {
            "first_name": "Dominique",
            "last_name": "Martin",
            "function": "Secrétaire de mairie",
            "collectivity": "commune:63040",
            "collectivity_q": "Billom",
            "next": "/compte/",
        },
    )
    assert response.status_code == 302 and response.url == "/compte/"


@pytest.mark.parametrize("value", UNSAFE)
def test_sign_in_ignores_an_unsafe_next(client, agent, value):
    response = client.post(
        LOGIN, {"username": agent.email, "password": GOOD_PASSWORD, "next": value}
    )
    assert response.status_code == 302 and response.url == "/mes-dossiers/"


@pytest.mark.parametrize("value", UNSAFE)
def test_the_code_step_ignores_an_unsafe_next_and_signs_in(client, agent, frozen, value):  # noqa: F811
    with_totp(agent)
    client.post(LOGIN, {"username": agent.email, "password": GOOD_PASSWORD, "next": value})
    response = client.post(CODE, {"code": code_at()})
    assert response.status_code == 302 and response.url == "/mes-dossiers/"
    assert signed_in_as(client) == str(agent.pk)


@pytest.mark.parametrize("value", UNSAFE)
def test_two_factor_set_up_ignores_an_unsafe_next(client, agent, value):
    client.force_login(agent)
    assert client.get("/compte/double-authentification/", {"next": value}).status_code == 200
