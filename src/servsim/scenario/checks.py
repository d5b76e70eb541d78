"""Cross-field checks of a scenario that pydantic's per-field rules cannot express.

Each problem is yielded with its field path, so a user reads every one of them at once. The
checks take the scenario's parts (:class:`ScenarioParts`), not the whole scenario: a file with
a bad field still has its other parts checked across, and both kinds of problem are reported
together. A check runs only when every part it needs is valid.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from servsim.scenario.components import (
    SHARE_TOLERANCE,
    Arrivals,
    Horizon,
    RatePeriod,
    Routing,
    Segment,
    Staff,
    StatusInquiry,
    Touchpoint,
)
from servsim.scenario.errors import unknown_name
from servsim.schema_types import format_clock
from servsim.training_schema import Training

__all__ = [
    "ScenarioParts",
    "consistency_problems",
    "first_front_pool",
    "request_types_of",
    "routing_pools",
]


@dataclass(frozen=True)
class ScenarioParts:
    """The parts of a scenario that the cross-field checks read; None where a part is invalid."""

    segments: Sequence[Segment] | None = None
    staff: Staff | None = None
    arrivals: Arrivals | None = None
    service_cycle: Sequence[Touchpoint] | None = None
    status_inquiry: StatusInquiry | None = None
    training: Training | None = None
    horizon: Horizon | None = None


def request_types_of(segments: Sequence[Segment]) -> list[str]:
    """Every request type named by some segment, in first-seen order."""
    seen: dict[str, None] = {}
    for segment in segments:
        for request_type in segment.request_mix:
            seen.setdefault(request_type)
    return list(seen)


def routing_pools(served_by: str | Routing | None) -> list[str]:
    """Every pool a touchpoint's ``served_by`` can send a customer to."""
    if served_by is None:
        return []
    if isinstance(served_by, str):
        return [served_by]
    return [*served_by.by_request_type.values(), *served_by.by_segment.values(), served_by.fallback]


def _check_shares(path: str, shares: Iterable[float]) -> Iterable[tuple[str, str]]:
    total = sum(shares)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        yield path, f"segment shares must sum to 1, they sum to {total:g}"


def consistency_problems(parts: ScenarioParts) -> Iterable[tuple[str, str]]:
    """Cross-field checks of the valid parts, each problem with its field path.

    Variants are checked by the whole scenario (each is a scenario of its own).
    """
    segments, staff, cycle = parts.segments, parts.staff, parts.service_cycle
    if segments is not None:
        yield from _check_shares("segments", (seg.share for seg in segments))
        yield from _unique("segments", [seg.name for seg in segments])
    if staff is not None:
        yield from _check_staff(staff)
    if parts.arrivals is not None and parts.arrivals.profile is not None:
        yield from _check_profile(parts.arrivals.profile)
    if cycle is not None:
        yield from _unique("service_cycle", [tp.name for tp in cycle])
    if segments is not None and staff is not None and cycle is not None:
        yield from _check_cycle(cycle, staff, segments)
        if parts.status_inquiry is not None:
            yield from _check_status_inquiry(parts.status_inquiry, staff, cycle)
            yield from _check_reachable(parts.status_inquiry, staff, cycle)
    if parts.training is not None and staff is not None:
        pool_names = [p.name for _, p in staff.pools()]
        for i, programme in enumerate(parts.training.programmes):
            if programme.pool not in pool_names:
                problem = unknown_name("pool", programme.pool, pool_names)
                yield f"training.programmes[{i}].pool", problem
    horizon = parts.horizon
    if horizon is not None and horizon.warm_up >= horizon.length:
        yield (
            "horizon.warm_up",
            (
                f"given {horizon.warm_up:g} s; the warm-up must be shorter than the horizon "
                f"({horizon.length:g} s)"
            ),
        )


def _check_staff(staff: Staff) -> Iterable[tuple[str, str]]:
    yield from _unique("staff", [p.name for _, p in staff.pools()])
    for side, pools in (("front", staff.front), ("back", staff.back)):
        for i, pool in enumerate(pools):
            path = f"staff.{side}[{i}]"
            if pool.headcount is None and not pool.shifts:
                yield path, "give a constant headcount or a list of shifts"
            if pool.headcount is not None and pool.shifts:
                yield path, "give a constant headcount or shifts, not both"
            for j, shift in enumerate(pool.shifts):
                if shift.end <= shift.start:
                    yield (
                        f"{path}.shifts[{j}].end",
                        f"given {format_clock(shift.end)}; a shift must end after it starts "
                        f"({format_clock(shift.start)}); split a night shift in two",
                    )


