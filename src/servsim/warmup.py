"""How much of a run's start to discard: MSER-5 on a pilot run (White 1997; White et al. 2000).

A simulation that starts empty first lives a transient (queues filling up) that biases the
averages. MSER picks the truncation point that minimises the standard error of the mean of
what remains, on batch means of 5 observations; here the observations are customers' first
waits in arrival order, averaged over the pilot replications.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from servsim.model import simulate_replication
from servsim.scenario import Scenario, resolve_scenario

BATCH = 5


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

    def describe(self) -> str:
        """One sentence for the command line."""
        return (
            f"suggested warm-up: {self.warm_up / 60:.0f} min ({self.warm_up:.0f} s), deleting the "
            f"first {self.customers_deleted} of {self.customers_observed} customers (MSER-5 on "
            f"first waits, {self.replications} pilot replications)"
        )


def suggest_warmup(
    scenario: Scenario, seed: int | None = None, replications: int = 3
) -> WarmupSuggestion:
    """Run a pilot without warm-up and apply MSER-5 to customers' first waits."""
    pilot = resolve_scenario(scenario.with_overrides({"horizon.warm_up": 0}))
    run_seed = seed if seed is not None else scenario.seed
    waits: list[npt.NDArray[np.float64]] = []
    arrivals: list[npt.NDArray[np.float64]] = []
    for replication in range(replications):
        tables = simulate_replication(pilot, run_seed, replication)
        visits = tables.visits.sort_values(["customer", "contact", "queued"], kind="stable")
        first = visits.groupby("customer").first()
        wait = (first["started"].fillna(first["ended"]) - first["queued"]).to_numpy(dtype=float)
        customers = tables.customers.set_index("customer").loc[first.index]
        keep = ~np.isnan(wait)
        waits.append(wait[keep])
        arrivals.append(customers["arrived"].to_numpy(dtype=float)[keep])
    length = min(len(w) for w in waits)
    if length == 0:
        return WarmupSuggestion(0.0, 0, 0, replications)
    average = np.mean([w[:length] for w in waits], axis=0)
    deleted = mser(average)
    times = np.mean([a[:length] for a in arrivals], axis=0)
    warm_up = float(times[deleted - 1]) if deleted > 0 else 0.0
    return WarmupSuggestion(warm_up, deleted, length, replications)
