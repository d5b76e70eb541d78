"""Laws every run must obey: conservation, Little's law, reproducibility, monotone effects."""

from __future__ import annotations

import math
from collections.abc import Generator
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
import pytest
import simpy

import servsim
from servsim.metrics import replication_metrics
from servsim.model import ServiceSystem, engine, journey, run, simulate_replication
from servsim.model.journey import arrivals
from servsim.model.staffing import StaffedQueue
from servsim.records import (
    ABANDONED,
    ANSWERED,
    FAILED,
    IN_SYSTEM,
    NEXT,
    RESOLVED,
    STATUS_INQUIRY,
    UNRESOLVED,
    ContactKind,
    ContactOutcome,
    CustomerOutcome,
    Recorder,
    VisitOutcome,
)
from servsim.scenario import ResolvedScenario, resolve_scenario
from servsim.statistics import confidence_interval
from servsim.streams import RandomStreams

ROOT = Path(__file__).parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


def short(path: Path, days: float = 3.0) -> ResolvedScenario:
    scenario = servsim.load_scenario(path)
    warm_up = min(scenario.horizon.warm_up, days * 86400 / 4)
    return resolve_scenario(
        scenario.with_overrides({"horizon.days": days, "horizon.warm_up": warm_up})
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_conservation(path: Path) -> None:
    """Every arrival ends served, abandoned, unresolved, or still in the system: none is lost."""
    scenario = short(path)
    tables = simulate_replication(scenario, seed=4, replication=0)
    customers = tables.customers
    assert customers["customer"].is_unique
    n_arrivals = len(customers)
    assert n_arrivals == customers["customer"].max() + 1  # ids 0..n-1, none missing
    outcomes = customers["outcome"].value_counts()
    assert set(outcomes.index) <= {"resolved", "unresolved", "abandoned", "in_system"}
    assert outcomes.sum() == n_arrivals
    # contacts per customer in the contact table = the customer's count
    per_customer = tables.contacts.groupby("customer").size()
    counted = customers.set_index("customer")["contacts"]
    pd.testing.assert_series_equal(
        per_customer.reindex(counted.index, fill_value=0), counted, check_names=False
    )
    # every visit belongs to a recorded contact
    contact_keys = set(zip(tables.contacts["customer"], tables.contacts["contact"], strict=True))
    visit_keys = set(zip(tables.visits["customer"], tables.visits["contact"], strict=True))
    assert visit_keys <= contact_keys
    # customers still inside have no departure time; everyone else has one
    inside = customers["outcome"] == "in_system"
    assert customers.loc[inside, "left"].isna().all()
    assert customers.loc[~inside, "left"].notna().all()
    assert (customers.loc[~inside, "left"] >= customers.loc[~inside, "arrived"]).all()


def sampled_run(scenario: servsim.Scenario, every: float = 30.0) -> tuple[Any, pd.DataFrame]:
    """Run while an observer samples the model's own state (not its records) at fixed times."""
    system = ServiceSystem.build(scenario, RandomStreams(seed=8, replication=0))
    samples: list[dict[str, float]] = []

    def observer() -> Generator[Any, Any, None]:
        while True:
            row: dict[str, float] = {"time": system.env.now, "in_system": len(system.active)}
            for name, queue in system.queues.items():
                row[f"waiting[{name}]"] = queue.waiting
                row[f"busy[{name}]"] = queue.busy
            samples.append(row)
            yield system.env.timeout(every)

    system.env.process(observer())
    tables = run(system)
    return tables, pd.DataFrame(samples)


def test_outcome_types_hold_the_strings_saved_on_disk() -> None:
    """The typed outcomes keep the column values of saved runs: renaming one breaks old files."""
    customer = {"resolved", "unresolved", "abandoned", "in_system"}
    assert set(get_args(CustomerOutcome)) == customer
    assert set(get_args(ContactOutcome)) == customer | {"failed", "answered"}
    assert set(get_args(VisitOutcome)) == customer | {"failed", "answered", "next"}
    assert set(get_args(ContactKind)) == {"first", "recontact", "retry", "status_inquiry"}
    named = [RESOLVED, UNRESOLVED, ABANDONED, IN_SYSTEM, FAILED, ANSWERED, NEXT]
    assert named == [
        "resolved", "unresolved", "abandoned", "in_system", "failed", "answered", "next"
    ]  # fmt: skip
    assert STATUS_INQUIRY == "status_inquiry"


def test_open_visits_are_closed_at_the_horizon_as_they_stood() -> None:
    """Each visit under way at the horizon becomes one in_system record with its own times."""
    scenario = short(ROOT / "scenarios" / "bank_account_low.yaml", days=1.5)  # mid-day
    # one compliance officer at midday: a queue of back-office work at the horizon
    scenario = resolve_scenario(
        scenario.with_overrides({"staff.back.compliance.shifts[0].headcount": 1})
    )
    system = ServiceSystem.build(scenario, RandomStreams(seed=2, replication=0))
    system.env.process(arrivals(system))
    system.env.run(until=scenario.horizon.length)
    open_visits = {
        (c.index, v.contact): (
            v.touchpoint.name,
            v.queue.name if v.queue else "",
            v.queued,
            v.started,
        )
        for c in system.active.values()
        if (v := c.visit) is not None
    }
    open_visits.update(
        {
            (c.index, v.contact): (
                STATUS_INQUIRY,
                v.queue.name if v.queue else "",
                v.queued,
                v.started,
            )
            for c in system.inquiring.values()
            if (v := c.inquiry) is not None
        }
    )
    waiting = sum(1 for *_, started in open_visits.values() if np.isnan(started))
    assert waiting >= 5 and len(open_visits) - waiting >= 1  # both kinds of open visit occur
    system.close_open_records()
    visits = system.recorder.tables().visits
    closed = visits[visits["outcome"] == IN_SYSTEM]
    assert closed["ended"].isna().all()
    got = {
        (row.customer, row.contact): (row.touchpoint, row.pool, row.queued, row.started)
        for row in closed.itertuples()
    }
    assert len(got) == len(closed) == len(open_visits)
    assert got.keys() == open_visits.keys()
    for key, (touchpoint, pool, queued, started) in open_visits.items():
        assert got[key][:3] == (touchpoint, pool, queued)
        assert got[key][3] == started or (np.isnan(got[key][3]) and np.isnan(started))


@pytest.mark.parametrize(
    ("path", "stationary"),
    [(TEXTBOOK, True), (ROOT / "scenarios" / "bank_account_medium.yaml", False)],
    ids=["mmc_textbook", "bank_account_medium"],
)
def test_littles_law(path: Path, stationary: bool) -> None:
    """L = λW for the whole system and each pool's queue, with L observed from the model's state.

    Over a finite window the exact form counts each stay clipped to the window; the plain λW
    form also holds for a stationary system, where carried-in and carried-out work is small.
    """
    scenario = short(path, days=6)
    tables, samples = sampled_run(scenario)
    start, end = scenario.horizon.warm_up, scenario.horizon.length
    window = samples[(samples["time"] >= start) & (samples["time"] < end)]
    span = end - start

    customers = tables.customers
    left = customers["left"].fillna(end)
    stays = (left.clip(start, end) - customers["arrived"].clip(start, end)).clip(lower=0)
    assert window["in_system"].mean() == pytest.approx(stays.sum() / span, rel=0.03)
    if stationary:
        in_window = customers[customers["arrived"] >= start]
        sojourn = (in_window["left"].fillna(end) - in_window["arrived"]).mean()
        arrival_rate = len(in_window) / span
        assert window["in_system"].mean() == pytest.approx(
            servsim.theory.littles_law_length(arrival_rate, sojourn), rel=0.05
        )

    metrics = replication_metrics(tables, scenario)
    for _, pool in scenario.staff.pools():
        name = pool.name
        observed_queue = window[f"waiting[{name}]"].mean()
        # the queue-length metric comes from records; the sample from the model's own counters
        assert observed_queue == pytest.approx(metrics[f"queue_length[{name}]"], rel=0.05, abs=0.02)
        if stationary:
            visits = tables.visits[tables.visits["pool"] == name]
            queued = visits[visits["queued"] >= start]
            waits = queued["started"].fillna(queued["ended"]).fillna(end) - queued["queued"]
            predicted = servsim.theory.littles_law_length(len(queued) / span, waits.mean())
            assert observed_queue == pytest.approx(predicted, rel=0.05, abs=0.02)
        busy_hours = window[f"busy[{name}]"].mean() * span / 3600
        assert busy_hours == pytest.approx(
            metrics[f"occupancy[{name}]"] * metrics[f"staff_hours[{name}]"], rel=0.03
        )


def test_same_seed_same_records_different_seed_different() -> None:
    scenario = short(ROOT / "scenarios" / "bank_account_low.yaml")
    first = simulate_replication(scenario, seed=21, replication=3)
    again = simulate_replication(scenario, seed=21, replication=3)
    for name, table in first.as_dict().items():
        pd.testing.assert_frame_equal(table, again.as_dict()[name], obj=name)
    other = simulate_replication(scenario, seed=22, replication=3)
    assert not first.visits.equals(other.visits)


@pytest.mark.parametrize(
    "name", ["helpdesk", "training_plan", "bank_account_medium"], ids=lambda n: n
)
def test_lean_processes_give_what_plain_simpy_processes_give(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Journeys started within their arrival's step, and processes that end without an end
    event, process every other event in the order plain SimPy processes do: same records."""
    scenario = short(ROOT / "scenarios" / f"{name}.yaml", days=2)
    lean = simulate_replication(scenario, seed=9, replication=0)
    monkeypatch.setattr(journey.QuietProcess, "_resume", simpy.Process._resume)
    monkeypatch.setattr(
        journey.QuietProcess, "now", classmethod(lambda cls, env, gen: simpy.Process(env, gen))
    )
    plain = simulate_replication(scenario, seed=9, replication=0)
    assert len(lean.visits) > 100
    for table, records in lean.as_dict().items():
        pd.testing.assert_frame_equal(records, plain.as_dict()[table], obj=table)


@pytest.mark.parametrize(
    "name", ["helpdesk", "training_plan", "bank_account_medium"], ids=lambda n: n
)
def test_quick_event_loop_gives_what_simpy_gives(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's inlined run loop, timeouts and tickets process the same events in the same
    order as SimPy's own ``step``, ``Timeout`` and ``Event``: same records. Both runs use the
    queue that resumes a waiting customer within the releasing step (``Engine.resume``), which
    is model logic, not the loop's: records equal bit for bit, not only in distribution."""
    scenario = short(ROOT / "scenarios" / f"{name}.yaml", days=2)
    quick = simulate_replication(scenario, seed=4, replication=1)
    monkeypatch.setattr(engine.Engine, "run", simpy.Environment.run)
    monkeypatch.setattr(engine.Engine, "delay", lambda self, delay: simpy.Timeout(self, delay))
    monkeypatch.setattr(engine.Engine, "pending", lambda self: simpy.Event(self))
    plain = simulate_replication(scenario, seed=4, replication=1)
    assert len(quick.visits) > 100
    for table, records in quick.as_dict().items():
        pd.testing.assert_frame_equal(records, plain.as_dict()[table], obj=table)


def test_replication_does_not_depend_on_how_many_run() -> None:
    scenario = short(TEXTBOOK, days=1)
    three = servsim.simulate(scenario, replications=3, seed=5)
    two = servsim.simulate(scenario, replications=2, seed=5)
    pd.testing.assert_frame_equal(three.replications.iloc[:2], two.replications)


def test_adding_a_pool_keeps_the_arrivals() -> None:
    """Streams are keyed by name: a new touchpoint does not reshuffle arrivals (CRN)."""
    scenario = short(TEXTBOOK, days=1)
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["staff"]["back"] = [{"name": "checkers", "headcount": 2}]
    data["service_cycle"].append(
        {"name": "check", "served_by": "checkers", "service_time": {"mean": 60}}
    )
    bigger = resolve_scenario(servsim.validate_scenario(data))
    a = simulate_replication(scenario, 3, 0).customers.sort_values("customer")
    b = simulate_replication(bigger, 3, 0).customers.sort_values("customer")
    np.testing.assert_array_equal(a["arrived"].to_numpy(), b["arrived"].to_numpy())
    np.testing.assert_array_equal(a["segment"].to_numpy(), b["segment"].to_numpy())


@pytest.mark.parametrize(
    "path", [TEXTBOOK, ROOT / "scenarios" / "validation" / "mmc_heavy.yaml"], ids=lambda p: p.stem
)
def test_more_staff_never_raises_waits(path: Path) -> None:
    """Under common random numbers an added agent never raises a replication's mean wait."""
    scenario = short(path, days=1)
    pool = scenario.staff.front[0]
    assert pool.headcount is not None
    waits = []
    for extra in range(4):
        staffed = scenario.with_overrides(
            {f"staff.front.{pool.name}.headcount": pool.headcount + extra}
        )
        result = servsim.simulate(staffed, replications=4, seed=13)
        waits.append(result.replications["wait_mean[agents]"].to_numpy())
    stacked = np.vstack(waits)
    assert np.all(np.diff(stacked, axis=0) <= 1e-9)
    assert stacked[0].mean() > stacked[-1].mean()  # and the effect is real


def test_more_staff_in_shifts_never_raises_waits() -> None:
    """The same holds when headcount comes from shifts that start and end during the day."""
    scenario = short(TEXTBOOK, days=2).with_overrides(
        {
            "staff.front.agents": {
                "name": "agents",
                "shifts": [
                    {"start": "00:00", "end": "10:00", "headcount": 6},
                    {"start": "10:00", "end": "18:30", "headcount": 7},
                    {"start": "18:30", "end": "24:00", "headcount": 6},
                ],
            }
        }
    )
    base = servsim.simulate(scenario, replications=4, seed=2)
    more = servsim.simulate(
        scenario.with_overrides({"staff.front.agents.shifts[1].headcount": 8}),
        replications=4,
        seed=2,
    )
    before = base.replications["wait_mean[agents]"].to_numpy()
    after = more.replications["wait_mean[agents]"].to_numpy()
    assert np.all(after <= before + 1e-9)
    assert after.mean() < before.mean()


def test_higher_service_time_cv_raises_the_mean_wait() -> None:
    """Same mean, higher CV: longer waits (MODEL.md 8.4), compared under common random numbers."""
    scenario = short(TEXTBOOK, days=2)
    low = scenario.with_overrides(
        {"service_cycle.call.service_time": {"kind": "lognormal", "mean": 180, "cv": 0.5}}
    )
    high = scenario.with_overrides(
        {"service_cycle.call.service_time": {"kind": "lognormal", "mean": 180, "cv": 1.5}}
    )
    a = servsim.simulate(low, replications=6, seed=3).replications["wait_mean[agents]"]
    b = servsim.simulate(high, replications=6, seed=3).replications["wait_mean[agents]"]
    difference = confidence_interval((b - a).to_numpy())
    assert difference["ci_low"] > 0


def test_contact_level_sets_service_time_variability() -> None:
    """The same touchpoint is more variable at higher contact (CV = 0.3 + 0.9 c)."""
    scenario = servsim.load_scenario(ROOT / "scenarios" / "bank_account_medium.yaml")
    data = scenario.model_dump(mode="json", exclude_none=True)
    cvs = {}
    for level in ("high", "medium", "low"):
        data["contact_level"] = level
        data["variability"].pop("contact_ratio", None)
        for tp in data["service_cycle"]:
            tp.pop("customer_present", None)
            tp["service_time"].pop("cv", None)
        resolved = resolve_scenario(servsim.validate_scenario(data))
        cvs[level] = resolved.service_cycle[0].service_time.cv  # type: ignore[union-attr]
    assert cvs == pytest.approx({"high": 1.02, "medium": 0.66, "low": 0.39})


def test_overloaded_scenario_ends_at_the_horizon_with_a_warning() -> None:
    scenario = short(TEXTBOOK, days=1).with_overrides({"staff.front.agents.headcount": 4})
    result = servsim.simulate(scenario, replications=2, seed=1)
    assert result.warnings and "agents" in result.warnings[0]
    visits = result.records.visits
    assert (visits["ended"].dropna() <= scenario.horizon.length).all()
    inside = result.records.customers["outcome"].eq("in_system").sum()
    assert inside > 100  # kept and flagged, not dropped


# ------------------------------------------------------- events that fall at the same instant


def _queue(servers: int) -> tuple[engine.Engine, StaffedQueue]:
    env = engine.Engine()
    queue = StaffedQueue(env, "agents", "front", Recorder())
    queue.set_rostered(servers)
    return env, queue


def _customer(
    env: engine.Engine,
    queue: StaffedQueue,
    name: str,
    hops: list[float],
    service: float,
    log: list[tuple[str, str, float]],
    patience: float = math.inf,
) -> Generator[Any, Any, None]:
    """Arrive after ``hops`` (each a timeout: later hops schedule the arrival later), queue,
    be served; log each start, end and abandonment with the queue's state checked."""
    for hop in hops:
        yield env.timeout(hop)
    ticket = queue.request(patience)
    served = True if ticket is None else (yield ticket)
    if not served:
        log.append((name, "abandoned", env.now))
        return
    assert queue.busy <= queue.on_floor + queue.kept or queue.overtime
    log.append((name, "started", env.now))
    yield env.timeout(service)
    queue.release()
    log.append((name, "ended", env.now))


@pytest.mark.parametrize("arrival_first", [True, False], ids=["arrival_first", "release_first"])
def test_release_and_arrival_at_the_same_instant_keep_fifo(arrival_first: bool) -> None:
    """A ends at 10 with B waiting and C arriving at 10: B starts at 10 and C after B, whichever
    of the release and the arrival the event loop takes first (C arrives by one timeout
    scheduled before A's service end, or by two, the second scheduled after it)."""
    env, queue = _queue(1)
    log: list[tuple[str, str, float]] = []
    env.process(_customer(env, queue, "A", [0.0], 10.0, log))
    env.process(_customer(env, queue, "B", [1.0], 5.0, log))
    env.process(_customer(env, queue, "C", [10.0] if arrival_first else [5.0, 5.0], 5.0, log))
    env.run(until=100.0)
    starts = {name: time for name, what, time in log if what == "started"}
    assert starts == {"A": 0.0, "B": 10.0, "C": 15.0}
    assert queue.busy == queue.waiting == 0


@pytest.mark.parametrize("shift_first", [True, False], ids=["shift_first", "release_first"])
def test_shift_end_at_the_instant_a_service_ends(shift_first: bool) -> None:
    """Two agents, one leaves at 10 when A's service ends, C waits: if the shift ends first,
    the freed agent has gone and C waits for B (20); if A's release comes first, its agent
    is still on shift and takes C at 10, then finishes C on overtime. Never more start than
    are on the floor or kept, and the overtime shows in the staffing records."""
    env, queue = _queue(2)
    log: list[tuple[str, str, float]] = []

    def shift() -> Generator[Any, Any, None]:
        for hop in [10.0] if shift_first else [5.0, 5.0]:
            yield env.timeout(hop)
        queue.set_rostered(1)

    if shift_first:
        env.process(shift())
    env.process(_customer(env, queue, "A", [0.0], 10.0, log))
    env.process(_customer(env, queue, "B", [0.0], 20.0, log))
    env.process(_customer(env, queue, "C", [1.0], 5.0, log))
    if not shift_first:
        env.process(shift())
    env.run(until=100.0)
    starts = {name: time for name, what, time in log if what == "started"}
    assert starts["C"] == (20.0 if shift_first else 10.0)
    overtime = [(r.time, r.overtime) for r in queue.recorder.staffing if r.overtime]
    assert overtime == [(10.0, 1)]  # B past the shift (shift first) or C (release first)
    assert queue.busy == queue.waiting == queue.overtime == 0


@pytest.mark.parametrize("timer_first", [True, False], ids=["patience_first", "release_first"])
def test_patience_running_out_as_a_server_frees(timer_first: bool) -> None:
    """B's patience ends at 10, the instant A's service ends: B abandons (the timer came
    first, and the server then stays idle) or is served (the release came first, and the
    timer then finds B served): never both, never an abandonment after service started."""
    env, queue = _queue(1)
    log: list[tuple[str, str, float]] = []
    if timer_first:  # A's service end is scheduled at 5, after B's timer (scheduled at 4)
        env.process(_customer(env, queue, "Z", [0.0], 5.0, log))
        env.process(_customer(env, queue, "A", [1.0], 5.0, log))
    else:  # A's service end is scheduled at 0, before B's timer
        env.process(_customer(env, queue, "A", [0.0], 10.0, log))
    env.process(_customer(env, queue, "B", [4.0], 5.0, log, patience=6.0))
    env.run(until=100.0)
    b = [(what, time) for name, what, time in log if name == "B"]
    assert b == ([("abandoned", 10.0)] if timer_first else [("started", 10.0), ("ended", 15.0)])
    assert queue.busy == queue.waiting == queue.waiting_present == 0
