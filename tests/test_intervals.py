"""The interval view (docs/model.md §9): per-interval and per-day tables a planner reads."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim
from servsim.cli import main
from servsim.intervals import INTERVAL_COLUMNS, day_table, interval_table
from servsim.metrics import replication_metrics
from servsim.model.journey import simulate_replication
from servsim.records import Recorder, StaffingRecord, VisitRecord
from servsim.results import load_run
from servsim.scenario import ResolvedScenario, resolve_scenario
from servsim.theory import erlang_a, servers_for_service_level

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"
NAN = math.nan

BASE: dict[str, Any] = {
    "name": "view",
    "contact_level": "medium",
    "horizon": {"days": 1},
    "service_level": {"target": "20s", "goal": 0.8},
    "segments": [{"name": "retail", "recontact": {"probability": 0}}],
    "arrivals": {"per_hour": 10},
    "staff": {"front": [{"name": "agents", "headcount": 2}]},
    "service_cycle": [
        {"name": "call", "served_by": "agents", "service_time": {"kind": "exponential", "mean": 60}}
    ],
}


def make(**changes: Any) -> ResolvedScenario:
    data = copy.deepcopy(BASE) | copy.deepcopy(changes)
    return resolve_scenario(servsim.validate_scenario(data))


def visit(customer: int, queued: float, started: float, ended: float, outcome: str) -> VisitRecord:
    return VisitRecord(
        customer,
        0,
        "call",
        0,
        "agents",
        True,
        True,
        True,
        queued,
        started,
        ended,
        outcome,  # type: ignore[arg-type]
    )


def test_a_hand_built_day_gives_the_known_interval_figures() -> None:
    recorder = Recorder()
    recorder.staffing += [
        StaffingRecord("agents", 0.0, 2, 0, 0.8, 0),
        StaffingRecord("agents", 3600.0, 1, 0, 0.8, 0),  # one agent from 01:00
    ]
    recorder.visits += [
        visit(0, 100.0, 110.0, 400.0, "resolved"),  # 10 s wait: within 20 s
        visit(1, 200.0, 260.0, 500.0, "resolved"),  # 60 s wait: a miss
        visit(2, 300.0, NAN, 310.0, "abandoned"),  # abandoned within 20 s: a miss (headline)
        visit(3, 1900.0, 1900.0, 2100.0, "resolved"),  # second interval: answered at once
    ]
    scenario = make()
    view = interval_table(recorder.tables(), scenario, 1800.0)
    assert list(view.columns) == list(INTERVAL_COLUMNS)
    assert len(view) == 48  # 48 half hours, one pool
    first, second, third = (view.iloc[i] for i in range(3))
    assert (first["offered"], first["answered"], first["abandoned"]) == (3, 2, 1)
    assert first["service_level"] == pytest.approx(1 / 3)
    assert first["asa"] == pytest.approx((10 + 60) / 2)
    assert first["handle_time"] == pytest.approx((290 + 240) / 2)
    assert first["occupancy"] == pytest.approx((290 + 240) / (2 * 1800))
    assert first["staff_on_duty"] == 2
    assert (second["offered"], second["service_level"], second["asa"]) == (1, 1.0, 0.0)
    assert second["occupancy"] == pytest.approx(200 / (2 * 1800))
    assert third["staff_on_duty"] == 1 and third["offered"] == 0
    assert math.isnan(third["service_level"]) and math.isnan(third["erlang_required"])
    assert (first["day"], first["weekday"], first["start"], second["start"]) == (
        1,
        "mon",
        "00:00",
        "00:30",
    )
    excluding = make(service_level={"target": "20s", "abandons_within_target": "exclude"})
    assert interval_table(recorder.tables(), excluding, 1800.0).iloc[0]["service_level"] == 0.5
    day = day_table(recorder.tables(), scenario, 1800.0).iloc[0]
    assert (day["offered"], day["answered"], day["abandoned"]) == (4, 3, 1)
    assert day["staff_hours"] == pytest.approx(1 * 2 + 23 * 1)
    assert day["service_level"] == pytest.approx(2 / 4)
    assert day["staff_on_duty"] == 2  # the day's peak


def test_the_interval_view_adds_up_to_the_run() -> None:
    scenario = resolve_scenario(servsim.load_scenario(ROOT / "scenarios" / "helpdesk.yaml"))
    scenario = scenario.with_overrides({"horizon.days": 2, "horizon.warm_up": 0})
    tables = simulate_replication(scenario, seed=3, replication=0)
    view = interval_table(tables, scenario, 1800.0)
    days = day_table(tables, scenario, 1800.0)
    metrics = replication_metrics(tables, scenario)
    staffed = tables.visits[tables.visits["pool"] != ""]
    for pool in ("agents", "specialists", "back_office"):
        mine = staffed[staffed["pool"] == pool]
        rows = view[view["pool"] == pool]
        assert rows["offered"].sum() == len(mine)
        assert rows["answered"].sum() == mine["started"].notna().sum()
        assert rows["abandoned"].sum() == (mine["outcome"] == "abandoned").sum()
        assert (rows["occupancy"].dropna() <= 1 + 1e-12).all()
        per_day = days[days["pool"] == pool]
        assert per_day["offered"].sum() == len(mine)
        assert per_day["staff_hours"].sum() == pytest.approx(metrics[f"staff_hours[{pool}]"])
        assert per_day["overtime_hours"].sum() == pytest.approx(metrics[f"overtime_hours[{pool}]"])
    both = days[days["pool"] == "agents"]
    assert (both["occupancy"] > 0).all()
    run_level = metrics["occupancy[agents]"]
    assert min(both["occupancy"]) <= run_level + 1e-9 <= max(both["occupancy"]) + 2e-9


def test_the_erlang_requirement_matches_theory_for_a_long_mmc_run() -> None:
    scenario = resolve_scenario(servsim.load_scenario(TEXTBOOK)).with_overrides(
        {"horizon.days": 20, "horizon.warm_up": 0}
    )
    tables = simulate_replication(scenario, seed=1, replication=0)
    view = interval_table(tables, scenario, 86400.0)  # one interval a day: ~2,400 calls each
    theory = servers_for_service_level(100 / 3600, 180.0, 20.0, 0.8)
    assert theory == 8
    required = view["erlang_required"].to_numpy()
    assert np.median(required) == theory
    assert set(required) <= {theory - 1, theory, theory + 1}
    assert (view["staff_on_duty"] == 7).all()


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.05, 200.0),
    handle=st.floats(5.0, 900.0),
    target=st.floats(0.0, 120.0),
    goal=st.floats(0.5, 0.95),
    patience=st.one_of(st.just(math.inf), st.floats(30.0, 3600.0)),
)
def test_the_fewest_servers_meet_the_goal_and_one_fewer_does_not(
    rate: float, handle: float, target: float, goal: float, patience: float
) -> None:
    lam = rate / 3600.0
    n = servers_for_service_level(lam, handle, target, goal, patience)
    assert erlang_a(lam, handle, n, patience).service_level(target) >= goal
    if n > 1 and (not math.isinf(patience) or n - 1 > lam * handle):
        assert erlang_a(lam, handle, n - 1, patience).service_level(target) < goal


def test_servsim_run_prints_and_saves_the_interval_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8")) | {
        "name": "tiny",
        "horizon": {"days": 0.5, "warm_up": 0},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        ["run", str(path), "-r", "2", "-o", str(out), "-q", "--by", "interval", "--interval", "1h"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "agents: the interval view" in printed and "need" in printed
    folder = next(p for p in (out / "tiny").iterdir() if p.is_dir())
    for name in ("intervals", "days"):
        assert (folder / f"{name}.csv").is_file() and (folder / f"{name}.parquet").is_file()
    saved = load_run(folder).tables
    assert len(saved["intervals"]) == 12  # 12 hours of one pool
    assert saved["days"]["offered"].iloc[0] == pytest.approx(saved["intervals"]["offered"].sum())
    assert main(["run", str(path), "-r", "1", "--no-save", "-q", "--interval", "7min"]) == 2
    assert "does not divide a day" in capsys.readouterr().err
