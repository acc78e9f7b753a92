from io import StringIO

import pytest
from django.contrib.auth import password_validation
from django.core.management import call_command

from guichet.accounts.management.commands.create_demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_AGENTS,
    PASSWORD,
)
from guichet.accounts.models import User

pytestmark = pytest.mark.django_db


def test_demo_accounts(client):
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    call_command("create_demo_accounts", stdout=StringIO())  # twice: reset, not duplicated
    printed = out.getvalue()
    # One password, printed once, for every account.
    assert printed.count(PASSWORD) == 1
    assert "gestionnaire@demo.guichet.fr — gestionnaire du programme" in printed
    manager = User.objects.get(email=DEMO_ACCOUNTS[0][0])
    assert manager.check_password(PASSWORD)
    for email, *_ in DEMO_AGENTS:
        assert f"{email} — agent de " in printed
        user = User.objects.get(email=email)
        password = PASSWORD
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


def test_every_demo_account_has_the_password_of_the_readme():
    from pathlib import Path

    from guichet.demo import dossiers as demo

    assert demo.PASSWORD == PASSWORD  # the demo dossiers' accounts
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| compte | rôle | mot de passe | à essayer |")[1].split("\n\n")[0]
    emails = [email for email, *_ in DEMO_ACCOUNTS + DEMO_AGENTS] + [demo.REVIEWER_EMAIL]
    for email in emails:
        row = next(line for line in table.splitlines() if f"`{email}`" in line)
        assert f"`{PASSWORD}`" in row, row
