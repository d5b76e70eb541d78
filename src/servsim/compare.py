"""Comparing scenarios under common random numbers: paired differences a planner can trust.

Every scenario runs replications 0..n-1 with the same seed, so replication r of each sees the
same arrivals and the same customer draws; the difference between two scenarios is then
measured replication by replication (paired), and its confidence interval is far narrower than
the one two independent runs would give: differences are not noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from servsim.catalogue import unit_of
from servsim.executors import Executor, SerialExecutor, run_task, task_for
from servsim.experiment import fixed_replications
from servsim.notices import Notice
from servsim.presentation import is_exact, mean_cell
from servsim.scenario import ResolvedScenario, Scenario, resolve_scenario
from servsim.scenario.paths import differing_paths
from servsim.statistics import CONFIDENCE, confidence_interval, metric_interval, valid_range

COMPARE_HEADLINE = (
    "service_level_offered",
    "goal_met",
    "abandonment",
    "staff_cost",
    "cost_per_resolved_issue",
    "csat_mean",
    "nps",
)
"""What a comparison shows after the five standards (and occupancy per pool), in the terminal
and in its report: what a staffing or design change is usually judged on, cost and
satisfaction included."""


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side and their differences to the first.

    Attributes:
        names: the scenarios' names, the first is the reference.
        replications: one row per scenario and replication, one column per metric.
        summary: one row per scenario and metric: mean and 95% CI.
        differences: one row per other scenario and metric: the paired difference to the
            reference (mean, CI, ``significant``; ``exact`` when it is the same in every
            replication, and then never significant), the unpaired CI for comparison, and a ``note``
            where the difference means nothing (service levels against different targets).
        inputs: per other scenario, every input that differs from the reference, as
            ``(path, reference value, its value)``: a comparison is about what was changed, and
            anything else that differs is named so no effect is misattributed.
        notes: per other scenario, why some of its differences are not compared, as data the
            CLI says in the reader's language (the saved ``note`` column is its English text).
    """

    names: tuple[str, ...]
    replications: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    inputs: dict[str, tuple[tuple[str, Any, Any], ...]] = field(default_factory=dict)
    notes: dict[str, Notice] = field(default_factory=dict)

    def wide(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Metric rows, one column per scenario, each cell ``mean [low .. high]`` in its unit."""
        summary = self.summary
        if metrics is not None:
            summary = summary[summary["metric"].isin(metrics)]
        cells = summary.assign(
            cell=[
                mean_cell(m, lo, hi, unit_of(metric))
                for metric, m, lo, hi in zip(
                    summary["metric"],
                    summary["mean"],
                    summary["ci_low"],
                    summary["ci_high"],
                    strict=True,
                )
            ]
        )
        table = cells.pivot(index="metric", columns="scenario", values="cell")
        order = list(dict.fromkeys(summary["metric"]))
        return table.loc[order, list(self.names)]


def paired_difference(
    reference: np.ndarray,
    other: np.ndarray,
    confidence: float = CONFIDENCE,
    valid: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Mean of other - reference over paired replications, its CI, and the unpaired CI width.

    ``valid`` is the range the metric itself can take: a difference of two such values lies
    within plus or minus its width (two shares differ by at most 100 points), and the
    interval, symmetric by construction, is cut there, as a metric's own interval is.
    Replications where either value is missing (NaN) are left out of the pair. A difference
    the same in every replication (staff cost under fixed staffing) is ``exact``: its interval
    has no width, so no test applies and it is never ``significant``, which a reader of the
    saved table would otherwise take as evidence of an effect.
    """
    keep = ~(np.isnan(reference) | np.isnan(other))
    a, b = reference[keep], other[keep]
    span = None if valid is None else valid[1] - valid[0]
    bounds = None if span is None or math.isinf(span) else (-span, span)
    paired = confidence_interval(b - a, confidence, signed=True, valid=bounds)  # it has a sign
    n_a, n_b = a.size, b.size
    if n_a > 1 and n_b > 1:
        var = a.var(ddof=1) / n_a + b.var(ddof=1) / n_b
        # Welch's degrees of freedom for the unpaired interval
        dof = (
            var**2
            / ((a.var(ddof=1) / n_a) ** 2 / (n_a - 1) + (b.var(ddof=1) / n_b) ** 2 / (n_b - 1))
            if var > 0
            else max(n_a + n_b - 2, 1)
        )
        unpaired = float(stats.t.ppf(0.5 + confidence / 2, dof) * math.sqrt(var))
    else:
        unpaired = math.nan
    low, high = paired["ci_low"], paired["ci_high"]
    exact = is_exact(paired["mean"], low, high)
    return {
        "difference": paired["mean"],
        "ci_low": low,
        "ci_high": high,
        "half_width": paired["half_width"],
        "unpaired_half_width": unpaired,
        "significant": float(not exact and not math.isnan(low) and (low > 0 or high < 0)),
        "exact": float(exact),
        "n": paired["n"],
    }


def compare(
    scenarios: Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run scenarios under common random numbers and compare each with the first.

    Args:
        scenarios: two or more scenarios (as written or resolved; each is resolved once here);
            the first is the reference.
        replications: per scenario; the reference scenario's own when omitted.
        seed: shared by all; the reference scenario's own when omitted.
        executor: where to run; in this process when omitted.
        progress: called as ``progress(replications_done, replications_total)`` over every
            scenario's replications, as they finish.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = unique_names([s.name for s in scenarios])
    count = fixed_replications(scenarios[0], replications, "a comparison")
    run_seed = seed if seed is not None else scenarios[0].seed
    executor = executor or SerialExecutor()
    resolved = [resolve_scenario(s) for s in scenarios]
    tasks = [task_for(i, s, run_seed, [r]) for i, s in enumerate(resolved) for r in range(count)]
    rows = []
    if progress is not None:
        progress(0, len(tasks))
    for done, result in enumerate(executor.map_unordered(run_task, tasks), start=1):
        if result.error is not None:
            raise RuntimeError(f"scenario '{names[result.key]}' failed: {result.error}")
        for replication, metrics in result.metrics:
            rows.append({"scenario": names[result.key], "replication": replication, **metrics})
        if progress is not None:
            progress(done, len(tasks))
    table = pd.DataFrame(rows)
    table["_order"] = table["scenario"].map({n: i for i, n in enumerate(names)})
    table = (
        table.sort_values(["_order", "replication"]).drop(columns="_order").reset_index(drop=True)
    )
    metrics_columns = [c for c in table.columns if c not in ("scenario", "replication")]

    summary_rows = []
    for name in names:
        mine = table[table["scenario"] == name]
        for metric in metrics_columns:
            summary_rows.append(
                {
                    "scenario": name,
                    "metric": metric,
                    **metric_interval(mine[metric].to_numpy(dtype=float), metric),
                }
            )
    difference_rows = []
    reference = table[table["scenario"] == names[0]].set_index("replication")
    for name in names[1:]:
        other = table[table["scenario"] == name].set_index("replication").loc[reference.index]
        for metric in metrics_columns:
            difference_rows.append(
                {
                    "scenario": name,
                    "reference": names[0],
                    "metric": metric,
                    **paired_difference(
                        reference[metric].to_numpy(dtype=float),
                        other[metric].to_numpy(dtype=float),
                        valid=valid_range(metric),
                    ),
                }
            )
    summary = pd.DataFrame(summary_rows)[
        ["scenario", "metric", "mean", "ci_low", "ci_high", "half_width", "std", "n"]
    ]
    differences = pd.DataFrame(difference_rows)
    inputs = {
        name: tuple(input_differences(resolved[0], other))
        for name, other in zip(names[1:], resolved[1:], strict=True)
    }
    notes = _incomparable(resolved, names)
    differences = _refuse_incomparable(differences, names, notes)
    differences["significant"] = differences["significant"].astype(bool)
    differences["exact"] = differences["exact"].astype(bool)
    return Comparison(tuple(names), table, summary, differences, inputs, notes)


IGNORED_INPUTS: frozenset[str] = frozenset(
    {"name", "description", "variants", "seed", "replications", "precision"}
)
"""Inputs that name or run a scenario without changing the service it describes."""
TARGET_DEPENDENT = ("service_level", "goal_met")
"""Metric keys measured against the scenario's service-level target (prefixes)."""


def input_differences(
    reference: ResolvedScenario, other: ResolvedScenario
) -> list[tuple[str, Any, Any]]:
    """Every input of ``other`` that differs from ``reference``, resolved values compared."""
    return differing_paths(
        reference.model_dump(mode="json", exclude_none=True),
        other.model_dump(mode="json", exclude_none=True),
        IGNORED_INPUTS,
    )


def _incomparable(resolved: Sequence[ResolvedScenario], names: Sequence[str]) -> dict[str, Notice]:
    """Per scenario whose service-level target differs from the reference's, the note saying so."""
    target = resolved[0].service_level.target
    return {
        name: Notice(
            "not_comparable",
            {"reference": target, "other": other.service_level.target},
            "note",
        )
        for name, other in zip(names[1:], resolved[1:], strict=True)
        if other.service_level.target != target
    }


def _refuse_incomparable(
    differences: pd.DataFrame, names: Sequence[str], notes: dict[str, Notice]
) -> pd.DataFrame:
    """No difference of service levels measured against different targets: a note instead.

    80% within 20 s and 80% within 60 s are different standards; their "difference" would read
    as an effect of the change under study. The saved note is the English text.
    """
    differences = differences.assign(note="")
    for name in names[1:]:
        if name not in notes:
            continue
        rows = (differences["scenario"] == name) & differences["metric"].str.startswith(
            TARGET_DEPENDENT
        )
        columns = ["difference", "ci_low", "ci_high", "half_width", "unpaired_half_width"]
        differences.loc[rows, columns] = math.nan
        differences.loc[rows, ["significant", "exact"]] = 0.0
        differences.loc[rows, "note"] = notes[name].render("en")
    return differences


def unique_names(names: Sequence[str]) -> list[str]:
    """The names of compared scenarios, a repeated one suffixed ``#2``, ``#3``, ...

    Used for the comparison's rows and for the files its folder keeps, which must agree.
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
