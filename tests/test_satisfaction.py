"""Simulated satisfaction (MODEL.md section 5): pure functions, moments, customers, metrics.

The shape of the model is checked on the pure functions over grids (monotone in the wait,
flatter inside the zone of tolerance, loss aversion, peak-end), then again through
``moment_table`` on records built by hand, where every performance has an exact expected
value. Simulation tests check directions of change under common random numbers (fewer staff,
more load) and reproducibility; they use a fixed seed, so their outcome is deterministic.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.cli import main
from servsim.records import CustomerRecord, Recorder, RecordTables, StaffingRecord, VisitRecord
from servsim.replication import run_replication
from servsim.satisfaction import (
    MOMENT_COLUMNS,
    SATISFACTION_COLUMNS,
    customer_satisfaction,
    cycle_satisfaction,
    delighted,
    disconfirmation,
    moment_level,
    moment_table,
    moment_utility,
    satisfaction_metrics,
    wait_disconfirmation,
)
from servsim.satisfaction_schema import DIMENSIONS, CycleWeights, Delight
from servsim.scenario import ResolvedScenario, resolve_scenario
from servsim.streams import RandomStreams

HOUR = 3600.0
DAY = 86_400.0
ALPHA, LAMBDA, KAPPA = 0.88, 2.25, 0.3

BASE: dict[str, Any] = {
    "name": "desk",
    "contact_level": "high",
    "horizon": {"days": 3},
    "segments": [{"name": "retail", "recontact": {"probability": 0}}],
    "arrivals": {"per_hour": 10},
    "staff": {"front": [{"name": "agents", "headcount": 2, "proficiency": 0.8, "empathy": 0.5}]},
    "service_cycle": [
        {"name": "kiosk", "service_time": {"kind": "deterministic", "value": 60}},
        {
            "name": "desk",
            "served_by": "agents",
            "service_time": {"kind": "exponential", "mean": "4min"},
            "tangibles": 0.6,
            "importance": 2.0,
        },
        {
            "name": "callback",
            "served_by": "agents",
            "service_time": {"kind": "exponential", "mean": "2min"},
            "informed_wait": True,
        },
    ],
}


def make(**changes: Any) -> ResolvedScenario:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return resolve_scenario(servsim.validate_scenario(data))


def visit(
    customer: int,
    queued: float,
    started: float,
    ended: float,
    outcome: str = "next",
    *,
    contact: int = 0,
    touchpoint: str = "desk",
    step: int = 1,
    pool: str = "agents",
    present: bool = True,
    moment: bool = True,
) -> VisitRecord:
    return VisitRecord(
        customer, contact, touchpoint, step, pool, present, moment, pool != "", queued,
        started, ended, outcome,
    )  # fmt: skip


def records(
    visits: list[VisitRecord],
    staffing: list[StaffingRecord] | None = None,
    customers: list[CustomerRecord] | None = None,
) -> RecordTables:
    """Tables from hand-made records; by default 2 agents at proficiency 0.8 from t = 0."""
    recorder = Recorder()
    recorder.visits.extend(visits)
    recorder.staffing.extend(staffing or [StaffingRecord("agents", 0.0, 2, 0, 0.8)])
    if customers is None:
        ids = sorted({v.customer for v in visits})
        customers = [
            CustomerRecord(
                c,
                "retail",
                "general",
                min(v.queued for v in visits if v.customer == c),
                max(v.ended for v in visits if v.customer == c),
                "resolved",
                1,
            )
            for c in ids
        ]
    recorder.customers.extend(customers)
    return recorder.tables()


# --------------------------------------------------------------------------- pure functions

WAITS = np.linspace(0.0, 3000.0, 301)


@pytest.mark.parametrize("factor", [1.0, 1.36, 0.8])
@pytest.mark.parametrize(("adequate", "desired"), [(300.0, 30.0), (120.0, 0.0), (900.0, 600.0)])
def test_a_longer_wait_never_raises_satisfaction(
    factor: float, adequate: float, desired: float
) -> None:
    x = wait_disconfirmation(WAITS, adequate, desired, factor)
    v = moment_utility(x)
    assert np.all(np.diff(x) < 0)  # strictly: every second of wait is noticed by x
    assert np.all(np.diff(v) <= 0)
    # and strictly once outside the zone, where utility moves
    assert v[-1] < v[0]
    # the zone's edges: x = 0 at the adequate wait, 1 at the desired wait
    assert wait_disconfirmation(adequate / factor, adequate, desired, factor) == pytest.approx(0)
    assert wait_disconfirmation(desired / factor, adequate, desired, factor) == pytest.approx(1)


def test_disconfirmation_is_zero_at_adequate_and_one_at_desired() -> None:
    assert disconfirmation(0.5, 0.5, 0.9) == pytest.approx(0.0)
    assert disconfirmation(0.9, 0.5, 0.9) == pytest.approx(1.0)
    assert disconfirmation(0.3, 0.5, 0.9) == pytest.approx(-0.5)
    assert isinstance(disconfirmation(0.7, 0.5, 0.9), float)
    array = disconfirmation(np.array([0.5, np.nan]), np.array([0.5, 0.5]), 0.9)
    assert array[0] == 0 and math.isnan(array[1])


def test_moment_utility_pieces() -> None:
    assert moment_utility(0.0) == 0.0
    assert moment_utility(0.5) == pytest.approx(KAPPA * 0.5)
    assert moment_utility(1.0) == pytest.approx(KAPPA)
    assert moment_utility(-1.0) == pytest.approx(-LAMBDA)
    assert moment_utility(-0.5) == pytest.approx(-LAMBDA * 0.5**ALPHA)
    assert moment_utility(2.0) == pytest.approx(KAPPA + 1.0)
    assert moment_utility(3.0) == pytest.approx(KAPPA + 2.0**ALPHA)
    assert math.isnan(moment_utility(math.nan))
    grid = np.linspace(-3, 4, 701)
    assert np.all(np.diff(moment_utility(grid)) > 0)  # increasing and continuous
    assert np.max(np.abs(np.diff(moment_utility(grid)))) < 0.2


def test_utility_is_flatter_inside_the_zone_of_tolerance() -> None:
    h = 1e-4
    inside = np.linspace(0.02, 0.98, 49)
    below = np.linspace(-3.0, -0.02, 149)
    above = np.linspace(1.02, 4.0, 149)

    def slope(x: np.ndarray) -> np.ndarray:
        return np.abs(moment_utility(x + h) - moment_utility(x - h)) / (2 * h)

    assert slope(inside) == pytest.approx(np.full(inside.size, KAPPA))
    assert slope(below).min() > slope(inside).max()
    assert slope(above).min() > slope(inside).max()


@pytest.mark.parametrize("d", [0.01, 0.1, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0])
def test_a_shortfall_hurts_more_than_an_equal_surplus_helps(d: float) -> None:
    # around the zone as a whole ...
    assert abs(moment_utility(-d)) > abs(moment_utility(d))
    # ... and at each of its edges: d below adequate against d above desired
    loss_below_adequate = moment_utility(0.0) - moment_utility(-d)
    gain_above_desired = moment_utility(1.0 + d) - moment_utility(1.0)
    assert loss_below_adequate == pytest.approx(LAMBDA * gain_above_desired)
    assert loss_below_adequate > gain_above_desired


@pytest.mark.parametrize(
    ("x", "level"),
    [(-0.6, 1), (-0.5, 2), (0.0, 2), (0.49, 2), (0.5, 3), (0.7, 3), (1.0, 4), (1.2, 4),
     (1.5, 5), (2.0, 5), (-5.0, 1)],
)  # fmt: skip
def test_moment_levels_by_threshold(x: float, level: int) -> None:
    assert moment_level(x) == level
    assert isinstance(moment_level(x), int)


def test_moment_levels_vectorised_and_nan_refused() -> None:
    x = np.array([-0.6, 0.0, 0.7, 1.2, 2.0])
    assert moment_level(x).tolist() == [1, 2, 3, 4, 5]
    assert moment_level(x, thresholds=[-1.0, 0.0, 1.0, 3.0]).tolist() == [2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="NaN"):
        moment_level(np.array([0.0, np.nan]))


# --------------------------------------------------------------------------- peak-end cycle


def test_a_neutral_moment_leaves_the_cycle_unchanged() -> None:
    v = [0.2, -0.5, 0.4, 0.1]
    importance = [1.0, 2.0, 1.0, 1.0]
    before = cycle_satisfaction(v, importance)
    mean = float(np.average(v, weights=importance))  # -0.06
    assert min(v) < mean < max(v)
    for position in range(1, len(v)):  # anywhere but last
        with_neutral = [*v[:position], mean, *v[position:]]
        weights = [*importance[:position], 3.0, *importance[position:]]
        assert min(with_neutral) == min(v) and max(with_neutral) == max(v)  # peak, trough
        assert with_neutral[-1] == v[-1]  # end
        assert cycle_satisfaction(with_neutral, weights) == pytest.approx(before)


def test_a_worse_last_moment_lowers_satisfaction() -> None:
    v = [0.2, -0.5, 0.4, 0.1]
    before = cycle_satisfaction(v)
    assert cycle_satisfaction([*v[:-1], 0.0]) < before  # a worse end, nothing else moved
    assert cycle_satisfaction([*v, -0.2]) < before  # a bad moment appended at the end
    # exactly the peak-end weights: the last moment weighs 0.15 plus its share of the mean
    assert before - cycle_satisfaction([*v[:-1], 0.0]) == pytest.approx(0.15 * 0.1 + 0.4 * 0.1 / 4)


def test_cycle_satisfaction_formula() -> None:
    v = np.array([0.3, -1.0, 0.5])
    weights = CycleWeights(mean=0.4, worst=0.3, best=0.15, last=0.15)
    expected = 0.4 * (-0.2 / 3) + 0.3 * -1.0 + 0.15 * 0.5 + 0.15 * 0.5
    assert cycle_satisfaction(v, None, weights) == pytest.approx(expected)
    assert cycle_satisfaction(v, [0.0, 0.0, 0.0]) == pytest.approx(expected)  # all-zero: plain
    with pytest.raises(ValueError):
        cycle_satisfaction([])


# --------------------------------------------------------------------------- moment table


def isolated_waits(waits: list[float]) -> RecordTables:
    """One customer per wait, each alone in the system (3 h apart, 5 min of service)."""
    visits = []
    for i, wait in enumerate(waits):
        queued = i * 3 * HOUR
        visits.append(visit(i, queued, queued + wait, queued + wait + 300, "resolved"))
    return records(visits)


def test_moment_table_never_rises_with_the_wait() -> None:
    scenario = make()
    waits = [0.0, 10.0, 30.0, 60.0, 120.0, 200.0, 300.0, 600.0, 1200.0, 2400.0]
    tables = isolated_waits(waits)
    moments = moment_table(tables, scenario)
    assert moments["wait"].tolist() == waits
    assert moments["perceived_wait"].to_numpy() == pytest.approx(1.36 * np.array(waits))
    # every other dimension is the same for every customer
    for column in ("p_tangibles", "p_reliability", "p_assurance", "p_empathy", "occupancy"):
        assert moments[column].nunique() == 1, column
    assert np.all(np.diff(moments["x_responsiveness"]) < 0)
    assert np.all(np.diff(moments["v"]) <= 0)
    assert moments["v"].iloc[-1] < moments["v"].iloc[0]
    answers = customer_satisfaction(moments, tables, scenario, np.random.default_rng(0))
    assert np.all(np.diff(answers["satisfaction"]) <= 0)


def test_moment_table_exact_performances() -> None:
    scenario = make()
    model = scenario.satisfaction
    tables = records(
        [
            visit(0, 0.0, 0.0, 60.0, "next", touchpoint="kiosk", step=0, pool=""),
            visit(0, 60.0, 150.0, 450.0, "next"),  # waited 90 s present: idle
            visit(0, 450.0, 510.0, 600.0, "resolved", touchpoint="callback", step=2),  # informed
            visit(1, 1000.0, 1000.0, 1100.0, "failed", contact=0),
            visit(2, 2000.0, 2000.0, 2100.0, "unresolved"),
            visit(3, 3000.0, math.nan, 3400.0, "abandoned"),
            visit(4, 4000.0, 4000.0, 4100.0, "next", contact=1),  # a repeat contact
            visit(5, 5000.0, 5000.0, 5100.0, "next", moment=False),  # invisible: left out
            visit(6, 6000.0, 6000.0, math.nan, "in_system"),  # not ended: left out
        ]
    )
    moments = moment_table(tables, scenario).set_index(["customer", "touchpoint"])
    assert set(moments.index.get_level_values("customer")) == {0, 1, 2, 3, 4}
    kiosk, desk, callback = (
        moments.loc[(0, "kiosk")],
        moments.loc[(0, "desk")],
        moments.loc[(0, "callback")],
    )
    # tangibles and importance from the touchpoint
    assert desk["p_tangibles"] == 0.6 and kiosk["p_tangibles"] == 0.7
    assert desk["importance"] == 2.0 and kiosk["importance"] == 1.0
    # perceived waits: idle x 1.36, informed x 1.0
    assert desk["perceived_wait"] == pytest.approx(90 * 1.36)
    assert callback["perceived_wait"] == pytest.approx(60.0)
    assert desk["x_responsiveness"] == pytest.approx((300 - 90 * 1.36) / 180)
    assert kiosk["x_responsiveness"] == pytest.approx(300 / 180)
    # reliability: 1, failed 0, unresolved 0.3, repeat contact 0.6
    assert desk["p_reliability"] == 1.0
    assert moments.loc[(1, "desk"), "p_reliability"] == 0.0
    assert moments.loc[(2, "desk"), "p_reliability"] == model.unresolved_reliability
    assert moments.loc[(4, "desk"), "p_reliability"] == model.repeat_reliability
    # assurance: proficiency when staffed, the self-service default otherwise
    assert desk["p_assurance"] == 0.8 and kiosk["p_assurance"] == model.self_service_assurance
    assert math.isnan(moments.loc[(3, "desk"), "p_assurance"])  # abandoned: never met staff
    # empathy: e0 + 0.3 k at low occupancy; none at self-service
    assert desk["p_empathy"] == pytest.approx(0.5 + 0.3 * 0.8)
    assert math.isnan(kiosk["p_empathy"]) and math.isnan(kiosk["x_empathy"])
    # x and v: renormalised weighted means over the dimensions that apply, each weight
    # times its channel's factor: the kiosk is self-service (interface, reliability x 1.5)
    factor = model.channel_weights["self_service"]
    assert factor == {"tangibles": 1.5, "reliability": 1.5}
    weights = {d: w * factor.get(d, 1.0) for d, w in model.dimension_weights.items()}
    dims = ["tangibles", "reliability", "responsiveness", "assurance"]  # kiosk: no empathy
    xs = {d: kiosk[f"x_{d}"] for d in dims}
    total = sum(weights[d] for d in dims)
    assert kiosk["x"] == pytest.approx(sum(weights[d] * xs[d] for d in dims) / total)
    assert kiosk["v"] == pytest.approx(
        sum(weights[d] * moment_utility(float(xs[d])) for d in dims) / total
    )
    assert kiosk["level"] == moment_level(float(kiosk["x"]))
    # the desk is face to face at high contact: the person (empathy, assurance) x 1.5
    person = model.channel_weights["face_to_face"]
    weights = {d: w * person.get(d, 1.0) for d, w in model.dimension_weights.items()}
    all_dims = [d for d in weights if not math.isnan(desk[f"x_{d}"])]
    expected = sum(weights[d] * desk[f"x_{d}"] for d in all_dims) / sum(
        weights[d] for d in all_dims
    )
    assert desk["x"] == pytest.approx(expected)


def test_failures_are_bitter_whatever_the_dimensions_say() -> None:
    scenario = make()
    tables = records(
        [
            visit(0, 0.0, 0.0, 100.0, "failed"),  # no wait, good staff: still a failure
            visit(1, 1000.0, math.nan, 1030.0, "abandoned"),  # gave up after 30 s
            visit(2, 2000.0, 2000.0, 2100.0, "resolved"),
        ]
    )
    moments = moment_table(tables, scenario).set_index("customer")
    for customer in (0, 1):
        row = moments.loc[customer]
        assert row["failure"] and row["bitter"] and not row["stellar"]
        assert row["level"] == 1
        assert row["x"] == -1.0
        assert row["v"] == pytest.approx(-LAMBDA)
    assert moments.loc[1, "time"] == 1030.0 and moments.loc[1, "wait"] == 30.0
    assert not moments.loc[2, "failure"] and moments.loc[2, "level"] > 1


def test_status_inquiries_are_moments() -> None:
    scenario = make(contact_level="low", status_inquiry={"enabled": True, "served_by": "agents"})
    tables = records(
        [
            visit(0, 0.0, 0.0, 60.0, "next", touchpoint="kiosk", step=0, pool=""),
            visit(0, DAY, DAY + 120.0, DAY + 360.0, "answered", contact=1,
                  touchpoint="status_inquiry", step=-1),
        ]
    )  # fmt: skip
    moments = moment_table(tables, scenario)
    inquiry = moments[moments["touchpoint"] == "status_inquiry"].iloc[0]
    assert inquiry["step"] == -1
    assert inquiry["p_tangibles"] == 0.7 and inquiry["importance"] == 1.0  # Touchpoint defaults
    assert inquiry["p_reliability"] == scenario.satisfaction.repeat_reliability
    assert inquiry["wait"] == 120.0
    assert list(moments["touchpoint"]) == ["kiosk", "status_inquiry"]  # in the order lived


def test_assurance_is_the_proficiency_in_force_at_service_start() -> None:
    scenario = make()
    staffing = [
        StaffingRecord("agents", 0.0, 2, 0, 0.5),
        StaffingRecord("agents", 5000.0, 2, 0, 0.9),  # after training
    ]
    tables = records(
        [
            visit(0, 1000.0, 1000.0, 1100.0, "resolved"),
            visit(1, 5000.0, 5000.0, 5100.0, "resolved"),  # exactly at the change: the new one
            visit(2, 9000.0, 9000.0, 9100.0, "resolved"),
        ],
        staffing,
    )
    moments = moment_table(tables, scenario)
    assert moments["p_assurance"].tolist() == [0.5, 0.9, 0.9]
    assert moments["p_empathy"].to_numpy() == pytest.approx(0.5 + 0.3 * np.array([0.5, 0.9, 0.9]))


@pytest.mark.parametrize(
    ("busy_until", "occupancy"),
    [
        (None, 0.5),  # one of two agents busy all the window
        (3600.0 + 0.8 * HOUR, 0.9),  # the other one too, for 80% of it
        (7200.0, 1.0),  # both busy all the window
    ],
)
def test_empathy_falls_when_occupancy_exceeds_the_threshold(
    busy_until: float | None, occupancy: float
) -> None:
    scenario = make()
    model = scenario.satisfaction
    visits = [visit(0, HOUR, HOUR, 2 * HOUR, "resolved")]
    if busy_until is not None:
        visits.append(visit(1, HOUR, HOUR, busy_until, "resolved"))
    visits.append(visit(2, 2 * HOUR, 2 * HOUR, 2 * HOUR + 300, "resolved"))  # judged customer
    moments = moment_table(records(visits), scenario).set_index("customer")
    judged = moments.loc[2]
    assert judged["occupancy"] == pytest.approx(occupancy)
    expected = 0.5 + 0.3 * 0.8 - model.empathy_occupancy_slope * max(0.0, occupancy - 0.85)
    assert judged["p_empathy"] == pytest.approx(expected)


def test_moment_table_of_stacked_records_keeps_the_replication() -> None:
    # without perception noise the moments are a function of the records alone
    scenario = make(horizon={"days": 0.25}, satisfaction={"perception_noise": 0})
    result = servsim.simulate(scenario, replications=2, seed=3)
    stacked = moment_table(result.records, scenario)
    assert list(stacked.columns) == ["replication", *MOMENT_COLUMNS]
    pd.testing.assert_frame_equal(stacked, result.moments)
    assert list(result.satisfaction.columns) == ["replication", *SATISFACTION_COLUMNS]
    assert set(stacked["replication"]) == {0, 1}


def test_perception_noise_is_common_to_scenarios_compared_under_one_seed() -> None:
    """The same encounter is perceived the same in two scenarios that differ elsewhere."""
    base = make(horizon={"days": 0.5})
    more_staff = {"front": [{**BASE["staff"]["front"][0], "headcount": 3}]}
    other = make(horizon={"days": 0.5}, staff=more_staff)  # other waits, other visit order
    a = run_replication(base, seed=5, replication=0).moments
    b = run_replication(other, seed=5, replication=0).moments
    exact_a = moment_table(run_replication(base, 5, 0).records, base)
    noise_a = (a["p_tangibles"] - exact_a["p_tangibles"]).to_numpy()
    assert np.abs(noise_a).max() > 0.05  # there is noise
    assert abs(noise_a.std() - base.satisfaction.perception_noise) < 0.05

    # the desk visit of customer c, first contact, gets the same draw in both scenarios
    def desk(moments: pd.DataFrame) -> pd.Series:
        mine = moments[(moments["touchpoint"] == "desk") & (moments["contact"] == 0)]
        return mine.set_index("customer")["p_tangibles"]

    ka, kb = desk(a), desk(b)
    assert not a["wait"].equals(b["wait"])  # the scenarios do differ
    both = ka.index.intersection(kb.index)
    assert len(both) > 20
    pd.testing.assert_series_equal(ka.loc[both], kb.loc[both])


def test_perception_noise_is_the_perception_stream_of_random_streams() -> None:
    """The noise comes from ``RandomStreams.counter("perception")`` and from nothing else."""
    scenario = make(horizon={"days": 0.5})
    replication = run_replication(scenario, seed=5, replication=2)
    redrawn = moment_table(replication.records, scenario, RandomStreams(5, 2).counter("perception"))
    pd.testing.assert_frame_equal(redrawn, replication.moments)
    other = moment_table(replication.records, scenario, RandomStreams(6, 2).counter("perception"))
    assert not other["p_tangibles"].equals(replication.moments["p_tangibles"])
    # reliability and waits are facts, not perceptions: no noise there
    exact = moment_table(replication.records, scenario)
    for column in ("p_reliability", "x_responsiveness", "wait"):
        pd.testing.assert_series_equal(other[column], exact[column])


# --------------------------------------------------------------------------- customers


def test_customer_satisfaction_matches_the_cycle_formula() -> None:
    scenario = make(horizon={"days": 0.5})
    replication = run_replication(scenario, seed=11, replication=0)
    moments, answers = replication.moments, replication.satisfaction
    assert len(answers) == moments["customer"].nunique()
    assert answers["customer"].is_monotonic_increasing
    for customer in answers["customer"].iloc[::17]:
        mine = moments[moments["customer"] == customer]
        row = answers.set_index("customer").loc[customer]
        assert row["n_moments"] == len(mine)
        assert row["satisfaction"] == pytest.approx(
            cycle_satisfaction(mine["v"].to_numpy(), mine["importance"].to_numpy())
        )
        assert row["worst_v"] == mine["v"].min() and row["last_v"] == mine["v"].iloc[-1]
    model = scenario.satisfaction
    latent = answers["latent"].to_numpy()
    expected_csat = 1 + np.searchsorted(model.csat_cut_points, latent, side="right")
    assert answers["csat"].tolist() == expected_csat.tolist()
    expected_recommend = np.clip(np.floor(7 + 4 * latent + 0.5), 0, 10)
    assert answers["recommend"].tolist() == expected_recommend.astype(int).tolist()
    assert set(answers["csat"]) <= {1, 2, 3, 4, 5}


def test_customer_csat_is_reproducible_with_the_same_seed() -> None:
    scenario = make(horizon={"days": 0.5})
    first = run_replication(scenario, seed=5, replication=1)
    again = run_replication(scenario, seed=5, replication=1)
    pd.testing.assert_frame_equal(first.satisfaction, again.satisfaction)
    assert first.metrics["csat_mean"] == again.metrics["csat_mean"]
    other = run_replication(scenario, seed=6, replication=1)
    assert not first.satisfaction["latent"].equals(other.satisfaction["latent"])
    # the survey noise is its own source, addressed by customer: the same answers again
    noise = RandomStreams(5, 1).counter("satisfaction")
    redrawn = customer_satisfaction(first.moments, first.records, scenario, noise)
    pd.testing.assert_frame_equal(redrawn, first.satisfaction)
    # ... and a customer's noise does not depend on who else is judged with them
    half = first.moments[first.moments["customer"] % 2 == 0]
    alone = customer_satisfaction(half, first.records, scenario, noise)
    noise_alone = alone["latent"] - alone["satisfaction"]
    both = first.satisfaction.set_index("customer").loc[alone["customer"]]
    np.testing.assert_allclose(noise_alone, both["latent"] - both["satisfaction"])


def test_satisfaction_falls_when_staff_are_cut() -> None:
    busy = {
        "arrivals": {"per_hour": 24},
        "horizon": {"days": 1, "warm_up": "1h"},
        "segments": [
            {
                "name": "retail",
                "recontact": {"probability": 0},
                "patience": {"kind": "exponential", "mean": "10min"},
            }
        ],
    }
    full = make(**busy)
    cut = full.with_overrides({"staff.front.agents.headcount": 1})
    a = servsim.simulate(full, replications=3, seed=8).replications
    b = servsim.simulate(cut, replications=3, seed=8).replications
    for metric in ("csat_mean", "satisfaction_mean", "nps", "empathy_mean"):
        assert (b[metric] < a[metric]).all(), metric  # every paired replication
    assert (b["bitter_moments"] > a["bitter_moments"]).all()


def test_empathy_falls_with_load_in_a_simulation() -> None:
    exact = {"perception_noise": 0}  # judge the pool's empathy level itself
    light = make(horizon={"days": 1}, arrivals={"per_hour": 8}, satisfaction=exact)
    heavy = make(horizon={"days": 1}, arrivals={"per_hour": 17}, satisfaction=exact)
    a = servsim.simulate(light, replications=2, seed=4)
    b = servsim.simulate(heavy, replications=2, seed=4)
    assert b.metric("occupancy[agents]")["mean"] > 0.85 > a.metric("occupancy[agents]")["mean"]
    assert b.metric("empathy_mean")["mean"] < a.metric("empathy_mean")["mean"]
    assert a.moments["p_empathy"].max() == pytest.approx(0.74)  # e0 + 0.3 k, never above


# --------------------------------------------------------------------------- metrics


def test_satisfaction_metrics_by_hand() -> None:
    scenario = make(horizon={"days": 3, "warm_up": "1h"})
    expected_time = scenario.segments[0].expectations.resolution_time  # 1 day
    customers = [
        CustomerRecord(0, "retail", "general", 100.0, 200.0, "resolved", 1),  # warm-up: left out
        CustomerRecord(1, "retail", "general", HOUR, 2 * HOUR, "resolved", 1),  # on time
        CustomerRecord(2, "retail", "general", HOUR, HOUR + 2 * DAY, "resolved", 2),  # late
        CustomerRecord(3, "retail", "general", 2 * HOUR, 3 * HOUR, "abandoned", 1),
        CustomerRecord(4, "retail", "general", 2.5 * DAY, math.nan, "in_system", 1),  # unknown
        CustomerRecord(5, "retail", "general", 1.5 * DAY, math.nan, "in_system", 1),  # late
    ]
    visits = [
        visit(0, 100.0, 100.0, 200.0, "resolved"),
        visit(1, HOUR, HOUR, 2 * HOUR, "resolved"),
        visit(2, HOUR, HOUR + 10, HOUR + 400, "unresolved"),
        visit(2, HOUR + 2 * DAY - 300, HOUR + 2 * DAY - 300, HOUR + 2 * DAY, "resolved", contact=1),
        visit(3, 2 * HOUR, math.nan, 3 * HOUR, "abandoned"),
        visit(4, 2.5 * DAY, 2.5 * DAY, 2.5 * DAY + 60, "next"),
    ]
    tables = records(visits, customers=customers)
    moments = moment_table(tables, scenario)
    answers = customer_satisfaction(moments, tables, scenario, np.random.default_rng(0))
    answers["recommend"] = [10, 10, 8, 3, 9]  # customers 0-4; 4 is still inside
    answers["csat"] = [5, 5, 4, 1, 5]
    out = satisfaction_metrics(moments, answers, tables, scenario)
    assert expected_time == DAY
    assert out["surveyed"] == 3  # customers 1, 2, 3
    assert out["csat_mean"] == pytest.approx((5 + 4 + 1) / 3)
    assert out["csat_top2_share"] == pytest.approx(2 / 3)
    assert out["nps"] == pytest.approx(1 / 3 - 1 / 3)  # one promoter, one passive, one detractor
    assert out["on_time_resolution"] == pytest.approx(1 / 4)  # 1 of customers 1, 2, 3, 5
    window_moments = moments[moments["customer"] >= 1]
    assert out["bitter_moments"] == pytest.approx(window_moments["bitter"].sum() / 4)
    assert out["bitter[desk]"] == window_moments["bitter"].sum() == 1  # the abandonment
    assert sum(out[f"level_share_{k}"] for k in range(1, 6)) == pytest.approx(1.0)
    assert out["level_share_1"] == pytest.approx(1 / len(window_moments))
    assert out["stellar[kiosk]"] == 0 and math.isnan(out["moment_utility[kiosk]"])
    assert out["moment_utility[desk]"] == pytest.approx(window_moments["v"].mean())
    served = window_moments["p_assurance"].dropna()
    assert out["assurance_mean"] == pytest.approx(served.mean()) and len(served) == 4


def test_replication_metrics_hold_satisfaction_and_the_scores() -> None:
    replication = run_replication(make(horizon={"days": 0.5}), seed=2, replication=0)
    metrics = replication.metrics
    for name in ("csat_mean", "nps", "procedural_score", "personal_score", "on_time_resolution"):
        assert name in metrics and not math.isnan(metrics[name]), name
    assert 1 <= metrics["csat_mean"] <= 5
    assert -1 <= metrics["nps"] <= 1
    # personal treatment where staff meet the customer, over the share of moments they do
    assert 0 < metrics["personal_reach"] < 1  # the kiosk is self-service
    assert metrics["personal_score"] == pytest.approx(
        (metrics["empathy_mean"] + metrics["assurance_mean"]) / 2 * metrics["personal_reach"]
    )


def test_run_prints_satisfaction_and_the_archetype(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(__file__).parents[1] / "scenarios" / "archetypes" / "friendly_zoo.yaml"
    code = main(["run", str(path), "-r", "2", "--no-save", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "CSAT (1-5)" in out
    assert "NPS" in out
    assert "archetype: friendly zoo" in out
    assert "warm but inconsistent" in out
    assert "concentrate here" in out
    assert "1 criminal" in out and "5 amazing" in out


def test_signed_metrics_keep_their_interval_below_zero() -> None:
    from servsim.statistics import summarise

    table = pd.DataFrame(
        {"replication": [0, 1], "nps": [0.02, 0.5], "csat_top2_share": [0.02, 0.5]}
    )
    summary = summarise(table)
    assert summary.loc["nps", "ci_low"] < 0  # an NPS can be negative: no cut at 0
    assert summary.loc["csat_top2_share", "ci_low"] == 0.0  # a share cannot


def test_moments_are_in_the_order_lived_whatever_the_record_order() -> None:
    scenario = make()
    tables = records(
        [  # records are appended when a visit ends: a long visit can be written after a later one
            visit(1, 500.0, 500.0, 600.0, "resolved"),
            visit(0, 300.0, 300.0, 400.0, "resolved", touchpoint="callback", step=2),
            visit(0, 0.0, 0.0, 60.0, "next", touchpoint="kiosk", step=0, pool=""),
            visit(0, 60.0, 100.0, 300.0, "next"),
        ]
    )
    moments = moment_table(tables, scenario)
    assert moments["customer"].tolist() == [0, 0, 0, 1]
    assert moments["touchpoint"].tolist() == ["kiosk", "desk", "callback", "desk"]
    answers = customer_satisfaction(moments, tables, scenario, np.random.default_rng(0))
    assert answers.loc[0, "last_v"] == moments.loc[2, "v"]


def test_a_run_without_customers_reports_zero_arrivals_and_no_satisfaction() -> None:
    """An empty replication (no arrivals in the horizon) is a result, not a crash."""
    result = servsim.simulate(make(arrivals={"per_hour": 0}, horizon={"days": 0.1}), 2, seed=1)
    assert result.metric("arrivals")["mean"] == 0.0
    assert math.isnan(result.metric("csat_mean")["mean"])
    assert result.moments.empty and result.satisfaction.empty


def test_a_late_resolution_is_lived_at_the_moment_that_resolves() -> None:
    """A slow back office reaches a customer who never waits for it in person (low contact)."""
    scenario = make()
    expected = scenario.segments[0].expectations.resolution_time
    on_time, late = 0.5 * expected, 2.0 * expected

    def resolving_moment(resolved_at: float) -> pd.Series:
        tables = records(
            [
                visit(0, 0.0, 0.0, 60.0, "next", touchpoint="kiosk", step=0, pool=""),
                # the back office works unseen; the callback delivers the result without a wait
                visit(
                    0,
                    resolved_at,
                    resolved_at,
                    resolved_at + 60,
                    "resolved",
                    step=2,
                    touchpoint="callback",
                    present=False,
                ),
            ]
        )
        return moment_table(tables, scenario).set_index("touchpoint").loc["callback"]

    prompt, slow = resolving_moment(on_time), resolving_moment(late)
    assert prompt["wait"] == slow["wait"] == 0.0
    assert prompt["x_responsiveness"] > 1.0  # no wait: above the zone
    assert slow["x_responsiveness"] == pytest.approx(-(late - expected) / expected)
    assert slow["v"] < prompt["v"] and slow["level"] < prompt["level"]


# --------------------------------------------------------------------------- contact (§2b)


def _desk_moments(scenario: ResolvedScenario, perception: bool = True) -> pd.DataFrame:
    tables = records([visit(c, 100.0 * c, 100.0 * c + 5, 100.0 * c + 60) for c in range(400)])
    noise = RandomStreams(3, 0).counter("perception") if perception else None
    return moment_table(tables, scenario, noise)


def test_the_spread_of_empathy_grows_with_contact() -> None:
    """Same encounters, same draws: empathy's spread is 0.05 + 0.15 c around one level."""
    model = make().satisfaction
    spreads = {}
    for contact in (0.1, 0.4, 0.8):
        scenario = make(variability={"contact_ratio": contact})
        empathy = _desk_moments(scenario)["p_empathy"].to_numpy()
        spreads[contact] = float(np.std(empathy))
        expected = model.empathy_spread + model.empathy_spread_per_contact * contact
        # the level is 0.74, so clipping at 1 trims the spread a little at high contact only
        assert spreads[contact] == pytest.approx(expected, rel=0.15)
    assert spreads[0.1] < spreads[0.4] < spreads[0.8]
    # tangibles and assurance keep the contact-free perception noise
    tangibles = _desk_moments(make(variability={"contact_ratio": 0.8}))["p_tangibles"]
    assert float(np.std(tangibles)) == pytest.approx(model.perception_noise, rel=0.15)


