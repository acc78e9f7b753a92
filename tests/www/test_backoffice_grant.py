"""The préfecture's side of one grant: its page, the engagement proofs, the engagement juridique,
a payment request's page and its actions (check, ask for pieces, refuse, certify, pay), and the
summary on the back-office dossier page. Bad input is answered at its field with what was typed
kept; whoever may not act gets a 404 (tests/review/test_permission_matrix.py for every role)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from guichet import clock
from guichet.dossiers.models import Dossier
from guichet.grants import postaward
from guichet.grants.models import (
    EngagementStatus,
    GrantStatus,
    LegalCommitment,
    Payment,
    RequestStatus,
)
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import agent, pdf_upload, reviewer
from tests.grants.factories import (
    FOLLOW_AT,
    SIGNED_ON,
    certificate,
    engaged,
    expense,
    granted,
    invoice,
)

pytestmark = pytest.mark.django_db
E = Decimal
LATER = FOLLOW_AT + dt.timedelta(days=30)  # 15 October 2021


def text(response) -> str:
    """The page's words, without its markup."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(words.replace("\u00a0", " ").replace("\u202f", " ").split())


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def g():
    """A granted dossier (5 000 € on the 2021 envelope) and its followers, managers with their
    second factor."""
    grant, owner, people = granted()
    for user in (people.manager, people.certifier):
        give_totp(user)
    return grant, owner, people


def pending_proof(grant, owner, signed_on=SIGNED_ON):
    with clock.frozen(FOLLOW_AT):
        return postaward.submit_engagement(grant, owner, pdf_upload(), signed_on)


def balance(grant, owner, people, amount="5000", lines=("4200", "1300")):
    """The grant engaged, and its balance asked with its statement of expenses and pieces."""
    engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(
            grant, owner, "balance", E(amount), [expense(x) for x in lines],
            [invoice(), certificate()],
        )  # fmt: skip
    mail.outbox.clear()
    return request


def checked(grant, owner, people, by=None, **kw):
    request = balance(grant, owner, people, **kw)
    with clock.frozen(FOLLOW_AT):
        return postaward.check_request(request, by or people.reviewer)


def certified(grant, owner, people, *, commitment=True):
    request = checked(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.certify(request, people.certifier, E("5000"))
        if commitment:
            postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E(5000))
    mail.outbox.clear()
    return request


def grant_url(grant, name="grant", *args):
    return reverse(f"backoffice:{name}", args=[grant.dossier.uuid, *args])


def request_url(request, name="payment-request", *args):
    return reverse(f"backoffice:{name}", args=[request.grant.dossier.uuid, request.uuid, *args])


def post(client, url, data=None, capture=None, at=LATER):
    with clock.frozen(at):
        if capture is None:
            return client.post(url, data or {})
        with capture(execute=True):
            return client.post(url, data or {})


def errors_of(response, field):
    """The field's error messages in the page's markup (its error container)."""
    page = response.content.decode()
    start = page.find(f'id="{field}-error"')
    assert start != -1, f"no error container for {field}"
    end = page.find("</div>", start)
    return " ".join(html.unescape(page[start:end]).replace("\u00a0", " ").split())


# ---------------------------------------------------------------- the grant's page


