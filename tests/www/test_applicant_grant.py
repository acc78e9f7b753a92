"""The beneficiary's side of its grant: the grant's page, the engagement's proof, the payment
requests with their statement of expenses and pieces, a returned request completed."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.grants import postaward
from guichet.grants.models import EngagementProof, EngagementStatus, PaymentRequest, RequestStatus
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, pdf_upload, reviewer
from tests.grants.factories import AFTER_DEADLINE, FOLLOW_AT, engaged, granted

pytestmark = pytest.mark.django_db
E = Decimal


# ---------------------------------------------------------------- helpers


def error_at(html: str, name: str) -> str:
    match = re.search(rf'<div[^>]*id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def text(response) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name}"
    return htmllib.unescape(match.group(1))


@pytest.fixture
def beneficiary():
    """(grant, owner, people): Billom's 5 000 € grant, not yet engaged."""
    return granted()


@pytest.fixture
def signed_in(client, beneficiary):
    client.force_login(beneficiary[1])
    return client


@pytest.fixture
def engaged_grant(beneficiary):
    grant, owner, people = beneficiary
    return engaged(grant, owner, people)


def url(name, grant, *more):
    return reverse(f"applicant:{name}", args=[grant.dossier.uuid, *more])


def get(client, address, at=FOLLOW_AT):
    with clock.frozen(at):
        return client.get(address)


def post(client, address, data, at=FOLLOW_AT):
    with clock.frozen(at):
        return client.post(address, data)


def line(i, **values):
    base = {
        "supplier": "Mairie Numérique SARL",
        "invoice_number": "F-21-104",
        "invoiced_on": "10/09/2021",
        "nature": "Prestation d’accompagnement",
        "amount_excl_vat": "4 200,00",
        "amount_incl_vat": "5 040,00",
    }
    base.update(values)
    return {f"lignes-{i}-{k}": v for k, v in base.items()}


def request_data(kind="balance", amount="4 200,00", lines=None, total=3, **more):
    data = {
        "kind": kind,
        "amount": amount,
        "confirm": "on",
        "lignes-TOTAL_FORMS": str(total),
        "lignes-INITIAL_FORMS": "0",
        "_action": "send",
    }
    for i, values in enumerate(lines if lines is not None else [{}]):
        data.update(line(i, **values))
    data.update(more)
    return data


def balance_pieces():
    return {
        "piece_invoice": [pdf_upload("facture-1.pdf"), pdf_upload("facture-2.pdf")],
        "piece_completion_certificate": pdf_upload("certificat.pdf"),
    }


# ---------------------------------------------------------------- the grant's page


def test_the_grant_page_shows_the_money_the_deadlines_and_the_steps(signed_in, beneficiary):
    grant, _, _ = beneficiary
    response = get(signed_in, url("grant", grant))
    assert response.status_code == 200
    page = text(response)
    assert "5\u00a0000,00\u00a0€" in page or "5\u00a0000\u00a0€" in page
    assert "31 décembre 2021" in page  # the engagement deadline
    assert "31 mars 2022" in page  # the planned completion (dossier.end_date)
    assert "15 juillet 2025" in page  # the completion deadline: 48 months after the decision
    assert "Prouvez l’engagement du projet" in page
    assert 'id="engagement-form"' in response.content.decode()
    assert "Étapes de la subvention" in page
    # The decision's transition is the first step, with its author.
    steps = page.split("Étapes de la subvention", 1)[1]
    assert "Accepté" in steps


def test_the_dossier_page_summarises_the_grant_and_links_to_it(signed_in, beneficiary):
    grant, _, _ = beneficiary
    response = get(signed_in, reverse("applicant:dossier", args=[grant.dossier.uuid]))
    body = response.content.decode()
    assert 'id="subvention"' in body
    assert url("grant", grant) in body
    assert "Reste à verser" in text(response) or "reste à verser" in text(response)


@pytest.mark.parametrize("name", ["grant", "payment-request"])
def test_others_get_a_404(client, beneficiary, name):
    grant, _, people = beneficiary
    for user in (agent(), people.reviewer, people.manager):
        client.force_login(user)
        assert get(client, url(name, grant)).status_code == 404


def test_a_dossier_without_grant_has_no_grant_pages(client):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    client.force_login(owner)
    for name in ("grant", "payment-request"):
        address = reverse(f"applicant:{name}", args=[dossier.uuid])
        assert get(client, address).status_code == 404
    detail = reverse(
        "applicant:payment-request-detail",
        args=[dossier.uuid, "00000000-0000-0000-0000-000000000000"],
    )
    assert get(client, detail).status_code == 404
    body = get(client, reverse("applicant:dossier", args=[dossier.uuid])).content.decode()
    assert 'id="subvention"' not in body


