"""Replications and confidence intervals: from one scenario to a summary a planner can trust.

Replication ``r`` of a run with seed ``s`` draws every random source from
``SeedSequence(s, spawn_key=(r, source))``, so a replication's numbers depend only on the
scenario, the seed and ``r``: never on how many replications run, in which order, or where.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from servsim.analysis import (
    Archetype,
    classify_archetype,
    importance_of,
)
from servsim.executors import (
    Executor,
    ProcessExecutor,
    auto_workers,
    batches,
    run_replications,
    task_for,
)
from servsim.model.arrivals import expected_arrivals
from servsim.notices import FieldValue, Notice
from servsim.records import RECORD_TYPES, RecordTables
from servsim.replication import ReplicationResult, describe_warnings, run_replication
from servsim.scenario import (
    REPLICATIONS_AUTO,
    Precision,
    ResolvedScenario,
    Scenario,
    ScenarioError,
    resolve_scenario,
)
from servsim.statistics import CONFIDENCE, metric_interval, summarise

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class StoppingReport:
    """How ``replications: auto`` decided how many replications to run.

    Attributes:
        target: the relative half-width aimed at (0.05: the CI within ±5% of the mean).
        metrics: the metrics judged (those with no value in any replication are in ``skipped``).
        replications: how many ran.
        reached: whether every judged metric met the target (False: the cap stopped the run).
        max_replications: the cap.
        relative_half_widths: per metric, CI half-width / |mean| after the last replication;
            0 when every replication gave the same value, inf for a spread around a mean of 0,
            NaN with fewer than two values.
        half_widths: per metric, the CI half-width in the metric's unit.
        unmet: the metrics still above the target (empty when ``reached``).
        skipped: metrics with no value in any replication, which cannot be judged.
        absolute_half_widths: the absolute half-widths that also counted as precise enough.
        confidence: the confidence level of the intervals.
    """

    target: float
    metrics: tuple[str, ...]
    replications: int
    reached: bool
    max_replications: int
    relative_half_widths: dict[str, float]
    half_widths: dict[str, float]
    unmet: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    absolute_half_widths: dict[str, float] = field(default_factory=dict)
    confidence: float = CONFIDENCE

    def describe(self) -> str:
        """One line for the command line and the run's manifest, in English."""
        return self.notice().render("en")

    def notice(self) -> Notice:
        """How the number of replications was decided, as data the CLI and report can say."""
        judged = [m for m in self.metrics if m not in self.skipped]
        extra: list[Notice] = []
        if self.reached:
            absolute = self.absolute_half_widths
            by_absolute = tuple(
                Notice("stopping.absolute", {"metric": m, "half_width": absolute[m]})
                for m in judged
                if m in self.absolute_half_widths and self.relative_half_widths[m] > self.target
            )
            if by_absolute:
                extra.append(Notice("stopping.by_absolute", {"absolute": by_absolute}))
        if self.skipped:
            extra.append(Notice("stopping.skipped", {"metrics": ", ".join(self.skipped)}))
        common: dict[str, FieldValue] = {"target": self.target, "extra": tuple(extra)}
        if self.reached:
            return Notice(
                "stopping.reached",
                {
                    **common,
                    "replications": self.replications,
                    "confidence": self.confidence,
                    "metrics": _names(judged),
                },
            )
        return Notice(
            "stopping.cap",
            {**common, "cap": self.max_replications, "shortfalls": self.shortfalls()},
        )

    def shortfall(self, metric: str) -> str:
        """How far a metric is from the target, e.g. ``resolution_time still ±7.2%``."""
        return self.shortfall_notice(metric).render("en")

    def shortfall_notice(self, metric: str) -> Notice:
        """:meth:`shortfall` as data."""
        relative = self.relative_half_widths[metric]
        if math.isnan(relative):
            return Notice("shortfall.too_few", {"metric": metric})
        if math.isinf(relative):
            return Notice(
                "shortfall.around_zero", {"metric": metric, "half_width": self.half_widths[metric]}
            )
        return Notice("shortfall.relative", {"metric": metric, "relative": relative})

    def shortfalls(self) -> tuple[Notice, ...]:
        """Every unmet metric's shortfall."""
        return tuple(self.shortfall_notice(m) for m in self.unmet)


