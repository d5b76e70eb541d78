"""Behaviour of the model, checked from its records on small hand-built scenarios.

Each test builds its scenario as a dict (``make``), runs it for hours to a few days, and checks
what the records must show: shift headcounts and the servers-in-use invariant, skill routing,
resolution / re-contact / failure probabilities, the order of a multi-step cycle, abandonment
and retries, status inquiries, the contact-level presets, the arrival process, and conservation.

Statistical checks use tolerances of 4 standard errors computed from the sample at hand; every
run uses a fixed seed, so the outcome is deterministic.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.model import ServiceSystem, simulate_replication
from servsim.model import run as run_system
from servsim.records import RecordTables
from servsim.scenario import ResolvedScenario, StaffPool, resolve_scenario
from servsim.scenario.timetable import headcount_schedule
from servsim.scenario.weekly import Calendar
from servsim.streams import RandomStreams

DAY = 86_400.0
HOUR = 3_600.0
OUTCOMES = {"resolved", "unresolved", "abandoned", "in_system"}
VISIT_OUTCOMES = OUTCOMES | {"failed", "answered", "next"}

BASE: dict[str, Any] = {
    "name": "behaviour",
    "contact_level": "medium",
    "horizon": {"days": 1},
    "segments": [{"name": "retail", "recontact": {"probability": 0}}],
    "arrivals": {"per_hour": 30},
    "staff": {"front": [{"name": "agents", "headcount": 5}]},
    "service_cycle": [
        {
            "name": "call",
            "served_by": "agents",
            "service_time": {"kind": "exponential", "mean": "4min"},
        }
    ],
}


def make(**changes: Any) -> ResolvedScenario:
    """The base scenario with top-level keys replaced, validated and resolved."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return resolve_scenario(servsim.validate_scenario(data))


def exp(mean: str) -> dict[str, str]:
    return {"kind": "exponential", "mean": mean}


def fixed(value: str | float) -> dict[str, Any]:
    return {"kind": "deterministic", "value": value}


def segment(**changes: Any) -> dict[str, Any]:
    seg: dict[str, Any] = {"name": "retail", "recontact": {"probability": 0}}
    seg.update(changes)
    return seg


# --------------------------------------------------------------------------- conservation


def check_conservation(tables: RecordTables) -> None:
    """Nothing is lost or invented: one record per customer, every contact and visit accounted."""
    customers, contacts, visits = tables.customers, tables.contacts, tables.visits
    rep = ["replication"] if "replication" in customers.columns else []
    key = [*rep, "customer"]
    # exactly one record per customer, and ids 0..n-1 in each replication: no arrival dropped
    assert not customers.duplicated(key).any()
    for _, group in customers.groupby(rep) if rep else [(None, customers)]:
        assert sorted(group["customer"]) == list(range(len(group)))
    # outcomes partition the customers
    counts = customers["outcome"].value_counts()
    assert set(counts.index) <= OUTCOMES
    assert sum(counts.get(o, 0) for o in OUTCOMES) == len(customers)
    inside = customers["outcome"] == "in_system"
    assert customers.loc[inside, "left"].isna().all()
    assert customers.loc[~inside, "left"].notna().all()
    # (to within float rounding: the clock reaches an arrival time as now + (time - now))
    assert (customers.loc[~inside, "left"] >= customers.loc[~inside, "arrived"] - 1e-6).all()
    # contacts per customer in the contacts table = the customers table's `contacts` column
    per_customer = contacts.groupby(key).size()
    counted = customers.set_index(key)["contacts"]
    assert per_customer.reindex(counted.index, fill_value=0).tolist() == counted.tolist()
    # contacts of a customer are numbered 0..k-1 and unique
    assert not contacts.duplicated([*key, "contact"]).any()
    # every contact has its visits, every visit belongs to a contact
    contact_keys = set(map(tuple, contacts[[*key, "contact"]].to_numpy().tolist()))
    visit_keys = set(map(tuple, visits[[*key, "contact"]].to_numpy().tolist()))
    assert contact_keys == visit_keys
    # a visit is recorded once, whether it ended or was still open at the horizon
    assert not visits.duplicated([*key, "contact", "step"]).any()
    assert set(visits["outcome"]) <= VISIT_OUTCOMES
    assert set(contacts["outcome"]) <= VISIT_OUTCOMES - {"next"}
    assert set(contacts["kind"]) <= {"first", "recontact", "retry", "status_inquiry"}
    # a status inquiry is one visit at step -1
    inquiries = contacts[contacts["kind"] == "status_inquiry"]
    inquiry_visits = visits[visits["step"] == -1]
    assert len(inquiry_visits) == len(inquiries)


def run(scenario: servsim.Scenario, seed: int = 1, replication: int = 0) -> RecordTables:
    tables = simulate_replication(scenario, seed, replication)
    check_conservation(tables)
    return tables


def simulate(
    scenario: servsim.Scenario, replications: int, seed: int = 1
) -> servsim.SimulationResult:
    result = servsim.simulate(scenario, replications=replications, seed=seed)
    check_conservation(result.records)
    return result


def four_se(p: float, n: int) -> float:
    """Four binomial standard errors of a share p estimated from n trials."""
    return 4.0 * math.sqrt(p * (1.0 - p) / n)


# --------------------------------------------------------------------------- 1. shifts


def pool(**fields: Any) -> StaffPool:
    return StaffPool.model_validate({"name": "agents", **fields})


def test_overlapping_shifts_add_up() -> None:
    shifts = [
        {"start": "08:00", "end": "12:00", "headcount": 2},
        {"start": "10:00", "end": "16:00", "headcount": 3},
    ]
    assert headcount_schedule(pool(shifts=shifts), Calendar(), DAY) == [
        (0.0, 0),
        (8 * HOUR, 2),
        (10 * HOUR, 5),
        (12 * HOUR, 3),
        (16 * HOUR, 0),
    ]


