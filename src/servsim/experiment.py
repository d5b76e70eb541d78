"""Replications and confidence intervals: from one scenario to a summary a planner can trust.

Replication ``r`` of a run with seed ``s`` draws every random source from
``SeedSequence(s, spawn_key=(r, source))``, so a replication's numbers depend only on the
scenario, the seed and ``r``: never on how many replications run, in which order, or where.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from servsim.analysis import Archetype, archetype_scores, classify_archetype, importance_performance
from servsim.metrics import describe, replication_metrics
from servsim.model import simulate_replication
from servsim.records import IN_SYSTEM, RECORD_TYPES, RecordTables
from servsim.satisfaction import customer_satisfaction, moment_table, satisfaction_metrics
from servsim.scenario import Scenario
from servsim.streams import RandomStreams

CONFIDENCE = 0.95
OVERLOAD_SHARE = 0.05
OVERLOAD_OCCUPANCY = 0.97
OVERLOAD_MIN_CUSTOMERS = 20

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplicationResult:
    """One replication: its records, KPIs, moments of truth and customers' satisfaction."""

    replication: int
    metrics: dict[str, float]
    records: RecordTables
    warnings: tuple[str, ...] = ()
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes:
        scenario: the resolved scenario that was simulated.
        seed: the run's seed.
        summary: one row per metric: mean, std, n, 95% CI (``ci_low``, ``ci_high``, ``half_width``).
        replications: one row per replication, one column per metric.
        records: the record tables of every replication, with a ``replication`` column.
        warnings: things a user must know (an overloaded system, for instance).
        moments: every visible moment of truth (:func:`servsim.satisfaction.moment_table`),
            with a ``replication`` column.
        satisfaction: every judged customer's satisfaction and survey answers
            (:func:`servsim.satisfaction.customer_satisfaction`), with a ``replication`` column.
    """

    scenario: Scenario
    seed: int
    summary: pd.DataFrame
    replications: pd.DataFrame
    records: RecordTables
    warnings: tuple[str, ...] = field(default=())
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metric(self, name: str) -> dict[str, float]:
        """The summary row of one metric: mean, ci_low, ci_high, half_width, std, n."""
        values = self.summary.loc[name].to_numpy(dtype=np.float64)
        return dict(zip(map(str, self.summary.columns), values.tolist(), strict=True))

    @property
    def archetype(self) -> Archetype:
        """The archetype of the mean procedural and personal scores over replications."""
        means = self.summary["mean"]
        return classify_archetype(
            float(means.get("procedural_score", math.nan)),
            float(means.get("personal_score", math.nan)),
        )

    def importance_performance(
        self, importance: Literal["stated", "derived"] = "derived"
    ) -> pd.DataFrame:
        """Importance-performance of the moments of truth over every replication's customers."""
        return importance_performance(self.moments, self.satisfaction, self.scenario, importance)


def confidence_interval(
    values: pd.Series | np.ndarray, confidence: float = CONFIDENCE, signed: bool = False
) -> dict[str, float]:
    """Student-t confidence interval of a mean over replications (NaNs left out).

    Unless ``signed``, the interval of values that are all >= 0 is cut at 0.
    """
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    n = array.size
    if n == 0:
        return {
            "mean": math.nan,
            "std": math.nan,
            "n": 0.0,
            "half_width": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
        }
    mean = float(array.mean())
    std = float(array.std(ddof=1)) if n > 1 else math.nan
    # every metric is a count, a time, a cost or a share: an interval never goes below 0;
    # signed metrics (NPS, utilities) say so and keep the interval as computed
    floor = 0.0 if array.min() >= 0 and not signed else -math.inf
    half = (
        float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
    )
    return {
        "mean": mean,
        "std": std,
        "n": float(n),
        "half_width": half,
        "ci_low": max(mean - half, floor),
        "ci_high": mean + half,
    }


