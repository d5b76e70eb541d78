"""The interval view: what a planner reads per half hour and per day, pool by pool.

Whole-run averages hide the morning peak that a roster must cover. Planners read each
interval's contacts offered, answered and abandoned, its service level and average speed of
answer, handle time, occupancy, the staff on duty, and, beside them, how many staff Erlang A
says that interval's load needs (docs/model.md §9). This module computes those tables from the
records alone; with a ``replication`` column the counts are means per replication and the
ratios pool every replication's contacts.

Contacts count in the interval in which they queued. Service level and abandonment count only
contacts where the customer waits in person; back-office work shows its offered load and
workload, for which planners size by hours rather than by a service level.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from servsim.distributions import mean_of
from servsim.metrics import offered_service_level, with_paid_overtime
from servsim.records import ABANDONED, RecordTables
from servsim.scenario import SECONDS_PER_DAY, Scenario
from servsim.scenario.weekly import WEEKDAY_NAMES
from servsim.schema_types import format_clock
from servsim.theory import servers_for_service_level

__all__ = ["DAY_COLUMNS", "INTERVAL_COLUMNS", "day_table", "interval_table"]

_MEASURES = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa",
    "handle_time",
    "occupancy",
)
INTERVAL_COLUMNS = (
    "day",
    "weekday",
    "start",
    "time",
    "pool",
    *_MEASURES,
    "staff_on_duty",
    "workload",
    "erlang_required",
)
"""The interval table's columns, in order (the day table has ``staff_hours`` and
``overtime_hours`` instead of ``start``/``time``, and the day's peak requirement)."""
DAY_COLUMNS = (
    "day",
    "weekday",
    "pool",
    *_MEASURES,
    "staff_hours",
    "overtime_hours",
    "staff_on_duty",
    "erlang_required",
)
"""The day table's columns, in order."""

_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "within",
    "counted",
    "wait_sum",
    "handled",
    "handle_sum",
    "busy",
    "on_floor",
    "paid",
    "overtime",
)


def _bins(times: np.ndarray, length: float) -> np.ndarray:
    return np.floor(times / length).astype(np.int64)


