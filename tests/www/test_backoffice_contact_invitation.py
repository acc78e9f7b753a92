"""A dossier without a team on guichet (imported from Démarches Simplifiées): a reviewer invites
its contact, who joins it as its owner and then follows it like any applicant."""

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import EventKind, Invitation, MemberRole, Membership
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def teamless(django_capture_on_commit_callbacks):
    """A submitted dossier whose team left guichet: what an import from DS gives."""
    owner = agent()
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        dossier = services.submit(complete(draft(owner), owner), owner)
    Membership.objects.filter(dossier=dossier).delete()
    mail.outbox.clear()
    return dossier


def page(client, dossier):
    return client.get(reverse("backoffice:dossier", args=[dossier.uuid]))


def test_the_dossier_page_offers_the_invitation_only_without_a_team(client, teamless):
    client.force_login(reviewer())
    body = page(client, teamless).content.decode()
    assert "Inviter le porteur" in body
    assert f'value="{teamless.contact_email}"' in body
    owner = agent(email="titulaire@mairie.example.fr")
    Membership.objects.create(dossier=teamless, user=owner, role=MemberRole.OWNER)
    assert "Inviter le porteur" not in page(client, teamless).content.decode()


def test_the_contact_is_invited_then_joins_as_owner(
    client, teamless, django_capture_on_commit_callbacks
):
    agent_user = reviewer()
    client.force_login(agent_user)
    url = reverse("backoffice:invite-contact", args=[teamless.uuid])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": " Contact@Mairie.Example.fr "})
    assert response.status_code == 302
    invitation = Invitation.objects.get(dossier=teamless)
    assert invitation.email == "contact@mairie.example.fr"
    assert invitation.invited_by == agent_user
    [message] = mail.outbox
    assert message.to == ["contact@mairie.example.fr"]
    assert str(invitation.token) in message.body
    assert teamless.events.filter(kind=EventKind.INVITATION).exists()

    contact = agent(email="contact@mairie.example.fr")
    services.accept_invitation(invitation.token, contact)
    membership = Membership.objects.get(dossier=teamless, user=contact)
    assert membership.role == MemberRole.OWNER
    # Now the dossier has its team: no more invitation from the back-office.
    with pytest.raises(services.NotEditable):
        services.invite_contact(teamless, agent_user, "autre@mairie.example.fr")


def test_a_wrong_address_is_refused_at_its_field_and_kept(client, teamless):
    client.force_login(reviewer())
    url = reverse("backoffice:invite-contact", args=[teamless.uuid])
    response = client.post(url, {"email": "pas-une-adresse"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Cette adresse électronique n’est pas valide" in body
    assert 'value="pas-une-adresse"' in body
    assert not Invitation.objects.exists()


def test_who_may_not_write_to_the_applicant_may_not_invite(client, teamless):
    url = reverse("backoffice:invite-contact", args=[teamless.uuid])
    client.force_login(agent(email="inconnu@mairie.example.fr"))
    assert client.post(url, {"email": "x@mairie.example.fr"}).status_code == 404
    assert not Invitation.objects.exists()
