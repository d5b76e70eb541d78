"""Analyses for the people who decide (docs/model.md §7).

* :func:`classify_archetype`: where a service sits between procedure and personal treatment
  (seed 003): the **freezer** (poor procedures, cold treatment), the **factory** (efficient
  procedures, impersonal), the **friendly zoo** (warm people, inconsistent procedures) and
  **quality service** (both).
* :func:`importance_performance`: which moments of truth to fix first (Martilla & James 1977):
  each moment's importance to customers against how well it performs, in four quadrants.
* :func:`contact_level_comparison`: the same service at several contact levels (Chase), side by
  side with confidence intervals, for choosing how much contact to offer.

The functions read the tables and metrics :func:`servsim.simulate` produces; they never run the
model themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from servsim.catalogue import STANDARDS, column, lookup, unit_of
from servsim.presentation import mean_cell
from servsim.records import text_codes
from servsim.satisfaction import moment_touchpoints
from servsim.scenario import ResolvedScenario
from servsim.statistics import metric_interval

if TYPE_CHECKING:
    from servsim.experiment import SimulationResult

__all__ = [
    "ARCHETYPE_THRESHOLD",
    "COMPARISON_METRICS",
    "QUADRANTS",
    "Archetype",
    "ArchetypeName",
    "archetype_scores",
    "classify_archetype",
    "contact_level_comparison",
    "importance_performance",
    "wide_comparison",
]

ARCHETYPE_THRESHOLD = 0.6
"""A procedural or personal score at or above this is high (docs/model.md §7) [ASM]."""

ArchetypeName = Literal["freezer", "factory", "friendly zoo", "quality service"]

PERSONAL_PARTS = ("empathy_mean", "assurance_mean")

_ARCHETYPES: dict[tuple[bool, bool], tuple[ArchetypeName, str]] = {
    (False, False): ("freezer", "slow, unreliable procedures and impersonal treatment"),
    (True, False): ("factory", "efficient, reliable procedures but impersonal treatment"),
    (False, True): ("friendly zoo", "warm but inconsistent: kind people, unreliable procedures"),
    (True, True): ("quality service", "reliable procedures and personal treatment"),
}


@dataclass(frozen=True)
class Archetype:
    """A service's archetype from its procedural and personal scores (0-1 each).

    Attributes:
        procedural: mean of service level, 1 - abandonment, first-contact resolution and
            on-time resolution.
        personal: mean of empathy and assurance.
        name: freezer, factory, friendly zoo or quality service.
        inconsistent: True for the friendly zoo: warm treatment that procedures let down, a
            service whose customers meet stellar and bitter moments in the same cycle.
    """

    procedural: float
    personal: float
    name: ArchetypeName
    inconsistent: bool

    @property
    def description(self) -> str:
        """One line saying what the archetype means."""
        for name, text in _ARCHETYPES.values():
            if name == self.name:
                return text
        raise AssertionError(self.name)  # pragma: no cover - names come from _ARCHETYPES


def archetype_scores(metrics: Mapping[str, float]) -> tuple[float, float]:
    """The procedural and personal scores of one replication's (or a mean's) metrics.

    procedural = mean(service_level, 1 - abandonment, first_contact_resolution,
    on_time_resolution); personal = mean(empathy_mean, assurance_mean) x personal_reach
    (docs/model.md §7): personal treatment is delivered only where staff meet the customer, so
    a cycle lived mostly at self-service receives little of it however warm the staff it
    meets. A part that is missing or NaN (no staffed visit to abandon, no staffed moment to
    judge) is left out of its mean; a score with no part at all is NaN, which classifies as
    low; without ``personal_reach`` (older results) the reach is taken as 1.
    """
    procedural = [
        metrics.get("service_level", math.nan),
        1.0 - metrics.get("abandonment", math.nan),
        metrics.get("first_contact_resolution", math.nan),
        metrics.get("on_time_resolution", math.nan),
    ]
    personal = [metrics.get(name, math.nan) for name in PERSONAL_PARTS]
    reach = metrics.get("personal_reach", 1.0)
    return _nanmean(procedural), _nanmean(personal) * (1.0 if math.isnan(reach) else reach)


def classify_archetype(
    procedural: float, personal: float, threshold: float = ARCHETYPE_THRESHOLD
) -> Archetype:
    """Freezer (low, low), factory (high, low), friendly zoo (low, high), quality service.

    A score is high when it reaches ``threshold`` (0.6 by default; exactly 0.6 is high). NaN is
    low: a service with no staffed moment offers no personal treatment to speak of.
    """
    key = (bool(procedural >= threshold), bool(personal >= threshold))
    name, _ = _ARCHETYPES[key]
    return Archetype(procedural, personal, name, inconsistent=name == "friendly zoo")


def _nanmean(values: Sequence[float]) -> float:
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    return float(array.mean()) if array.size else math.nan


# --------------------------------------------------------------------------- importance-performance

QUADRANTS = ("concentrate here", "keep up the good work", "low priority", "possible overkill")
"""Martilla & James (1977) quadrants, in the order of the priority list."""
IMPORTANCE_SPLIT = 0.5
"""A moment is important when its importance is at least this share of the largest."""


def importance_performance(
    moments: pd.DataFrame,
    satisfaction: pd.DataFrame,
    scenario: ResolvedScenario,
    importance: Literal["stated", "derived"] = "derived",
) -> pd.DataFrame:
    """Importance against performance per moment of truth, with quadrants and a priority order.

    Performance is the mean utility ``v`` of the touchpoint's moments. Importance is either the
    touchpoint's **stated** ``importance`` or **derived** from the simulated customers:
    ``|corr(v_k, S)|`` over customers who lived the touchpoint, with ``v_k`` a customer's mean
    utility there and ``S`` their overall satisfaction [LIT: derived importance, e.g. Oliver
    1997]. A touchpoint whose utility never varies has no derived importance (0).

    Quadrants follow Martilla & James (1977), split at fixed points of the scales, never at
    the data's means (which always push some moment into "concentrate here" and can call the
    worst moment "low priority") [ASM; on scale- versus data-centred cross-hairs, Bacon 2003]:

    * performance is split at **0**, the adequate edge of the zone of tolerance: below it a
      moment performs badly, whatever the other moments do;
    * importance is split at **half the largest importance** among the moments
      (:data:`IMPORTANCE_SPLIT`, on ``relative_importance`` = importance / the largest): the
      most important moment always counts as important, so a moment below adequate is never
      "low priority" when it is the one that matters most.

    **Concentrate here** (important, below adequate), **keep up the good work** (important,
    adequate or better), **low priority** (less important, below adequate), **possible
    overkill** (less important, adequate or better). ``gap`` is the shortfall below adequate
    (``-performance``); the ``priority`` order puts "concentrate here" first, then sorts by
    ``importance x gap``: important moments furthest below adequate come first.

    Only customers who arrived after the warm-up count (as in :mod:`servsim.metrics`). Works on
    one replication's tables or on stacked ones with a ``replication`` column.

    Args:
        moments: :func:`servsim.satisfaction.moment_table`'s rows.
        satisfaction: :func:`servsim.satisfaction.customer_satisfaction`'s rows.
        scenario: the resolved scenario (touchpoints, stated importance, warm-up).
        importance: "stated" or "derived".

    Returns:
        One row per judged touchpoint with moments, sorted by ``priority`` (1 = first):
        touchpoint, moments, importance, relative_importance, performance, gap, quadrant,
        priority.
    """
    sums = importance_sums(moments, satisfaction, scenario)
    return importance_from_sums(sums, scenario, importance)


IMPORTANCE_SUMS = ("moments", "v_sum", "customers", "a", "b", "aa", "bb", "ab")
"""Per touchpoint, what importance-performance is built from: its window moments and the sum
of their utility; and over customers who lived it, the sums (and sums of squares and of
products) of their mean utility there (``a``) and their satisfaction S (``b``)."""


def importance_sums(
    moments: pd.DataFrame, satisfaction: pd.DataFrame, scenario: ResolvedScenario
) -> pd.DataFrame:
    """The sums of :data:`IMPORTANCE_SUMS` per judged touchpoint, for moments and answers.

    Sums of batches of customers (or of replications) add up to the sums of them all, so a
    run that keeps no moments still has its importance-performance analysis.
    """
    keys = ["replication", "customer"] if "replication" in moments.columns else ["customer"]
    empty = pd.DataFrame(
        {c: pd.Series(dtype=np.float64) for c in IMPORTANCE_SUMS},
        index=pd.Index([], name="touchpoint", dtype=object),
    )
    if moments.empty or satisfaction.empty:
        return empty
    window = satisfaction[satisfaction["arrived"] >= scenario.horizon.warm_up]
    if window.empty:
        return empty
    names = moment_touchpoints(scenario)
    answered = _customer_key(window, keys)
    customer = _customer_key(moments, keys)
    tp = text_codes(moments["touchpoint"], names)
    judged = np.isin(customer, answered) & (tp >= 0)
    customer, tp = customer[judged], tp[judged]
    v = moments["v"].to_numpy(dtype=np.float64)[judged]
    # a customer's mean utility at each touchpoint they lived (a), beside their S (b)
    pairs, pair_of = np.unique(customer * len(names) + tp, return_inverse=True)
    a = np.bincount(pair_of, weights=v) / np.bincount(pair_of)
    pair_tp = pairs % len(names)
    overall = window["satisfaction"].to_numpy(dtype=np.float64)
    order = np.argsort(answered, kind="stable")
    b = overall[order][np.searchsorted(answered[order], pairs // len(names))]
    size = len(names)

    def per_tp(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=size).astype(np.float64)

    columns = np.column_stack(
        [
            per_tp(tp),
            per_tp(tp, v),
            per_tp(pair_tp),
            per_tp(pair_tp, a),
            per_tp(pair_tp, b),
            per_tp(pair_tp, a * a),
            per_tp(pair_tp, b * b),
            per_tp(pair_tp, a * b),
        ]
    )
    lived = columns[:, 0] > 0
    if not lived.any():
        return empty
    table = pd.DataFrame(
        columns[lived],
        index=pd.Index(np.asarray(names, dtype=object)[lived], name="touchpoint"),
        columns=list(IMPORTANCE_SUMS),
    )
    return table


def _customer_key(table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One integer per customer (per replication and customer when stacked)."""
    customer = table["customer"].to_numpy(dtype=np.int64)
    if len(keys) == 1:
        return customer
    replication = table["replication"].to_numpy(dtype=np.int64)
    return np.asarray(replication * (1 << 40) + customer, dtype=np.int64)


