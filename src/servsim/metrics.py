"""Records -> KPIs of one replication: the five service standards, abandonment, utilisation, cost.

Definitions follow MODEL.md section 4. Everything is measured over the window from the end of
the warm-up to the horizon: customer measures over customers who first arrived in the window,
time averages (queue length, occupancy, staff hours) over the window's clock time. Customers
still in the system at the horizon are counted, never dropped; a time they had not yet reached
(a resolution, a first response) is left out of the time measures, which is stated here
because it biases long resolution times down when the horizon is short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from servsim.records import IN_SYSTEM, RecordTables
from servsim.satisfaction_schema import LEVEL_NAMES

if TYPE_CHECKING:  # the scenario package reads the metric names defined here
    from servsim.scenario import Scenario

PERCENTILES = (50, 90, 95)
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MetricInfo:
    """What a metric means and its unit, for tables and reports.

    ``signed``: the metric can be negative (NPS, utilities), so its confidence interval is not
    cut at 0.
    """

    description: str
    unit: str
    signed: bool = False


STANDARDS: dict[str, MetricInfo] = {
    "first_response_time": MetricInfo("first arrival -> start of the first response", "s"),
    "average_response_time": MetricInfo("mean wait for each staff response, all contacts", "s"),
    "first_contact_resolution": MetricInfo(
        "issues resolved in the first contact, no repeat", "share"
    ),
    "resolution_time": MetricInfo("first arrival -> issue resolved", "s"),
    "repeated_questions_share": MetricInfo("contacts repeating a question / all contacts", "share"),
}

OTHER_METRICS: dict[str, MetricInfo] = {
    "service_level": MetricInfo("first responses within the scenario's target", "share"),
    "average_speed_of_answer": MetricInfo(
        "mean wait of answered contacts for their first answer", "s"
    ),
    "abandonment": MetricInfo("staffed queue visits abandoned / visits that ended", "share"),
    "abandoned_before_response": MetricInfo("customers who left without any response", "share"),
    "staff_cost": MetricInfo("staff paid (on the floor or training) x cost per hour", "cost"),
    "training_cost": MetricInfo("training sessions' cost beyond wages", "cost"),
    "cost_per_resolved_issue": MetricInfo("(staff + training cost) / issues resolved", "cost"),
    "arrivals": MetricInfo("customers arriving in the window", "count"),
    "contacts_per_issue": MetricInfo("contacts per customer", "count"),
    "resolved_share": MetricInfo("customers whose issue was resolved", "share"),
    "unresolved_share": MetricInfo("customers who gave up unresolved", "share"),
    "abandoned_share": MetricInfo("customers who left after abandoning", "share"),
    "in_system_at_end": MetricInfo("customers still in the system at the horizon", "count"),
}

POOL_METRICS: dict[str, MetricInfo] = {
    "occupancy": MetricInfo("busy staff time / staff time on the floor", "share"),
    "queue_length": MetricInfo("time-averaged number waiting", "customers"),
    "wait_mean": MetricInfo("mean time in queue per visit, abandoners until they left", "s"),
    "wait_probability": MetricInfo("visits that had to wait", "share"),
    "pool_abandonment": MetricInfo("visits to this pool abandoned", "share"),
    "staff_hours": MetricInfo("staff hours on the floor over the window", "h"),
    "training_hours": MetricInfo("staff hours off the floor in training over the window", "h"),
}


SATISFACTION_METRICS: dict[str, MetricInfo] = {
    "csat_mean": MetricInfo("mean CSAT 1-5 of customers who left", "score"),
    "csat_top2_share": MetricInfo("customers who left with CSAT 4 or 5", "share"),
    "nps": MetricInfo("promoters (9-10) - detractors (0-6), as a share", "share", signed=True),
    "satisfaction_mean": MetricInfo("mean cycle satisfaction S (peak-end)", "utility", True),
    "surveyed": MetricInfo("customers who left with at least one moment", "count"),
    **{
        f"level_share_{k}": MetricInfo(f"moments at level {k} ({name})", "share")
        for k, name in LEVEL_NAMES.items()
    },
    "stellar_moments": MetricInfo("stellar (level 5) moments per judged customer", "count"),
    "bitter_moments": MetricInfo("bitter (level 1) moments per judged customer", "count"),
    "stellar": MetricInfo("stellar moments at this touchpoint", "count"),
    "bitter": MetricInfo("bitter moments at this touchpoint", "count"),
    "moment_utility": MetricInfo("mean utility v of this touchpoint's moments", "utility", True),
    "empathy_mean": MetricInfo("mean empathy over staffed moments, 0-1", "score"),
    "assurance_mean": MetricInfo("mean assurance over staffed moments, 0-1", "score"),
    "on_time_resolution": MetricInfo("resolved within the expected resolution time", "share"),
    "procedural_score": MetricInfo("mean of SL, 1 - abandonment, FCR, on-time resolution", "score"),
    "personal_score": MetricInfo("mean of empathy and assurance", "score"),
}


SATISFACTION_ROWS = (
    ("CSAT (1-5)", "csat_mean", "score"),
    ("CSAT top-2-box (4-5)", "csat_top2_share", "share"),
    ("NPS (promoters - detractors)", "nps", "share"),
    ("cycle satisfaction S", "satisfaction_mean", "score"),
    ("stellar moments per customer", "stellar_moments", "score"),
    ("bitter moments per customer", "bitter_moments", "score"),
    ("empathy (staffed moments)", "empathy_mean", "score"),
    ("assurance (staffed moments)", "assurance_mean", "score"),
    ("on-time resolution", "on_time_resolution", "share"),
)
"""What ``servsim run`` and the report show of satisfaction, in order: (label, metric, unit)."""


def format_value(value: float, unit: str) -> str:
    """A metric value as the terminal shows it: shares in %, times in s / min / h.

    The same rules as ``servsim run``'s table, so a number in the report can be found again in
    the terminal output of the run.
    """
    if math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "s":
        if value < 600:
            return f"{value:.1f} s"
        if value < 7200:
            return f"{value / 60:.1f} min"
        return f"{value / 3600:.1f} h"
    if unit == "count":
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def format_interval(low: float, high: float, unit: str) -> str:
    """A confidence interval as ``low .. high`` in the metric's unit; ``-`` when there is none."""
    if math.isnan(low):
        return "-"
    return f"{format_value(low, unit)} .. {format_value(high, unit)}"


