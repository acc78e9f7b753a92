"""A call's agents, managed by its programme managers: list, invitations, arrondissements, removal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review.models import AgentInvitation, AgentRole, Role
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import REAL_CALL, agent

pytestmark = pytest.mark.django_db

PASSWORD = "Vallee-de-la-Dore-2021!"


def text(response) -> str:
    return " ".join(response.content.decode().replace("\u00a0", " ").split())


@pytest.fixture
def call():
    return Call.objects.get(slug=REAL_CALL)


def staff(call, role=Role.MANAGER, arrondissements=(), **fields) -> User:
    user = agent(**fields)
    user.set_collectivity("", "", "", "")
    user.save()
    give_totp(user)
    AgentRole.objects.create(user=user, call=call, role=role, arrondissements=list(arrondissements))
    return user


@pytest.fixture
def manager(call):
    return staff(call, first_name="Marie", last_name="Gestionnaire")


def url(name, call, *args):
    return reverse(f"backoffice:{name}", args=[call.slug, *args])


def invite(client, call, django_capture_on_commit_callbacks, **data):
    data = {"email": "jean.ambert@puy-de-dome.gouv.fr", "role": "reviewer", **data}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url("agent-invite", call), data)


def link_of(message) -> str:
    return re.search(r"http://\S+/instruction/appels/\S+/agents/invitation/\S+/", message.body)[0]


def test_only_the_call_managers_reach_the_pages(client, call, manager):
    reviewer_role = AgentRole.objects.create(
        user=agent(), call=call, role=Role.REVIEWER, arrondissements=["632"]
    )
    other_call = Call.objects.exclude(pk=call.pk).first()
    outsiders = [
        reviewer_role.user,
        staff(call, Role.COMMITTEE),
        staff(call, Role.AUDITOR),
        staff(other_call, Role.MANAGER),
        agent(),  # an applicant's agent
    ]
    pages = [
        ("get", url("agents", call)),
        ("get", url("agent-invite", call)),
        ("post", url("agent-invite", call)),
        ("get", url("agent-edit", call, reviewer_role.pk)),
        ("post", url("agent-edit", call, reviewer_role.pk)),
        ("post", url("agent-remove", call, reviewer_role.pk)),
    ]
    for user in outsiders:
        client.force_login(user)
        for method, address in pages:
            assert getattr(client, method)(address).status_code == 404, (user, address)
    assert AgentRole.objects.filter(pk=reviewer_role.pk).exists()
    client.logout()
    assert client.get(url("agents", call)).url.startswith("/compte/connexion/")
    client.force_login(manager)
    for method, address in pages[:2] + pages[3:4]:
        assert getattr(client, method)(address).status_code == 200
    assert client.get(reverse("backoffice:agents", args=["appel-inconnu"])).status_code == 404
    assert client.get(url("agent-edit", call, 999999)).status_code == 404


def test_the_list_shows_roles_and_arrondissements(client, call, manager):
    staff(call, Role.REVIEWER, ["631", "633"], first_name="Jean", last_name="Ambert")
    staff(call, Role.REVIEWER, [], first_name="Lucie", last_name="Préfecture")
    client.force_login(manager)
    page = text(client.get(url("agents", call)))
    assert "Ambert (631), Issoire (633)" in page
    assert "Tout le département" in page
    assert "Gestionnaire de l’appel" in page and "Dernier gestionnaire" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "Cette adresse électronique n’est pas valide"),
        ({"role": ""}, "role", "Choisissez un rôle."),
        ({"role": "chef"}, "role", "Choisissez un des rôles proposés."),
        ({}, "arrondissements", "Choisissez les arrondissements que couvre cet instructeur"),
        ({"whole": "on", "arrondissements": ["631"]}, "arrondissements", "pas les deux"),
        ({"arrondissements": ["681"]}, "arrondissements", "« 681 » n’est pas un arrondissement"),
        ({"role": "committee", "arrondissements": ["631"]}, "arrondissements", "tout l’appel"),
    ],
)
def test_bad_invitations_are_refused_at_the_field(
    client, call, manager, django_capture_on_commit_callbacks, data, field, message
):
    client.force_login(manager)
    response = invite(client, call, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert message in text(response)
    assert not AgentInvitation.objects.exists() and not mail.outbox


def test_an_agent_already_in_the_role_is_not_invited_again(
    client, call, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    response = invite(
        client,
        call,
        django_capture_on_commit_callbacks,
        email=manager.email.upper(),
        role="manager",
    )
    assert response.status_code == 422
    assert "déjà « Gestionnaire de l’appel » de cet appel" in text(response)


def test_a_new_person_is_invited_sets_a_password_and_gets_the_role(
    client, call, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    response = invite(
        client, call, django_capture_on_commit_callbacks, arrondissements=["631", "635"]
    )
    assert response.status_code == 302 and response.url == url("agents", call)
    invitation = AgentInvitation.objects.get()
    assert (invitation.role, invitation.arrondissements) == ("reviewer", ["631", "635"])
    assert invitation.invited_by == manager and invitation.accepted_at is None
    [message] = mail.outbox
    assert message.to == ["jean.ambert@puy-de-dome.gouv.fr"]
    assert "Invitation à instruire l’appel à projets" in message.subject
    assert "« Instructeur », pour : Ambert (631), Thiers (635)" in message.body
    assert "valable 7 jours" in message.body
    assert "jean.ambert@puy-de-dome.gouv.fr" in text(client.get(url("agents", call)))

    link = link_of(message)
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "choisissez votre mot de passe" in text(page)
    response = client.post(
        link, {"first_name": "Jean", "last_name": "Ambert", "password1": "court", "password2": "x"}
    )
    assert response.status_code == 422
    assert (
        response.context["form"]
        .errors["password1"][0]
        .startswith("Ce mot de passe n’est pas assez robuste")
    )
    assert not User.objects.filter(email="jean.ambert@puy-de-dome.gouv.fr").exists()
    data = {"first_name": "Jean", "last_name": "Ambert", "password1": PASSWORD,
            "password2": PASSWORD}  # fmt: skip
    response = client.post(link, data)
    assert response.status_code == 302 and response.url.startswith("/compte/connexion/")
    user = User.objects.get(email="jean.ambert@puy-de-dome.gouv.fr")
    assert user.check_password(PASSWORD) and user.email_confirmed
    role = AgentRole.objects.get(user=user)
    assert (role.call, role.role, role.arrondissements) == (call, "reviewer", ["631", "635"])
    assert role.created_by == manager
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    # Used once: a second visit says so, and changes nothing.
    again = client.post(link, data)
    assert "Cette invitation a déjà été acceptée" in text(again)
    assert AgentRole.objects.filter(user=user).count() == 1
    # The new agent signs in and reaches the back-office.
    response = client.post("/compte/connexion/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("backoffice:dossiers")).status_code == 200


def test_an_existing_account_accepts_and_scopes_merge(
    client, call, manager, django_capture_on_commit_callbacks
):
    existing = staff(call, Role.REVIEWER, ["632"], email="lea.riom@puy-de-dome.gouv.fr")
    client.force_login(manager)
    invite(client, call, django_capture_on_commit_callbacks, email=existing.email,
           role="committee")  # fmt: skip
    [message] = mail.outbox
    assert "Vous avez déjà un compte" in message.body
    client.force_login(existing)
    page = client.get(link_of(message))
    assert "Accepter l’invitation" in text(page)
    response = client.post(link_of(message))
    assert response.url == reverse("backoffice:dossiers")
    assert set(AgentRole.objects.filter(user=existing).values_list("role", flat=True)) == {
        "reviewer", "committee"
    }  # fmt: skip
    # The same role again with other arrondissements: the scopes merge.
    AgentRole.objects.filter(user=existing, role="committee").delete()
    AgentInvitation.objects.all().delete()
    mail.outbox.clear()
    client.force_login(manager)
    AgentRole.objects.filter(user=existing).update(arrondissements=["632"])
    invitation = AgentInvitation.objects.create(
        call=call, email=existing.email, role="reviewer", arrondissements=["634"],
        invited_by=manager,
    )  # fmt: skip
    from guichet.review.agents import grant

    grant(invitation, existing)
    assert AgentRole.objects.get(user=existing).arrondissements == ["632", "634"]


def test_someone_else_signed_in_cannot_accept(
    client, call, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    invite(client, call, django_capture_on_commit_callbacks, arrondissements=["631"])
    response = client.post(link_of(mail.outbox[0]))  # still the manager
    assert "Cette invitation est adressée à jean.ambert@puy-de-dome.gouv.fr" in text(response)
    assert AgentInvitation.objects.get().accepted_at is None


def test_expired_and_forged_links(client, call, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)
    invite(client, call, django_capture_on_commit_callbacks, arrondissements=["631"])
    link = link_of(mail.outbox[0])
    client.logout()
    with clock.frozen(clock.now() + dt.timedelta(days=7, minutes=1)):
        response = client.get(link)
    assert response.status_code == 400 and "Ce lien d’invitation a expiré" in text(response)
    with clock.frozen(clock.now() + dt.timedelta(days=6, hours=23)):
        assert client.get(link).status_code == 200
    forged = link[:-6] + ("A" if link[-6] != "A" else "B") + link[-5:]
    response = client.get(forged)
    assert response.status_code == 400 and "n’est pas valide" in text(response)
    other_slug = link.replace(REAL_CALL, "fitn7-axe3-haut-rhin-2021")
    assert client.get(other_slug).status_code == 400


def test_edit_a_reviewers_arrondissements(client, call, manager):
    reviewer_role = staff(call, Role.REVIEWER, ["632"]).agent_roles.get()
    client.force_login(manager)
    address = url("agent-edit", call, reviewer_role.pk)
    response = client.post(address, {"whole": "on", "arrondissements": ["633"]})
    assert response.status_code == 422 and "pas les deux" in text(response)
    response = client.post(address, {"arrondissements": ["635", "633"]})
    assert response.url == url("agents", call)
    reviewer_role.refresh_from_db()
    assert reviewer_role.arrondissements == ["633", "635"]
    client.post(address, {"whole": "on"})
    reviewer_role.refresh_from_db()
    assert reviewer_role.whole_departement
    manager_role = manager.agent_roles.get()
    assert client.get(url("agent-edit", call, manager_role.pk)).status_code == 404


def test_remove_a_role_but_never_the_last_manager(client, call, manager):
    reviewer_role = staff(call, Role.REVIEWER, ["632"]).agent_roles.get()
    client.force_login(manager)
    response = client.post(url("agent-remove", call, reviewer_role.pk), follow=True)
    assert "est retiré" in text(response)
    assert not AgentRole.objects.filter(pk=reviewer_role.pk).exists()
    own = manager.agent_roles.get()
    response = client.post(url("agent-remove", call, own.pk), follow=True)
    assert "est le dernier gestionnaire de l’appel" in text(response)
    assert AgentRole.objects.filter(pk=own.pk).exists()
    second = staff(call, Role.MANAGER).agent_roles.get()
    response = client.post(url("agent-remove", call, own.pk))
    assert response.url == reverse("backoffice:dossiers")  # no longer a manager of the call
    assert not AgentRole.objects.filter(pk=own.pk).exists()
    assert AgentRole.objects.filter(pk=second.pk).exists()


# ---------------------------------------------------------------- several arrondissements


def test_the_invitation_offers_checkboxes_for_several_arrondissements(client, call, manager):
    client.force_login(manager)
    html = client.get(url("agent-invite", call)).content.decode()
    boxes = re.findall(
        r'<input type="(\w+)" id="id_arrondissements_\d+" name="arrondissements"', html
    )
    assert boxes == ["checkbox"] * 5  # Ambert, Clermont-Ferrand, Issoire, Riom, Thiers
    assert re.search(r'<input type="checkbox" id="id_whole" name="whole"', html)
    assert re.findall(r'<input type="(\w+)" id="id_role_\d+" name="role"', html) == ["radio"] * 4


def test_the_edit_page_shows_every_arrondissement_of_the_reviewer_checked(client, call, manager):
    reviewer_role = staff(call, Role.REVIEWER, ["631", "635"]).agent_roles.get()
    client.force_login(manager)
    html = client.get(url("agent-edit", call, reviewer_role.pk)).content.decode()
    checked = re.findall(
        r'<input type="checkbox" id="id_arrondissements_\d+" name="arrondissements" '
        r'value="(\d+)" checked>',
        html,
    )
    assert checked == ["631", "635"]


# ---------------------------------------------------------------- the agents' history


def history_rows(client, call):
    html = client.get(url("agents", call)).content.decode()
    table = html[
        html.index('id="role-history"') : html.index("</table>", html.index('id="role-history"'))
    ]
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", table, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", r).replace("\u00a0", " ").split()) for r in rows]


def test_every_change_of_roles_is_in_the_calls_history(
    client, call, manager, django_capture_on_commit_callbacks
):
    from guichet.review.models import RoleAction, RoleEvent

    client.force_login(manager)
    assert "Aucun changement enregistré" in text(client.get(url("agents", call)))
    invite(client, call, django_capture_on_commit_callbacks, arrondissements=["631", "635"])
    client.logout()
    data = {"first_name": "Jean", "last_name": "Ambert", "password1": PASSWORD,
            "password2": PASSWORD}  # fmt: skip
    client.post(link_of(mail.outbox[0]), data)
    role = AgentRole.objects.get(user__email="jean.ambert@puy-de-dome.gouv.fr")
    client.force_login(manager)
    client.post(url("agent-edit", call, role.pk), {"arrondissements": ["633"]})
    client.post(url("agent-edit", call, role.pk), {"arrondissements": ["633"]})  # no change
    client.post(url("agent-remove", call, role.pk))
    events = list(RoleEvent.objects.order_by("at", "id"))
    assert [e.action for e in events] == [
        RoleAction.INVITED, RoleAction.GRANTED, RoleAction.SCOPE_CHANGED, RoleAction.REMOVED
    ]  # fmt: skip
    assert all(e.actor == manager and e.call == call for e in events)
    assert (
        events[0].subject is None and events[0].subject_label == "jean.ambert@puy-de-dome.gouv.fr"
    )
    assert all(e.subject == role.user for e in events[1:])
    assert (events[2].before, events[2].after) == ("Ambert (631), Thiers (635)", "Issoire (633)")
    assert events[3].before == "Issoire (633)"
    rows = history_rows(client, call)
    assert len(rows) == 4
    assert (
        "Rôle retiré Jean Ambert (jean.ambert@puy-de-dome.gouv.fr) Instructeur Issoire (633) — Marie Gestionnaire"
        in rows[0]
    )
    assert (
        "Arrondissements modifiés" in rows[1]
        and "Ambert (631), Thiers (635) Issoire (633)" in rows[1]
    )
    assert (
        "Invitation envoyée jean.ambert@puy-de-dome.gouv.fr Instructeur — Ambert (631), Thiers (635)"
        in rows[3]
    )


def test_a_refused_removal_writes_no_history(client, call, manager):
    from guichet.review.models import RoleEvent

    client.force_login(manager)
    client.post(url("agent-remove", call, manager.agent_roles.get().pk))
    assert not RoleEvent.objects.exists()


def test_an_agent_named_in_the_history_cannot_be_deleted(client, call, manager):
    from django.db.models import ProtectedError

    from guichet.review.models import RoleEvent

    reviewer_role = staff(call, Role.REVIEWER, ["632"]).agent_roles.get()
    client.force_login(manager)
    client.post(url("agent-edit", call, reviewer_role.pk), {"whole": "on"})
    with pytest.raises(ProtectedError):
        manager.delete()
    with pytest.raises(ProtectedError):
        reviewer_role.user.delete()
    event = RoleEvent.objects.get()
    assert event.actor_label == "Marie Gestionnaire"
