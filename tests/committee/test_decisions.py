"""The decisions' documents: what an arrêté and a refusal letter say (read back from the PDF),
their numbers, their QR codes, the signed scan matched to its document, the notification, and
the generation of a whole meeting in the background."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import segno
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from weasyprint import HTML

from guichet import clock
from guichet.committee import decisions
from guichet.committee.models import (
    DecisionDocument,
    DecisionKind,
    DocumentStatus,
    GenerationRun,
    RunStatus,
    ScanMatch,
    SignedScan,
)
from guichet.committee.services import CommitteeError
from guichet.dossiers.models import Event, EventKind
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date
from tests.dossiers.factories import reviewer

from .decision_factories import (
    ISSUED_ON,
    REFUSAL_REASON,
    billom_and_arconsat,
    closed_meeting,
    pdf_text,
    read,
    scanned,
)
from .factories import Committee, proposed, real_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return Committee()


@pytest.fixture
def closed(team):
    """Billom retained at 5 000 €, Arconsat refused, Antoingt postponed."""
    billom, arconsat = billom_and_arconsat()
    antoingt = proposed(code="63005", name="Antoingt")
    m = closed_meeting(team, [billom], [arconsat], [antoingt])
    return m, billom, arconsat, antoingt


def decision_of(meeting, dossier):
    return meeting.items.get(dossier=dossier).decision


def generate(meeting, dossier, user, when=ISSUED_ON):
    with clock.frozen(when):
        document, _ = decisions.generate(decision_of(meeting, dossier), user)
    return document


def norm(text: str) -> str:
    """Spaces as one; a word cut after its hyphen at a line end joined again."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def assert_says(text: str, *parts: str) -> None:
    flat = norm(text)
    for part in parts:
        assert norm(part) in flat, part


# ---------------------------------------------------------------- what the documents say


def test_the_arrete_has_every_element_of_art_8(team, closed):
    m, billom, _, _ = closed
    document = generate(m, billom, team.manager)
    rules = real_call().rules
    assert document.number == "63-2021-ARR-001" and document.kind == DecisionKind.AWARD
    text = pdf_text(read(document))
    assert_says(
        text,
        f"Arrêté n° {document.number} portant attribution d’une subvention",
        "Vu le décret n° 2018-514 du 25 juin 2018 relatif aux subventions de l'État",
        "séance n° 1",
        # 1° the beneficiary
        "attribuée à Billom (code 63040, 4 777 habitants",
        # 2° the project, the nature and amount of the subsidisable expense
        f"« {billom.title} »",
        "Logiciel de portail citoyen",
        "La dépense subventionnable, de nature « projets ayant un impact concret",
        "Le montant de la dépense subventionnable est de 8 000 € hors taxes",
        # 3° the maximum and how it is computed, quoting the call
        "Montant maximal de la subvention : 5 000 €, soit 62,5 % de la dépense subventionnable",
        f"« {rules.rule('FLAT-RATE').quote} »",
        "Forfait applicable : 5 000 € (commune de moins de 5 000 habitants)",
        "dans la limite du coût du projet (8 000 € HT) : 5 000 €",
        f"« {rules.rule('FULL-RATE').quote} »",  # Billom is under 5 000 inhabitants
        "enveloppe départementale de l’année 2021",
        # 4° the timetable: the engagement deadline of the call and the planned completion
        "au plus tard le 31 décembre 2021",
        f"« {rules.rule('ENGAGEMENT').quote} »",
        "Date prévisionnelle d’achèvement du projet : 31 mars 2022",
        # 5° payment terms (art. 12) and repayment
        "une avance de 30 % au plus du montant maximal, soit 1 500 € au plus",
        "dépasse 80 % du montant maximal, soit 4 000 €",
        "le solde est versé sur production de l’état récapitulatif des dépenses",
        "Article 6 — Reversement",
        "lorsque les dépenses justifiées sont inférieures aux sommes versées",
        # recours, from the definition; the signatory
        rules.committee.recourse,
        "Fait le 20 juillet 2021",
        rules.committee.signatory,
    )


def test_a_larger_commune_s_arrete_has_no_full_rate_and_says_a_reduced_amount(team):
    riom = proposed(code="63300", name="Riom", cost="30000")
    assert riom.maximum_amount == Decimal("10000.00")
    m = closed_meeting(team, [riom], amount=Decimal("7500"))
    text = pdf_text(read(generate(m, riom, team.manager)))
    rules = real_call().rules
    assert_says(
        text,
        "Forfait applicable : 10 000 € (commune de 5 000 habitants ou plus)",
        "un montant inférieur, 7 500 €, pour le motif suivant : Coût réduit du projet.",
        "Montant maximal de la subvention : 7 500 €, soit 25 % de la dépense subventionnable",
        "soit 2 250 € au plus",
        "soit 6 000 €",
    )
    assert norm(rules.rule("FULL-RATE").quote) not in norm(text)


