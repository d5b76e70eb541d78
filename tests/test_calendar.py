"""The calendar: weekdays, opening hours, closed dates, deferral to the next opening, overtime.

docs/model.md §9: nobody queues in person at a closed pool; a customer who comes back while it
is closed comes at the next opening; staff leaving a closed pool serve those still queuing
(overtime, paid and counted in occupancy); arrivals in closed hours are an error or deferred.
"""

from __future__ import annotations

import copy
import datetime
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim
from servsim.metrics import replication_metrics
from servsim.model.arrivals import expected_arrivals
from servsim.model.journey import simulate_replication
from servsim.records import RecordTables
from servsim.scenario import ResolvedScenario, ScenarioError, resolve_scenario
from servsim.scenario.timetable import (
    OpeningTimes,
    daily_rates,
    headcount_schedule,
    opening_times,
)
from servsim.scenario.weekly import Calendar, format_weekdays, parse_hours, parse_weekdays

ROOT = Path(__file__).resolve().parents[1]
DAY = 86_400.0
HOUR = 3_600.0

BASE: dict[str, Any] = {
    "name": "week",
    "contact_level": "medium",
    "horizon": {"days": 7},
    "segments": [
        {
            "name": "retail",
            "patience": {"kind": "exponential", "mean": "20min"},
            "recontact": {"probability": 0},
        }
    ],
    "arrivals": {"profile": [{"start": "09:00", "end": "17:00", "per_hour": 20}]},
    "staff": {
        "front": [
            {
                "name": "agents",
                "shifts": [{"start": "09:00", "end": "17:00", "headcount": 3}],
                "cost_per_hour": 20,
            }
        ]
    },
    "service_cycle": [
        {
            "name": "call",
            "served_by": "agents",
            "service_time": {"kind": "exponential", "mean": "8min"},
        }
    ],
}


def make(**changes: Any) -> ResolvedScenario:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return resolve_scenario(servsim.validate_scenario(data))


def problems_of(**changes: Any) -> str:
    with pytest.raises(ScenarioError) as caught:
        make(**changes)
    return str(caught.value)


# ----------------------------------------------------------------------------- the types


@given(st.sets(st.integers(0, 6), min_size=1))
def test_weekdays_written_back_read_the_same(days: set[int]) -> None:
    written = format_weekdays(sorted(days))
    assert parse_weekdays(written) == tuple(sorted(days))


