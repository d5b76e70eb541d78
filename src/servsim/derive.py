"""One service derived at the three contact levels, each staffed to meet the same goal.

A student who asks what changes when a service moves from high to low contact needs the same
service (same demand, request mix, customers, expectations, service-level goal) at each level,
with nothing else changed but what the contact level decides (docs/model.md §2: who is present
where, a coupled or decoupled back office, status inquiries, customer-induced variability), and
each level staffed to the goal, since a level that misses it would look cheap for the wrong
reason. :func:`derive_levels` makes the three scenarios from one base; :func:`staff_to_goal`
finds, by a simple search, the least staff with which a scenario meets its goal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from servsim.catalogue import column
from servsim.experiment import simulate
from servsim.notices import FieldValue, Notice
from servsim.scenario import Routing, Scenario, resolve_scenario
from servsim.statistics import confidence_interval

if TYPE_CHECKING:
    from servsim.compare import Comparison

__all__ = [
    "GAP_COLUMNS",
    "LEVELS",
    "SENSITIVITIES",
    "SENSITIVITY_COLUMNS",
    "StaffingSearch",
    "derive_levels",
    "effects_by_replication",
    "sensitivities",
    "sensitivity_gaps",
    "sensitivity_variants",
    "staff_to_goal",
]

LEVELS = ("high", "medium", "low")
MAX_STEPS = 24
"""Staffing changes the search makes at most per level before it stops."""


def derive_levels(base: Scenario) -> list[Scenario]:
    """The base service at high, medium and low contact, named ``<base>_<level>``.

    Only ``contact_level`` changes: the presets then decide presence at each step, whether the
    back office is coupled, status inquiries and variability, unless the base sets them itself
    (a value written in the base is kept at every level, so write only the service).
    """
    return [
        base.with_overrides({"contact_level": level, "name": f"{base.name}_{level}"})
        for level in LEVELS
    ]


@dataclass(frozen=True)
class StaffingSearch:
    """What :func:`staff_to_goal` found.

    Attributes:
        scenario: the scenario with the staffing found.
        headcounts: per pool, the headcount of each shift.
        service_level: the headline service level it reached (mean over the replications).
        met: whether it meets the goal (False when the search ran out of steps).
        steps: the staffing changes made, in order (``+agents``, ``-agents``).
    """

    scenario: Scenario
    headcounts: dict[str, tuple[int, ...]]
    service_level: float
    met: bool
    steps: tuple[str, ...]


def _headline(scenario: Scenario) -> str:
    excluding = scenario.service_level.abandons_within_target == "exclude"
    return "service_level_offered" + ("_excluding" if excluding else "")


def _shifted(scenario: Scenario, pool: str, change: int) -> Scenario | None:
    """The scenario with every shift of ``pool`` one person larger (or smaller).

    None when a shift would fall below one person.
    """
    for side, spec in scenario.staff.pools():
        if spec.name != pool:
            continue
        if not spec.shifts:  # a constant headcount, round the clock
            count = (spec.headcount or 0) + change
            return (
                scenario.with_overrides({f"staff.{side}.{pool}.headcount": count})
                if count >= 1
                else None
            )
        counts = [shift.headcount + change for shift in spec.shifts]
        if min(counts) < 1:
            return None
        return scenario.with_overrides(
            {f"staff.{side}.{pool}.shifts[{i}].headcount": n for i, n in enumerate(counts)}
        )
    raise KeyError(pool)


def _step(scenario: str, change: str, pool: str, level: float) -> Notice:
    """One step of :func:`staff_to_goal`: a pool changed on every shift, the level it reached."""
    fields: dict[str, FieldValue] = {
        "scenario": scenario,
        "change": change,
        "pool": pool,
        "level": level,
    }
    return Notice("staffing_step", fields, "note")


def staff_to_goal(
    scenario: Scenario,
    replications: int,
    seed: int,
    progress: Callable[[Notice], None] | None = None,
) -> StaffingSearch:
    """The least staff with which ``scenario`` meets its service-level goal (a simple search).

    The goal is met when the headline service level (per offered contact, the scenario's
    convention) and the service level of every pool a customer waits for (planners judge
    each queue against the goal, docs/model.md section 9: a pool that misses it is not hidden
    by the others) reach it. Each step runs ``replications`` replications under ``seed``.
    While the goal is missed, the pool whose own service level is lowest gets one more person
    on every shift; once it is met, each pool in turn loses one person per shift while it
    stays met. Pools that serve nobody waiting in person (a decoupled back office) are never
    changed: the goal does not depend on them. ``progress`` is told each step as a note
    (:class:`servsim.notices.Notice`), which the CLI says in the reader's language.
    """
    goal = scenario.service_level.goal
    headline = _headline(scenario)
    steps: list[str] = []

    def measure(candidate: Scenario) -> tuple[float, dict[str, float]]:
        result = simulate(candidate, replications=replications, seed=seed, workers=1)
        means = result.summary["mean"]
        pools = {
            spec.name: float(means.get(column("pool_service_level", spec.name), math.nan))
            for _, spec in resolve_scenario(candidate).staff.pools()
        }
        judged = {name: value for name, value in pools.items() if not math.isnan(value)}
        return float(means.get(headline, math.nan)), judged

    def meets(level: float, pools: dict[str, float]) -> bool:
        return level >= goal and all(value >= goal for value in pools.values())

    current = scenario
    level, pools = measure(current)
    while not meets(level, pools) and pools and len(steps) < MAX_STEPS:
        weakest = min(pools, key=pools.__getitem__)
        bigger = _shifted(current, weakest, +1)
        assert bigger is not None
        current, steps = bigger, [*steps, f"+{weakest}"]
        level, pools = measure(current)
        if progress is not None:
            progress(_step(scenario.name, "+1", weakest, level))
    met = meets(level, pools)
    if met:
        for name in list(pools):
            while len(steps) < 2 * MAX_STEPS:
                smaller = _shifted(current, name, -1)
                if smaller is None:
                    break
                smaller_level, smaller_pools = measure(smaller)
                if not meets(smaller_level, smaller_pools):
                    break
                current, level, pools = smaller, smaller_level, smaller_pools
                steps.append(f"-{name}")
                if progress is not None:
                    progress(_step(scenario.name, "-1", name, level))
    headcounts = {
        spec.name: tuple(shift.headcount for shift in spec.shifts) or (spec.headcount or 0,)
        for _, spec in current.staff.pools()
    }
    return StaffingSearch(current, headcounts, level, met, tuple(steps))


SENSITIVITIES = (
    ("one_more_agent", "csat_mean"),
    ("trained_front_line", "csat_mean"),
    ("slower_back_office", "repeated_questions_share"),
)
"""The paired effects docs/model.md §8 result 10 is about: a change, and the metric it moves."""
TRAINING_GAIN = 0.15
"""Front-line training, as proficiency gained (capped at 1)."""
BACK_OFFICE_SLOWDOWN = 1.5
"""A slower back office: its touchpoints' mean service times times this."""