def test_the_refusal_letter_gives_the_committee_s_reason_and_the_recours(team, closed):
    m, _, arconsat, _ = closed
    document = generate(m, arconsat, team.manager)
    assert document.number == "63-2021-REF-001" and document.kind == DecisionKind.REFUSAL
    text = pdf_text(read(document))
    assert_says(
        text,
        f"Décision n° {document.number} : refus de subvention",
        "Arconsat",
        "À l’attention de Claire Martin, Secrétaire de mairie",
        f"dossier n° {arconsat.number}",
        "n’a pas retenu ce projet, pour le motif suivant",
        REFUSAL_REASON,
        real_call().rules.committee.recourse,
    )
    assert "Montant maximal" not in text


# ---------------------------------------------------------------- numbers and QR codes


def test_numbers_run_per_call_kind_and_year(team, closed):
    m, billom, arconsat, _ = closed
    clermont = proposed(code="63113", name="Clermont-Ferrand")
    later = closed_meeting(team, [clermont])
    assert generate(m, arconsat, team.manager).number == "63-2021-REF-001"
    assert generate(m, billom, team.manager).number == "63-2021-ARR-001"
    next_year = dt.datetime(2022, 1, 3, 9, 0, tzinfo=dt.UTC)
    document = generate(later, clermont, team.manager, when=next_year)
    assert (document.number, document.year, document.sequence) == ("63-2022-ARR-001", 2022, 1)


def test_the_database_refuses_a_number_twice(team, closed):
    m, billom, arconsat, _ = closed
    award = generate(m, billom, team.manager)
    refusal = generate(m, arconsat, team.manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionDocument.objects.filter(pk=refusal.pk).update(number=award.number)


def test_every_page_carries_a_qr_code_that_names_the_document(team, closed):
    m, billom, _, _ = closed
    document = generate(m, billom, team.manager)
    content = read(document)
    pages = decisions._pdfium_pages(content, pages=99)
    assert len(pages) >= 2 * 3  # every page, at two resolutions
    import zxingcpp

    for image in pages[::2]:
        codes = [r.text for r in zxingcpp.read_barcodes(image)]
        assert [decisions.read_payload(c) for c in codes] == [(document.number, document.uuid.hex)]


def test_a_payload_not_signed_here_names_nothing():
    assert decisions.read_payload("63-2021-ARR-001|" + "0" * 32) is None
    assert decisions.read_payload("63-2021-ARR-001|" + "0" * 32 + ":forged") is None
    assert decisions.read_payload("") is None


# ---------------------------------------------------------------- who, when, once


def test_only_the_manager_makes_the_documents(team, closed):
    m, billom, _, _ = closed
    for who in (team.chair, team.member, reviewer()):
        with pytest.raises(CommitteeError, match="Votre rôle"):
            generate(m, billom, who)
        with pytest.raises(CommitteeError, match="Votre rôle"):
            decisions.start_generation(m, who)
    assert not DecisionDocument.objects.exists()


def test_generating_twice_makes_one_document(team, closed):
    m, billom, _, _ = closed
    with clock.frozen(ISSUED_ON):
        first, made = decisions.generate(decision_of(m, billom), team.manager)
        again, made_again = decisions.generate(decision_of(m, billom), team.manager)
    assert (made, made_again, again.pk) == (True, False, first.pk)
    assert DecisionDocument.objects.count() == 1
    # Its history line is the préfecture's, not shown to the applicant.
    event = Event.objects.get(dossier=billom, summary__contains=first.number)
    assert event.kind == EventKind.REVIEW


def test_a_postponed_dossier_has_no_document(team, closed):
    m, _, _, antoingt = closed
    with pytest.raises(CommitteeError, match="ajourné"):
        generate(m, antoingt, team.manager)
    assert [r.dossier for r in decisions.rows(m)] == [closed[1], closed[2]]


def test_no_document_before_the_meeting_is_closed(team):
    from .factories import MEETING_AT, meeting
    from .test_services import RETAIN_5000

    billom = proposed()
    m = meeting(team, [billom])
    with clock.frozen(MEETING_AT):
        from guichet.committee import services as committee

        committee.decide(m.items.get(dossier=billom), team.chair, RETAIN_5000)
    with pytest.raises(CommitteeError, match="pas close"):
        generate(m, billom, team.manager)
    with pytest.raises(CommitteeError, match="pas close"):
        decisions.start_generation(m, team.manager)


# ---------------------------------------------------------------- mass generation


def test_a_meeting_s_documents_are_made_in_the_background_once(
    team, closed, django_capture_on_commit_callbacks
):
    m = closed[0]
    with clock.frozen(ISSUED_ON), django_capture_on_commit_callbacks(execute=True):
        run = decisions.start_generation(m, team.manager)
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.created, run.percent) == (
        RunStatus.DONE, 2, 2, 2, 100
    )  # fmt: skip
    assert sorted(DecisionDocument.objects.values_list("number", flat=True)) == [
        "63-2021-ARR-001", "63-2021-REF-001"
    ]  # fmt: skip
    with clock.frozen(ISSUED_ON), django_capture_on_commit_callbacks(execute=True):
        second = decisions.start_generation(m, team.manager)
    second.refresh_from_db()
    assert second.pk != run.pk and (second.status, second.created) == (RunStatus.DONE, 0)
    assert DecisionDocument.objects.count() == 2


