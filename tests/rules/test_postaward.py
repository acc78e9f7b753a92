"""After the decision, in the rules core: rule ENGAGEMENT's deadline in Paris time, the advance,
the instalments' ceiling and the balance capped by the actual cost (décret 2018-514 art. 12, rule
FLAT-RATE), the reminders' days, and the call definition's ``post_award`` block."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.rules import postaward as r
from guichet.rules.parameters import DefinitionError, _post_award
from guichet.rules.postaward import GrantMoney, PaymentKind, PostAwardRules

PARIS = ZoneInfo("Europe/Paris")
DEADLINE = dt.date(2021, 12, 31)
E = Decimal
RULES = PostAwardRules()


# --- rule ENGAGEMENT -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed", "in_time"),
    [
        (dt.datetime(2021, 12, 31, 23, 59, 59, tzinfo=PARIS), True),
        (dt.datetime(2022, 1, 1, 0, 0, tzinfo=PARIS), False),
        # The same two moments in UTC: 22:59 UTC is 23:59 in Paris (winter time, UTC+1).
        (dt.datetime(2021, 12, 31, 22, 59, tzinfo=dt.UTC), True),
        (dt.datetime(2021, 12, 31, 23, 0, tzinfo=dt.UTC), False),
        (dt.date(2021, 12, 31), True),
        (dt.date(2022, 1, 1), False),
    ],
)
def test_the_engagement_deadline_is_the_end_of_31_december_in_paris(signed, in_time):
    assert r.engaged_in_time(DEADLINE, signed, "Europe/Paris") is in_time


def test_a_naive_signature_moment_is_refused():
    with pytest.raises(ValueError, match="naive"):
        r.engaged_in_time(DEADLINE, dt.datetime(2021, 12, 31, 23, 59), "Europe/Paris")


def test_engagement_problems_say_why_in_french():
    today = dt.date(2022, 3, 1)
    assert r.engagement_problem(DEADLINE, dt.date(2021, 12, 31), "Europe/Paris", today) is None
    late = r.engagement_problem(DEADLINE, dt.date(2022, 1, 1), "Europe/Paris", today)
    assert late is not None and "1er janvier 2022" in late and "31 décembre 2021" in late
    future = r.engagement_problem(
        DEADLINE, dt.date(2021, 10, 2), "Europe/Paris", dt.date(2021, 10, 1)
    )
    assert future == "La date de signature ne peut pas être dans le futur."


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (dt.date(2021, 10, 31), ()),  # 61 days before
        (dt.date(2021, 11, 1), (60,)),  # 60 days before
        (dt.date(2021, 12, 1), (60, 30)),  # 30
        (dt.date(2021, 12, 23), (60, 30)),  # 8
        (dt.date(2021, 12, 24), (60, 30, 7)),  # 7
        (DEADLINE, (60, 30, 7)),
        (dt.date(2022, 1, 1), ()),  # too late for a reminder: the lapse follows
    ],
)
def test_reminders_come_due_60_30_and_7_days_before_the_deadline(today, due):
    assert r.reminders_due(DEADLINE, today, (60, 30, 7)) == due


# --- payments --------------------------------------------------------------------------------


def test_an_advance_at_exactly_30_percent_passes_and_one_cent_more_is_refused():
    money = GrantMoney(amount=E(5000))
    assert r.ceiling(RULES, PaymentKind.ADVANCE, money) == E(1500)
    assert r.request_problems(RULES, PaymentKind.ADVANCE, E("1500.00"), money) == []
    ((field, message),) = r.request_problems(RULES, PaymentKind.ADVANCE, E("1500.01"), money)
    assert field == "amount" and "30\u00a0%" in message and "1\u00a0500\u00a0€" in message


def test_the_advance_share_rounds_down_to_the_cent():
    # 30 % of 3 333,33 € is 999,999 €: 999,99 € at most, never a cent above the share.
    assert r.ceiling(RULES, PaymentKind.ADVANCE, GrantMoney(amount=E("3333.33"))) == E("999.99")


def test_one_advance_only_and_before_any_instalment():
    assert r.request_problems(RULES, PaymentKind.ADVANCE, E(100), GrantMoney(E(5000), advances=1))
    assert r.request_problems(
        RULES, PaymentKind.ADVANCE, E(100), GrantMoney(E(5000), other_requests=1)
    )
    no_advance = PostAwardRules(advance_allowed=False)
    assert no_advance.kinds() == (PaymentKind.INSTALMENT, PaymentKind.BALANCE)
    ((field, _),) = r.request_problems(no_advance, PaymentKind.ADVANCE, E(100), GrantMoney(E(5000)))
    assert field == "kind"


def test_instalments_stay_within_80_percent_and_the_expenses_justified_in_all():
    # 3 000 € already certified on 1 000 € of expenses stated earlier (an advance, then an
    # instalment): the payments never pass the expenses justified, nor 80 % of the grant.
    money = GrantMoney(amount=E(10000), engaged=E(3000), justified=E(1000))
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, money, E(9000)) == E(5000)
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, money, E(4000)) == E(2000)
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, money, E(1500)) == E(0)
    assert r.request_problems(RULES, PaymentKind.INSTALMENT, E(5000), money, E(9000)) == []
    assert r.request_problems(RULES, PaymentKind.INSTALMENT, E("5000.01"), money, E(9000))
    ((field, _),) = r.request_problems(RULES, PaymentKind.INSTALMENT, E(100), money)
    assert field == "expenses"


def test_the_same_expenses_never_justify_two_instalments():
    # Two instalments of 2 000 € on one 2 000 € invoice: the second finds nothing left.
    first = GrantMoney(amount=E(10000))
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, first, E(2000)) == E(2000)
    second = GrantMoney(amount=E(10000), engaged=E(2000), justified=E(2000))
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, second, E(0)) == E(0)
    assert r.ceiling(RULES, PaymentKind.INSTALMENT, second, E("0.01")) == E("0.01")


def test_the_balance_counts_every_request_s_expenses():
    # 4 000 € certified on 4 000 € of invoices, then a balance on 1 500 € of new ones: the
    # project cost 5 500 €, so the rest of the 5 000 € grant (1 000 €) is due.
    money = GrantMoney(amount=E(5000), engaged=E(4000), justified=E(4000))
    assert r.ceiling(RULES, PaymentKind.BALANCE, money, E(1500)) == E(1000)


def test_the_balance_waits_for_the_other_requests():
    money = GrantMoney(amount=E(5000), open_requests=1)
    ((field, message),) = r.request_problems(RULES, PaymentKind.BALANCE, E(1), money, E(10))
    assert field == "kind" and "en cours" in message


def test_a_flat_grant_is_capped_by_the_actual_cost_at_the_balance():
    money = GrantMoney(amount=E(5000), engaged=E(1500))
    # The project cost 4 200 € instead of 8 000 €: 4 200 € in all, so 2 700 € of balance.
    assert r.ceiling(RULES, PaymentKind.BALANCE, money, E(4200)) == E(2700)
    assert r.request_problems(RULES, PaymentKind.BALANCE, E(2700), money, E(4200)) == []
    ((_, message),) = r.request_problems(RULES, PaymentKind.BALANCE, E("2700.01"), money, E(4200))
    assert "2\u00a0700\u00a0€" in message
    # A project that cost more than the grant: the grant, less what was paid.
    assert r.ceiling(RULES, PaymentKind.BALANCE, money, E(9000)) == E(3500)


def test_a_balance_below_what_was_already_paid_is_none_and_says_so():
    money = GrantMoney(amount=E(5000), engaged=E(1500))
    ((_, message),) = r.request_problems(RULES, PaymentKind.BALANCE, E(1), money, E(1000))
    assert "aucun solde n’est dû" in message


def test_a_rate_based_grant_pays_its_rate_of_the_cost():
    money = GrantMoney(amount=E(40000), rate=E("0.40"))
    assert r.cost_cap(money, E(80000)) == E(32000)
    assert r.cost_cap(money, E(200000)) == E(40000)


def test_nothing_is_asked_once_the_balance_was():
    ((field, _),) = r.request_problems(
        RULES, PaymentKind.INSTALMENT, E(1), GrantMoney(E(5000), balance_asked=True), E(10)
    )
    assert field == "kind"


def test_certification_never_above_the_request_nor_the_ceiling():
    money = GrantMoney(amount=E(5000), engaged=E(4000))
    assert (
        r.certification_problem(RULES, PaymentKind.BALANCE, E(1000), E(1000), money, E(6000))
        is None
    )
    assert "demandé" in r.certification_problem(
        RULES, PaymentKind.BALANCE, E(1000), E("1000.01"), money, E(6000)
    )
    assert "1\u00a0000\u00a0€" in r.certification_problem(
        RULES, PaymentKind.BALANCE, E(2000), E("1000.01"), money, E(6000)
    )
    assert r.certification_problem(RULES, PaymentKind.BALANCE, E(1000), E(0), money, E(6000))


@given(
    amount=st.decimals(min_value=E("0.01"), max_value=E(10**9), places=2),
    engaged_share=st.decimals(min_value=E(0), max_value=E(1), places=3),
    cost=st.decimals(min_value=E(0), max_value=E(10**9), places=2),
    kind=st.sampled_from(list(PaymentKind)),
)
def test_no_ceiling_ever_lets_the_grant_be_exceeded(amount, engaged_share, cost, kind):
    engaged = (amount * engaged_share).quantize(E("0.01"))
    money = GrantMoney(amount=amount, engaged=engaged)
    top = r.ceiling(RULES, kind, money, cost)
    assert top >= 0
    assert engaged + top <= max(amount, engaged)
    if kind is PaymentKind.BALANCE:
        assert engaged + top <= max(min(amount, cost), engaged)


def test_share_and_completion_deadline():
    assert r.format_share(E("0.30")) == "30\u00a0%"
    assert r.format_share(E("0.125")) == "12,5\u00a0%"
    assert r.completion_deadline(dt.date(2021, 7, 15), 48) == dt.date(2025, 7, 15)
    assert r.completion_deadline(dt.date(2021, 8, 31), 6) == dt.date(2022, 2, 28)
    assert r.completion_deadline(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)


# --- the call definition's post_award block ---------------------------------------------------


def test_the_puy_de_dome_call_states_art_12(puy_de_dome):
    p = puy_de_dome.post_award
    assert (p.advance_allowed, p.advance_max_share, p.instalments_max_share) == (
        True, E("0.30"), E("0.80"),
    )  # fmt: skip
    assert p.reminder_days == (60, 30, 7)
    assert p.pieces[PaymentKind.BALANCE] == (
        r.PieceKind.INVOICE,
        r.PieceKind.COMPLETION_CERTIFICATE,
    )


@pytest.mark.parametrize(
    ("block", "field", "words"),
    [
        ({"advance": {"max_share": 1.5}}, "post_award.advance.max_share", "au plus 1"),
        ({"advance": {"max_share": 0.9}}, "post_award.advance", "ne peut dépasser"),
        ({"advance": {"allowed": "oui"}}, "post_award.advance.allowed", "true ou false"),
        ({"instalments_max_share": 0}, "post_award.instalments_max_share", "supérieur à zéro"),
        (
            {"instalments_max_share": "0.33333"},
            "post_award.instalments_max_share",
            "quatre décimales",
        ),
        ({"completion_months": 0}, "post_award.completion_months", ""),
        ({"reminder_days": [30, "x"]}, "post_award.reminder_days[1]", ""),
        ({"pieces": {"balance": ["facture"]}}, "post_award.pieces.balance[0]", "inconnue"),
        ({"pieces": {"deposit": []}}, "post_award.pieces.deposit", "clé inconnue"),
        ({"delay": 3}, "post_award.delay", "clé inconnue"),
    ],
)
def test_a_wrong_post_award_block_names_its_field(block, field, words):
    with pytest.raises(DefinitionError) as caught:
        _post_award(block, "post_award")
    assert caught.value.path == field
    assert words in caught.value.message


def test_the_defaults_are_art_12():
    assert _post_award({}, "post_award") == PostAwardRules()
    days = _post_award({"reminder_days": [7, 60, 30, 7]}, "post_award").reminder_days
    assert days == (60, 30, 7)
