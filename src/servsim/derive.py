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

from servsim.catalogue import column
from servsim.experiment import simulate
from servsim.scenario import Scenario, resolve_scenario

__all__ = ["LEVELS", "StaffingSearch", "derive_levels", "staff_to_goal"]

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


def staff_to_goal(
    scenario: Scenario,
    replications: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> StaffingSearch:
    """The least staff with which ``scenario`` meets its service-level goal (a simple search).

    Each step runs ``replications`` replications under ``seed`` and reads the headline service
    level (per offered contact, the scenario's convention). Below the goal, the pool whose own
    service level is lowest gets one more person on every shift; once the goal is met, each
    pool in turn loses one person per shift while the goal stays met. Pools that serve nobody
    waiting in person (a decoupled back office) are never changed: the goal does not depend on
    them.
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
        return float(means.get(headline, math.nan)), pools

    current = scenario
    level, pools = measure(current)
    while not level >= goal and len(steps) < MAX_STEPS:
        judged = {name: value for name, value in pools.items() if not math.isnan(value)}
        if not judged:
            break
        weakest = min(judged, key=judged.__getitem__)
        bigger = _shifted(current, weakest, +1)
        assert bigger is not None
        current, steps = bigger, [*steps, f"+{weakest}"]
        level, pools = measure(current)
        if progress is not None:
            progress(f"{scenario.name}: +1 {weakest} per shift, service level {level:.1%}")
    if level >= goal:
        for name in [n for n, value in pools.items() if not math.isnan(value)]:
            while len(steps) < 2 * MAX_STEPS:
                smaller = _shifted(current, name, -1)
                if smaller is None:
                    break
                smaller_level, smaller_pools = measure(smaller)
                if not smaller_level >= goal:
                    break
                current, level, pools = smaller, smaller_level, smaller_pools
                steps.append(f"-{name}")
                if progress is not None:
                    progress(f"{scenario.name}: -1 {name} per shift, service level {level:.1%}")
    headcounts = {
        spec.name: tuple(shift.headcount for shift in spec.shifts) or (spec.headcount or 0,)
        for _, spec in current.staff.pools()
    }
    return StaffingSearch(current, headcounts, level, bool(level >= goal), tuple(steps))
