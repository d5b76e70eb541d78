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
from servsim.records import ABANDONED, RecordTables, text_codes
from servsim.scenario import SECONDS_PER_DAY, Scenario
from servsim.scenario.weekly import WEEKDAY_NAMES
from servsim.schema_types import format_clock
from servsim.theory import servers_for_service_level

__all__ = [
    "DAY_COLUMNS",
    "INTERVAL_COLUMNS",
    "VISIT_SUMS",
    "day_table",
    "interval_sums",
    "interval_table",
    "mean_patience",
    "visit_sums",
]

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
    "training_hours",
    "staff_on_duty",
    "erlang_required",
)
"""The day table's columns, in order."""

VISIT_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "within",
    "counted",
    "wait_sum",
    "present_answered",
    "handled",
    "handle_sum",
    "busy",
    "in_queue",
    "wait_all_sum",
    "offered_work",
)
"""Per pool and interval, what its visits add up to (a batch of records at a time).

``busy`` and ``in_queue`` are the seconds of service and of waiting that fall in the interval
(over the interval's length, the mean number in the system there). ``wait_all_sum`` adds the
waits of every answered visit, customers present or not (a back office's speed of answer), where
``wait_sum`` counts customers present only. ``offered_work`` is the seconds of service in the
interval had every visit been answered the moment it queued (an abandoner counts the time it
waited): over the interval's length, the load an infinite-server system would carry there,
lagging the arrivals as service lags them; what iterative staffing sizes for."""
_STAFF_SUMS = ("on_floor", "paid", "overtime", "in_training")
"""Per pool and interval, the staff-seconds of the staffing records."""
_SUMS = (*VISIT_SUMS, *_STAFF_SUMS)


def _bins(times: np.ndarray, length: float) -> np.ndarray:
    return np.floor(times / length).astype(np.int64)


def _overlap_by_bin(
    starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, length: float, bins: int
) -> np.ndarray:
    """Sum over intervals [start, end) x weight of the time that falls in each bin.

    The integral up to each bin edge x is the sum of ``weight x (x - start)`` over intervals
    started before x less the same over those ended before x: two sorted prefix sums.
    """
    keep = (ends > starts) & (weights != 0)
    edges = np.arange(bins + 1, dtype=np.float64) * length

    def ramp(points: np.ndarray, weight: np.ndarray) -> np.ndarray:
        order = np.argsort(points, kind="stable")
        below = np.searchsorted(points[order], edges, side="left")
        weights = np.concatenate([[0.0], np.cumsum(weight[order])])
        moments = np.concatenate([[0.0], np.cumsum(weight[order] * points[order])])
        return np.asarray(weights[below] * edges - moments[below], dtype=np.float64)

    w = weights[keep].astype(np.float64)
    return np.diff(ramp(starts[keep], w) - ramp(ends[keep], w))


def _staff_by_bin(
    staffing: pd.DataFrame, column: str, end: float, length: float, bins: int
) -> np.ndarray:
    """Staff-seconds of one staffing column (a step function) in each bin."""
    rows = staffing.sort_values("time", kind="stable")
    times = rows["time"].to_numpy(dtype=np.float64)
    ends = np.append(times[1:], end)
    return _overlap_by_bin(times, ends, rows[column].to_numpy(dtype=np.float64), length, bins)


def interval_bins(scenario: Scenario, length: float) -> int:
    """How many intervals of ``length`` seconds the horizon spans."""
    return math.ceil(scenario.horizon.length / length)


