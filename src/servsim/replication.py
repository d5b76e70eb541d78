"""One replication: the model's records, then KPIs, moments of truth and satisfaction.

What a worker runs (:mod:`servsim.executors`) and what a run stacks (:mod:`servsim.experiment`):
it sits below both, so neither imports the other to get it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from servsim.analysis import archetype_scores
from servsim.catalogue import column
from servsim.metrics import replication_metrics
from servsim.model import simulate_replication
from servsim.records import IN_SYSTEM, RecordTables
from servsim.satisfaction import customer_satisfaction, moment_table, satisfaction_metrics
from servsim.scenario import ResolvedScenario, Scenario
from servsim.streams import RandomStreams

__all__ = ["ReplicationResult", "overload_warnings", "run_replication"]

OVERLOAD_SHARE = 0.05
OVERLOAD_OCCUPANCY = 0.97
OVERLOAD_MIN_CUSTOMERS = 20


@dataclass(frozen=True)
class ReplicationResult:
    """One replication: its records, KPIs, moments of truth and customers' satisfaction."""

    replication: int
    metrics: dict[str, float]
    records: RecordTables
    warnings: tuple[str, ...] = ()
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)



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
        occupancy = metrics.get(column("occupancy", str(pool)), math.nan)
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
    warnings = tuple(overload_warnings(tables, metrics, scenario, replication))
    return ReplicationResult(replication, metrics, tables, warnings, moments, satisfaction)
