"""Agents of the State land on « Instruction » and see their service in « Mon compte »; the
account's history records profile, collectivité, password and two-factor changes."""

import pytest
from django.db.models import ProtectedError

from guichet.accounts import history
from guichet.accounts.models import AccountEvent, User
from guichet.calls.models import Call
from guichet.review.models import AgentRole, Role

from . import two_factor_helpers as helpers
from .conftest import GOOD_PASSWORD, text
from .test_totp import CODE, LOGIN, NOW, frozen  # noqa: F401

pytestmark = pytest.mark.django_db

CALL = "fitn7-axe3-puy-de-dome-2021"


def give_role(user, role, arrondissements=()):
    return AgentRole.objects.create(
        user=user,
        call=Call.objects.get(slug=CALL),
        role=role,
        arrondissements=list(arrondissements),
    )


@pytest.fixture
def state_agent(db):
    return User.objects.create_user(
        "instructeur@puy-de-dome.gouv.fr",
        GOOD_PASSWORD,
        first_name="Lou",
        last_name="Instructeur",
        email_confirmed_at=NOW,
    )


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.COMMITTEE, Role.AUDITOR])
def test_an_agent_lands_on_instruction_after_signing_in(client, state_agent, role):
    give_role(state_agent, role)
    response = client.post(LOGIN, {"username": state_agent.email, "password": GOOD_PASSWORD})
    assert response.status_code == 302 and response.url == "/instruction/"


def test_a_manager_lands_on_instruction_after_the_code(client, state_agent, frozen):  # noqa: F811
    give_role(state_agent, Role.MANAGER)
    helpers.give_totp(state_agent)
    client.post(LOGIN, {"username": state_agent.email, "password": GOOD_PASSWORD})
    response = client.post(CODE, {"code": helpers.code_at(NOW)})
    assert response.status_code == 302 and response.url == "/instruction/"


def test_an_applicant_still_lands_on_their_dossiers(client, agent):
    response = client.post(LOGIN, {"username": agent.email, "password": GOOD_PASSWORD})
    assert response.url == "/mes-dossiers/"


def test_an_agent_s_account_shows_the_service_not_a_collectivity(client, state_agent):
    give_role(state_agent, Role.REVIEWER, ["631"])
    client.force_login(state_agent)
    response = client.get("/compte/")
    body = text(response)
    assert "Votre service" in body and "Préfecture du Puy-de-Dôme" in body
    assert "Instructeur" in body and "arrondissement : Ambert" in body
    assert 'name="collectivity_q"' not in response.content.decode()
    response = client.post(
        "/compte/", {"first_name": "Lou", "last_name": "Instructrice", "function": "", "phone": ""}
    )
    assert response.status_code == 302, text(response)
    state_agent.refresh_from_db()
    assert state_agent.last_name == "Instructrice" and state_agent.collectivity is None


def test_an_agent_s_account_refuses_a_missing_name_at_its_field(client, state_agent):
    give_role(state_agent, Role.COMMITTEE)
    client.force_login(state_agent)
    response = client.post("/compte/", {"first_name": "", "last_name": "X"})
    assert response.status_code == 200
    assert 'id="id_first_name-error"' in response.content.decode()
    assert "Indiquez votre prénom." in text(response)


# --------------------------------------------------------------------------------------------
# The account's history


def test_a_profile_change_is_recorded_with_before_and_after(client, agent):
    client.force_login(agent)
    client.post(
        "/compte/",
        {
            "first_name": "Dominique", "last_name": "Martin", "function": "DGS", "phone": "",
            "collectivity_q": "CC Billom Communauté", "collectivity": "epci:200067627",
        },
    )  # fmt: skip
    profile, collectivity = AccountEvent.objects.filter(subject=agent).order_by("pk")
    assert profile.action == AccountEvent.Action.PROFILE_CHANGED
    assert profile.before == {"function": "Secrétaire de mairie"}
    assert profile.after == {"function": "DGS"}
    assert profile.actor == agent and profile.actor_label == f"Dominique Martin <{agent.email}>"
    assert collectivity.action == AccountEvent.Action.COLLECTIVITY_CHANGED
    assert collectivity.before == {"collectivity": "Billom (commune:63040)"}
    assert collectivity.after["collectivity"].endswith("(epci:200067627)")
    body = text(client.get("/compte/"))
    assert "Historique du compte" in body
    assert "Profil modifié (fonction)" in body and "Collectivité modifiée" in body