def summarise(replications: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per metric column of a per-replication table, with its confidence interval."""
    metric_columns = [c for c in replications.columns if c != "replication"]
    rows = {
        name: confidence_interval(replications[name], confidence, _signed(name))
        for name in metric_columns
    }
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "metric"
    return summary[["mean", "ci_low", "ci_high", "half_width", "std", "n"]]


def _signed(metric: str) -> bool:
    info = describe(metric)
    return info is not None and info.signed


def overload_warnings(
    tables: RecordTables, metrics: dict[str, float], scenario: Scenario, replication: int
) -> list[str]:
    """Name the pools that look overloaded: always busy, with a long queue left at the horizon.

    A queue left at the horizon alone is no sign of overload (a back office closed for the
    night has one); a pool busy nearly all its time on the floor *and* with a queue at the end
    is falling behind.
    """
    total = len(tables.customers)
    visits = tables.visits
    waiting = visits[(visits["outcome"] == IN_SYSTEM) & visits["started"].isna()]
    out = []
    for pool, count in waiting.groupby("pool").size().items():
        occupancy = metrics.get(f"occupancy[{pool}]", math.nan)
        many = count >= max(OVERLOAD_MIN_CUSTOMERS, OVERLOAD_SHARE * total)
        if occupancy >= OVERLOAD_OCCUPANCY and many:
            out.append(
                f"replication {replication}: pool '{pool}' was busy {occupancy:.0%} of its time "
                f"on the floor and {count} customers were still waiting for it at the horizon: "
                "demand looks beyond its capacity, and the time measures of the customers who "
                f"finished understate what customers live. Add staff to '{pool}' or shorten its "
                f"service (scenario '{scenario.name}')."
            )
    return out


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate one replication and compute its KPIs, moments of truth and satisfaction.

    The perception noise of the moments and the survey noise of customer satisfaction have
    random streams of their own (``"perception"``, ``"satisfaction"``), so computing
    satisfaction never moves the model's draws.
    """
    tables = simulate_replication(scenario, seed, replication)
    metrics = replication_metrics(tables, scenario)
    streams = RandomStreams(seed, replication)
    moments = moment_table(tables, scenario, streams.generator("perception"))
    satisfaction = customer_satisfaction(
        moments, tables, scenario, streams.generator("satisfaction")
    )
    metrics.update(satisfaction_metrics(moments, satisfaction, tables, scenario))
    metrics["procedural_score"], metrics["personal_score"] = archetype_scores(metrics)
    warnings = tuple(overload_warnings(tables, metrics, scenario, replication))
    return ReplicationResult(replication, metrics, tables, warnings, moments, satisfaction)


def _stack(results: list[ReplicationResult]) -> RecordTables:
    def stacked(name: str) -> pd.DataFrame:
        frames = [r.records.as_dict()[name].assign(replication=r.replication) for r in results]
        frames = [f for f in frames if not f.empty] or frames[:1]
        table = pd.concat(frames, ignore_index=True)
        return table[["replication", *[c for c in table.columns if c != "replication"]]]

    return RecordTables(**{name: stacked(name) for name in RECORD_TYPES})


def _stack_frames(frames: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per-replication tables stacked, with a ``replication`` column first."""
    parts = [frame.assign(replication=r) for r, frame in frames.items()]
    parts = [p for p in parts if not p.empty] or parts[:1]
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return table[["replication", *[c for c in table.columns if c != "replication"]]]


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Run independent replications of a scenario and summarise them with confidence intervals.

    Args:
        scenario: a scenario from :func:`servsim.load_scenario` (already resolved).
        replications: how many; the scenario's own ``replications`` when omitted.
        seed: the run's seed; the scenario's own ``seed`` when omitted.
        progress: called as ``progress(done, total)`` after each replication.
    """
    from servsim.scenario import resolve_scenario

    scenario = resolve_scenario(scenario)
    count = replications if replications is not None else scenario.replications
    run_seed = seed if seed is not None else scenario.seed
    if count < 1:
        raise ValueError(f"replications must be at least 1, got {count}")
    # the saved scenario must reproduce this run: it carries the replications and seed used
    scenario = scenario.model_copy(update={"replications": count, "seed": run_seed})
    results: list[ReplicationResult] = []
    for replication in range(count):
        results.append(run_replication(scenario, run_seed, replication))
        if progress is not None:
            progress(replication + 1, count)
    per_replication = pd.DataFrame([{"replication": r.replication, **r.metrics} for r in results])
    warnings = tuple(w for r in results for w in r.warnings)
    return SimulationResult(
        scenario=scenario,
        seed=run_seed,
        summary=summarise(per_replication),
        replications=per_replication,
        records=_stack(results),
        warnings=warnings,
        moments=_stack_frames({r.replication: r.moments for r in results}),
        satisfaction=_stack_frames({r.replication: r.satisfaction for r in results}),
    )