def test_back_to_back_shifts_with_equal_headcount_are_one_level() -> None:
    shifts = [
        {"start": "00:00", "end": "08:00", "headcount": 1},
        {"start": "16:00", "end": "24:00", "headcount": 1},
    ]
    # the night shift across midnight is continuous: no change at 24:00
    assert headcount_schedule(pool(shifts=shifts), Calendar(), 2 * DAY) == [
        (0.0, 1),
        (8 * HOUR, 0),
        (16 * HOUR, 1),
        (DAY + 8 * HOUR, 0),
        (DAY + 16 * HOUR, 1),
    ]


def test_shift_days_filter() -> None:
    shifts = [
        {"start": "08:00", "end": "12:00", "headcount": 2, "days": [2]},
        {"start": "09:00", "end": "10:00", "headcount": 1},
    ]
    assert headcount_schedule(pool(shifts=shifts), Calendar(), 3 * DAY) == [
        (0.0, 0),
        (9 * HOUR, 1),
        (10 * HOUR, 0),
        (DAY + 8 * HOUR, 2),
        (DAY + 9 * HOUR, 3),
        (DAY + 10 * HOUR, 2),
        (DAY + 12 * HOUR, 0),
        (2 * DAY + 9 * HOUR, 1),
        (2 * DAY + 10 * HOUR, 0),
    ]


def test_constant_headcount() -> None:
    assert headcount_schedule(pool(headcount=7), Calendar(), 5 * DAY) == [(0.0, 7)]


def test_shifts_clipped_at_the_horizon() -> None:
    shifts = [{"start": "08:00", "end": "18:00", "headcount": 1}]
    # horizon 1.5 days = day 2 at 12:00: the day-2 shift starts but its end is past the horizon
    assert headcount_schedule(pool(shifts=shifts), Calendar(), 1.5 * DAY) == [
        (0.0, 0),
        (8 * HOUR, 1),
        (18 * HOUR, 0),
        (DAY + 8 * HOUR, 1),
    ]
    # horizon 1.25 days = day 2 at 06:00: the day-2 shift does not start at all
    assert headcount_schedule(pool(shifts=shifts), Calendar(), 1.25 * DAY) == [
        (0.0, 0),
        (8 * HOUR, 1),
        (18 * HOUR, 0),
    ]


def staff_on_floor(
    staffing: pd.DataFrame, pool_name: str, times: np.ndarray, column: str = "on_floor"
) -> np.ndarray:
    rows = staffing[staffing["pool"] == pool_name].sort_values("time", kind="stable")
    index = np.searchsorted(rows["time"].to_numpy(), times, side="right") - 1
    assert (index >= 0).all()
    return rows[column].to_numpy()[index]