def test_face_to_face_the_person_weighs_more_at_self_service_the_interface() -> None:
    """The same moment under three channels: only the dimension weights differ."""
    cycle = copy.deepcopy(BASE["service_cycle"])
    cycle[1]["tangibles"] = 0.2  # a poor interface ...
    staff = {"front": [{"name": "agents", "headcount": 2, "proficiency": 0.8, "empathy": 0.7}]}
    tables = records(  # ... an issue left open (poor reliability), warm able staff
        [visit(c, 100.0 * c, 100.0 * c, 100.0 * c + 60, "unresolved") for c in range(3)]
    )
    values = {}
    for channel in ("face_to_face", "remote", "self_service"):
        cycle[1]["channel"] = channel
        scenario = make(service_cycle=cycle, staff=staff)
        moments = moment_table(tables, scenario)
        values[channel] = moments[moments["touchpoint"] == "desk"].iloc[0]
    remote = values["remote"]
    assert min(remote["x_empathy"], remote["x_assurance"]) > remote["x"]  # the person: good
    assert max(remote["x_tangibles"], remote["x_reliability"]) < remote["x"]  # the rest: poor
    assert values["face_to_face"]["x"] > remote["x"] > values["self_service"]["x"]
    # each is the weighted mean with the channel's factors, and only the weights moved
    model = make().satisfaction
    for channel, moment in values.items():
        factor = model.channel_weights.get(channel, {})  # type: ignore[call-overload]
        weights = {d: w * factor.get(d, 1.0) for d, w in model.dimension_weights.items()}
        expected = sum(w * moment[f"x_{d}"] for d, w in weights.items()) / sum(weights.values())
        assert moment["x"] == pytest.approx(expected)
        for dim in weights:
            assert moment[f"x_{dim}"] == remote[f"x_{dim}"]


