"""Least-cost shift selection: cover per-interval staff requirements with whole shifts.

Erlang formulas (:mod:`servsim.theory`) or simulation say how many agents a pool needs in
every interval of the week; people, however, are rostered in shifts of fixed length that may
start only at certain times. Choosing how many people to put on each allowed shift so that
every interval is covered at least cost is a set-covering integer program, which is how
commercial workforce-management tools (and pyworkforce) solve it. This module builds that
program and hands it to HiGHS through :func:`scipy.optimize.milp`.

Units and conventions:
    Every time is a whole number of **seconds**, as elsewhere in servsim: shift lengths,
    break lengths and offsets, interval lengths, and clock times (seconds since midnight,
    see :func:`clock`). The horizon starts on day 0 at 00:00 and is made of consecutive
    intervals over whole days; weekdays are numbered 0 (Monday) to 6 (Sunday) and day 0's
    weekday is ``first_weekday``.

Coverage rule:
    A shift counts towards an interval only if the person is on duty for the *whole*
    interval. Starts, lengths and breaks that fall on the interval grid cover exactly the
    intervals they span; anything off the grid is counted conservatively (a shift starting
    at 07:15 with 30-minute intervals covers from 07:30), so a plan never promises staff
    that are not there.

Pools do not share staff, so a problem with several pools is solved one pool at a time:
call :func:`schedule_shifts` once per pool with that pool's requirements and templates.

Everything here is pure: plain frozen dataclasses in, a frozen :class:`ShiftPlan` out, and
no module-level mutable state. Only numpy, scipy and the standard library are imported, so
the module sits at the bottom of servsim's layers.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "SECONDS_PER_DAY",
    "Break",
    "PlannedShift",
    "ShiftPlan",
    "ShiftTemplate",
    "clock",
    "schedule_shifts",
    "start_times",
]

SECONDS_PER_DAY = 86_400
"""A day of the horizon, in seconds."""

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")

IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------
# Small helpers for writing templates
# --------------------------------------------------------------------------


def _whole(name: str, value: int, *, minimum: int = 0) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number of seconds, got {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number of seconds, got {value!r}") from None
    if v < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return v


def clock(text: str) -> int:
    """Seconds since midnight of a clock time written ``HH:MM`` or ``HH:MM:SS``.

    Templates are easier to read and check as ``clock("07:30")`` than as ``27000``.

    Args:
        text: A time of day from ``00:00`` to ``24:00``.

    Returns:
        The time in seconds since midnight.

    Raises:
        ValueError: If ``text`` is not a clock time.
    """
    match = _CLOCK_RE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a clock time; write HH:MM, e.g. 07:30")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    value = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or value > SECONDS_PER_DAY:
        raise ValueError(f"{text!r} is not a clock time between 00:00 and 24:00")
    return value


def _format_clock(seconds: int) -> str:
    """``HH:MM`` (``HH:MM:SS`` if needed) of seconds since midnight; may pass 24:00."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def start_times(first: int, last: int, step: int) -> tuple[int, ...]:
    """Start times from ``first`` to ``last`` inclusive, every ``step`` seconds.

    Planners allow starts as a window and a step ("every 30 minutes from 07:00 to 14:00");
    this spells that window out as the tuple :class:`ShiftTemplate` wants.

    Args:
        first: Earliest start, seconds since midnight.
        last: Latest start, seconds since midnight (included if on the step).
        step: Seconds between starts, > 0.

    Returns:
        The start times, ascending.

    Raises:
        ValueError: If ``step`` is not positive or ``last < first``.
    """
    first = _whole("first", first)
    last = _whole("last", last)
    step = _whole("step", step, minimum=1)
    if last < first:
        raise ValueError(f"last start {_format_clock(last)} is before {_format_clock(first)}")
    return tuple(range(first, last + 1, step))