def _names(metrics: Sequence[str]) -> tuple[Notice, ...]:
    """Metric keys as a list a notice writes (``no metric`` when empty)."""
    if not metrics:
        return (Notice("stopping.no_metric"),)
    return tuple(Notice("stopping.metric", {"metric": m}) for m in metrics)


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes:
        scenario: the resolved scenario that was simulated (what a run saves), with the seed
            and the number of replications the run used.
        seed: the run's seed.
        summary: one row per metric: mean, std, n, 95% CI (``ci_low``, ``ci_high``, ``half_width``).
        replications: one row per replication, one column per metric.
        records: the record tables of every replication, with a ``replication`` column.
        notices: things a user must know (an overloaded system, for instance), one notice
            per kind and pool, aggregated over replications (:mod:`servsim.notices`: data the
            CLI and the reports say in the reader's language); ``warnings`` is their English
            text.
        overloaded: the pools found overloaded in at least one replication; a verdict about
            the service (the archetype) is read with that in mind.
        moments: every visible moment of truth (:func:`servsim.satisfaction.moment_table`),
            with a ``replication`` column.
        satisfaction: every judged customer's satisfaction and survey answers
            (:func:`servsim.satisfaction.customer_satisfaction`), with a ``replication`` column.
        stopping: with ``replications: auto``, how the number of replications was decided;
            None for a fixed number.
        intervals: the interval view's sums per replication, pool and interval
            (:func:`servsim.intervals.interval_sums`): what :func:`~servsim.intervals.
            interval_table` and :func:`~servsim.intervals.day_table` read, whatever
            ``records`` kept.
        importance: the importance-performance sums per replication and touchpoint
            (:func:`servsim.analysis.importance_sums`), whatever ``records`` kept.
        spool: where the record, moment and satisfaction tables were written instead of
            ``records``, ``moments`` and ``satisfaction`` (``simulate(..., spool=)``).
    """

    scenario: ResolvedScenario
    seed: int
    summary: pd.DataFrame
    replications: pd.DataFrame
    records: RecordTables
    notices: tuple[Notice, ...] = field(default=())
    moments: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)
    stopping: StoppingReport | None = None
    overloaded: tuple[str, ...] = field(default=())
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    spool: Path | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notices in English, one line each: for logs and readers of plain text."""
        return tuple(notice.render("en") for notice in self.notices)

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
        return importance_of(
            self.importance, self.moments, self.satisfaction, self.scenario, importance
        )


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


def expected_customers(scenario: ResolvedScenario) -> float:
    """Mean first arrivals in one replication: the measure of a run's work."""
    return expected_arrivals(scenario.arrivals, scenario.calendar, scenario.horizon.length)


def simulate(
    scenario: Scenario,
    replications: int | Literal["auto"] | None = None,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    *,
    workers: int | Literal["auto"] | None = None,
    executor: Executor | None = None,
    spool: Path | None = None,
) -> SimulationResult:
    """Run independent replications of a scenario and summarise them with confidence intervals.

    Replication ``r`` depends only on (scenario, seed, ``r``), so the result is the same
    whether replications run here, on local processes or on a cluster, and a run stopped by
    ``replications: auto`` after n replications equals a run of n.

    Args:
        scenario: a scenario from :func:`servsim.load_scenario`, resolved here once (a
            :class:`~servsim.scenario.ResolvedScenario` is used as it is).
        replications: how many, or ``"auto"`` to add replications until the scenario's
            ``precision`` is met; the scenario's own ``replications`` when omitted.
        seed: the run's seed; the scenario's own ``seed`` when omitted.
        progress: called as ``progress(done, total)`` as replications finish; with ``auto``,
            ``total`` is the number planned so far and grows as batches are added.
        workers: more than 1 runs replications on that many local processes (closed
            afterwards); None or 1 runs them in this process; ``"auto"`` uses every core when
            the expected work outweighs starting the processes
            (:func:`servsim.executors.auto_workers`), else this process.
        executor: an executor to run replications on (left open); instead of ``workers``.
        spool: with ``records: full``, a folder (on this machine, where every worker can
            write) the records, moments and answers go to batch by batch instead of staying
            in memory; the result's tables are then empty and
            :func:`servsim.results.save_run` joins the files into the run folder's tables.

    Raises:
        ScenarioError: ``precision.metrics`` names a metric this scenario does not report.
    """
    resolved = resolve_scenario(scenario)
    requested = replications if replications is not None else resolved.replications
    run_seed = seed if seed is not None else resolved.seed
    if isinstance(requested, str):
        if requested != REPLICATIONS_AUTO:
            raise ValueError(f"replications must be a number or 'auto', got {requested!r}")
    elif requested < 1:
        raise ValueError(f"replications must be at least 1, got {requested}")
    if workers == "auto":
        planned = requested if isinstance(requested, int) else resolved.precision.min_replications
        work = expected_customers(resolved) * planned
        workers = 1 if executor is not None else auto_workers(work)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers is not None and workers > 1 and executor is not None:
        raise ValueError("give workers or an executor, not both")
    resolved = resolved.model_copy(update={"seed": run_seed})
    owned = ProcessExecutor(workers) if executor is None and workers and workers > 1 else None
    runner = _Runner(resolved, run_seed, executor or owned, progress, spool)
    try:
        if isinstance(requested, str):
            stopping = _run_until_precise(runner, resolved.precision)
        else:
            runner.run(range(requested))
            stopping = None
    finally:
        if owned is not None:
            owned.close()
    results = runner.results
    per_replication = runner.table()
    found = [w for r in results for w in r.warnings]
    warnings = tuple(describe_warnings(found, len(results)))
    overloaded = tuple(sorted({w.pool for w in found if w.kind == "overload"}))
    if stopping is not None and not stopping.reached:
        warnings += (_cap_warning(stopping, resolved),)
    # the saved scenario must reproduce this run: it carries the replications and seed used
    resolved = resolved.model_copy(update={"replications": len(results)})
    return SimulationResult(
        scenario=resolved,
        seed=run_seed,
        summary=summarise(per_replication),
        replications=per_replication,
        records=_stack(results),
        notices=warnings,
        moments=_stack_frames({r.replication: r.moments for r in results}),
        satisfaction=_stack_frames({r.replication: r.satisfaction for r in results}),
        stopping=stopping,
        overloaded=overloaded,
        intervals=_stack_frames({r.replication: r.intervals for r in results}),
        importance=_stack_frames({r.replication: r.importance for r in results}),
        spool=spool if resolved.records == "full" else None,
    )


class _Runner:
    """Runs replications of one scenario, here or on an executor, and keeps them in order."""

    def __init__(
        self,
        scenario: ResolvedScenario,
        seed: int,
        executor: Executor | None,
        progress: ProgressCallback | None,
        spool: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.executor = executor
        self.progress = progress
        self.spool = spool
        self.results: list[ReplicationResult] = []

    def run(self, replications: Sequence[int]) -> None:
        """Run these replications (numbers after those already run) and add them in order."""
        total = len(self.results) + len(replications)
        new: list[ReplicationResult] = []
        if self.executor is None:
            for replication in replications:
                new.append(run_replication(self.scenario, self.seed, replication, self.spool))
                self._report(len(self.results) + len(new), total)
        else:
            tasks = [
                task_for(0, self.scenario, self.seed, batch, self.spool)
                for batch in batches(replications, self.executor.workers)
            ]
            for batch_results in self.executor.map_unordered(run_replications, tasks):
                new.extend(batch_results)
                self._report(len(self.results) + len(new), total)
        self.results.extend(sorted(new, key=lambda r: r.replication))

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def table(self) -> pd.DataFrame:
        """One row per replication so far, one column per metric."""
        return pd.DataFrame([{"replication": r.replication, **r.metrics} for r in self.results])


@dataclass(frozen=True)
class PrecisionAssessment:
    """The precision of the judged metrics after some replications, and what more it needs."""

    relative: dict[str, float]
    half_widths: dict[str, float]
    unmet: tuple[str, ...]
    skipped: tuple[str, ...]
    needed: int  # replications the n ∝ (h / target)² rule asks for in all


def assess_precision(
    table: pd.DataFrame, metrics: Sequence[str], precision: Precision
) -> PrecisionAssessment:
    """Judge each metric's confidence interval against the target (rules in :class:`Precision`)."""
    n = len(table)
    target = precision.relative_half_width
    relative: dict[str, float] = {}
    half_widths: dict[str, float] = {}
    unmet: list[str] = []
    skipped: list[str] = []
    needed = n
    for metric in metrics:
        values = table[metric] if metric in table.columns else pd.Series(dtype=float)
        ci = metric_interval(values, metric)
        mean, half = ci["mean"], ci["half_width"]
        half_widths[metric] = half
        absolute = precision.absolute_half_width.get(metric)
        if ci["n"] == 0:
            relative[metric] = math.nan
            skipped.append(metric)
            continue
        if math.isnan(half):  # one value only: no spread to judge yet
            relative[metric] = math.nan
            unmet.append(metric)
            needed = max(needed, 2 * n)
            continue
        if half == 0:
            relative[metric] = 0.0
        else:
            relative[metric] = half / abs(mean) if mean != 0 else math.inf
        if relative[metric] <= target or (absolute is not None and half <= absolute):
            continue
        unmet.append(metric)
        wanted = [n * (relative[metric] / target) ** 2]
        if absolute is not None:
            wanted.append(n * (half / absolute) ** 2)
        enough = min(wanted)
        cap = precision.max_replications
        needed = max(needed, math.ceil(enough) if math.isfinite(enough) else cap)
    return PrecisionAssessment(relative, half_widths, tuple(unmet), tuple(skipped), needed)


def _run_until_precise(runner: _Runner, precision: Precision) -> StoppingReport:
    """Run ``min_replications``, then batches sized by the n ∝ (h / target)² rule.

    A batch brings the total to what the rule says the least precise metric needs: at least
    one more replication, at most the cap. The decision depends only on the replications'
    values, never on the workers, so the count (and the result) is the same everywhere.
    """
    cap = precision.max_replications
    runner.run(range(precision.min_replications))
    metrics = _judged_metrics(runner.table(), precision, runner.scenario)
    while True:
        count = len(runner.results)
        assessment = assess_precision(runner.table(), metrics, precision)
        if not assessment.unmet or count >= cap:
            break
        runner.run(range(count, min(cap, max(count + 1, assessment.needed))))
    return StoppingReport(
        target=precision.relative_half_width,
        metrics=tuple(metrics),
        replications=count,
        reached=not assessment.unmet,
        max_replications=cap,
        relative_half_widths=assessment.relative,
        half_widths=assessment.half_widths,
        unmet=assessment.unmet,
        skipped=assessment.skipped,
        absolute_half_widths=dict(precision.absolute_half_width),
    )


def _judged_metrics(table: pd.DataFrame, precision: Precision, scenario: Scenario) -> list[str]:
    """The metrics to judge; a named one the scenario does not report is an error.

    Of the default five standards, one a scenario does not report is simply left out.
    """
    if precision.metrics is None:
        return [m for m in precision.judged_metrics() if m in table.columns]
    columns = [c for c in table.columns if c != "replication"]
    missing = [m for m in precision.metrics if m not in columns]
    if missing:
        raise ScenarioError(
            f"scenario '{scenario.name}'",
            [
                f"precision.metrics: {', '.join(repr(m) for m in missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not reported by this scenario; "
                f"allowed: {', '.join(columns)}"
            ],
        )
    return list(precision.metrics)


def _cap_warning(stopping: StoppingReport, scenario: Scenario) -> Notice:
    """The warning of a run that ``replications: auto`` stopped at its cap, as data."""
    means_zero = any(math.isinf(stopping.relative_half_widths[m]) for m in stopping.unmet)
    return Notice(
        "replications_cap_near_zero" if means_zero else "replications_cap",
        {
            "cap": stopping.max_replications,
            "confidence": stopping.confidence,
            "target": stopping.target,
            "shortfalls": stopping.shortfalls(),
            "scenario": scenario.name,
        },
    )


def fixed_replications(scenario: Scenario, given: int | None, purpose: str) -> int:
    """The replications of a comparison or a sweep: ``given``, else the scenario's own number.

    Common random numbers pair replication i of every scenario or point, so all need the same
    count; ``replications: auto`` decides per run and cannot be honoured there.

    Raises:
        ValueError: neither ``given`` nor the scenario names a number (it says ``auto``).
    """
    count = given if given is not None else scenario.replications
    if isinstance(count, int):
        return count
    raise ValueError(
        f"replications: auto is for `servsim run`; {purpose} needs the same number of "
        f"replications everywhere: give one (--replications N, or replications: N) for "
        f"'{scenario.name}'"
    )