# ---------------------------------------------------------------- the engagement's proof


def test_the_proof_is_sent_and_awaits_its_check(signed_in, beneficiary):
    grant, _, _ = beneficiary
    response = post(
        signed_in, url("grant", grant), {"file": pdf_upload(), "signed_on": "01/09/2021"}
    )
    assert response.status_code == 302
    proof = EngagementProof.objects.get(grant=grant)
    assert (proof.signed_on, proof.status) == (dt.date(2021, 9, 1), EngagementStatus.SUBMITTED)
    page = get(signed_in, url("grant", grant))
    assert "La préfecture vérifie votre preuve d’engagement." in text(page)
    assert 'id="engagement-form"' not in page.content.decode()


def test_signed_on_the_deadline_is_in_time_and_the_day_after_is_refused_at_its_field(
    signed_in, beneficiary
):
    grant, _, _ = beneficiary
    late = post(
        signed_in, url("grant", grant), {"file": pdf_upload(), "signed_on": "01/01/2022"},
        at=AFTER_DEADLINE,
    )  # fmt: skip
    assert late.status_code == 422
    assert "hors délai" in error_at(late.content.decode(), "signed_on")
    assert value_of(late.content.decode(), "signed_on") == "01/01/2022"
    assert not EngagementProof.objects.filter(grant=grant).exists()
    in_time = post(
        signed_in, url("grant", grant), {"file": pdf_upload(), "signed_on": "31/12/2021"},
        at=AFTER_DEADLINE,
    )  # fmt: skip
    assert in_time.status_code == 302
    assert EngagementProof.objects.get(grant=grant).signed_on == dt.date(2021, 12, 31)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"signed_on": "01/09/2021"}, "file", "Joignez le devis ou le marché signé."),
        ({"file": True}, "signed_on", "Indiquez la date de signature"),
        ({"file": True, "signed_on": "31/02/2021"}, "signed_on", "n'est pas une date qui existe"),
        ({"file": True, "signed_on": "hier"}, "signed_on", "n'est pas une date"),
        ({"file": True, "signed_on": "01/10/2021"}, "signed_on", "dans le futur"),
        (
            {"file": "exe", "signed_on": "01/09/2021"},
            "file",
            "n’est pas accepté",
        ),
    ],
)
def test_a_bad_proof_is_refused_at_its_field_and_the_date_kept(
    signed_in, beneficiary, data, field, message
):
    grant, _, _ = beneficiary
    data = dict(data)
    if data.get("file") is True:
        data["file"] = pdf_upload()
    elif data.get("file") == "exe":
        data["file"] = SimpleUploadedFile("devis.exe", b"MZ\x90\x00" + b"\x00" * 64)
    response = post(signed_in, url("grant", grant), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in error_at(body, field)
    if data.get("signed_on"):
        assert value_of(body, "signed_on") == data["signed_on"]
    if "file" in data:
        assert "choisissez-le à nouveau" in text(response)
    assert not EngagementProof.objects.filter(grant=grant).exists()


def test_a_refused_proof_shows_its_reason_and_another_can_be_given(signed_in, beneficiary):
    grant, owner, people = beneficiary
    with clock.frozen(FOLLOW_AT):
        proof = postaward.submit_engagement(grant, owner, pdf_upload(), dt.date(2021, 9, 1))
        postaward.refuse_engagement(proof, people.reviewer, "Le devis n’est pas signé.")
    page = get(signed_in, url("grant", grant))
    assert "Le devis n’est pas signé." in text(page)
    assert 'id="engagement-form"' in page.content.decode()
    again = post(signed_in, url("grant", grant), {"file": pdf_upload(), "signed_on": "02/09/2021"})
    assert again.status_code == 302
    assert grant.engagement_proofs.filter(status=EngagementStatus.SUBMITTED).count() == 1


# ---------------------------------------------------------------- a payment request


def test_no_request_form_before_the_engagement_is_validated(signed_in, beneficiary):
    grant, _, _ = beneficiary
    response = get(signed_in, url("payment-request", grant))
    assert response.status_code == 302
    assert response["Location"] == url("grant", grant)


def test_the_request_form_shows_each_kind_with_its_ceiling(signed_in, engaged_grant):
    response = get(signed_in, url("payment-request", engaged_grant))
    assert response.status_code == 200
    page = text(response)
    assert "Avance" in page and "Acompte" in page and "Solde" in page
    assert "au plus 30\u00a0% de la subvention\u00a0: 1\u00a0500\u00a0€" in page
    assert "4\u00a0000\u00a0€ aujourd’hui" in page  # instalments: 80 %
    assert "5\u00a0000\u00a0€ aujourd’hui" in page  # the balance
    assert "Factures acquittées" in page


def test_the_balance_is_asked_with_its_lines_and_pieces(signed_in, engaged_grant):
    grant = engaged_grant
    data = request_data(lines=[{}, {"supplier": "Logiciels d’Auvergne", "amount_excl_vat": "800",
                                    "amount_incl_vat": "960", "invoice_number": ""}])  # fmt: skip
    response = post(signed_in, url("payment-request", grant), {**data, **balance_pieces()})
    assert response.status_code == 302, error_page(response)
    made = PaymentRequest.objects.get(grant=grant)
    assert (made.kind, made.amount_requested, made.expenses_total) == ("balance", E(4200), E(5000))
    assert made.expenses.count() == 2
    assert sorted(made.pieces.values_list("kind", flat=True)) == [
        "completion_certificate", "invoice", "invoice"
    ]  # fmt: skip
    assert response["Location"] == url("payment-request-detail", grant, made.uuid)
    detail = get(signed_in, response["Location"])
    page = text(detail)
    assert "Logiciels d’Auvergne" in page and "Déposée" in page
    piece = made.pieces.first()
    download = get(signed_in, url("request-piece", grant, made.uuid, piece.pk))
    assert download.status_code == 200
    grant_page = text(get(signed_in, url("grant", grant)))
    assert "Demande n° 1" in grant_page
    assert "Demande de versement n° 1 déposée" in grant_page  # a step of the history


def error_page(response) -> str:
    return text(response)[:3000] if response.status_code != 302 else ""


def test_an_advance_at_30_percent_passes_and_a_cent_more_is_refused_at_the_amount(
    signed_in, engaged_grant
):
    grant = engaged_grant
    data = request_data(kind="advance", amount="1 500,01", lines=[])
    response = post(signed_in, url("payment-request", grant), data)
    assert response.status_code == 422
    assert "au plus 30\u00a0%" in error_at(response.content.decode(), "amount")
    assert value_of(response.content.decode(), "amount") == "1 500,01"
    assert not PaymentRequest.objects.exists()
    data["amount"] = "1 500,00"
    assert post(signed_in, url("payment-request", grant), data).status_code == 302
    assert PaymentRequest.objects.get().amount_requested == E("1500.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "n'est pas un montant"),
        ("-5", "ne peut pas être négatif"),
        ("1e9", "Le solde est d’au plus"),
        ("", "Indiquez le montant demandé"),
    ],
)
def test_a_wrong_amount_is_refused_at_its_field_and_the_lines_kept(
    signed_in, engaged_grant, amount, message
):
    grant = engaged_grant
    data = request_data(amount=amount, lines=[{"supplier": "Fournisseur gardé"}])
    response = post(signed_in, url("payment-request", grant), {**data, **balance_pieces()})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in error_at(body, "amount")
    assert value_of(body, "amount") == amount
    assert value_of(body, "lignes-0-supplier") == "Fournisseur gardé"
    assert re.search(
        r'<input type="radio" id="kind_balance" name="kind" value="balance" checked>', body
    )
    assert "choisissez-les à nouveau" in text(response)
    assert not PaymentRequest.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount_incl_vat": "4 000"}, "amount_incl_vat", "TTC ne peut pas être inférieur"),
        ({"amount_excl_vat": "abc"}, "amount_excl_vat", "n'est pas un montant"),
        ({"invoiced_on": "01/10/2021"}, "invoiced_on", "dans le futur"),
        ({"invoiced_on": "32/01/2021"}, "invoiced_on", "n'est pas une date"),
        ({"supplier": ""}, "supplier", "Indiquez le fournisseur."),
    ],
)
def test_a_wrong_line_is_refused_at_its_field(signed_in, engaged_grant, values, field, message):
    grant = engaged_grant
    data = request_data(lines=[values])
    response = post(signed_in, url("payment-request", grant), {**data, **balance_pieces()})
    assert response.status_code == 422
    assert message in error_at(response.content.decode(), f"lignes-0-{field}")
    assert not PaymentRequest.objects.exists()