def sensitivity_variants(scenario: Scenario) -> dict[str, Scenario]:
    """The scenario changed three ways, each a variant of its own (named after the change).

    One more person on every shift of each front-line pool; front-line staff trained
    (proficiency + :data:`TRAINING_GAIN`); a back office :data:`BACK_OFFICE_SLOWDOWN` times
    slower (the mean service time of each back-office touchpoint that gives a mean).
    """
    more: dict[str, object] = {}
    trained: dict[str, object] = {}
    for pool in scenario.staff.front:
        if pool.shifts:
            for i, shift in enumerate(pool.shifts):
                more[f"staff.front.{pool.name}.shifts[{i}].headcount"] = shift.headcount + 1
        else:
            more[f"staff.front.{pool.name}.headcount"] = (pool.headcount or 0) + 1
    resolved = resolve_scenario(scenario)
    for pool in resolved.staff.front:
        trained[f"staff.front.{pool.name}.proficiency"] = min(1.0, pool.proficiency + TRAINING_GAIN)
    back = {pool.name for pool in resolved.staff.back}
    slower: dict[str, object] = {}
    for written, tp in zip(scenario.service_cycle, resolved.service_cycle, strict=True):
        pools = _pools_of(tp.served_by)
        if pools & back and getattr(written.service_time, "mean", None) is not None:
            mean = float(tp.service_time.mean)  # type: ignore[union-attr]
            slower[f"service_cycle.{tp.name}.service_time.mean"] = mean * BACK_OFFICE_SLOWDOWN
    name = scenario.name
    variants = {
        "one_more_agent": scenario.with_overrides({**more, "name": f"{name}_one_more_agent"}),
        "trained_front_line": scenario.with_overrides(
            {**trained, "name": f"{name}_trained_front_line"}
        ),
    }
    if slower:
        variants["slower_back_office"] = scenario.with_overrides(
            {**slower, "name": f"{name}_slower_back_office"}
        )
    return variants