def services_in_progress(visits: pd.DataFrame, pool_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Start times of the pool's services, and how many were in progress then (it included)."""
    served = visits[(visits["pool"] == pool_name) & visits["started"].notna()]
    starts = served["started"].to_numpy(dtype=float)
    ends = served["ended"].fillna(math.inf).to_numpy(dtype=float)
    # in progress at t: started <= t < ended
    count = np.searchsorted(np.sort(starts), starts, side="right") - np.searchsorted(
        np.sort(ends), starts, side="right"
    )
    return starts, count


def assert_never_above_headcount(tables: RecordTables, pool_name: str) -> np.ndarray:
    starts, in_progress = services_in_progress(tables.visits, pool_name)
    assert len(starts) > 0
    on_floor = staff_on_floor(tables.staffing, pool_name, starts)
    # after closing, staff kept on overtime serve those still queuing: paid, never above
    paid = on_floor + staff_on_floor(tables.staffing, pool_name, starts, "overtime")
    assert (paid > 0).all(), "a service started while nobody was paid to serve"
    assert (in_progress <= paid).all(), "a service started above the staff paid"
    on_shift = on_floor > 0
    assert (in_progress[on_shift] <= on_floor[on_shift]).all(), "started above the headcount"
    return starts


def test_headcount_drop_while_busy() -> None:
    """4 agents until noon, 1 after: those in hand are finished, nobody new above 1 starts."""
    scenario = make(
        arrivals={"profile": [{"start": "08:00", "end": "18:00", "per_hour": 40}]},
        staff={
            "front": [
                {
                    "name": "agents",
                    "shifts": [
                        {"start": "08:00", "end": "12:00", "headcount": 4},
                        {"start": "12:00", "end": "18:00", "headcount": 1},
                    ],
                }
            ]
        },
        service_cycle=[{"name": "call", "served_by": "agents", "service_time": exp("6min")}],
    )
    tables = run(scenario)
    levels = tables.staffing["on_floor"].tolist()
    assert [a for a, b in zip(levels, [None, *levels[:-1]], strict=True) if a != b] == [0, 4, 1, 0]
    assert_never_above_headcount(tables, "agents")
    served = tables.visits[tables.visits["started"].notna()]
    noon = 12 * HOUR
    straddling = served[(served["started"] < noon) & (served["ended"] > noon)]
    # several agents were busy at noon and finished their customer after their shift ended
    assert len(straddling) >= 2
    # after noon, a new service starts only once all but one of those have finished
    first_after = served.loc[served["started"] >= noon, "started"].min()
    assert first_after >= np.sort(straddling["ended"].to_numpy())[-2]
    # the queue is long at 18:00: the leaving agent stays on overtime and serves it, so the
    # staffing records show overtime after closing and nobody waits in person overnight
    closing = 18 * HOUR
    after = tables.staffing[tables.staffing["time"] >= closing]
    assert after["overtime"].max() == 1
    assert after["on_floor"].max() == 0
    assert served["started"].max() > closing
    assert tables.visits["ended"].max() < 24 * HOUR


def test_nobody_served_off_shift() -> None:
    """Night arrivals wait for 09:00; after 17:00 only staff kept on overtime serve."""
    scenario = make(
        horizon={"days": 2},
        calendar={"closed_arrivals": "defer"},
        arrivals={"per_hour": 6},
        staff={
            "front": [
                {"name": "agents", "shifts": [{"start": "09:00", "end": "17:00", "headcount": 2}]}
            ]
        },
        service_cycle=[{"name": "call", "served_by": "agents", "service_time": exp("10min")}],
    )
    tables = run(scenario)
    starts = assert_never_above_headcount(tables, "agents")
    time_of_day = np.mod(starts, DAY)
    on_shift = (time_of_day >= 9 * HOUR) & (time_of_day < 17 * HOUR)
    overtime = staff_on_floor(tables.staffing, "agents", starts, "overtime")
    assert (on_shift | (overtime > 0)).all()
    assert (~on_shift).any()  # the queue left at 17:00 was served on overtime
    # the night's queue is taken the moment the shift starts, two at a time (headcount 2)
    for day in (0, 1):
        assert np.sum(starts == day * DAY + 9 * HOUR) == 2
    # and arrivals happened at night (so the check above is not empty)
    arrived = np.mod(tables.customers["arrived"].to_numpy(), DAY)
    assert np.sum(arrived < 9 * HOUR) > 10


def test_fixed_times_that_tie_with_shift_changes() -> None:
    """Fixed 30-minute services, shifts changing on the half hour, fixed patience: services
    end, shifts change and patience runs out at the same instants. Still FIFO, never above
    the headcount, nobody abandons once served, and each abandoner waited their patience."""
    scenario = make(
        horizon={"days": 2},
        segments=[segment(patience=fixed("30min"))],
        arrivals={"profile": [{"start": "08:00", "end": "24:00", "per_hour": 14}]},
        staff={
            "front": [
                {
                    "name": "agents",
                    "shifts": [
                        {"start": "08:00", "end": "10:30", "headcount": 6},
                        {"start": "10:30", "end": "14:00", "headcount": 8},
                        {"start": "14:00", "end": "18:30", "headcount": 5},
                        {"start": "18:30", "end": "24:00", "headcount": 7},
                    ],
                }
            ]
        },
        service_cycle=[
            {
                "name": "call",
                "served_by": "agents",
                "service_time": fixed("30min"),
                "resolution": 1,
            }
        ],
    )
    tables = run(scenario)
    visits = tables.visits
    starts = assert_never_above_headcount(tables, "agents")
    assert np.sum(np.mod(starts, 1800.0) == 0.0) > 20  # services that start on the half hour
    served = visits[visits["started"].notna()]
    assert ((served["started"] - served["queued"]) <= 1800.0).all()
    ended = served[served["ended"].notna()]
    assert np.allclose(ended["ended"] - ended["started"], 1800.0)
    abandoned = visits[visits["outcome"] == "abandoned"]
    assert len(abandoned) > 20
    assert abandoned["started"].isna().all()
    assert np.allclose(abandoned["ended"] - abandoned["queued"], 1800.0)
    # FIFO: in order of queueing, the customers served start in order
    in_order = served.sort_values(["queued", "customer"], kind="stable")["started"].to_numpy()
    assert (np.diff(in_order) >= 0).all()


# --------------------------------------------------------------------------- 2. routing

TWO_POOLS = {
    "front": [
        {"name": "agents", "headcount": 4},
        {"name": "specialists", "headcount": 3},
    ]
}


def routing_scenario(served_by: dict[str, Any], **changes: Any) -> servsim.Scenario:
    fields: dict[str, Any] = {
        "segments": [
            segment(name="retail", share=0.7, request_mix={"simple": 0.6, "complex": 0.4}),
            segment(name="vip", share=0.3, request_mix={"simple": 0.6, "complex": 0.4}),
        ],
        "arrivals": {"per_hour": 30},
        "staff": TWO_POOLS,
        "service_cycle": [{"name": "call", "served_by": served_by, "service_time": exp("5min")}],
    }
    fields.update(changes)
    return make(**fields)


def visits_with_customer(tables: RecordTables) -> pd.DataFrame:
    return tables.visits.merge(
        tables.customers[["customer", "segment", "request_type"]], on="customer"
    )


def test_routing_by_request_type() -> None:
    scenario = routing_scenario(
        {"by_request_type": {"complex": "specialists"}, "fallback": "agents"}
    )
    visits = visits_with_customer(run(scenario))
    complex_ = visits["request_type"] == "complex"
    assert complex_.sum() > 20 and (~complex_).sum() > 20
    assert (visits.loc[complex_, "pool"] == "specialists").all()
    assert (visits.loc[~complex_, "pool"] == "agents").all()


def test_routing_by_segment() -> None:
    scenario = routing_scenario({"by_segment": {"vip": "specialists"}, "fallback": "agents"})
    visits = visits_with_customer(run(scenario))
    vip = visits["segment"] == "vip"
    assert vip.sum() > 20 and (~vip).sum() > 20
    assert (visits.loc[vip, "pool"] == "specialists").all()
    assert (visits.loc[~vip, "pool"] == "agents").all()


def test_routing_request_type_wins_over_segment() -> None:
    scenario = routing_scenario(
        {
            "by_request_type": {"complex": "specialists"},
            "by_segment": {"vip": "vip_desk"},
            "fallback": "agents",
        },
        staff={"front": [*TWO_POOLS["front"], {"name": "vip_desk", "headcount": 2}]},
    )
    visits = visits_with_customer(run(scenario))
    complex_ = visits["request_type"] == "complex"
    vip = visits["segment"] == "vip"
    expected = np.where(complex_, "specialists", np.where(vip, "vip_desk", "agents"))
    assert (visits["pool"].to_numpy() == expected).all()
    assert (complex_ & vip).sum() > 5


def test_routing_falls_back_when_the_pool_is_off_shift() -> None:
    scenario = routing_scenario(
        {"by_request_type": {"complex": "specialists"}, "fallback": "agents"},
        arrivals={"profile": [{"start": "08:00", "end": "18:00", "per_hour": 30}]},
        staff={
            "front": [
                {"name": "agents", "headcount": 4},
                {
                    "name": "specialists",
                    "shifts": [{"start": "13:00", "end": "20:00", "headcount": 3}],
                },
            ]
        },
    )
    visits = visits_with_customer(run(scenario))
    complex_ = visits[visits["request_type"] == "complex"]
    morning = complex_[complex_["queued"] < 13 * HOUR]
    afternoon = complex_[complex_["queued"] >= 13 * HOUR]
    assert len(morning) > 20 and len(afternoon) > 20
    assert (morning["pool"] == "agents").all()
    assert (afternoon["pool"] == "specialists").all()
    simple = visits[visits["request_type"] == "simple"]
    assert (simple["pool"] == "agents").all()


# --------------------------------------------------------------------------- 3. resolution


def one_step(
    resolution: Any = 0.6,
    failure: Any = 0.0,
    recontact: float = 1.0,
    mix: dict[str, float] | None = None,
    per_hour: float = 60,
    **changes: Any,
) -> servsim.Scenario:
    seg = segment(
        recontact={"probability": recontact, "delay": exp("10min")},
        max_contacts=1000,
        request_mix=mix or {"general": 1.0},
    )
    fields: dict[str, Any] = {
        "segments": [seg],
        "arrivals": {"per_hour": per_hour},
        "staff": {"front": [{"name": "agents", "headcount": 20}]},
        "service_cycle": [
            {
                "name": "call",
                "served_by": "agents",
                "service_time": exp("3min"),
                "resolution": resolution,
                "failure": failure,
            }
        ],
    }
    fields.update(changes)
    return make(**fields)


def test_resolution_and_recontact() -> None:
    p = 0.6
    result = simulate(one_step(resolution=p, recontact=1.0), replications=3)
    customers = result.records.customers
    contacts = result.records.contacts
    n = len(customers)
    assert n > 3000

    fcr = result.metric("first_contact_resolution")["mean"]
    assert fcr == pytest.approx(p, abs=four_se(p, n))

    resolved = customers[customers["outcome"] == "resolved"]
    assert len(resolved) > 0.98 * n  # everyone comes back until resolved
    # contacts per resolved issue: geometric with mean 1/p, sd sqrt(1-p)/p
    tolerance = 4 * math.sqrt(1 - p) / p / math.sqrt(len(resolved))
    assert resolved["contacts"].mean() == pytest.approx(1 / p, abs=tolerance)
    assert result.metric("contacts_per_issue")["mean"] == pytest.approx(1 / p, abs=tolerance)

    # every re-contact repeats the question: share = (contacts - first contacts) / contacts
    repeated = result.metric("repeated_questions_share")["mean"]
    assert repeated == pytest.approx(1 - p, abs=four_se(1 - p, len(contacts)))
    assert (contacts["repeats_question"] == (contacts["kind"] != "first")).all()
    assert set(contacts["kind"]) == {"first", "recontact"}
    # a re-contact starts after the previous contact ended
    ordered = contacts.sort_values(["replication", "customer", "contact"])
    same = ordered["customer"].eq(ordered["customer"].shift()) & ordered["replication"].eq(
        ordered["replication"].shift()
    )
    assert (ordered["started"][same] >= ordered["ended"].shift()[same]).all()


def test_no_recontact_leaves_unresolved() -> None:
    p = 0.6
    result = simulate(one_step(resolution=p, recontact=0.0), replications=2)
    customers = result.records.customers
    n = len(customers)
    assert (customers["contacts"] == 1).all()
    left = customers[customers["outcome"] != "in_system"]
    assert set(left["outcome"]) == {"resolved", "unresolved"}
    unresolved = (left["outcome"] == "unresolved").mean()
    assert unresolved == pytest.approx(1 - p, abs=four_se(1 - p, len(left)))
    assert result.metric("unresolved_share")["mean"] == pytest.approx(1 - p, abs=four_se(1 - p, n))
    assert result.metric("first_contact_resolution")["mean"] == pytest.approx(p, abs=four_se(p, n))
    assert result.metric("repeated_questions_share")["mean"] == 0.0
    visits = result.records.visits
    contacts = result.records.contacts
    assert set(visits["outcome"]) <= {"resolved", "unresolved", "in_system"}
    assert set(contacts["outcome"]) <= {"resolved", "unresolved", "in_system"}


def test_failure_probability() -> None:
    """failure 0.2, resolution 0.5: visits fail 20%, resolve 50%, leave unresolved 30%."""
    scenario = one_step(resolution=0.5, failure=0.2, recontact=0.0, per_hour=90)
    tables = run(scenario)
    visits = tables.visits[tables.visits["outcome"] != "in_system"]
    n = len(visits)
    assert n > 1500
    shares = visits["outcome"].value_counts(normalize=True)
    for outcome, p in (("failed", 0.2), ("resolved", 0.5), ("unresolved", 0.3)):
        assert shares[outcome] == pytest.approx(p, abs=four_se(p, n)), outcome
    # a failed visit fails its contact; the customer leaves unresolved (no re-contact)
    failed = tables.visits.loc[tables.visits["outcome"] == "failed", "customer"]
    contacts = tables.contacts.set_index("customer")
    assert (contacts.loc[failed, "outcome"] == "failed").all()
    customers = tables.customers.set_index("customer")
    assert (customers.loc[failed, "outcome"] == "unresolved").all()


def test_failure_with_recontact_comes_back() -> None:
    """Failure 0.4 and nothing else: contacts per resolved issue 1 / 0.6, as for resolution."""
    scenario = one_step(resolution=0.6, failure=0.4, recontact=1.0, per_hour=90)
    tables = run(scenario)
    resolved = tables.customers[tables.customers["outcome"] == "resolved"]
    tolerance = 4 * math.sqrt(0.4) / 0.6 / math.sqrt(len(resolved))
    assert resolved["contacts"].mean() == pytest.approx(1 / 0.6, abs=tolerance)
    assert set(tables.visits["outcome"]) <= {"failed", "resolved", "in_system"}


def test_resolution_per_request_type() -> None:
    scenario = one_step(
        resolution={"simple": 0.9, "complex": 0.2},
        recontact=0.0,
        mix={"simple": 0.5, "complex": 0.5},
        per_hour=90,
    )
    customers = run(scenario).customers
    customers = customers[customers["outcome"] != "in_system"]
    for request_type, p in (("simple", 0.9), ("complex", 0.2)):
        mine = customers[customers["request_type"] == request_type]
        assert len(mine) > 500
        share = (mine["outcome"] == "resolved").mean()
        assert share == pytest.approx(p, abs=four_se(p, len(mine))), request_type


def test_first_contact_resolution_counts_customers_waiting_to_recontact() -> None:
    """Half a day, re-contact after a day: a customer whose first contact ended unresolved is
    known not to be resolved at first contact, even if the re-contact is after the horizon."""
    p = 0.6
    seg = segment(recontact={"probability": 1.0, "delay": fixed("1d")})
    scenario = one_step(resolution=p, horizon={"days": 0.5}, segments=[seg])
    result = simulate(scenario, replications=2)
    n = len(result.records.customers)
    # observed: 1.0 (every unresolved customer is still waiting, and left out)
    assert result.metric("first_contact_resolution")["mean"] == pytest.approx(p, abs=four_se(p, n))


# --------------------------------------------------------------------------- 4. multi-step


def test_multi_step_cycle_order() -> None:
    scenario = make(
        segments=[segment()],
        arrivals={"per_hour": 20},
        staff={
            "front": [{"name": "agents", "headcount": 4}],
            "back": [{"name": "back_office", "headcount": 3}],
        },
        service_cycle=[
            {
                "name": "intake",
                "served_by": "agents",
                "service_time": exp("4min"),
                "resolution": 0.5,
                "unresolved": "next",
            },
            {"name": "review", "served_by": "back_office", "service_time": exp("10min")},
            {
                "name": "answer",
                "served_by": "agents",
                "service_time": exp("3min"),
                "resolution": 1.0,
            },
        ],
    )
    tables = run(scenario)
    visits = tables.visits
    done = visits[visits["outcome"] != "in_system"]
    first = done[done["step"] == 0]
    share = (first["outcome"] == "resolved").mean()
    assert share == pytest.approx(0.5, abs=four_se(0.5, len(first)))
    assert set(first["outcome"]) == {"resolved", "next"}
    assert set(done.loc[done["step"] == 1, "outcome"]) == {"next"}
    assert set(done.loc[done["step"] == 2, "outcome"]) == {"resolved"}

    # resolved at step 0: no later step in that contact (and no other contact)
    resolved_at_0 = first.loc[first["outcome"] == "resolved", "customer"]
    later = visits[visits["customer"].isin(resolved_at_0) & (visits["step"] > 0)]
    assert later.empty
    customers = tables.customers.set_index("customer")
    assert (customers.loc[resolved_at_0, "outcome"] == "resolved").all()

    # each contact goes 0, 1, 2, ... in order, and step k+1 is queued when step k ended
    ordered = visits.sort_values(["customer", "contact", "queued", "step"], kind="stable")
    for _, group in ordered.groupby(["customer", "contact"]):
        steps = group["step"].tolist()
        assert steps == list(range(len(steps)))
        queued = group["queued"].to_numpy()[1:]
        ended = group["ended"].to_numpy()[:-1]
        assert (queued >= ended).all()
    # customers who finished the last step were resolved there
    last = done[done["step"] == 2]
    assert len(last) > 50
    assert (customers.loc[last["customer"], "outcome"] == "resolved").all()


# --------------------------------------------------------------------------- 5. abandonment


def impatient(patience: dict[str, Any], retry: float = 0.0, max_contacts: int = 10) -> Any:
    seg = segment(
        patience=patience,
        retry={"probability": retry, "delay": exp("10min")},
        max_contacts=max_contacts,
    )
    return make(
        segments=[seg],
        arrivals={"per_hour": 12},
        staff={"front": [{"name": "agents", "headcount": 1}]},
        service_cycle=[
            {"name": "call", "served_by": "agents", "service_time": exp("15min"), "resolution": 1}
        ],
    )


def test_abandoned_visits_wait_exactly_their_patience() -> None:
    scenario = impatient({"kind": "deterministic", "value": "2min"})
    tables = run(scenario)
    visits = tables.visits
    abandoned = visits[visits["outcome"] == "abandoned"]
    assert len(abandoned) > 50
    assert abandoned["started"].isna().all()
    assert np.allclose(abandoned["ended"] - abandoned["queued"], 120.0)
    served = visits[visits["started"].notna()]
    assert ((served["started"] - served["queued"]) <= 120.0 + 1e-9).all()
    assert (served["started"] - served["queued"] > 0).any()


def test_abandonment_uses_each_customers_patience_draw() -> None:
    scenario = impatient(exp("3min"))
    system = ServiceSystem.build(scenario, RandomStreams(seed=7, replication=0))
    tables = run_system(system)
    check_conservation(tables)
    visits = tables.visits[tables.visits["contact"] == 0]
    again = ServiceSystem.build(scenario, RandomStreams(seed=7, replication=0))
    patience = np.concatenate([np.asarray(block.patience[0]) for block in again.draws])
    abandoned = visits[visits["outcome"] == "abandoned"]
    assert len(abandoned) > 50
    waited = (abandoned["ended"] - abandoned["queued"]).to_numpy()
    assert (waited > 0).all()
    np.testing.assert_allclose(waited, patience[abandoned["customer"].to_numpy()], rtol=1e-9)
    served = visits[visits["started"].notna()]
    assert (
        (served["started"] - served["queued"]).to_numpy()
        <= patience[served["customer"].to_numpy()] + 1e-9
    ).all()


def test_retry_after_abandoning() -> None:
    max_contacts = 3
    scenario = impatient(exp("2min"), retry=1.0, max_contacts=max_contacts)
    tables = run(scenario)
    contacts = tables.contacts.set_index(["customer", "contact"]).sort_index()
    customers = tables.customers.set_index("customer")
    abandoned = contacts[contacts["outcome"] == "abandoned"]
    assert len(abandoned) > 50
    followed = gave_up = cut = 0
    for customer, contact in abandoned.index:
        record = customers.loc[customer]
        following = (customer, contact + 1)
        if following in contacts.index:
            retry = contacts.loc[following]
            assert retry["kind"] == "retry"
            assert retry["started"] >= contacts.loc[(customer, contact), "ended"]
            followed += 1
        elif contact + 1 >= max_contacts:
            assert record["outcome"] == "abandoned"
            gave_up += 1
        else:
            assert record["outcome"] == "in_system"  # the horizon ended during the delay
            cut += 1
    assert followed > 20 and gave_up > 5
    assert cut <= 10
    # a retry is made after abandoning, never otherwise
    kinds = contacts["kind"]
    previous = contacts.groupby(level=0)["outcome"].shift()
    assert (previous[kinds == "retry"] == "abandoned").all()


def test_no_retry_customers_leave_abandoned() -> None:
    scenario = impatient(exp("2min"), retry=0.0)
    tables = run(scenario)
    customers = tables.customers
    assert (customers["contacts"] == 1).all()
    first = tables.contacts.set_index("customer")["outcome"]
    abandoned = first[first == "abandoned"].index
    assert len(abandoned) > 50
    outcome = customers.set_index("customer")["outcome"]
    assert (outcome.loc[abandoned] == "abandoned").all()
    assert (outcome[outcome == "abandoned"].index.isin(abandoned)).all()


def two_steps(first: tuple[str, str, str], second: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A cycle of two touchpoints, each ``(name, pool, mean)`` with exponential service; the
    second resolves the issue."""
    steps = [
        {"name": name, "served_by": pool, "service_time": exp(mean)}
        for name, pool, mean in (first, second)
    ]
    steps[1]["resolution"] = 1
    return steps


def test_absent_customer_never_abandons() -> None:
    """Medium contact: the back office works while the customer is away, whatever the queue."""
    scenario = make(
        contact_level="medium",
        segments=[segment(patience=fixed("1s"))],
        arrivals={"per_hour": 30},
        staff={
            "front": [{"name": "agents", "headcount": 1}],
            "back": [{"name": "back_office", "headcount": 1}],
        },
        service_cycle=two_steps(
            ("intake", "agents", "1min"), ("processing", "back_office", "3min")
        ),
    )
    visits = run(scenario).visits
    front = visits[visits["step"] == 0]
    back = visits[visits["step"] == 1]
    assert front["customer_present"].all() and not back["customer_present"].any()
    assert (front["outcome"] == "abandoned").sum() > 10  # patience is short indeed
    assert not (back["outcome"] == "abandoned").any()
    back_waits = back["started"] - back["queued"]
    assert (back_waits > 60).sum() > 20  # they waited far longer than their patience


# --------------------------------------------------------------------------- 6. status inquiries


def inquiry_scenario(
    enabled: bool | None = None, days: float = 2.0, deadline_cv: float = 0.0
) -> servsim.Scenario:
    inquiry: dict[str, Any] = {
        "served_by": "agents",
        "interval": "1h",
        "max_inquiries": 2,
        "deadline_cv": deadline_cv,
    }
    if enabled is not None:
        inquiry["enabled"] = enabled
    return make(
        contact_level="low",
        horizon={"days": days},
        segments=[segment(expectations={"resolution_time": "30min"})],
        arrivals={"per_hour": 4},
        staff={
            "front": [{"name": "agents", "headcount": 2}],
            "back": [{"name": "back_office", "headcount": 1}],
        },
        service_cycle=[
            {"name": "request", "served_by": "agents", "service_time": exp("3min")},
            {"name": "processing", "served_by": "back_office", "service_time": exp("20min")},
            {
                "name": "delivery",
                "served_by": None,
                "service_time": fixed(0),
                "resolution": 1.0,
            },
        ],
        status_inquiry=inquiry,
    )


def test_status_inquiries() -> None:
    scenario = inquiry_scenario()
    assert scenario.status_inquiry.enabled is True  # on by default at low contact
    tables = run(scenario)
    contacts = tables.contacts
    customers = tables.customers.set_index("customer")
    inquiries = contacts[contacts["kind"] == "status_inquiry"]
    assert len(inquiries) > 50
    assert inquiries["repeats_question"].all()
    arrived = customers.loc[inquiries["customer"], "arrived"].to_numpy()
    assert (inquiries["started"].to_numpy() >= arrived + 1800 - 1e-6).all()
    per_customer = inquiries.groupby("customer").size()
    assert per_customer.max() == 2
    # deadlines spread around the expectation: some ask before it runs out, some later
    spread = run(inquiry_scenario(deadline_cv=1.0)).contacts
    spread = spread[spread["kind"] == "status_inquiry"]
    early = spread["started"].to_numpy() < (
        customers.loc[spread["customer"], "arrived"].to_numpy() + 1800
    )
    assert early.any() and not early.all()
    # the visits: step -1 at the front pool named by status_inquiry.served_by
    visits = tables.visits
    inquiry_visits = visits[visits["step"] == -1]
    assert (inquiry_visits["pool"] == "agents").all()
    assert (inquiry_visits["touchpoint"] == "status_inquiry").all()
    keys = set(zip(inquiries["customer"], inquiries["contact"], strict=True))
    assert keys == set(zip(inquiry_visits["customer"], inquiry_visits["contact"], strict=True))
    # no inquiry starts once the customer's issue is resolved
    left = customers.loc[inquiries["customer"], "left"].to_numpy()
    started = inquiries["started"].to_numpy()
    assert not (started > left).any()
    # the second inquiry comes an interval after the first ended
    ordered = inquiries.sort_values(["customer", "contact"])
    again = ordered["customer"].eq(ordered["customer"].shift())
    gaps = ordered["started"][again] - ordered["ended"].shift()[again]
    assert len(gaps) > 10
    assert (gaps >= HOUR - 1e-6).all()
    # inquiries are made while the issue is with the back office (the customer is away)
    processing = visits[visits["step"] == 1].set_index("customer")
    queued_back = processing.loc[inquiries["customer"], "queued"].to_numpy()
    back_done = processing.loc[inquiries["customer"], "ended"].fillna(math.inf).to_numpy()
    assert (started >= queued_back).all()
    assert (started <= back_done).all()


def test_status_inquiries_off() -> None:
    on = simulate(inquiry_scenario(), replications=2, seed=3)
    off = simulate(inquiry_scenario(enabled=False), replications=2, seed=3)
    assert "status_inquiry" not in set(off.records.contacts["kind"])
    assert (off.records.visits["step"] >= 0).all()
    assert "status_inquiry" in set(on.records.contacts["kind"])
    repeated_on = on.metric("repeated_questions_share")["mean"]
    repeated_off = off.metric("repeated_questions_share")["mean"]
    assert repeated_on > repeated_off + 0.2


def test_inquiry_in_progress_when_resolved_is_recorded_at_the_horizon() -> None:
    """Long inquiries (6 h): a customer resolved during one, with the horizon before its end."""
    scenario = inquiry_scenario(days=1).with_overrides(
        {
            "status_inquiry.service_time": fixed("6h"),
            "staff.front.agents.headcount": 50,
        }
    )
    tables = simulate_replication(scenario, 1, 0)
    check_conservation(tables)


# --------------------------------------------------------------------------- 7. contact levels


def preset_scenario(level: str, **touchpoint_changes: dict[str, Any]) -> servsim.Scenario:
    cycle: list[dict[str, Any]] = [
        {"name": "request", "served_by": "agents", "service_time": {"mean": "5min"}},
        {"name": "processing", "served_by": "back_office", "service_time": {"mean": "20min"}},
        {"name": "follow_up", "served_by": "agents", "service_time": {"mean": "4min"}},
        {"name": "delivery", "served_by": "agents", "service_time": {"mean": "2min"}},
    ]
    for tp in cycle:
        tp.update(touchpoint_changes.get(tp["name"], {}))
    return make(
        contact_level=level,
        staff={
            "front": [{"name": "agents", "headcount": 3}],
            "back": [{"name": "back_office", "headcount": 3}],
        },
        service_cycle=cycle,
    )


@pytest.mark.parametrize(
    ("level", "present", "inquiries"),
    [
        ("high", [True, True, True, True], False),
        ("medium", [True, False, True, True], False),
        ("low", [True, False, False, True], True),
    ],
)
def test_contact_level_presets(level: str, present: list[bool], inquiries: bool) -> None:
    scenario = preset_scenario(level)
    c = {"high": 0.8, "medium": 0.4, "low": 0.1}[level]
    cycle = scenario.service_cycle
    assert [tp.customer_present for tp in cycle] == present
    assert [tp.moment_of_truth for tp in cycle] == present
    expected_cv = [0.3 + 0.9 * c if here else 0.3 for here in present]
    assert [tp.service_time.cv for tp in cycle] == pytest.approx(expected_cv)
    assert [tp.service_time.mean for tp in cycle] == [300.0, 1200.0, 240.0, 120.0]
    assert scenario.status_inquiry.enabled is inquiries
    assert scenario.status_inquiry.served_by == "agents"
    assert scenario.variability.contact_ratio == c
    # and the model records what the preset decided
    visits = run(scenario).visits
    by_step = visits[visits["step"] >= 0].groupby("step")["customer_present"].agg(["min", "max"])
    assert by_step["min"].tolist() == present
    assert by_step["max"].tolist() == present


def test_touchpoint_overrides_the_preset() -> None:
    scenario = preset_scenario(
        "medium",
        processing={"customer_present": True},
        follow_up={"service_time": {"mean": "4min", "cv": 0.5}, "moment_of_truth": False},
        delivery={"customer_present": False},
    )
    request, processing, follow_up, delivery = scenario.service_cycle
    assert processing.customer_present is True and processing.moment_of_truth is True
    assert processing.service_time.cv == pytest.approx(0.3 + 0.9 * 0.4)
    assert follow_up.customer_present is True and follow_up.moment_of_truth is False
    assert follow_up.service_time.cv == 0.5
    assert delivery.customer_present is False and delivery.moment_of_truth is False
    assert delivery.service_time.cv == pytest.approx(0.3)
    assert request.service_time.cv == pytest.approx(0.3 + 0.9 * 0.4)
    # explicit kinds other than lognormal are left alone
    exponential = preset_scenario("high", request={"service_time": exp("5min")})
    assert exponential.service_cycle[0].service_time.kind == "exponential"


# --------------------------------------------------------------------------- 8. arrivals


def self_service(**changes: Any) -> servsim.Scenario:
    """A scenario with no staff at all: cheap to run for many days."""
    fields: dict[str, Any] = {
        "staff": {},
        "service_cycle": [
            {"name": "kiosk", "served_by": None, "service_time": fixed(0), "resolution": 1}
        ],
    }
    fields.update(changes)
    return make(**fields)


def counts_per_interval(arrived: np.ndarray, intervals: list[tuple[float, float]]) -> list[int]:
    return [int(np.sum((arrived >= a) & (arrived < b))) for a, b in intervals]


def test_counts_csv(tmp_path: Any) -> None:
    (tmp_path / "counts.csv").write_text(
        "start,end,count\n08:00,10:00,20\n10:00,12:00,50\n12:00,13:00,5\n13:00,17:00,0\n",
        encoding="utf-8",
    )
    (tmp_path / "scenario.yaml").write_text(
        "contact_level: medium\n"
        "segments: [{name: retail}]\n"
        "arrivals: {counts_csv: counts.csv}\n"
        "service_cycle:\n"
        "  - {name: kiosk, served_by: null, service_time: {kind: deterministic, value: 0}}\n"
        "staff: {}\n",
        encoding="utf-8",
    )
    scenario = resolve_scenario(servsim.load_scenario(tmp_path / "scenario.yaml"))
    assert scenario.name == "scenario"
    intervals = [(8 * HOUR, 10 * HOUR), (10 * HOUR, 12 * HOUR), (12 * HOUR, 13 * HOUR)]
    expected = [20, 50, 5]
    replications = 40
    totals = np.zeros(3)
    for r in range(replications):
        tables = run(scenario, seed=5, replication=r)
        arrived = tables.customers["arrived"].to_numpy()
        totals += counts_per_interval(arrived, intervals)
        outside = (arrived < 8 * HOUR) | (arrived >= 13 * HOUR)
        assert not outside.any()
    means = totals / replications
    for mean, count in zip(means, expected, strict=True):
        assert mean == pytest.approx(count, abs=4 * math.sqrt(count / replications))


def test_zero_rate_at_night() -> None:
    scenario = self_service(
        horizon={"days": 3},
        arrivals={
            "profile": [
                {"start": "00:00", "end": "07:00", "per_hour": 0},
                {"start": "07:00", "end": "22:00", "per_hour": 10},
            ]
        },
    )
    arrived = run(scenario).customers["arrived"].to_numpy()
    time_of_day = np.mod(arrived, DAY)
    assert ((time_of_day >= 7 * HOUR) & (time_of_day < 22 * HOUR)).all()
    # 3 days x 15 h x 10/h = 450 expected
    assert len(arrived) == pytest.approx(450, abs=4 * math.sqrt(450))


def daily_counts(scenario: servsim.Scenario, seed: int) -> np.ndarray:
    arrived = run(scenario, seed=seed).customers["arrived"].to_numpy()
    days = int(scenario.horizon.days)
    return np.bincount((arrived // DAY).astype(int), minlength=days)[:days]


def test_day_multiplier_overdispersion() -> None:
    days, per_hour, cv = 60, 5.0, 0.3
    mean = per_hour * 24  # 120 a day
    plain = daily_counts(self_service(horizon={"days": days}, arrivals={"per_hour": per_hour}), 2)
    mixed = daily_counts(
        self_service(
            horizon={"days": days}, arrivals={"per_hour": per_hour, "day_multiplier_cv": cv}
        ),
        2,
    )
    # Poisson: variance = mean; the sample variance of 60 days has relative SE sqrt(2/59)
    relative_se = math.sqrt(2 / (days - 1))
    assert plain.var(ddof=1) / plain.mean() == pytest.approx(1.0, abs=4 * relative_se)
    assert plain.mean() == pytest.approx(mean, abs=4 * math.sqrt(mean / days))
    # gamma multiplier: variance = mean + (cv * mean)^2 = 120 + 1296 = 1416, mean unchanged
    overdispersed = mean + (cv * mean) ** 2
    assert mixed.var(ddof=1) > 3 * mean
    assert 0.5 * overdispersed < mixed.var(ddof=1) < 2 * overdispersed
    assert mixed.mean() == pytest.approx(mean, abs=4 * math.sqrt(overdispersed / days))


def test_profile_period_for_one_day() -> None:
    scenario = self_service(
        horizon={"days": 3},
        arrivals={
            "profile": [
                {"start": "08:00", "end": "12:00", "per_hour": 10},
                {"start": "08:00", "end": "12:00", "per_hour": 60, "day": 2},
            ]
        },
    )
    replications = 10
    per_day = np.zeros(3)
    for r in range(replications):
        arrived = run(scenario, seed=4, replication=r).customers["arrived"].to_numpy()
        time_of_day = np.mod(arrived, DAY)
        assert ((time_of_day >= 8 * HOUR) & (time_of_day < 12 * HOUR)).all()
        per_day += np.bincount((arrived // DAY).astype(int), minlength=3)[:3]
    means = per_day / replications
    for mean, expected in zip(means, [40, 240, 40], strict=True):
        assert mean == pytest.approx(expected, abs=4 * math.sqrt(expected / replications))


def in_process(factor: float | None) -> Any:
    """Two steps in person: a quick reception, then a slow desk with too few staff."""
    seg = segment(patience=fixed("3min"))
    if factor is not None:
        seg["in_process_patience_factor"] = factor
    return make(
        contact_level="high",
        segments=[seg],
        arrivals={"per_hour": 20},
        staff={
            "front": [
                {"name": "greeters", "headcount": 3},
                {"name": "advisors", "headcount": 1},
            ]
        },
        service_cycle=two_steps(("reception", "greeters", "1min"), ("desk", "advisors", "4min")),
    )


def test_a_customer_already_served_waits_in_process() -> None:
    """Once served in a contact, a later wait in it is in process (Maister): by default the
    customer does not walk out of it; with a factor, their patience there is that many times
    their patience before being served. More patience never means more abandoners, under
    common random numbers."""
    committed = run(in_process(None)).visits
    desk = committed[committed["step"] == 1]
    assert len(desk) > 100
    assert (desk["outcome"] != "abandoned").all()  # felt (long waits), never abandoned
    assert ((desk["started"] - desk["queued"]) > 600).any()
    reception = committed[committed["step"] == 0]
    abandoned_by_factor = []
    for factor in (1.0, 2.0, 4.0):
        visits = run(in_process(factor)).visits
        at_desk = visits[(visits["step"] == 1) & (visits["outcome"] == "abandoned")]
        assert np.allclose(at_desk["ended"] - at_desk["queued"], 180.0 * factor)
        abandoned_by_factor.append(len(at_desk))
        # the wait before being served is untouched: the reception's records are the same
        same = visits[visits["step"] == 0].reset_index(drop=True)
        pd.testing.assert_frame_equal(same, reception.reset_index(drop=True))
    assert abandoned_by_factor[0] > 20
    assert abandoned_by_factor[0] >= abandoned_by_factor[1] >= abandoned_by_factor[2]
