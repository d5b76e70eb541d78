"""How much of a run's start to discard: MSER-5 on a pilot run (White 1997; White et al. 2000).

A simulation that starts empty first lives a transient (queues filling up) that biases the
averages. MSER picks the truncation point that minimises the standard error of the mean of
what remains, on batch means of 5 observations; here the observations are customers' first
waits in arrival order, averaged over the pilot replications.

A service that closes every night starts each day empty (no customer waits or is served in
person while it is closed; back-office work carried overnight is part of its daily cycle, not
a start-up transient): it has no transient to cut, and
MSER on such a series mistakes the daily pattern (quiet mornings, busy afternoons) for one,
cutting days of data (and, in a training plan, the very dip the scenario exists to show). So
the pilot first checks whether the system empties every day; if it does, no warm-up is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from servsim.model import simulate_replication
from servsim.notices import FieldValue, Notice
from servsim.scenario import Scenario, resolve_scenario

BATCH = 5
UNRELIABLE_SHARE = 0.8
"""A cut past this share of MSER's search range (the first half of the run) is unreliable."""
SECONDS_PER_DAY = 86_400.0
QUIET_SPELL = 3_600.0
"""An hour without any visit: the system emptied (closed, or silent at night)."""


def mser(values: npt.ArrayLike, batch: int = BATCH) -> int:
    """Number of leading observations to delete (a multiple of ``batch``), by MSER-``batch``.

    The truncation is searched over the first half of the series only, as MSER prescribes: a
    minimum found later means the run is too short to tell.
    """
    series = np.asarray(values, dtype=np.float64)
    batches = series[: len(series) // batch * batch].reshape(-1, batch).mean(axis=1)
    m = batches.size
    if m < 4:
        return 0
    best, best_d = np.inf, 0
    for d in range(m // 2 + 1):
        rest = batches[d:]
        statistic = float(((rest - rest.mean()) ** 2).sum() / (m - d) ** 2)
        if statistic < best:
            best, best_d = statistic, d
    return best_d * batch


@dataclass(frozen=True)
class WarmupSuggestion:
    """A suggested warm-up and how it was found."""

    warm_up: float  # seconds
    customers_deleted: int
    customers_observed: int
    replications: int
    empties_daily: bool = False
    unreliable: bool = False

    def describe(self) -> str:
        """One sentence (or two) for the command line, in English."""
        return self.notice().render("en")

    def notice(self) -> Notice:
        """The suggestion as a note the CLI says in the reader's language."""
        if self.empties_daily:
            return Notice("warmup.none", {"replications": self.replications}, "note")
        fields: dict[str, FieldValue] = {
            "minutes": round(self.warm_up / 60),
            "seconds": round(self.warm_up),
            "deleted": self.customers_deleted,
            "observed": self.customers_observed,
            "replications": self.replications,
        }
        return Notice("warmup.unreliable" if self.unreliable else "warmup.cut", fields, "note")


def suggest_warmup(
    scenario: Scenario, seed: int | None = None, replications: int = 3
) -> WarmupSuggestion:
    """Run a pilot without warm-up and apply MSER-5 to customers' first waits."""
    pilot = resolve_scenario(scenario.with_overrides({"horizon.warm_up": 0}))
    run_seed = seed if seed is not None else scenario.seed
    waits: list[npt.NDArray[np.float64]] = []
    arrivals: list[npt.NDArray[np.float64]] = []
    empties_daily = pilot.horizon.days >= 2
    for replication in range(replications):
        tables = simulate_replication(pilot, run_seed, replication)
        visits = tables.visits[tables.visits["customer_present"].astype(bool)]
        ended = visits["ended"].fillna(pilot.horizon.length).to_numpy(dtype=float)
        queued = visits["queued"].to_numpy(dtype=float)
        empties_daily = empties_daily and empties_every_day(queued, ended, pilot.horizon.days)
        visits = tables.visits.sort_values(["customer", "contact", "queued"], kind="stable")
        first = visits.groupby("customer").first()
        wait = (first["started"].fillna(first["ended"]) - first["queued"]).to_numpy(dtype=float)
        customers = tables.customers.set_index("customer").loc[first.index]
        keep = ~np.isnan(wait)
        waits.append(wait[keep])
        arrivals.append(customers["arrived"].to_numpy(dtype=float)[keep])
    length = min(len(w) for w in waits)
    if empties_daily or length == 0:
        return WarmupSuggestion(0.0, 0, length, replications, empties_daily=empties_daily)
    average = np.mean([w[:length] for w in waits], axis=0)
    deleted = mser(average)
    times = np.mean([a[:length] for a in arrivals], axis=0)
    warm_up = float(times[deleted - 1]) if deleted > 0 else 0.0
    unreliable = near_search_limit(deleted, length)
    return WarmupSuggestion(warm_up, deleted, length, replications, unreliable=unreliable)


def near_search_limit(deleted: int, observed: int) -> bool:
    """Whether MSER's cut lies near the end of its search range (the first half of the run).

    A minimum found there means the series never settled within the run: too short a pilot, or
    a system that keeps drifting (overload). Such a cut is no warm-up to trust.
    """
    return observed > 0 and deleted >= UNRELIABLE_SHARE * (observed // 2)


def empties_every_day(
    queued: npt.NDArray[np.float64], ended: npt.NDArray[np.float64], days: float
) -> bool:
    """Whether every whole day has a quiet spell: an hour or more with no visit at all.

    The visits' spans ``[queued, ended)`` are merged into busy periods; a gap of at least
    :data:`QUIET_SPELL` between two busy periods (or before the first, after the last) that
    touches a day is that day's empty moment. The hour [ASM] tells a service that closes (or
    falls silent at night) from a round-the-clock queue that merely idles between customers.
    """
    whole_days = int(days)
    if whole_days < 1:
        return False
    if not ended.size:
        return True
    order = np.argsort(queued, kind="stable")
    starts, ends = queued[order], ended[order]
    reach = np.maximum.accumulate(ends) if ends.size else ends
    # a gap opens where the next visit is queued after every earlier one has ended
    gap_starts = np.concatenate(([0.0], reach[:-1][starts[1:] > reach[:-1]], reach[-1:]))
    gap_ends = np.concatenate((starts[:1], starts[1:][starts[1:] > reach[:-1]], [np.inf]))
    empty_days: set[int] = set()
    horizon = whole_days * SECONDS_PER_DAY
    for low, open_until in zip(gap_starts, gap_ends, strict=True):
        high = min(open_until, horizon)
        if high - low < QUIET_SPELL:
            continue
        first = int(low // SECONDS_PER_DAY)
        last = int(np.ceil(high / SECONDS_PER_DAY))
        empty_days.update(range(first, last))
    return all(day in empty_days for day in range(whole_days))
