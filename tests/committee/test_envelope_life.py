"""The envelope's life on the committee home: committed, released, paid, left to pay and the
money not yet committed per year, the warning from 1 November to 31 December and the note once
the year is over."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from guichet import clock
from guichet.committee.overview import envelope_alert, overview
from guichet.grants import postaward
from guichet.grants import services as grants
from tests.accounts.two_factor_helpers import give_totp
from tests.grants.factories import (
    AFTER_DEADLINE,
    FOLLOW_AT,
    PARIS,
    engaged,
    expense,
    granted,
    invoice,
)

pytestmark = pytest.mark.django_db
E = Decimal


@pytest.mark.parametrize("today, level", [
    (dt.date(2021, 10, 31), None),
    (dt.date(2021, 11, 1), "warning"),
    (dt.date(2021, 12, 31), "warning"),
    (dt.date(2022, 1, 1), "info"),
    (dt.date(2020, 12, 31), None),
])  # fmt: skip
def test_the_alert_s_dates(today, level):
    alert = envelope_alert(2021, E("3500"), today)
    assert (alert.level if alert else None) == level


def test_the_alert_s_words_and_none_when_all_is_committed():
    warning = envelope_alert(2021, E("3500"), dt.date(2021, 11, 1))
    assert warning.text == (
        "Il reste 3\u00a0500\u00a0€ non engagés sur l’enveloppe 2021 : ils seront perdus le "
        "31 décembre."
    )
    info = envelope_alert(2021, E("3500"), dt.date(2022, 1, 1))
    assert (
        info.text
        == "L’année 2021 est terminée : 3\u00a0500\u00a0€ de l’enveloppe 2021 n’ont pas été engagés."
    )
    assert envelope_alert(2021, E(0), dt.date(2021, 11, 15)) is None


def test_the_figures_per_year(client):
    """Billom granted 5 000 €, 2 000 € of it paid; Arconsat granted 5 000 € and lapsed."""
    billom, owner, people = granted()
    engaged(billom, owner, people)
    arconsat, _, _ = granted(people, code="63008", name="Arconsat")
    with clock.frozen(FOLLOW_AT + dt.timedelta(days=20)):
        request = postaward.request_payment(
            billom, owner, "instalment", E("2000"), [expense("2500")], [invoice()]
        )
        postaward.check_request(request, people.reviewer)
        postaward.certify(request, people.manager, E("2000"))
        postaward.record_legal_commitment(billom, people.manager, "2103456789", 2021, E("5000"))
        postaward.record_payment(request, people.manager, "100045", FOLLOW_AT.date() +
                                 dt.timedelta(days=20), E("2000"))  # fmt: skip
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(arconsat, people.manager)
    life2021, life2022 = overview(people.call, today=dt.date(2022, 1, 3)).lives
    p = life2021.position
    assert (p.amount, p.committed, p.released, p.paid) == (E(148500), E(10000), E(5000), E(2000))
    assert life2021.left_to_pay == E(3000)
    assert life2021.not_committed == E(143500)
    assert life2021.alert.level == "info"
    assert (life2022.position.committed, life2022.not_committed, life2022.alert) == (
        0,
        148500,
        None,
    )
    # The same figures on the committee's home, with the alert.
    give_totp(people.manager)
    client.force_login(people.manager)
    with clock.frozen(dt.datetime(2021, 11, 1, 9, 0, tzinfo=PARIS)):
        html = client.get(reverse("backoffice:committee", args=[people.call.slug])).content.decode()
    row = html.split('id="envelope-2021"', 1)[1].split("</tr>", 1)[0].replace("\u00a0", " ")
    for figure in ("148 500 €", "10 000 €", "5 000 €", "2 000 €", "3 000 €", "143 500 €"):
        assert figure in row, figure
    assert "fr-alert--warning" in html.split('id="envelope-alert-2021"', 1)[0][-200:]
    assert "ils seront perdus le 31 décembre" in html
    with clock.frozen(dt.datetime(2021, 10, 31, 23, 30, tzinfo=PARIS)):
        html = client.get(reverse("backoffice:committee", args=[people.call.slug])).content.decode()
    assert 'id="envelope-alert-2021"' not in html


def test_a_new_year_at_midnight_in_paris():
    """The boundary is Paris's calendar: 31 December 23:30 in Paris still warns."""
    billom, _, people = granted()
    with clock.frozen(dt.datetime(2021, 12, 31, 23, 30, tzinfo=PARIS)):
        (life, _) = overview(people.call).lives
    assert life.alert.level == "warning"
    with clock.frozen(dt.datetime(2022, 1, 1, 0, 30, tzinfo=PARIS)):
        (life, _) = overview(people.call).lives
    assert life.alert.level == "info"
    assert grants.position(people.call, 2021).remaining == life.not_committed
    assert billom.amount == 5000
