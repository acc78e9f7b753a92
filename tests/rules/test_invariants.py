"""Invariants of the amounts, for any applicant and cost (hypothesis)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.calls.definitions import CALLS_DIR, load_call_file
from guichet.rules.applicant import Applicant, ApplicantKind
from guichet.rules.eligibility import Project, evaluate
from tests.rules.conftest import TODAY

CALLS = [
    load_call_file(CALLS_DIR / f"{slug}.yaml", today=TODAY).rules
    for slug in ("fitn7-axe3-puy-de-dome-2021", "fitn7-axe3-haut-rhin-2021")
]

costs = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
applicants = st.builds(
    Applicant,
    kind=st.sampled_from(list(ApplicantKind)),
    code=st.just("X"),
    name=st.just("Collectivité"),
    population=st.one_of(st.none(), st.integers(min_value=0, max_value=3_000_000)),
    vintage=st.just("2021"),
    departements=st.frozensets(st.sampled_from(["63", "68", "03", "75"]), max_size=3),
    other_label=st.sampled_from([None, "association"]),
)


@settings(max_examples=300)
@given(call=st.sampled_from(CALLS), applicant=applicants, cost=costs)
def test_amount_bounds(call, applicant, cost):
    v = evaluate(call, applicant, Project(cost=cost))
    assert v.amount <= cost
    assert v.amount <= v.flat_amount
    assert v.amount >= 0
    if not v.eligible:
        assert v.amount == 0


@settings(max_examples=300)
@given(call=st.sampled_from(CALLS), applicant=applicants, a=costs, b=costs)
def test_amount_never_decreases_when_cost_grows(call, applicant, a, b):
    low, high = sorted((a, b))
    v_low = evaluate(call, applicant, Project(cost=low))
    v_high = evaluate(call, applicant, Project(cost=high))
    if v_low.eligible:
        assert v_high.amount >= v_low.amount


@given(call=st.sampled_from(CALLS), applicant=applicants, cost=costs)
def test_eligible_means_no_failed_check(call, applicant, cost):
    v = evaluate(call, applicant, Project(cost=cost))
    assert v.eligible == all(c.status.value != "failed" for c in v.checks)
    assert all(c.message for c in v.checks)
