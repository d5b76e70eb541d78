"""Least-cost staffing that meets a planner's targets, interval by interval, checked by simulation.

A planner asks "how many people, when?" and states the answer's conditions as the industry
writes them: 80% answered within 20 s, abandonment at most 5%, occupancy at most 85%
(docs/model.md §9). Erlang formulas answer that per interval for a stationary queue fed by
first contacts only; a real service is neither: re-contacts, retries after abandoning and status
inquiries add to the load, the back office is fed by the front line's output, and the load in
an interval depends on arrivals before it. So the requirement is found by simulation:

1. **Pilot.** The scenario as written is simulated; each interval's offered contacts and each
   pool's handle time give the per-interval Erlang A requirement (what a spreadsheet gives).
2. **Iterative staffing** (after Feldman, Mandelbaum, Massey & Whitt, 2008). The scenario is
   simulated with the current staffing; the pool's offered load is measured as an
   infinite-server system would carry it: the mean number of visits that would be in service
   had each been answered the moment it queued (abandoners included), so the load lags the
   arrivals as service does. It is measured in steps of at most 10 minutes, and each
   interval's requirement is the fewest staff that, held through its steps, meet the targets
   on the interval's average (:func:`servsim.theory.servers_for_varying_load`): on a rising
   edge the load climbs within the half hour, and its late callers would wait far more than
   the stationary answer for the mean load promises. Staffing changes the load itself (fewer
   abandoners retry, the back office is fed sooner, status inquiries follow back-office
   speed), so the iteration runs until the staffing stops changing. Each iteration simulates
   fresh replications and the load is pooled over the iterations, so its noise (an agent at
   60 erlangs on 20 replications) shrinks as they run.
3. **Shifts.** With shift templates, :func:`servsim.shifts.schedule_shifts` chooses how many
   of each shift to staff at least cost covering the requirement (an integer program).
4. **Verification.** The planned staffing is simulated under common random numbers; every target
   is judged per pool and per interval with confidence intervals. An interval whose service
   level is significantly below the goal gets one more person, so does every interval missing
   a pool target the pool misses over the run, and a missed whole-run target (``csat_mean>=4``)
   raises the front-line pool of the moment the importance-performance analysis ranks first;
   then the plan is verified again (at most three times).

The pilot, the first iteration and every verification use the run's seed, so verifications
differ in staffing only, not in arrivals; the later iterations use seeds drawn from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from servsim.catalogue import lookup
from servsim.executors import Executor
from servsim.experiment import SimulationResult, simulate
from servsim.intervals import interval_bins, mean_patience
from servsim.notices import Notice
from servsim.scenario import (
    SECONDS_PER_DAY,
    Scenario,
    ShiftTemplateSpec,
    StaffPool,
    resolve_scenario,
)
from servsim.scenario.checks import routing_pools
from servsim.scenario.timetable import daily_rates
from servsim.schema_types import format_clock
from servsim.shifts import Break, ShiftPlan, ShiftTemplate, schedule_shifts, start_times
from servsim.statistics import confidence_interval
from servsim.theory import (
    StaffingTarget,
    parse_target,
    servers_for_targets,
    servers_for_varying_load,
)

__all__ = [
    "INTERVAL_COLUMNS",
    "PoolTarget",
    "RunTarget",
    "StaffingCheck",
    "StaffingPlan",
    "check_staffing",
    "intervals_met_by_pool",
    "load_steps",
    "parse_shift_template",
    "parse_staffing_target",
    "staff",
    "staff_hours_by_day",
    "templates_of",
    "with_interval_staffing",
]

ERLANG_KINDS = ("service_level", "asa", "abandonment", "occupancy")
"""Targets met interval by interval with Erlang requirements; any other metric is judged on
the whole verified run."""
MAX_ITERATIONS = 8
"""Iterative staffing's limit; it usually settles in three to five."""
MAX_CORRECTIONS = 3
"""Rounds of raising the staff where the verified plan misses a target."""

INTERVAL_COLUMNS = (
    "day",
    "start",
    "pool",
    "offered",
    "handle_time",
    "offered_load",
    "erlang_required",
    "simulated_required",
    "scheduled",
    "to_roster",
    "service_level",
    "service_level_low",
    "service_level_high",
    "abandonment",
    "asa",
    "occupancy",
    "met",
)
"""The staffing table's columns: per interval and staffed pool, the pilot's Erlang requirement,
the simulation's (for ``offered_load``, the load pooled over the iterations), the scheduled
staff, what the verified plan achieved, and whether the pool's targets were met there (an
interval without work offered meets them)."""

ProgressReport = Callable[[Notice], None]
"""Told what the staffing run is doing, one line per step (the CLI prints them)."""

_TARGET_PATTERN = re.compile(
    r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(?P<pool>[^\[\]]+)\])?\s*(?P<rest>(?:>=|<=).*)$"
)


@dataclass(frozen=True)
class PoolTarget:
    """A target met interval by interval at one pool, or at every pool it applies to.

    Attributes:
        text: as the planner wrote it.
        target: the parsed target.
        pool: the pool named in brackets (``service_level[agents]>=0.8@20s``), None for all.
    """

    text: str
    target: StaffingTarget
    pool: str | None = None


@dataclass(frozen=True)
class RunTarget:
    """A target on a whole-run metric of the catalogue, judged on the verified plan.

    Attributes:
        text: as the planner wrote it.
        metric: the metric's column, e.g. ``csat_mean``.
        at_least: True for ``>=``, False for ``<=``.
        bound: the value to reach.
    """

    text: str
    metric: str
    at_least: bool
    bound: float

    def met_by(self, value: float) -> bool:
        """Whether a value meets the target."""
        return value >= self.bound if self.at_least else value <= self.bound


_SHIFT_PATTERN = re.compile(
    r"^\s*(?:(?P<name>[A-Za-z0-9_.-]+)=)?(?P<length>[^@,]+)@(?P<first>\d{1,2}:\d{2})"
    r"(?:-(?P<last>\d{1,2}:\d{2}))?(?:/(?P<every>[^,]+))?(?P<options>(?:,[^,]+)*)\s*$"
)
SHIFT_SPEC_HELP = (
    "write [NAME=]LENGTH@FIRST[-LAST][/EVERY][,break=LENGTH@FROM-TO][,weekdays=mon-fri]"
    "[,cost=PER_HOUR], e.g. 8h@07:00-14:00/30min,break=30min@3h-5h"
)


