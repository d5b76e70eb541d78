"""One replication: the model's records, then KPIs, moments of truth and satisfaction.

What a worker runs (:mod:`servsim.executors`) and what a run stacks (:mod:`servsim.experiment`):
it sits below both, so neither imports the other to get it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from servsim.analysis import archetype_scores
from servsim.catalogue import column
from servsim.metrics import replication_metrics
from servsim.model import simulate_replication
from servsim.records import IN_SYSTEM, RecordTables
from servsim.satisfaction import customer_satisfaction, moment_table, satisfaction_metrics
from servsim.scenario import ResolvedScenario
from servsim.streams import RandomStreams

__all__ = [
    "ReplicationResult",
    "RunWarning",
    "describe_warnings",
    "overload_warnings",
    "run_replication",
]

OVERLOAD_SHARE = 0.05
OVERLOAD_OCCUPANCY = 0.97
OVERLOAD_MIN_CUSTOMERS = 20
BACKLOG_SHARE = 0.01
"""A queue at the horizon above this share of arrivals is named (docs/model.md §9)."""


@dataclass(frozen=True)
class ReplicationResult:
    """One replication: its records, KPIs, moments of truth and customers' satisfaction."""

    replication: int
    metrics: dict[str, float]
    records: RecordTables
    warnings: tuple[RunWarning, ...] = ()
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class RunWarning:
    """Something a planner must know about one replication, as data, not as text.

    Runs aggregate these across replications (:func:`describe_warnings`), so ten replications
    of one overloaded pool give one line, not ten.

    Attributes:
        kind: ``overload`` (busy nearly all the time with a queue left at the horizon) or
            ``backlog`` (more than 1% of arrivals still waiting for the pool at the horizon).
        pool: the staff pool concerned.
        replication: the replication it happened in.
        busy: the pool's occupancy in that replication.
        waiting: customers still waiting for the pool at the horizon.
        arrivals: customers who arrived in that replication.
    """

    kind: Literal["overload", "backlog"]
    pool: str
    replication: int
    busy: float
    waiting: int
    arrivals: int


def overload_warnings(
    tables: RecordTables, metrics: dict[str, float], replication: int
) -> list[RunWarning]:
    """Name the pools that look overloaded or leave a backlog at the horizon.

    A queue left at the horizon alone is no sign of overload (a back office closed for the
    night has one); a pool busy nearly all its time on the floor *and* with a queue at the end
    is falling behind. Short of that, a queue of more than 1% of the arrivals still waiting at
    the horizon is named too: their waits are not in the time measures.
    """
    total = len(tables.customers)
    visits = tables.visits
    waiting = visits[(visits["outcome"] == IN_SYSTEM) & visits["started"].isna()]
    out = []
    for pool, count in waiting.groupby("pool").size().items():
        occupancy = metrics.get(column("occupancy", str(pool)), math.nan)
        many = count >= max(OVERLOAD_MIN_CUSTOMERS, OVERLOAD_SHARE * total)
        if occupancy >= OVERLOAD_OCCUPANCY and many:
            kind: Literal["overload", "backlog"] = "overload"
        elif count > BACKLOG_SHARE * total:
            kind = "backlog"
        else:
            continue
        out.append(RunWarning(kind, str(pool), replication, occupancy, int(count), total))
    return out


def describe_warnings(warnings: Sequence[RunWarning], replications: int) -> list[str]:
    """One line per kind of warning and pool, saying in how many replications and how much."""
    groups: dict[tuple[str, str], list[RunWarning]] = {}
    for warning in warnings:
        groups.setdefault((warning.kind, warning.pool), []).append(warning)
    lines = []
    for (kind, pool), found in sorted(groups.items()):
        busy = _span([w.busy for w in found], "{:.0%}")
        waiting = _span([w.waiting for w in found], "{:,}")
        share = _span([w.waiting / max(w.arrivals, 1) for w in found], "{:.1%}")
        where = f"in {len(found)} of {replications} replications"
        if kind == "overload":
            lines.append(
                f"pool '{pool}' overloaded {where}: busy {busy} of its time on the floor, "
                f"{waiting} customers still waiting at the horizon. Demand looks beyond its "
                "capacity and the time measures of those who finished understate what "
                f"customers live: add staff to '{pool}' or shorten its service."
            )
        else:
            lines.append(
                f"pool '{pool}' left a backlog {where}: {waiting} customers ({share} of "
                "arrivals) still waiting at the horizon; their waits are not in the time "
                "measures."
            )
    return lines


def _span(values: Sequence[float], style: str) -> str:
    low, high = min(values), max(values)
    return style.format(low) if low == high else f"{style.format(low)}–{style.format(high)}"


def run_replication(scenario: ResolvedScenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate one replication and compute its KPIs, moments of truth and satisfaction.

    The perception noise of the moments and the survey noise of customer satisfaction have
    random streams of their own (``"perception"``, ``"satisfaction"``), so computing
    satisfaction never moves the model's draws.
    """
    tables = simulate_replication(scenario, seed, replication)
    metrics = replication_metrics(tables, scenario)
    streams = RandomStreams(seed, replication)
    moments = moment_table(tables, scenario, streams.counter("perception"))
    satisfaction = customer_satisfaction(
        moments, tables, scenario, streams.generator("satisfaction")
    )
    metrics.update(satisfaction_metrics(moments, satisfaction, tables, scenario))
    metrics["procedural_score"], metrics["personal_score"] = archetype_scores(metrics)
    warnings = tuple(overload_warnings(tables, metrics, replication))
    return ReplicationResult(replication, metrics, tables, warnings, moments, satisfaction)
