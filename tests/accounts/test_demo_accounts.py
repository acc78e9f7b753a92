from io import StringIO

import pytest
from django.contrib.auth import password_validation
from django.core.management import call_command

from guichet.accounts.management.commands.create_demo_accounts import DEMO_AGENTS
from guichet.accounts.models import User

pytestmark = pytest.mark.django_db


def test_demo_accounts(client):
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    call_command("create_demo_accounts", stdout=StringIO())  # twice: reset, not duplicated
    printed = out.getvalue()
    assert "gestionnaire@demo.guichet.fr / demo-gestionnaire-2026" in printed
    for email, password, *_ in DEMO_AGENTS:
        assert f"{email} / {password}" in printed
        user = User.objects.get(email=email)
        password_validation.validate_password(password, user)  # the CNIL's rules
        assert user.profile_complete and user.email_confirmed
        response = client.post("/compte/connexion/", {"username": email, "password": password})
        assert response.status_code == 302
        client.logout()
    billom = User.objects.get(email=DEMO_AGENTS[0][0]).collectivity
    assert (billom.kind, billom.code, billom.name) == ("commune", "63040", "Billom")
    epci = User.objects.get(email=DEMO_AGENTS[1][0]).collectivity
    assert (epci.kind, epci.code, epci.name) == ("epci", "200067627", "CC Billom Communauté")
    assert User.objects.count() == 3