def describe(metric: str) -> MetricInfo | None:
    """Meaning and unit of a metric column, e.g. ``occupancy[agents]``, ``resolution_time_p90``."""
    base = metric.split("[", 1)[0]
    for suffix in (f"_p{p}" for p in PERCENTILES):
        base = base.removesuffix(suffix)
    return (
        STANDARDS.get(base)
        or OTHER_METRICS.get(base)
        or POOL_METRICS.get(base)
        or SATISFACTION_METRICS.get(base)
    )


def _mean(values: pd.Series | FloatArray) -> float:
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()) if array.size else math.nan


def _share(flags: pd.Series | npt.NDArray[np.generic]) -> float:
    array = np.asarray(flags, dtype=np.float64)
    return float(array.mean()) if array.size else math.nan


def _with_percentiles(out: dict[str, float], name: str, values: pd.Series | FloatArray) -> None:
    array = np.asarray(values, dtype=np.float64)
    out[name] = _mean(array)
    for p in PERCENTILES:
        out[f"{name}_p{p}"] = float(np.percentile(array, p)) if array.size else math.nan


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


def replication_metrics(tables: RecordTables, scenario: Scenario) -> dict[str, float]:
    """Every KPI of one replication from its records, as a flat name -> value mapping."""
    start = scenario.horizon.warm_up
    end = scenario.horizon.length
    customers = tables.customers[tables.customers["arrived"] >= start]
    ids = customers["customer"]
    contacts = tables.contacts[tables.contacts["customer"].isin(ids)]
    visits = tables.visits[tables.visits["customer"].isin(ids)]
    out: dict[str, float] = {}
    count = len(customers)
    out["arrivals"] = float(count)

    answered = visits[visits["started"].notna()]
    responses = answered[answered["responds"]]
    first_response = responses.groupby("customer")["started"].min()
    arrived = customers.set_index("customer")["arrived"]
    first_wait = (first_response - arrived.reindex(first_response.index)).to_numpy(dtype=np.float64)
    _with_percentiles(out, "first_response_time", first_wait)

    response_waits = (responses["started"] - responses["queued"]).to_numpy(dtype=np.float64)
    _with_percentiles(out, "average_response_time", response_waits)

    outcome = customers.set_index("customer")["outcome"]
    n_contacts = customers.set_index("customer")["contacts"]
    left = outcome != IN_SYSTEM
    first_contacts = contacts[contacts["contact"] == 0].set_index("customer")["outcome"]
    first_contact_over = (first_contacts != IN_SYSTEM).reindex(outcome.index, fill_value=False)
    # known either way: left, came back, or the first contact ended (resolved or not)
    settled = left | (n_contacts > 1) | first_contact_over
    first_contact_resolved = (outcome == "resolved") & (n_contacts == 1)
    out["first_contact_resolution"] = _share(first_contact_resolved[settled])

    resolved = customers[customers["outcome"] == "resolved"]
    _with_percentiles(out, "resolution_time", (resolved["left"] - resolved["arrived"]).to_numpy())

    out["repeated_questions_share"] = _share(contacts["repeats_question"])

    target = scenario.service_level.target
    has_response = pd.Series(False, index=outcome.index)
    has_response[first_response.index] = True
    waited_past_target = ~has_response & ~left & ((end - arrived) > target)
    determinate = has_response | left | waited_past_target
    within = pd.Series(False, index=outcome.index)
    within[first_response.index] = first_wait <= target
    out["service_level"] = _share(within[determinate])
    out["abandoned_before_response"] = _share((~has_response & (outcome == "abandoned"))[left])

    first_answers = (
        responses.sort_values("started", kind="stable").groupby(["customer", "contact"]).first()
    )
    out["average_speed_of_answer"] = _mean(first_answers["started"] - first_answers["queued"])

    staffed = visits[(visits["pool"] != "") & (visits["outcome"] != IN_SYSTEM)]
    abandoned = staffed["outcome"] == "abandoned"
    out["abandonment"] = _share(abandoned)

    out["contacts_per_issue"] = _mean(n_contacts)
    for share_name, value in (
        ("resolved_share", "resolved"),
        ("unresolved_share", "unresolved"),
        ("abandoned_share", "abandoned"),
    ):
        out[share_name] = _share(outcome == value) if count else math.nan
    out["in_system_at_end"] = float((outcome == IN_SYSTEM).sum())

    total_cost = 0.0
    span = end - start
    all_visits = tables.visits  # time averages count every customer present in the window
    for _, pool in scenario.staff.pools():
        name = pool.name
        pool_visits = all_visits[all_visits["pool"] == name]
        queue_end = (
            pool_visits["started"]
            .fillna(pool_visits["ended"])
            .fillna(end)
            .to_numpy(dtype=np.float64)
        )
        out[f"queue_length[{name}]"] = (
            overlap(pool_visits["queued"].to_numpy(dtype=np.float64), queue_end, start, end) / span
        )
        served = pool_visits[pool_visits["started"].notna()]
        busy = overlap(
            served["started"].to_numpy(dtype=np.float64),
            served["ended"].fillna(end).to_numpy(dtype=np.float64),
            start,
            end,
        )
        on_floor = staff_seconds(tables.staffing, name, start, end)
        out[f"occupancy[{name}]"] = busy / on_floor if on_floor > 0 else math.nan
        training = staff_seconds(tables.staffing, name, start, end, "in_training")
        out[f"staff_hours[{name}]"] = on_floor / 3600.0
        out[f"training_hours[{name}]"] = training / 3600.0
        total_cost += (on_floor + training) / 3600.0 * pool.cost_per_hour  # trainees are paid

        mine = staffed[staffed["pool"] == name]
        waits = (mine["started"].fillna(mine["ended"]) - mine["queued"]).to_numpy(dtype=np.float64)
        out[f"wait_mean[{name}]"] = _mean(waits)
        out[f"wait_probability[{name}]"] = _share(waits > 0)
        out[f"pool_abandonment[{name}]"] = _share(mine["outcome"] == "abandoned")
    sessions = tables.training
    in_window = sessions[(sessions["start"] >= start) & (sessions["start"] < end)]
    out["training_cost"] = float(in_window["cost"].sum())
    out["staff_cost"] = total_cost
    total_cost += out["training_cost"]
    resolved_count = len(resolved)
    out["cost_per_resolved_issue"] = total_cost / resolved_count if resolved_count else math.nan
    return out


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
            "abandoned": (visits["outcome"] == "abandoned").astype(float),
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
