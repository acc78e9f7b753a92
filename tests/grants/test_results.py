"""The figures of the public results page (guichet.grants.results)."""

from decimal import Decimal

import pytest

from guichet import clock
from guichet.calls.models import Envelope
from guichet.dossiers.models import Dossier
from guichet.grants import postaward, results
from guichet.grants.models import Grant, GrantStatus
from guichet.review.agents import arrondissement_labels
from tests.committee.decision_factories import closed_meeting
from tests.committee.factories import proposed
from tests.grants.factories import AFTER_DEADLINE, Followers

pytestmark = pytest.mark.django_db


def three_grants():
    """Billom (commune, Clermont-Ferrand 632), Arconsat (commune, Thiers 635) and the CC Billom
    Communauté (EPCI, its dossier rewritten in the database: the factories make communes'),
    retained by one meeting on the 2021 envelope; Arconsat moved to 2022 and
    to category 1."""
    people = Followers()
    billom = proposed()
    arconsat = proposed(code="63008", name="Arconsat")
    epci = proposed()  # a second dossier of Billom, made the EPCI's below
    Dossier.objects.filter(pk=epci.pk).update(
        applicant_kind="epci", applicant_code="200067627", applicant_name="CC Billom Communauté"
    )
    closed_meeting(people.team, retained=[billom, arconsat, epci])
    envelope_2022 = Envelope.objects.get(call=people.call, year=2022)
    Grant.objects.filter(dossier=arconsat).update(envelope=envelope_2022)
    Dossier.objects.filter(pk=arconsat.pk).update(category="1")
    return people, {g.dossier.applicant_code: g for g in Grant.objects.select_related("dossier")}


def test_the_projects_and_their_totals_per_year_and_arrondissement():
    people, grants = three_grants()
    r = results.results(people.call)
    assert {p.applicant for p in r.projects} == {"Billom", "Arconsat", "CC Billom Communauté"}
    assert [p.year for p in r.projects] == [2021, 2021, 2022]  # by year, then by name
    assert r.total == sum(g.amount for g in grants.values())
    by_year = {t.label: (t.projects, t.amount) for t in r.by_year}
    assert by_year == {
        "2021": (2, grants["63040"].amount + grants["200067627"].amount),
        "2022": (1, grants["63008"].amount),
    }
    arconsat = next(p for p in r.projects if p.applicant == "Arconsat")
    assert arconsat.arrondissement == "Thiers (635)" and arconsat.kind == "Commune"
    assert arconsat.category == "1. Accompagnement par un expert du numérique"
    # Each arrondissement's sum of its own grants, in the arrondissements' order (by code).
    names = arrondissement_labels(people.call)
    expected = []
    for code in sorted({g.dossier.arrondissement_code for g in grants.values()}):
        mine = [g for g in grants.values() if g.dossier.arrondissement_code == code]
        expected.append((names[code], len(mine), sum(g.amount for g in mine)))
    assert [(t.label, t.projects, t.amount) for t in r.by_arrondissement] == expected


def test_the_category_chart_in_the_calls_order_with_the_longest_bar_at_full_width():
    people, grants = three_grants()
    r = results.results(people.call)
    assert [b.label[:2] for b in r.by_category] == ["1.", "3."]  # categories with a grant
    one, three = r.by_category
    assert one.amount == grants["63008"].amount and one.projects == 1
    assert three.projects == 2 and three.width == results.BAR_WIDTH  # the larger sum
    assert one.width == int(one.amount * results.BAR_WIDTH / three.amount)
    assert (one.y, three.y) == (0, results.ROW_HEIGHT)
    assert r.chart_height == 2 * results.ROW_HEIGHT + 8


def test_bars_of_a_tiny_amount_stay_visible_and_of_nothing_are_empty():
    totals = [
        results.Total("A", 1, Decimal("100000")),
        results.Total("B", 1, Decimal("1")),
        results.Total("C", 0, Decimal("0")),
    ]
    bars, height = results.category_bars(totals)
    assert height == 3 * results.ROW_HEIGHT + 8
    assert [b.width for b in bars] == [results.BAR_WIDTH, 1, 0]
    assert results.category_bars([]) == ([], 8)


def test_the_map_marks_the_communes_and_the_epci_and_the_table_lists_them():
    people, grants = three_grants()
    r = results.results(people.call)
    assert r.map is not None
    assert {m.code for m in r.map.communes} == {"63040", "63008"}
    [epci] = r.map.epcis
    assert epci.code == "200067627" and epci.title.startswith("CC Billom Communauté : ")
    billom = next(m for m in r.map.communes if m.code == "63040")
    amount = results.format_euros(grants["63040"].amount)
    assert billom.title == f"Billom : {amount}, 1 projet retenu"
    assert [(b.name, b.kind_label, b.on_map) for b in r.beneficiaries] == [
        ("Arconsat", "Commune", True),
        ("Billom", "Commune", True),
        ("CC Billom Communauté", "EPCI", True),
    ]


def test_a_lapsed_grant_is_left_out_and_a_closed_one_kept():
    people = Followers()
    kept, lapsing = proposed(), proposed(code="63008", name="Arconsat")
    closed_meeting(people.team, retained=[kept, lapsing])
    lapsing_grant = Grant.objects.get(dossier=lapsing)
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(lapsing_grant, people.manager)
    Grant.objects.filter(dossier=kept).update(status=GrantStatus.CLOSED)
    r = results.results(people.call)
    assert [p.applicant for p in r.projects] == ["Billom"]
    assert [b.name for b in r.beneficiaries] == ["Billom"]
    assert [m.code for m in r.map.communes] == ["63040"]
    # The envelope shows the ledger: the lapsed grant's money came back.
    [year_2021] = [b for b in r.envelopes if b.position.year == 2021]
    assert year_2021.position.net_committed == Grant.objects.get(dossier=kept).amount


def test_a_call_without_grants_has_empty_figures_and_a_map_without_marks():
    people = Followers()
    r = results.results(people.call)
    assert r.empty and r.total == 0 and r.by_category == [] and r.beneficiaries == []
    assert r.map is not None and r.map.communes == [] and r.map.epcis == []
    assert [b.position.year for b in r.envelopes] == [2021, 2022]
    assert all(b.committed_pct == 0 for b in r.envelopes)


def test_a_call_whose_departement_has_no_contours_has_no_map_but_its_tables(monkeypatch):
    people, _ = three_grants()
    monkeypatch.setattr(results.contours, "load", lambda vintage, departement: None)
    r = results.results(people.call)
    assert r.map is None and len(r.projects) == 3
    assert not any(b.on_map for b in r.beneficiaries)