def test_an_unknown_kind_a_missing_piece_and_a_missing_confirmation_are_refused(
    signed_in, engaged_grant
):
    grant = engaged_grant
    address = url("payment-request", grant)
    unknown = post(signed_in, address, {**request_data(kind="gift"), **balance_pieces()})
    assert "Choisissez l’une des natures" in error_at(unknown.content.decode(), "kind")
    missing = post(
        signed_in, address, {**request_data(), "piece_invoice": pdf_upload("facture.pdf")}
    )
    assert missing.status_code == 422
    assert "Certificat d’achèvement" in error_at(missing.content.decode(), "pieces")
    data = request_data()
    del data["confirm"]
    unconfirmed = post(signed_in, address, {**data, **balance_pieces()})
    assert "Cochez la case" in error_at(unconfirmed.content.decode(), "confirm")
    no_lines = post(signed_in, address, {**request_data(lines=[]), **balance_pieces()})
    assert "Détaillez les dépenses" in error_at(no_lines.content.decode(), "expenses")
    assert not PaymentRequest.objects.exists()


def test_adding_a_line_keeps_everything_typed_and_sends_nothing(signed_in, engaged_grant):
    grant = engaged_grant
    data = request_data(lines=[{}, {"supplier": "Deuxième"}, {"supplier": "Troisième"}])
    data["_action"] = "add_line"
    response = post(signed_in, url("payment-request", grant), data)
    body = response.content.decode()
    assert value_of(body, "lignes-TOTAL_FORMS") == "4"
    assert 'name="lignes-3-supplier"' in body
    assert value_of(body, "lignes-2-supplier") == "Troisième"
    assert value_of(body, "amount") == "4 200,00"
    assert not PaymentRequest.objects.exists()