def test_the_channel_follows_the_contact_level_unless_a_touchpoint_says() -> None:
    high = make()
    assert [tp.channel for tp in high.service_cycle] == [
        "self_service",
        "face_to_face",
        "face_to_face",
    ]
    low = make(contact_level="low")
    assert {tp.name: tp.channel for tp in low.service_cycle}["kiosk"] == "self_service"
    assert all(tp.channel == "written" for tp in low.service_cycle if tp.served_by is not None)
    medium = make(contact_level="medium")
    assert all(tp.channel == "remote" for tp in medium.service_cycle if tp.served_by is not None)


def test_a_channel_carries_its_share_of_the_person_into_personal_reach() -> None:
    """personal_reach weighs each staffed moment by its channel's social presence (§2b).

    The same cycle with every moment staffed: face to face the reach is 1; told that staff
    answer by phone or in writing it is the social presence of that channel, whatever the
    staff's empathy; a self-service moment adds 0 to the mean.
    """
    staffed = [
        {"name": "desk", "served_by": "agents", "service_time": {"mean": "3min"}},
        {
            "name": "close",
            "served_by": "agents",
            "service_time": {"mean": "2min"},
            "resolution": 1.0,
        },
    ]
    reaches = {}
    for channel in ("face_to_face", "remote", "written"):
        cycle = [{**tp, "channel": channel} for tp in staffed]
        scenario = servsim.validate_scenario({**copy.deepcopy(BASE), "service_cycle": cycle})
        metrics = servsim.simulate(scenario, replications=1, seed=4).summary["mean"]
        reaches[channel] = metrics["personal_reach"]
    presence = make().satisfaction.social_presence
    for channel, reach in reaches.items():
        assert reach == pytest.approx(presence[channel]), (channel, reaches)
    assert reaches["face_to_face"] > reaches["remote"] > reaches["written"] > 0


