"""The manager's figures: envelopes from the ledger, dossiers by state, arrondissement and type
(a paid-off grant still counts as granted, a lapsed one no more)."""

from decimal import Decimal

import pytest

from guichet import clock
from guichet.committee.overview import overview
from guichet.grants import postaward
from guichet.grants import services as grants
from guichet.grants.models import Grant, GrantStatus
from tests.grants.factories import AFTER_DEADLINE, granted

from .factories import Committee, proposed

pytestmark = pytest.mark.django_db


def test_the_overview_counts_and_sums():
    team = Committee()
    billom, arconsat = proposed(), proposed(code="63008", name="Arconsat")
    grants.commit(billom, 2021, Decimal("49500"), team.chair)  # a third of the 2021 envelope
    o = overview(team.call)
    bar2021, bar2022 = o.bars
    assert (bar2021.committed_pct, bar2021.remaining_pct) == (Decimal("33.3"), Decimal("66.7"))
    assert (bar2022.committed_pct, bar2022.remaining_pct) == (Decimal(0), Decimal(100))
    assert ("proposed", "Proposé au comité", 2) in o.by_state
    assert o.proposed_total == Decimal(10000) and o.granted_total == Decimal(49500)
    by_label = {r.label: r for r in o.by_arrondissement}
    clermont = next(r for label, r in by_label.items() if "632" in label)
    thiers = next(r for label, r in by_label.items() if "635" in label or "Thiers" in label)
    assert (clermont.dossiers, clermont.granted) == (1, Decimal(49500))
    assert (thiers.dossiers, thiers.granted) == (1, Decimal(0))
    (category,) = o.by_category
    assert category.dossiers == 2 and category.label.startswith("Projets ayant un impact")
    assert arconsat.arrondissement_code != billom.arrondissement_code


def test_a_grant_paid_off_stays_granted_and_a_lapsed_one_does_not():
    billom, _, people = granted()
    arconsat, _, _ = granted(people, code="63008", name="Arconsat")
    Grant.objects.filter(pk=billom.pk).update(status=GrantStatus.CLOSED, amount=Decimal("4200"))
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(arconsat, people.manager)
    o = overview(people.call)
    by_code = {r.label[-4:-1]: r.granted for r in o.by_arrondissement}
    assert by_code == {"632": Decimal("4200"), "635": Decimal(0)}
    assert o.granted_total == Decimal("4200")
