from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.rules.grants import ModulationError, fits_envelope, modulate
from guichet.rules.money import AmountError, format_euros, parse_euros

D = Decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8000", D("8000.00")),
        ("8 000", D("8000.00")),
        ("8\u00a0000,50 €", D("8000.50")),
        ("12000.5", D("12000.50")),
        ("0,01", D("0.01")),
    ],
)
def test_parse_euros(text, value):
    assert parse_euros(text) == value


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Indiquez"),
        ("-1", "négatif"),
        ("0", "supérieur à zéro"),
        ("1,234", "deux décimales"),
        ("1.000,50", "virgule"),
        ("abc", "n'est pas un montant"),
        ("Infinity", "n'est pas un montant"),
        ("1e15", "trop élevé"),
        # More digits than Decimal's context (28) once quantized to cents: refused before.
        ("1e26", "trop élevé"),
        ("9" * 27, "trop élevé"),
        ("1e999999999", "trop élevé"),
        ("1000000000000", "trop élevé"),
        ("NaN", "n'est pas un montant"),
        ("sNaN", "n'est pas un montant"),
        ("-Infinity", "n'est pas un montant"),
        ("1e-30", "deux décimales"),
        ("0,001", "deux décimales"),
        ("-0", "négatif"),
        ("-0,00", "négatif"),
        ("١٢٠٠٠", "chiffres \\(0 à 9\\)"),  # Arabic-Indic digits, which Decimal() reads
        ("１２０００", "chiffres \\(0 à 9\\)"),  # full-width digits
        ("²", "chiffres \\(0 à 9\\)"),
        ("1_000", "n'est pas un montant"),
    ],
)
def test_parse_euros_refuses_with_a_french_message(text, words):
    with pytest.raises(AmountError, match=words):
        parse_euros(text)


def test_the_largest_amount_below_the_bound_is_accepted():
    assert parse_euros("999 999 999 999,99") == D("999999999999.99")
    assert parse_euros(D("1e-30") * 0, allow_zero=True) == D("0.00")


def test_zero_when_allowed_is_a_plain_zero_never_a_negative_one():
    zero = parse_euros("0", allow_zero=True)
    assert zero == 0 and not zero.is_signed()
    assert format_euros(zero) == "0\u00a0€"


def test_a_long_typed_text_is_quoted_shortened_in_the_message():
    with pytest.raises(AmountError) as refused:
        parse_euros("x" * 5000)
    assert len(str(refused.value)) < 80


@given(st.text(max_size=40))
def test_any_text_is_an_amount_or_an_amount_error(text):
    try:
        value = parse_euros(text, allow_zero=True)
    except AmountError:
        return
    assert D(0) <= value < D("1e12") and value == value.quantize(D("0.01"))


@pytest.mark.parametrize(
    ("amount", "text"),
    [(D(5000), "5\u00a0000\u00a0€"), (D("148500"), "148\u00a0500\u00a0€"), (D("0.5"), "0,50\u00a0€"),
     (D("1234567.89"), "1\u00a0234\u00a0567,89\u00a0€")],
)  # fmt: skip
def test_format_euros(amount, text):
    assert format_euros(amount) == text


@given(st.decimals(min_value=D("0.01"), max_value=D("999999999"), places=2))
def test_format_then_parse_round_trips(value):
    assert parse_euros(format_euros(value)) == value


def test_modulation_never_above_the_maximum_and_justified_below():
    assert modulate(D(5000), D(5000), "") == D(5000)
    assert modulate(D(5000), D(4000), "Coût réduit après mutualisation") == D(4000)
    with pytest.raises(ModulationError, match="dépasse"):
        modulate(D(5000), D("5000.01"), "raison")
    with pytest.raises(ModulationError, match="justifié"):
        modulate(D(5000), D("4999.99"), "  ")
    with pytest.raises(ModulationError, match="négatif"):
        modulate(D(5000), D(-1), "raison")


@pytest.mark.parametrize(
    ("committed", "amount", "fits"),
    [(D(143500), D(5000), True), (D(143500), D("5000.01"), False), (D(0), D(148500), True),
     (D(0), D("148500.01"), False), (D(0), D(-1), False)],
)  # fmt: skip
def test_envelope_boundary(committed, amount, fits):
    assert fits_envelope(D(148500), committed, amount) is fits