def visit_sums(visits: pd.DataFrame, scenario: Scenario, length: float) -> np.ndarray:
    """What one replication's visits (or a batch of them) add to each pool's intervals.

    Returns:
        An array (pool, interval, :data:`VISIT_SUMS`), pools in the scenario's order; the
        arrays of two batches of one replication add up to that of both.
    """
    end = scenario.horizon.length
    bins = interval_bins(scenario, length)
    pools = [pool.name for _, pool in scenario.staff.pools()]
    out = np.zeros((len(pools), bins, len(VISIT_SUMS)))
    target = scenario.service_level.target
    exclude = scenario.service_level.abandons_within_target == "exclude"
    pool_code = text_codes(visits["pool"], pools)
    for p in range(len(pools)):
        here = visits[pool_code == p]
        if here.empty:
            continue
        queued = here["queued"].to_numpy(dtype=np.float64)
        started = here["started"].to_numpy(dtype=np.float64)
        ended = here["ended"].fillna(end).to_numpy(dtype=np.float64)
        k = _bins(queued, length)
        answered = ~np.isnan(started)
        offered = offered_service_level(here, target, end)
        present_queued = here.loc[offered.pool.index, "queued"].to_numpy(dtype=np.float64)
        kp = _bins(present_queued, length)
        counted = offered.counted_excluding if exclude else offered.counted_as_miss
        present = here["customer_present"].to_numpy(dtype=bool) & answered
        done = answered & ~np.isnan(here["ended"].to_numpy(dtype=np.float64))
        ks = _bins(np.where(done, started, 0.0), length)
        columns = {
            "offered": np.bincount(k, minlength=bins),
            "answered": np.bincount(k, weights=answered, minlength=bins),
            "abandoned": np.bincount(
                k, weights=text_codes(here["outcome"], [ABANDONED]) == 0, minlength=bins
            ),
            "within": np.bincount(kp, weights=offered.within & counted, minlength=bins),
            "counted": np.bincount(kp, weights=counted, minlength=bins),
            "wait_sum": np.bincount(
                k, weights=np.where(present, started - queued, 0.0), minlength=bins
            ),
            "present_answered": np.bincount(k, weights=present, minlength=bins),
            "handled": np.bincount(ks, weights=done, minlength=bins),
            "handle_sum": np.bincount(
                ks, weights=np.where(done, ended - started, 0.0), minlength=bins
            ),
            "busy": _overlap_by_bin(
                started[answered], ended[answered], np.ones(answered.sum()), length, bins
            ),
            "in_queue": _overlap_by_bin(
                queued, np.where(answered, started, ended), np.ones(len(queued)), length, bins
            ),
            "wait_all_sum": np.bincount(
                k, weights=np.where(answered, started - queued, 0.0), minlength=bins
            ),
            "offered_work": _overlap_by_bin(
                queued,
                queued + np.where(answered, ended - started, ended - queued),
                np.ones(len(queued)),
                length,
                bins,
            ),
        }
        for c, name_of_sum in enumerate(VISIT_SUMS):
            out[p, :, c] = columns[name_of_sum][:bins]
    return out


def interval_sums(
    visits: np.ndarray, staffing: pd.DataFrame, scenario: Scenario, length: float
) -> pd.DataFrame:
    """One replication's sums per pool and interval: its visits' and its staffing's.

    Args:
        visits: what :func:`visit_sums` returned (summed over the replication's batches).
        staffing: the replication's staffing records.
        scenario: the resolved scenario.
        length: the interval length (seconds) ``visits`` was binned with.
    """
    end = scenario.horizon.length
    bins = interval_bins(scenario, length)
    staffing = with_paid_overtime(staffing)
    frames = []
    for p, (_, pool) in enumerate(scenario.staff.pools()):
        frame = pd.DataFrame(visits[p], columns=list(VISIT_SUMS))
        frame.insert(0, "bin", np.arange(bins))
        rows = staffing[staffing["pool"] == pool.name]
        frame["on_floor"] = _staff_by_bin(rows, "on_floor", end, length, bins)
        frame["paid"] = frame["on_floor"] + _staff_by_bin(rows, "overtime", end, length, bins)
        frame["overtime"] = _staff_by_bin(rows, "paid_overtime", end, length, bins)
        frame["in_training"] = _staff_by_bin(rows, "in_training", end, length, bins)
        frame["pool"] = pool.name
        frame["front"] = pool in scenario.staff.front
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _raw(source: RecordTables | pd.DataFrame, scenario: Scenario, length: float) -> pd.DataFrame:
    """Per replication, pool and interval: the counts and sums every ratio is built from.

    ``source`` is the records, or the sums a run kept (:func:`interval_sums` with a
    ``replication`` column, at ``scenario.reporting.interval``); those are regrouped into
    longer intervals when ``length`` is a multiple of theirs.
    """
    if isinstance(source, pd.DataFrame):
        return _regroup(source, scenario, length)
    visits = source.visits[source.visits["pool"] != ""]
    if "replication" not in visits:
        visits = visits.assign(replication=0)
    staffing = source.staffing
    if "replication" not in staffing:
        staffing = staffing.assign(replication=0)
    frames = []
    for replication in sorted(set(staffing["replication"]) | set(visits["replication"])):
        mine = visits[visits["replication"] == replication]
        sums = visit_sums(mine, scenario, length)
        staff = staffing[staffing["replication"] == replication]
        frames.append(interval_sums(sums, staff, scenario, length).assign(replication=replication))
    return pd.concat(frames, ignore_index=True)


