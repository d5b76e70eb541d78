"""Staff proficiency and training (MODEL.md section 6, known result 8.7)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.model import simulate_replication
from servsim.model.training import error_factor, handle_time_factor, resolution_factor
from servsim.scenario import ResolvedScenario, resolve_scenario
from servsim.statistics import confidence_interval
from servsim.training_schema import ProficiencyModel

ROOT = Path(__file__).parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


def textbook(days: float = 2.0, **overrides: Any) -> ResolvedScenario:
    scenario = servsim.load_scenario(TEXTBOOK)
    written = scenario.with_overrides({"horizon.days": days, "horizon.warm_up": 0, **overrides})
    return resolve_scenario(written)


def service_times(tables: Any, pool: str = "agents") -> pd.Series:
    visits = tables.visits[(tables.visits["pool"] == pool) & tables.visits["started"].notna()]
    visits = visits[visits["ended"].notna()]
    return visits["ended"] - visits["started"]


# --------------------------------------------------------------------------- the formulas


def test_formulas_at_the_reference_leave_the_scenario_as_written() -> None:
    model = ProficiencyModel()
    assert handle_time_factor(model, model.reference) == 1.0
    assert resolution_factor(model, model.reference) == 1.0
    assert error_factor(model, model.reference) == 1.0


def test_formulas_follow_model_md() -> None:
    model = ProficiencyModel(reference=0.0)
    # AHT0 / AHT_inf = 1.6: an expert (k = 1) takes 1/1.6 of a novice's time
    assert handle_time_factor(model, 1.0) == pytest.approx(1 / 1.6)
    # FCR = 0.55 + 0.30 k
    assert resolution_factor(model, 1.0) == pytest.approx(0.85 / 0.55)
    # error = 0.10 (1 - k): none at k = 1
    assert error_factor(model, 1.0) == 0.0
    ks = np.linspace(0, 1, 11)
    factors = [handle_time_factor(ProficiencyModel(), k) for k in ks]
    assert all(b < a for a, b in itertools.pairwise(factors))


# --------------------------------------------------------------------------- effects in the model


def test_higher_proficiency_lowers_handle_time() -> None:
    means = {}
    for k in (0.4, 0.8, 1.0):
        scenario = textbook(**{"staff.front.agents.proficiency": k})
        durations = service_times(simulate_replication(scenario, seed=3, replication=0))
        means[k] = durations.mean()
        expected = 180 * handle_time_factor(scenario.proficiency, k)
        # exponential service: the standard error of the mean is mean / sqrt(n)
        assert durations.mean() == pytest.approx(expected, rel=4 / math.sqrt(len(durations)))
    assert means[0.4] > means[0.8] > means[1.0]


def one_step(resolution: float, proficiency: float, **extra: Any) -> servsim.Scenario:
    data: dict[str, Any] = {
        "name": "helpdesk",
        "contact_level": "medium",
        "horizon": {"days": 3},
        "segments": [
            {
                "name": "callers",
                "recontact": {"probability": 1.0, "delay": {"kind": "exponential", "mean": 600}},
                "max_contacts": 50,
            }
        ],
        "arrivals": {"per_hour": 40},
        "staff": {"front": [{"name": "agents", "headcount": 12, "proficiency": proficiency}]},
        "service_cycle": [
            {
                "name": "call",
                "served_by": "agents",
                "service_time": {"kind": "exponential", "mean": 300},
                "resolution": resolution,
            }
        ],
    }
    data.update(extra)
    return resolve_scenario(servsim.validate_scenario(data))


def test_higher_proficiency_raises_first_contact_resolution() -> None:
    results = {}
    for k in (0.3, 0.8, 1.0):
        scenario = one_step(0.6, k)
        result = servsim.simulate(scenario, replications=3, seed=4)
        results[k] = result
        expected = 0.6 * resolution_factor(scenario.proficiency, k)
        fcr = result.metric("first_contact_resolution")["mean"]
        n = result.replications["arrivals"].sum()
        assert fcr == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / n))
    fcrs = {k: r.metric("first_contact_resolution")["mean"] for k, r in results.items()}
    assert fcrs[0.3] < fcrs[0.8] < fcrs[1.0]


def test_lower_resolution_raises_contacts_per_issue_and_repeated_questions() -> None:
    """Contacts per issue = 1/FCR (MODEL.md 8.6); repeated questions rise with it."""
    previous_contacts, previous_repeats = 0.0, -1.0
    for k in (1.0, 0.6, 0.2):
        scenario = one_step(0.6, k)
        result = servsim.simulate(scenario, replications=3, seed=4)
        resolution = 0.6 * resolution_factor(scenario.proficiency, k)
        resolved = result.records.customers[result.records.customers["outcome"] == "resolved"]
        contacts = resolved["contacts"].mean()
        assert contacts == pytest.approx(1 / resolution, rel=0.05)
        repeats = result.metric("repeated_questions_share")["mean"]
        assert repeats == pytest.approx(1 - resolution, abs=0.03)
        assert contacts > previous_contacts and repeats > previous_repeats
        previous_contacts, previous_repeats = contacts, repeats


def test_back_office_errors_fall_with_proficiency() -> None:
    shares = []
    for k in (0.2, 0.8, 0.95):
        data = one_step(1.0, 0.8).model_dump(mode="json", exclude_none=True)
        data["staff"]["back"] = [{"name": "clerks", "headcount": 10, "proficiency": k}]
        data["service_cycle"].insert(
            0,
            {"name": "check", "served_by": "clerks", "service_time": {"mean": 120}, "failure": 0.1},
        )
        scenario = resolve_scenario(servsim.validate_scenario(data))
        visits = simulate_replication(scenario, seed=2, replication=0).visits
        checks = visits[(visits["touchpoint"] == "check") & (visits["outcome"] != "in_system")]
        share = (checks["outcome"] == "failed").mean()
        expected = 0.1 * error_factor(scenario.proficiency, k)
        assert share == pytest.approx(
            expected, abs=4 * math.sqrt(expected * (1 - expected) / len(checks))
        )
        shares.append(share)
    assert shares[0] > shares[1] > shares[2]


# --------------------------------------------------------------------------- training


def trained(days: float = 12.0, **programme: Any) -> servsim.Scenario:
    plan = {
        "pool": "agents",
        "day": 2,
        "start": "09:00",
        "duration": "8h",
        "staff_at_a_time": 2,
        "trainees": 8,
        "gain_per_hour": 0.02,
        "cost_per_hour": 15.0,
    } | programme
    return textbook(
        days,
        **{
            "staff.front.agents.headcount": 8,
            "training": {"half_life": "3d", "programmes": [plan]},
        },
    )


def test_training_takes_staff_off_the_floor_then_raises_proficiency() -> None:
    scenario = trained()
    tables = simulate_replication(scenario, seed=1, replication=0)
    staffing = tables.staffing
    sessions = tables.training.sort_values("start")
    # four sessions (8 trainees, 2 at a time), one a day from day 2 at 09:00, 8 hours each
    assert list(sessions["start"]) == [86400 * d + 9 * 3600 for d in (1, 2, 3, 4)]
    assert list(sessions["end"] - sessions["start"]) == [8 * 3600] * 4
    assert list(sessions["trainees"]) == [2] * 4
    assert sessions["cost"].tolist() == pytest.approx([8 * 2 * 15.0] * 4)
    for start, end in zip(sessions["start"], sessions["end"], strict=True):
        during = staffing[(staffing["time"] >= start) & (staffing["time"] < end)]
        assert (during["on_floor"] == 6).all() and (during["in_training"] == 2).all()
    # after each session the pool is more proficient: +0.02 x 8 h x 2/8 staff = +0.04
    first_end = sessions["end"].iloc[0]
    after = staffing[staffing["time"] == first_end]["proficiency"].iloc[-1]
    assert after == pytest.approx(0.8 + 0.04)


def test_training_gain_fades_with_its_half_life() -> None:
    scenario = trained(days=20.0, trainees=2)
    staffing = simulate_replication(scenario, seed=1, replication=0).staffing
    end = 86400 + 17 * 3600
    gain = 0.02 * 8 * 2 / 8
    for age_days in (3.0, 6.0, 9.0):
        row = staffing[staffing["time"] <= end + age_days * 86400].iloc[-1]
        assert row["proficiency"] == pytest.approx(
            0.8 + gain * 0.5 ** (age_days / 3), abs=gain * 0.02
        )
    assert staffing["proficiency"].iloc[-1] < 0.8 + gain * 0.02


def test_training_costs_capacity_during_and_saves_time_after() -> None:
    """Waits rise on training days and fall afterwards, against the same days untrained (CRN)."""
    base = textbook(12.0, **{"staff.front.agents.headcount": 8})
    plan = trained()
    day = 86400.0

    def waits_by_period(scenario: servsim.Scenario) -> dict[str, np.ndarray]:
        out: dict[str, list[float]] = {"training": [], "after": []}
        for replication in range(4):
            visits = simulate_replication(scenario, seed=9, replication=replication).visits
            visits = visits[visits["started"].notna()]
            wait = visits["started"] - visits["queued"]
            during = (
                (visits["queued"] % day >= 9 * 3600)
                & (visits["queued"] % day < 17 * 3600)
                & (visits["queued"] >= day)
                & (visits["queued"] < 5 * day)
            )
            later = (visits["queued"] >= 5 * day) & (visits["queued"] < 8 * day)
            out["training"].append(wait[during].mean())
            out["after"].append(wait[later].mean())
        return {k: np.asarray(v) for k, v in out.items()}

    untrained, training = waits_by_period(base), waits_by_period(plan)
    assert confidence_interval(training["training"] - untrained["training"])["ci_low"] > 0
    assert confidence_interval(untrained["after"] - training["after"])["ci_low"] > 0


def test_retraining_policy_trains_busier_pools_more() -> None:
    """Seed 000's rule: training hours proportional to each pool's contact frequency."""
    data: dict[str, Any] = {
        "name": "two_desks",
        "contact_level": "high",
        "horizon": {"days": 15},
        "segments": [{"name": "all", "request_mix": {"quick": 0.75, "long": 0.25}}],
        "arrivals": {"per_hour": 30},
        "staff": {
            "front": [{"name": "busy_desk", "headcount": 3}, {"name": "quiet_desk", "headcount": 3}]
        },
        "service_cycle": [
            {
                "name": "desk",
                "served_by": {"by_request_type": {"long": "quiet_desk"}, "fallback": "busy_desk"},
                "service_time": {"kind": "exponential", "mean": 120},
            },
        ],
        "training": {
            "policy": {"every": "7d", "hours_per_100_contacts": 0.5, "max_duration": "12h"}
        },
    }
    scenario = resolve_scenario(servsim.validate_scenario(data))
    tables = simulate_replication(scenario, seed=5, replication=0)
    sessions = tables.training
    hours = (sessions["end"] - sessions["start"]) / 3600
    per_pool = hours.groupby(sessions["pool"]).mean()
    served = tables.visits.groupby("pool").size()
    # 3:1 contacts -> about 3:1 training hours per session
    assert per_pool["busy_desk"] / per_pool["quiet_desk"] == pytest.approx(
        served["busy_desk"] / served["quiet_desk"], rel=0.15
    )
    assert set(sessions["programme"]) == {"retraining policy"}


def test_staff_in_training_are_paid_and_training_costs_show() -> None:
    scenario = trained(days=6.0).with_overrides({"staff.front.agents.cost_per_hour": 20.0})
    untrained = scenario.with_overrides({"training.programmes": []})
    with_training = servsim.simulate(scenario, replications=1, seed=1).replications.iloc[0]
    without = servsim.simulate(untrained, replications=1, seed=1).replications.iloc[0]
    assert with_training["training_cost"] == pytest.approx(4 * 8 * 2 * 15.0)
    assert with_training["staff_cost"] == pytest.approx(without["staff_cost"])  # paid either way
    assert with_training["staff_hours[agents]"] == pytest.approx(
        without["staff_hours[agents]"] - 4 * 8 * 2
    )
    assert with_training["training_hours[agents]"] == pytest.approx(4 * 8 * 2)


def test_daily_table_shows_the_dip_and_the_gain_of_the_shipped_training_plan() -> None:
    from servsim.metrics import daily_metrics

    scenario = servsim.load_scenario(ROOT / "scenarios" / "training_plan.yaml")
    scenario = scenario.with_overrides({"horizon.days": 14})
    result = servsim.simulate(scenario, replications=3, seed=2)
    daily = daily_metrics(result.records, scenario)
    agents = daily[daily["pool"] == "agents"].set_index("day")
    week_before = agents.loc[1:7]
    training_days = agents.loc[8:10]
    after = agents.loc[11:14]
    assert (training_days["training_hours"] > 0).all()
    assert (week_before["training_hours"] == 0).all()
    assert (training_days["staff_hours"] < week_before["staff_hours"].min()).all()
    assert training_days["wait_mean"].mean() > 1.5 * week_before["wait_mean"].mean()
    assert after["proficiency"].min() > week_before["proficiency"].max()
    assert after["handle_time_mean"].mean() < week_before["handle_time_mean"].mean()


def test_the_day_view_and_figure_show_a_training_plan_pool_by_pool(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The per-day effect of training is read from the CLI, each pool on its own axes."""
    from servsim.cli import main
    from servsim.metrics import daily_metrics
    from servsim.plots import daily_profile

    path = Path(__file__).resolve().parents[1] / "scenarios" / "training_plan.yaml"
    assert main(["run", str(path), "-r", "1", "--by", "day", "--no-save", "-q"]) == 0
    out = capsys.readouterr().out
    agents = out[out.index("agents: the day view") :]
    assert " train " in agents.splitlines()[2]  # the column, named in the header
    rows = {line.split()[0]: line.split() for line in agents.splitlines()[4:39] if line.strip()}
    train = agents.splitlines()[2].split().index("train")
    trained = {day for day, cells in rows.items() if cells[train + 1] != "0h"}  # day, weekday
    assert trained == {"8", "9", "10", "11"} or trained == {"8", "9", "10"}
    scenario = servsim.load_scenario(path)
    result = servsim.simulate(scenario, replications=1, seed=1)
    figure = daily_profile(daily_metrics(result.records, result.scenario))
    pools = [p.name for _, p in result.scenario.staff.pools()]
    assert len(figure.axes) == 3 * len(pools)  # proficiency moves: its row is drawn
    titles = {axes.get_title() for axes in figure.axes}
    assert set(pools) <= titles
    # without training proficiency never moves: its flat row is left out
    untrained = servsim.simulate(scenario.with_overrides({"training.programmes": []}), 1, 1)
    flat = daily_profile(daily_metrics(untrained.records, untrained.scenario))
    assert len(flat.axes) == 2 * len(pools)
    # each pool's waits on its own scale: the y limits differ between the pools
    limits = [axes.get_ylim() for axes in figure.axes[-len(pools) :]]
    assert len(set(limits)) == len(pools)