def _pools_of(served_by: str | Routing | None) -> set[str]:
    """Every pool a touchpoint's ``served_by`` names (a pool, or routes with a fallback)."""
    if served_by is None:
        return set()
    if isinstance(served_by, str):
        return {served_by}
    return {served_by.fallback, *served_by.by_request_type.values(), *served_by.by_segment.values()}


SENSITIVITY_COLUMNS = (
    "scenario",
    "contact_level",
    "change",
    "metric",
    "difference",
    "ci_low",
    "ci_high",
)
"""The columns of :func:`sensitivities`: one paired effect per scenario and change."""


def _with_variants(
    scenario: Scenario, replications: int, seed: int
) -> tuple[dict[str, Scenario], Comparison]:
    """The scenario's :func:`sensitivity_variants`, and the scenario compared with them."""
    from servsim.compare import compare

    variants = sensitivity_variants(scenario)
    comparison = compare([scenario, *variants.values()], replications=replications, seed=seed)
    return variants, comparison


def sensitivities(scenarios: list[Scenario], replications: int, seed: int) -> pd.DataFrame:
    """Per scenario, the paired effect of each change of :data:`SENSITIVITIES` with its CI.

    Each scenario is compared with its variants under common random numbers
    (:func:`servsim.compare.compare`), so an effect is the change's own, not luck's.
    """
    rows = []
    for scenario in scenarios:
        variants, comparison = _with_variants(scenario, replications, seed)
        differences = comparison.differences
        for change, metric in SENSITIVITIES:
            if change not in variants:
                continue
            row = differences[
                (differences["scenario"] == variants[change].name)
                & (differences["metric"] == metric)
            ].iloc[0]
            rows.append(
                {
                    "scenario": scenario.name,
                    "contact_level": scenario.contact_level,
                    "change": change,
                    "metric": metric,
                    "difference": float(row["difference"]),
                    "ci_low": float(row["ci_low"]),
                    "ci_high": float(row["ci_high"]),
                }
            )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def effects_by_replication(scenario: Scenario, replications: int, seed: int) -> pd.DataFrame:
    """Per replication (rows) and change of :data:`SENSITIVITIES` (columns), its paired effect.

    The per-replication view of :func:`sensitivities`: what lets two levels' effects be
    compared replication by replication (:func:`sensitivity_gaps`).
    """
    variants, comparison = _with_variants(scenario, replications, seed)
    rows = comparison.replications.set_index(["scenario", "replication"])
    return pd.DataFrame(
        {
            change: rows.loc[variants[change].name][metric] - rows.loc[scenario.name][metric]
            for change, metric in SENSITIVITIES
            if change in variants
        }
    )


GAP_COLUMNS = ("change", "metric", "level", "reference", "gap", "ci_low", "ci_high")
"""The columns of :func:`sensitivity_gaps`."""


def sensitivity_gaps(scenarios: list[Scenario], replications: int, seed: int) -> pd.DataFrame:
    """How much more each change moves its metric at each scenario than at the first.

    Every scenario runs under the same seed, so the levels share their customers (common
    random numbers) and each replication's effect at one level can be paired with the same
    replication's effect at the first: the gap's CI says whether a change pays off more at one
    contact level than at another (docs/model.md §8, result 10), which two separate CIs that
    merely do not overlap would say only when the gap is large.
    """
    effects = [effects_by_replication(s, replications, seed) for s in scenarios]
    rows = []
    for scenario, effect in zip(scenarios[1:], effects[1:], strict=True):
        for change, metric in SENSITIVITIES:
            if change not in effect or change not in effects[0]:
                continue
            gap = confidence_interval((effect[change] - effects[0][change]).to_numpy(), signed=True)
            rows.append(
                {
                    "change": change,
                    "metric": metric,
                    "level": scenario.contact_level,
                    "reference": scenarios[0].contact_level,
                    "gap": gap["mean"],
                    "ci_low": gap["ci_low"],
                    "ci_high": gap["ci_high"],
                }
            )
    return pd.DataFrame(rows, columns=list(GAP_COLUMNS))