def test_warmth_makes_a_phone_moment_stellar_only_through_delight() -> None:
    """Why the friendly zoo (scenarios/archetypes/friendly_zoo.yaml) needs the delight rule.

    A level-5 moment by the average needs x >= 1.5, x being the weighted mean of the
    dimensions' x. Perceived empathy is clipped at 1, so with the default zone (0.4-0.7) its x
    stops at 2.0 and, at weight 0.16 on the phone, it brings at most 0.32 of the 1.5.
    Reliability (at most 1.45) and responsiveness (at most A_w / (A_w - D_w) = 1.125 for the
    zoo's households) never reach 1.5, so without delight assurance and tangibles must both
    sit near 1 as well: the zoo's warmest call, answered at once and resolved at first
    contact, is level 4. With delight (the default) exceptional warmth with no failing
    dissatisfier makes it level 5 [Johnston 1995].
    """
    households = {
        "name": "retail",
        "recontact": {"probability": 0},
        "expectations": {"wait": {"adequate": "3min", "desired": "20s"}},  # the zoo's households
    }

    def best_call(proficiency: float, tangibles: float, delight: bool = False) -> pd.Series:
        cycle = copy.deepcopy(BASE["service_cycle"])
        cycle[1]["tangibles"] = tangibles
        staff = {
            "front": [
                {"name": "agents", "headcount": 2, "proficiency": proficiency, "empathy": 1.0}
            ]
        }
        scenario = make(
            contact_level="medium",
            segments=[households],
            staff=staff,
            service_cycle=cycle,
            satisfaction={"delight": {"enabled": delight}},
        )
        tables = records(  # no wait, resolved at first contact, no perception noise
            [visit(0, 0.0, 0.0, 300.0, "resolved")],
            [StaffingRecord("agents", 0.0, 2, 0, proficiency)],
        )
        return moment_table(tables, scenario).iloc[0]

    zoo = best_call(0.75, 0.8)  # the zoo's agents and phone line at their warmest, no delight
    weights = make().satisfaction.dimension_weights  # on the phone: no channel factor
    plain = sum(w * zoo[f"x_{d}"] for d, w in weights.items()) / sum(weights.values())
    assert zoo["x"] == pytest.approx(plain)
    assert zoo["p_empathy"] == 1.0 and zoo["x_empathy"] == pytest.approx(2.0)  # saturated
    assert zoo["x_responsiveness"] == pytest.approx(180 / 160)
    assert zoo["x"] == pytest.approx(1.30, abs=0.005) and zoo["level"] == 4
    assert not zoo["delight"]
    assert best_call(0.9, 0.8)["level"] == 4  # quality service's skill is not enough either
    assert best_call(1.0, 1.0)["level"] == 5  # only a flawless moment on every dimension
    warm = best_call(0.75, 0.8, delight=True)
    assert warm["delight"] and warm["level"] == 5
    assert warm["x"] == pytest.approx(1.5)  # lifted to the stellar threshold
    assert warm["v"] == pytest.approx(moment_utility(1.5)) and warm["v"] > zoo["v"]
    for dim in DIMENSIONS:  # the dimensions are judged as they were
        assert warm[f"x_{dim}"] == pytest.approx(zoo[f"x_{dim}"])


