"""Each rule of rules.md at its boundaries, on the real Puy-de-Dôme definition."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from guichet.rules.applicant import Applicant, ApplicantKind
from guichet.rules.eligibility import Project, Status, evaluate

from .factories import collectivity, commune

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
D = Decimal


def status(verdict, rule):
    check = verdict.check(rule)
    assert check is not None, f"no check {rule}"
    return check.status


# --- ELIG-KIND ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        ApplicantKind.COMMUNE,
        ApplicantKind.EPCI,
        ApplicantKind.METROPOLE,
        ApplicantKind.DEPARTEMENT,
        ApplicantKind.REGION,
    ],
)
def test_every_kind_of_collectivity_may_apply(puy_de_dome, kind):
    v = evaluate(puy_de_dome, collectivity(kind), Project(cost=D(8000)))
    assert status(v, "ELIG-KIND") is Status.PASSED
    assert v.eligible


@pytest.mark.parametrize("label", ["association", "entreprise", "syndicat"])
def test_other_structures_may_not_apply(puy_de_dome, label):
    other = Applicant(
        kind=ApplicantKind.OTHER, code="W123", name=f"{label} W123", other_label=label
    )
    v = evaluate(puy_de_dome, other, Project(cost=D(8000)))
    assert status(v, "ELIG-KIND") is Status.FAILED
    assert label in v.check("ELIG-KIND").message
    assert "Les structures pouvant candidater" in v.check("ELIG-KIND").quote
    assert not v.eligible
    assert v.amount == 0


# --- ELIG-TERRITORY -------------------------------------------------------------------------


def test_commune_of_another_departement_is_refused(puy_de_dome):
    vichy = commune("Vichy", 25_279, departement="03", code="03310")
    v = evaluate(puy_de_dome, vichy, Project(cost=D(8000)))
    assert status(v, "ELIG-TERRITORY") is Status.FAILED
    assert "63" in v.check("ELIG-TERRITORY").message
    assert v.amount == 0


def test_epci_with_members_in_the_departement_is_accepted(puy_de_dome):
    epci = collectivity(ApplicantKind.EPCI, departements=("03", "63"))
    assert status(evaluate(puy_de_dome, epci, Project()), "ELIG-TERRITORY") is Status.PASSED


def test_region_covering_the_departement_is_accepted(puy_de_dome):
    aura = collectivity(ApplicantKind.REGION, departements=("01", "03", "63", "69"))
    assert status(evaluate(puy_de_dome, aura, Project()), "ELIG-TERRITORY") is Status.PASSED


# --- JOINT ----------------------------------------------------------------------------------


def test_joint_project_every_partner_must_be_eligible(puy_de_dome):
    ok = evaluate(puy_de_dome, commune(), Project(cost=D(9000), partners=(commune("Egliseneuve"),)))
    assert status(ok, "JOINT") is Status.PASSED
    bad_partner = Applicant(
        kind=ApplicantKind.OTHER, code="x", name="Asso", other_label="association"
    )
    ko = evaluate(puy_de_dome, commune(), Project(cost=D(9000), partners=(bad_partner,)))
    assert status(ko, "JOINT") is Status.FAILED
    assert ko.amount == 0
    outside = evaluate(
        puy_de_dome, commune(), Project(partners=(commune("Vichy", 25_000, departement="03"),))
    )
    assert status(outside, "JOINT") is Status.FAILED


def test_joint_project_flat_amount_follows_the_lead(puy_de_dome):
    big_partner = commune("Clermont-Ferrand", 147_865, code="63113")
    v = evaluate(puy_de_dome, commune(), Project(cost=D(50_000), partners=(big_partner,)))
    assert v.flat_amount == D(5000)
    assert v.amount == D(5000)


def test_no_joint_check_without_partners(puy_de_dome):
    assert evaluate(puy_de_dome, commune(), Project()).check("JOINT") is None


# --- CAT ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["1", "2", "3"])
def test_each_category_is_fundable_with_its_quote(puy_de_dome, code):
    v = evaluate(puy_de_dome, commune(), Project(category=code))
    check = v.check(f"CAT-{code}")
    assert check.status is Status.PASSED
    assert check.quote.startswith(f"{code}/")


def test_unknown_category_fails_and_missing_is_not_evaluated(puy_de_dome):
    assert status(evaluate(puy_de_dome, commune(), Project(category="4")), "CAT") is Status.FAILED
    assert status(evaluate(puy_de_dome, commune(), Project()), "CAT") is Status.NOT_EVALUATED


# --- COST-FLOOR -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        (D("4999.99"), Status.FAILED),
        (D("5000.00"), Status.PASSED),
        (D("5000.01"), Status.PASSED),
        (D("10000000"), Status.PASSED),  # no ceiling
    ],
)
def test_cost_floor_boundary(puy_de_dome, cost, expected):
    assert status(evaluate(puy_de_dome, commune(), Project(cost=cost)), "COST-FLOOR") is expected


def test_cost_missing_is_not_evaluated(puy_de_dome):
    v = evaluate(puy_de_dome, commune(), Project())
    assert status(v, "COST-FLOOR") is Status.NOT_EVALUATED
    assert v.eligible  # only failed checks make a project ineligible
    assert v.amount == D(5000)  # without a cost, the maximum is the flat amount


# --- DEADLINE and SESSIONS, in Europe/Paris whatever the server's zone ------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2021, 6, 30, 23, 59, 59, tzinfo=PARIS), Status.PASSED),
        (dt.datetime(2021, 7, 1, 0, 0, 0, tzinfo=PARIS), Status.FAILED),
        (dt.datetime(2021, 6, 30, 21, 59, 59, tzinfo=UTC), Status.PASSED),  # 23:59:59 Paris
        (dt.datetime(2021, 6, 30, 22, 0, 0, tzinfo=UTC), Status.FAILED),  # 00:00 Paris on 1 July
        (dt.datetime(2021, 5, 18, 0, 0, 0, tzinfo=PARIS), Status.PASSED),
        (dt.datetime(2021, 5, 17, 23, 59, 59, tzinfo=PARIS), Status.FAILED),
    ],
)
def test_deadline_boundaries_in_paris_time(puy_de_dome, moment, expected):
    v = evaluate(puy_de_dome, commune(), Project(submitted_at=moment))
    assert status(v, "DEADLINE") is expected


def test_deadline_refuses_naive_datetimes(puy_de_dome):
    with pytest.raises(ValueError, match="naive"):
        evaluate(puy_de_dome, commune(), Project(submitted_at=dt.datetime(2021, 6, 1)))


@pytest.mark.parametrize(
    ("moment", "session"),
    [
        (dt.datetime(2021, 6, 7, 23, 59, 59, tzinfo=PARIS), dt.date(2021, 6, 7)),
        (dt.datetime(2021, 6, 8, 0, 0, 0, tzinfo=PARIS), dt.date(2021, 7, 7)),
        (dt.datetime(2021, 5, 20, 10, 0, tzinfo=PARIS), dt.date(2021, 6, 7)),
        (dt.datetime(2021, 6, 30, 23, 0, tzinfo=PARIS), dt.date(2021, 7, 7)),
    ],
)
def test_session_is_the_first_on_or_after_submission(puy_de_dome, moment, session):
    v = evaluate(puy_de_dome, commune(), Project(submitted_at=moment))
    assert v.session.date == session
    assert status(v, "SESSIONS") is Status.PASSED


# --- ENGAGEMENT -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2021, 12, 31), Status.PASSED),
        (dt.date(2022, 1, 1), Status.FAILED),
        (dt.date(2021, 3, 1), Status.PASSED),
    ],
)
def test_engagement_before_end_of_2021(puy_de_dome, day, expected):
    v = evaluate(puy_de_dome, commune(), Project(cost=D(8000), engaged_on=day))
    assert status(v, "ENGAGEMENT") is expected
    assert v.eligible is (expected is Status.PASSED)


# --- FLAT-RATE and FULL-RATE ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "flat"),
    [(1, 5000), (4999, 5000), (5000, 10000), (5001, 10000), (147_865, 10000)],
)
def test_commune_flat_amount_threshold(puy_de_dome, population, flat):
    v = evaluate(puy_de_dome, commune(population=population), Project(cost=D(100_000)))
    assert v.flat_amount == D(flat)
    assert v.amount == D(flat)


@pytest.mark.parametrize(
    "kind",
    [ApplicantKind.EPCI, ApplicantKind.METROPOLE, ApplicantKind.DEPARTEMENT, ApplicantKind.REGION],
)
def test_other_collectivities_get_20000(puy_de_dome, kind):
    v = evaluate(puy_de_dome, collectivity(kind, population=2000), Project(cost=D(30_000)))
    assert v.flat_amount == D(20000)


def test_amount_is_limited_by_the_cost(puy_de_dome):
    v = evaluate(puy_de_dome, commune("Clermont-Ferrand", 147_865), Project(cost=D(8000)))
    assert v.flat_amount == D(10000)
    assert v.amount == D(8000)
    assert any("100 %" in n for n in v.notes)


def test_billom_8000_gets_5000_and_clermont_12000_gets_10000(puy_de_dome):
    assert evaluate(puy_de_dome, commune(), Project(cost=D(8000))).amount == D(5000)
    clermont = commune("Clermont-Ferrand", 147_865, code="63113")
    assert evaluate(puy_de_dome, clermont, Project(cost=D(12000))).amount == D(10000)


def test_unknown_population_leaves_commune_flat_amount_not_evaluated(puy_de_dome):
    v = evaluate(puy_de_dome, commune(population=None), Project(cost=D(8000)))
    assert status(v, "FLAT-RATE") is Status.NOT_EVALUATED
    assert v.flat_amount == 0


def test_flat_rate_message_names_population_and_vintage(puy_de_dome):
    msg = evaluate(puy_de_dome, commune(), Project(cost=D(8000))).check("FLAT-RATE").message
    assert "4\u00a0777 habitants" in msg
    assert "2021" in msg


# --- The Haut-Rhin variant: same code, other data ---------------------------------------------


def test_haut_rhin_refuses_departement_and_large_epci(haut_rhin):
    dept = collectivity(ApplicantKind.DEPARTEMENT, departements=("68",))
    assert status(evaluate(haut_rhin, dept, Project()), "ELIG-KIND") is Status.FAILED
    big = collectivity(ApplicantKind.EPCI, population=100_000, departements=("68",))
    assert status(evaluate(haut_rhin, big, Project()), "ELIG-SIZE") is Status.FAILED
    small = collectivity(ApplicantKind.EPCI, population=99_999, departements=("68",))
    assert status(evaluate(haut_rhin, small, Project()), "ELIG-SIZE") is Status.PASSED


def test_haut_rhin_takes_communes_of_68_not_63(haut_rhin, puy_de_dome):
    colmar = commune("Colmar", 68_703, departement="68", code="68066")
    assert evaluate(haut_rhin, colmar, Project(cost=D(12000))).amount == D(10000)
    assert not evaluate(puy_de_dome, colmar, Project(cost=D(12000))).eligible
    assert not evaluate(haut_rhin, commune(), Project(cost=D(12000))).eligible


def test_puy_de_dome_has_no_size_check(puy_de_dome):
    assert evaluate(puy_de_dome, commune(), Project()).check("ELIG-SIZE") is None