def test_weekday_names_ranges_and_groups() -> None:
    assert parse_weekdays("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_weekdays("fri-mon") == (0, 4, 5, 6)  # wraps round the week
    assert parse_weekdays(["weekend", "Wednesday"]) == (2, 5, 6)
    assert parse_weekdays("daily") == tuple(range(7))
    with pytest.raises(ValueError, match="'funday' is not a weekday"):
        parse_weekdays("mon,funday")
    with pytest.raises(ValueError, match="did you mean 'wed'"):
        parse_weekdays("wedd")


def test_hours_are_read_as_planners_write_them() -> None:
    assert parse_hours("08:00-20:00") == ((8 * HOUR, 20 * HOUR),)
    assert parse_hours("14:00-18:00, 08:30-12:00") == (
        (8.5 * HOUR, 12 * HOUR),
        (14 * HOUR, 18 * HOUR),
    )
    assert parse_hours("closed") == ()
    with pytest.raises(ValueError, match="past midnight is two"):
        parse_hours("22:00-06:00")
    with pytest.raises(ValueError, match="overlap"):
        parse_hours("08:00-12:00, 11:00-13:00")


def test_calendar_mistakes_are_named() -> None:
    text = problems_of(calendar={"start_date": "2026-11-23", "start_weekday": "tue"})
    assert "2026-11-23 is a mon, not a tue" in text
    text = problems_of(calendar={"closed_dates": ["2026-12-25"]})
    assert "calendar" in text and "needs a start_date" in text
    text = problems_of(
        staff={
            "front": [
                {
                    "name": "agents",
                    "opening_hours": {"mon-fri": "09:00-17:00", "fri": "09:00-13:00"},
                    "shifts": [{"start": "09:00", "end": "17:00", "headcount": 3}],
                }
            ]
        }
    )
    assert "staff.front[0].opening_hours" in text and "fri is given twice" in text


def test_a_pool_open_with_nobody_on_shift_is_refused() -> None:
    text = problems_of(
        staff={
            "front": [
                {
                    "name": "agents",
                    "opening_hours": {"mon-fri": "08:00-17:00"},
                    "shifts": [{"start": "09:00", "end": "17:00", "headcount": 3}],
                }
            ]
        }
    )
    assert "staff.front[0].opening_hours" in text
    assert "open day 1 (Mon) 08:00-09:00 with nobody on shift" in text


def test_arrivals_while_the_first_touchpoint_is_closed_are_an_error_or_deferred() -> None:
    night = {"profile": [{"start": "07:00", "end": "17:00", "per_hour": 20}]}
    text = problems_of(arrivals=night)
    assert "arrivals: customers arrive day 1 (Mon) 07:00-09:00" in text
    assert "calendar.closed_arrivals: defer" in text
    scenario = make(arrivals=night, calendar={"closed_arrivals": "defer"})
    tables = simulate_replication(scenario, seed=3, replication=0)
    early = tables.customers[np.mod(tables.customers["arrived"], DAY) < 9 * HOUR]
    assert len(early) > 10
    first = tables.contacts[tables.contacts["customer"].isin(early["customer"])]
    # their contact starts at the opening, not when they arrived
    assert (np.mod(first["started"], DAY) >= 9 * HOUR - 1e-6).all()


# --------------------------------------------------------------------------- the timetable


def test_shifts_by_weekday_skip_weekends_and_closed_dates() -> None:
    scenario = make(
        calendar={"start_date": "2026-11-20", "closed_dates": ["2026-11-24", 6]},  # a Friday
        arrivals={
            "profile": [{"start": "09:00", "end": "17:00", "per_hour": 20, "weekday": "mon-fri"}]
        },
        staff={
            "front": [
                {
                    "name": "agents",
                    "shifts": [
                        {"start": "09:00", "end": "17:00", "headcount": 3, "weekdays": "mon-fri"}
                    ],
                }
            ]
        },
    )
    schedule = headcount_schedule(scenario.staff.front[0], scenario.calendar, 7 * DAY)
    opens = [time / DAY for time, level in schedule if level > 0]
    # Fri 20 (day 1), Mon 23 (day 4); Tue 24 (day 5) and day 6 closed; Thu 26 (day 7)
    assert [math.floor(day) + 1 for day in opens] == [1, 4, 7]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 95), st.integers(1, 24)), min_size=1, max_size=6),
    st.floats(0, 4 * DAY),
)
def test_opening_times_agree_with_a_brute_force_scan(
    spans: list[tuple[int, int]], time: float
) -> None:
    periods = sorted({(a * 3600.0, (a + b) * 3600.0) for a, b in spans})
    merged: list[tuple[float, float]] = []
    for start, end in periods:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    hours = OpeningTimes(tuple(merged))
    brute_open = any(start <= time < end for start, end in merged)
    assert hours.is_open(time) == brute_open
    reopen = hours.next_opening(time)
    later = [start for start, _ in merged if start >= time]
    assert reopen == (time if brute_open else (min(later) if later else math.inf))
    gaps = hours.closed_within(time, time + DAY)
    closed_length = sum(end - start for start, end in gaps)
    open_length = sum(max(0.0, min(end, time + DAY) - max(start, time)) for start, end in merged)
    assert closed_length + open_length == pytest.approx(DAY)


def test_a_weekly_profile_gives_mondays_their_peak() -> None:
    profile = [
        {"start": "09:00", "end": "17:00", "per_hour": 23, "weekday": "mon"},
        {"start": "09:00", "end": "17:00", "per_hour": 20, "weekday": "tue-fri"},
    ]
    scenario = make(
        horizon={"days": 14},
        calendar={"start_weekday": "wed"},
        arrivals={"profile": profile},
        staff={
            "front": [
                {
                    "name": "agents",
                    "shifts": [
                        {"start": "09:00", "end": "17:00", "headcount": 3, "weekdays": "mon-fri"}
                    ],
                }
            ]
        },
    )
    rates = daily_rates(scenario.arrivals, scenario.calendar, 14 * DAY)
    per_day = [sum((end - start) * rate for start, end, rate in day) for day in rates]
    # day 1 is a Wednesday: Mondays are days 6 and 13, weekends 4, 5, 11, 12
    assert per_day[5] == per_day[12] == pytest.approx(23 * 8)
    assert [per_day[i] for i in (3, 4, 10, 11)] == [0, 0, 0, 0]
    assert per_day[0] == pytest.approx(20 * 8)
    assert expected_arrivals(scenario.arrivals, scenario.calendar, 14 * DAY) == pytest.approx(
        2 * (23 + 4 * 20) * 8
    )
    tables = simulate_replication(scenario, seed=2, replication=0)
    weekday = (np.floor(tables.customers["arrived"] / DAY).astype(int) + 2) % 7
    assert set(weekday) <= {0, 1, 2, 3, 4}


