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
    FOLLOW_AT,
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
