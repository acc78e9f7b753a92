from io import StringIO

import pytest
from django.contrib.auth import password_validation
from django.core.management import call_command

from guichet.accounts.management.commands.create_demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_AGENTS,
    DEMO_COMMITTEE,
    PASSWORD,
)
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review.models import AgentRole, Role

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
    # The committee of the demonstration call: the sous-préfet de Thiers chairs it.
    demo_call = Call.objects.get(is_demo=True)
    members = AgentRole.objects.filter(call=demo_call, role=Role.COMMITTEE)
    assert sorted(members.values_list("user__email", flat=True)) == sorted(
        email for email, *_ in DEMO_COMMITTEE
    )
    chair = members.get(chair=True).user
    assert (chair.email, chair.function) == (
        "sous-prefet-thiers@demo.guichet.fr",
        "Sous-préfet de Thiers",
    )
    for email, *_ in DEMO_COMMITTEE:
        assert f"{email} — " in printed
        member = User.objects.get(email=email)
        assert member.check_password(PASSWORD) and member.email_confirmed and not member.is_staff
    assert not AgentRole.objects.filter(role=Role.COMMITTEE).exclude(call=demo_call).exists()
    assert User.objects.count() == 3 + len(DEMO_COMMITTEE)


def test_the_demo_chair_is_given_back_to_the_sous_prefet_de_thiers():
    """One chair per call: a reset takes the chair back from whoever was given it since."""
    call_command("create_demo_accounts", stdout=StringIO())
    demo_call = Call.objects.get(is_demo=True)
    riom = AgentRole.objects.get(call=demo_call, user__email="sous-prefete-riom@demo.guichet.fr")
    AgentRole.objects.filter(call=demo_call, chair=True).update(chair=False)
    AgentRole.objects.filter(pk=riom.pk).update(chair=True)
    call_command("create_demo_accounts", stdout=StringIO())
    chairs = AgentRole.objects.filter(call=demo_call, chair=True)
    assert list(chairs.values_list("user__email", flat=True)) == [
        "sous-prefet-thiers@demo.guichet.fr"
    ]


def test_every_demo_account_has_the_password_of_the_readme():
    from pathlib import Path

    from guichet.demo import dossiers as demo

    assert demo.PASSWORD == PASSWORD  # the demo dossiers' accounts
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| compte | rôle | mot de passe | à essayer |")[1].split("\n\n")[0]
    emails = [email for email, *_ in DEMO_ACCOUNTS + DEMO_AGENTS + DEMO_COMMITTEE]
    emails.append(demo.REVIEWER_EMAIL)
    for email in emails:
        row = next(line for line in table.splitlines() if f"`{email}`" in line)
        assert f"`{PASSWORD}`" in row, row