def test_a_forged_line_count_is_said_and_sends_nothing(signed_in, engaged_grant):
    grant = engaged_grant
    data = request_data(**{"lignes-TOTAL_FORMS": "x"})
    response = post(signed_in, url("payment-request", grant), {**data, **balance_pieces()})
    assert response.status_code == 422
    assert "illisibles" in text(response)
    assert not PaymentRequest.objects.exists()


# ---------------------------------------------------------------- a returned request


@pytest.fixture
def returned(engaged_grant, beneficiary):
    grant, owner, people = beneficiary
    from tests.grants.factories import certificate, expense, invoice

    with clock.frozen(FOLLOW_AT):
        made = postaward.request_payment(
            grant, owner, "balance", E("4200"), [expense("4200")], [invoice(), certificate()]
        )
        postaward.return_request(made, people.reviewer, "La facture n° 2 manque.")
    return made


def test_a_returned_request_shows_the_reason_and_takes_the_missing_pieces(
    signed_in, engaged_grant, returned
):
    grant = engaged_grant
    address = url("payment-request-detail", grant, returned.uuid)
    page = get(signed_in, address)
    assert "La facture n° 2 manque." in text(page)
    assert 'id="complete-form"' in page.content.decode()
    empty = post(signed_in, address, {"note": "Voici"})
    assert empty.status_code == 422
    assert "Joignez au moins une pièce." in text(empty)
    assert "Voici" in empty.content.decode()
    done = post(
        signed_in, address, {"note": "La voici.", "piece_invoice": pdf_upload("facture-2.pdf")}
    )
    assert done.status_code == 302
    returned.refresh_from_db()
    assert returned.status == RequestStatus.SUBMITTED
    assert returned.pieces.count() == 3


def test_the_request_and_its_pieces_are_the_teams_only(client, engaged_grant, returned):
    grant = engaged_grant
    piece = returned.pieces.first()
    for user in (agent(), reviewer()):
        client.force_login(user)
        assert get(client, url("payment-request-detail", grant, returned.uuid)).status_code == 404
        assert get(client, url("request-piece", grant, returned.uuid, piece.pk)).status_code == 404
        assert post(client, url("payment-request-detail", grant, returned.uuid),
                    {"piece_other": pdf_upload()}).status_code == 404  # fmt: skip


# ---------------------------------------------------------------- the decision, the rights


def test_the_grant_page_gives_the_notified_decision_to_download(signed_in, beneficiary):
    from weasyprint import HTML

    from guichet.committee import decisions
    from guichet.committee.models import Decision

    grant, _, people = beneficiary
    decision = Decision.objects.select_related("item__meeting").get(item__dossier=grant.dossier)
    with clock.frozen(FOLLOW_AT):
        document, _ = decisions.generate(decision, people.manager)
        scan = SimpleUploadedFile("scan.pdf", HTML(string="<p>Scan</p>").write_pdf())
        decisions.attach_signed_scan(decision.item.meeting, people.manager, scan, chosen=document)
        decisions.notify(document, people.manager)
    body = get(signed_in, url("grant", grant)).content.decode()
    link = reverse("applicant:decision", args=[grant.dossier.uuid, document.uuid])
    assert f'href="{link}"' in body
    assert get(signed_in, link).status_code == 200