def _check_cycle(
    cycle: Sequence[Touchpoint], staff: Staff, segments: Sequence[Segment]
) -> Iterable[tuple[str, str]]:
    pool_names = [p.name for _, p in staff.pools()]
    tp_names = [tp.name for tp in cycle]
    request_types = set(request_types_of(segments))
    segment_names = {seg.name for seg in segments}
    for i, tp in enumerate(cycle):
        path = f"service_cycle[{i}]"
        for pool_name in routing_pools(tp.served_by):
            if pool_name not in pool_names:
                yield f"{path}.served_by", unknown_name("pool", pool_name, pool_names)
        if isinstance(tp.served_by, Routing):
            for rt in tp.served_by.by_request_type:
                if rt not in request_types:
                    yield (
                        f"{path}.served_by.by_request_type.{rt}",
                        unknown_name("request type", rt, request_types),
                    )
            for seg in tp.served_by.by_segment:
                if seg not in segment_names:
                    yield (
                        f"{path}.served_by.by_segment.{seg}",
                        unknown_name("segment", seg, segment_names),
                    )
        for field in ("resolution", "failure"):
            value = getattr(tp, field)
            if isinstance(value, dict):
                for rt in value:
                    if rt not in request_types:
                        problem = unknown_name("request type", rt, request_types)
                        yield f"{path}.{field}.{rt}", problem
        for rt in tp.service_time_by_request_type:
            if rt not in request_types:
                yield (
                    f"{path}.service_time_by_request_type.{rt}",
                    unknown_name("request type", rt, request_types),
                )
        if tp.recontact_from is not None and tp.recontact_from not in tp_names:
            yield f"{path}.recontact_from", unknown_name("touchpoint", tp.recontact_from, tp_names)
        for rt in request_types:
            total = _probability(tp.failure, rt, 0.0) + _probability(tp.resolution, rt, 0.0)
            if total > 1.0 + SHARE_TOLERANCE:
                yield (
                    path,
                    f"failure + resolution for request type '{rt}' is {total:g}, more than 1",
                )


def _check_status_inquiry(
    inquiry: StatusInquiry, staff: Staff, cycle: Sequence[Touchpoint]
) -> Iterable[tuple[str, str]]:
    pool_names = [p.name for _, p in staff.pools()]
    for pool_name in routing_pools(inquiry.served_by):
        if pool_name not in pool_names:
            yield "status_inquiry.served_by", unknown_name("pool", pool_name, pool_names)
    if inquiry.enabled and inquiry.served_by is None and first_front_pool(staff, cycle) is None:
        yield (
            "status_inquiry.served_by",
            "status inquiries are on but no front pool serves the cycle; name one",
        )


def _check_reachable(
    inquiry: StatusInquiry, staff: Staff, cycle: Sequence[Touchpoint]
) -> Iterable[tuple[str, str]]:
    """Every pool serves something (unless a pool name is wrong: that is the problem to fix)."""
    pool_names = {p.name for _, p in staff.pools()}
    reachable = {pool for tp in cycle for pool in routing_pools(tp.served_by)}
    reachable |= set(routing_pools(inquiry.served_by))
    if reachable - pool_names:
        return
    for side, pools in (("front", staff.front), ("back", staff.back)):
        for i, pool in enumerate(pools):
            if pool.name not in reachable:
                yield (
                    f"staff.{side}[{i}].name",
                    f"pool '{pool.name}' serves no touchpoint; name it in a touchpoint's served_by "
                    "or remove it",
                )


def _check_profile(profile: list[RatePeriod]) -> Iterable[tuple[str, str]]:
    by_day: dict[int | None, list[tuple[int, RatePeriod]]] = {}
    for i, period in enumerate(profile):
        if period.end <= period.start:
            yield (
                f"arrivals.profile[{i}].end",
                f"given {format_clock(period.end)}; a period must end after it starts "
                f"({format_clock(period.start)})",
            )
        by_day.setdefault(period.day, []).append((i, period))
    for periods in by_day.values():
        ordered = sorted(periods, key=lambda ip: ip[1].start)
        for (_, a), (j, b) in itertools.pairwise(ordered):
            if b.start < a.end:
                yield (
                    f"arrivals.profile[{j}].start",
                    f"period {format_clock(b.start)}-{format_clock(b.end)} overlaps "
                    f"{format_clock(a.start)}-{format_clock(a.end)}",
                )


def _unique(path: str, names: list[str]) -> Iterable[tuple[str, str]]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            yield path, f"the name '{name}' is used twice; names must be unique"
        seen.add(name)


def _probability(
    value: float | dict[str, float] | None, request_type: str, default: float
) -> float:
    if value is None:
        return default
    if isinstance(value, dict):
        return value.get(request_type, default)
    return value


def first_front_pool(staff: Staff, cycle: Sequence[Touchpoint]) -> str | None:
    """The first front pool the cycle meets: who answers status inquiries unless told."""
    front = {p.name for p in staff.front}
    for tp in cycle:
        for pool in routing_pools(tp.served_by):
            if pool in front:
                return pool
    return None