def test_the_grant_page_shows_the_money_the_dates_and_every_step(g):
    grant, owner, people = g
    proof = pending_proof(grant, owner)
    with clock.frozen(FOLLOW_AT):
        postaward.validate_engagement(proof, people.reviewer)
        request = postaward.request_payment(
            grant, owner, "balance", E("4200"), [expense("4200")], [invoice(), certificate()]
        )
    response = client_of(people.manager).get(grant_url(grant))
    assert response.status_code == 200
    page = text(response)
    assert "Subvention — " + grant.dossier.number in page
    assert "Montants (enveloppe 2021)" in page
    assert "Montant attribué 5 000 €" in page and "Reste à verser 5 000 €" in page
    assert "Date limite d’engagement 31 décembre 2021" in page
    assert "Engagé le 1er septembre 2021" in page
    assert "Achèvement au plus tard" in page
    assert "Validé" in page and "dans le délai" in page
    html_ = response.content.decode()
    assert reverse("backoffice:payment-request", args=[grant.dossier.uuid, request.uuid]) in html_
    assert "Demande n° 1" in page and "Déposée" in page
    # The ledger's commitment line and the history from the decision on, with their authors.
    assert "Engagement — 5 000 €" in page
    assert "Dossier retenu" in page
    assert "Engagement validé (signé le 1er septembre 2021)" in page
    assert "Demande de versement n° 1 déposée : solde de 4 200 €" in page
    # A reviewer may not record the EJ: no form for him.
    assert 'id="ej-form"' in html_
    assert 'id="ej-form"' not in client_of(people.reviewer).get(grant_url(grant)).content.decode()


def test_the_grant_page_links_the_decisions_documents(g):
    from guichet.committee import decisions
    from guichet.committee.models import Meeting

    grant, _owner, people = g
    meeting = Meeting.objects.get(items__dossier=grant.dossier)
    (document,) = [decisions.generate(d, people.manager)[0] for d in decisions.issuable(meeting)]
    page = client_of(people.reviewer).get(grant_url(grant)).content.decode()
    assert reverse("backoffice:decision-file", args=[meeting.call.slug, document.uuid]) in page


def test_no_grant_no_page_and_outsiders_get_a_404(g):
    grant, owner, people = g
    assert client_of(owner).get(grant_url(grant)).status_code == 404
    assert client_of(agent()).get(grant_url(grant)).status_code == 404
    from tests.committee.factories import proposed

    without = proposed(code="63008", name="Arconsat")
    url = reverse("backoffice:grant", args=[without.uuid])
    assert client_of(people.reviewer).get(url).status_code == 404
    assert Client().get(grant_url(grant)).status_code == 302  # to the sign-in


