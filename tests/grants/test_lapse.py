"""The lapse (caducité): refused before the deadline; after it the grant lapses, its money goes
back, the dossier is « Caduc », the notice is written and e-mailed, and the waiting list's
first dossier that the money can fund is offered to the next meeting."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from guichet import clock
from guichet.committee import services as committee
from guichet.committee import waiting
from guichet.committee.models import WaitingListOffer
from guichet.dossiers.workflow import State
from guichet.grants import lapses, postaward
from guichet.grants import services as grants
from guichet.grants.models import (
    EntryKind,
    GrantDocument,
    GrantDocumentKind,
    GrantStatus,
    ReleaseCause,
)
from tests.committee.decision_factories import pdf_text, read
from tests.committee.factories import CONVENED_ON, MEETING_AT, proposed

from .factories import AFTER_DEADLINE, PARIS, engaged, granted
from .lapse_factories import granted_and_waiting

pytestmark = pytest.mark.django_db

DEADLINE_DAY = dt.datetime(2021, 12, 31, 18, 0, tzinfo=PARIS)
DAY_AFTER = dt.datetime(2022, 1, 1, 9, 0, tzinfo=PARIS)


def test_the_lapse_is_refused_up_to_the_deadline_day_included():
    grant, _, people = granted()
    with clock.frozen(DEADLINE_DAY), pytest.raises(postaward.PostAwardRefused) as refused:
        postaward.lapse(grant, people.manager)
    assert "31 décembre 2021" in str(refused.value) and "n’est pas passée" in str(refused.value)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert not postaward.lapse_candidates(grant.envelope.call_id, on=dt.date(2021, 12, 31))
    assert list(postaward.lapse_candidates(grant.envelope.call_id, on=dt.date(2022, 1, 1))) == [
        grant
    ]


def test_an_engaged_grant_is_no_candidate_and_cannot_lapse():
    grant, owner, people = granted()
    engaged(grant, owner, people)
    assert not postaward.lapse_candidates(grant.envelope.call_id, on=dt.date(2022, 1, 3))
    with clock.frozen(AFTER_DEADLINE), pytest.raises(postaward.PostAwardRefused):
        postaward.lapse(grant, people.manager)


def test_only_a_manager_pronounces_the_lapse():
    grant, owner, people = granted()
    for user in (people.reviewer, owner, people.team.chair):
        with clock.frozen(AFTER_DEADLINE), pytest.raises(postaward.NotAllowed):
            postaward.lapse(grant, user)


def test_the_day_after_the_deadline_the_grant_lapses_with_its_notice_mail_and_release(
    django_capture_on_commit_callbacks,
):
    grant, owner, people = granted()
    call = people.call
    before = grants.position(call, 2021)
    with clock.frozen(DAY_AFTER), django_capture_on_commit_callbacks(execute=True):
        postaward.lapse(grant, people.manager, note="Aucun devis reçu malgré deux relances.")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.LAPSED and grant.amount == 0
    assert grant.ended_at == DAY_AFTER
    line = grant.ledger.get(kind=EntryKind.RELEASE)
    assert (line.cause, line.amount) == (ReleaseCause.LAPSE, Decimal("5000"))
    assert line.note == "Aucun devis reçu malgré deux relances."
    after = grants.position(call, 2021)
    assert after.released == before.released + 5000
    assert after.remaining == before.remaining + 5000
    grant.dossier.refresh_from_db()
    assert grant.dossier.state == State.LAPSED
    assert grant.dossier.state_label == "Caduc"

    notice = GrantDocument.objects.get(grant=grant, kind=GrantDocumentKind.LAPSE_NOTICE)
    assert notice.mime_type == "application/pdf"
    assert notice.original_name == f"caducite-{grant.dossier.number}.pdf"
    text = pdf_text(read(notice))
    d = grant.dossier
    for expected in (
        "Préfecture du Puy-de-Dôme", "Billom", d.number, d.title, "CONSTATE",
        "31 décembre 2021", "5 000 €", "enveloppe 2021",
        "Dans la logique du plan de relance, les projets présentés devront impérativement être "
        "engagés avant fin 2021", "aucune preuve de l’engagement", "caduque à compter du "
        "1er janvier 2022", "est libéré et revient à l’enveloppe", "Le préfet du Puy-de-Dôme",
        "tribunal administratif de Clermont-Ferrand", "décret n° 2018-514 du 25 juin 2018",
        "15 juillet 2021",
    ):  # fmt: skip
        assert expected in text, expected

    (message,) = mail.outbox
    assert owner.email in message.to
    assert message.subject == f"Dossier {d.number} : subvention caduque"
    assert "est caduque" in message.body and "31 décembre 2021" in message.body
    ((name, content, mime),) = message.attachments
    assert name == notice.original_name and mime == "application/pdf"
    assert content == read(notice)


def test_a_second_lapse_finds_the_grant_ended():
    grant, _, people = granted()
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
        with pytest.raises(postaward.PostAwardRefused) as refused:
            postaward.lapse(grant, people.manager)
    assert "Caduque" in str(refused.value)
    assert GrantDocument.objects.filter(grant=grant).count() == 1


def test_the_freed_money_goes_to_the_first_of_the_waiting_list():
    grant, _, people, (arconsat, billom2) = granted_and_waiting(
        waiting=[("63008", "Arconsat"), ("63005", "Antoingt")]
    )
    assert list(waiting.waiting_list(people.call)) == [arconsat, billom2]
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
    offer = WaitingListOffer.objects.get()
    assert offer.dossier == arconsat
    assert offer.lapsed_grant == grant
    # The 2021 money freed in January 2022 can no longer be committed: the offer is on 2022.
    assert (offer.year, offer.amount_freed, offer.amount) == (2022, 5000, 5000)
    assert offer.meeting is None and offer.offered_at == DAY_AFTER
    assert str(offer) == f"Proposé suite à la caducité de {grant.dossier.number}"
    assert list(waiting.pending_offers(people.call)) == [offer]


def _fill_envelope(people, year=2022, leave=Decimal(0)):
    """Commit what the year's envelope has left to another dossier: nothing is left. (A lapse
    pronounced in January 2022 offers the 2022 envelope: 2021's money can no longer be
    committed.)"""
    other = proposed(code="63430", name="Thiers")
    left = grants.position(people.call, year).remaining
    grants.commit(other, year, left - leave, people.manager)
    assert grants.position(people.call, year).remaining == leave


def test_a_dossier_too_large_for_the_freed_money_is_passed_over_for_the_next_that_fits():
    grant, _, people, (_clermont, arconsat) = granted_and_waiting(
        waiting=[("63113", "Clermont-Ferrand", "20000"), ("63008", "Arconsat")]
    )
    assert waiting.amount_of(waiting.waiting_list(people.call).first()) == Decimal("10000")
    _fill_envelope(people, leave=Decimal(5000))
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
    assert WaitingListOffer.objects.get().dossier == arconsat


def test_no_offer_when_nothing_on_the_waiting_list_fits():
    grant, _, people, _ = granted_and_waiting(waiting=[("63113", "Clermont-Ferrand", "20000")])
    _fill_envelope(people)
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
    assert not WaitingListOffer.objects.exists()
    assert GrantDocument.objects.filter(grant=grant).exists()


def test_no_offer_without_a_waiting_list():
    grant, _, people = granted()
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
    assert not WaitingListOffer.objects.exists()
    assert lapses.freed_by_lapse(grant) == 5000


def test_an_offered_dossier_put_on_an_agenda_takes_the_meeting_and_leaves_it_when_removed():
    grant, _, people, (arconsat,) = granted_and_waiting()
    with clock.frozen(DAY_AFTER):
        postaward.lapse(grant, people.manager)
    later = dt.timedelta(days=200)
    with clock.frozen(CONVENED_ON + later):
        m = committee.create_meeting(
            people.call, people.manager, starts_at=MEETING_AT + later, place="Préfecture",
            sessions=list(people.call.sessions.all()),
        )  # fmt: skip
        assert waiting.offers_for_agenda(m).keys() == {arconsat.pk}
        committee.set_agenda(m, people.manager, [arconsat.pk])
        assert WaitingListOffer.objects.get().meeting == m
        committee.set_agenda(m, people.manager, [])
        assert WaitingListOffer.objects.get().meeting is None


def test_money_already_offered_is_not_offered_twice():
    first, _, people, (arconsat, antoingt) = granted_and_waiting(
        waiting=[("63008", "Arconsat"), ("63005", "Antoingt")]
    )
    second, _, _ = granted(people, code="63430", name="Thiers")
    with clock.frozen(DAY_AFTER):
        postaward.lapse(first, people.manager)
        postaward.lapse(second, people.manager)
    offers = list(WaitingListOffer.objects.order_by("pk"))
    assert [o.dossier for o in offers] == [arconsat, antoingt]


def test_the_offer_is_on_the_lapsed_grant_s_year_while_that_year_lasts():
    grant, _, _ = granted()
    with clock.frozen(dt.datetime(2021, 12, 31, 23, 59, tzinfo=PARIS)):
        assert waiting.offer_year(grant) == 2021
    with clock.frozen(DAY_AFTER):
        assert waiting.offer_year(grant) == 2022


def test_a_lapse_that_fails_after_its_notice_leaves_no_file(monkeypatch):
    from guichet.documents.storage import private_storage
    from guichet.grants import notifications

    grant, _, people = granted()

    def broken(*args, **kwargs):
        raise RuntimeError("the mail server's template is broken")

    monkeypatch.setattr(notifications, "lapse_notice", broken)
    storage = private_storage()
    before = (
        set(storage.listdir("grants/caducites")[1]) if storage.exists("grants/caducites") else set()
    )
    with clock.frozen(DAY_AFTER), pytest.raises(RuntimeError):
        postaward.lapse(grant, people.manager)
    after = (
        set(storage.listdir("grants/caducites")[1]) if storage.exists("grants/caducites") else set()
    )
    assert after == before
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and not GrantDocument.objects.exists()
