"""Who reaches the applicant's space: the team only; anybody else gets a 404, never a 403."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import PieceKind
from guichet.dossiers.workflow import Actor
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, pdf_upload, reviewer

pytestmark = pytest.mark.django_db

STEPS = ["porteur", "projet", "budget", "calendrier", "pieces", "recapitulatif"]


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def dossier(owner):
    """A complete draft with a partner, its pieces and a message with an attachment."""
    with clock.frozen(IN_WINDOW):
        dossier = complete(draft(owner), owner)
        services.replace_partners(
            dossier,
            owner,
            Actor.APPLICANT,
            [{"kind": "commune", "code": "63113", "role": "co_funder"}],
        )
        services.post_message(
            dossier, owner, "Une question sur le devis.", [pdf_upload("question.pdf")]
        )
    return dossier


@pytest.fixture
def stranger():
    return agent(code="63113", name="Clermont-Ferrand")


def urls_of(dossier):
    """Every URL of the dossier in the applicant's space, by name, with the method to use."""
    piece = dossier.attachments.exclude(kind=PieceKind.RECEIPT).first()
    partner = dossier.partners.first()
    message_file = dossier.messages.first().attachments.first()
    u = dossier.uuid
    urls = {f"step-{s}": ("get", reverse("applicant:step", args=[u, s])) for s in STEPS}
    urls.update({f"step-{s}-post": ("post", reverse("applicant:step", args=[u, s])) for s in STEPS})
    urls.update(
        {
            "dossier": ("get", reverse("applicant:dossier", args=[u])),
            "partner-add": ("post", reverse("applicant:partner-add", args=[u])),
            "partner-remove": ("post", reverse("applicant:partner-remove", args=[u, partner.pk])),
            "attachment": ("get", reverse("applicant:attachment", args=[u, piece.pk])),
            "piece-remove": ("post", reverse("applicant:piece-remove", args=[u, piece.pk])),
            "message-post": ("post", reverse("applicant:message-post", args=[u])),
            "message-attachment": (
                "get",
                reverse("applicant:message-attachment", args=[u, message_file.pk]),
            ),
            "invite": ("post", reverse("applicant:invite", args=[u])),
            "withdraw": ("get", reverse("applicant:withdraw", args=[u])),
            "withdraw-post": ("post", reverse("applicant:withdraw", args=[u])),
        }
    )
    return urls


URL_NAMES = (
    [f"step-{s}" for s in STEPS]
    + [f"step-{s}-post" for s in STEPS]
    + [
        "dossier",
        "partner-add",
        "partner-remove",
        "attachment",
        "piece-remove",
        "message-post",
        "message-attachment",
        "invite",
        "withdraw",
        "withdraw-post",
    ]
)

POSTED = {
    "partner-add": {"collectivity": "Riom", "role": "co_funder"},
    "message-post": {"body": "Bonjour"},
    "invite": {"email": "intrus@mairie.example.fr"},
    "withdraw-post": {"confirm": "on"},
    "step-porteur-post": {"contact_name": "Intrus"},
    "step-recapitulatif-post": {"sworn_statement": "on"},
}


@pytest.mark.parametrize("step", STEPS)
def test_every_step_renders_for_the_owner(client, owner, dossier, step):
    client.force_login(owner)
    with clock.frozen(IN_WINDOW):
        response = client.get(reverse("applicant:step", args=[dossier.uuid, step]))
    assert response.status_code == 200
    assert "Billom" in response.content.decode()


def test_the_list_and_the_dossier_page_render_for_the_owner(client, owner, dossier):
    client.force_login(owner)
    assert client.get(reverse("applicant:dossiers")).status_code == 200
    assert client.get(reverse("applicant:dossier", args=[dossier.uuid])).status_code == 200
    assert client.get(reverse("applicant:withdraw", args=[dossier.uuid])).status_code == 200


@pytest.mark.parametrize("name", URL_NAMES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, dossier, name):
    method, url = urls_of(dossier)[name]
    response = getattr(client, method)(url, POSTED.get(name, {}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", URL_NAMES)
def test_another_collectivites_agent_gets_404_and_changes_nothing(client, dossier, stranger, name):
    method, url = urls_of(dossier)[name]
    before = (dossier.partners.count(), dossier.attachments.count(), dossier.messages.count())
    client.force_login(stranger)
    with clock.frozen(IN_WINDOW):
        response = getattr(client, method)(url, POSTED.get(name, {}))
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.contact_name == "Claire Martin"
    assert dossier.state == "draft"
    assert (
        dossier.partners.count(),
        dossier.attachments.count(),
        dossier.messages.count(),
    ) == before
    assert dossier.invitations.count() == 0


@pytest.mark.parametrize("name", URL_NAMES)
def test_a_reviewer_gets_404_in_the_applicant_space(
    client, owner, dossier, name, django_capture_on_commit_callbacks
):
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        services.submit(dossier, owner)  # a reviewer sees submitted dossiers in the back-office
    method, url = urls_of(dossier)[name]
    client.force_login(reviewer())
    with clock.frozen(IN_WINDOW):
        response = getattr(client, method)(url, POSTED.get(name, {}))
    assert response.status_code == 404


def test_a_file_of_another_dossier_is_not_reachable_through_ones_own(
    client, owner, dossier, stranger
):
    """The stranger's own dossier does not open the owner's files by their ids."""
    own = draft(stranger)
    client.force_login(stranger)
    piece = dossier.attachments.first()
    message_file = dossier.messages.first().attachments.first()
    assert client.get(reverse("applicant:attachment", args=[own.uuid, piece.pk])).status_code == 404
    assert (
        client.get(
            reverse("applicant:message-attachment", args=[own.uuid, message_file.pk])
        ).status_code
        == 404
    )
    response = client.post(reverse("applicant:piece-remove", args=[own.uuid, piece.pk]))
    assert response.status_code == 302
    assert dossier.attachments.filter(pk=piece.pk).exists()
    partner = dossier.partners.first()
    client.post(reverse("applicant:partner-remove", args=[own.uuid, partner.pk]))
    assert dossier.partners.filter(pk=partner.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/mes-dossiers/{random}/",
        "/mes-dossiers/{random}/etapes/porteur/",
        "/mes-dossiers/{random}/pieces/1/",
        "/mes-dossiers/{random}/messages/pieces/1/",
        "/mes-dossiers/pas-un-uuid/",
        "/mes-dossiers/12345678-1234-1234-1234-12345678/etapes/porteur/",
        "/mes-dossiers/00000000-0000-0000-0000-00000000000g/retrait/",
    ],
)
def test_unknown_or_malformed_identifiers_give_404(client, owner, path):
    client.force_login(owner)
    assert client.get(path.format(random=uuid.uuid4())).status_code == 404


def test_an_unknown_step_gives_404(client, owner, dossier):
    client.force_login(owner)
    assert (
        client.get(reverse("applicant:step", args=[dossier.uuid, "etape-inconnue"])).status_code
        == 404
    )