def test_a_second_click_while_a_run_is_queued_returns_it(team, closed):
    m = closed[0]
    with clock.frozen(ISSUED_ON):
        first = decisions.start_generation(m, team.manager)  # its task waits for the commit
        second = decisions.start_generation(m, team.manager)
    assert first.pk == second.pk and first.status == RunStatus.QUEUED
    assert GenerationRun.objects.count() == 1
    assert decisions.run_generation(first.pk).status == RunStatus.DONE
    # Claimed once: running it again does nothing.
    assert decisions.run_generation(first.pk).created == 2
    assert DecisionDocument.objects.count() == 2


def test_a_run_whose_manager_lost_the_role_fails_in_french(team, closed):
    m = closed[0]
    run = decisions.start_generation(m, team.manager)
    team.manager.agent_roles.all().delete()
    run = decisions.run_generation(run.pk)  # reads the manager's roles again
    assert run.status == RunStatus.FAILED and "plus le droit" in run.error
    assert not DecisionDocument.objects.exists()


# ---------------------------------------------------------------- the signed scan


@pytest.fixture
def issued(team, closed):
    m, billom, arconsat, _ = closed
    return m, generate(m, billom, team.manager), generate(m, arconsat, team.manager)


def attach(meeting, user, upload, chosen=None):
    with clock.frozen(ISSUED_ON + dt.timedelta(days=1)):
        return decisions.attach_signed_scan(meeting, user, upload, chosen=chosen)


def test_a_scan_is_matched_by_the_qr_code_of_its_first_page(team, issued):
    m, award, refusal = issued
    scan = attach(m, team.manager, scanned(read(award)))
    award.refresh_from_db()
    assert (scan.document, scan.matched_by) == (award, ScanMatch.QR)
    assert award.status == DocumentStatus.SIGNED and scan.mime_type == "application/pdf"
    # The refusal's scan, first page only, is matched to the refusal whatever the order.
    assert attach(m, team.manager, scanned(read(refusal), pages=1)).document == refusal


def test_a_scan_that_contradicts_the_document_chosen_is_refused(team, issued):
    m, award, refusal = issued
    with pytest.raises(CommitteeError, match=f"n° {award.number}, et non celui du document n° "
                       f"{refusal.number}"):  # fmt: skip
        attach(m, team.manager, scanned(read(award)), chosen=refusal)
    assert not SignedScan.objects.exists()


def test_a_scan_of_another_meeting_s_document_is_refused(team, issued):
    m, _, _ = issued
    clermont = proposed(code="63113", name="Clermont-Ferrand")
    other = closed_meeting(team, [clermont])
    foreign = generate(other, clermont, team.manager)
    with pytest.raises(CommitteeError, match="pas une décision de cette séance") as exc:
        attach(m, team.manager, scanned(read(foreign)))
    assert exc.value.field == "file"


def _pdf(html: str) -> bytes:
    return HTML(string=f"<html><body>{html}</body></html>").write_pdf()


def test_a_qr_code_not_made_here_is_refused(team, issued):
    m, award, _ = issued
    forged = segno.make(f"{award.number}|{award.uuid.hex}", error="m").svg_data_uri()
    upload = scanned(_pdf(f'<img src="{forged}" style="width:40mm">'), blur=False)
    with pytest.raises(CommitteeError, match="n’est pas celui d’un document de décision"):
        attach(m, team.manager, upload)