def test_counts_csv_takes_weekdays(tmp_path: Path) -> None:
    (tmp_path / "trace.csv").write_text(
        "day,start,end,count\nmon,09:00,10:00,46\ntue-fri,09:00,10:00,40\nsat,10:00,12:00,10\n"
    )
    data = copy.deepcopy(BASE) | {
        "arrivals": {"counts_csv": "trace.csv"},
        "calendar": {"closed_arrivals": "defer"},
    }
    scenario = servsim.validate_scenario(data, base_dir=tmp_path)
    rates = daily_rates(scenario.arrivals, scenario.calendar, 7 * DAY)
    assert [sum((e - s) * r for s, e, r in day) for day in rates] == pytest.approx(
        [46, 40, 40, 40, 40, 10, 0]
    )


# ------------------------------------------------------------------------------ the model


def _present_waits_while_closed(tables: RecordTables, scenario: ResolvedScenario) -> int:
    """Visits that queued in person at a closed pool, or waited there past its next opening."""
    horizon = scenario.horizon.length
    times = {
        pool.name: opening_times(pool, scenario.calendar, horizon)
        for _, pool in scenario.staff.pools()
    }
    visits = tables.visits[(tables.visits["pool"] != "") & tables.visits["customer_present"]]
    bad = 0
    for row in visits.itertuples():
        hours = times[row.pool]
        if not hours.is_open(row.queued):
            bad += 1
            continue
        wait_end = row.started if not math.isnan(row.started) else row.ended
        if math.isnan(wait_end):
            wait_end = horizon
        closing = next((end for start, end in hours.periods if start <= row.queued < end), math.inf)
        if wait_end > closing and hours.next_opening(closing) < wait_end:
            bad += 1  # waited in person through a closed spell
    return bad


def test_returns_in_closed_hours_come_at_the_next_opening() -> None:
    scenario = make(
        segments=[
            {
                "name": "retail",
                "patience": {"kind": "exponential", "mean": "3min"},
                "retry": {"probability": 0.9, "delay": {"kind": "exponential", "mean": "3h"}},
                "recontact": {"probability": 0},
            }
        ],
        staff={
            "front": [
                {"name": "agents", "shifts": [{"start": "09:00", "end": "17:00", "headcount": 2}]}
            ]
        },
    )
    tables = simulate_replication(scenario, seed=4, replication=0)
    retries = tables.contacts[tables.contacts["kind"] == "retry"]
    assert len(retries) > 50
    clock = np.mod(retries["started"], DAY)
    assert ((clock >= 9 * HOUR) & (clock < 17 * HOUR)).all()
    # some retries were drawn for the night and deferred to exactly 09:00
    assert (np.isclose(clock, 9 * HOUR)).sum() >= 5
    assert _present_waits_while_closed(tables, scenario) == 0


def test_staff_leaving_a_closed_pool_serve_the_queue_on_overtime() -> None:
    busy = make(
        segments=[{"name": "retail", "recontact": {"probability": 0}}],  # waits forever
        arrivals={"profile": [{"start": "09:00", "end": "17:00", "per_hour": 26}]},
    )
    tables = simulate_replication(busy, seed=1, replication=0)
    served_after = tables.visits[np.mod(tables.visits["started"], DAY) >= 17 * HOUR]
    assert len(served_after) > 0
    assert _present_waits_while_closed(tables, busy) == 0
    result = servsim.simulate(busy, replications=2, seed=1).replications
    assert (result["overtime_hours[agents]"] > 0).all()
    assert (result["occupancy[agents]"] <= 1.0 + 1e-12).all()
    # overtime is paid at the premium: cost grows by exactly the premium on the overtime hours
    premium = busy.with_overrides({"staff.front.agents.overtime_premium": 1.5})
    dearer = servsim.simulate(premium, replications=2, seed=1).replications
    extra = (dearer["staff_cost"] - result["staff_cost"]).to_numpy()
    assert extra == pytest.approx(0.5 * 20 * result["overtime_hours[agents]"].to_numpy())
    assert dearer["overtime_cost[agents]"].to_numpy() == pytest.approx(
        1.5 * 20 * result["overtime_hours[agents]"].to_numpy()
    )


