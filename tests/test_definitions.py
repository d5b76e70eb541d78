"""Planner definitions (docs/model.md §4, §9) on hand-built visits with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim
from servsim.analysis import staff_weighted_occupancy
from servsim.catalogue import CATALOGUE, column
from servsim.metrics import first_touch_resolved, offered_service_level
from servsim.scenario import resolve_scenario
from servsim.statistics import metric_interval

ROOT = Path(__file__).resolve().parents[1]
NAN = math.nan


def _visits(rows: list[tuple[int, int, str, bool, float, float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "customer",
            "contact",
            "pool",
            "customer_present",
            "queued",
            "started",
            "ended",
            "outcome",
        ],
    )


def test_service_level_per_offered_contact_in_both_conventions() -> None:
    visits = _visits(
        [
            (1, 0, "agents", True, 0.0, 10.0, 100.0, "resolved"),  # answered in 10 s: within
            (2, 0, "agents", True, 0.0, 30.0, 100.0, "resolved"),  # answered in 30 s: a miss
            (3, 0, "agents", True, 0.0, NAN, 5.0, "abandoned"),  # abandoned within 20 s
            (4, 0, "agents", True, 0.0, NAN, 50.0, "abandoned"),  # abandoned after 20 s: miss
            (1, 1, "agents", True, 200.0, 205.0, NAN, "in_system"),  # repeat, in service at end
            (5, 0, "agents", True, 990.0, NAN, NAN, "in_system"),  # waiting 10 s: unknown yet
            (6, 0, "agents", True, 900.0, NAN, NAN, "in_system"),  # waiting 100 s: a miss
            (7, 0, "back", False, 0.0, 500.0, 600.0, "next"),  # back office: not offered
            (8, 0, "", True, 0.0, 0.0, 1.0, "next"),  # self-service: not offered
        ]
    )
    offered = offered_service_level(visits, target=20.0, end=1000.0)
    assert offered.within[offered.counted_as_miss].mean() == 2 / 6  # customers 1 (x2) of 6
    assert offered.within[offered.counted_excluding].mean() == 2 / 5  # the short abandon out
    assert set(offered.pool) == {"agents"}


def test_first_touch_means_no_hand_off_in_the_first_contact() -> None:
    scenario = resolve_scenario(
        servsim.load_scenario(ROOT / "scenarios" / "archetypes" / "factory.yaml")
    )
    front = scenario.staff.front[0].name
    back = scenario.staff.back[0].name
    visits = _visits(
        [
            (1, 0, front, True, 0.0, 1.0, 2.0, "resolved"),
            (2, 0, front, True, 0.0, 1.0, 2.0, "next"),
            (2, 0, back, False, 2.0, 3.0, 4.0, "resolved"),
            (3, 0, front, True, 0.0, 1.0, 2.0, "unresolved"),
            (3, 1, back, False, 9.0, 9.5, 10.0, "resolved"),
        ]
    )
    result = first_touch_resolved(visits, scenario)
    assert result.to_dict() == {1: True, 2: False, 3: True}


def test_shipped_definitions_agree_with_their_reproducers() -> None:
    factory = servsim.load_scenario(ROOT / "scenarios" / "archetypes" / "factory.yaml")
    result = servsim.simulate(factory.with_overrides({"horizon.days": 3}), replications=3, seed=4)
    row = result.replications
    # complex requests (30%) always go to the back office: first touch is well below FCR
    assert (row["first_touch_resolution"] < row["first_contact_resolution"] - 0.2).all()
    # the service level judged against the goal is the headline per offered contact
    goal = factory.service_level.goal
    assert (row["goal_met"] == (row["service_level_offered"] >= goal).astype(float)).all()

    medium = servsim.load_scenario(ROOT / "scenarios" / "bank_account_medium.yaml")
    result = servsim.simulate(medium.with_overrides({"horizon.days": 3}), replications=2, seed=4)
    row = result.replications
    # only the phone agents' queue is lived in person: abandonment is theirs, undiluted
    assert np.allclose(row["abandonment"], row["pool_abandonment[phone_agents]"])


def test_the_convention_chooses_the_headline() -> None:
    base = servsim.load_scenario(ROOT / "scenarios" / "bank_account_medium.yaml").with_overrides(
        {"horizon.days": 2, "service_level.goal": 0.62}
    )
    miss = servsim.simulate(base, replications=3, seed=9).replications
    exclude = servsim.simulate(
        base.with_overrides({"service_level.abandons_within_target": "exclude"}),
        replications=3,
        seed=9,
    ).replications
    assert (exclude["service_level_offered_excluding"] >= miss["service_level_offered"]).all()
    expected = (exclude["service_level_offered_excluding"] >= 0.62).astype(float)
    assert (exclude["goal_met"] == expected).all()


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(CATALOGUE)),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False) | st.just(math.nan), min_size=1, max_size=30),
)
def test_every_interval_reads_low_mean_high(metric: str, values: list[float]) -> None:
    """Whatever the replications give, an interval never excludes its own mean."""
    declared = CATALOGUE[metric]
    name = column(metric, "x") if declared.scope in ("pool", "touchpoint") else metric
    row = metric_interval(np.array(values), name)
    if row["n"] < 2:
        return
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    low, high = declared.valid
    if all(low <= v <= high for v in values if not math.isnan(v)):  # possible data: cut to it
        assert low <= row["ci_low"] and row["ci_high"] <= high


def test_occupancy_over_pools_is_weighted_by_staff_hours() -> None:
    table = pd.DataFrame(
        {
            "occupancy[small]": [0.5, 0.2],
            "staff_hours[small]": [10.0, 10.0],
            "occupancy[large]": [1.0, NAN],
            "staff_hours[large]": [30.0, 30.0],
        }
    )
    weighted = staff_weighted_occupancy(table)
    assert weighted[0] == (0.5 * 10 + 1.0 * 30) / 40  # 0.875, where the plain mean says 0.75
    assert weighted[1] == 0.2  # a pool with no occupancy (nobody on the floor) is left out


def test_waits_known_at_the_horizon_are_counted_and_the_waiting_are_named() -> None:
    scenario = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_textbook.yaml")
    busy = scenario.with_overrides(
        {"horizon.days": 0.5, "horizon.warm_up": 0, "staff.front.agents.headcount": 5}
    )
    result = servsim.simulate(busy, replications=2, seed=3)
    visits = result.records.visits
    for replication, mine in visits.groupby("replication"):
        row = result.replications.set_index("replication").loc[replication]
        waiting = ((mine["outcome"] == "in_system") & mine["started"].isna()).sum()
        assert row["waiting_at_horizon[agents]"] == waiting
        in_service = (mine["outcome"] == "in_system") & mine["started"].notna()
        known = mine[(mine["outcome"] != "in_system") | in_service]
        expected = (known["started"].fillna(known["ended"]) - known["queued"]).mean()
        assert row["wait_mean[agents]"] == pytest.approx(expected)
        assert in_service.sum() > 0  # the case the definition is about does occur here


def test_potential_efficiency_is_the_staff_time_away_from_the_customer() -> None:
    """Chase: 1 - contact time / service creation time, on hand-built records."""
    from servsim.metrics import replication_metrics
    from servsim.records import ContactRecord, CustomerRecord, Recorder, VisitRecord

    scenario = resolve_scenario(
        servsim.validate_scenario(
            {
                "name": "two_steps",
                "contact_level": "medium",
                "horizon": {"days": 1},
                "segments": [{"name": "retail"}],
                "arrivals": {"per_hour": 1},
                "staff": {
                    "front": [{"name": "agents", "headcount": 1}],
                    "back": [{"name": "back", "headcount": 1}],
                },
                "service_cycle": [
                    {"name": "call", "served_by": "agents", "service_time": {"mean": 60}},
                    {"name": "check", "served_by": "back", "service_time": {"mean": 60}},
                    {"name": "web", "service_time": {"mean": 60}},
                ],
            }
        )
    )
    recorder = Recorder()
    for c in range(2):
        t = 1000.0 * c
        recorder.customers.append(
            CustomerRecord(c, "retail", "standard", t, t + 700, "resolved", 1)
        )
        recorder.contacts.append(ContactRecord(c, 0, "first", t, t + 700, "resolved", False))
        recorder.visits.extend(
            [  # 100 s with the customer, 300 s away, and self-service that is no staff time
                VisitRecord(c, 0, "call", 0, "agents", True, True, True, t, t, t + 100, "next"),
                VisitRecord(c, 0, "check", 1, "back", False, False, False, t + 100, t + 200,
                            t + 500, "next"),
                VisitRecord(c, 0, "web", 2, "", True, True, False, t + 500, t + 500, t + 700,
                            "resolved"),
            ]
        )  # fmt: skip
    metrics = replication_metrics(recorder.tables(), scenario)
    assert metrics["potential_efficiency"] == pytest.approx(300 / 400)