def test_without_a_qr_code_the_number_in_the_text_matches(team, issued):
    m, award, _ = issued
    upload = SimpleUploadedFile(
        "signe.pdf", _pdf(f"<p>Arrêté n° {award.number} — signé le 21 juillet 2021</p>")
    )
    assert attach(m, team.manager, upload).matched_by == ScanMatch.TEXT


def test_an_unreadable_scan_needs_a_document_chosen_by_hand(team, issued):
    m, _, refusal = issued
    blank = _pdf("<p>Page numérisée sans code lisible.</p>")
    with pytest.raises(CommitteeError, match="choisissez à la main") as exc:
        attach(m, team.manager, SimpleUploadedFile("scan.pdf", blank))
    assert exc.value.field == "document"
    scan = attach(m, team.manager, SimpleUploadedFile("scan.pdf", blank), chosen=refusal)
    assert (scan.document, scan.matched_by) == (refusal, ScanMatch.HAND)


def test_a_scan_must_be_a_pdf(team, issued):
    m, _, refusal = issued
    png = io.BytesIO()
    segno.make("x").save(png, kind="png")
    with pytest.raises(ValidationError, match="format du fichier"):
        attach(m, team.manager, SimpleUploadedFile("scan.png", png.getvalue()), chosen=refusal)


def test_only_the_manager_uploads_a_scan(team, issued):
    m, award, _ = issued
    with pytest.raises(CommitteeError, match="Votre rôle"):
        attach(m, team.chair, scanned(read(award)))


# ---------------------------------------------------------------- notifying


def test_notifying_sends_the_signed_scan_to_the_team_and_says_so_in_the_history(
    team, issued, django_capture_on_commit_callbacks
):
    m, award, _ = issued
    dossier = award.decision.item.dossier
    scan_upload = scanned(read(award))
    attach(m, team.manager, scan_upload)
    mail.outbox.clear()
    with (
        clock.frozen(ISSUED_ON + dt.timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notified = decisions.notify(award, team.manager)
        again = decisions.notify(award, team.manager)
    assert notified.status == DocumentStatus.NOTIFIED and again.notified_at == notified.notified_at
    assert len(mail.outbox) == 1  # the second click sent nothing
    message = mail.outbox[0]
    assert "claire.martin@mairie.example.fr" in message.to
    assert (
        message.subject
        == f"Subvention attribuée : arrêté n° {award.number} (dossier {dossier.number})"
    )
    assert f"Accepté — {format_euros(Decimal(5000))} (enveloppe 2021)" in message.body
    assert french_date(real_call().rules.engagement_deadline) in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"arrete-{award.number}.pdf", "application/pdf")
    scan_upload.seek(0)
    assert content == scan_upload.read()  # the signed scan, not the unsigned document
    event = Event.objects.get(dossier=dossier, kind=EventKind.DECISION)
    assert event.summary == f"Arrêté attributif n° {award.number} notifié"
    assert decisions.notified_decision(dossier) == award
    # Once notified, the scan is not replaced.
    with pytest.raises(CommitteeError, match="déjà notifié"):
        attach(m, team.manager, scanned(read(award)))


def test_a_refusal_notified_gives_the_reason(team, issued, django_capture_on_commit_callbacks):
    m, _, refusal = issued
    attach(m, team.manager, scanned(read(refusal)))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.notify_all(m, team.manager)
    [message] = mail.outbox
    assert REFUSAL_REASON in message.body and "non retenu" in message.subject
    assert real_call().rules.committee.recourse.split()[0] in message.body


def test_nothing_is_notified_before_its_signed_scan(team, issued):
    m, award, _ = issued
    with pytest.raises(CommitteeError, match="Déposez d’abord le scan signé"):
        decisions.notify(award, team.manager)
    with pytest.raises(CommitteeError, match="Votre rôle"):
        decisions.notify(award, team.member)
    assert decisions.notify_all(m, team.manager) == []
    assert not mail.outbox


def test_a_scan_replaced_before_notification_is_the_one_kept(team, issued):
    m, award, _ = issued
    first = attach(m, team.manager, scanned(read(award), name="premier.pdf"))
    old_name = first.file.name
    second = attach(m, team.manager, scanned(read(award), name="second.pdf", blur=False))
    assert first.pk == second.pk and second.original_name == "second.pdf"
    assert SignedScan.objects.count() == 1
    assert second.file.name != old_name
