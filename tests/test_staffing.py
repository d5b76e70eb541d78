"""Least-cost staffing: targets as planners write them, interval staffing, and the plan verified.

The stationary checks hold the simulation-based requirement to Erlang C, where theory has the
answer; the property tests hold the conversions a planner cannot see (per-interval staffing to
shifts and back) to exactness.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servsim import ScenarioError, load_scenario
from servsim.cli import main
from servsim.experiment import simulate
from servsim.scenario import SECONDS_PER_DAY, resolve_scenario
from servsim.scenario.timetable import headcount_schedule
from servsim.staffing import (
    PoolTarget,
    RunTarget,
    _measure,
    _runs,
    _with_shifts,
    check_staffing,
    load_steps,
    parse_shift_template,
    parse_staffing_target,
    staff,
    with_interval_staffing,
)
from servsim.theory import servers_for_service_level, servers_for_targets

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TEXTBOOK = SCENARIOS / "validation" / "mmc_textbook.yaml"
SINUSOIDAL = SCENARIOS / "validation" / "sinusoidal.yaml"


def _one_day_textbook(**overrides: object):
    """The M/M/7 textbook queue over one day: 100 calls an hour, mean service 180 s."""
    return load_scenario(TEXTBOOK).with_overrides(
        {"horizon.days": 1, "horizon.warm_up": "1h", **overrides}
    )


# ---------------------------------------------------------------- targets and templates


def test_targets_read_as_planners_write_them() -> None:
    target = parse_staffing_target("service_level>=80%@20s")
    assert isinstance(target, PoolTarget)
    assert (target.target.kind, target.target.bound, target.target.answer_time) == (
        "service_level",
        0.8,
        20.0,
    )
    for_pool = parse_staffing_target("occupancy[back_office]<=0.85")
    assert isinstance(for_pool, PoolTarget)
    assert for_pool.pool == "back_office"
    assert for_pool.target.bound == 0.85
    whole_run = parse_staffing_target("csat_mean>=4")
    assert isinstance(whole_run, RunTarget)
    assert whole_run.at_least and whole_run.bound == 4.0
    assert whole_run.met_by(4.0) and not whole_run.met_by(3.99)


@pytest.mark.parametrize(
    "text",
    ["service_level>0.8@20s", "speed<=30s", "csat_mean[agents]>=4", "asa>=30s", "csat_mean>=x"],
)
def test_a_wrong_target_says_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match=r"service_level|asa|number|target"):
        parse_staffing_target(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_target_or_a_plain_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_staffing_target(text)


def test_shift_templates_read_from_the_command_line() -> None:
    template = parse_shift_template("early=8h@07:00-09:00/30min,break=30min@3h-5h,cost=25")
    assert template.name == "early"
    assert template.length == 8 * 3600
    assert (template.first_start, template.last_start, template.every) == (25200, 32400, 1800)
    assert template.unpaid_break is not None
    assert (template.unpaid_break.length, template.unpaid_break.earliest) == (1800, 3 * 3600)
    assert template.cost_per_hour == 25
    with pytest.raises(ValueError, match="break"):
        parse_shift_template("8h@07:00,break=30min")
    with pytest.raises(ValueError, match="shift template"):
        parse_shift_template("eight hours from seven")
    with pytest.raises(ValueError, match="break must end"):
        parse_shift_template("4h@07:00,break=30min@3h-4h")


# ---------------------------------------------------------------- interval staffing


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=48, max_size=48 * 2).filter(lambda v: len(v) % 48 == 0))
def test_interval_staffing_becomes_shifts_that_put_exactly_that_many_on_the_floor(
    values: list[int],
) -> None:
    days = len(values) // 48
    scenario = _one_day_textbook(**{"horizon.days": days})
    grid = np.array(values, dtype=np.int64)
    staffed = _with_shifts(scenario, {"agents": _runs(grid, 1800.0)})
    pool = staffed.pool("agents")
    schedule = headcount_schedule(pool, resolve_scenario(staffed).calendar, days * SECONDS_PER_DAY)
    times = [t for t, _ in schedule]
    for b, wanted in enumerate(values):
        middle = (b + 0.5) * 1800.0
        level = schedule[max(i for i, t in enumerate(times) if t <= middle)][1]
        assert level == wanted


def test_load_steps_cut_the_interval_evenly() -> None:
    assert [load_steps(i) for i in (300.0, 600.0, 900.0, 1800.0, 3600.0)] == [1, 1, 2, 3, 6]
    assert load_steps(1800.0, 300.0) == 6
    assert load_steps(1800.0, 1800.0) == 1
    for wrong in (700.0, 30.0, 3600.0):
        with pytest.raises(ValueError, match="load step"):
            load_steps(1800.0, wrong)


def _sinusoidal(scale: float, **overrides: object):
    """The sinusoidal validation case with its arrivals times ``scale``."""
    base = load_scenario(SINUSOIDAL)
    profile = [
        {**p.model_dump(mode="json"), "per_hour": p.per_hour * scale} for p in base.arrivals.profile
    ]
    return base.with_overrides({"arrivals.profile": profile, **overrides})


def _infinite_server_load(scenario, step: float, steps: int) -> np.ndarray:
    """M_t/M/inf's mean number in service averaged over each step, from the arrival profile.

    Written out from m' = lambda(t) - m / s (s the mean service time), empty at time 0: within
    a step of constant rate, m relaxes towards lambda s at rate 1 / s.
    """
    service = 360.0
    rates = [p.per_hour / 3600 for p in scenario.arrivals.profile]
    m, out = 0.0, []
    for k in range(steps):
        level = rates[int(k * step // 1800) % len(rates)] * service
        decay = math.exp(-step / service)
        out.append(level + (m - level) * (1 - decay) * service / step)
        m = level + (m - level) * decay
    return np.array(out)


def test_the_load_steps_add_up_and_count_abandoners_as_served() -> None:
    """Sums kept per 10-min step add up to the half hour's. 8 agents against 12-17 erlangs
    (sinusoidal x3, 00:00-06:00): a third of the callers abandon, yet the load measured is the
    infinite-server one written out from the arrival rates, because each abandoner counts a
    handle time instead of its wait; the plain offered work falls far short of it."""
    scenario = _sinusoidal(
        3, **{"horizon.days": 0.25, "horizon.warm_up": 0, "staff.front.agents.headcount": 8}
    )
    fine = simulate(scenario.with_overrides({"reporting.interval": 600}), replications=6, seed=5)
    whole = simulate(scenario.with_overrides({"reporting.interval": 1800}), replications=6, seed=5)
    measured = _measure(fine, ["agents"], 12, 1800.0, 3)
    plain = _measure(whole, ["agents"], 12, 1800.0, 1)
    np.testing.assert_allclose(measured.step_offered["agents"].sum(axis=1), plain.offered["agents"])
    np.testing.assert_allclose(measured.load["agents"], plain.load["agents"])
    np.testing.assert_allclose(
        measured.step_load["agents"].mean(axis=1), measured.load["agents"], rtol=0.02
    )
    assert fine.intervals["abandoned"].sum() > 0.25 * fine.intervals["offered"].sum()
    # the first steps fill an empty system and the last is cut by the horizon's end
    theory = _infinite_server_load(scenario, 600.0, 36)[3:-3]
    loads = measured.step_load["agents"].ravel()[3:-3]
    assert abs(loads.mean() / theory.mean() - 1) < 0.04
    assert np.sqrt(np.mean((loads / theory - 1) ** 2)) < 0.18
    offered_work = fine.intervals.groupby("bin")["offered_work"].sum().to_numpy() / (6 * 600)
    assert offered_work[3:-3].mean() < 0.85 * theory.mean()


# ---------------------------------------------------------------- against theory
# ---------------------------------------------------------------- against theory


def test_a_stationary_queue_is_staffed_as_erlang_c_says() -> None:
    """M/M/c at 100 calls/h, 180 s: Erlang C needs 8 agents for 80/20 (7 reach 74%)."""
    erlang_c = servers_for_service_level(100 / 3600, 180.0, 20.0, 0.8)
    assert erlang_c == 8
    plan = staff(_one_day_textbook(), ["service_level>=0.8@20s"], replications=4)
    rows = plan.intervals
    # the pilot's requirement is Erlang C for each interval's measured rate and handle time
    for offered, handle, required in rows[["offered", "handle_time", "erlang_required"]].values:
        assert required == servers_for_service_level(offered / 1800, handle, 20.0, 0.8)
    # a half hour holds ~50 calls, so its measured load is noisy (+-10% over 4 replications):
    # the requirement may be one off where it was, and is Erlang C's answer in most intervals
    for column in ("erlang_required", "simulated_required"):
        assert rows[column].between(erlang_c - 1, erlang_c + 1).all()
        assert (rows[column] == erlang_c).mean() >= 0.5
    # with every customer's service as it was drawn, the load is the offered 5 erlangs
    assert rows["offered_load"].mean() == pytest.approx(5.0, rel=0.05)
    # each iteration adds replications of its own to the load staffing sizes for, so the noise
    # shrinks: the plan is Erlang C's answer almost everywhere, and the changes die out
    assert (rows["simulated_required"] == erlang_c).mean() >= 0.85
    changes = plan.iterations.loc[
        plan.iterations["step"].str.startswith("iteration"), "changed_intervals"
    ].to_numpy()
    assert changes[-1] <= 2 < changes[0]
    assert plan.met
    verdict = plan.targets.iloc[0]
    assert verdict["mean"] >= 0.8


def test_a_stricter_goal_never_needs_fewer_staff() -> None:
    scenario = _one_day_textbook(**{"horizon.days": 0.5})
    loose = staff(scenario, ["service_level>=0.7@20s"], replications=3)
    strict = staff(scenario, ["service_level>=0.9@20s"], replications=3)
    assert (
        strict.intervals["simulated_required"].to_numpy()
        >= loose.intervals["simulated_required"].to_numpy()
    ).all()
    assert strict.cost >= loose.cost or math.isnan(strict.cost)


# ---------------------------------------------------------------- the command


def test_the_staff_command_saves_a_plan_that_runs(tmp_path: Path) -> None:
    one_day = tmp_path / "one_day.yaml"
    one_day.write_text(
        TEXTBOOK.read_text().replace("horizon: {days: 3, warm_up: 2h}", "horizon: {days: 1}")
    )
    code = main(
        [
            "staff",
            str(one_day),
            "--target",
            "service_level>=0.8@20s",
            "--shift",
            "8h@00:00-16:00/1h",
            "-r",
            "3",
            "-o",
            str(tmp_path / "results"),
            "-q",
        ]
    )
    assert code == 0
    (folder,) = (tmp_path / "results" / "staffing" / "mmc_textbook").iterdir()
    for name in ("intervals.csv", "targets.csv", "shifts.csv", "scenario.yaml", "staffing.png"):
        assert (folder / name).is_file(), name
    assert main(["run", str(folder / "scenario.yaml"), "--no-save", "-q", "-r", "2"]) == 0


def test_a_back_office_is_staffed_for_its_occupancy_target() -> None:
    """Occupancy <= 0.85 needs at least load / 0.85 staff in every interval work is offered."""
    scenario = load_scenario(SCENARIOS / "helpdesk.yaml").with_overrides({"horizon.days": 1})
    plan = staff(
        scenario,
        ["service_level>=0.8@20s", "occupancy[back_office]<=0.85"],
        pools=["back_office"],
        replications=3,
    )
    rows = plan.intervals
    assert set(rows["pool"]) == {"back_office"}
    working = rows[rows["scheduled"] > 0]
    assert not working.empty
    assert (working["simulated_required"] >= np.ceil(working["offered_load"] / 0.85 - 1e-9)).all()
    verdict = plan.targets.set_index("pool").loc["back_office"]
    assert verdict["met"] == (verdict["mean"] <= 0.85)
    # staffing kept the back office within its hours in the scenario (09:00-18:00)
    hours = rows.loc[rows["scheduled"] > 0, "start"]
    assert hours.min() >= "09:00" and hours.max() < "18:00"


def test_a_missed_satisfaction_target_raises_the_front_line() -> None:
    scenario = _one_day_textbook(**{"horizon.days": 0.5})
    first = staff(scenario, ["service_level>=0.8@20s"], replications=3)
    reached = first.verified.metric("csat_mean")["mean"]
    raised = staff(
        scenario, ["service_level>=0.8@20s", f"csat_mean>={reached + 0.02:.3f}"], replications=3
    )
    steps = raised.iterations["step"].tolist()
    assert steps.count("verification") == 1 and len([s for s in steps if "verif" in s]) >= 2
    assert raised.intervals["scheduled"].sum() > first.intervals["scheduled"].sum()
    assert raised.verified.metric("csat_mean")["mean"] > reached


def test_the_staff_command_refuses_a_wrong_target_plainly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["staff", str(TEXTBOOK), "--target", "servicelevel>=0.8@20s", "--no-save"])
    assert code == 2
    err = capsys.readouterr().err
    assert "servicelevel" in err and "Traceback" not in err
    target = "service_level>=0.8@20s"
    code = main(
        ["staff", str(TEXTBOOK), "--target", target, "--load-step", "7min", "--no-save", "-q"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "load step" in err and "7 min" in err and "Traceback" not in err


def test_shift_templates_in_a_scenario_are_checked_and_used(tmp_path: Path) -> None:
    text = TEXTBOOK.read_text().replace("horizon: {days: 3, warm_up: 2h}", "horizon: {days: 1}")
    good = tmp_path / "templates.yaml"
    good.write_text(
        text
        + "staffing:\n  shift_templates:\n"
        + "    - {name: day, length: 8h, first_start: '00:00', last_start: '16:00', every: 1h}\n"
    )
    scenario = load_scenario(good)
    (template,) = scenario.staffing.shift_templates
    assert (template.length, template.last_start, template.every) == (28800, 57600, 3600)
    plan = staff(scenario, ["service_level>=0.8@20s"], templates=[template], replications=2)
    assert set(plan.shifts["template"]) == {"day"}
    # every chosen shift starts on the hour between 00:00 and 16:00
    assert plan.shifts["start"].str.endswith(":00").all()
    assert (plan.intervals["scheduled"] >= plan.intervals["simulated_required"]).all()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text + "staffing:\n  shift_templates:\n    - {name: d, length: 8h, pools: [agnets]}\n"
    )
    with pytest.raises(ScenarioError, match=r"staffing.shift_templates\[0\].pools\[0\].*agents"):
        load_scenario(bad)


@pytest.mark.slow  # starts a process pool; simulate()'s own tests check serial = processes
def test_a_plan_is_the_same_on_worker_processes() -> None:
    from servsim.executors import ProcessExecutor

    scenario = _one_day_textbook(**{"horizon.days": 0.5})
    serial = staff(scenario, ["service_level>=0.8@20s"], replications=2)
    with ProcessExecutor(2) as executor:
        parallel = staff(scenario, ["service_level>=0.8@20s"], replications=2, executor=executor)
    assert serial.intervals.equals(parallel.intervals)
    assert serial.targets.equals(parallel.targets)


def _pwait_by_interval(result, warm_up: float) -> np.ndarray:
    """Per half hour after the warm-up: the share of callers who waited (pooled, by arrivals)."""
    sums = result.intervals
    kept = float(result.scenario.reporting.interval)
    sums = sums[(sums["pool"] == "agents") & (sums["bin"] * kept >= warm_up)]
    by_half_hour = sums.groupby((sums["bin"] * kept // 1800).astype(int))[["within", "counted"]]
    totals = by_half_hour.sum()
    return 1.0 - (totals["within"] / totals["counted"]).to_numpy()


def test_the_rising_edge_waits_as_the_target_says_where_per_interval_erlang_c_does_not() -> None:
    """Sinusoidal arrivals x2 over one day: on the morning rise (06:00-12:00) the load lags the
    arrivals, so per-interval Erlang C from the arrival rate overstaffs (few wait), while the
    iterative plan keeps the share who wait near its 0.2; judged under common random numbers
    on a seed the staffing never saw."""
    scenario = _sinusoidal(2, **{"horizon.days": 0.5})
    target = "service_level>=0.8@0s"
    plan = staff(scenario, [target], replications=4)
    assert plan.scenario.reporting.interval == 1800.0
    assert len(plan.intervals) == 24
    rates = [p.per_hour / 3600 for p in scenario.arrivals.profile[:24]]
    erlang_c = np.array([servers_for_targets(r, 360.0, target) for r in rates])
    erlang_plan = with_interval_staffing(plan.scenario, {"agents": erlang_c}, 1800.0)
    judged = [
        _pwait_by_interval(
            check_staffing(s, [target], replications=8, seed=99).verified, 6 * 3600.0
        )
        for s in (plan.scenario, erlang_plan)
    ]
    ours, theirs = (np.abs(w - 0.2) for w in judged)
    assert ours.mean() < theirs.mean()
    # Erlang C from the arrival rate staffs the rise for load that has not arrived yet; at 8-32
    # erlangs one agent moves the share who wait by 0.05-0.08, so the fewest agents meeting
    # 0.2 wait less than that, and the iterative plan sits a step below the target, not two
    assert judged[1].mean() < 0.12
    assert 0.12 < judged[0].mean() <= 0.2
    assert judged[0].mean() > judged[1].mean() + 0.02


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("pilot", "iteration 1: simulating 2 replications", "verification")),
        ("es", ("piloto", "iteración 1: simulando 2 réplicas", "verificación")),
    ],
)
def test_the_staff_command_tells_its_steps_in_the_language_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str, words: tuple[str, ...]
) -> None:
    """Issue 13: the progress lines of ``servsim staff`` speak the reader's language."""
    half_day = tmp_path / "half_day.yaml"
    half_day.write_text(
        TEXTBOOK.read_text().replace("horizon: {days: 3, warm_up: 2h}", "horizon: {days: 0.5}")
    )
    args = ["--lang", language, "staff", str(half_day), "--target", "service_level>=0.8@20s"]
    assert main([*args, "-r", "2", "--no-save"]) == 0
    told = capsys.readouterr().err
    for word in words:
        assert word in told, (word, told[-800:])
    other = ("simulando", "iteración") if language == "en" else ("simulating", "iteration 1")
    assert not any(word in told for word in other)


def test_staff_hours_by_day_add_up_the_interval_table() -> None:
    """The day table the terminal and the report show: sums of the intervals, in hours."""
    from servsim.staffing import staff_hours_by_day

    intervals = pd.DataFrame(
        {
            "day": [1, 1, 1, 2],
            "pool": ["agents", "agents", "back", "agents"],
            "erlang_required": [2, 3, 1, 4],
            "simulated_required": [3, 3, 1, 5],
            "scheduled": [3, 4, 1, 5],
        }
    )
    table = staff_hours_by_day(intervals, 1800.0).set_index(["day", "pool"])
    assert table.loc[(1, "agents"), "erlang_required"] == pytest.approx(2.5)
    assert table.loc[(1, "agents"), "scheduled"] == pytest.approx(3.5)
    assert table.loc[(1, "agents"), "peak"] == 4
    assert table.loc[(2, "agents"), "simulated_required"] == pytest.approx(2.5)
    assert len(table) == 3
