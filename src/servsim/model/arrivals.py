"""Arrival times: a non-homogeneous Poisson process with a piecewise-constant rate by time of day.

Within a period of constant rate, a Poisson number of arrivals placed uniformly at random is
exactly a Poisson process, so each day is drawn period by period, with an optional gamma
day-level multiplier (mean 1) for the overdispersion real traffic shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from servsim.scenario import SECONDS_PER_DAY, Arrivals
from servsim.scenario.timetable import daily_rates
from servsim.scenario.weekly import Calendar


def arrival_times(
    arrivals: Arrivals, calendar: Calendar, horizon: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """All first-arrival times of one replication, sorted, in seconds from the start."""
    days = list(arrival_days(arrivals, calendar, horizon, rng))
    return np.concatenate(days) if days else np.empty(0)


def arrival_days(
    arrivals: Arrivals, calendar: Calendar, horizon: float, rng: np.random.Generator
) -> Iterator[npt.NDArray[np.float64]]:
    """The first-arrival times of one replication day by day, each day's sorted.

    Drawn lazily, a day when asked for, from one generator in one fixed order: the times are
    the same however far ahead they are drawn, and a long horizon never holds them all.
    """
    cv = arrivals.day_multiplier_cv
    for day, periods in enumerate(daily_rates(arrivals, calendar, horizon)):
        multiplier = rng.gamma(1.0 / cv**2, cv**2) if cv > 0 else 1.0
        offset = day * SECONDS_PER_DAY
        pieces: list[npt.NDArray[np.float64]] = []
        for start, end, rate in periods:
            begin, finish = offset + start, min(offset + end, horizon)
            if finish <= begin or rate <= 0:
                continue
            count = rng.poisson(rate * multiplier * (finish - begin))
            pieces.append(np.sort(rng.uniform(begin, finish, count)))
        if pieces:
            yield np.concatenate(pieces)


def expected_arrivals(arrivals: Arrivals, calendar: Calendar, horizon: float) -> float:
    """Mean number of arrivals over a horizon (day multiplier has mean 1)."""
    total = 0.0
    for day, periods in enumerate(daily_rates(arrivals, calendar, horizon)):
        offset = day * SECONDS_PER_DAY
        for start, end, rate in periods:
            total += rate * max(0.0, min(offset + end, horizon) - (offset + start))
    return total