def test_a_reviewer_validates_the_pending_proof(g, django_capture_on_commit_callbacks):
    grant, owner, people = g
    proof = pending_proof(grant, owner)
    reviewer_client = client_of(people.reviewer)
    page = text(reviewer_client.get(grant_url(grant)))
    assert "Preuve à vérifier : signée le 1er septembre 2021" in page
    assert "respecte la date limite d’engagement (31 décembre 2021)" in page
    mail.outbox.clear()
    response = post(
        reviewer_client, grant_url(grant, "engagement-validate", proof.pk), None,
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("#engagement")
    proof.refresh_from_db()
    assert proof.status == EngagementStatus.VALIDATED
    assert Dossier.objects.get(pk=grant.dossier_id).state == "engaged"
    (sent,) = mail.outbox
    assert owner.email in sent.to and "engagement validé" in sent.subject
    # Twice: the proof is no longer pending, said on the page, nothing breaks.
    response = post(reviewer_client, grant_url(grant, "engagement-validate", proof.pk))
    assert response.status_code == 302
    page = text(reviewer_client.get(grant_url(grant)))
    assert "Cette preuve est déjà « Validé »." in page


def test_a_proof_signed_after_the_deadline_is_said_so(g):
    grant, owner, people = g
    pending_proof(grant, owner)
    grant.engagement_deadline = dt.date(2021, 8, 31)  # a call whose deadline had passed
    grant.save(update_fields=["engagement_deadline"])
    page = text(client_of(people.reviewer).get(grant_url(grant)))
    assert "dépasse la date limite d’engagement (31 août 2021)" in page
    assert "après la date limite du 31 août 2021" in page


def test_refusing_a_proof_needs_a_reason(g, django_capture_on_commit_callbacks):
    grant, owner, people = g
    proof = pending_proof(grant, owner)
    client = client_of(people.reviewer)
    url = grant_url(grant, "engagement-refuse", proof.pk)
    for blank in ("", "   "):
        response = post(client, url, {"reason": blank})
        assert response.status_code == 422
        assert "Expliquez au porteur pourquoi cette preuve ne convient pas." in errors_of(
            response, "reason"
        )
    response = post(client, url, {"reason": "x" * 2001})
    assert response.status_code == 422 and "2 000 caractères au plus." in errors_of(
        response, "reason"
    )
    assert "x" * 2001 in response.content.decode()  # kept
    mail.outbox.clear()
    response = post(
        client, url, {"reason": "Le devis n’est pas signé."}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    proof.refresh_from_db()
    assert (proof.status, proof.reason) == (EngagementStatus.REFUSED, "Le devis n’est pas signé.")
    (sent,) = mail.outbox
    assert owner.email in sent.to and "Le devis n’est pas signé." in sent.body


def test_the_proof_file_is_served_to_whoever_sees_the_dossier(g):
    grant, owner, people = g
    proof = pending_proof(grant, owner)
    url = grant_url(grant, "engagement-file", proof.pk)
    response = client_of(people.team.member).get(url + "?apercu=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client_of(owner).get(url).status_code == 404
    assert (
        client_of(people.reviewer).get(grant_url(grant, "engagement-file", 999999)).status_code
        == 404
    )


# ---------------------------------------------------------------- the engagement juridique


EJ_OK = {"number": "2103456789", "year": "2021", "amount": "5 000", "confirm": "on"}


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"number": "123"}, "number", "dix chiffres"),
        ({"number": "abcdefghij"}, "number", "dix chiffres"),
        ({"number": ""}, "number", "Indiquez le numéro d’engagement juridique."),
        ({"year": "20"}, "year", "Indiquez l’exercice sur quatre chiffres"),
        ({"year": "deux mille"}, "year", "Indiquez l’exercice sur quatre chiffres"),
        ({"amount": "5 000,01"}, "amount", "dépasseraient la subvention"),
        ({"amount": "0"}, "amount", "supérieur à zéro"),
        ({"amount": "abc"}, "amount", "n'est pas un montant"),
        ({"confirm": ""}, "confirm", "Cochez la case pour confirmer"),
    ],
)
def test_bad_legal_commitments_are_refused_at_their_field(g, change, field, message):
    grant, _owner, people = g
    data = {**EJ_OK, **change}
    response = post(client_of(people.manager), grant_url(grant, "legal-commitment"), data)
    assert response.status_code == 422
    assert message in errors_of(response, field)
    page = response.content.decode().replace("\u00a0", " ")
    for name, value in data.items():
        if name != "confirm" and value:
            assert f'value="{value}"' in page, name  # kept
    assert not LegalCommitment.objects.exists()


def test_the_manager_records_the_legal_commitment(g):
    grant, _owner, people = g
    client = client_of(people.manager)
    page = client.get(grant_url(grant)).content.decode()
    assert 'value="5\u00a0000\u00a0€"' in page and 'value="2021"' in page  # prefilled
    response = post(client, grant_url(grant, "legal-commitment"), {**EJ_OK, "amount": "4 000"})
    assert response.status_code == 302 and response["Location"].endswith("#ej")
    (ej,) = LegalCommitment.objects.all()
    assert (ej.number, ej.year, ej.amount, ej.recorded_by) == (
        "2103456789", 2021, E(4000), people.manager,
    )  # fmt: skip
    page = text(client.get(grant_url(grant)))
    assert "L’engagement juridique n° 2103456789 est enregistré (2021, 4 000 €)." in page
    assert "2103456789 2021 4 000 €" in page
    # The same number again for the next year: refused at the number.
    data = {**EJ_OK, "year": "2022", "amount": "1 000"}
    response = post(client, grant_url(grant, "legal-commitment"), data)
    assert response.status_code == 422 and "déjà enregistré" in errors_of(response, "number")


# ---------------------------------------------------------------- a request's page