def importance_of(
    sums: pd.DataFrame,
    moments: pd.DataFrame,
    satisfaction: pd.DataFrame,
    scenario: ResolvedScenario,
    importance: Literal["stated", "derived"] = "derived",
) -> pd.DataFrame:
    """Importance-performance of a run, from its kept sums or else its moments.

    ``sums`` has a ``touchpoint`` column (:func:`importance_sums`, stacked); a result made
    before runs kept them has none, and its moments and answers are read instead.
    """
    if not sums.empty:
        return importance_from_sums(sums.set_index("touchpoint"), scenario, importance)
    return importance_performance(moments, satisfaction, scenario, importance)


def importance_from_sums(
    sums: pd.DataFrame,
    scenario: ResolvedScenario,
    importance: Literal["stated", "derived"] = "derived",
) -> pd.DataFrame:
    """:func:`importance_performance` from :func:`importance_sums` (of one batch or summed).

    ``sums`` may hold several rows per touchpoint (batches, replications): they are added up.
    """
    if importance not in ("stated", "derived"):
        raise ValueError(f"importance must be 'stated' or 'derived', given {importance!r}")
    columns = [
        "touchpoint",
        "moments",
        "importance",
        "relative_importance",
        "performance",
        "gap",
        "quadrant",
        "priority",
    ]
    if sums.empty:
        return pd.DataFrame(columns=columns)
    totals = sums.groupby(level="touchpoint", sort=False)[list(IMPORTANCE_SUMS)].sum()
    stated = {tp.name: tp.importance for tp in scenario.service_cycle}
    rows = []
    values = totals.to_numpy(dtype=np.float64)
    position = {name: i for i, name in enumerate(totals.index)}
    for name in [tp for tp in moment_touchpoints(scenario) if tp in position]:
        row = dict(zip(IMPORTANCE_SUMS, values[position[name]].tolist(), strict=True))
        derived = importance == "derived"
        weight = _abs_correlation(row) if derived else float(stated.get(name, 1.0))
        rows.append(
            {
                "touchpoint": name,
                "moments": int(row["moments"]),
                "importance": weight,
                "performance": row["v_sum"] / row["moments"],
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=columns)
    largest = float(table["importance"].max())
    relative = table["importance"] / largest if largest > 0 else table["importance"] * 0.0
    table["relative_importance"] = relative
    high = (relative >= IMPORTANCE_SPLIT).to_numpy() if largest > 0 else np.ones(len(table), bool)
    performance = table["performance"].to_numpy()
    good = performance >= 0.0
    table["gap"] = -table["performance"]
    table["quadrant"] = np.select(
        [high & ~good, high & good, ~high & ~good],
        [QUADRANTS[0], QUADRANTS[1], QUADRANTS[2]],
        default=QUADRANTS[3],
    )
    table["_first"] = table["quadrant"] != QUADRANTS[0]
    table["_score"] = -(table["importance"] * table["gap"])
    table = table.sort_values(["_first", "_score"], kind="stable").reset_index(drop=True)
    table["priority"] = np.arange(1, len(table) + 1)
    return table[columns]


def _abs_correlation(row: Mapping[str, float]) -> float:
    """|Pearson correlation| from sums; 0 when either side does not vary (or one customer)."""
    n = row["customers"]
    if n < 2:
        return 0.0
    a, b = row["a"], row["b"]
    var_a = n * row["aa"] - a * a
    var_b = n * row["bb"] - b * b
    # a side that does not vary leaves only rounding in its sum of squares
    if var_a <= 1e-12 * n * row["aa"] or var_b <= 1e-12 * n * row["bb"]:
        return 0.0
    r = (n * row["ab"] - a * b) / math.sqrt(var_a * var_b)
    return float(min(abs(r), 1.0))


# --------------------------------------------------------------------------- contact levels

COMPARISON_METRICS = (
    "cost_per_resolved_issue",
    "staff_hours_total",
    "potential_efficiency",
    "occupancy_mean",
    *STANDARDS,
    "csat_mean",
    "csat_sd",
    "nps",
    "stellar_moments",
    "bitter_moments",
    "procedural_score",
    "personal_score",
)
"""Rows of :func:`contact_level_comparison`; ``occupancy_mean`` is the staff-weighted mean
over pools and ``staff_hours_total`` the pools' staff hours on the floor added up."""


def contact_level_comparison(results: Sequence[SimulationResult]) -> pd.DataFrame:
    """The same service at several contact levels, side by side, in one tidy table.

    One row per scenario and metric: ``scenario``, ``contact_level``, ``archetype`` (of the
    scenario's mean scores), ``metric``, ``mean``, ``ci_low``, ``ci_high`` (95% over
    replications). Metrics: cost per resolved issue, occupancy (per replication, the mean of
    the pools' occupancies), the five service standards, CSAT, NPS, and the procedural and
    personal scores behind the archetype. Run the scenarios under one seed so that the
    comparison uses common random numbers; :func:`wide_comparison` gives the side-by-side view.
    """
    rows = []
    for result in results:
        table = result.replications
        hours = [c for c in table.columns if str(c).startswith("staff_hours[")]
        per_replication = table.assign(
            occupancy_mean=staff_weighted_occupancy(table),
            staff_hours_total=table[hours].sum(axis=1) if hours else np.nan,
        )
        archetype = result.archetype
        for metric in COMPARISON_METRICS:
            values = (
                per_replication[metric].to_numpy(dtype=np.float64)
                if metric in per_replication.columns
                else np.zeros(0)
            )
            interval = metric_interval(values, metric)
            rows.append(
                {
                    "scenario": result.scenario.name,
                    "contact_level": result.scenario.contact_level,
                    "archetype": archetype.name,
                    "metric": metric,
                    "mean": interval["mean"],
                    "ci_low": interval["ci_low"],
                    "ci_high": interval["ci_high"],
                }
            )
    return pd.DataFrame(
        rows,
        columns=["scenario", "contact_level", "archetype", "metric", "mean", "ci_low", "ci_high"],
    )


def staff_weighted_occupancy(table: pd.DataFrame) -> pd.Series:
    """Per replication, busy hours of every pool over their staff hours on the floor.

    The mean of the pools' occupancies would weigh a pool of one like a pool of fifty; a
    planner's occupancy is the whole workforce's: the pools weighted by their staff hours.
    """
    busy = pd.Series(0.0, index=table.index)
    hours = pd.Series(0.0, index=table.index)
    for name in table.columns:
        found = lookup(name)
        if found is None or found.key != "occupancy" or found.subject is None:
            continue
        staff = table.get(column("staff_hours", found.subject))
        if staff is None:
            continue
        known = table[name].notna()
        busy += (table[name] * staff).where(known, 0.0)
        hours += staff.where(known, 0.0)
    return (busy / hours).where(hours > 0)


def _key(column: str) -> str | None:
    found = lookup(column)
    return found.key if found is not None else None


def wide_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as text, one column per scenario ("name (level)"), one row per metric.

    Cells read ``mean [ci_low .. ci_high]`` in the metric's unit
    (:func:`servsim.presentation.mean_cell`); the last row is the archetype.

    Args:
        comparison: what :func:`contact_level_comparison` returned.
    """
    labels: dict[str, str] = {}
    cells: dict[str, dict[str, str]] = {}
    for row in comparison.itertuples(index=False):
        label = labels.setdefault(str(row.scenario), f"{row.scenario} ({row.contact_level})")
        metric = str(row.metric)
        mean, low, high = float(row.mean), float(row.ci_low), float(row.ci_high)  # type: ignore[arg-type]
        cells.setdefault(label, {})[metric] = mean_cell(mean, low, high, unit_of(metric))
        cells[label]["archetype"] = str(row.archetype)
    wide = pd.DataFrame(cells)
    metrics = list(dict.fromkeys(str(m) for m in comparison["metric"]))
    wide = wide.reindex([*metrics, "archetype"])
    wide.index.name = "metric"
    return wide