def parse_shift_template(text: str) -> ShiftTemplateSpec:
    """Read a shift template written on the command line (``--shift``).

    ``8h@07:00-14:00/30min,break=30min@3h-5h``: 8-hour shifts starting between 07:00 and 14:00
    every 30 minutes, with an unpaid 30-minute break starting 3 to 5 hours in.

    Raises:
        ValueError: the text is not a template; the message says how to write one.
    """
    match = _SHIFT_PATTERN.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a shift template: {SHIFT_SPEC_HELP}")
    length = match.group("length").strip()
    data: dict[str, Any] = {
        "name": match.group("name") or f"{length}_{match.group('first').replace(':', '')}",
        "length": length,
        "first_start": match.group("first"),
    }
    if match.group("last"):
        data["last_start"] = match.group("last")
    if match.group("every"):
        data["every"] = match.group("every").strip()
    for option in filter(None, match.group("options").split(",")):
        key, _, value = option.partition("=")
        key, value = key.strip(), value.strip()
        if key == "break":
            length_text, _, window = value.partition("@")
            earliest, _, latest = window.partition("-")
            if not (length_text and earliest and latest):
                raise ValueError(f"'{text}': write a break as break=30min@3h-5h")
            data["unpaid_break"] = {"length": length_text, "earliest": earliest, "latest": latest}
        elif key == "weekdays":
            data["weekdays"] = value
        elif key == "cost":
            data["cost_per_hour"] = value
        else:
            raise ValueError(f"'{text}': unknown option '{key}'; {SHIFT_SPEC_HELP}")
    try:
        return ShiftTemplateSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'template'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"'{text}' is not a valid shift template: {problems}") from None


def templates_of(scenario: Scenario) -> list[ShiftTemplateSpec]:
    """The shift templates a scenario declares (``staffing.shift_templates``)."""
    return list(scenario.staffing.shift_templates)


def staff_hours_by_day(intervals: pd.DataFrame, interval_seconds: float) -> pd.DataFrame:
    """Per day and pool, the staff hours each stage of a plan asks for, and its peak headcount.

    ``intervals`` is a plan's interval table (:data:`INTERVAL_COLUMNS`); the hours are the
    Erlang requirement of the pilot, the simulated requirement and the scheduled staff, summed
    over the day's intervals; ``peak`` is the most staff scheduled in one interval. The
    terminal and the staffing report show this same table.
    """
    hours = interval_seconds / 3600.0
    grouped = intervals.groupby(["day", "pool"], sort=False)
    table = grouped[["erlang_required", "simulated_required", "scheduled"]].sum() * hours
    table["peak"] = grouped["scheduled"].max().astype(int)
    return table.reset_index()


def intervals_met_by_pool(intervals: pd.DataFrame) -> pd.Series:
    """Per pool, the share of its intervals with offered work where every target was met.

    Intervals without offered work have nothing to judge and are left out; a pool that was
    offered nothing is absent. The terminal and the staffing report both print it.
    """
    offered = intervals[intervals["offered"] > 0]
    return offered.groupby("pool", sort=False)["met"].mean()


def _step_notice(step: str, runs: int) -> Notice:
    """What a staffing step says as it starts, in the reader's language (``iteration 3``)."""
    kind, _, rest = step.partition(" ")
    number = int(rest) if rest.isdigit() else 1
    if kind == "pilot":
        return Notice("staff_pilot", {"runs": runs}, "note")
    if kind == "iteration":
        return Notice("staff_iteration", {"n": number, "runs": runs}, "note")
    if kind == "verification":
        return Notice("staff_verification", {"n": number, "runs": runs}, "note")
    return Notice("staff_check", {"runs": runs}, "note")


def parse_staffing_target(text: str) -> PoolTarget | RunTarget:
    """Read one target as a planner writes it.

    ``service_level>=0.8@20s``, ``asa<=30s``, ``abandonment<=5%``, ``occupancy<=0.85`` (any of
    them for one pool: ``occupancy[back_office]<=0.85``), or a whole-run metric of the
    catalogue: ``csat_mean>=4``, ``first_contact_resolution>=0.7``.

    Raises:
        ValueError: the text is not a target; the message says what is allowed.
    """
    match = _TARGET_PATTERN.match(text)
    allowed = (
        "write e.g. 'service_level>=0.8@20s', 'asa<=30s', 'abandonment<=5%', "
        "'occupancy[back_office]<=0.85' or a whole-run metric such as 'csat_mean>=4'"
    )
    if match is None:
        raise ValueError(f"'{text}' is not a staffing target: {allowed}")
    key, pool, rest = match.group("key"), match.group("pool"), match.group("rest")
    if key in ERLANG_KINDS:
        return PoolTarget(text.strip(), parse_target(f"{key}{rest}"), pool)
    found = lookup(key)
    if found is None or found.metric.scope != "overall" or pool is not None:
        raise ValueError(
            f"'{text}': '{key}' is neither {', '.join(ERLANG_KINDS)} nor a whole-run metric "
            f"of the catalogue (docs/metrics.md); {allowed}"
        )
    operator, _, value = rest.partition("=")
    number = value.strip()
    try:
        bound = float(number[:-1]) / 100 if number.endswith("%") else float(number)
    except ValueError:
        raise ValueError(f"'{text}': '{number}' is not a number; {allowed}") from None
    return RunTarget(text.strip(), key, operator.strip() == ">", bound)


@dataclass(frozen=True)
class StaffingPlan:
    """What :func:`staff` found.

    Attributes:
        scenario: the scenario with the planned staffing as shifts, which ``servsim run``
            accepts as it is.
        intervals: one row per interval and staffed pool (:data:`INTERVAL_COLUMNS`).
        shifts: the chosen shifts, one row per pool, shift and start (empty without templates).
        targets: one row per target and pool: the achieved mean with its 95% CI, and met.
        iterations: one row per simulation: its step, intervals whose staffing changed, and
            staff hours.
        verified: the simulation of the final plan (its interval sums kept per load step).
        cost: the plan's mean staff cost per replication (the verified run's ``staff_cost``).
    """

    scenario: Scenario
    intervals: pd.DataFrame
    shifts: pd.DataFrame
    targets: pd.DataFrame
    iterations: pd.DataFrame
    verified: SimulationResult
    cost: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def met(self) -> bool:
        """Every target met on the verified plan."""
        return bool(self.targets["met"].all())


