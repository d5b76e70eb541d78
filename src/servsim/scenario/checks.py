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
    ContactLevel,
    Horizon,
    RatePeriod,
    Routing,
    Segment,
    Staff,
    StaffingSettings,
    StaffPool,
    StatusInquiry,
    Touchpoint,
)
from servsim.scenario.errors import unknown_name
from servsim.scenario.timetable import (
    OpeningTimes,
    daily_rates,
    headcount_schedule,
    opening_times,
)
from servsim.scenario.weekly import Calendar
from servsim.schema_types import SECONDS_PER_DAY, format_clock
from servsim.training_schema import Training

__all__ = [
    "ScenarioParts",
    "consistency_problems",
    "first_front_pool",
    "presence",
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
    calendar: Calendar | None = None
    contact_level: ContactLevel | None = None
    staffing: StaffingSettings | None = None


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
    if parts.staffing is not None and staff is not None:
        pool_names = [p.name for _, p in staff.pools()]
        for i, template in enumerate(parts.staffing.shift_templates):
            for j, pool in enumerate(template.pools or ()):
                if pool not in pool_names:
                    problem = unknown_name("pool", pool, pool_names)
                    yield f"staffing.shift_templates[{i}].pools[{j}]", problem
        yield from _unique(
            "staffing.shift_templates", [t.name for t in parts.staffing.shift_templates]
        )
    horizon = parts.horizon
    if staff is not None and parts.calendar is not None and horizon is not None:
        yield from _check_opening_hours(staff, parts.calendar, horizon.length)
        if (
            parts.arrivals is not None
            and cycle is not None
            and parts.contact_level is not None
            and parts.calendar.closed_arrivals == "error"
        ):
            yield from _check_closed_arrivals(parts, staff, cycle, parts.calendar, horizon)
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
        if tp.outbound and tp.served_by is None:
            yield f"{path}.outbound", "a callback needs staff: name the pool in served_by"
        if tp.outbound and tp.customer_present:
            yield (
                f"{path}.customer_present",
                "an outbound callback has the customer away while it waits: leave "
                "customer_present out (or false)",
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
    by_day: dict[tuple[str, int | None], list[tuple[int, RatePeriod]]] = {}
    for i, period in enumerate(profile):
        if period.end <= period.start:
            yield (
                f"arrivals.profile[{i}].end",
                f"given {format_clock(period.end)}; a period must end after it starts "
                f"({format_clock(period.start)})",
            )
        if period.weekday is not None:
            for weekday in period.weekday:
                by_day.setdefault(("weekday", weekday), []).append((i, period))
        else:
            by_day.setdefault(("day", period.day), []).append((i, period))
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


def presence(
    contact_level: ContactLevel, staff: Staff, cycle: Sequence[Touchpoint], index: int
) -> bool:
    """Whether the customer is at touchpoint ``index``: as written, or as the contact level says.

    High contact: everywhere; medium: wherever the front line serves; low: only at the first
    and last touchpoint (docs/model.md section 2). An outbound callback never has the customer
    waiting in person.
    """
    tp = cycle[index]
    if tp.outbound:
        return False
    if tp.customer_present is not None:
        return tp.customer_present
    back = {p.name for p in staff.back}
    pools = routing_pools(tp.served_by)
    is_back = bool(pools) and all(p in back for p in pools)
    if contact_level == "high":
        return True
    if contact_level == "medium":
        return not is_back
    return index in (0, len(cycle) - 1)


def _pool_paths(staff: Staff) -> Iterable[tuple[str, StaffPool]]:
    for side, pools in (("front", staff.front), ("back", staff.back)):
        for i, pool in enumerate(pools):
            yield f"staff.{side}[{i}]", pool


def _span(calendar: Calendar, start: float, end: float) -> str:
    """``day 3 (Wed) 20:00-24:00``: a stretch of time as a planner reads it."""
    day = int(start // SECONDS_PER_DAY) + 1
    offset = (day - 1) * SECONDS_PER_DAY
    last = min(end - offset, SECONDS_PER_DAY)
    return f"{calendar.day_label(day)} {format_clock(start - offset)}-{format_clock(last)}"


def _check_opening_hours(
    staff: Staff, calendar: Calendar, horizon: float
) -> Iterable[tuple[str, str]]:
    """A pool open with nobody on shift would take customers in and leave them waiting."""
    for path, pool in _pool_paths(staff):
        if pool.opening_hours is None or (pool.headcount is None and not pool.shifts):
            continue
        schedule = headcount_schedule(pool, calendar, horizon)
        ends = [time for time, _ in schedule[1:]] + [horizon]
        staffed = OpeningTimes(
            tuple((t, e) for (t, level), e in zip(schedule, ends, strict=True) if level > 0)
        )
        for start, end in opening_times(pool, calendar, horizon).periods:
            gaps = staffed.closed_within(start, min(end, horizon))
            if gaps:
                yield (
                    f"{path}.opening_hours",
                    f"pool '{pool.name}' is open {_span(calendar, *gaps[0])} with nobody on "
                    "shift; add a shift then or shorten the opening hours",
                )
                break


def _check_closed_arrivals(
    parts: ScenarioParts,
    staff: Staff,
    cycle: Sequence[Touchpoint],
    calendar: Calendar,
    horizon: Horizon,
) -> Iterable[tuple[str, str]]:
    """Customers must not arrive, in person, at a first touchpoint that is closed.

    A touchpoint with routing is open while any of its pools is (a closed pool's customers go
    to the fallback).
    """
    assert parts.arrivals is not None and parts.contact_level is not None
    entry = cycle[0]
    pools = {p.name: p for _, p in staff.pools()}
    names = routing_pools(entry.served_by)
    if not names or any(n not in pools for n in names):
        return
    if not presence(parts.contact_level, staff, cycle, 0):
        return
    length = horizon.length
    open_periods = sorted(
        period for n in set(names) for period in opening_times(pools[n], calendar, length).periods
    )
    times = OpeningTimes(tuple(open_periods))
    for day, periods in enumerate(daily_rates(parts.arrivals, calendar, length), start=1):
        offset = (day - 1) * SECONDS_PER_DAY
        for start, end, rate in periods:
            if rate <= 0:
                continue
            begin, finish = offset + start, min(offset + end, length)
            gaps = times.closed_within(begin, finish) if finish > begin else []
            if gaps:
                where = " or ".join(f"'{n}'" for n in dict.fromkeys(names))
                yield (
                    "arrivals",
                    f"customers arrive {_span(calendar, *gaps[0])} while the first touchpoint "
                    f"'{entry.name}' is closed (pool {where} has no opening hours or shift then); "
                    "give arrivals no rate then, open the pool, or set "
                    "calendar.closed_arrivals: defer to have them start at the next opening",
                )
                return
