"""Issue 13: Spanish numbers, warnings as data, and Spanish texts where English was left."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servsim.presentation import (
    format_value,
    formatter,
    localised,
    mean_cell,
    parse_number,
)

FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(FINITE)
def test_spanish_numbers_round_trip(value: float) -> None:
    """A value written the Spanish way (``1.234,50``) reads back as the English one does."""
    english = format(value, ",.2f")
    spanish = localised(english, "es")
    assert parse_number(spanish, "es") == pytest.approx(round(value, 2), abs=0.006)
    assert parse_number(spanish, "es") == parse_number(english, "en")
    integer, _, decimals = spanish.lstrip("-").partition(",")
    assert len(decimals) == 2 and "," not in integer
    assert all(len(group) == 3 for group in integer.split(".")[1:])  # thousands by points


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_money_in_spanish_is_the_english_value(value: float) -> None:
    english = format_value(value, "money", "EUR", "en").removesuffix(" EUR")
    spanish = format_value(value, "money", "EUR", "es")
    assert spanish.endswith(" EUR")
    assert parse_number(spanish.removesuffix(" EUR"), "es") == parse_number(english, "en")


def test_the_spanish_convention_on_known_values() -> None:
    assert format_value(1234.5, "money", "EUR", "es") == "1.234,50 EUR"
    assert format_value(1234.5, "money", "EUR") == "1,234.50 EUR"  # English unchanged
    assert format_value(0.844, "share", language="es") == "84,4 %"
    assert format_value(0.844, "share") == "84.4%"
    assert formatter(0.05, "share", signed=True, language="es")(0.05) == "+5,0 p. p."
    assert mean_cell(257.6, 200.0, 300.0, "seconds", language="es") == (
        "257,6 s [200,0 s .. 300,0 s]"
    )
    assert format_value(math.nan, "money", "EUR", "es") == "-"
