"""What an arrêté attributif states about money: art. 12's ceilings, the funding rate, and
whether rule FULL-RATE applies."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.rules.grants import full_rate_applies, funding_rate, payment_terms

D = Decimal


def test_art_12_ceilings_of_a_flat_grant():
    terms = payment_terms(D("5000"))
    assert (terms.advance_max, terms.instalments_max) == (D("1500.00"), D("4000.00"))


def test_ceilings_round_down_to_the_cent():
    terms = payment_terms(D("4999.99"))
    # 30 % is 1 499,997 € and 80 % is 3 999,992 €: never above the share.
    assert (terms.advance_max, terms.instalments_max) == (D("1499.99"), D("3999.99"))


@given(st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2))
def test_ceilings_never_exceed_their_share(amount):
    terms = payment_terms(amount)
    assert terms.advance_max <= amount * D("0.3") < terms.advance_max + D("0.01")
    assert terms.instalments_max <= amount * D("0.8") < terms.instalments_max + D("0.01")


def test_a_grant_is_positive():
    with pytest.raises(ValueError):
        payment_terms(D(0))


def test_funding_rate():
    assert funding_rate(D("5000"), D("8000")) == D("62.5")
    assert funding_rate(D("5000"), D("5000")) == D("100.0")
    assert funding_rate(D("10000"), D("30000")) == D("33.3")


def test_full_rate_below_the_call_s_population_only(puy_de_dome):
    assert puy_de_dome.full_rate_population_below == 5000
    assert full_rate_applies(puy_de_dome, 4999)
    assert not full_rate_applies(puy_de_dome, 5000)
    assert not full_rate_applies(puy_de_dome, None)


def test_no_full_rate_without_its_rule(puy_de_dome):
    rules = {k: v for k, v in puy_de_dome.rules.items() if k != "FULL-RATE"}
    assert not full_rate_applies(replace(puy_de_dome, rules=rules), 100)
    assert not full_rate_applies(replace(puy_de_dome, full_rate_population_below=None), 100)