def _regroup(sums: pd.DataFrame, scenario: Scenario, length: float) -> pd.DataFrame:
    kept = scenario.reporting.interval
    factor = length / kept
    if abs(factor - round(factor)) > 1e-9 or round(factor) < 1:
        raise ValueError(
            f"this run kept its interval sums per {kept / 60:g} min (records: summary); an "
            f"interval of {length / 60:g} min needs a multiple of that, or records: full"
        )
    if round(factor) == 1:
        return sums
    grouped = sums.assign(bin=sums["bin"] // round(factor))
    keys = ["replication", "pool", "bin"]
    out = grouped.groupby(keys, sort=False)[list(_SUMS)].sum()
    out["front"] = grouped.groupby(keys, sort=False)["front"].first()
    return out.reset_index()


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


def mean_patience(scenario: Scenario) -> float:
    """Mean patience over the segments, weighted by share (infinite: nobody abandons)."""
    total, weight = 0.0, 0.0
    for segment in scenario.segments:
        if segment.patience is None:
            return math.inf
        total += segment.share * mean_of(segment.patience)
        weight += segment.share
    return total / weight if weight else math.inf


def interval_table(
    tables: RecordTables | pd.DataFrame, scenario: Scenario, length: float = 1800.0
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
    sums = raw.groupby(["pool", "bin"], sort=False)[list(_SUMS)].sum()
    front = raw.groupby(["pool", "bin"], sort=False)["front"].first()
    out = _finish(sums, length, replications).reset_index()
    pool_handle = raw.groupby("pool")["handle_sum"].sum() / raw.groupby("pool")[
        "handled"
    ].sum().replace(0, np.nan)
    handle = out["pool"].map(pool_handle).to_numpy(dtype=np.float64)
    rate = out["offered"].to_numpy(dtype=np.float64) / length
    out["workload"] = rate * handle
    patience = mean_patience(scenario)
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


def day_table(
    tables: RecordTables | pd.DataFrame, scenario: Scenario, length: float = 1800.0
) -> pd.DataFrame:
    """One row per day and pool: the day's totals and ratios, staff and overtime hours.

    ``erlang_required`` and ``staff_on_duty`` are the day's peaks over its intervals, the
    figures a roster must reach at least once that day.
    """
    raw = _raw(tables, scenario, length)
    replications = max(raw["replication"].nunique(), 1)
    raw["day"] = (raw["bin"] * length // SECONDS_PER_DAY).astype(int) + 1
    sums = raw.groupby(["day", "pool"], sort=False)[list(_SUMS)].sum()
    out = _finish(sums, SECONDS_PER_DAY, replications)
    out["staff_hours"] = sums["on_floor"] / 3600.0 / replications
    out["overtime_hours"] = sums["overtime"] / 3600.0 / replications
    out["training_hours"] = sums["in_training"] / 3600.0 / replications
    out = out.drop(columns="staff_on_duty").reset_index()
    intervals = interval_table(tables, scenario, length)
    peaks = intervals.groupby(["day", "pool"]).agg(
        staff_on_duty=("staff_on_duty", "max"), erlang_required=("erlang_required", "max")
    )
    out = out.join(peaks, on=["day", "pool"])
    out["weekday"] = [WEEKDAY_NAMES[scenario.calendar.weekday(int(d))] for d in out["day"]]
    out = _in_pool_order(out, scenario, "day")
    return out[list(DAY_COLUMNS)].reset_index(drop=True)
