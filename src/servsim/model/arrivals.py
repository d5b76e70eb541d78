"""Arrival times: a non-homogeneous Poisson process with a piecewise-constant rate by time of day.

Within a period of constant rate, a Poisson number of arrivals placed uniformly at random is
exactly a Poisson process, so each day is drawn period by period, with an optional gamma
day-level multiplier (mean 1) for the overdispersion real traffic shows.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from servsim.scenario import SECONDS_PER_DAY, Arrivals


def rate_periods(arrivals: Arrivals, day: int) -> list[tuple[float, float, float]]:
    """(start, end, arrivals per second) on one day (1 = first), times of day in seconds."""
    if arrivals.per_hour is not None:
        return [(0.0, SECONDS_PER_DAY, arrivals.per_hour / 3600.0)]
    assert arrivals.profile is not None
    specific = [p for p in arrivals.profile if p.day == day]
    periods = specific or [p for p in arrivals.profile if p.day is None]
    return [(p.start, p.end, p.per_hour / 3600.0) for p in sorted(periods, key=lambda p: p.start)]


def arrival_times(
    arrivals: Arrivals, horizon: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """All first-arrival times of one replication, sorted, in seconds from the start."""
    pieces: list[npt.NDArray[np.float64]] = []
    cv = arrivals.day_multiplier_cv
    for day in range(math.ceil(horizon / SECONDS_PER_DAY)):
        multiplier = rng.gamma(1.0 / cv**2, cv**2) if cv > 0 else 1.0
        offset = day * SECONDS_PER_DAY
        for start, end, rate in rate_periods(arrivals, day + 1):
            begin, finish = offset + start, min(offset + end, horizon)
            if finish <= begin or rate <= 0:
                continue
            count = rng.poisson(rate * multiplier * (finish - begin))
            pieces.append(np.sort(rng.uniform(begin, finish, count)))
    return np.concatenate(pieces) if pieces else np.empty(0)


def expected_arrivals(arrivals: Arrivals, horizon: float) -> float:
    """Mean number of arrivals over a horizon (day multiplier has mean 1)."""
    total = 0.0
    for day in range(math.ceil(horizon / SECONDS_PER_DAY)):
        offset = day * SECONDS_PER_DAY
        for start, end, rate in rate_periods(arrivals, day + 1):
            total += rate * max(0.0, min(offset + end, horizon) - (offset + start))
    return total