# --------------------------------------------------------------------------
# Inputs: templates and breaks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """An unpaid break of fixed length whose start the solver may place within a window.

    The break position is a *choice*, not a fixed offset: every allowed position becomes its
    own candidate shift, so the solver staggers breaks where the requirement is highest,
    which is what a planner does by hand. A fixed offset is the window ``earliest ==
    latest``. Positions are tried every interval from ``earliest`` on (finer positions
    cannot change which whole intervals are covered).

    Attributes:
        length: Length of the break in seconds, > 0.
        earliest: Earliest break start, seconds after the shift starts, > 0.
        latest: Latest break start, seconds after the shift starts, >= ``earliest``.
    """

    length: int
    earliest: int
    latest: int

    def __post_init__(self) -> None:
        _whole("break length", self.length, minimum=1)
        _whole("break earliest start", self.earliest, minimum=1)
        if _whole("break latest start", self.latest) < self.earliest:
            raise ValueError(
                f"break latest start ({self.latest} s) is before its earliest ({self.earliest} s)"
            )

    def offsets(self, step: int) -> tuple[int, ...]:
        """Break starts after the shift start that are tried, every ``step`` seconds."""
        return tuple(range(self.earliest, self.latest + 1, step))


@dataclass(frozen=True)
class ShiftTemplate:
    """A kind of shift people may be put on: how long, when it may start, what it costs.

    Attributes:
        name: Unique name shown in the plan, e.g. ``"early 8h"``.
        length: Time from start to end in seconds, the break included; > 0 and at most a
            day (a longer shift would cover a wrapped interval twice).
        starts: Allowed start times, seconds since midnight in ``[0, 86400)``; see
            :func:`start_times`. Stored sorted and without repeats.
        cost_per_hour: Cost of one paid hour, > 0. A shift costs its paid hours (length
            less the unpaid break) times this rate; the solver minimises the total.
        weekdays: Weekdays (0 = Monday) the shift may start on, or ``None`` for every day
            of the horizon. Stored sorted and without repeats.
        unpaid_break: An optional unpaid break, placed by the solver within its window.
    """

    name: str
    length: int
    starts: tuple[int, ...]
    cost_per_hour: float = 1.0
    weekdays: tuple[int, ...] | None = None
    unpaid_break: Break | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a shift template needs a name")
        length = _whole(f"{self.name}: length", self.length, minimum=1)
        if length > SECONDS_PER_DAY:
            raise ValueError(f"{self.name}: a shift is at most 24 h, got {length} s")
        starts = sorted({_whole(f"{self.name}: start", s) for s in self.starts})
        if not starts:
            raise ValueError(f"{self.name}: name at least one allowed start time")
        if starts[-1] >= SECONDS_PER_DAY:
            raise ValueError(f"{self.name}: start times are seconds in [0, 86400)")
        object.__setattr__(self, "starts", tuple(starts))
        rate = float(self.cost_per_hour)
        if not (rate > 0.0 and math.isfinite(rate)):
            raise ValueError(
                f"{self.name}: cost_per_hour must be positive and finite, got "
                f"{self.cost_per_hour!r} (a free shift makes least cost meaningless)"
            )
        if self.weekdays is not None:
            days = sorted({operator.index(d) for d in self.weekdays})
            if not days or days[0] < 0 or days[-1] > 6:
                raise ValueError(f"{self.name}: weekdays are 0 (Monday) to 6 (Sunday)")
            object.__setattr__(self, "weekdays", tuple(days))
        brk = self.unpaid_break
        if brk is not None and brk.latest + brk.length >= length:
            raise ValueError(
                f"{self.name}: the break must end before the shift does "
                f"(latest start {brk.latest} s + {brk.length} s >= length {length} s)"
            )

    @property
    def paid_seconds(self) -> int:
        """Seconds paid per shift: its length less the unpaid break."""
        return self.length - (self.unpaid_break.length if self.unpaid_break else 0)

    @property
    def cost(self) -> float:
        """Cost of one person on one shift of this template."""
        return self.paid_seconds / 3600.0 * self.cost_per_hour


# --------------------------------------------------------------------------
# Output: the plan
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedShift:
    """One row of a plan: ``count`` people on the same shift, starting the same day and time.

    Attributes:
        template: Name of the :class:`ShiftTemplate`.
        day: Day of the horizon the shift starts on (0 = first day).
        start: Start, seconds since midnight of ``day``.
        end: End, seconds since midnight of ``day``; above 86400 if it runs past midnight.
        break_start: Start of the unpaid break in seconds since midnight of ``day`` (above
            86400 after midnight), or ``None`` for a template without a break.
        break_end: End of the break on the same clock, or ``None``.
        count: How many people work this shift (>= 1).
    """

    template: str
    day: int
    start: int
    end: int
    break_start: int | None
    break_end: int | None
    count: int

    def __str__(self) -> str:
        text = f"{self.count} x {self.template} day {self.day} "
        text += f"{_format_clock(self.start)}-{_format_clock(self.end)}"
        if self.break_start is not None and self.break_end is not None:
            text += f" (break {_format_clock(self.break_start)}-{_format_clock(self.break_end)})"
        return text


@dataclass(frozen=True, eq=False)
class ShiftPlan:
    """The chosen shifts and what they add up to, interval by interval.

    The plan holds numpy arrays, so two plans compare by identity, not by value.

    Attributes:
        shifts: The chosen shifts, by day, start, template and break.
        interval_seconds: Length of one interval of the horizon.
        required: Staff required per interval (the input).
        on_duty: Staff on duty per interval under the plan (breaks left out).
        surplus: ``on_duty - required`` per interval; never negative.
        paid_hours: Total paid hours of all chosen shifts (breaks unpaid; with
            ``wrap=False`` including the hours after the horizon's end).
        cost: Total cost, the minimised objective.
        optimal: ``True`` if HiGHS proved the plan optimal (within ``mip_rel_gap``);
            ``False`` if the time limit stopped it with a feasible but unproven plan.
        status: ``"optimal"``, ``"time limit: feasible, not proved optimal"``, or (any other
            early stop HiGHS reports with a solution) ``"stopped early: feasible, not proved
            optimal"``.
        message: HiGHS's own message, for the record.
        mip_gap: Relative gap between the plan's cost and the solver's lower bound
            (0 when proved optimal to the last unit).
        wrap: Whether shifts past the horizon's end covered its first intervals.
    """

    shifts: tuple[PlannedShift, ...]
    interval_seconds: int
    required: IntArray = field(repr=False)
    on_duty: IntArray = field(repr=False)
    surplus: IntArray = field(repr=False)
    paid_hours: float
    cost: float
    optimal: bool
    status: str
    message: str
    mip_gap: float
    wrap: bool

    @property
    def headcount(self) -> int:
        """Number of shifts worked over the horizon (one person-shift each)."""
        return sum(s.count for s in self.shifts)


# --------------------------------------------------------------------------
# The program
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """One column of the program: a template starting on one day, time and break position."""

    template: int
    day: int
    start: int
    break_offset: int | None


def _interval_label(index: int, interval_seconds: int, first_weekday: int) -> str:
    """``day 3 (Wed) 03:00-03:30`` for an interval index, days counted from 1.

    Planners and scenarios count days from 1; the arrays' day 0 is day 1.
    """
    per_day = SECONDS_PER_DAY // interval_seconds
    day, slot = divmod(index, per_day)
    begin = slot * interval_seconds
    weekday = _WEEKDAY_NAMES[(first_weekday + day) % 7]
    span = f"{_format_clock(begin)}-{_format_clock(begin + interval_seconds)}"
    return f"day {day + 1} ({weekday}) {span}"


def _check_requirements(requirements: npt.ArrayLike, interval_seconds: int) -> IntArray:
    """The requirement profile as int64, or raise if it is not whole days of whole staff."""
    values = np.asarray(requirements)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"requirements must be a non-empty 1-D array, got shape {values.shape}")
    if values.dtype == np.bool_ or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"requirements must be numbers of staff, got dtype {values.dtype}")
    as_float = values.astype(np.float64)
    if not np.all(np.isfinite(as_float)) or np.any(as_float < 0):
        raise ValueError("requirements must be finite staff counts >= 0")
    if np.any(as_float != np.round(as_float)):
        raise ValueError("requirements must be whole numbers of staff")
    if SECONDS_PER_DAY % interval_seconds:
        raise ValueError(f"interval_seconds ({interval_seconds}) must divide a day (86400 s)")
    per_day = SECONDS_PER_DAY // interval_seconds
    if values.size % per_day:
        raise ValueError(
            f"requirements must cover whole days: {values.size} intervals of "
            f"{interval_seconds} s is not a multiple of {per_day} per day"
        )
    return as_float.astype(np.int64)


def _candidates(
    templates: Sequence[ShiftTemplate], days: int, interval_seconds: int, first_weekday: int
) -> list[_Candidate]:
    """Every shift the templates allow on the horizon, one per break position."""
    out: list[_Candidate] = []
    for t_index, template in enumerate(templates):
        brk = template.unpaid_break
        offsets: tuple[int | None, ...] = (
            brk.offsets(interval_seconds) if brk is not None else (None,)
        )
        for day in range(days):
            if template.weekdays is not None and (first_weekday + day) % 7 not in template.weekdays:
                continue
            for start in template.starts:
                out.extend(_Candidate(t_index, day, start, offset) for offset in offsets)
    return out


def _duty_periods(candidate: _Candidate, template: ShiftTemplate) -> list[tuple[int, int]]:
    """Seconds since the horizon's start the person is on duty: one or two periods."""
    begin = candidate.day * SECONDS_PER_DAY + candidate.start
    end = begin + template.length
    if candidate.break_offset is None or template.unpaid_break is None:
        return [(begin, end)]
    pause = begin + candidate.break_offset
    return [(begin, pause), (pause + template.unpaid_break.length, end)]


def _covered(
    periods: Iterable[tuple[int, int]], interval_seconds: int, intervals: int, wrap: bool
) -> IntArray:
    """Indices of the intervals fully inside the periods, wrapped or cut at the horizon."""
    pieces = [
        np.arange(-(-a // interval_seconds), b // interval_seconds, dtype=np.int64)
        for a, b in periods
    ]
    index = np.concatenate(pieces) if pieces else np.empty(0, np.int64)
    return index % intervals if wrap else index[index < intervals]


def _coverage_matrix(
    templates: Sequence[ShiftTemplate],
    intervals: int,
    interval_seconds: int,
    *,
    wrap: bool = True,
    first_weekday: int = 0,
) -> tuple[sparse.csc_array, list[_Candidate]]:
    """The 0/1 matrix of which interval (row) each candidate shift (column) covers.

    Args:
        templates: The shift templates.
        intervals: Number of intervals in the horizon (whole days).
        interval_seconds: Length of one interval.
        wrap: Let shifts past the horizon's end cover its first intervals (weekly cycle).
        first_weekday: Weekday of day 0 (0 = Monday).

    Returns:
        The sparse matrix (``intervals`` x candidates) and the candidates, in column order.
    """
    days = intervals * interval_seconds // SECONDS_PER_DAY
    candidates = _candidates(templates, days, interval_seconds, first_weekday)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    for column, candidate in enumerate(candidates):
        periods = _duty_periods(candidate, templates[candidate.template])
        covered = _covered(periods, interval_seconds, intervals, wrap)
        rows.append(covered)
        cols.append(np.full(covered.size, column, dtype=np.int64))
    row = np.concatenate(rows) if rows else np.empty(0, np.int64)
    col = np.concatenate(cols) if cols else np.empty(0, np.int64)
    data = np.ones(row.size, dtype=np.float64)
    matrix = sparse.csc_array((data, (row, col)), shape=(intervals, len(candidates)))
    return matrix, candidates


def schedule_shifts(
    requirements: npt.ArrayLike,
    interval_seconds: int,
    templates: Sequence[ShiftTemplate],
    *,
    wrap: bool = True,
    first_weekday: int = 0,
    time_limit: float | None = 10.0,
    mip_rel_gap: float = 1e-6,
) -> ShiftPlan:
    """Choose how many people work each allowed shift so every interval is covered at least cost.

    Solves the set-covering integer program ``min sum(cost_j x_j)`` subject to ``A x >= r``
    and ``x`` integer ``>= 0``, where column ``j`` of ``A`` is one candidate shift (template
    x start day x start time x break position) and row ``i`` one interval. Each ``x_j`` is
    bounded above by the largest requirement it covers (more can never help), and
    candidates that cover no required interval are left out: a week of 30-minute intervals
    with three templates and starts every 30 minutes solves in a few tenths of a second.

    Args:
        requirements: Staff required per interval, whole numbers >= 0, over whole days from
            day 0 at 00:00 (e.g. 336 values for a week of 30-minute intervals).
        interval_seconds: Length of one interval in seconds; must divide a day.
        templates: The shift templates allowed for this pool (unique names).
        wrap: ``True`` (the default) treats the horizon as a repeating cycle, as a
            planner's week is: a Sunday night shift covers Monday's first hours. ``False``
            cuts shifts at the horizon's end; they are still paid in full.
        first_weekday: Weekday of day 0 (0 = Monday), so templates' weekdays land on
            the right days.
        time_limit: Seconds HiGHS may search, or ``None`` for no limit. If it stops with a
            feasible plan, that plan is returned with ``optimal=False``.
        mip_rel_gap: HiGHS stops once the plan's cost is within this fraction of its lower
            bound. The default is tight enough that "optimal" means optimal to well below
            one shift for any realistic plan.

    Returns:
        The plan: chosen shifts, staff on duty, surplus, paid hours, cost and solver status.

    Raises:
        ValueError: If the inputs are malformed, or some interval needs staff that no
            template can cover (the message names the first such interval by day and
            clock time).
        RuntimeError: If the solver stops without any feasible plan (time limit too short).
    """
    interval_seconds = _whole("interval_seconds", interval_seconds, minimum=1)
    required = _check_requirements(requirements, interval_seconds)
    templates = tuple(templates)
    if not templates:
        raise ValueError("give at least one shift template")
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise ValueError(f"shift template names must be unique, got {names}")
    first_weekday = operator.index(first_weekday)
    if not 0 <= first_weekday <= 6:
        raise ValueError(f"first_weekday is 0 (Monday) to 6 (Sunday), got {first_weekday}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be positive seconds or None, got {time_limit!r}")

    matrix, candidates = _coverage_matrix(
        templates, required.size, interval_seconds, wrap=wrap, first_weekday=first_weekday
    )
    coverable = np.asarray(matrix.sum(axis=1)).ravel() > 0
    uncovered = np.flatnonzero((required > 0) & ~coverable)
    if uncovered.size:
        first = int(uncovered[0])
        raise ValueError(
            f"{_interval_label(first, interval_seconds, first_weekday)} needs "
            f"{required[first]} staff but no shift template covers it "
            f"({uncovered.size} such interval{'s' if uncovered.size > 1 else ''} in all); "
            "allow earlier or later starts, longer shifts or more weekdays"
        )

    # Upper bound per column: the largest requirement among the intervals it covers.
    upper = np.zeros(len(candidates), dtype=np.float64)
    if matrix.nnz:
        csc = matrix.tocsc()
        for j in range(len(candidates)):
            covered = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            if covered.size:
                upper[j] = required[covered].max()
    useful = np.flatnonzero(upper > 0)
    costs = np.array([templates[c.template].cost for c in candidates], dtype=np.float64)
    counts = np.zeros(len(candidates), dtype=np.int64)
    optimal, status, message, gap = True, "optimal", "nothing to cover", 0.0
    if useful.size:
        a = matrix[:, useful]
        result = milp(
            costs[useful],
            integrality=np.ones(useful.size, dtype=np.int64),
            bounds=Bounds(np.zeros(useful.size), upper[useful]),
            constraints=LinearConstraint(a, lb=required.astype(np.float64), ub=np.inf),
            options={
                "mip_rel_gap": mip_rel_gap,
                "time_limit": math.inf if time_limit is None else float(time_limit),
            },
        )
        message = str(result.message)
        if result.x is None:
            raise RuntimeError(
                f"HiGHS found no feasible shift plan (status {result.status}): "
                f"{message}; raise time_limit"
            )
        counts[useful] = np.rint(result.x).astype(np.int64)
        code = int(result.status)  # 0 optimal, 1 time/iteration limit, 4 other
        optimal = code == 0
        if optimal:
            status = "optimal"
        elif code == 1:
            status = "time limit: feasible, not proved optimal"
        else:
            status = "stopped early: feasible, not proved optimal"
        raw_gap = getattr(result, "mip_gap", None)
        gap = float(raw_gap) if raw_gap is not None else 0.0

    on_duty = np.asarray(matrix @ counts.astype(np.float64)).round().astype(np.int64)
    if np.any(on_duty < required):  # cannot happen after an accepted solve; guard anyway
        short = int(np.flatnonzero(on_duty < required)[0])
        raise RuntimeError(
            f"solver plan leaves {_interval_label(short, interval_seconds, first_weekday)} short"
        )
    shifts = tuple(
        sorted(
            (
                _planned(candidates[j], templates[candidates[j].template], int(counts[j]))
                for j in np.flatnonzero(counts)
            ),
            key=lambda s: (s.day, s.start, s.template, s.break_start or 0),
        )
    )
    paid = float(
        sum(counts[j] * templates[c.template].paid_seconds for j, c in enumerate(candidates))
    )
    return ShiftPlan(
        shifts=shifts,
        interval_seconds=interval_seconds,
        required=required,
        on_duty=on_duty,
        surplus=on_duty - required,
        paid_hours=paid / 3600.0,
        cost=float(costs @ counts),
        optimal=optimal,
        status=status,
        message=message,
        mip_gap=gap,
        wrap=wrap,
    )


def _planned(candidate: _Candidate, template: ShiftTemplate, count: int) -> PlannedShift:
    """The plan row for ``count`` people on one candidate shift."""
    brk = template.unpaid_break
    if candidate.break_offset is None or brk is None:
        break_start = break_end = None
    else:
        break_start = candidate.start + candidate.break_offset
        break_end = break_start + brk.length
    return PlannedShift(
        template=template.name,
        day=candidate.day,
        start=candidate.start,
        end=candidate.start + template.length,
        break_start=break_start,
        break_end=break_end,
        count=count,
    )