def _overlap_by_bin(
    starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, length: float, bins: int
) -> np.ndarray:
    """Sum over intervals [start, end) x weight of the time that falls in each bin."""
    out = np.zeros(bins)
    for start, end, weight in zip(starts, ends, weights, strict=True):
        if not end > start or weight == 0:
            continue
        first, last = int(start // length), min(math.ceil(end / length), bins)
        for k in range(first, last):
            piece = min(end, (k + 1) * length) - max(start, k * length)
            if piece > 0:
                out[k] += piece * weight
    return out


def _staff_by_bin(
    staffing: pd.DataFrame, column: str, end: float, length: float, bins: int
) -> np.ndarray:
    """Staff-seconds of one staffing column (a step function) in each bin."""
    rows = staffing.sort_values("time", kind="stable")
    times = rows["time"].to_numpy(dtype=np.float64)
    ends = np.append(times[1:], end)
    return _overlap_by_bin(times, ends, rows[column].to_numpy(dtype=np.float64), length, bins)


def _raw(tables: RecordTables, scenario: Scenario, length: float) -> pd.DataFrame:
    """Per replication, pool and interval: the counts and sums every ratio is built from."""
    end = scenario.horizon.length
    bins = math.ceil(end / length)
    visits = tables.visits[tables.visits["pool"] != ""]
    if "replication" not in visits:
        visits = visits.assign(replication=0)
    staffing = with_paid_overtime(tables.staffing)
    if "replication" not in staffing:
        staffing = staffing.assign(replication=0)
    target = scenario.service_level.target
    exclude = scenario.service_level.abandons_within_target == "exclude"
    frames = []
    for _, pool in scenario.staff.pools():
        name = pool.name
        mine = visits[visits["pool"] == name]
        for replication in sorted(set(staffing["replication"]) | set(mine["replication"])):
            here = mine[mine["replication"] == replication]
            queued = here["queued"].to_numpy(dtype=np.float64)
            started = here["started"].to_numpy(dtype=np.float64)
            ended = here["ended"].fillna(end).to_numpy(dtype=np.float64)
            k = _bins(queued, length)
            answered = ~np.isnan(started)
            frame = pd.DataFrame(
                {
                    "bin": np.arange(bins),
                    "offered": np.bincount(k, minlength=bins)[:bins],
                    "answered": np.bincount(k, weights=answered, minlength=bins)[:bins],
                    "abandoned": np.bincount(
                        k, weights=(here["outcome"] == ABANDONED).to_numpy(), minlength=bins
                    )[:bins],
                }
            )
            offered = offered_service_level(here, target, end)
            present_queued = here.loc[offered.pool.index, "queued"].to_numpy(dtype=np.float64)
            kp = _bins(present_queued, length)
            counted = offered.counted_excluding if exclude else offered.counted_as_miss
            frame["within"] = np.bincount(kp, weights=offered.within & counted, minlength=bins)[
                :bins
            ]
            frame["counted"] = np.bincount(kp, weights=counted, minlength=bins)[:bins]
            present = here["customer_present"].to_numpy(dtype=bool) & answered
            waits = np.where(present, started - queued, 0.0)
            frame["wait_sum"] = np.bincount(k, weights=waits, minlength=bins)[:bins]
            frame["present_answered"] = np.bincount(k, weights=present, minlength=bins)[:bins]
            done = answered & ~np.isnan(here["ended"].to_numpy(dtype=np.float64))
            ks = _bins(np.where(done, started, 0.0), length)
            frame["handled"] = np.bincount(ks, weights=done, minlength=bins)[:bins]
            frame["handle_sum"] = np.bincount(
                ks, weights=np.where(done, ended - started, 0.0), minlength=bins
            )[:bins]
            frame["busy"] = _overlap_by_bin(
                started[answered], ended[answered], np.ones(answered.sum()), length, bins
            )
            rows = staffing[(staffing["pool"] == name) & (staffing["replication"] == replication)]
            frame["on_floor"] = _staff_by_bin(rows, "on_floor", end, length, bins)
            frame["paid"] = frame["on_floor"] + _staff_by_bin(rows, "overtime", end, length, bins)
            frame["overtime"] = _staff_by_bin(rows, "paid_overtime", end, length, bins)
            frame["pool"] = name
            frame["replication"] = replication
            frame["front"] = pool in scenario.staff.front
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _finish(sums: pd.DataFrame, seconds: float, replications: int) -> pd.DataFrame:
    """Ratios from pooled sums; counts as means per replication."""
    out = pd.DataFrame(index=sums.index)
    for name in ("offered", "answered", "abandoned"):
        out[name] = sums[name] / replications
    present_offered = sums["counted"]
    out["service_level"] = np.where(
        present_offered > 0, sums["within"] / present_offered.where(present_offered > 0, 1), np.nan
    )
    answered = sums["present_answered"]
    out["asa"] = np.where(answered > 0, sums["wait_sum"] / answered.where(answered > 0, 1), np.nan)
    handled = sums["handled"]
    out["handle_time"] = np.where(
        handled > 0, sums["handle_sum"] / handled.where(handled > 0, 1), np.nan
    )
    paid = sums["paid"]
    out["occupancy"] = np.where(paid > 0, sums["busy"] / paid.where(paid > 0, 1), np.nan)
    out["staff_on_duty"] = sums["on_floor"] / seconds / replications
    return out


@functools.lru_cache(maxsize=4096)
def _required(rate: float, handle: float, patience: float, target: float, goal: float) -> float:
    if not rate > 0 or not handle > 0:
        return math.nan
    return float(servers_for_service_level(rate, handle, target, goal, patience))


def _patience(scenario: Scenario) -> float:
    """Mean patience over the segments, weighted by share (infinite: nobody abandons)."""
    total, weight = 0.0, 0.0
    for segment in scenario.segments:
        if segment.patience is None:
            return math.inf
        total += segment.share * mean_of(segment.patience)
        weight += segment.share
    return total / weight if weight else math.inf


def interval_table(
    tables: RecordTables, scenario: Scenario, length: float = 1800.0
) -> pd.DataFrame:
    """One row per interval and pool, in time order (see the module docstring).

    ``erlang_required`` is the fewest staff that Erlang A (Erlang C when customers never
    abandon) says meet ``service_level.goal`` within ``service_level.target`` for the
    interval's offered rate, the pool's mean handle time over the run and the segments' mean
    patience, abandons counted as misses; front-line pools only. ``workload`` is the offered
    load in erlangs (offered x mean handle time / interval length), for every pool.
    """
    raw = _raw(tables, scenario, length)
    replications = max(raw["replication"].nunique(), 1)
    sums = raw.groupby(["pool", "bin"], sort=False)[[*_SUMS, "present_answered"]].sum()
    front = raw.groupby(["pool", "bin"], sort=False)["front"].first()
    out = _finish(sums, length, replications).reset_index()
    pool_handle = raw.groupby("pool")["handle_sum"].sum() / raw.groupby("pool")[
        "handled"
    ].sum().replace(0, np.nan)
    handle = out["pool"].map(pool_handle).to_numpy(dtype=np.float64)
    rate = out["offered"].to_numpy(dtype=np.float64) / length
    out["workload"] = rate * handle
    patience = _patience(scenario)
    target, goal = scenario.service_level.target, scenario.service_level.goal
    out["erlang_required"] = [
        _required(round(r, 9), round(h, 6), patience, target, goal) if is_front else math.nan
        for r, h, is_front in zip(rate, handle, front.to_numpy(), strict=True)
    ]
    time = out["bin"].to_numpy(dtype=np.float64) * length
    out["time"] = time
    out["day"] = (time // SECONDS_PER_DAY).astype(int) + 1
    calendar = scenario.calendar
    out["weekday"] = [WEEKDAY_NAMES[calendar.weekday(int(d))] for d in out["day"]]
    out["start"] = [format_clock(t % SECONDS_PER_DAY) for t in time]
    out = _in_pool_order(out, scenario, "bin")
    return out[list(INTERVAL_COLUMNS)].reset_index(drop=True)


def _in_pool_order(frame: pd.DataFrame, scenario: Scenario, time: str) -> pd.DataFrame:
    """Rows in time order, and within a time in the scenario's order of pools."""
    order = {pool.name: i for i, (_, pool) in enumerate(scenario.staff.pools())}
    return frame.sort_values([time, "pool"], key=lambda c: c.map(order) if c.name == "pool" else c)


def day_table(tables: RecordTables, scenario: Scenario, length: float = 1800.0) -> pd.DataFrame:
    """One row per day and pool: the day's totals and ratios, staff and overtime hours.

    ``erlang_required`` and ``staff_on_duty`` are the day's peaks over its intervals, the
    figures a roster must reach at least once that day.
    """
    raw = _raw(tables, scenario, length)
    replications = max(raw["replication"].nunique(), 1)
    raw["day"] = (raw["bin"] * length // SECONDS_PER_DAY).astype(int) + 1
    sums = raw.groupby(["day", "pool"], sort=False)[[*_SUMS, "present_answered"]].sum()
    out = _finish(sums, SECONDS_PER_DAY, replications)
    out["staff_hours"] = sums["on_floor"] / 3600.0 / replications
    out["overtime_hours"] = sums["overtime"] / 3600.0 / replications
    out = out.drop(columns="staff_on_duty").reset_index()
    intervals = interval_table(tables, scenario, length)
    peaks = intervals.groupby(["day", "pool"]).agg(
        staff_on_duty=("staff_on_duty", "max"), erlang_required=("erlang_required", "max")
    )
    out = out.join(peaks, on=["day", "pool"])
    out["weekday"] = [WEEKDAY_NAMES[scenario.calendar.weekday(int(d))] for d in out["day"]]
    out = _in_pool_order(out, scenario, "day")
    return out[list(DAY_COLUMNS)].reset_index(drop=True)
