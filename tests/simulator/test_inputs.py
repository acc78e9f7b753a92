"""The simulator's parsers at their boundaries: dates' years, moments' offsets, codes' digits."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.clock import PARIS
from guichet.simulator.inputs import (
    MAX_YEAR,
    MIN_YEAR,
    InputError,
    parse_applicant_ref,
    parse_date,
    parse_moment,
)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31",
     "1899-12-31T23:59:59+01:00", "2201-01-01T00:00:00Z", "01/01/0001"],
)  # fmt: skip
def test_a_moment_out_of_the_years_range_is_refused_at_its_field(text):
    with pytest.raises(InputError) as refused:
        parse_moment(text, "submitted_on")
    assert refused.value.field == "submitted_on"
    assert f"entre {MIN_YEAR} et {MAX_YEAR}" in refused.value.message


def test_the_years_range_is_inclusive():
    assert parse_moment(f"{MIN_YEAR}-01-01T00:00:00+14:00", "m").year == MIN_YEAR
    assert parse_moment(f"{MAX_YEAR}-12-31T23:59:59-14:00", "m").year == MAX_YEAR
    assert parse_date(f"31/12/{MAX_YEAR}", "d") == dt.date(MAX_YEAR, 12, 31)
    assert parse_date(f"{MIN_YEAR}-01-01", "d") == dt.date(MIN_YEAR, 1, 1)


@pytest.mark.parametrize("text", ["٢٠٢١-٠٦-٣٠", "٢٠٢١-٠٦-٣٠T12:00:00", "３０/０６/２０２１"])
def test_dates_in_other_digits_are_not_dates(text):
    with pytest.raises(InputError, match="n'est pas une date"):
        parse_moment(text, "submitted_on")


@pytest.mark.parametrize("text", ["commune:٦٣٠٤٠", "epci:２４６３００７０１", "region:８４"])
def test_codes_are_written_with_digits_0_to_9(text):
    with pytest.raises(InputError, match="n'est pas"):
        parse_applicant_ref(text)


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))  # fmt: skip
def test_any_iso_moment_is_a_paris_time_or_an_input_error(moment, minutes):
    text = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))).isoformat()
    try:
        parsed = parse_moment(text, "m")
    except InputError:
        return
    assert parsed.astimezone(PARIS).tzinfo is PARIS