@dataclass(frozen=True)
class _Measured:
    """Per staffed pool, what one simulation measured per interval (means over replications)."""

    offered: dict[str, np.ndarray]
    open: dict[str, np.ndarray]
    load: dict[str, np.ndarray]
    handle: dict[str, float]
    present: dict[str, bool]
    sums: pd.DataFrame
    step_offered: dict[str, np.ndarray]
    """Per pool, (interval, step): offered visits in each load step of each interval."""
    step_load: dict[str, np.ndarray]
    """Per pool, (interval, step): the infinite-server load in each load step (erlangs)."""


def _measure(
    result: SimulationResult, pools: Sequence[str], bins: int, length: float, steps: int
) -> _Measured:
    """Means over replications per interval, and per load step within each interval.

    The run keeps its sums per load step (``length / steps``); the targets are judged on the
    planning interval, so the sums are regrouped into it, while the loads and arrivals stay per
    step for :func:`servers_for_varying_load`.

    The load is the infinite-server one iterative staffing sizes for: every visit served from
    the moment it queued. ``offered_work`` counts an abandoner only for the time it waited, so
    each abandoner counts the pool's mean handle time instead, in the step it queued in (the
    step's lag is small beside a share of the load this size; its wait is taken as the step's
    waiting time, ``in_queue``, less the answered visits' waits, ``wait_all_sum``). Left as it
    was, the load would be short by about the abandonment rate (2-3% at a 20% chance of
    waiting: an agent at 60 erlangs), and the plan short everywhere. An abandoner who retries
    is then counted twice, once here and once as its retry, the smaller error as long as fewer
    than half retry.
    """
    fine = result.intervals
    replications = max(int(fine["replication"].nunique()), 1)
    sums = _regrouped(fine, steps)
    step = length / steps
    offered: dict[str, np.ndarray] = {}
    open_: dict[str, np.ndarray] = {}
    load: dict[str, np.ndarray] = {}
    handle: dict[str, float] = {}
    present: dict[str, bool] = {}
    step_offered: dict[str, np.ndarray] = {}
    step_load: dict[str, np.ndarray] = {}
    columns = ["offered", "offered_work", "abandoned", "in_queue", "wait_all_sum"]

    def work(sums: pd.DataFrame, unserved: float) -> np.ndarray:
        """Seconds of infinite-server work: abandoners' waits swapped for a handle time each."""
        waited = (sums["in_queue"] - sums["wait_all_sum"]).clip(lower=0.0)
        waited = waited.where(sums["abandoned"] > 0, 0.0)
        total = sums["offered_work"] + sums["abandoned"] * unserved - waited
        return np.asarray(total.clip(lower=0.0).to_numpy(dtype=np.float64))

    for pool in pools:
        mine = sums[sums["pool"] == pool]
        handled = float(mine["handled"].sum())
        handle[pool] = float(mine["handle_sum"].sum()) / handled if handled else math.nan
        present[pool] = bool(mine["counted"].sum() > 0)
        unserved = handle[pool] if handled else 0.0
        by_bin = mine.groupby("bin")[[*columns, "on_floor"]].sum()
        by_bin = by_bin.reindex(range(bins), fill_value=0.0)
        offered[pool] = by_bin["offered"].to_numpy(dtype=np.float64) / replications
        open_[pool] = by_bin["on_floor"].to_numpy(dtype=np.float64) > 0
        load[pool] = work(by_bin, unserved) / (replications * length)
        by_step = fine[fine["pool"] == pool].groupby("bin")[columns].sum()
        by_step = by_step.reindex(range(bins * steps), fill_value=0.0)
        step_offered[pool] = (
            by_step["offered"].to_numpy(dtype=np.float64).reshape(bins, steps) / replications
        )
        step_load[pool] = work(by_step, unserved).reshape(bins, steps) / (replications * step)
    return _Measured(offered, open_, load, handle, present, sums, step_offered, step_load)


