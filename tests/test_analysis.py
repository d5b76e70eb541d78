"""Analyses for deciders (MODEL.md section 7): archetypes, importance-performance, contact levels.

Classification and quadrants are checked exactly on hand-made inputs; then on simulated
scenarios built to have a known answer (a weak, important touchpoint; the four archetype
scenarios), with fixed seeds.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim
from servsim.analysis import (
    COMPARISON_METRICS,
    Archetype,
    archetype_scores,
    classify_archetype,
    contact_level_comparison,
    importance_performance,
    wide_comparison,
)
from servsim.cli import main
from servsim.scenario import ResolvedScenario, resolve_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"


# --------------------------------------------------------------------------- archetypes


@pytest.mark.parametrize(
    ("procedural", "personal", "name"),
    [
        (0.3, 0.3, "freezer"),
        (0.9, 0.2, "factory"),
        (0.4, 0.9, "friendly zoo"),
        (0.8, 0.8, "quality service"),
        (0.6, 0.6, "quality service"),  # the threshold itself is high
        (0.5999, 0.6, "friendly zoo"),
        (0.6, 0.5999, "factory"),
        (0.0, 0.0, "freezer"),
        (1.0, 1.0, "quality service"),
        (0.9, math.nan, "factory"),  # no staffed moment: no personal treatment
    ],
)
def test_archetype_classification(procedural: float, personal: float, name: str) -> None:
    archetype = classify_archetype(procedural, personal)
    assert archetype.name == name
    assert archetype.inconsistent == (name == "friendly zoo")
    assert archetype.procedural == procedural or math.isnan(procedural)
    assert archetype.description


def test_archetype_threshold_can_move() -> None:
    assert classify_archetype(0.7, 0.7, threshold=0.75).name == "freezer"
    assert classify_archetype(0.7, 0.7, threshold=0.7).name == "quality service"


def test_friendly_zoo_is_flagged_inconsistent() -> None:
    zoo = classify_archetype(0.3, 0.9)
    assert zoo == Archetype(0.3, 0.9, "friendly zoo", inconsistent=True)
    assert "inconsistent" in zoo.description


def test_archetype_scores() -> None:
    metrics = {
        "service_level": 0.8,
        "abandonment": 0.1,
        "first_contact_resolution": 0.7,
        "on_time_resolution": 0.6,
        "empathy_mean": 0.5,
        "assurance_mean": 0.9,
        "csat_mean": 4.0,  # not part of either score
    }
    assert archetype_scores(metrics) == pytest.approx(((0.8 + 0.9 + 0.7 + 0.6) / 4, 0.7))
    # a part that could not be measured is left out, not taken as 0
    assert archetype_scores({**metrics, "empathy_mean": math.nan})[1] == pytest.approx(0.9)
    assert math.isnan(archetype_scores({})[0])


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("freezer.yaml", "freezer"),
        ("factory.yaml", "factory"),
        ("friendly_zoo.yaml", "friendly zoo"),
        ("quality_service.yaml", "quality service"),
    ],
)
@pytest.mark.parametrize("seed", [11, 22, 33])
def test_archetype_scenarios_are_recognised(file: str, name: str, seed: int) -> None:
    scenario = servsim.load_scenario(SCENARIOS / "archetypes" / file)
    result = servsim.simulate(scenario, replications=2, seed=seed)
    archetype = result.archetype
    assert archetype.name == name
    assert archetype.inconsistent == (name == "friendly zoo")
    for score in ("procedural_score", "personal_score"):
        assert score in result.summary.index  # per replication, so with a CI
    assert archetype.procedural == pytest.approx(result.metric("procedural_score")["mean"])
    # stellar moments take excellent procedures and warm, able staff: quality service has
    # them, impersonal staff (factory, freezer) give none
    stellar = result.metric("level_share_5")["mean"]
    if name == "quality service":
        assert stellar > 0.01
    elif name in ("factory", "freezer"):
        assert stellar < 0.001
    if name in ("freezer", "friendly zoo"):  # too few agents, a back office that often fails
        assert result.metric("bitter_moments")["mean"] > 0.3


ARCHETYPE_DESIGN = (
    "name",
    "description",
    "staff.front.agents.shifts",
    "staff.front.agents.proficiency",
    "staff.front.agents.empathy",
    "staff.back.technicians.shifts",
    "staff.back.technicians.proficiency",
    "staff.back.technicians.empathy",
    "service_cycle.call.resolution",
    "service_cycle.technical_check.failure",
)
"""What makes an archetype: how many staff, how able and how warm (personal treatment), and
how reliable the procedures are (resolution at the first call, technical errors)."""


def test_the_archetype_scenarios_differ_only_in_what_makes_each_archetype() -> None:
    from servsim.compare import input_differences

    files = ["factory", "freezer", "friendly_zoo", "quality_service"]
    resolved = [
        resolve_scenario(servsim.load_scenario(SCENARIOS / "archetypes" / f"{f}.yaml"))
        for f in files
    ]
    for other in resolved[1:]:
        differing = [path for path, _, _ in input_differences(resolved[0], other)]
        outside = [p for p in differing if not p.startswith(ARCHETYPE_DESIGN)]
        assert outside == [], f"{other.name} differs from {resolved[0].name} in {outside}"


def test_friendly_zoo_shows_stellar_beside_bitter_moments() -> None:
    """The friendly zoo is inconsistent: kind moments beside bitter ones in the same cycles.

    Warm, caring agents should delight some customers (stellar moments: more empathy can
    only add them), while too few agents and a failing back office keep abandoned calls and
    failed checks (bitter moments: the procedures the zoo does not fix). Both per customer.
    Warmth delights through the delight rule (docs/model.md section 5; Johnston 1995).
    """
    scenario = servsim.load_scenario(SCENARIOS / "archetypes" / "friendly_zoo.yaml")
    result = servsim.simulate(scenario.with_overrides({"horizon.days": 4}), replications=2)
    assert result.archetype.name == "friendly zoo" and result.archetype.inconsistent
    assert result.metric("bitter_moments")["mean"] >= 0.05
    assert result.metric("stellar_moments")["mean"] >= 0.05


# --------------------------------------------------------------------------- importance-performance

FOUR: dict[str, Any] = {
    "name": "four",
    "contact_level": "high",
    "segments": [{"name": "retail"}],
    "arrivals": {"per_hour": 1},
    "staff": {"front": [{"name": "agents", "headcount": 1}]},
    "service_cycle": [
        {"name": name, "served_by": "agents", "service_time": {"mean": 60}, "importance": imp}
        for name, imp in (("a", 3.0), ("b", 3.0), ("c", 1.0), ("d", 1.0))
    ],
}


def hand_moments(v_by_touchpoint: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"customer": customer, "touchpoint": tp, "v": v, "time": float(i)}
        for i, (tp, values) in enumerate(v_by_touchpoint.items())
        for customer, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def hand_satisfaction(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"customer": range(len(values)), "satisfaction": values, "arrived": 0.0})


def test_importance_performance_quadrants_with_stated_importance() -> None:
    scenario = resolve_scenario(servsim.validate_scenario(FOUR))
    # stated importance 3, 3, 1, 1 (mean 2); performance -1, 0.5, -0.5, 1 (mean 0)
    moments = hand_moments({"a": [-1.0, -1.0], "b": [0.5, 0.5], "c": [-0.5, -0.5], "d": [1, 1]})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    by_tp = table.set_index("touchpoint")
    assert by_tp["quadrant"].to_dict() == {
        "a": "concentrate here",
        "b": "keep up the good work",
        "c": "low priority",
        "d": "possible overkill",
    }
    assert by_tp["importance"].to_dict() == {"a": 3.0, "b": 3.0, "c": 1.0, "d": 1.0}
    assert by_tp["performance"].to_dict() == {"a": -1.0, "b": 0.5, "c": -0.5, "d": 1.0}
    # concentrate here first, then importance x gap: c (1 x 0.5), d (1 x -1), b (3 x -0.5)
    assert table["touchpoint"].tolist() == ["a", "c", "d", "b"]
    assert table["priority"].tolist() == [1, 2, 3, 4]


def test_a_touchpoint_below_adequate_is_never_performing_well() -> None:
    """All four below the zone of tolerance: the better-than-average ones are not overkill."""
    scenario = resolve_scenario(servsim.validate_scenario(FOUR))
    moments = hand_moments({"a": [-2.0, -2.0], "b": [-0.5, -0.5], "c": [-1.5, -1.5], "d": [-0.2]})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    assert table.set_index("touchpoint")["quadrant"].to_dict() == {
        "a": "concentrate here",
        "b": "concentrate here",
        "c": "low priority",
        "d": "low priority",
    }
    # among the "concentrate here", the one furthest below the others comes first
    assert table["touchpoint"].tolist()[:2] == ["a", "b"]


def test_derived_importance_is_the_correlation_with_satisfaction() -> None:
    scenario = resolve_scenario(servsim.validate_scenario(FOUR))
    s = [-1.0, 0.0, 0.5, 1.0]
    moments = hand_moments(
        {
            "a": [-2.0, -1.0, 0.0, 1.0],  # moves with S (not exactly linearly)
            "b": [0.3, 0.3, 0.3, 0.3],  # never varies: no derived importance
            "c": [1.0, 0.0, -0.5, -1.0],  # exactly against S: |corr| = 1
        }
    )
    table = importance_performance(moments, hand_satisfaction(s), scenario).set_index("touchpoint")
    assert table.loc["a", "importance"] == pytest.approx(abs(np.corrcoef(s, [-2, -1, 0, 1])[0, 1]))
    assert table.loc["b", "importance"] == 0.0
    assert table.loc["c", "importance"] == pytest.approx(1.0)
    assert "d" not in table.index  # no moments there


def test_importance_performance_uses_customers_after_the_warm_up() -> None:
    written = servsim.validate_scenario({**FOUR, "horizon": {"days": 1, "warm_up": "1h"}})
    scenario = resolve_scenario(written)
    moments = hand_moments({"a": [-3.0, 1.0], "b": [0.0, 0.0]})
    satisfaction = hand_satisfaction([-1.0, 1.0]).assign(arrived=[0.0, 7200.0])
    table = importance_performance(moments, satisfaction, scenario, "stated")
    assert table.set_index("touchpoint").loc["a", "performance"] == 1.0  # customer 0 left out


WEAK: dict[str, Any] = {
    "name": "weak_counter",
    "contact_level": "high",
    "horizon": {"days": 2, "warm_up": "2h"},
    "segments": [
        {
            "name": "retail",
            "patience": {"kind": "exponential", "mean": "8min"},
            "recontact": {"probability": 0.5, "delay": {"mean": "4h", "cv": 0.5}},
        }
    ],
    "arrivals": {"per_hour": 12},
    "staff": {
        "front": [
            {"name": "hosts", "headcount": 3, "proficiency": 0.9, "empathy": 0.7},
            {"name": "clerks", "headcount": 2, "proficiency": 0.3, "empathy": 0.2},
        ]
    },
    "service_cycle": [
        {
            "name": "welcome",
            "served_by": "hosts",
            "service_time": {"mean": "1min"},
            "tangibles": 0.95,
            "importance": 1.0,
        },
        {
            "name": "counter",  # shabby, important, error-prone, understaffed
            "served_by": "clerks",
            "service_time": {"mean": "8min"},
            "tangibles": 0.2,
            "importance": 3.0,
            "failure": 0.3,
        },
        {
            "name": "farewell",
            "served_by": "hosts",
            "service_time": {"mean": "1min"},
            "tangibles": 0.95,
            "importance": 1.0,
            "resolution": 1.0,
        },
    ],
}


@pytest.fixture(scope="module")
def weak_result() -> servsim.SimulationResult:
    return servsim.simulate(servsim.validate_scenario(WEAK), replications=2, seed=12)


@pytest.mark.parametrize("importance", ["derived", "stated"])
def test_a_weak_important_touchpoint_comes_first(
    weak_result: servsim.SimulationResult, importance: str
) -> None:
    table = weak_result.importance_performance(importance)  # type: ignore[arg-type]
    first = table.iloc[0]
    assert first["touchpoint"] == "counter"
    assert first["quadrant"] == "concentrate here"
    assert first["priority"] == 1
    others = table[table["touchpoint"] != "counter"]
    assert (others["quadrant"] != "concentrate here").all()
    assert first["performance"] < others["performance"].min()
    assert first["importance"] >= others["importance"].max()
    assert table["moments"].sum() == len(
        weak_result.moments.merge(
            weak_result.satisfaction[weak_result.satisfaction["arrived"] >= 7200][
                ["replication", "customer"]
            ]
        )
    )


def test_importance_performance_rejects_an_unknown_kind(
    weak_result: servsim.SimulationResult,
) -> None:
    with pytest.raises(ValueError, match="stated"):
        weak_result.importance_performance("guessed")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- contact levels


def test_contact_level_comparison_is_tidy(weak_result: servsim.SimulationResult) -> None:
    low = servsim.simulate(
        servsim.validate_scenario(
            {**copy.deepcopy(WEAK), "name": "weak_low", "contact_level": "low"}
        ),
        replications=2,
        seed=12,
    )
    long = contact_level_comparison([weak_result, low])
    assert list(long.columns) == [
        "scenario", "contact_level", "archetype", "metric", "mean", "ci_low", "ci_high",
    ]  # fmt: skip
    assert len(long) == 2 * len(COMPARISON_METRICS)
    assert set(long["contact_level"]) == {"high", "low"}
    row = long[(long["scenario"] == "weak_counter") & (long["metric"] == "csat_mean")].iloc[0]
    assert row["mean"] == pytest.approx(weak_result.metric("csat_mean")["mean"])
    occupancy = long[(long["scenario"] == "weak_counter") & (long["metric"] == "occupancy_mean")]
    table = weak_result.replications
    busy = sum(table[f"occupancy[{p}]"] * table[f"staff_hours[{p}]"] for p in ("hosts", "clerks"))
    hours = table["staff_hours[hosts]"] + table["staff_hours[clerks]"]
    assert occupancy["mean"].iloc[0] == pytest.approx((busy / hours).mean())  # staff-weighted
    total = long[(long["scenario"] == "weak_counter") & (long["metric"] == "staff_hours_total")]
    assert total["mean"].iloc[0] == pytest.approx(hours.mean())  # the pools' hours added up
    assert (long.groupby("scenario")["archetype"].nunique() == 1).all()

    wide = wide_comparison(long)
    assert list(wide.columns) == ["weak_counter (high)", "weak_low (low)"]
    assert list(wide.index) == [*COMPARISON_METRICS, "archetype"]
    assert wide.loc["archetype", "weak_counter (high)"] == weak_result.archetype.name
    assert "[" in wide.loc["csat_mean", "weak_low (low)"]  # mean [low, high]


def test_contact_levels_command_prints_the_three(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [SCENARIOS / f"bank_account_{level}.yaml" for level in ("high", "medium", "low")]
    csv = tmp_path / "levels.csv"
    root = tmp_path / "results"
    args = ["contact-levels", *map(str, files), "-r", "2", "--csv", str(csv), "-q", "-o"]
    code = main([*args, str(root)])
    out = capsys.readouterr().out
    assert code == 0
    for level in ("high", "medium", "low"):
        assert f"bank_account_{level}: {level} contact, archetype" in out
    assert "CSAT (1-5)" in out and "cost per resolved issue" in out  # labels, not keys
    assert "csat_mean" not in out and "cost_per_resolved" not in out
    saved = pd.read_csv(csv)
    assert set(saved["scenario"]) == {f"bank_account_{x}" for x in ("high", "medium", "low")}
    assert (saved.groupby("scenario").size() == len(COMPARISON_METRICS)).all()
    # saved as a results folder, like compare: the table, each scenario, the trade-off figure
    (folder,) = (root / "contact-levels" / "bank_account_high").iterdir()
    pd.testing.assert_frame_equal(pd.read_csv(folder / "comparison.csv"), saved)
    assert {p.stem for p in (folder / "scenarios").iterdir()} == set(saved["scenario"])
    staffing = pd.read_csv(folder / "staffing.csv")
    assert set(staffing["scenario"]) == set(saved["scenario"])
    from matplotlib.image import imread

    image = imread(folder / "tradeoff.png")
    assert image.shape[0] > 300 and image.shape[1] > 400
    assert image[..., :3].std() > 0.05  # not blank: points, bars and labels drawn
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "contact_levels" and manifest["status"] == "complete"


def test_contact_levels_command_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bank = str(SCENARIOS / "bank_account_high.yaml")
    assert main(["contact-levels", bank, "-r", "0"]) == 2
    assert main(["contact-levels", bank, str(tmp_path / "missing.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def _scenario_with_importance(importances: dict[str, float]) -> ResolvedScenario:
    cycle = [
        {"name": name, "served_by": "agents", "service_time": {"mean": 60}, "importance": imp}
        for name, imp in importances.items()
    ]
    return resolve_scenario(servsim.validate_scenario({**FOUR, "service_cycle": cycle}))


def test_the_worst_of_the_important_moments_is_never_low_priority() -> None:
    """Split at the data's means, c (importance 2.2 < mean 2.73) would be 'low priority'."""
    scenario = _scenario_with_importance({"a": 3.0, "b": 3.0, "c": 2.2})
    moments = hand_moments({"a": [0.4, 0.4], "b": [0.2, 0.2], "c": [-0.95, -0.95]})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    by_tp = table.set_index("touchpoint")
    assert by_tp.loc["c", "quadrant"] == "concentrate here"
    assert table["touchpoint"].iloc[0] == "c"  # where to act first
    assert by_tp.loc["c", "relative_importance"] == pytest.approx(2.2 / 3.0)
    assert by_tp.loc["c", "gap"] == pytest.approx(0.95)  # the shortfall below adequate


