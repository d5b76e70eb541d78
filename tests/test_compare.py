"""Paired comparisons under common random numbers, scenario variants, and warm-up by MSER-5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim
from servsim.compare import compare, paired_difference
from servsim.warmup import mser, suggest_warmup

ROOT = Path(__file__).parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


@pytest.fixture(scope="module")
def staffing_pair() -> tuple[servsim.Scenario, servsim.Scenario]:
    base = servsim.load_scenario(TEXTBOOK).with_overrides(
        {"horizon.days": 0.5, "horizon.warm_up": 0}
    )
    return base, base.with_overrides({"name": "eight_agents", "staff.front.agents.headcount": 8})


def test_paired_interval_is_narrower_than_unpaired(
    staffing_pair: tuple[servsim.Scenario, servsim.Scenario],
) -> None:
    comparison = compare(list(staffing_pair), replications=8, seed=4)
    differences = comparison.differences.set_index("metric")
    for metric in ("wait_mean[agents]", "service_level", "occupancy[agents]"):
        row = differences.loc[metric]
        assert row["half_width"] < row["unpaired_half_width"], metric
        assert row["significant"], metric
    # more agents: shorter waits, a higher service level, lower occupancy
    assert differences.loc["wait_mean[agents]", "ci_high"] < 0
    assert differences.loc["service_level", "ci_low"] > 0
    assert comparison.names == ("mmc_textbook", "eight_agents")
    wide = comparison.wide(["service_level"])
    assert list(wide.columns) == ["mmc_textbook", "eight_agents"]


def test_paired_difference_of_identical_runs_is_zero_and_not_significant() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    result = paired_difference(values, values.copy())
    assert result["difference"] == 0 and not result["significant"] and result["exact"]
    # the same shift in every replication is exact: no noise, so no test and no significance
    shifted = paired_difference(values, values + 0.5)
    assert shifted["difference"] == pytest.approx(0.5) and shifted["exact"]
    assert not shifted["significant"]
    noisy = paired_difference(values, values + np.array([0.4, 0.6, 0.5, 0.55]))
    assert noisy["difference"] == pytest.approx(0.5125) and noisy["significant"]
    assert not noisy["exact"]


def test_variants_in_one_file_compare_against_the_base(tmp_path: Path) -> None:
    text = TEXTBOOK.read_text(encoding="utf-8").replace(
        "horizon: {days: 3, warm_up: 2h}", "horizon: {days: 0.5, warm_up: 0}"
    )
    text += (
        "variants:\n"
        "  plus_one: {staff.front.agents.headcount: 8}\n"
        "  minus_one: {staff.front.agents.headcount: 6}\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = servsim.load_scenario(path)
    variants = scenario.variant_scenarios()
    assert [v.name for v in variants] == [
        "mmc_textbook",
        "mmc_textbook.plus_one",
        "mmc_textbook.minus_one",
    ]
    assert [v.pool("agents").headcount for v in variants] == [7, 8, 6]
    comparison = compare(variants, replications=3, seed=1)
    waits = comparison.differences.set_index(["scenario", "metric"])["difference"]
    assert waits[("mmc_textbook.plus_one", "wait_mean[agents]")] < 0
    assert waits[("mmc_textbook.minus_one", "wait_mean[agents]")] > 0


def test_a_bad_variant_is_a_located_error(tmp_path: Path) -> None:
    text = (
        TEXTBOOK.read_text(encoding="utf-8")
        + "variants:\n  broken: {staff.front.agents.headcount: -2}\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(servsim.ScenarioError, match=r"variants\.broken"):
        servsim.load_scenario(path)


def test_mser_finds_an_initial_transient() -> None:
    rng = np.random.default_rng(7)
    transient = np.concatenate([np.linspace(30, 0, 300), np.zeros(3000)]) + rng.normal(0, 1, 3300)
    deleted = mser(transient)
    assert 200 <= deleted <= 400 and deleted % 5 == 0
    assert mser(rng.normal(0, 1, 3000)) < 300  # a stationary series needs little or none


def test_a_daily_service_needs_no_warm_up() -> None:
    """The branch closes every night: each day starts empty, so nothing is cut (issue 9)."""
    scenario = servsim.load_scenario(ROOT / "scenarios" / "bank_account_medium.yaml")
    suggestion = suggest_warmup(scenario.with_overrides({"horizon.days": 4}), replications=2)
    assert suggestion.empties_daily and suggestion.warm_up == 0.0
    assert suggestion.customers_observed > 100
    assert "no warm-up needed" in suggestion.describe()


def test_a_positive_difference_keeps_its_interval_below_zero_when_noise_says_so() -> None:
    """Differences are signed: an interval is never cut at 0 just because each pair rose."""
    reference = np.array([10.0, 10.0, 10.0, 10.0])
    other = reference + np.array([0.1, 3.0, 0.2, 0.1])  # every pair rose, one by a lot
    diff = paired_difference(reference, other)
    assert diff["ci_low"] < 0 < diff["ci_high"]  # too noisy to call: the CI says so
    assert diff["ci_low"] == pytest.approx(diff["difference"] - diff["half_width"])
    assert not diff["significant"]


def test_share_intervals_stay_within_their_range() -> None:
    from servsim.statistics import confidence_interval, metric_interval

    near_one = np.array([0.99, 0.90, 1.0, 0.97])
    plain = confidence_interval(near_one)
    assert plain["ci_high"] > 1.0  # the symmetric t interval spills over
    share = metric_interval(near_one, "service_level")
    assert share["ci_high"] == 1.0 and share["ci_low"] == plain["ci_low"]
    nps = metric_interval(np.array([-0.99, -0.9, -1.0, -0.97]), "nps")
    assert nps["ci_low"] == -1.0 and nps["ci_high"] == pytest.approx(
        nps["mean"] + nps["half_width"]
    )
    time = metric_interval(np.array([10.0, 1.0, 2.0]), "first_response_time")
    assert time["ci_low"] == 0.0 and time["ci_high"] > 10.0  # a time is cut at 0, not at 1


def test_saved_differences_mark_a_deterministic_difference_exact_not_significant(
    staffing_pair: tuple[servsim.Scenario, servsim.Scenario], tmp_path: Path
) -> None:
    """Staff cost under fixed staffing differs by the same amount in every replication: the
    saved table says ``exact`` and not ``significant``; a real random difference (occupancy)
    stays significant and is not exact. An older folder without the column still reads exact.
    """
    import pandas as pd

    from servsim import results
    from servsim.folder_report import difference_rows

    base, eight = (
        s.with_overrides({"staff.front.agents.cost_per_hour": 20}) for s in staffing_pair
    )
    comparison = compare([base, eight], replications=3, seed=4)
    folder = results.write_comparison(comparison, [base, eight], "cost", root=tmp_path)
    saved = pd.read_csv(folder / "differences.csv").set_index("metric")
    cost = saved.loc["staff_cost"]
    assert cost["difference"] == pytest.approx(20 * 12)  # one more agent for 12 hours
    assert bool(cost["exact"]) and not bool(cost["significant"])
    occupancy = saved.loc["occupancy[agents]"]  # 8 agents share the same work: less busy
    assert not bool(occupancy["exact"]) and bool(occupancy["significant"])
    assert occupancy["ci_low"] < occupancy["ci_high"] < 0

    for name in ("differences.csv", "differences.parquet"):  # as a folder written before
        path = folder / name
        if path.suffix == ".csv":
            pd.read_csv(path).drop(columns="exact").to_csv(path, index=False)
        else:
            pd.read_parquet(path).drop(columns="exact").to_parquet(path, index=False)
    old = results.load_comparison(folder)
    assert "exact" not in old.differences.columns
    rows = {r.metric: r.row.verdict for r in difference_rows(old, "eight_agents")}
    assert rows["staff_cost"] == "exact"


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)), min_size=2, max_size=6
    )
)
def test_a_difference_of_shares_never_claims_more_than_100_points(
    pairs: list[tuple[float, float]],
) -> None:
    """Two shares differ by at most 1, whatever a few wild replications do to the t interval
    (goal met in 1 replication of 3 gave -110 .. +177 points); a count is not cut."""
    reference, other = (np.array(side) for side in zip(*pairs, strict=True))
    result = paired_difference(reference, other, valid=(0.0, 1.0))
    assert -1.0 <= result["ci_low"] <= result["difference"] <= result["ci_high"] <= 1.0
    unbounded = paired_difference(reference * 50, other * 50, valid=(0.0, np.inf))
    spread = np.std((other - reference) * 50, ddof=1)
    if spread > 0:  # a real interval, symmetric about the mean
        mean = unbounded["difference"]
        assert unbounded["ci_high"] - mean == pytest.approx(mean - unbounded["ci_low"])


def test_compare_cuts_the_difference_of_a_share_to_its_range() -> None:
    scenario = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_textbook.yaml")
    fewer = scenario.with_overrides({"name": "fewer", "staff.front.agents.headcount": 6})
    table = compare([scenario, fewer], replications=3, seed=11).differences.set_index("metric")
    for metric in ("goal_met", "service_level_offered", "abandoned_share"):
        row = table.loc[metric]
        assert -1.0 <= row["ci_low"] <= row["difference"] <= row["ci_high"] <= 1.0, metric