def test_nobody_queues_in_person_at_a_closed_pool_in_any_shipped_scenario() -> None:
    files = sorted((ROOT / "scenarios").rglob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        scenario = resolve_scenario(servsim.load_scenario(path))
        short = scenario.with_overrides({"horizon.days": min(scenario.horizon.days, 3)})
        tables = simulate_replication(short, seed=1, replication=0)
        assert _present_waits_while_closed(tables, short) == 0, path.name
        callbacks = tables.visits[tables.visits["touchpoint"] == "callback"]
        assert not (callbacks["outcome"] == "abandoned").any(), path.name
        metrics = replication_metrics(tables, short)
        occupancy = [v for k, v in metrics.items() if k.startswith("occupancy[")]
        assert occupancy and all(v <= 1.0 + 1e-12 for v in occupancy), path.name


def test_a_routed_customer_goes_to_the_fallback_while_their_pool_is_closed() -> None:
    scenario = make(
        segments=[
            {
                "name": "retail",
                "request_mix": {"simple": 0.5, "complex": 0.5},
                "recontact": {"probability": 0},
            }
        ],
        arrivals={"profile": [{"start": "08:00", "end": "20:00", "per_hour": 10}]},
        staff={
            "front": [
                {"name": "agents", "shifts": [{"start": "08:00", "end": "20:00", "headcount": 3}]},
                {
                    "name": "experts",
                    "opening_hours": {"daily": "10:00-16:00"},
                    "shifts": [{"start": "10:00", "end": "16:00", "headcount": 2}],
                },
            ]
        },
        service_cycle=[
            {
                "name": "call",
                "served_by": {"by_request_type": {"complex": "experts"}, "fallback": "agents"},
                "service_time": {"kind": "exponential", "mean": "5min"},
            }
        ],
    )
    tables = simulate_replication(scenario, seed=1, replication=0)
    experts = tables.visits[tables.visits["pool"] == "experts"]
    clock = np.mod(experts["queued"], DAY)
    assert len(experts) > 10 and ((clock >= 10 * HOUR) & (clock < 16 * HOUR)).all()
    assert _present_waits_while_closed(tables, scenario) == 0


def test_outbound_callbacks_cannot_be_abandoned() -> None:
    scenario = make(
        segments=[
            {
                "name": "retail",
                "patience": {"kind": "exponential", "mean": "1min"},
                "recontact": {"probability": 0},
            }
        ],
        staff={
            "front": [
                {"name": "agents", "shifts": [{"start": "09:00", "end": "17:00", "headcount": 3}]}
            ],
            "back": [
                {"name": "office", "shifts": [{"start": "09:00", "end": "17:00", "headcount": 1}]}
            ],
        },
        service_cycle=[
            {
                "name": "call",
                "served_by": "agents",
                "service_time": {"kind": "exponential", "mean": "5min"},
                "resolution": 0.3,
            },
            {"name": "check", "served_by": "office", "service_time": {"mean": "10min"}},
            {
                "name": "callback",
                "served_by": "agents",
                "outbound": True,
                "service_time": {"mean": "3min"},
            },
        ],
    )
    assert scenario.service_cycle[2].moment_of_truth  # the customer lives the call
    tables = simulate_replication(scenario, seed=1, replication=0)
    callbacks = tables.visits[tables.visits["touchpoint"] == "callback"]
    calls = tables.visits[tables.visits["touchpoint"] == "call"]
    assert len(callbacks) > 10
    assert (calls["outcome"] == "abandoned").any()  # patience is short at the call...
    assert not (callbacks["outcome"] == "abandoned").any()  # ...but a callback waits for staff
    assert not callbacks["customer_present"].any()
    text = problems_of(
        service_cycle=[
            {"name": "call", "served_by": "agents", "service_time": {"mean": "5min"}},
            {
                "name": "cb",
                "outbound": True,
                "customer_present": True,
                "service_time": {"mean": "3min"},
            },
        ]
    )
    assert "service_cycle[1].outbound: a callback needs staff" in text
    assert "service_cycle[1].customer_present" in text


def test_start_date_names_days_in_messages() -> None:
    calendar = Calendar(start_date=datetime.date(2026, 11, 23))
    assert calendar.day_label(3) == "day 3 (Wed 2026-11-25)"
    assert calendar.weekday(7) == 6