def test_strangers_posting_get_a_404_and_change_nothing(client, engaged_grant, beneficiary):
    grant = engaged_grant
    _, _, people = beneficiary
    for user in (agent(), people.reviewer):
        client.force_login(user)
        proof = post(client, url("grant", grant), {"file": pdf_upload(), "signed_on": "01/09/2021"})
        asked = post(client, url("payment-request", grant), {**request_data(), **balance_pieces()})
        assert (proof.status_code, asked.status_code) == (404, 404)
    assert grant.engagement_proofs.count() == 1  # the validated one only
    assert not PaymentRequest.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, beneficiary):
    grant, _, _ = beneficiary
    response = get(client, url("grant", grant))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_advance_with_lines_is_refused_at_the_statement(signed_in, engaged_grant):
    data = request_data(kind="advance", amount="1 000")
    response = post(signed_in, url("payment-request", engaged_grant), data)
    assert response.status_code == 422
    assert "ne s’accompagne pas" in error_at(response.content.decode(), "expenses")
    assert not PaymentRequest.objects.exists()


def test_an_instalment_is_asked_on_its_invoices(signed_in, engaged_grant):
    data = request_data(kind="instalment", amount="2 000", lines=[{"amount_excl_vat": "2 500",
                                                                   "amount_incl_vat": "3 000"}])  # fmt: skip
    response = post(
        signed_in, url("payment-request", engaged_grant),
        {**data, "piece_invoice": pdf_upload("facture.pdf")},
    )  # fmt: skip
    assert response.status_code == 302
    made = PaymentRequest.objects.get()
    assert (made.kind, made.amount_requested, made.expenses_total) == (
        "instalment", E(2000), E(2500)
    )  # fmt: skip
    page = text(get(signed_in, url("grant", engaged_grant)))
    assert "Demande n° 1 «\u00a0Déposée\u00a0»" in page


def test_a_paid_balance_shows_its_payment_and_the_grant_closed(
    signed_in, engaged_grant, beneficiary
):
    from tests.grants.factories import certificate, expense, invoice

    grant = engaged_grant
    _, owner, people = beneficiary
    with clock.frozen(FOLLOW_AT):
        made = postaward.request_payment(
            grant, owner, "balance", E("4200"), [expense("4200")], [invoice(), certificate()]
        )
        postaward.check_request(made, people.reviewer)
        postaward.certify(made, people.certifier, E("4200"))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E("5000"))
        postaward.record_payment(made, people.manager, "100046", dt.date(2021, 9, 15), E("4200"))
    detail = text(get(signed_in, url("payment-request-detail", grant, made.uuid)))
    assert "4\u00a0200\u00a0€ versés le 15 septembre 2021" in detail
    assert "4\u00a0200\u00a0€ dus" in detail
    page = get(signed_in, url("grant", grant))
    assert "La subvention est soldée" in text(page)
    assert "Demander un versement" not in text(page)
    dossier_page = text(get(signed_in, reverse("applicant:dossier", args=[grant.dossier.uuid])))
    assert "Versé\u00a0: 4\u00a0200\u00a0€" in dossier_page


def test_the_grant_pages_have_the_policy_and_no_inline_code(signed_in, engaged_grant, returned):
    from tests.www.test_security_headers import assert_nothing_inline, assert_policy

    grant = engaged_grant
    for address in (
        url("grant", grant),
        url("payment-request", grant),
        url("payment-request-detail", grant, returned.uuid),
    ):
        response = get(signed_in, address)
        assert response.status_code == 200
        assert_policy(response)
        assert_nothing_inline(response.content.decode(), address)
        assert "no-store" in response["Cache-Control"]


def test_a_second_proof_from_another_tab_is_refused_with_its_reason(signed_in, beneficiary):
    grant, _, _ = beneficiary
    data = {"signed_on": "01/09/2021"}
    assert post(signed_in, url("grant", grant), {**data, "file": pdf_upload()}).status_code == 302
    again = post(signed_in, url("grant", grant), {**data, "file": pdf_upload()})
    assert again.status_code == 422
    assert "attend déjà sa vérification" in text(again)
    assert grant.engagement_proofs.count() == 1


def test_completing_a_request_twice_says_why_the_second_is_refused(
    signed_in, engaged_grant, returned
):
    address = url("payment-request-detail", engaged_grant, returned.uuid)
    assert post(signed_in, address, {"piece_other": pdf_upload()}).status_code == 302
    again = post(signed_in, address, {"piece_other": pdf_upload()})
    assert again.status_code == 422
    assert "«\u00a0Déposée\u00a0»" in text(again) or "« Déposée »" in text(again)
    assert returned.pieces.count() == 3