def test_the_request_page_shows_the_expenses_the_cap_the_ceiling_and_the_pieces(g):
    grant, owner, people = g
    request = balance(grant, owner, people, amount="4000", lines=("3000", "1000"))
    client = client_of(people.reviewer)
    response = client.get(request_url(request))
    assert response.status_code == 200
    page = text(response)
    assert "Solde — demande de versement n° 1" in page
    assert "Montant demandé 4 000 €" in page
    assert "Total 4 000 €" in page and "Mairie Numérique SARL" in page
    assert "Subvention dans la limite du coût réel 4 000 € (subvention de 5 000 €" in page
    assert "Montant dû au plus 4 000 €" in page
    assert "Demande de versement n° 1 déposée : solde de 4 000 €" in page
    assert "Dossier retenu (séance n° 1" not in page  # the request's history is its own
    piece = request.pieces.first()
    assert request_url(request, "request-piece", piece.pk) in response.content.decode()
    file = client.get(request_url(request, "request-piece", piece.pk))
    assert file.status_code == 200
    assert client_of(owner).get(request_url(request, "request-piece", piece.pk)).status_code == 404
    assert client.get(request_url(request, "request-piece", 999999)).status_code == 404
    wrong = reverse("backoffice:payment-request", args=[grant.dossier.uuid, grant.dossier.uuid])
    assert client.get(wrong).status_code == 404


def test_a_reviewer_checks_the_request_and_cannot_certify_it(g):
    grant, owner, people = g
    request = balance(grant, owner, people)
    client = client_of(people.certifier)  # a manager: may check and certify, not both
    response = post(client, request_url(request, "request-check"))
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.checked_by) == (RequestStatus.CHECKED, people.certifier)
    page = text(client.get(request_url(request)))
    assert "La demande est vérifiée" in page
    assert "Vous avez vérifié cette demande" in page and 'id="certify-form"' not in page
    response = post(client, request_url(request, "request-certify"),
                    {"amount_due": "5 000", "confirm": "on"})  # fmt: skip
    assert response.status_code == 422
    assert "Le service fait est certifié par un autre agent" in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.CHECKED
    # Checking twice: said, not an error.
    response = post(client, request_url(request, "request-check"))
    assert response.status_code == 302
    assert "cette action n’est plus possible" in text(client.get(request_url(request)))


@pytest.mark.parametrize(
    "view, prefix, status, subject, message",
    [
        ("request-return", "pieces", RequestStatus.RETURNED, "pièces demandées",
         "Expliquez au porteur quelles pièces manquent."),
        ("request-refuse", "refus", RequestStatus.REFUSED, "demande de versement refusée",
         "Expliquez au porteur pourquoi la demande est refusée."),
    ],
)  # fmt: skip
def test_asking_for_pieces_or_refusing_needs_a_reason(
    g, view, prefix, status, subject, message, django_capture_on_commit_callbacks
):
    grant, owner, people = g
    request = balance(grant, owner, people)
    client = client_of(people.reviewer)
    response = post(client, request_url(request, view), {f"{prefix}-reason": "  "})
    assert response.status_code == 422
    assert message in errors_of(response, f"{prefix}-reason")
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    mail.outbox.clear()
    response = post(
        client, request_url(request, view), {f"{prefix}-reason": "La facture F-21-104 manque."},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.reason) == (status, "La facture F-21-104 manque.")
    (sent,) = mail.outbox
    assert owner.email in sent.to and subject in sent.subject


