"""A comparison names every input that differs besides the compared one (docs/model.md §8.11)."""

from __future__ import annotations

import math
from pathlib import Path

import servsim
from servsim.compare import input_differences
from servsim.scenario import resolve_scenario
from servsim.scenario.paths import differing_paths

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


def _short() -> servsim.Scenario:
    return servsim.load_scenario(TEXTBOOK).with_overrides({"horizon.days": 0.5})


def test_differing_paths_matches_named_items_by_name() -> None:
    a = {"staff": {"front": [{"name": "x", "n": 1}, {"name": "y", "n": 2}]}, "k": [1, 2]}
    b = {"staff": {"front": [{"name": "y", "n": 3}, {"name": "x", "n": 1}]}, "k": [1, 5]}
    assert differing_paths(a, b) == [("staff.front.y.n", 2, 3), ("k[1]", 2, 5)]
    assert differing_paths(a, a) == []
    assert differing_paths({"a": 1}, {"b": 1}) == [("a", 1, None), ("b", None, 1)]


def test_only_the_changed_input_is_named() -> None:
    base = _short()
    more = base.with_overrides({"staff.front.agents.headcount": 8, "name": "eight"})
    found = input_differences(resolve_scenario(base), resolve_scenario(more))
    assert found == [("staff.front.agents.headcount", 7, 8)]


def test_a_hidden_difference_is_named_and_different_targets_are_not_compared() -> None:
    base = _short()
    other = base.with_overrides(
        {"staff.front.agents.headcount": 8, "service_level.target": 60, "horizon.days": 0.25}
    )
    comparison = servsim.compare([base, other], replications=3, seed=2)
    paths = [path for path, _, _ in comparison.inputs[comparison.names[1]]]
    assert "service_level.target" in paths and "horizon.days" in paths
    rows = comparison.differences.set_index("metric")
    assert math.isnan(rows.loc["service_level", "difference"])
    assert not rows.loc["service_level", "significant"]
    assert "targets differ" in rows.loc["service_level", "note"]
    assert not math.isnan(rows.loc["average_response_time", "difference"])  # others compared
