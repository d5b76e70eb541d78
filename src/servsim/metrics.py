"""Records -> KPIs of one replication: the five service standards, abandonment, utilisation, cost.

Definitions follow docs/model.md §4. Everything is measured over the window from the end of
the warm-up to the horizon: customer measures over customers who first arrived in the window,
time averages (queue length, occupancy, staff hours) over the window's clock time. Customers
still in the system at the horizon are counted, never dropped; a time they had not yet reached
(a resolution, a first response) is left out of the time measures, which is stated here
because it biases long resolution times down when the horizon is short.

Every column is declared in :mod:`servsim.catalogue` (meaning, unit, valid range, labels);
columns with a pool or a percentile are built with :func:`servsim.catalogue.column`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from servsim.catalogue import PERCENTILES, column
from servsim.records import (
    ABANDONED,
    IN_SYSTEM,
    OUTCOME_CODES,
    OUTCOMES,
    RESOLVED,
    UNRESOLVED,
    RecordTables,
    text_codes,
)
from servsim.scenario import Scenario
from servsim.tally import Tally

FloatArray = npt.NDArray[np.float64]


def overlap(start: FloatArray, end: FloatArray, window_start: float, window_end: float) -> float:
    """Total length of the intervals [start, end] that falls inside the window."""
    clipped = np.clip(end, window_start, window_end) - np.clip(start, window_start, window_end)
    return float(np.clip(clipped, 0.0, None).sum())


def staff_seconds(
    staffing: pd.DataFrame,
    pool: str,
    window_start: float,
    window_end: float,
    column: str = "on_floor",
) -> float:
    """Integral of a staffing column of one pool over the window (staff x seconds)."""
    rows = staffing[staffing["pool"] == pool].sort_values("time", kind="stable")
    if rows.empty:
        return 0.0
    times = rows["time"].to_numpy(dtype=np.float64)
    levels = rows[column].to_numpy(dtype=np.float64)
    ends = np.append(times[1:], window_end)
    return float(
        (
            levels
            * (np.clip(ends, window_start, window_end) - np.clip(times, window_start, window_end))
        ).sum()
    )


def with_paid_overtime(staffing: pd.DataFrame) -> pd.DataFrame:
    """The staffing table with ``paid_overtime``: staff serving past their shift.

    A record's ``overtime`` counts everyone serving off the floor; those taken into training
    while serving are paid as trainees already, so only the rest is overtime pay.
    """
    overtime = staffing.get("overtime", 0)
    return staffing.assign(
        overtime=overtime, paid_overtime=(overtime - staffing["in_training"]).clip(lower=0)
    )


def replication_metrics(tables: RecordTables, scenario: Scenario) -> dict[str, float]:
    """Every KPI of one replication from its records, as a flat name -> value mapping."""
    tally = Tally()
    add_batch(tally, tables, scenario)
    return finish_metrics(tally, tables.staffing, tables.training, scenario)


def add_batch(tally: Tally, tables: RecordTables, scenario: Scenario) -> None:
    """Add a batch of records to the sums the KPIs are built from.

    The batch holds every record of its customers (see :class:`servsim.records.RecordBatch`),
    so a customer's first response, resolution and first-contact result are found within it;
    time averages add up visit by visit. Staffing and training come in :func:`finish_metrics`.
    """
    start = scenario.horizon.warm_up
    end = scenario.horizon.length
    customers = tables.customers[tables.customers["arrived"] >= start]
    ids = customers["customer"]
    contacts = tables.contacts[tables.contacts["customer"].isin(ids)]
    visits = tables.visits[tables.visits["customer"].isin(ids)]
    count = len(customers)
    tally.total("arrivals", float(count))
    tally.total("customers_all", float(len(tables.customers)))

    answered = visits[visits["started"].notna()]
    responses = answered[answered["responds"]]
    first_response = _group_min(responses["customer"], responses["started"])
    arrived = customers.set_index("customer")["arrived"]
    first_wait = (first_response - arrived.reindex(first_response.index)).to_numpy(dtype=np.float64)
    tally.distribution("first_response_time", first_wait)

    response_waits = (responses["started"] - responses["queued"]).to_numpy(dtype=np.float64)
    tally.distribution("average_response_time", response_waits)

    # outcomes compared as codes (records.OUTCOMES), not text row by row
    outcome_code = text_codes(customers["outcome"], OUTCOMES)
    by_customer = pd.Index(customers["customer"], name="customer")

    def customer_flag(flags: npt.NDArray[np.bool_]) -> pd.Series:
        return pd.Series(flags, index=by_customer)

    n_contacts = customers.set_index("customer")["contacts"]
    left = customer_flag(outcome_code != _IN_SYSTEM)
    first = contacts[contacts["contact"].to_numpy() == 0]
    first_contact_over = pd.Series(
        text_codes(first["outcome"], OUTCOMES) != _IN_SYSTEM,
        index=pd.Index(first["customer"], name="customer"),
    ).reindex(by_customer, fill_value=False)
    # known either way: left, came back, or the first contact ended (resolved or not)
    settled = left | (n_contacts > 1) | first_contact_over
    first_contact_resolved = customer_flag(outcome_code == _RESOLVED) & (n_contacts == 1)
    tally.share("first_contact_resolution", first_contact_resolved[settled])

    resolved = customers[outcome_code == _RESOLVED]
    tally.distribution("resolution_time", (resolved["left"] - resolved["arrived"]).to_numpy())
    tally.total("resolved", float(len(resolved)))

    tally.share("repeated_questions_share", contacts["repeats_question"])

    target = scenario.service_level.target
    has_response = pd.Series(False, index=by_customer)
    has_response[first_response.index] = True
    waited_past_target = ~has_response & ~left & ((end - arrived) > target)
    determinate = has_response | left | waited_past_target
    within = pd.Series(False, index=by_customer)
    within[first_response.index] = first_wait <= target
    tally.share("service_level", within[determinate])
    abandoned_first = ~has_response & customer_flag(outcome_code == _ABANDONED)
    tally.share("abandoned_before_response", abandoned_first[left])

    tally.mean("average_speed_of_answer", _first_answer_waits(responses))

    visit_outcome = text_codes(visits["outcome"], OUTCOMES)
    visit_staffed = text_codes(visits["pool"], [""]) != 0
    visit_started = visits["started"].notna().to_numpy()
    over = visit_outcome != _IN_SYSTEM
    in_person = visit_staffed & over & visits["customer_present"].to_numpy(dtype=bool)
    # a contact in service at the horizon has a known wait: per-pool waits count it
    started_by_end = over | visit_started
    known = visit_staffed & started_by_end
    known_waits = visits[known]
    known_outcome = visit_outcome[known]
    tally.share("abandonment", visit_outcome[in_person] == _ABANDONED)

    offered = offered_service_level(visits, target, end)
    tally.share("service_level_offered", offered.within[offered.counted_as_miss])
    tally.share("service_level_offered_excluding", offered.within[offered.counted_excluding])
    front_line_only = first_touch_resolved(visits, scenario).reindex(by_customer, fill_value=False)
    tally.share("first_touch_resolution", (first_contact_resolved & front_line_only)[settled])

    tally.mean("contacts_per_issue", n_contacts)
    served_by_staff = visits[visit_staffed & visit_started]
    service = (served_by_staff["ended"].fillna(end) - served_by_staff["started"]).to_numpy(
        dtype=np.float64
    )
    with_customer = served_by_staff["customer_present"].to_numpy(dtype=bool)
    tally.ratio("potential_efficiency", float(service[~with_customer].sum()), float(service.sum()))
    for share_name, value in (
        ("resolved_share", RESOLVED),
        ("unresolved_share", UNRESOLVED),
        ("abandoned_share", ABANDONED),
    ):
        tally.share(share_name, outcome_code == OUTCOME_CODES[value])
    tally.total("in_system_at_end", float((outcome_code == _IN_SYSTEM).sum()))

    all_visits = tables.visits  # time averages count every customer present in the window
    chosen = (
        offered.counted_excluding
        if scenario.service_level.abandons_within_target == "exclude"
        else offered.counted_as_miss
    )
    pool_names = [pool.name for _, pool in scenario.staff.pools()]
    all_pool = text_codes(all_visits["pool"], pool_names)
    all_outcome = text_codes(all_visits["outcome"], OUTCOMES)
    all_waiting = all_visits["started"].isna().to_numpy()
    known_pool = text_codes(known_waits["pool"], pool_names)
    offered_pool = text_codes(offered.pool, pool_names)
    for code, name in enumerate(pool_names):
        at = all_pool == code
        pool_visits = all_visits[at]
        queue_end = (
            pool_visits["started"]
            .fillna(pool_visits["ended"])
            .fillna(end)
            .to_numpy(dtype=np.float64)
        )
        queued = pool_visits["queued"].to_numpy(dtype=np.float64)
        tally.total(column("queue_length", name), overlap(queued, queue_end, start, end))
        served = pool_visits[pool_visits["started"].notna()]
        busy = overlap(
            served["started"].to_numpy(dtype=np.float64),
            served["ended"].fillna(end).to_numpy(dtype=np.float64),
            start,
            end,
        )
        tally.total(f"busy[{name}]", busy)
        here = known_pool == code
        mine = known_waits[here]
        waits = (mine["started"].fillna(mine["ended"]) - mine["queued"]).to_numpy(dtype=np.float64)
        tally.mean(column("wait_mean", name), waits)
        tally.share(column("wait_probability", name), waits > 0)
        tally.share(column("pool_abandonment", name), known_outcome[here] == _ABANDONED)
        at_pool = offered_pool == code
        tally.share(column("pool_service_level", name), offered.within[chosen & at_pool])
        done_here = mine[mine["started"].notna() & mine["ended"].notna()]
        tally.mean(column("handle_time_mean", name), done_here["ended"] - done_here["started"])
        still_waiting = (all_outcome[at] == _IN_SYSTEM) & all_waiting[at]
        tally.total(column("waiting_at_horizon", name), float(still_waiting.sum()))


def _first_answer_waits(responses: pd.DataFrame) -> FloatArray:
    """The wait for the first answer of each contact, in (customer, contact) order.

    A contact's first answer is its earliest response (the first in row order on a tie).
    """
    customer = responses["customer"].to_numpy(dtype=np.int64)
    contact = responses["contact"].to_numpy(dtype=np.int64)
    started = responses["started"].to_numpy(dtype=np.float64)
    queued = responses["queued"].to_numpy(dtype=np.float64)
    order = np.lexsort((np.arange(customer.size), started, contact, customer))
    first = np.ones(order.size, dtype=bool)
    first[1:] = (customer[order][1:] != customer[order][:-1]) | (
        contact[order][1:] != contact[order][:-1]
    )
    chosen = order[first]
    waits: FloatArray = started[chosen] - queued[chosen]
    return waits


_IN_SYSTEM = OUTCOME_CODES[IN_SYSTEM]
_RESOLVED = OUTCOME_CODES[RESOLVED]
_ABANDONED = OUTCOME_CODES[ABANDONED]

_RATIOS = (
    "potential_efficiency",
    "first_contact_resolution",
    "repeated_questions_share",
    "service_level",
    "abandoned_before_response",
    "average_speed_of_answer",
    "abandonment",
    "service_level_offered",
    "service_level_offered_excluding",
    "first_touch_resolution",
    "contacts_per_issue",
    "resolved_share",
    "unresolved_share",
    "abandoned_share",
)
_DISTRIBUTIONS = ("first_response_time", "average_response_time", "resolution_time")
_POOL_RATIOS = (
    "wait_mean",
    "wait_probability",
    "pool_abandonment",
    "pool_service_level",
    "handle_time_mean",
)


def finish_metrics(
    tally: Tally, staffing: pd.DataFrame, training: pd.DataFrame, scenario: Scenario
) -> dict[str, float]:
    """The KPIs from the sums of every batch and the whole staffing and training records."""
    start = scenario.horizon.warm_up
    end = scenario.horizon.length
    out: dict[str, float] = {"arrivals": tally.sum_of("arrivals")}
    for name in _DISTRIBUTIONS:
        out[name] = tally.value(name)
        for p in PERCENTILES:
            out[column(name, percentile=p)] = tally.percentile(name, p)
    for name in _RATIOS:
        out[name] = tally.value(name)
    out["in_system_at_end"] = tally.sum_of("in_system_at_end")
    headline = "service_level_offered" + (
        "_excluding" if scenario.service_level.abandons_within_target == "exclude" else ""
    )
    out["goal_met"] = (
        float(out[headline] >= scenario.service_level.goal)
        if not math.isnan(out[headline])
        else math.nan
    )
    total_cost = 0.0
    span = end - start
    staffing = with_paid_overtime(staffing)
    for _, pool in scenario.staff.pools():
        name = pool.name
        out[column("queue_length", name)] = tally.sum_of(column("queue_length", name)) / span
        on_floor = staff_seconds(staffing, name, start, end)
        # serving off the floor: past their shift (overtime) or into training (paid anyway)
        serving_off_floor = staff_seconds(staffing, name, start, end, "overtime")
        overtime = staff_seconds(staffing, name, start, end, "paid_overtime")
        paid = on_floor + serving_off_floor
        busy = tally.sum_of(f"busy[{name}]")
        out[column("occupancy", name)] = busy / paid if paid > 0 else math.nan
        training_seconds = staff_seconds(staffing, name, start, end, "in_training")
        out[column("staff_hours", name)] = on_floor / 3600.0
        out[column("overtime_hours", name)] = overtime / 3600.0
        out[column("training_hours", name)] = training_seconds / 3600.0
        overtime_cost = overtime / 3600.0 * pool.overtime_premium * pool.cost_per_hour
        out[column("overtime_cost", name)] = overtime_cost
        total_cost += (on_floor + training_seconds) / 3600.0 * pool.cost_per_hour + overtime_cost
        for ratio in _POOL_RATIOS:
            out[column(ratio, name)] = tally.value(column(ratio, name))
        out[column("waiting_at_horizon", name)] = tally.sum_of(column("waiting_at_horizon", name))
    in_window = training[(training["start"] >= start) & (training["start"] < end)]
    out["training_cost"] = float(in_window["cost"].sum())
    out["staff_cost"] = total_cost
    total_cost += out["training_cost"]
    resolved_count = tally.sum_of("resolved")
    out["cost_per_resolved_issue"] = total_cost / resolved_count if resolved_count else math.nan
    return out


@dataclass(frozen=True)
class OfferedContacts:
    """Contacts offered where customers wait in person, judged against the target.

    Attributes:
        pool: each offered contact's pool.
        within: answered within the target.
        counted_as_miss: in the count when an abandon within the target is a miss (every
            offered contact whose fate against the target is known).
        counted_excluding: in the count when abandons within the target are left out.
    """

    pool: pd.Series
    within: npt.NDArray[np.bool_]
    counted_as_miss: npt.NDArray[np.bool_]
    counted_excluding: npt.NDArray[np.bool_]


def offered_service_level(visits: pd.DataFrame, target: float, end: float) -> OfferedContacts:
    """Every staffed visit with the customer present, and how it stands against the target.

    A contact still waiting at the horizon counts once it has waited past the target (a miss);
    one still waiting within the target has no known fate and is left out. A contact answered
    counts with its wait, also when it was still in service at the horizon.
    """
    staffed = text_codes(visits["pool"], [""]) != 0
    offered = visits[staffed & visits["customer_present"].to_numpy(dtype=bool)]
    queued = offered["queued"].to_numpy(dtype=np.float64)
    started = offered["started"].to_numpy(dtype=np.float64)
    answered = ~np.isnan(started)
    wait = np.where(answered, started - queued, np.nan)
    abandoned = text_codes(offered["outcome"], [ABANDONED]) == 0
    left_at = offered["ended"].fillna(end).to_numpy(dtype=np.float64)
    within = answered & (wait <= target)
    short_abandon = abandoned & (left_at - queued <= target)
    waiting = ~answered & ~abandoned
    known = answered | abandoned | (waiting & (end - queued > target))
    return OfferedContacts(offered["pool"], within, known, known & ~short_abandon)


def first_touch_resolved(visits: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """Per customer: whether the first contact stayed with the front line.

    True where no visit of the customer's first contact went to a back-office pool: no
    hand-off (and so no callback after one). Combined with a resolution in that first contact,
    it is the agent's view of first-contact resolution: resolved at first touch.
    """
    back = [pool.name for pool in scenario.staff.back]
    first_contact = visits[visits["contact"].to_numpy() == 0]
    to_back = (text_codes(first_contact["pool"], back) >= 0).astype(np.int64)
    ids, which = np.unique(first_contact["customer"].to_numpy(dtype=np.int64), return_inverse=True)
    handed_off = np.bincount(which, weights=to_back, minlength=ids.size) > 0
    return pd.Series(~handed_off, index=pd.Index(ids, name="customer"), name="pool")


def _group_min(keys: pd.Series, values: pd.Series) -> pd.Series:
    """The least value per key, by key (as ``values.groupby(keys).min()``, without NaN)."""
    key = keys.to_numpy(dtype=np.int64)
    value = values.to_numpy(dtype=np.float64)
    order = np.argsort(key, kind="stable")
    key, value = key[order], value[order]
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.size else key
    least = np.minimum.reduceat(value, first) if key.size else value
    return pd.Series(least, index=pd.Index(key[first], name=keys.name), name=values.name)


def daily_metrics(tables: RecordTables, scenario: Scenario) -> pd.DataFrame:
    """Per day and pool: waits, handle time, abandonment, staff and training hours, proficiency.

    Whole-run averages hide what a training plan does (a dip while staff are off the floor, a
    gain after, fading); this table shows it day by day. Visits count on the day they queued;
    with a ``replication`` column the days are averaged over replications.
    """
    visits = tables.visits[tables.visits["pool"] != ""]
    visits = visits[visits["outcome"] != IN_SYSTEM]
    day = (visits["queued"] // 86400).astype(int) + 1
    frame = pd.DataFrame(
        {
            "day": day,
            "pool": visits["pool"],
            "wait": visits["started"].fillna(visits["ended"]) - visits["queued"],
            "handle_time": visits["ended"] - visits["started"],
            "abandoned": (visits["outcome"] == ABANDONED).astype(float),
        }
    )
    per_day = frame.groupby(["day", "pool"]).agg(
        visits=("wait", "size"),
        wait_mean=("wait", "mean"),
        handle_time_mean=("handle_time", "mean"),
        abandonment=("abandoned", "mean"),
    )
    staffing_all = tables.staffing
    if "replication" not in staffing_all:
        staffing_all = staffing_all.assign(replication=0)
    replications = staffing_all["replication"].nunique()
    per_day["visits"] = per_day["visits"] / max(replications, 1)
    rows = []
    days = math.ceil(scenario.horizon.length / 86400)
    for (replication, pool), staffing in staffing_all.groupby(["replication", "pool"]):
        for d in range(1, days + 1):
            start, end = (d - 1) * 86400.0, min(d * 86400.0, scenario.horizon.length)
            before_end = staffing[staffing["time"] < end]
            rows.append(
                {
                    "replication": replication,
                    "day": d,
                    "pool": pool,
                    "staff_hours": staff_seconds(staffing, str(pool), start, end) / 3600.0,
                    "training_hours": staff_seconds(staffing, str(pool), start, end, "in_training")
                    / 3600.0,
                    "proficiency": float(before_end["proficiency"].iloc[-1])
                    if len(before_end)
                    else math.nan,
                }
            )
    staff = (
        pd.DataFrame(rows)
        .groupby(["day", "pool"])[["staff_hours", "training_hours", "proficiency"]]
        .mean()
    )
    return staff.join(per_day, how="left").reset_index()