CERTIFY_OK = {"amount_due": "5 000", "note": "", "confirm": "on"}


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"amount_due": "5 000,01"}, "amount_due", "ne peut dépasser le montant demandé"),
        ({"amount_due": "0"}, "amount_due", "supérieur à zéro (sinon, refusez la demande)"),
        ({"amount_due": "abc"}, "amount_due", "n'est pas un montant"),
        ({"amount_due": ""}, "amount_due", "Indiquez le montant dû."),
        ({"amount_due": "4 000"}, "note", "se justifie dans les observations"),
        ({"confirm": ""}, "confirm", "Je certifie que le service a été fait"),
        ({"note": "y" * 2001}, "note", "2 000 caractères au plus."),
    ],
)
def test_bad_certifications_are_refused_at_their_field(g, change, field, message):
    grant, owner, people = g
    request = checked(grant, owner, people)
    data = {**CERTIFY_OK, **change}
    response = post(client_of(people.certifier), request_url(request, "request-certify"), data)
    assert response.status_code == 422
    assert message in errors_of(response, field)
    page = response.content.decode().replace("\u00a0", " ")
    if data["amount_due"]:
        assert f'value="{data["amount_due"]}"' in page  # kept
    request.refresh_from_db()
    assert request.status == RequestStatus.CHECKED


def test_one_cent_above_the_ceiling_is_refused(g):
    """An instalment of 4 000 € on 3 000 € of expenses: the ceiling is the cost, 3 000 €."""
    grant, owner, people = g
    engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(
            grant, owner, "instalment", E("3000"), [expense("3000")], [invoice()]
        )
        postaward.check_request(request, people.reviewer)
    assert postaward.due_ceiling(request) == E(3000)
    client = client_of(people.certifier)
    page = client.get(request_url(request)).content.decode()
    assert 'value="3\u00a0000\u00a0€"' in page  # prefilled with the ceiling
    response = post(client, request_url(request, "request-certify"),
                    {**CERTIFY_OK, "amount_due": "3 000,01"})  # fmt: skip
    assert response.status_code == 422 and "dépasser" in errors_of(response, "amount_due")


def test_the_certifier_certifies_a_lower_amount_with_observations(
    g, django_capture_on_commit_callbacks
):
    grant, owner, people = g
    request = checked(grant, owner, people)
    client = client_of(people.certifier)
    page = client.get(request_url(request)).content.decode()
    assert 'value="5\u00a0000\u00a0€"' in page  # prefilled with due_ceiling
    mail.outbox.clear()
    response = post(
        client, request_url(request, "request-certify"),
        {"amount_due": "4 500", "note": "Une facture hors période.", "confirm": "on"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.amount_due, request.certified_by) == (
        RequestStatus.CERTIFIED, E(4500), people.certifier,
    )  # fmt: skip
    (sent,) = mail.outbox
    assert owner.email in sent.to and "service fait certifié" in sent.subject
    page = text(client.get(request_url(request)))
    assert "Le service fait est certifié : 4 500 € dus." in page
    assert "Une facture hors période." in page


PAY_OK = {"number": "100045", "paid_on": "14/10/2021", "amount": "5 000", "confirm": "on"}


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"number": "12-34"}, "number", "s’écrit en chiffres"),
        ({"number": ""}, "number", "Indiquez le numéro de la demande de paiement."),
        ({"paid_on": "16/10/2021"}, "paid_on", "ne peut pas être dans le futur"),
        ({"paid_on": "14/09/2021"}, "paid_on", "ne peut précéder la certification"),
        ({"paid_on": "31/02/2021"}, "paid_on", "n'est pas une date qui existe"),
        ({"paid_on": ""}, "paid_on", "Indiquez la date du paiement"),
        ({"amount": "4 999,99"}, "amount", "du montant certifié : 5 000 €"),
        ({"amount": "abc"}, "amount", "n'est pas un montant"),
        ({"confirm": ""}, "confirm", "Cochez la case pour confirmer le paiement."),
    ],
)
def test_bad_payments_are_refused_at_their_field(g, change, field, message):
    grant, owner, people = g
    request = certified(grant, owner, people)
    data = {**PAY_OK, **change}
    response = post(client_of(people.manager), request_url(request, "request-pay"), data)
    assert response.status_code == 422
    assert message in errors_of(response, field)
    page = response.content.decode().replace("\u00a0", " ")
    for name in ("number", "paid_on", "amount"):
        if data[name]:
            assert f'value="{data[name]}"' in page, name  # kept
    assert not Payment.objects.exists()


