"""Whole numbers typed by people: digits 0 to 9 only, at the boundaries."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.rules.numbers import (
    TOO_HIGH_MESSAGE,
    WHOLE_NUMBER_MESSAGE,
    NumberError,
    is_ascii_digits,
    parse_whole_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("4777", 4777), ("4 777", 4777), ("4\u00a0777", 4777), ("1\u202f000\u202f000", 10**6),
     (" 12 ", 12), ("007", 7), ("100000000", 100_000_000)],
)  # fmt: skip
def test_whole_numbers_are_read(text, number):
    assert parse_whole_number(text, maximum=100_000_000) == number


@pytest.mark.parametrize(
    "text",
    # « ² » and « ① » pass str.isdigit() and fail int(); « ٣ » and « ３ » pass both.
    [
        "",
        " ",
        "²",
        "①",
        "٣",
        "٤٧٧٧",
        "３",
        "-3",
        "+3",
        "3,5",
        "3.5",
        "1_000",
        "douze",
        "12abc",
        "0x10",
    ],
)
def test_anything_but_digits_0_to_9_is_refused_with_one_message(text):
    with pytest.raises(NumberError, match=r"^Saisissez un nombre entier en chiffres \(0 à 9\)\.$"):
        parse_whole_number(text)


def test_the_maximum_is_inclusive():
    assert parse_whole_number("100", maximum=100) == 100
    with pytest.raises(NumberError, match=TOO_HIGH_MESSAGE):
        parse_whole_number("101", maximum=100)


def test_a_huge_number_is_too_high_without_reaching_int():
    # int() refuses more than 4 300 digits with a ValueError of its own.
    with pytest.raises(NumberError, match=TOO_HIGH_MESSAGE):
        parse_whole_number("9" * 5000)
    assert parse_whole_number("0" * 50 + "1") == 1


def test_separators_are_chosen_by_the_caller():
    assert parse_whole_number("4.777", separators=".") == 4777
    with pytest.raises(NumberError, match=re.escape(WHOLE_NUMBER_MESSAGE)):
        parse_whole_number("4.777")


def test_is_ascii_digits():
    assert is_ascii_digits("63040")
    assert not any(is_ascii_digits(t) for t in ["", "6304²", "٦٣٠٤٠", "63 040"])


@given(st.text(max_size=30))
def test_any_text_is_a_number_or_a_number_error(text):
    try:
        number = parse_whole_number(text)
    except NumberError as exc:
        assert str(exc) in (WHOLE_NUMBER_MESSAGE, TOO_HIGH_MESSAGE)
    else:
        assert number >= 0
