"""The decisions' pages: the manager's page of a closed meeting (generate in the background,
upload the signed scans, notify), the documents on the back-office dossier page, and the
applicant's « Décision » with the signed PDF. Everyone else gets a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from guichet import clock
from guichet.committee.models import DecisionDocument, DocumentStatus, GenerationRun, SignedScan
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.decision_factories import (
    ISSUED_ON,
    REFUSAL_REASON,
    billom_and_arconsat,
    closed_meeting,
    read,
    scanned,
)
from tests.committee.factories import REAL_CALL, Committee
from tests.dossiers.factories import agent, reviewer

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def world():
    team = Committee()
    for user in (team.manager, team.chair):
        give_totp(user)
    billom, arconsat = billom_and_arconsat()
    m = closed_meeting(team, [billom], [arconsat])
    return team, m, billom, arconsat


def url(name, *args):
    return reverse(f"backoffice:{name}", args=[REAL_CALL, *args])


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def generate_all(client, m, capture):
    with clock.frozen(ISSUED_ON), capture(execute=True):
        return client.post(url("decisions-generate", m.number))


def owner_of(dossier):
    return dossier.memberships.get(role="owner").user


def test_the_manager_generates_every_document_in_the_background(
    world, django_capture_on_commit_callbacks
):
    team, m, _billom, _arconsat = world
    manager = client_of(team.manager)
    page = manager.get(url("decisions", m.number))
    assert page.status_code == 200
    assert "Générer les documents" in text(page) and "À générer" in text(page)
    response = generate_all(manager, m, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"].endswith("#generation")
    page = text(manager.get(url("decisions", m.number)))
    assert "Génération terminée : 2 documents produits" in page
    assert "Arrêté attributif n° 63-2021-ARR-001" in page
    assert "Lettre de refus n° 63-2021-REF-001" in page
    # Twice: no second document.
    generate_all(manager, m, django_capture_on_commit_callbacks)
    assert DecisionDocument.objects.count() == 2
    assert "Génération terminée : 0 document produit (2 en tout" in text(
        manager.get(url("decisions", m.number))
    )


def test_the_progress_is_polled_while_the_run_waits(world):
    team, m, _, _ = world
    manager = client_of(team.manager)
    with clock.frozen(ISSUED_ON):
        manager.post(url("decisions-generate", m.number))  # its task waits for the commit
    run = GenerationRun.objects.get()
    GenerationRun.objects.filter(pk=run.pk).update(status="running", total=2, done=1)
    fragment = manager.get(url("decisions-progress", m.number), headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="50"' in body
    assert 'id="decisions-table" hx-swap-oob="true"' in body
    page = manager.get(url("decisions", m.number)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page  # without JavaScript
    GenerationRun.objects.filter(pk=run.pk).update(status="done", done=2)
    body = manager.get(url("decisions-progress", m.number), headers={"HX-Request": "true"})
    assert "hx-trigger" not in body.content.decode()


def test_only_the_manager_sees_the_page_and_acts(world):
    team, m, billom, _ = world
    outsiders = [team.chair, reviewer(), owner_of(billom), agent(code="63008", name="Arconsat")]
    for user in outsiders:
        give_totp(user)
        client = client_of(user)
        assert client.get(url("decisions", m.number)).status_code == 404
        assert client.post(url("decisions-generate", m.number)).status_code == 404
        assert client.post(url("decisions-notify", m.number)).status_code == 404
    assert not GenerationRun.objects.exists()
    # A meeting that does not exist, or another call.
    manager = client_of(team.manager)
    assert manager.get(url("decisions", 99)).status_code == 404
    other = reverse("backoffice:decisions", args=["fitn7-axe3-haut-rhin-2021", m.number])
    assert manager.get(other).status_code == 404


def _issued(world, capture):
    team, m, _billom, _arconsat = world
    manager = client_of(team.manager)
    generate_all(manager, m, capture)
    award = DecisionDocument.objects.get(kind="award")
    refusal = DecisionDocument.objects.get(kind="refusal")
    return manager, award, refusal


def test_the_signed_scan_is_matched_by_its_qr_code_then_notified(
    world, django_capture_on_commit_callbacks
):
    _team, m, billom, _ = world
    manager, award, _ = _issued(world, django_capture_on_commit_callbacks)
    with clock.frozen(ISSUED_ON + dt.timedelta(days=1)):
        response = manager.post(
            url("decision-scan", m.number), {"file": scanned(read(award)), "document": ""}
        )
    assert response.status_code == 302
    assert "par son code QR" in text(manager.get(url("decisions", m.number)))
    mail.outbox.clear()
    with (
        clock.frozen(ISSUED_ON + dt.timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = manager.post(url("decision-notify", m.number, award.uuid))
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.status == DocumentStatus.NOTIFIED
    [message] = mail.outbox
    assert message.attachments[0][0] == f"arrete-{award.number}.pdf"
    assert f"/mes-dossiers/{billom.uuid}/" in message.body
    assert "Notifié le 22 juillet 2021" in text(manager.get(url("decisions", m.number)))


def test_an_unmatched_or_wrong_scan_is_refused_in_french(world, django_capture_on_commit_callbacks):
    _team, m, _, _ = world
    manager, award, refusal = _issued(world, django_capture_on_commit_callbacks)
    from weasyprint import HTML

    blank = HTML(string="<p>Page sans code</p>").write_pdf()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = manager.post(
        url("decision-scan", m.number), {"file": SimpleUploadedFile("scan.pdf", blank)}
    )
    assert response.status_code == 422
    assert "choisissez à la main le document que ce scan signe" in text(response)
    response = manager.post(
        url("decision-scan", m.number),
        {"file": scanned(read(award)), "document": refusal.uuid.hex},
    )
    assert response.status_code == 422
    assert f"Ce scan porte le code QR du document n° {award.number}, et non celui" in text(response)
    response = manager.post(
        url("decision-scan", m.number),
        {"file": SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\nnot really")},
    )
    assert response.status_code == 422 and "Formats acceptés : PDF" in text(response)
    assert not SignedScan.objects.exists()
    # Chosen by hand, the unreadable scan is kept.
    response = manager.post(
        url("decision-scan", m.number),
        {"file": SimpleUploadedFile("scan.pdf", blank), "document": refusal.uuid.hex},
    )
    assert response.status_code == 302
    assert SignedScan.objects.get().matched_by == "hand"


def test_notifying_before_the_scan_says_why(world, django_capture_on_commit_callbacks):
    _team, m, _, _ = world
    manager, award, _ = _issued(world, django_capture_on_commit_callbacks)
    response = manager.post(url("decision-notify", m.number, award.uuid), follow=True)
    assert "Déposez d’abord le scan signé" in text(response)
    assert not mail.outbox


def _notify_everything(world, capture):
    _team, m, _billom, _arconsat = world
    manager, award, refusal = _issued(world, capture)
    for document in (award, refusal):
        manager.post(url("decision-scan", m.number), {"file": scanned(read(document))})
    with clock.frozen(ISSUED_ON + dt.timedelta(days=2)), capture(execute=True):
        manager.post(url("decisions-notify", m.number))
    return manager, award, refusal


def test_the_applicant_sees_the_decision_and_downloads_the_signed_pdf(
    world, django_capture_on_commit_callbacks
):
    _team, _m, billom, arconsat = world
    _, award, refusal = _notify_everything(world, django_capture_on_commit_callbacks)
    owner = client_of(owner_of(billom))
    page = text(owner.get(reverse("applicant:dossier", args=[billom.uuid])))
    assert "Accepté — 5 000 € (enveloppe 2021)" in page
    assert "Télécharger l’arrêté signé" in page
    download = owner.get(reverse("applicant:decision", args=[billom.uuid, award.uuid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == read(award.signed_scan)
    # The refused applicant reads the reason.
    refused = client_of(owner_of(arconsat))
    page = text(refused.get(reverse("applicant:dossier", args=[arconsat.uuid])))
    assert "Refusé" in page and REFUSAL_REASON in page
    # Another dossier's team, or another dossier's document: 404.
    assert (
        owner.get(reverse("applicant:decision", args=[arconsat.uuid, refusal.uuid])).status_code
        == 404
    )
    assert (
        owner.get(reverse("applicant:decision", args=[billom.uuid, refusal.uuid])).status_code
        == 404
    )
    assert (
        refused.get(reverse("applicant:decision", args=[billom.uuid, award.uuid])).status_code
        == 404
    )
    # The back-office files are not the applicant's either.
    assert owner.get(url("decision-file", award.uuid)).status_code == 404
    assert owner.get(url("decision-signed-file", award.uuid)).status_code == 404


def test_before_notification_the_applicant_gets_nothing(world, django_capture_on_commit_callbacks):
    _team, _m, billom, _ = world
    _, award, _ = _issued(world, django_capture_on_commit_callbacks)
    owner = client_of(owner_of(billom))
    page = text(owner.get(reverse("applicant:dossier", args=[billom.uuid])))
    assert "vous sera notifié par courriel une fois signé" in page
    assert "Télécharger l’arrêté signé" not in page
    assert (
        owner.get(reverse("applicant:decision", args=[billom.uuid, award.uuid])).status_code == 404
    )


def test_the_back_office_dossier_page_shows_the_documents(
    world, django_capture_on_commit_callbacks
):
    _team, m, billom, _ = world
    manager, award, _ = _notify_everything(world, django_capture_on_commit_callbacks)
    page = text(manager.get(reverse("backoffice:dossier", args=[billom.uuid])))
    assert "Accepté — 5 000 € (enveloppe 2021)" in page
    assert f"Arrêté attributif n° {award.number}" in page and "notifié le 22 juillet 2021" in page
    assert (
        url("decisions", m.number)
        in manager.get(reverse("backoffice:dossier", args=[billom.uuid])).content.decode()
    )
    for name in ("decision-file", "decision-signed-file"):
        response = manager.get(url(name, award.uuid) + "?apercu=1")
        assert response.status_code == 200 and response["Content-Security-Policy"] == "sandbox"
    # A reviewer who sees the dossier reads its documents, without the manager's link.
    rev = reviewer()
    give_totp(rev)
    page = client_of(rev).get(reverse("backoffice:dossier", args=[billom.uuid])).content.decode()
    assert f"Arrêté attributif n° {award.number}" in page
    assert url("decisions", m.number) not in page
    assert client_of(rev).get(url("decision-file", award.uuid)).status_code == 200
