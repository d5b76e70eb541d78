"""The simulator against queueing theory: Erlang C, Erlang A (MODEL.md section 8).

Each check asks that the theoretical value lie inside the run's confidence interval over
replications (Student t), the statement a user reads off ``servsim run``. The file makes about
twenty such checks, so each uses a Bonferroni-corrected level (1 - 0.05/20 = 99.75%): together
they hold at 95%, instead of one check in twenty failing by chance whatever the seed. Each
interval must also be narrow (under 25% of the value), so the checks have power.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import servsim
from servsim import theory
from servsim.experiment import SimulationResult
from servsim.statistics import confidence_interval

VALIDATION = Path(__file__).parents[1] / "scenarios" / "validation"


def run(name: str, **overrides: object) -> SimulationResult:
    scenario = servsim.load_scenario(VALIDATION / f"{name}.yaml")
    if overrides:
        scenario = scenario.with_overrides(overrides)
    return servsim.simulate(scenario)


CHECKS = 20
CONFIDENCE = 1 - 0.05 / CHECKS


def assert_in_ci(result: SimulationResult, metric: str, expected: float) -> None:
    row = confidence_interval(result.replications[metric].to_numpy(), CONFIDENCE)
    assert row["ci_low"] <= expected <= row["ci_high"], (
        f"{metric}: theory {expected:.4f} outside the {CONFIDENCE:.2%} CI "
        f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}] (mean {row['mean']:.4f})"
    )
    # a CI wide enough to contain anything would make the check empty
    assert row["half_width"] < 0.25 * max(abs(expected), 0.05)


def erlang_c_for(result: SimulationResult) -> theory.ErlangC:
    scenario = result.scenario
    assert scenario.arrivals.per_hour is not None
    pool = scenario.staff.front[0]
    assert pool.headcount is not None
    mean_service = scenario.service_cycle[0].service_time.mean  # type: ignore[union-attr]
    return theory.erlang_c(scenario.arrivals.per_hour / 3600, mean_service, pool.headcount)


@pytest.fixture(scope="module", params=["mmc_light", "mmc_textbook", "mmc_heavy"])
def mmc(request: pytest.FixtureRequest) -> SimulationResult:
    return run(request.param)


def test_erlang_c_mean_wait(mmc: SimulationResult) -> None:
    assert_in_ci(mmc, "wait_mean[agents]", erlang_c_for(mmc).mean_wait)


def test_erlang_c_probability_of_wait(mmc: SimulationResult) -> None:
    assert_in_ci(mmc, "wait_probability[agents]", erlang_c_for(mmc).wait_probability)


def test_erlang_c_service_level(mmc: SimulationResult) -> None:
    target = mmc.scenario.service_level.target
    assert_in_ci(mmc, "service_level", erlang_c_for(mmc).service_level(target))


def test_erlang_c_occupancy_and_queue_length(mmc: SimulationResult) -> None:
    expected = erlang_c_for(mmc)
    assert_in_ci(mmc, "occupancy[agents]", expected.occupancy)
    assert_in_ci(mmc, "queue_length[agents]", expected.mean_queue_length)


def test_heavy_point_has_many_servers() -> None:
    scenario = servsim.load_scenario(VALIDATION / "mmc_heavy.yaml")
    assert scenario.staff.front[0].headcount is not None
    assert scenario.staff.front[0].headcount >= 50


def test_textbook_point_with_eight_agents() -> None:
    result = run("mmc_textbook", **{"staff.front.agents.headcount": 8})
    expected = erlang_c_for(result)
    assert expected.service_level(20) == pytest.approx(0.880, abs=0.002)
    assert_in_ci(result, "service_level", expected.service_level(20))


def erlang_a_for(result: SimulationResult) -> theory.ErlangA:
    scenario = result.scenario
    assert scenario.arrivals.per_hour is not None
    pool = scenario.staff.front[0]
    assert pool.headcount is not None
    patience = scenario.segments[0].patience
    assert patience is not None
    return theory.erlang_a(
        scenario.arrivals.per_hour / 3600,
        scenario.service_cycle[0].service_time.mean,  # type: ignore[union-attr]
        pool.headcount,
        patience.mean,  # type: ignore[union-attr]
    )


@pytest.fixture(scope="module", params=["mmcm_moderate", "mmcm_overloaded"])
def mmcm(request: pytest.FixtureRequest) -> SimulationResult:
    return run(request.param)


def test_erlang_a_abandonment(mmcm: SimulationResult) -> None:
    assert_in_ci(mmcm, "abandonment", erlang_a_for(mmcm).abandon_probability)


def test_erlang_a_mean_wait(mmcm: SimulationResult) -> None:
    assert_in_ci(mmcm, "wait_mean[agents]", erlang_a_for(mmcm).mean_wait)


def test_erlang_a_service_level(mmcm: SimulationResult) -> None:
    target = mmcm.scenario.service_level.target
    assert_in_ci(mmcm, "service_level", erlang_a_for(mmcm).service_level(target))


def test_abandonment_equals_theta_times_mean_wait(mmcm: SimulationResult) -> None:
    """P(abandon) = θ·E[wait] holds for exponential patience in the simulation too."""
    patience = mmcm.scenario.segments[0].patience
    assert patience is not None
    per_rep = mmcm.replications
    gap = per_rep["abandonment"] - per_rep["wait_mean[agents]"] / patience.mean  # type: ignore[union-attr]
    interval = confidence_interval(gap.to_numpy())
    assert interval["ci_low"] <= 0.0 <= interval["ci_high"]
    assert interval["half_width"] < 0.01


def test_overloaded_system_with_abandonment_is_stable() -> None:
    """150% load: the queue does not grow without bound, no overload warning, few left inside."""
    result = run("mmcm_overloaded")
    assert not result.warnings
    arrivals = result.replications["arrivals"].to_numpy()
    inside = result.replications["in_system_at_end"].to_numpy()
    assert np.all(inside < 0.01 * arrivals)