# --------------------------------------------------------------------------- delight


def _one_moment(**x: float) -> dict[str, np.ndarray]:
    base = {"tangibles": 1.0, "reliability": 1.0, "responsiveness": 1.0, "assurance": 1.0}
    base["empathy"] = 2.0
    base.update(x)
    return {d: np.array([v]) for d, v in base.items()}


REMOTE = np.array(["remote"], dtype=object)


@pytest.mark.parametrize("reliability", [-1.0, -0.01, 0.0, 0.5, 1.45])
@pytest.mark.parametrize("responsiveness", [-2.0, -0.01, 0.0, 1.125])
def test_a_moment_at_the_empathy_threshold_delights_only_without_a_failing_dissatisfier(
    reliability: float, responsiveness: float
) -> None:
    """Johnston 1995: care delights, but only when reliability and responsiveness are adequate."""
    rule = Delight()
    at = _one_moment(empathy=rule.empathy, reliability=reliability, responsiveness=responsiveness)
    adequate = reliability >= 0 and responsiveness >= 0
    assert delighted(at, REMOTE, rule).tolist() == [adequate]
    below = _one_moment(
        empathy=np.nextafter(rule.empathy, -np.inf),
        reliability=reliability,
        responsiveness=responsiveness,
    )
    assert delighted(below, REMOTE, rule).tolist() == [False]  # warm, not exceptional
    assert delighted(at, REMOTE, Delight(enabled=False)).tolist() == [False]
    assert delighted(at, REMOTE, rule, failure=np.array([True])).tolist() == [False]


