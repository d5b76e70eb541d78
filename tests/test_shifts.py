"""Least-cost shift selection (servsim.shifts): coverage, optimality, breaks, wrap, errors.

Coverage is recomputed here from the plan's rows with a deliberately naive rule (an interval is
covered if the whole interval lies in the shift and outside its break), so the module's own
coverage matrix is checked, not trusted. Optimality is checked against hand solutions and
against brute force over every integer combination of a few candidate shifts.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servsim.shifts import (
    SECONDS_PER_DAY,
    Break,
    PlannedShift,
    ShiftPlan,
    ShiftTemplate,
    clock,
    schedule_shifts,
    start_times,
)

HOUR = 3600
HALF_HOUR = 1800


# --------------------------------------------------------------------------
# An independent coverage rule
# --------------------------------------------------------------------------


def covers(
    day: int,
    start: int,
    length: int,
    pause: tuple[int, int] | None,
    interval: int,
    i: int,
    intervals: int,
    wrap: bool,
) -> bool:
    """Whether a shift (times since midnight of ``day``) is on duty for all of interval ``i``."""
    begin = day * SECONDS_PER_DAY + start
    horizon = intervals * interval
    copies = (0, horizon) if wrap else (0,)
    for shift in copies:  # with wrap, interval ``i`` also sits one horizon later
        a = i * interval + shift
        b = a + interval
        inside = begin <= a and b <= begin + length
        if pause is not None:
            p0, p1 = day * SECONDS_PER_DAY + pause[0], day * SECONDS_PER_DAY + pause[1]
            inside = inside and (b <= p0 or p1 <= a)
        if inside:
            return True
    return False


def on_duty_from_rows(plan: ShiftPlan, templates: dict[str, ShiftTemplate]) -> np.ndarray:
    n = plan.required.size
    staff = np.zeros(n, dtype=np.int64)
    for row in plan.shifts:
        length = templates[row.template].length
        assert row.end == row.start + length
        pause = None if row.break_start is None else (row.break_start, row.break_end)
        for i in range(n):
            if covers(row.day, row.start, length, pause, plan.interval_seconds, i, n, plan.wrap):
                staff[i] += row.count
    return staff


def check_plan(plan: ShiftPlan, templates: list[ShiftTemplate]) -> None:
    """Everything a plan says about itself agrees with its rows."""
    by_name = {t.name: t for t in templates}
    expected = on_duty_from_rows(plan, by_name)
    np.testing.assert_array_equal(plan.on_duty, expected)
    assert np.all(plan.on_duty >= plan.required)
    np.testing.assert_array_equal(plan.surplus, plan.on_duty - plan.required)
    paid = sum(r.count * by_name[r.template].paid_seconds for r in plan.shifts) / HOUR
    cost = sum(r.count * by_name[r.template].cost for r in plan.shifts)
    assert plan.paid_hours == pytest.approx(paid)
    assert plan.cost == pytest.approx(cost)
    for row in plan.shifts:
        template = by_name[row.template]
        assert row.count >= 1
        assert row.start in template.starts
        if template.unpaid_break is None:
            assert row.break_start is None
        else:
            brk = template.unpaid_break
            assert row.break_start is not None
            assert brk.earliest <= row.break_start - row.start <= brk.latest
            assert row.break_end == row.break_start + brk.length


# --------------------------------------------------------------------------
# Hand-solvable cases
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_flat_requirement_over_one_day_takes_exactly_k_staff(k: int) -> None:
    required = np.zeros(48, dtype=int)
    required[clock("09:00") // HALF_HOUR : clock("17:00") // HALF_HOUR] = k
    template = ShiftTemplate("day", 8 * HOUR, (clock("09:00"),), cost_per_hour=25.0)
    plan = schedule_shifts(required, HALF_HOUR, [template])
    assert plan.optimal and plan.status == "optimal"
    assert plan.headcount == k
    assert plan.cost == pytest.approx(k * 8 * 25.0)
    assert plan.paid_hours == pytest.approx(8 * k)
    assert plan.surplus.sum() == 0
    if k:
        assert plan.shifts == (
            PlannedShift("day", 0, clock("09:00"), clock("17:00"), None, None, k),
        )
    check_plan(plan, [template])


def test_cheaper_per_hour_long_shift_beats_two_short_ones() -> None:
    """8 h at 20/h (160) covers 09-17 more cheaply than two 4 h shifts at 22/h (176)."""
    required = np.zeros(24, dtype=int)
    required[9:17] = 2
    long = ShiftTemplate("long", 8 * HOUR, (clock("09:00"),), 20.0)
    short = ShiftTemplate("short", 4 * HOUR, (clock("09:00"), clock("13:00")), 22.0)
    plan = schedule_shifts(required, HOUR, [long, short])
    assert [(r.template, r.count) for r in plan.shifts] == [("long", 2)]
    assert plan.cost == pytest.approx(320.0)
    # With the long shift dearer (25/h = 200 > 176) the short ones win.
    dear = ShiftTemplate("long", 8 * HOUR, (clock("09:00"),), 25.0)
    plan = schedule_shifts(required, HOUR, [dear, short])
    assert sorted((r.template, r.start, r.count) for r in plan.shifts) == [
        ("short", clock("09:00"), 2),
        ("short", clock("13:00"), 2),
    ]
    assert plan.cost == pytest.approx(4 * 4 * 22.0)


def test_weekdays_limit_the_days_a_template_starts_on() -> None:
    required = np.zeros(7 * 24, dtype=int)
    for day in range(7):
        required[day * 24 + 10 : day * 24 + 14] = 1
    weekday = ShiftTemplate("weekday", 4 * HOUR, (clock("10:00"),), 10.0, weekdays=tuple(range(5)))
    weekend = ShiftTemplate("weekend", 4 * HOUR, (clock("10:00"),), 15.0, weekdays=(5, 6))
    plan = schedule_shifts(required, HOUR, [weekday, weekend])
    assert [(r.template, r.day) for r in plan.shifts] == [
        *(("weekday", d) for d in range(5)),
        ("weekend", 5),
        ("weekend", 6),
    ]
    assert plan.cost == pytest.approx(5 * 40 + 2 * 60)
    # Day 0 a Saturday: the weekend template now runs on days 0 and 1.
    plan = schedule_shifts(required, HOUR, [weekday, weekend], first_weekday=5)
    assert [(r.template, r.day) for r in plan.shifts if r.template == "weekend"] == [
        ("weekend", 0),
        ("weekend", 1),
    ]


# --------------------------------------------------------------------------
# Breaks
# --------------------------------------------------------------------------


def test_an_interval_inside_a_fixed_break_is_not_covered() -> None:
    required = np.zeros(48, dtype=int)
    required[clock("09:00") // HALF_HOUR] = 1
    brk = Break(HALF_HOUR, 2 * HOUR, 2 * HOUR)  # 11:00-11:30 for a 09:00 start
    template = ShiftTemplate("four", 4 * HOUR, (clock("09:00"),), 10.0, unpaid_break=brk)
    plan = schedule_shifts(required, HALF_HOUR, [template])
    at = {clock(t) // HALF_HOUR: plan.on_duty[clock(t) // HALF_HOUR] for t in ("10:30", "11:00")}
    assert at == {clock("10:30") // HALF_HOUR: 1, clock("11:00") // HALF_HOUR: 0}
    assert plan.on_duty[clock("11:30") // HALF_HOUR] == 1
    assert plan.on_duty.sum() == 7  # 4 h on the clock, 3.5 h on duty
    assert plan.paid_hours == pytest.approx(3.5)
    assert plan.cost == pytest.approx(35.0)
    assert plan.shifts[0].break_start == clock("11:00")
    check_plan(plan, [template])


def test_a_requirement_inside_the_only_break_position_cannot_be_covered() -> None:
    required = np.zeros(48, dtype=int)
    required[clock("09:00") // HALF_HOUR : clock("13:00") // HALF_HOUR] = 1
    brk = Break(HALF_HOUR, 2 * HOUR, 2 * HOUR)
    template = ShiftTemplate("four", 4 * HOUR, (clock("09:00"),), 10.0, unpaid_break=brk)
    with pytest.raises(ValueError, match=r"day 1 \(Mon\) 11:00-11:30 needs 1 staff"):
        schedule_shifts(required, HALF_HOUR, [template])


def test_break_positions_are_chosen_to_stagger_breaks() -> None:
    """Two people, dips to one at 11:00 and at 12:00: breaks must go exactly there."""
    required = np.zeros(48, dtype=int)
    required[clock("09:00") // HALF_HOUR : clock("13:00") // HALF_HOUR] = 2
    required[clock("11:00") // HALF_HOUR] = 1
    required[clock("12:00") // HALF_HOUR] = 1
    brk = Break(HALF_HOUR, 1 * HOUR, 3 * HOUR)  # starts 10:00 ... 12:00 for a 09:00 start
    template = ShiftTemplate("four", 4 * HOUR, (clock("09:00"),), 10.0, unpaid_break=brk)
    plan = schedule_shifts(required, HALF_HOUR, [template])
    assert plan.headcount == 2
    assert sorted(r.break_start for r in plan.shifts if r.break_start is not None) == [
        clock("11:00"),
        clock("12:00"),
    ]
    assert plan.surplus.sum() == 0
    assert plan.cost == pytest.approx(2 * 3.5 * 10.0)
    check_plan(plan, [template])


# --------------------------------------------------------------------------
# Infeasible requirements
# --------------------------------------------------------------------------


def test_a_requirement_no_shift_can_cover_names_the_interval() -> None:
    required = np.zeros(2 * 48, dtype=int)
    required[48 + clock("03:00") // HALF_HOUR] = 2  # day 1, 03:00
    required[48 + clock("23:30") // HALF_HOUR] = 1  # also uncovered, but later
    template = ShiftTemplate(
        "early", 8 * HOUR, start_times(clock("07:00"), clock("14:00"), HALF_HOUR), 20.0
    )
    with pytest.raises(ValueError, match=r"day 2 \(Tue\) 03:00-03:30 needs 2 staff") as info:
        schedule_shifts(required, HALF_HOUR, [template])
    assert "2 such intervals" in str(info.value)
    with pytest.raises(ValueError, match=r"day 2 \(Thu\) 03:00-03:30"):
        schedule_shifts(required, HALF_HOUR, [template], first_weekday=2)


def test_a_weekday_with_no_template_is_named() -> None:
    required = np.zeros(7 * 24, dtype=int)
    required[5 * 24 + 10] = 1  # Saturday 10:00
    template = ShiftTemplate("weekday", 8 * HOUR, (clock("09:00"),), 10.0, weekdays=(0, 1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"day 6 \(Sat\) 10:00-11:00 needs 1 staff"):
        schedule_shifts(required, HOUR, [template])


# --------------------------------------------------------------------------
# Wrap
# --------------------------------------------------------------------------


def test_wrap_lets_a_night_shift_cover_the_start_of_the_horizon() -> None:
    required = np.zeros(24, dtype=int)
    required[22] = 1  # 22:00
    required[2] = 1  # 02:00, only reachable by wrapping the 20:00-04:00 shift
    night = ShiftTemplate("night", 8 * HOUR, (clock("20:00"),), 30.0)
    plan = schedule_shifts(required, HOUR, [night], wrap=True)
    assert plan.headcount == 1 and plan.cost == pytest.approx(240.0)
    assert plan.shifts[0].end == clock("20:00") + 8 * HOUR  # 28:00, past midnight
    np.testing.assert_array_equal(np.flatnonzero(plan.on_duty), [0, 1, 2, 3, 20, 21, 22, 23])
    check_plan(plan, [night])
    with pytest.raises(ValueError, match=r"day 1 \(Mon\) 02:00-03:00 needs 1 staff"):
        schedule_shifts(required, HOUR, [night], wrap=False)


def test_without_wrap_a_shift_is_cut_at_the_end_but_paid_in_full() -> None:
    required = np.zeros(24, dtype=int)
    required[22] = 1
    required[2] = 1
    night = ShiftTemplate("night", 8 * HOUR, (clock("20:00"),), 30.0)
    early = ShiftTemplate("early", 4 * HOUR, (clock("00:00"),), 30.0)
    plan = schedule_shifts(required, HOUR, [night, early], wrap=False)
    assert sorted(r.template for r in plan.shifts) == ["early", "night"]
    np.testing.assert_array_equal(np.flatnonzero(plan.on_duty), [0, 1, 2, 3, 20, 21, 22, 23])
    assert plan.paid_hours == pytest.approx(12.0)  # the night shift's hours after 24:00 count
    assert plan.cost == pytest.approx(360.0)
    check_plan(plan, [night, early])
    # With wrap the night shift alone does it, more cheaply.
    assert schedule_shifts(required, HOUR, [night, early]).cost == pytest.approx(240.0)


def test_sunday_night_covers_monday_morning_in_a_weekly_cycle() -> None:
    required = np.zeros(7 * 48, dtype=int)
    required[clock("01:00") // HALF_HOUR] = 3  # Monday 01:00
    night = ShiftTemplate("night", 8 * HOUR, (clock("22:00"),), 30.0, weekdays=(6,))
    plan = schedule_shifts(required, HALF_HOUR, [night])
    assert [(r.day, r.count) for r in plan.shifts] == [(6, 3)]
    assert plan.on_duty[0] == 3 and plan.on_duty[-1] == 3  # Mon 00:00 and Sun 23:30
    check_plan(plan, [night])


# --------------------------------------------------------------------------
# Property tests: coverage, and optimality against brute force
# --------------------------------------------------------------------------


@st.composite
def small_templates(draw: st.DrawFn, interval: int) -> list[ShiftTemplate]:
    count = draw(st.integers(1, 3))
    out = []
    for i in range(count):
        length = draw(st.integers(2, 10)) * interval
        starts = draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True))
        rate = draw(st.sampled_from([10.0, 12.5, 15.0, 20.0]))
        brk = None
        if length >= 4 * interval and draw(st.booleans()):
            earliest = draw(st.integers(1, length // interval - 3)) * interval
            latest = draw(st.integers(earliest // interval, length // interval - 2)) * interval
            brk = Break(interval, earliest, latest)
        out.append(
            ShiftTemplate(f"t{i}", length, tuple(s * HOUR for s in starts), rate, unpaid_break=brk)
        )
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    templates=small_templates(HOUR),
    profile=st.lists(st.integers(0, 4), min_size=48, max_size=48),
    wrap=st.booleans(),
)
def test_every_interval_is_covered(
    templates: list[ShiftTemplate], profile: list[int], wrap: bool
) -> None:
    # A catch-all template (4 h, any hour) guarantees every profile can be covered.
    catch_all = ShiftTemplate("any", 4 * HOUR, start_times(0, 23 * HOUR, HOUR), 40.0)
    templates = [*templates, catch_all]
    plan = schedule_shifts(np.array(profile), HOUR, templates, wrap=wrap)
    assert plan.optimal
    check_plan(plan, templates)


@st.composite
def few_candidate_templates(draw: st.DrawFn) -> list[ShiftTemplate]:
    """1-3 templates with one start each and at most 3 candidate shifts in all (with breaks)."""
    out: list[ShiftTemplate] = []
    budget = 3
    for i in range(draw(st.integers(1, 3))):
        if budget == 0:
            break
        hours = draw(st.integers(2, 10))
        start = draw(st.integers(0, 23)) * HOUR
        rate = draw(st.sampled_from([10.0, 12.5, 15.0, 20.0]))
        brk = None
        if hours >= 4 and draw(st.booleans()):
            earliest = draw(st.integers(1, hours - 3))
            spread = draw(st.integers(0, min(budget - 1, hours - 2 - earliest)))
            brk = Break(HOUR, earliest * HOUR, (earliest + spread) * HOUR)
            budget -= spread + 1
        else:
            budget -= 1
        out.append(ShiftTemplate(f"t{i}", hours * HOUR, (start,), rate, unpaid_break=brk))
    return out


def _candidates(templates: list[ShiftTemplate]) -> list[tuple[ShiftTemplate, int, int | None]]:
    out = []
    for t in templates:
        offsets = (
            [None]
            if t.unpaid_break is None
            else list(range(t.unpaid_break.earliest, t.unpaid_break.latest + 1, HOUR))
        )
        out.extend((t, s, o) for s in t.starts for o in offsets)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), wrap=st.booleans())
def test_plan_cost_equals_brute_force_minimum(data: st.DataObject, wrap: bool) -> None:
    """One day of 1 h intervals, at most 3 candidate shifts: try every count 0..3 of each."""
    templates = data.draw(few_candidate_templates())
    candidates = _candidates(templates)
    assert 1 <= len(candidates) <= 3
    n = 24
    cover = np.array(
        [
            [
                covers(
                    0, s, t.length, None if o is None else (s + o, s + o + HOUR), HOUR, i, n, wrap
                )
                for (t, s, o) in candidates
            ]
            for i in range(n)
        ],
        dtype=np.int64,
    )
    coverable = cover.any(axis=1)
    raw = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    required = np.where(coverable, raw, 0)
    best = math.inf
    for counts in itertools.product(range(4), repeat=len(candidates)):
        x = np.array(counts)
        if np.all(cover @ x >= required):
            best = min(best, sum(c * t.cost for c, (t, _, _) in zip(x, candidates, strict=True)))
    plan = schedule_shifts(required, HOUR, templates, wrap=wrap)
    assert plan.optimal
    assert plan.cost == pytest.approx(best)
    check_plan(plan, templates)
    if not coverable.all():
        uncovered = int(np.flatnonzero(~coverable)[0])
        bad = required.copy()
        bad[uncovered] = 1
        with pytest.raises(ValueError, match=f"day 1 \\(Mon\\) {uncovered:02d}:00-"):
            schedule_shifts(bad, HOUR, templates, wrap=wrap)


# --------------------------------------------------------------------------
# Realistic sizes
# --------------------------------------------------------------------------


def _weekly_profile(days: int, peak: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    slot = np.arange(48)
    base = (
        4
        + peak * np.exp(-(((slot - 21) / 5.0) ** 2))
        + 0.7 * peak * np.exp(-(((slot - 30) / 6.0) ** 2))
    )
    day = np.round(base + rng.normal(0, 1.0, 48)).clip(0)
    day[:14] = 0  # closed before 07:00 ...
    day[42:] = 0  # ... and from 21:00
    scale = (1.1, 1.0, 1.0, 1.0, 1.05, 0.6, 0.4)
    return np.concatenate([np.round(day * scale[d]) for d in range(days)]).astype(np.int64)


def _three_templates() -> list[ShiftTemplate]:
    starts = start_times(clock("07:00"), clock("14:00"), HALF_HOUR)
    lunch = Break(HALF_HOUR, 3 * HOUR, 5 * HOUR)
    return [
        ShiftTemplate("full", 8 * HOUR + HALF_HOUR, starts, 20.0, unpaid_break=lunch),
        ShiftTemplate("six", 6 * HOUR, starts, 21.0),
        ShiftTemplate(
            "four", 4 * HOUR, start_times(clock("07:00"), clock("17:00"), HALF_HOUR), 23.0
        ),
    ]


def test_a_week_of_half_hours_with_three_templates_solves_quickly() -> None:
    required = _weekly_profile(7, 10.0, seed=3)
    templates = _three_templates()
    began = time.perf_counter()
    plan = schedule_shifts(required, HALF_HOUR, templates)
    elapsed = time.perf_counter() - began
    assert required.size == 336
    assert plan.optimal
    check_plan(plan, templates)
    assert elapsed < 5.0  # typically well under a second; generous for loaded CI machines


def test_two_pools_over_five_days_are_solved_pool_by_pool() -> None:
    front = _weekly_profile(5, 10.0, seed=1)
    back = _weekly_profile(5, 4.0, seed=2)
    front_templates = _three_templates()
    back_templates = [
        ShiftTemplate("back", 8 * HOUR, start_times(clock("07:00"), clock("13:00"), HOUR), 18.0)
    ]
    plans = {
        "front": schedule_shifts(front, HALF_HOUR, front_templates),
        "back": schedule_shifts(back, HALF_HOUR, back_templates),
    }
    check_plan(plans["front"], front_templates)
    check_plan(plans["back"], back_templates)
    assert all(p.optimal for p in plans.values())
    assert all(r.template == "back" for r in plans["back"].shifts)


def test_a_time_limit_returns_a_feasible_plan_or_says_none_was_found() -> None:
    required = _weekly_profile(7, 10.0, seed=3)
    templates = _three_templates()
    try:
        plan = schedule_shifts(required, HALF_HOUR, templates, time_limit=0.02)
    except RuntimeError as error:
        assert "no feasible shift plan" in str(error)
        return
    check_plan(plan, templates)
    if not plan.optimal:
        assert plan.status == "time limit: feasible, not proved optimal"
        assert plan.mip_gap >= 0


# --------------------------------------------------------------------------
# Input checks and helpers
# --------------------------------------------------------------------------


def test_clock_and_start_times() -> None:
    assert clock("07:30") == 27_000
    assert clock("24:00") == SECONDS_PER_DAY
    assert start_times(clock("07:00"), clock("08:00"), HALF_HOUR) == (25_200, 27_000, 28_800)
    for bad in ("7h", "25:00", "07:60"):
        with pytest.raises(ValueError):
            clock(bad)


@pytest.mark.parametrize(
    ("required", "interval", "match"),
    [
        (np.ones(47, dtype=int), HALF_HOUR, "whole days"),
        (np.full(48, -1), HALF_HOUR, ">= 0"),
        (np.full(48, 1.5), HALF_HOUR, "whole numbers"),
        (np.ones((2, 24), dtype=int), HOUR, "1-D"),
        (np.ones(24, dtype=int), 7 * 60, "divide a day"),
    ],
)
def test_malformed_requirements_are_refused(
    required: np.ndarray, interval: int, match: str
) -> None:
    template = ShiftTemplate("any", 4 * HOUR, (0,), 1.0)
    with pytest.raises(ValueError, match=match):
        schedule_shifts(required, interval, [template])


def test_malformed_templates_are_refused() -> None:
    with pytest.raises(ValueError, match="break must end before the shift"):
        ShiftTemplate("x", 4 * HOUR, (0,), 1.0, unpaid_break=Break(HOUR, 3 * HOUR, 3 * HOUR))
    with pytest.raises(ValueError, match="at most 24 h"):
        ShiftTemplate("x", SECONDS_PER_DAY + 1, (0,), 1.0)
    with pytest.raises(ValueError, match="cost_per_hour"):
        ShiftTemplate("x", HOUR, (0,), 0.0)
    with pytest.raises(ValueError, match="before its earliest"):
        Break(HALF_HOUR, 2 * HOUR, HOUR)
    t = ShiftTemplate("x", HOUR, (0,), 1.0)
    with pytest.raises(ValueError, match="unique"):
        schedule_shifts(np.ones(24, dtype=int), HOUR, [t, t])
