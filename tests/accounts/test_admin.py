"""The Django admin signs in through the site's own sign-in (password, delay, code) and refuses
any session whose second factor was not verified; GUICHET_ADMIN=0 removes it."""

import importlib

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

from guichet.accounts.models import User

from . import two_factor_helpers as helpers
from .conftest import GOOD_PASSWORD, text
from .test_totp import CODE, LOGIN, NOW, SETUP, frozen, make_manager  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(agent):
    User.objects.filter(pk=agent.pk).update(is_staff=True, is_superuser=True)
    agent.refresh_from_db()
    return agent


def test_the_admin_login_page_sends_to_the_site_sign_in(client, staff):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == LOGIN + "?next=%2Fadmin%2Faccounts%2Fuser%2F"
    # Its form is gone: a password posted there signs nobody in.
    response = client.post("/admin/login/", {"username": staff.email, "password": GOOD_PASSWORD})
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert client.session.get("_auth_user_id") is None
    assert client.get("/admin/").url.startswith("/admin/login/")


def test_a_password_alone_does_not_open_the_admin(client, staff, frozen):  # noqa: F811
    helpers.give_totp(staff)
    response = client.post(
        LOGIN, {"username": staff.email, "password": GOOD_PASSWORD, "next": "/admin/"}
    )
    assert response.url == CODE
    assert client.get("/admin/").status_code == 302
    response = client.post(CODE, {"code": helpers.code_at(NOW)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_unverified_session_is_refused_and_asked_for_the_code(client, staff, frozen):  # noqa: F811
    helpers.give_totp(staff)
    client.force_login(staff)  # signed in, no code (as after ProConnect)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == CODE
    assert "Code de vérification" in text(response)
    response = client.post(CODE, {"code": helpers.code_at(NOW)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_second_factor_sets_it_up_first(client, staff):
    response = client.post(
        LOGIN, {"username": staff.email, "password": GOOD_PASSWORD, "next": "/admin/"}
    )
    assert response.url == SETUP + "?next=%2Fadmin%2F"
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == SETUP + "?next=%2Fadmin%2F"
    assert "Obligatoire" in text(response)


def test_a_manager_without_totp_does_not_reach_the_admin(client, staff):
    make_manager(staff)
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)
    assert client.get("/admin/accounts/user/").status_code == 302


def test_an_applicant_is_refused(client, agent):
    client.force_login(agent)
    assert client.get("/admin/login/").status_code == 403
    assert client.get("/admin/").status_code == 302


def test_the_admin_can_be_switched_off():
    import config.urls

    try:
        with override_settings(GUICHET_ADMIN=False):
            importlib.reload(config.urls)
            clear_url_caches()
            assert not any(str(p.pattern) == "admin/" for p in config.urls.urlpatterns)
            with pytest.raises(NoReverseMatch):
                reverse("admin:index")
    finally:
        importlib.reload(config.urls)
        clear_url_caches()
    assert reverse("admin:index") == "/admin/"


def test_the_admin_is_switched_off_by_the_environment(monkeypatch):
    import config.settings.base as base

    monkeypatch.setenv("GUICHET_ADMIN", "0")
    try:
        assert importlib.reload(base).GUICHET_ADMIN is False
        monkeypatch.setenv("GUICHET_ADMIN", "1")
        assert importlib.reload(base).GUICHET_ADMIN is True
    finally:
        monkeypatch.delenv("GUICHET_ADMIN")
        importlib.reload(base)


def test_the_suite_s_admin_client_is_verified_and_a_plain_login_is_not(client, admin_client):
    assert admin_client.get("/admin/").status_code == 200
    from django.test import Client

    plain = Client()
    plain.force_login(User.objects.get(is_superuser=True))
    assert plain.get("/admin/").status_code == 302