@pytest.mark.parametrize(
    ("channel", "x", "expected"),
    [
        ("face_to_face", {}, True),
        ("remote", {}, True),
        ("self_service", {}, False),  # nobody to be warm
        ("remote", {"empathy": math.nan}, False),  # abandoned: never met the staff
        ("remote", {"assurance": -0.01}, False),  # warm but not competent
        ("remote", {"tangibles": -3.0}, True),  # not a dissatisfier in the rule
    ],
)
def test_delight_needs_staff_who_meet_the_customer(
    channel: str, x: dict[str, float], expected: bool
) -> None:
    moment = _one_moment(**x)
    assert delighted(moment, np.array([channel], dtype=object)).tolist() == [expected]


def test_a_delight_is_stellar_and_a_failure_stays_bitter_in_the_moment_table() -> None:
    """Through moment_table: a warm served call is lifted; an abandoned or failed one is not."""
    staff = {"front": [{"name": "agents", "headcount": 2, "proficiency": 0.8, "empathy": 1.0}]}
    scenario = make(contact_level="medium", staff=staff)
    tables = records(
        [
            visit(0, 0.0, 0.0, 300.0, "resolved"),  # no wait, first-time fix
            visit(1, 0.0, 600.0, 900.0, "resolved"),  # a ten-minute wait: below adequate
            visit(2, 0.0, 0.0, 300.0, "failed"),
            visit(3, 0.0, math.nan, 200.0, "abandoned"),
        ]
    )
    moments = moment_table(tables, scenario).set_index("customer")
    assert moments.loc[0, "delight"] and moments.loc[0, "level"] == 5
    assert moments.loc[1, "x_responsiveness"] < 0
    assert not moments.loc[1, "delight"] and moments.loc[1, "level"] < 5
    for failed in (2, 3):
        assert not moments.loc[failed, "delight"] and moments.loc[failed, "level"] == 1


@pytest.mark.parametrize("contact_level", ["medium", "high"])
@pytest.mark.parametrize(
    ("empathy", "proficiency"),
    [(0.1, 0.35), (0.05, 0.65), (0.0, 0.8)],  # the freezer's, the factory's, a default pool's
)
def test_a_cold_pool_never_delights(empathy: float, proficiency: float, contact_level: str) -> None:
    """Cold staff: perceived empathy, noise included, stays far below the delight threshold."""
    staff = {
        "front": [
            {"name": "agents", "headcount": 3, "proficiency": proficiency, "empathy": empathy}
        ]
    }
    scenario = make(horizon={"days": 1}, contact_level=contact_level, staff=staff)
    moments = run_replication(scenario, seed=11, replication=0).moments  # perceived, noisy
    staffed = moments[moments["pool"] == "agents"]
    assert len(staffed) > 50 and staffed["p_empathy"].notna().any()
    assert not staffed["delight"].any()
    assert (staffed["level"] < 5).all()