def test_no_payment_before_the_legal_commitment(g):
    grant, owner, people = g
    request = certified(grant, owner, people, commitment=False)
    client = client_of(people.manager)
    assert "Enregistrez d’abord l’engagement juridique" in text(client.get(request_url(request)))
    response = post(client, request_url(request, "request-pay"), PAY_OK)
    assert response.status_code == 422
    assert "Enregistrez d’abord l’engagement juridique de la subvention." in text(response)
    assert 'value="100045"' in response.content.decode()


def test_the_manager_records_the_payment_and_the_grant_is_closed(
    g, django_capture_on_commit_callbacks
):
    grant, owner, people = g
    request = certified(grant, owner, people)
    client = client_of(people.manager)
    page = client.get(request_url(request)).content.decode()
    assert 'id="payment-form"' in page and 'value="5\u00a0000\u00a0€"' in page
    response = post(client, request_url(request, "request-pay"), PAY_OK,
                    django_capture_on_commit_callbacks)  # fmt: skip
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.number, payment.paid_on, payment.amount) == (
        "100045", dt.date(2021, 10, 14), E(5000),
    )  # fmt: skip
    grant.refresh_from_db()
    assert (grant.status, grant.paid) == (GrantStatus.CLOSED, E(5000))
    assert Dossier.objects.get(pk=grant.dossier_id).state == "paid"
    (sent,) = mail.outbox
    assert owner.email in sent.to and "versement de 5 000" in sent.subject.replace("\u00a0", " ")
    page = text(client.get(request_url(request)))
    assert "Le paiement de 5 000 € est enregistré (DP 100045)." in page
    assert "DP 100045, payé le 14 octobre 2021" in page
    assert "Aucune action : la subvention est « Soldée »." in page
    page = text(client.get(grant_url(grant)))
    assert "Versement — 5 000 € DP 100045" in page
    assert "Subvention soldée" in page


def test_a_request_that_moved_on_says_so_and_keeps_nothing_broken(g):
    """Two tabs: the request is refused in one, certified in the other."""
    grant, owner, people = g
    request = checked(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        postaward.refuse_request(request, people.reviewer, "Hors délai.")
    response = post(client_of(people.certifier), request_url(request, "request-certify"),
                    CERTIFY_OK)  # fmt: skip
    assert response.status_code == 422
    assert "La demande est à l’état « Refusée »" in text(response)


# ---------------------------------------------------------------- the dossier page


def test_the_dossier_page_summarises_the_grant(g):
    grant, owner, people = g
    client = client_of(people.reviewer)
    url = reverse("backoffice:dossier", args=[grant.dossier.uuid])
    response = client.get(url)
    page = text(response)
    assert 'id="subvention"' in response.content.decode()
    assert "5 000 € — enveloppe 2021" in page
    assert "Engagement attendu au plus tard le 31 décembre 2021" in page
    assert grant_url(grant) in response.content.decode()
    request = checked(grant, owner, people)
    response = client.get(url)
    page = text(response)
    assert "Engagé le 1er septembre 2021" in page
    assert "Demande de versement n° 1 (solde, 5 000 €) : service fait à certifier" in page
    assert request_url(request) in response.content.decode()


def test_a_dossier_without_grant_has_no_grant_section():
    from tests.committee.factories import proposed

    dossier = proposed()
    page = client_of(reviewer()).get(reverse("backoffice:dossier", args=[dossier.uuid]))
    assert 'id="subvention"' not in page.content.decode()


def test_the_grant_pages_carry_the_policy_and_nothing_inline(g):
    from tests.www.test_security_headers import assert_nothing_inline, assert_policy

    grant, owner, people = g
    request = checked(grant, owner, people)
    client = client_of(people.certifier)
    for url in (grant_url(grant), request_url(request)):
        response = client.get(url)
        assert response.status_code == 200
        assert_policy(response)
        assert_nothing_inline(response.content.decode(), url)
        assert "no-store" in response["Cache-Control"]