def test_saving_an_unchanged_profile_records_nothing(client, agent):
    client.force_login(agent)
    client.post(
        "/compte/",
        {
            "first_name": "Dominique", "last_name": "Martin", "function": "Secrétaire de mairie",
            "phone": "", "collectivity_q": "Billom", "collectivity": "commune:63040",
        },
    )  # fmt: skip
    assert not AccountEvent.objects.exists()


def test_a_password_reset_is_recorded(client, agent, django_capture_on_commit_callbacks):
    from .test_signin import reset_link

    link = reset_link(client, django_capture_on_commit_callbacks, agent.email)
    response = client.get(link, follow=True)
    new = "Nouveau-Billom-2027!"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    [event] = AccountEvent.objects.filter(subject=agent)
    assert event.action == AccountEvent.Action.PASSWORD_RESET and event.actor == agent


def test_the_actor_is_kept_when_its_account_would_be_deleted(agent, state_agent):
    event = history.record(agent, state_agent, AccountEvent.Action.PROFILE_CHANGED)
    with pytest.raises(ProtectedError):
        state_agent.delete()
    event.refresh_from_db()
    assert event.actor == state_agent
    assert event.actor_label == "Lou Instructeur <instructeur@puy-de-dome.gouv.fr>"


def test_the_history_is_read_only_in_the_admin(client, agent, frozen):  # noqa: F811
    staff = User.objects.create_superuser("admin@puy-de-dome.gouv.fr", GOOD_PASSWORD)
    helpers.give_totp(staff)
    history.record(agent, agent, AccountEvent.Action.TWO_FACTOR_DISABLED)
    client.post(LOGIN, {"username": staff.email, "password": GOOD_PASSWORD})
    client.post(CODE, {"code": helpers.code_at(NOW)})
    listing = client.get("/admin/accounts/accountevent/")
    assert listing.status_code == 200
    assert "Double authentification désactivée" in text(listing)
    assert client.get("/admin/accounts/accountevent/add/").status_code == 403
    event = AccountEvent.objects.get()
    page = client.get(f"/admin/accounts/accountevent/{event.pk}/change/")
    assert page.status_code == 200  # a view, without a save button
    assert 'name="_save"' not in page.content.decode()
    response = client.post(f"/admin/accounts/accountevent/{event.pk}/change/", {"action": "x"})
    assert response.status_code == 403
    assert client.post(f"/admin/accounts/accountevent/{event.pk}/delete/").status_code == 403


def test_an_agent_already_signed_in_is_sent_to_instruction(client, state_agent):
    give_role(state_agent, Role.REVIEWER)
    client.force_login(state_agent)
    assert client.get(LOGIN).url == "/instruction/"


def test_a_password_changed_in_the_admin_is_recorded_with_its_actor(client, agent, frozen):  # noqa: F811
    staff = User.objects.create_superuser(
        "admin@puy-de-dome.gouv.fr", GOOD_PASSWORD, first_name="Ada", last_name="Admin"
    )
    helpers.give_totp(staff)
    client.post(LOGIN, {"username": staff.email, "password": GOOD_PASSWORD})
    client.post(CODE, {"code": helpers.code_at(NOW)})
    new = "Nouveau-Billom-2027!"
    response = client.post(
        f"/admin/accounts/user/{agent.pk}/password/", {"password1": new, "password2": new}
    )
    assert response.status_code == 302
    [event] = AccountEvent.objects.filter(subject=agent)
    assert event.action == AccountEvent.Action.PASSWORD_CHANGED
    assert event.actor == staff and event.actor_label == "Ada Admin <admin@puy-de-dome.gouv.fr>"
    assert "par Ada Admin" in text(_account_page(agent))


def _account_page(user):
    from django.test import Client

    other = Client()
    user.refresh_from_db()  # its password changed: the session keeps the new hash
    other.force_login(user)
    return other.get("/compte/")
