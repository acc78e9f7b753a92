"""The life of a grant after its decision, through the services: engagement, requests, payments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from guichet import clock
from guichet.calls.models import Envelope
from guichet.grants import postaward, services
from guichet.grants.models import GrantStatus, LedgerEntry, RequestStatus
from guichet.grants.postaward import PostAwardRefused

from .factories import (
    AFTER_DEADLINE,
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


def test_a_grant_is_engaged_asked_for_certified_paid_and_closed(django_capture_on_commit_callbacks):
    grant, owner, people = granted()
    assert grant.engagement_deadline == dt.date(2021, 12, 31)
    grant = engaged(grant, owner, people)
    assert grant.engaged_on == dt.date(2021, 9, 1)
    assert grant.dossier.__class__.objects.get(pk=grant.dossier_id).state == "engaged"
    with clock.frozen(FOLLOW_AT + dt.timedelta(days=60)):
        request = postaward.request_payment(
            grant, owner, "balance", E("5000"), [expense("4200"), expense("1300")],
            [invoice(), certificate()],
        )  # fmt: skip
        assert (request.number, request.expenses_total) == (1, E("5500"))
        with pytest.raises(PostAwardRefused, match="ne vous revient pas"):
            postaward.certify(request, people.reviewer, E("5000"))
        postaward.check_request(request, people.certifier)
        with pytest.raises(PostAwardRefused, match="autre agent"):
            postaward.certify(request, people.certifier, E("5000"))
        postaward.certify(request, people.manager, E("5000"))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E("5000"))
        with django_capture_on_commit_callbacks(execute=True):
            payment = postaward.record_payment(
                request, people.manager, "100045", dt.date(2021, 11, 14), E("5000")
            )
    grant.refresh_from_db()
    assert (grant.status, grant.paid, grant.certified) == (GrantStatus.CLOSED, E(5000), E(5000))
    assert payment.ledger_entry.kind == "payment"
    assert grant.dossier.__class__.objects.get(pk=grant.dossier_id).state == "paid"
    assert Envelope.objects.get(call=people.call, year=2021).paid == E(5000)
    assert any("versement" in m.subject for m in mail.outbox)


def test_a_flat_grant_is_capped_by_the_actual_cost_and_the_rest_goes_back():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        with pytest.raises(PostAwardRefused, match="au plus 4\u00a0200") as refused:
            postaward.request_payment(
                grant, owner, "balance", E("5000"), [expense("4200")], [invoice(), certificate()]
            )
        assert refused.value.field == "amount"
        request = postaward.request_payment(
            grant, owner, "balance", E("4200"), [expense("4200")], [invoice(), certificate()]
        )
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.certifier, E("4200"))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E("5000"))
        postaward.record_payment(request, people.manager, "100046", dt.date(2021, 9, 15), E("4200"))
    grant.refresh_from_db()
    assert (grant.status, grant.amount, grant.paid) == (GrantStatus.CLOSED, E(4200), E(4200))
    closing = LedgerEntry.objects.get(grant=grant, kind="release")
    assert (closing.cause, closing.amount) == ("closing", E(800))
    (p2021, _) = services.positions(people.call)
    assert (p2021.paid, p2021.released) == (E(4200), E(800))


def test_an_advance_at_the_maximum_share_passes_and_one_cent_more_is_refused():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        with pytest.raises(PostAwardRefused, match="30") as refused:
            postaward.request_payment(grant, owner, "advance", E("1500.01"))
        assert refused.value.field == "amount"
        request = postaward.request_payment(grant, owner, "advance", E("1500.00"))
    assert request.status == RequestStatus.SUBMITTED


def test_no_request_before_the_engagement_is_validated():
    grant, owner, _ = granted()
    with clock.frozen(FOLLOW_AT), pytest.raises(PostAwardRefused, match="engagement validé"):
        postaward.request_payment(grant, owner, "advance", E("100"))


def test_a_late_or_future_signature_is_refused_at_its_field_and_nothing_is_stored():
    grant, owner, _ = granted()
    from guichet.grants.models import EngagementProof
    from tests.dossiers.factories import pdf_upload

    with clock.frozen(AFTER_DEADLINE):
        with pytest.raises(PostAwardRefused, match="hors délai") as late:
            postaward.submit_engagement(grant, owner, pdf_upload(), dt.date(2022, 1, 1))
        assert late.value.field == "signed_on"
        postaward.submit_engagement(grant, owner, pdf_upload(), dt.date(2021, 12, 31))
    with clock.frozen(FOLLOW_AT), pytest.raises(PostAwardRefused, match="futur"):
        postaward.submit_engagement(grant, owner, pdf_upload(), dt.date(2021, 9, 16))
    assert EngagementProof.objects.filter(grant=grant).count() == 1


def test_a_refused_proof_stays_in_the_history_and_another_can_be_given():
    grant, owner, people = granted()
    from tests.dossiers.factories import pdf_upload

    with clock.frozen(FOLLOW_AT):
        proof = postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
        with pytest.raises(PostAwardRefused, match="attend déjà"):
            postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
        with pytest.raises(PostAwardRefused) as empty:
            postaward.refuse_engagement(proof, people.reviewer, "  ")
        assert empty.value.field == "reason"
        postaward.refuse_engagement(proof, people.reviewer, "Le devis n’est pas signé.")
        with pytest.raises(PostAwardRefused, match="déjà « Refusé »"):
            postaward.validate_engagement(proof, people.reviewer)
        second = postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
        postaward.validate_engagement(second, people.reviewer)
    summaries = list(grant.dossier.events.values_list("summary", flat=True))
    assert "Preuve d’engagement refusée" in summaries
    assert any(s.startswith("Engagement validé") for s in summaries)


def test_only_the_team_gives_proofs_and_only_agents_with_the_right_act():
    grant, owner, people = granted()
    from guichet.grants.postaward import NotAllowed
    from tests.dossiers.factories import agent, pdf_upload

    with clock.frozen(FOLLOW_AT):
        with pytest.raises(NotAllowed):
            postaward.submit_engagement(grant, agent(), pdf_upload(), SIGNED_ON)
        proof = postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
        for who in (owner, people.team.chair, agent()):
            with pytest.raises(NotAllowed):
                postaward.validate_engagement(proof, who)
        with pytest.raises(NotAllowed):
            postaward.lapse(grant, people.reviewer)


def test_a_returned_request_comes_back_with_its_pieces_and_a_refused_one_frees_its_kind():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(
            grant, owner, "balance", E(4000), [expense(4000)], [invoice(), certificate()]
        )
        with pytest.raises(PostAwardRefused, match="déjà été demandé"):
            postaward.request_payment(
                grant, owner, "balance", E(100), [expense(100)], [invoice(), certificate()]
            )
        postaward.return_request(request, people.reviewer, "Joignez la facture du 10 septembre.")
        with pytest.raises(PostAwardRefused, match="Pièces demandées"):
            postaward.check_request(request, people.reviewer)
        request = postaward.complete_request(request, owner, [invoice()], "Voici la facture.")
        assert request.status == RequestStatus.SUBMITTED and request.pieces.count() == 3
        postaward.refuse_request(request, people.reviewer, "Dépenses hors projet.")
        again = postaward.request_payment(
            grant, owner, "balance", E(4000), [expense(4000)], [invoice(), certificate()]
        )
    assert again.number == 2


def test_missing_pieces_and_bad_expense_lines_are_refused_at_their_field():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    from dataclasses import replace

    bad_vat = replace(expense(1000), amount_incl_vat=E(999))
    with clock.frozen(FOLLOW_AT):
        with pytest.raises(PostAwardRefused, match="Certificat") as missing:
            postaward.request_payment(
                grant, owner, "balance", E(1000), [expense(1000)], [invoice()]
            )
        assert missing.value.field == "pieces"
        with pytest.raises(PostAwardRefused, match="TTC") as vat:
            postaward.request_payment(grant, owner, "instalment", E(900), [bad_vat], [invoice()])
        assert vat.value.field == "expenses"
        with pytest.raises(PostAwardRefused, match="ligne par ligne"):
            postaward.request_payment(grant, owner, "instalment", E(900), [], [invoice()])
        with pytest.raises(PostAwardRefused) as kind:
            postaward.request_payment(grant, owner, "deposit", E(900))
        assert kind.value.field == "kind"


def test_the_state_numbers_are_checked():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        for number in ("123", "abcdefghij", "21034567890"):
            with pytest.raises(PostAwardRefused, match="dix chiffres"):
                postaward.record_legal_commitment(grant, people.manager, number, 2021, E(5000))
        with pytest.raises(PostAwardRefused, match="dépasseraient"):
            postaward.record_legal_commitment(
                grant, people.manager, "2103456789", 2021, E("5000.01")
            )
        postaward.record_legal_commitment(grant, people.manager, "2103 456 789", 2021, E(2500))
        with pytest.raises(PostAwardRefused, match="déjà enregistré"):
            postaward.record_legal_commitment(grant, people.manager, "2103456789", 2022, E(1))
        with pytest.raises(PostAwardRefused, match="déjà enregistré"):
            postaward.record_legal_commitment(grant, people.manager, "2203456789", 2021, E(1))
        postaward.record_legal_commitment(grant, people.manager, "2203456789", 2022, E(2500))
        request = postaward.request_payment(grant, owner, "advance", E(1500))
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.certifier, E(1500))
        with pytest.raises(PostAwardRefused, match="montant certifié"):
            postaward.record_payment(request, people.manager, "1", dt.date(2021, 9, 15), E(1000))
        with pytest.raises(PostAwardRefused, match="précéder"):
            postaward.record_payment(request, people.manager, "1", dt.date(2021, 9, 14), E(1500))
        with pytest.raises(PostAwardRefused, match="chiffres"):
            postaward.record_payment(
                request, people.manager, "12-34", dt.date(2021, 9, 15), E(1500)
            )
        postaward.record_payment(request, people.manager, "1", dt.date(2021, 9, 15), E(1500))
    grant.refresh_from_db()
    assert (grant.status, grant.paid) == (GrantStatus.ACTIVE, E(1500))
    assert grant.dossier.state == "partly_paid"


def test_a_certified_amount_below_the_request_needs_its_reason():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(grant, owner, "advance", E(1500))
        postaward.check_request(request, people.reviewer)
        with pytest.raises(PostAwardRefused) as why:
            postaward.certify(request, people.certifier, E(1000))
        assert why.value.field == "note"
        with pytest.raises(PostAwardRefused) as above:
            postaward.certify(request, people.certifier, E("1500.01"))
        assert above.value.field == "amount_due"
        postaward.certify(request, people.certifier, E(1000), "Une facture n’est pas acquittée.")


def test_the_lapse_releases_the_grant_after_the_deadline_only():
    grant, _, people = granted()
    with clock.frozen(FOLLOW_AT):
        assert not postaward.lapse_candidates(people.call.pk).exists()
        with pytest.raises(PostAwardRefused, match="n’est pas passée"):
            postaward.lapse(grant, people.manager)
    with clock.frozen(AFTER_DEADLINE):
        assert list(postaward.lapse_candidates(people.call.pk)) == [grant]
        postaward.lapse(grant, people.manager)
        with pytest.raises(PostAwardRefused, match="Caduque"):
            postaward.lapse(grant, people.manager)
    grant.refresh_from_db()
    assert (grant.status, grant.amount) == (GrantStatus.LAPSED, E(0))
    release = LedgerEntry.objects.get(grant=grant, kind="release")
    assert (release.cause, release.amount) == ("lapse", E(5000))
    assert grant.dossier.state == "lapsed"
    (p2021, _) = services.positions(people.call)
    assert p2021.released == E(5000)


def test_an_engaged_grant_never_lapses():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(AFTER_DEADLINE):
        assert not postaward.lapse_candidates(people.call.pk).exists()
        with pytest.raises(PostAwardRefused, match="validé"):
            postaward.lapse(grant, people.manager)


def test_a_release_keeps_what_is_certified():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(grant, owner, "advance", E(1500))
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.certifier, E(1500))
    from guichet.grants.models import ReleaseCause
    from guichet.grants.services import EnvelopeRefused

    with pytest.raises(EnvelopeRefused, match="3\u00a0500"):
        services.release(grant, E("3500.01"), ReleaseCause.REDUCTION, people.manager)
    services.release(grant, E(3500), ReleaseCause.REDUCTION, people.manager)
    grant.refresh_from_db()
    assert (grant.amount, grant.certified) == (E(1500), E(1500))


def test_an_invoice_justifies_one_request_only():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        with pytest.raises(PostAwardRefused, match="figure deux fois") as twice:
            postaward.request_payment(
                grant, owner, "instalment", E(1000),
                [expense(1000, number="F-1"), expense(1000, number="f 1")], [invoice()],
            )  # fmt: skip
        assert twice.value.field == "expenses"
        postaward.request_payment(
            grant, owner, "instalment", E(2000), [expense(2000, number="F-1")], [invoice()]
        )
        with pytest.raises(PostAwardRefused, match="figure déjà dans la demande n° 1"):
            postaward.request_payment(
                grant, owner, "instalment", E(2000), [expense(2000, number="F-1")], [invoice()]
            )


def test_the_balance_waits_for_the_other_requests_and_counts_their_expenses():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        instalment = postaward.request_payment(
            grant, owner, "instalment", E(4000), [expense(4000)], [invoice()]
        )
        with pytest.raises(PostAwardRefused, match="en cours") as waits:
            postaward.request_payment(
                grant, owner, "balance", E(1000), [expense(1500)], [invoice(), certificate()]
            )
        assert waits.value.field == "kind"
        postaward.check_request(instalment, people.reviewer)
        postaward.certify(instalment, people.certifier, E(4000))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E(5000))
        postaward.record_payment(instalment, people.manager, "7", dt.date(2021, 9, 15), E(4000))
        # The project cost 4 000 € + 1 500 €: the rest of the grant, 1 000 €, is due.
        with pytest.raises(PostAwardRefused, match="au plus 1\u00a0000"):
            postaward.request_payment(
                grant, owner, "balance", E("1000.01"), [expense(1500)], [invoice(), certificate()]
            )
        balance = postaward.request_payment(
            grant, owner, "balance", E(1000), [expense(1500)], [invoice(), certificate()]
        )
        assert postaward.actual_cost(balance) == E(5500)


def test_payments_stay_within_the_legal_commitments():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(grant, owner, "advance", E(1500))
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.certifier, E(1500))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E(1000))
        with pytest.raises(PostAwardRefused, match="engagements juridiques") as above:
            postaward.record_payment(request, people.manager, "8", dt.date(2021, 9, 15), E(1500))
        assert above.value.field == "amount"


def test_a_grant_with_a_proof_waiting_is_not_lapsed():
    grant, owner, people = granted()
    from tests.dossiers.factories import pdf_upload

    with clock.frozen(FOLLOW_AT):
        postaward.submit_engagement(grant, owner, pdf_upload(), SIGNED_ON)
    with clock.frozen(AFTER_DEADLINE):
        assert not postaward.lapse_candidates(people.call.pk).exists()
        with pytest.raises(PostAwardRefused, match="attend sa vérification"):
            postaward.lapse(grant, people.manager)


def test_a_statement_too_large_for_its_column_is_refused():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    huge = E("9999999999.99")
    from dataclasses import replace

    line = replace(expense(1), amount_excl_vat=huge, amount_incl_vat=huge)
    with clock.frozen(FOLLOW_AT), pytest.raises(PostAwardRefused, match="dépasse") as refused:
        postaward.request_payment(
            grant, owner, "instalment", E(1), [line, replace(line, invoice_number="X")],
            [invoice()],
        )  # fmt: skip
    assert refused.value.field == "expenses"


def test_a_payment_recorded_twice_is_kept_once():
    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT):
        request = postaward.request_payment(grant, owner, "advance", E(1500))
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.certifier, E(1500))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, E(5000))
        postaward.record_payment(request, people.manager, "11", dt.date(2021, 9, 15), E(1500))
        with pytest.raises(PostAwardRefused, match="« Versée »"):
            postaward.record_payment(request, people.certifier, "12", dt.date(2021, 9, 15), E(1500))
    grant.refresh_from_db()
    assert grant.paid == E(1500)
    assert LedgerEntry.objects.filter(grant=grant, kind="payment").count() == 1
