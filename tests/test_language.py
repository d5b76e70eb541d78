"""The language layer: every message in both languages, the choice of language at the edge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servsim.catalogue import CATALOGUE, DAILY
from servsim.language import LANGUAGES, _fields, choose_language, messages, text
from servsim.presentation import format_value
from servsim.scenario import load_scenario


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    table = messages()
    assert len(table) >= 15
    for key, entry in table.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
        assert _fields(entry["en"]) == _fields(entry["es"]), key


def test_spanish_is_not_a_copy_of_english_for_domain_terms() -> None:
    assert text("term.moments_of_truth", "es") == "momentos de verdad"
    assert text("term.servuction", "es") == "servucción"
    changed = [k for k, e in messages().items() if k.startswith("term.") and e["en"] != e["es"]]
    assert len(changed) >= 10


def test_every_metric_has_a_spanish_label() -> None:
    for metric in [*CATALOGUE.values(), *DAILY.values()]:
        assert metric.label("es").strip(), metric.key
        assert metric.label("en").strip(), metric.key


def test_unknown_message_names_the_key() -> None:
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        text("no.such.key", "es")


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"SERVSIM_LANG": "es"}, "es"),
        (None, {"SERVSIM_LANG": "es_ES.UTF-8"}, "es"),
        ("EN", {"SERVSIM_LANG": "es"}, "en"),
        ("es", {}, "es"),
        (None, {"SERVSIM_LANG": ""}, "en"),
    ],
)
def test_language_choice(explicit: str | None, environ: dict[str, str], expected: str) -> None:
    assert choose_language(explicit, environ) == expected


@given(st.text(min_size=1, max_size=8).filter(lambda v: v.strip()))
def test_a_language_servsim_does_not_speak_is_refused_plainly(value: str) -> None:
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code in LANGUAGES:
        assert choose_language(value, {}) == code
        return
    with pytest.raises(ValueError, match="--lang") as raised:
        choose_language(value, {})
    assert "en, es" in str(raised.value)


def test_money_carries_the_scenario_currency() -> None:
    scenario = load_scenario("scenarios/helpdesk.yaml")
    assert scenario.reporting.currency == "EUR"
    assert format_value(1234.5, "money", scenario.reporting.currency) == "1,234.50 EUR"
    assert format_value(1234.5, "money") == "1,234.50"
