"""Sign-up does the same work for an existing and a new address; the password-reset e-mail is sent
at most once a minute per address."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail

from .conftest import GOOD_PASSWORD
from .test_signup import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def hashes(monkeypatch):
    """The passwords hashed during the test (the test settings' hasher is MD5)."""
    seen = []
    original = MD5PasswordHasher.encode

    def encode(self, password, salt):
        seen.append(password)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", encode)
    return seen


def test_a_new_address_hashes_the_password_once(client, hashes, django_capture_on_commit_callbacks):
    response = post(client, django_capture_on_commit_callbacks, email="nouveau@mairie-billom.fr")
    assert response.status_code == 302
    assert hashes == [GOOD_PASSWORD]


def test_an_existing_address_hashes_it_too(
    client, agent, hashes, django_capture_on_commit_callbacks
):
    hashes.clear()  # the fixture's account
    response = post(client, django_capture_on_commit_callbacks, email=agent.email.upper())
    assert response.status_code == 302
    assert hashes == [GOOD_PASSWORD]
    assert len(mail.outbox) == 1  # its owner is told by e-mail


def test_the_reset_email_is_sent_once_a_minute_per_address(
    client, agent, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/compte/mot-de-passe/", {"email": agent.email})
        assert response.status_code == 302  # the same answer every time
    assert len(mail.outbox) == 1


def test_the_reset_email_limit_is_per_address(client, agent, django_capture_on_commit_callbacks):
    from guichet.accounts.models import User

    other = User.objects.create_user("mairie@ambert.fr", GOOD_PASSWORD)
    for email in (agent.email, other.email, agent.email):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/compte/mot-de-passe/", {"email": email})
    assert sorted(m.to[0] for m in mail.outbox) == [other.email, agent.email]


def test_the_reset_email_again_after_a_minute(client, agent, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/mot-de-passe/", {"email": agent.email})
    cache.delete(f"accounts:reset-sent:{agent.pk}")  # what the cache does after 60 s
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/mot-de-passe/", {"email": agent.email})
    assert len(mail.outbox) == 2
