"""When things happen over a run: who is on shift, when pools are open, how fast customers come.

Pure functions of the scenario's parts and its :class:`~servsim.scenario.weekly.Calendar`,
shared by the checks (a customer must not arrive at a closed pool) and the model (which puts
staff on the floor and defers customers to the next opening). Times are seconds from the start
of the run; a day of the run is numbered from 1.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from servsim.scenario.components import Arrivals, RatePeriod, StaffPool
from servsim.scenario.weekly import Calendar, weekly_hours
from servsim.schema_types import SECONDS_PER_DAY

__all__ = [
    "OpeningTimes",
    "daily_rates",
    "days_in",
    "headcount_schedule",
    "opening_times",
]

Periods = list[tuple[float, float]]


def days_in(horizon: float) -> int:
    """Days the horizon touches (a partial last day counts)."""
    return math.ceil(horizon / SECONDS_PER_DAY)


def _runs_on(
    days: Sequence[int] | None, weekdays: Sequence[int] | None, day: int, weekday: int
) -> bool:
    return (days is None or day in days) and (weekdays is None or weekday in weekdays)


def headcount_schedule(
    pool: StaffPool, calendar: Calendar, horizon: float
) -> list[tuple[float, int]]:
    """Times at which a pool's headcount changes, and the headcount from then on.

    Overlapping shifts add up; a shift listing ``days`` or ``weekdays`` runs only on those. On a
    closed date nobody is on shift, a constant headcount included.
    """
    closed = calendar.closed_days()
    changes: dict[float, int] = {0.0: 0}
    for day in range(1, days_in(horizon) + 1):
        offset = (day - 1) * SECONDS_PER_DAY
        if day in closed:
            if pool.headcount is not None:
                changes[offset] = changes.get(offset, 0) - pool.headcount
                end = offset + SECONDS_PER_DAY
                if end < horizon:
                    changes[end] = changes.get(end, 0) + pool.headcount
            continue
        if pool.headcount is not None:
            continue
        weekday = calendar.weekday(day)
        for shift in pool.shifts:
            if not _runs_on(shift.days, shift.weekdays, day, weekday):
                continue
            start, end = offset + shift.start, offset + shift.end
            if start >= horizon:
                continue
            changes[start] = changes.get(start, 0) + shift.headcount
            if end < horizon:
                changes[end] = changes.get(end, 0) - shift.headcount
    if pool.headcount is not None:
        changes[0.0] += pool.headcount
    schedule: list[tuple[float, int]] = []
    level = 0
    for time in sorted(changes):
        level += changes[time]
        if not schedule or schedule[-1][1] != level:
            schedule.append((time, level))
    return schedule


def _merge(periods: Periods) -> Periods:
    merged: Periods = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class OpeningTimes:
    """The periods a pool is open over a run, sorted and disjoint, as [open, close)."""

    periods: tuple[tuple[float, float], ...]

    @property
    def always(self) -> bool:
        """Open from the start to beyond any horizon (a pool with no hours and no shifts)."""
        return len(self.periods) == 1 and self.periods[0] == (0.0, math.inf)

    def is_open(self, time: float) -> bool:
        """Whether the pool is open at ``time`` (open at its opening, closed at its closing)."""
        index = bisect.bisect_right(self.periods, (time, math.inf)) - 1
        return index >= 0 and self.periods[index][0] <= time < self.periods[index][1]

    def next_opening(self, time: float) -> float:
        """The first time at or after ``time`` when the pool is open; ``inf`` if never again."""
        index = bisect.bisect_right(self.periods, (time, math.inf)) - 1
        if index >= 0 and time < self.periods[index][1]:
            return time
        if index + 1 < len(self.periods):
            return self.periods[index + 1][0]
        return math.inf

    def closed_within(self, start: float, end: float) -> Periods:
        """The parts of [start, end) when the pool is closed."""
        gaps: Periods = []
        cursor = start
        for open_, close in self.periods:
            if close <= cursor:
                continue
            if open_ >= end:
                break
            if open_ > cursor:
                gaps.append((cursor, open_))
            cursor = max(cursor, close)
            if cursor >= end:
                break
        if cursor < end:
            gaps.append((cursor, end))
        return gaps


def opening_times(pool: StaffPool, calendar: Calendar, horizon: float) -> OpeningTimes:
    """When a pool takes customers in person: its opening hours, or while anyone is on shift.

    A pool with a constant headcount and no opening hours is open round the clock (apart from
    closed dates).
    """
    closed = calendar.closed_days()
    periods: Periods = []
    if pool.opening_hours is not None:
        week = weekly_hours(pool.opening_hours)
        for day in range(1, days_in(horizon) + 1):
            if day in closed:
                continue
            offset = (day - 1) * SECONDS_PER_DAY
            periods += [(offset + s, offset + e) for s, e in week[calendar.weekday(day)]]
    elif pool.headcount is not None and not closed:
        return OpeningTimes(((0.0, math.inf),))
    else:
        schedule = headcount_schedule(pool, calendar, horizon)
        ends = [time for time, _ in schedule[1:]] + [math.inf]
        periods = [
            (time, end) for (time, level), end in zip(schedule, ends, strict=True) if level > 0
        ]
        if periods and periods[-1][1] == math.inf:
            periods[-1] = (periods[-1][0], math.inf)
    return OpeningTimes(tuple(_merge(periods)))


def daily_rates(
    arrivals: Arrivals, calendar: Calendar, horizon: float
) -> list[list[tuple[float, float, float]]]:
    """(start, end, arrivals per second) on each day of the run, times of day in seconds.

    Index 0 is day 1. The most specific periods win: those naming the day, else those naming
    its weekday, else the every-day ones. A closed date has no arrivals.
    """
    days = days_in(horizon)
    closed = calendar.closed_days()
    if arrivals.per_hour is not None:
        constant = [(0.0, SECONDS_PER_DAY, arrivals.per_hour / 3600.0)]
        return [[] if day in closed else constant for day in range(1, days + 1)]
    assert arrivals.profile is not None
    by_day: dict[int, list[RatePeriod]] = {}
    by_weekday: dict[int, list[RatePeriod]] = {}
    every_day: list[RatePeriod] = []
    for period in arrivals.profile:
        if period.day is not None:
            by_day.setdefault(period.day, []).append(period)
        elif period.weekday is not None:
            for weekday in period.weekday:
                by_weekday.setdefault(weekday, []).append(period)
        else:
            every_day.append(period)
    out: list[list[tuple[float, float, float]]] = []
    for day in range(1, days + 1):
        if day in closed:
            out.append([])
            continue
        chosen = by_day.get(day) or by_weekday.get(calendar.weekday(day)) or every_day
        out.append(
            [(p.start, p.end, p.per_hour / 3600.0) for p in sorted(chosen, key=lambda p: p.start)]
        )
    return out