def test_two_adequate_moments_leave_nothing_to_concentrate_on() -> None:
    """Split at the means, the weaker of two good moments was pushed into 'concentrate here'."""
    scenario = _scenario_with_importance({"a": 3.0, "b": 2.0})
    moments = hand_moments({"a": [0.6, 0.6], "b": [0.1, 0.1]})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    assert set(table["quadrant"]) == {"keep up the good work"}
    # ... and a moment half as important as the most important one or less is 'less important'
    scenario = _scenario_with_importance({"a": 3.0, "b": 1.4})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    assert table.set_index("touchpoint")["quadrant"].to_dict() == {
        "a": "keep up the good work",
        "b": "possible overkill",
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 5.0), st.floats(-3.0, 1.5)), min_size=1, max_size=4))
def test_quadrants_follow_fixed_points_whatever_the_other_moments(
    points: list[tuple[float, float]],
) -> None:
    names = ["a", "b", "c", "d"][: len(points)]
    scenario = _scenario_with_importance(
        {n: imp for n, (imp, _) in zip(names, points, strict=True)}
    )
    moments = hand_moments({n: [v, v] for n, (_, v) in zip(names, points, strict=True)})
    table = importance_performance(moments, hand_satisfaction([0.0, 0.1]), scenario, "stated")
    largest = max(imp for imp, _ in points)
    for row in table.itertuples(index=False):
        imp, v = dict(zip(names, points, strict=True))[str(row.touchpoint)]
        important = imp >= 0.5 * largest
        expected = {
            (True, False): "concentrate here",
            (True, True): "keep up the good work",
            (False, False): "low priority",
            (False, True): "possible overkill",
        }[(important, v >= 0)]
        assert row.quadrant == expected
    # the most important moment, when below adequate, is always concentrated on
    top = max(zip(names, points, strict=True), key=lambda item: item[1][0])
    if top[1][1] < 0:
        assert table.set_index("touchpoint").loc[top[0], "quadrant"] == "concentrate here"