def _pooled(pooled: _Measured, measured: _Measured, count: int) -> _Measured:
    """The mean of ``count`` iterations' measures: ``pooled`` holds the first ``count - 1``.

    Loads, arrivals and handle times are averaged (every iteration runs as many
    replications); the rest (opening hours, the sums judged) is the latest iteration's.
    """

    def mean(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        return {p: old[p] + (new[p] - old[p]) / count for p in new}

    handle = {}
    for pool, new in measured.handle.items():
        old = pooled.handle[pool]
        # a pool that handled nothing in one iteration has no handle time there to average
        handle[pool] = new if math.isnan(old) else old if math.isnan(new) else (
            old + (new - old) / count
        )
    return _Measured(
        offered=mean(pooled.offered, measured.offered),
        open=measured.open,
        load=mean(pooled.load, measured.load),
        handle=handle,
        present=measured.present,
        sums=measured.sums,
        step_offered=mean(pooled.step_offered, measured.step_offered),
        step_load=mean(pooled.step_load, measured.step_load),
    )


def _regrouped(sums: pd.DataFrame, steps: int) -> pd.DataFrame:
    """Interval sums kept per load step, added up per planning interval."""
    if steps == 1:
        return sums
    keys = ["replication", "pool", "bin"]
    grouped = sums.assign(bin=sums["bin"] // steps)
    numeric = [c for c in sums.columns if c not in keys and c != "front"]
    out = grouped.groupby(keys, sort=False)[numeric].sum()
    if "front" in sums.columns:
        out["front"] = grouped.groupby(keys, sort=False)["front"].first()
    return out.reset_index()


def _applicable(targets: Sequence[PoolTarget], pool: str, present: bool) -> list[StaffingTarget]:
    """The targets a pool is staffed for: named for it, or for every pool they fit."""
    mine = [t.target for t in targets if t.pool == pool]
    if present:
        return mine + [t.target for t in targets if t.pool is None]
    # away customers neither queue in person nor abandon: only occupancy applies to all pools
    return mine + [t.target for t in targets if t.pool is None and t.target.kind == "occupancy"]


class _Requirement:
    """Erlang requirements for one pool, remembered (intervals repeat the same loads)."""

    def __init__(self, targets: Sequence[StaffingTarget], patience: float) -> None:
        self.targets = list(targets)
        self.patience = patience
        self.known: dict[tuple[float, float], int] = {}
        self.varying: dict[tuple[tuple[float, ...], tuple[float, ...], float], int] = {}

    def __call__(self, rate: float, handle: float) -> int:
        if not rate > 0 or not handle > 0:
            return 0
        key = (round(rate, 9), round(handle, 6))
        if key not in self.known:
            self.known[key] = servers_for_targets(key[0], key[1], self.targets, self.patience)
        return self.known[key]

    def through(self, rates: np.ndarray, arrivals: np.ndarray, handle: float) -> int:
        """The requirement of an interval whose load steps have these rates and arrivals."""
        if len(rates) == 1:
            return self(float(rates[0]), handle)
        if not handle > 0 or not (rates > 0).any():
            return 0
        key = (
            tuple(round(float(r), 9) for r in rates),
            tuple(round(float(a), 6) for a in arrivals),
            round(handle, 6),
        )
        if key not in self.varying:
            self.varying[key] = servers_for_varying_load(
                key[0], key[2], self.targets, self.patience, arrivals=key[1]
            )
        return self.varying[key]


def _requirements(
    measured: _Measured,
    needs: Mapping[str, _Requirement],
    length: float,
    from_load: bool,
    opening: Mapping[str, np.ndarray] | None = None,
    within: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Per pool and interval, the fewest staff the Erlang model says meet the targets.

    From offered contacts (the pilot's per-interval Erlang), or from the load measured in the
    system (iterative staffing), step by step within the interval: on an edge the load changes
    within a half hour, and the interval's one headcount must hold through all of it
    (:func:`servers_for_varying_load`). Staffing works within each pool's hours in the scenario
    (``within``: the intervals the pilot had it open, by default the measured run's): work
    offered outside them waits for the next opening, as it did in the scenario. An interval
    nobody is offered work in needs nobody, unless ``opening`` keeps the pool open then
    (:func:`_kept_open`): at least one person.
    """
    out = {}
    for pool, need in needs.items():
        handle = measured.handle[pool]
        offered = measured.offered[pool]
        hours = measured.open[pool] if within is None else within[pool]
        if from_load:
            step_rates = measured.step_load[pool] / handle
            required = np.array(
                [
                    need.through(step_rates[b], measured.step_offered[pool][b], handle)
                    if offered[b] > 0 and hours[b]
                    else 0
                    for b in range(len(offered))
                ],
                dtype=np.int64,
            )
        else:
            rates = offered / length
            required = np.array(
                [
                    need(float(r), handle) if o > 0 and is_open else 0
                    for r, o, is_open in zip(rates, offered, hours, strict=True)
                ],
                dtype=np.int64,
            )
        if opening is not None:
            required = np.maximum(required, opening[pool].astype(np.int64))
        out[pool] = required
    return out


def _pool_path(scenario: Scenario, pool: str) -> str:
    side = next(side for side, p in scenario.staff.pools() if p.name == pool)
    return f"staff.{side}.{pool}"


def _runs(values: np.ndarray, length: float) -> list[dict[str, Any]]:
    """Shifts covering a per-interval headcount: one per day and run of equal headcount."""
    per_day = round(SECONDS_PER_DAY / length)
    shifts: list[dict[str, Any]] = []
    for day_start in range(0, len(values), per_day):
        day = values[day_start : day_start + per_day]
        start = 0
        for i in range(1, len(day) + 1):
            if i == len(day) or day[i] != day[start]:
                if day[start] > 0:
                    shifts.append(
                        {
                            "start": format_clock(start * length),
                            "end": format_clock(i * length),
                            "headcount": int(day[start]),
                            "days": [day_start // per_day + 1],
                        }
                    )
                start = i
    return shifts


def _with_shifts(scenario: Scenario, shifts: Mapping[str, list[dict[str, Any]]]) -> Scenario:
    overrides: dict[str, Any] = {}
    for pool, rows in shifts.items():
        path = _pool_path(scenario, pool)
        overrides[f"{path}.shifts"] = rows
        overrides[f"{path}.headcount"] = None if rows else 0
    return scenario.with_overrides(overrides)


def with_interval_staffing(
    scenario: Scenario, staffing: Mapping[str, np.ndarray], interval: float
) -> Scenario:
    """The scenario with pools on a per-interval headcount, from day 1 at 00:00.

    Written as shifts ``servsim run`` reads: one per day and run of equal headcount.
    """
    return _with_shifts(scenario, {p: _runs(values, interval) for p, values in staffing.items()})


def _shift_rows(plan: ShiftPlan, horizon_days: int) -> list[dict[str, Any]]:
    """The plan's chosen shifts as scenario shifts: split at the break and at midnight."""
    rows: list[dict[str, Any]] = []
    for shift in plan.shifts:
        offset = shift.day * SECONDS_PER_DAY
        spells = (
            [(shift.start, shift.break_start), (shift.break_end, shift.end)]
            if shift.break_start is not None and shift.break_end is not None
            else [(shift.start, shift.end)]
        )
        for spell_start, spell_end in spells:
            cursor, end = offset + spell_start, offset + spell_end
            while cursor < end:
                day = int(cursor // SECONDS_PER_DAY)
                day_end = min(end, (day + 1) * SECONDS_PER_DAY)
                if day < horizon_days:
                    rows.append(
                        {
                            "start": format_clock(cursor - day * SECONDS_PER_DAY),
                            "end": format_clock(day_end - day * SECONDS_PER_DAY),
                            "headcount": int(shift.count),
                            "days": [day + 1],
                        }
                    )
                cursor = day_end
    return rows


def _plan_table(plan: ShiftPlan, pool: str) -> pd.DataFrame:
    """The chosen shifts of one pool, one row per template, day and start."""
    return pd.DataFrame(
        [
            {
                "pool": pool,
                "template": s.template,
                "day": s.day + 1,
                "start": format_clock(s.start),
                "end": format_clock(s.end % SECONDS_PER_DAY)
                + (" (+1 d)" if s.end > SECONDS_PER_DAY else ""),
                "break": ""
                if s.break_start is None or s.break_end is None
                else f"{format_clock(s.break_start % SECONDS_PER_DAY)}-"
                f"{format_clock(s.break_end % SECONDS_PER_DAY)}",
                "count": s.count,
            }
            for s in plan.shifts
        ],
        columns=["pool", "template", "day", "start", "end", "break", "count"],
    )


def shift_templates_for(
    specs: Sequence[ShiftTemplateSpec], pool: StaffPool
) -> list[ShiftTemplate]:
    """The templates a pool may work, for the scheduler: starts listed, its cost per hour.

    A template without a cost takes the pool's; with no cost anywhere every paid hour costs 1,
    so the least-cost plan is the one with the fewest paid hours.
    """
    out = []
    for spec in specs:
        if spec.pools is not None and pool.name not in spec.pools:
            continue
        last = spec.last_start if spec.last_start is not None else spec.first_start
        rate = spec.cost_per_hour or pool.cost_per_hour or 1.0
        pause = spec.unpaid_break
        out.append(
            ShiftTemplate(
                name=spec.name,
                length=round(spec.length),
                starts=start_times(round(spec.first_start), round(last), round(spec.every)),
                cost_per_hour=rate,
                weekdays=tuple(spec.weekdays) if spec.weekdays is not None else None,
                unpaid_break=None
                if pause is None
                else Break(round(pause.length), max(round(pause.earliest), 1), round(pause.latest)),
            )
        )
    return out


def _per_replication(sums: pd.DataFrame, start_bin: int) -> pd.DataFrame:
    """Per replication and pool, the sums after the warm-up."""
    kept = sums[sums["bin"] >= start_bin]
    return kept.groupby(["pool", "replication"]).sum(numeric_only=True)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def _pool_measure(sums: pd.DataFrame, kind: str, present: bool) -> pd.Series:
    """One target's measure from interval sums (per replication, or per replication and bin)."""
    if kind == "service_level":
        return _ratio(sums["within"], sums["counted"])
    if kind == "abandonment":
        return _ratio(sums["abandoned"], sums["offered"])
    if kind == "occupancy":
        return _ratio(sums["busy"], sums["paid"])
    if present:
        return _ratio(sums["wait_sum"], sums["present_answered"])
    return _ratio(sums["wait_all_sum"], sums["answered"])


def _meets(kind: str, value: float, target: StaffingTarget) -> bool:
    if math.isnan(value):
        return True  # nothing offered: nothing to miss
    return value >= target.bound if kind == "service_level" else value <= target.bound


def _judge(
    verified: SimulationResult,
    measured: _Measured,
    targets: Sequence[PoolTarget],
    run_targets: Sequence[RunTarget],
    staffed: Sequence[str],
    start_bin: int,
) -> pd.DataFrame:
    """Every target against the verified plan: per pool, the mean and CI over replications."""
    per_replication = _per_replication(measured.sums, start_bin)
    rows = []
    for pool in staffed:
        mine = pd.DataFrame(per_replication.xs(pool, level="pool"))
        for t in targets:
            if t.target not in _applicable([t], pool, measured.present[pool]):
                continue
            values = _pool_measure(mine, t.target.kind, measured.present[pool])
            interval = confidence_interval(values.to_numpy(dtype=np.float64))
            rows.append(
                {
                    "target": t.text,
                    "pool": pool,
                    "mean": interval["mean"],
                    "ci_low": interval["ci_low"],
                    "ci_high": interval["ci_high"],
                    "met": _meets(t.target.kind, interval["mean"], t.target),
                }
            )
    for r in run_targets:
        if r.metric not in verified.summary.index:
            raise ValueError(f"'{r.text}': this scenario does not report {r.metric}")
        row = verified.metric(r.metric)
        rows.append(
            {
                "target": r.text,
                "pool": "",
                "mean": row["mean"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "met": r.met_by(row["mean"]),
            }
        )
    return pd.DataFrame(rows, columns=["target", "pool", "mean", "ci_low", "ci_high", "met"])


def _interval_measures(
    measured: _Measured, pool: str, bins: int, present: bool
) -> dict[str, np.ndarray]:
    """Per interval: service level with its CI, abandonment, ASA and occupancy, as achieved."""
    mine = measured.sums[measured.sums["pool"] == pool].set_index(["bin", "replication"])
    out: dict[str, np.ndarray] = {}
    service_level = _pool_measure(mine, "service_level", present)
    low, high, mean = np.full(bins, np.nan), np.full(bins, np.nan), np.full(bins, np.nan)
    for b, values in service_level.groupby(level="bin"):
        interval = confidence_interval(values.to_numpy(dtype=np.float64), valid=(0.0, 1.0))
        index = int(str(b))
        mean[index], low[index], high[index] = (
            interval["mean"],
            interval["ci_low"],
            interval["ci_high"],
        )
    out["service_level"], out["service_level_low"], out["service_level_high"] = mean, low, high
    pooled = mine.groupby(level="bin").sum(numeric_only=True).reindex(range(bins))
    for kind in ("abandonment", "asa", "occupancy"):
        out[kind] = _pool_measure(pooled, kind, present).to_numpy(dtype=np.float64)
    return out


def _misses(
    measures: Mapping[str, np.ndarray], targets: Sequence[StaffingTarget], offered: np.ndarray
) -> np.ndarray:
    """The intervals where the verified plan misses one of the pool's targets."""
    miss = np.zeros(len(offered), dtype=bool)
    for t in targets:
        values = measures[t.kind]
        with np.errstate(invalid="ignore"):
            missed = values < t.bound if t.kind == "service_level" else values > t.bound
        miss |= np.nan_to_num(missed, nan=0.0).astype(bool)
    return miss & (offered > 0)


def _front_pool_to_raise(verified: SimulationResult, staffed: Sequence[str]) -> str | None:
    """The staffed pool serving the moment the importance-performance analysis puts first."""
    ranking = verified.importance_performance()
    if ranking.empty:
        return None
    ranking = ranking.sort_values(["performance"], kind="stable")
    scenario = verified.scenario
    for touchpoint in ranking["touchpoint"]:
        step = next((t for t in scenario.service_cycle if t.name == touchpoint), None)
        if step is None or step.served_by is None:
            continue
        served = step.served_by
        pools = (
            [served]
            if isinstance(served, str)
            else [served.fallback, *served.by_request_type.values(), *served.by_segment.values()]
        )
        for pool in pools:
            if pool in staffed:
                return pool
    return None


def _checked_targets(
    targets: Sequence[str | PoolTarget | RunTarget], names: Sequence[str]
) -> tuple[list[PoolTarget], list[RunTarget]]:
    """The targets parsed and checked against the scenario's pools."""
    parsed = [parse_staffing_target(t) if isinstance(t, str) else t for t in targets]
    pool_targets = [t for t in parsed if isinstance(t, PoolTarget)]
    if not pool_targets:
        raise ValueError(
            "give at least one target staffing can meet interval by interval: "
            f"{', '.join(ERLANG_KINDS)} (e.g. 'service_level>=0.8@20s')"
        )
    for t in pool_targets:
        if t.pool is not None and t.pool not in names:
            raise ValueError(f"'{t.text}': no pool '{t.pool}'; pools: {', '.join(names)}")
    answer_times = {t.target.answer_time for t in pool_targets if t.target.kind == "service_level"}
    if len(answer_times) > 1:
        raise ValueError("give service-level targets with one answer time (e.g. all @20s)")
    return pool_targets, [t for t in parsed if isinstance(t, RunTarget)]


def load_steps(interval: float, load_step: float | None = None) -> int:
    """How many load steps a planning interval is measured in (:func:`staff`'s ``load_step``).

    By default the interval is cut into equal steps of at most 10 minutes: fine enough for a
    half hour's rising edge (mean service times are minutes, so the load moves within a half
    hour), coarse enough that each step still holds a few calls per replication.

    Raises:
        ValueError: ``load_step`` does not cut the interval into a whole number of steps of at
            least one minute.
    """
    if load_step is None:
        return max(math.ceil(interval / 600.0 - 1e-9), 1)
    steps = interval / load_step
    if load_step < 60 or abs(steps - round(steps)) > 1e-9:
        raise ValueError(
            f"the load step must cut the {interval / 60:g}-min interval into whole steps of at "
            f"least 1 min, got {load_step / 60:g} min"
        )
    return round(steps)


def _planning_scenario(
    scenario: Scenario, targets: Sequence[PoolTarget], interval: float, steps: int
) -> Scenario:
    """The scenario staffing simulates.

    Interval sums per load step (``steps`` to the planning interval), the target's service
    level as the scenario's, and records kept as sums only (nothing else is read).
    """
    per_day = SECONDS_PER_DAY / interval
    if interval < 300 or abs(per_day - round(per_day)) > 1e-9:
        raise ValueError(
            f"the interval must divide a day and be at least 5 min, got {interval / 60:g} min"
        )
    overrides: dict[str, Any] = {"reporting.interval": interval / steps, "records": "summary"}
    for t in targets:
        if t.target.kind == "service_level" and t.target.answer_time is not None:
            overrides["service_level.target"] = t.target.answer_time
            overrides["service_level.goal"] = min(t.target.bound, 0.999999)
    return scenario.with_overrides(overrides)


class _Planner:
    """One staffing run's shared state: the scenario, the interval grid, how it simulates."""

    def __init__(
        self,
        base: Scenario,
        steps: int,
        replications: int | None,
        seed: int | None,
        executor: Executor | None,
        workers: int | Literal["auto"] | None,
        say: ProgressReport,
    ) -> None:
        self.base = base
        self.resolved = resolve_scenario(base)
        self.steps = steps
        self.length = float(self.resolved.reporting.interval) * steps
        self.bins = interval_bins(self.resolved, self.length)
        self.start_bin = int(self.resolved.horizon.warm_up // self.length)
        replications_given = self.resolved.replications
        self.runs = replications or (
            replications_given if isinstance(replications_given, int) else 10
        )
        self.seed = seed if seed is not None else self.resolved.seed
        self.executor = executor
        self.workers = workers
        self.say = say
        self.names = [p.name for _, p in base.staff.pools()]
        self.iterations: list[dict[str, Any]] = []

    @classmethod
    def for_targets(
        cls,
        scenario: Scenario,
        targets: Sequence[str | PoolTarget | RunTarget],
        interval: float,
        replications: int | None,
        seed: int | None,
        executor: Executor | None,
        workers: int | Literal["auto"] | None,
        progress: ProgressReport | None,
        load_step: float | None = None,
    ) -> tuple[_Planner, list[PoolTarget], list[RunTarget]]:
        """A planner for the targets, parsed and checked against the scenario's pools."""
        names = [p.name for _, p in scenario.staff.pools()]
        pool_targets, run_targets = _checked_targets(targets, names)
        steps = load_steps(interval, load_step)
        planner = cls(
            _planning_scenario(scenario, pool_targets, interval, steps),
            steps,
            replications,
            seed,
            executor,
            workers,
            progress or (lambda _line: None),
        )
        return planner, pool_targets, run_targets

    def simulate(
        self, candidate: Scenario, step: str, seed: int | None = None
    ) -> tuple[SimulationResult, _Measured]:
        """One simulation, under the run's seed unless told, measured per pool and interval."""
        self.say(_step_notice(step, self.runs))
        result = simulate(
            candidate,
            replications=self.runs,
            seed=self.seed if seed is None else seed,
            workers=self.workers,
            executor=self.executor,
        )
        return result, _measure(result, self.names, self.bins, self.length, self.steps)

    def iteration_seed(self, iteration: int) -> int:
        """The seed of an iteration: the run's for the first, one drawn from it for the next."""
        if iteration == 1:
            return self.seed
        return int(np.random.SeedSequence([self.seed, iteration]).generate_state(1)[0])

    def note(self, step: str, changed: int, grid: Mapping[str, np.ndarray]) -> None:
        """One row of the iterations table."""
        hours = sum(float(values.sum()) for values in grid.values()) * self.length / 3600
        self.iterations.append({"step": step, "changed_intervals": changed, "staff_hours": hours})

    def staffed(self, grid: Mapping[str, np.ndarray]) -> Scenario:
        """The base with each staffed pool on exactly its per-interval headcount."""
        return with_interval_staffing(self.base, grid, self.length)

    def iterate(
        self,
        start: Mapping[str, np.ndarray],
        needs: Mapping[str, _Requirement],
        opening: Mapping[str, np.ndarray],
        hours: Mapping[str, np.ndarray],
        max_iterations: int,
    ) -> tuple[dict[str, np.ndarray], _Measured]:
        """Iterative staffing: simulate, measure the load, re-staff, until nothing changes.

        Returns the staffing and the pooled measures it was sized for.

        Each iteration simulates replications of its own (the first under the run's seed, the
        next under seeds drawn from it) and the staffing is sized for the load pooled over
        every iteration so far. A half hour's load measured on 10-20 replications is off by
        about an agent at 60 erlangs, and one agent moves the share who wait by 0.03-0.05:
        re-measuring the same arrivals would keep that error in the plan, where pooling
        shrinks it as the iterations run (at no extra simulation), while the feedback that
        makes iterating necessary (retries, a back office fed by the front line) still
        settles, since the staffing the later iterations simulate hardly changes.

        The pooled load still moves a little with each iteration, so intervals whose load lies
        near a threshold flip by one instead of standing still (fewer each time). The run stops
        when nothing changes, at the iteration limit, or when the number of changes has not
        fallen for two iterations, the noise floor; it keeps the staffing of the load pooled
        last, the best measured, rather than the larger of the last two: raising every interval
        that flips would put those intervals a step below the target's share of waiting.
        """
        grid = {p: values.copy() for p, values in start.items()}
        history: list[int] = []
        pooled: _Measured | None = None
        assert max_iterations >= 1, "at least one iteration"
        for iteration in range(1, max_iterations + 1):
            _, measured = self.simulate(
                self.staffed(grid), f"iteration {iteration}", self.iteration_seed(iteration)
            )
            pooled = measured if pooled is None else _pooled(pooled, measured, iteration)
            following = _requirements(pooled, needs, self.length, True, opening, hours)
            changed = sum(int((following[p] != grid[p]).sum()) for p in grid)
            self.note(f"iteration {iteration}", changed, grid)
            history.append(changed)
            grid = following
            if changed == 0:
                break
            if len(history) >= 3 and min(history[-2:]) >= history[-3]:
                self.say(Notice("staff_noise", {"changed": changed}, "note"))
                break
        assert pooled is not None
        return grid, pooled


class _Roster:
    """Turns a requirement into scheduled staff: shifts at least cost, or the requirement."""

    def __init__(
        self, planner: _Planner, templates: Sequence[ShiftTemplateSpec], pools: Sequence[str]
    ) -> None:
        self.planner = planner
        self.templates = {p: shift_templates_for(templates, planner.base.pool(p)) for p in pools}
        unserved = [p for p, mine in self.templates.items() if templates and not mine]
        if unserved:
            raise ValueError(f"no shift template may be worked by {', '.join(unserved)}")
        self.use_shifts = bool(templates)
        self.table = pd.DataFrame()

    def schedule(
        self, requirement: Mapping[str, np.ndarray]
    ) -> tuple[Scenario, dict[str, np.ndarray]]:
        """The scenario with the scheduled staffing, and the staff on duty per interval."""
        planner = self.planner
        if not self.use_shifts:
            return planner.staffed(requirement), {p: v.copy() for p, v in requirement.items()}
        rows: dict[str, list[dict[str, Any]]] = {}
        on_duty: dict[str, np.ndarray] = {}
        tables = []
        for pool, templates in self.templates.items():
            planner.say(Notice("staff_shifts", {"pool": pool}, "note"))
            plan = schedule_shifts(
                requirement[pool],
                round(planner.length),
                templates,
                wrap=False,
                first_weekday=planner.resolved.calendar.weekday(1),
            )
            rows[pool] = _shift_rows(plan, math.ceil(planner.resolved.horizon.days))
            on_duty[pool] = np.asarray(plan.on_duty, dtype=np.int64)
            tables.append(_plan_table(plan, pool))
        self.table = pd.concat(tables, ignore_index=True)
        return _with_shifts(planner.base, rows), on_duty


def _kept_open(planner: _Planner, pilot: _Measured) -> dict[str, np.ndarray]:
    """Per pool, the intervals it must stay open in: first arrivals may come and it was open.

    Customers may not arrive in person at a closed first touchpoint (a scenario check), so
    its pools keep someone on the floor wherever the scenario's arrival rate is above zero and
    the scenario had them open; other pools may close when no work is offered.
    """
    resolved = planner.resolved
    length, bins = planner.length, planner.bins
    arriving = np.zeros(bins, dtype=bool)
    horizon = resolved.horizon.length
    for day, periods in enumerate(daily_rates(resolved.arrivals, resolved.calendar, horizon)):
        for start, end, rate in periods:
            if rate > 0:
                first = int((day * SECONDS_PER_DAY + start) // length)
                last = math.ceil((day * SECONDS_PER_DAY + end) / length)
                arriving[first : min(last, bins)] = True
    entry = set(routing_pools(resolved.service_cycle[0].served_by))
    return {
        pool: (pilot.open[pool] & arriving) if pool in entry else np.zeros(bins, dtype=bool)
        for pool in pilot.open
    }


def _raised(
    judged: pd.DataFrame,
    measured: _Measured,
    verified: SimulationResult,
    requirement: dict[str, np.ndarray],
    needs: Mapping[str, _Requirement],
    hours: Mapping[str, np.ndarray],
    bins: int,
) -> int:
    """Raise the requirement where the verified plan missed; how many intervals were raised.

    Service level is a planner's promise for every interval, so an interval whose service
    level's 95% CI lies wholly below the goal gets +1 whether or not the pool meets it over
    the run (a rising morning edge, where a queue carried over from the half hour before makes
    the stationary Erlang answer short). A pool target missed over the run: +1 in every
    interval whose estimate misses it. A whole-run target missed: +1 wherever work is offered
    at the front-line pool of the moment customers rate worst.
    """
    raised = 0
    for pool in requirement:
        measures = _interval_measures(measured, pool, bins, measured.present[pool])
        targets = needs[pool].targets
        levels = [t.bound for t in targets if t.kind == "service_level"]
        with np.errstate(invalid="ignore"):
            miss = (
                measures["service_level_high"] < max(levels)
                if levels
                else np.zeros(bins, dtype=bool)
            )
        miss = np.nan_to_num(miss, nan=0.0).astype(bool) & (measured.offered[pool] > 0)
        if not judged[(judged["pool"] == pool) & ~judged["met"]].empty:
            miss |= _misses(measures, targets, measured.offered[pool])
        miss &= hours[pool]
        requirement[pool] = requirement[pool] + miss.astype(np.int64)
        raised += int(miss.sum())
    if not judged[(judged["pool"] == "") & ~judged["met"]].empty:
        pool_to_raise = _front_pool_to_raise(verified, list(requirement))
        if pool_to_raise is not None:
            offered = (measured.offered[pool_to_raise] > 0) & hours[pool_to_raise]
            requirement[pool_to_raise] = requirement[pool_to_raise] + offered.astype(np.int64)
            raised += int(offered.sum())
    return raised


def _interval_table(
    planner: _Planner,
    pilot: _Measured,
    sized: _Measured,
    measured: _Measured,
    columns: Mapping[str, Mapping[str, np.ndarray]],
    needs: Mapping[str, _Requirement],
    shrinkage: float,
) -> pd.DataFrame:
    """The staffing table: one row per interval and staffed pool (:data:`INTERVAL_COLUMNS`).

    ``offered_load`` is the load the requirement was sized for (``sized``: pooled over the
    iterations); the achieved measures are the verified run's (``measured``).
    """
    frames = []
    for pool in columns["scheduled"]:
        times = np.arange(planner.bins) * planner.length
        frame = pd.DataFrame(
            {
                "day": (times // SECONDS_PER_DAY).astype(int) + 1,
                "start": [format_clock(t % SECONDS_PER_DAY) for t in times],
                "pool": pool,
                "offered": pilot.offered[pool],
                "handle_time": pilot.handle[pool],
                "offered_load": sized.load[pool],
                **{name: values[pool] for name, values in columns.items()},
            }
        )
        frame["to_roster"] = np.ceil(frame["scheduled"] / (1.0 - shrinkage) - 1e-9).astype(int)
        measures = _interval_measures(measured, pool, planner.bins, measured.present[pool])
        for name, values in measures.items():
            frame[name] = values
        frame["met"] = ~_misses(measures, needs[pool].targets, measured.offered[pool])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[list(INTERVAL_COLUMNS)]


@dataclass(frozen=True)
class StaffingCheck:
    """A staffing judged against targets by simulation (:func:`check_staffing`).

    Attributes:
        targets: one row per target and pool: the achieved mean with its 95% CI, and met.
        cost: the mean staff cost per replication.
        verified: the simulation.
    """

    targets: pd.DataFrame
    cost: float
    verified: SimulationResult

    @property
    def met(self) -> bool:
        """Every target met."""
        return bool(self.targets["met"].all())


def check_staffing(
    scenario: Scenario,
    targets: Sequence[str | PoolTarget | RunTarget],
    *,
    interval: float = 1800.0,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | Literal["auto"] | None = None,
    executor: Executor | None = None,
    load_step: float | None = None,
) -> StaffingCheck:
    """Simulate a scenario's staffing as it is and judge every target, as :func:`staff` does.

    What a planner runs on a roster made elsewhere (a spreadsheet's Erlang staffing, last
    year's shifts) to compare it with :func:`staff`'s plan on the same terms and seed.
    """
    planner, pool_targets, run_targets = _Planner.for_targets(
        scenario, targets, interval, replications, seed, executor, workers, None, load_step
    )
    names = planner.names
    verified, measured = planner.simulate(planner.base, "check")
    judged_pools = [
        n
        for n in names
        if _applicable(pool_targets, n, measured.present[n]) and measured.handle[n] > 0
    ]
    judged = _judge(
        verified, measured, pool_targets, run_targets, judged_pools, planner.start_bin
    )
    cost = float(verified.summary["mean"].get("staff_cost", math.nan))
    return StaffingCheck(judged, cost, verified)


def staff(
    scenario: Scenario,
    targets: Sequence[str | PoolTarget | RunTarget],
    *,
    interval: float = 1800.0,
    pools: Sequence[str] | None = None,
    templates: Sequence[ShiftTemplateSpec] = (),
    replications: int | None = None,
    seed: int | None = None,
    shrinkage: float = 0.0,
    max_iterations: int = MAX_ITERATIONS,
    workers: int | Literal["auto"] | None = None,
    executor: Executor | None = None,
    progress: ProgressReport | None = None,
    load_step: float | None = None,
) -> StaffingPlan:
    """Find the least staffing that meets every target (see the module docstring).

    Args:
        scenario: the service to staff; its arrivals, cycle and shifts of pools not staffed
            here are kept.
        targets: as planners write them (:func:`parse_staffing_target`).
        interval: the planning interval in seconds (a whole number of them in a day).
        pools: the pools to staff; by default every pool a target applies to.
        templates: shift templates to schedule; without them, each interval is staffed with
            exactly its requirement.
        replications: per simulation; the scenario's own number when omitted.
        seed: the seed of every simulation (common random numbers); the scenario's own.
        shrinkage: the share of paid time staff are off the floor (breaks, meetings): the
            table's ``to_roster`` is the staff to schedule for the floor to have ``scheduled``.
        max_iterations: iterative staffing's limit.
        workers: as :func:`servsim.simulate`.
        executor: as :func:`servsim.simulate`.
        progress: told each step as it starts, as a :class:`~servsim.notices.Notice`
            (``str(notice)`` is the English line; ``notice.render("es")`` the Spanish one).
        load_step: the step (seconds) the load is measured and staffed in within an interval
            (:func:`servers_for_varying_load`); by default steps of at most 10 minutes
            (:func:`load_steps`). The interval's own length gives one step per interval.

    Raises:
        ValueError: a target, pool or interval is not valid for this scenario.
    """
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must lie in [0, 1), got {shrinkage}")
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be at least 1, got {max_iterations}")
    planner, pool_targets, run_targets = _Planner.for_targets(
        scenario, targets, interval, replications, seed, executor, workers, progress, load_step
    )
    names = planner.names
    for pool in pools or ():
        if pool not in names:
            raise ValueError(f"no pool '{pool}' to staff; pools: {', '.join(names)}")
    _, pilot = planner.simulate(planner.base, "pilot (the scenario's own staffing)")
    patience = mean_patience(planner.resolved)
    needs = {
        n: _Requirement(
            _applicable(pool_targets, n, pilot.present[n]),
            patience if pilot.present[n] else math.inf,
        )
        for n in names
        if pools is None or n in pools
    }
    needs = {n: need for n, need in needs.items() if need.targets and pilot.handle[n] > 0}
    if not needs:
        raise ValueError("no pool to staff: no target applies to a pool that was offered work")
    opening = _kept_open(planner, pilot)
    erlang = _requirements(pilot, needs, planner.length, False, opening)
    requirement, sized = planner.iterate(erlang, needs, opening, pilot.open, max_iterations)
    roster = _Roster(planner, templates, list(needs))
    planned, scheduled = roster.schedule(requirement)
    for correction in range(MAX_CORRECTIONS + 1):
        step = "verification" if correction == 0 else f"verification {correction + 1}"
        verified, measured = planner.simulate(planned, step)
        judged = _judge(
            verified, measured, pool_targets, run_targets, list(needs), planner.start_bin
        )
        planner.note(step, 0, scheduled)
        if correction == MAX_CORRECTIONS:
            break
        raised = _raised(judged, measured, verified, requirement, needs, pilot.open, planner.bins)
        planner.iterations[-1]["changed_intervals"] = raised
        if raised == 0:
            break
        planned, scheduled = roster.schedule(requirement)
    columns = {
        "erlang_required": erlang,
        "simulated_required": requirement,
        "scheduled": scheduled,
    }
    summary = verified.summary
    cost = float(summary["mean"].get("staff_cost", math.nan))
    return StaffingPlan(
        scenario=planned.with_overrides(
            {"records": scenario.records, "reporting.interval": planner.length}
        ),
        intervals=_interval_table(planner, pilot, sized, measured, columns, needs, shrinkage),
        shifts=roster.table,
        targets=judged,
        iterations=pd.DataFrame(planner.iterations),
        verified=verified,
        cost=cost,
        warnings=verified.warnings,
    )
