"""One replication: the model's records, then KPIs, moments of truth and satisfaction.

What a worker runs (:mod:`servsim.executors`) and what a run stacks (:mod:`servsim.experiment`):
it sits below both, so neither imports the other to get it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from servsim.analysis import archetype_scores, importance_sums
from servsim.catalogue import column, lookup
from servsim.intervals import VISIT_SUMS, interval_bins, interval_sums, visit_sums
from servsim.metrics import add_batch, finish_metrics
from servsim.model import simulate_replication
from servsim.notices import FieldValue, Notice, Span
from servsim.records import RecordBatch, RecordTables, text_codes
from servsim.results.spool import TableSpool
from servsim.satisfaction import (
    add_satisfaction,
    customer_satisfaction,
    finish_satisfaction,
    moment_table,
)
from servsim.scenario import ResolvedScenario
from servsim.streams import RandomStreams
from servsim.tally import Tally

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
    """One replication: KPIs, interval sums; records, moments and satisfaction if kept.

    With ``records: summary`` the records, moments and satisfaction tables are empty.
    """

    replication: int
    metrics: dict[str, float]
    records: RecordTables
    warnings: tuple[RunWarning, ...] = ()
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)


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
    metrics: dict[str, float], customers: int, replication: int
) -> list[RunWarning]:
    """Name the pools that look overloaded or leave a backlog at the horizon.

    A queue left at the horizon alone is no sign of overload (a back office closed for the
    night has one); a pool busy nearly all its time on the floor *and* with a queue at the end
    is falling behind. Short of that, a queue of more than 1% of the arrivals still waiting at
    the horizon is named too: their waits are not in the time measures.

    Args:
        metrics: the replication's KPIs (``waiting_at_horizon`` and ``occupancy`` per pool).
        customers: every customer who arrived in the replication, warm-up included.
        replication: its number.
    """
    out = []
    for name, waiting in metrics.items():
        found = lookup(name)
        if found is None or found.metric.key != "waiting_at_horizon" or not waiting > 0:
            continue
        pool = str(found.subject)
        count = int(waiting)
        occupancy = metrics.get(column("occupancy", pool), math.nan)
        many = count >= max(OVERLOAD_MIN_CUSTOMERS, OVERLOAD_SHARE * customers)
        if occupancy >= OVERLOAD_OCCUPANCY and many:
            kind: Literal["overload", "backlog"] = "overload"
        elif count > BACKLOG_SHARE * customers:
            kind = "backlog"
        else:
            continue
        out.append(RunWarning(kind, pool, replication, occupancy, count, customers))
    return out


def describe_warnings(warnings: Sequence[RunWarning], replications: int) -> list[Notice]:
    """One notice per kind of warning and pool, saying in how many replications and how much.

    A notice, not a sentence: the CLI and the reports write it in the reader's language, and
    the run's manifest keeps its values (:mod:`servsim.notices`).
    """
    groups: dict[tuple[str, str], list[RunWarning]] = {}
    for warning in warnings:
        groups.setdefault((warning.kind, warning.pool), []).append(warning)
    out = []
    for (kind, pool), found in sorted(groups.items()):
        fields: dict[str, FieldValue] = {
            "pool": pool,
            "replications": len(found),
            "of": replications,
            "waiting": _span([w.waiting for w in found]),
        }
        if kind == "overload":
            fields["busy"] = _span([w.busy for w in found])
        else:
            fields["share"] = _span([w.waiting / max(w.arrivals, 1) for w in found])
        out.append(Notice(kind, fields))
    return out


def _span(values: Sequence[float]) -> Span:
    return Span(float(min(values)), float(max(values)))


def run_replication(
    scenario: ResolvedScenario, seed: int, replication: int, spool: Path | None = None
) -> ReplicationResult:
    """Simulate one replication and compute its KPIs, moments of truth and satisfaction.

    The records reach the measures in batches as the model runs (:class:`_Measures`), so with
    ``records: summary`` nothing grows with the number of customers; with ``full`` the
    records, moments and satisfaction tables are kept as well, in memory, or with ``spool``
    written batch by batch to Parquet files under that folder
    (:class:`servsim.results.spool.TableSpool`; the result's tables are then empty). The
    perception noise of the moments and the survey noise of customer satisfaction have random
    streams of their own (``"perception"``, ``"satisfaction"``), so computing satisfaction
    never moves the model's draws.
    """
    full = scenario.records == "full"
    writer = TableSpool(spool, replication) if spool is not None and full else None
    measures = _Measures(scenario, RandomStreams(seed, replication), writer)
    try:
        tables = simulate_replication(
            scenario, seed, replication, measures.add, full and writer is None
        )
    finally:
        if writer is not None:
            writer.close()
    metrics = measures.metrics()
    metrics["procedural_score"], metrics["personal_score"] = archetype_scores(metrics)
    customers = int(measures.kpis.sum_of("customers_all"))
    warnings = tuple(overload_warnings(metrics, customers, replication))
    return ReplicationResult(
        replication,
        metrics,
        tables,
        warnings,
        measures.moments(),
        measures.answers(),
        measures.intervals(),
        measures.importance(),
    )


class _Measures:
    """Everything a replication measures, added to batch by batch as the model hands them on.

    Per batch: the KPI sums (:func:`servsim.metrics.add_batch`), the interval view's sums, the
    batch's moments of truth and its customers' satisfaction. A moment's trailing occupancy
    needs the busy time of visits in earlier batches too: those that end within the window
    before the earliest moment still to come are kept, the rest let go.
    """

    def __init__(
        self, scenario: ResolvedScenario, streams: RandomStreams, spool: TableSpool | None
    ) -> None:
        self.scenario = scenario
        self.spool = spool
        self.keep = scenario.records == "full" and spool is None
        self.kpis = Tally(keep_values=scenario.records == "full")
        self.satisfaction = Tally(keep_values=scenario.records == "full")
        self.perception = streams.counter("perception")
        self.survey = streams.counter("satisfaction")
        self.length = scenario.reporting.interval
        pools = sum(1 for _ in scenario.staff.pools())
        self.visit_sums = np.zeros((pools, interval_bins(scenario, self.length), len(VISIT_SUMS)))
        self.history = pd.DataFrame({"pool": pd.Series(dtype=object), "started": [], "ended": []})
        self.importance_sums: list[pd.DataFrame] = []
        self.kept_moments: list[pd.DataFrame] = []
        self.kept_answers: list[pd.DataFrame] = []
        self.staffing = pd.DataFrame()
        self.training = pd.DataFrame()

    def add(self, batch: RecordBatch) -> None:
        """Count one batch of records."""
        scenario = self.scenario
        tables = batch.tables
        add_batch(self.kpis, tables, scenario)
        staffed = tables.visits[text_codes(tables.visits["pool"], [""]) != 0]
        self.visit_sums += visit_sums(staffed, scenario, self.length)
        busy = pd.concat([self.history, batch.busy], ignore_index=True)
        moments = moment_table(tables, scenario, self.perception, busy)
        answers = customer_satisfaction(moments, tables, scenario, self.survey)
        add_satisfaction(self.satisfaction, moments, answers, tables, scenario)
        self.importance_sums.append(importance_sums(moments, answers, scenario))
        if self.keep:
            self.kept_moments.append(moments)
            self.kept_answers.append(answers)
        elif self.spool is not None:
            for name in ("customers", "contacts", "visits"):
                self.spool.write(name, tables.as_dict()[name])
            if batch.final:  # the whole history of the few staffing and training records
                self.spool.write("staffing", tables.staffing)
                self.spool.write("training", tables.training)
            self.spool.write("moments", moments)
            self.spool.write("satisfaction", answers)
        cutoff = batch.open_since - scenario.satisfaction.occupancy_window
        served = staffed[["pool", "started", "ended"]]
        served = served[served["started"].notna() & (served["ended"] >= cutoff)]
        history = self.history[self.history["ended"] >= cutoff]
        self.history = pd.concat([history, served], ignore_index=True)
        self.staffing, self.training = tables.staffing, tables.training

    def metrics(self) -> dict[str, float]:
        """The replication's KPIs, once the last batch is in."""
        out = finish_metrics(self.kpis, self.staffing, self.training, self.scenario)
        out.update(finish_satisfaction(self.satisfaction, self.scenario))
        return out

    def intervals(self) -> pd.DataFrame:
        """The interval view's sums per pool and interval (:func:`.intervals.interval_sums`)."""
        return interval_sums(self.visit_sums, self.staffing, self.scenario, self.length)

    def importance(self) -> pd.DataFrame:
        """The importance-performance sums per touchpoint (:func:`.analysis.importance_sums`)."""
        parts = [p for p in self.importance_sums if not p.empty]
        if not parts:
            return self.importance_sums[0] if self.importance_sums else pd.DataFrame()
        summed = pd.concat(parts).groupby(level="touchpoint", sort=False).sum()
        return summed.reset_index()

    def moments(self) -> pd.DataFrame:
        """Every moment of truth, by customer and time (empty with ``records: summary``)."""
        return _joined(self.kept_moments, ["customer", "time"])

    def answers(self) -> pd.DataFrame:
        """Every judged customer's satisfaction, by customer (empty with ``summary``)."""
        return _joined(self.kept_answers, ["customer"])


def _joined(frames: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """The batches' tables as one, in ``order`` (a stable sort: ties keep batch order).

    The keys are numbers, so ``numpy.lexsort`` sorts them: the same order as pandas'
    stable ``sort_values`` (NaN last), without factorising every key first.
    """
    frames = [f for f in frames if not f.empty] or frames[:1]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    keys = [table[name].to_numpy() for name in reversed(order)]
    if all(key.dtype.kind in "iuf" for key in keys):
        return table.take(np.lexsort(keys)).reset_index(drop=True)
    return table.sort_values(order, kind="stable").reset_index(drop=True)
