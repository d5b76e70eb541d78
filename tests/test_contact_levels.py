"""Contact levels that show the trade-offs the theory predicts (docs/model.md §2, §8.8-8.9).

The shipped bank_account trio is one service (same demand, request mix, customers'
expectations and patience, service-level goal) designed at three contact levels, each staffed
to meet the goal. These tests check that nothing else differs, and that the trade-offs come out
of the mechanisms, in the direction the theory states, with paired confidence intervals (common
random numbers) over three seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.compare import compare, input_differences
from servsim.scenario import resolve_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LEVELS = ("high", "medium", "low")
CONTACT_DESIGN = (
    "name",
    "description",
    "contact_level",
    "staff",
    "service_cycle",
    "status_inquiry",
    "variability.contact_ratio",
)
"""What a contact level is designed with: who serves, the cycle the customer lives, status
inquiries, and the contact ratio the level presets. Everything else is the service itself."""


def trio() -> list[servsim.Scenario]:
    return [servsim.load_scenario(SCENARIOS / f"bank_account_{level}.yaml") for level in LEVELS]


def test_the_bank_account_trio_differs_only_in_the_contact_design() -> None:
    resolved = [resolve_scenario(s) for s in trio()]
    for other in resolved[1:]:
        differing = [path for path, _, _ in input_differences(resolved[0], other)]
        assert differing, "the levels must differ in their design"
        outside = [p for p in differing if not p.startswith(CONTACT_DESIGN)]
        assert outside == [], f"{other.name} differs from {resolved[0].name} in {outside}"
        assert other.service_level == resolved[0].service_level
        assert other.segments == resolved[0].segments and other.arrivals == resolved[0].arrivals


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_of_the_trio_has_the_least_staff_that_meets_the_goal(level: str) -> None:
    """No level looks cheap by missing the goal, nor dear by overstaffing: the search that
    ``--derive`` uses, started from the file, meets the goal and finds nothing to take away."""
    from servsim.derive import staff_to_goal

    scenario = servsim.load_scenario(SCENARIOS / f"bank_account_{level}.yaml")
    found = staff_to_goal(scenario, replications=4, seed=scenario.seed)
    assert found.met and found.steps == (), found


@pytest.fixture(scope="module")
def paired() -> pd.DataFrame:
    """Paired differences to high contact (medium - high, low - high), three seeds."""
    frames = []
    for seed in (3, 17, 2026):
        comparison = compare(trio(), replications=5, seed=seed)
        frames.append(comparison.differences.assign(seed=seed))
        goal = comparison.summary[comparison.summary["metric"] == "goal_met"]
        assert (goal["mean"] >= 0.6).all(), goal  # each level staffed to meet the goal
    return pd.concat(frames, ignore_index=True)


def _difference(paired: pd.DataFrame, level: str, metric: str) -> pd.DataFrame:
    rows = paired[(paired["scenario"] == f"bank_account_{level}") & (paired["metric"] == metric)]
    assert len(rows) == 3, (level, metric)
    return rows


@pytest.mark.parametrize(
    ("metric", "direction", "levels"),
    [
        ("cost_per_resolved_issue", "lower", ("medium", "low")),  # §8.8: high > medium > low
        ("personal_score", "lower", ("medium", "low")),  # §8.8: personal treatment needs contact
        ("potential_efficiency", "higher", ("medium", "low")),  # Chase: decoupling buys it
        ("csat_sd", "lower", ("low",)),  # §8.9: satisfaction more even at low contact ...
        ("stellar_moments", "lower", ("low",)),  # ... with fewer extremes ...
        ("bitter_moments", "lower", ("low",)),  # ... of both kinds (than at high contact)
    ],
)
def test_less_contact_moves_each_trade_off_the_way_the_theory_says(
    paired: pd.DataFrame, metric: str, direction: str, levels: tuple[str, ...]
) -> None:
    for level in levels:
        rows = _difference(paired, level, metric)
        if direction == "lower":  # level - high: the whole paired CI below zero
            assert (rows["ci_high"] < 0).all(), rows[["seed", "difference", "ci_low", "ci_high"]]
        else:
            assert (rows["ci_low"] > 0).all(), rows[["seed", "difference", "ci_low", "ci_high"]]
    if "medium" in levels:  # and medium sits between high and low
        medium = _difference(paired, "medium", metric)["difference"].to_numpy()
        low = _difference(paired, "low", metric)["difference"].to_numpy()
        assert ((low - medium) * (1 if direction == "higher" else -1) > 0).all()


@pytest.mark.parametrize(
    "seed",
    [3, pytest.param(17, marks=pytest.mark.slow), pytest.param(2026, marks=pytest.mark.slow)],
)
def test_front_line_staff_and_training_move_csat_more_at_high_contact(seed: int) -> None:
    """§8.10: where customers live the front line, what it gives them shows in CSAT; where
    they are away, a slow back office shows as repeated questions (status inquiries).

    At high contact the customer waits for the back office in person, already being served
    (an in-process wait: felt, but not walked out of), so a slower back office costs CSAT
    there, not repeated questions.
    """
    from servsim.derive import sensitivities

    files = [servsim.load_scenario(SCENARIOS / f"bank_account_{lvl}.yaml") for lvl in LEVELS]
    effects = sensitivities([files[0], files[2]], replications=5, seed=seed)
    effects = effects.set_index(["contact_level", "change"])
    for change in ("one_more_agent", "trained_front_line"):
        high, low = effects.loc[("high", change)], effects.loc[("low", change)]
        assert high["metric"] == "csat_mean"
        assert high["ci_low"] > 0, (change, high)  # a paired gain at high contact ...
        assert high["ci_low"] > low["ci_high"], (change, high, low)  # ... beyond low's
    # §8.10, the other side: a slower back office shows most where the customer is away
    high, low = (effects.loc[(level, "slower_back_office")] for level in ("high", "low"))
    assert high["metric"] == "repeated_questions_share"
    assert low["ci_low"] > 0, low  # status inquiries: a paired rise at low contact ...
    assert low["ci_low"] > high["ci_high"], (high, low)  # ... beyond high's


# --------------------------------------------------------------------------- --derive


def test_derived_levels_differ_from_the_base_only_in_what_the_contact_level_decides() -> None:
    from servsim.derive import derive_levels

    base = servsim.load_scenario(SCENARIOS / "bank_account_medium.yaml")
    derived = [resolve_scenario(s) for s in derive_levels(base)]
    assert [s.contact_level for s in derived] == ["high", "medium", "low"]
    decided_by_level = (
        "name",
        "contact_level",
        "variability.contact_ratio",
        "status_inquiry",
        "service_cycle",  # presence, moments of truth, service-time CV by presence
    )
    for other in derived[1:]:
        differing = [path for path, _, _ in input_differences(derived[0], other)]
        outside = [p for p in differing if not p.startswith(decided_by_level)]
        assert outside == [], outside
        for path in differing:
            if path.startswith("service_cycle"):
                leaf = path.rsplit(".", 1)[-1]
                decided = {"customer_present", "moment_of_truth", "first_response", "cv", "channel"}
                assert leaf in decided, path


@pytest.mark.parametrize("start", [5, 11])
def test_the_staffing_search_finds_the_erlang_c_headcount(start: int) -> None:
    """M/M/c, 100 calls an hour of 180 s, 80% within 20 s: Erlang C says 8 agents (7: 74%)."""
    from servsim.derive import staff_to_goal
    from servsim.theory import erlang_c

    assert (
        erlang_c(100 / 3600, 180, 7).service_level(20)
        < 0.8
        < erlang_c(100 / 3600, 180, 8).service_level(20)
    )
    scenario = servsim.load_scenario(SCENARIOS / "validation" / "mmc_textbook.yaml")
    scenario = scenario.with_overrides({"staff.front.agents.headcount": start})
    found = staff_to_goal(scenario, replications=4, seed=5)
    assert found.met and found.headcounts == {"agents": (8,)}
    assert found.service_level >= 0.8
    # from below it only added, from above it only removed
    assert set(found.steps) == ({"+agents"} if start < 8 else {"-agents"})


def test_the_staffing_search_holds_every_queue_to_the_goal() -> None:
    """A small queue that misses the goal is not hidden by a big one that meets it.

    The textbook M/M/c line (8 agents: 88% within 20 s) with a second step few customers take
    (one in twenty, escalated to an expert on the same call). Overall the service level is above 80%
    at the start, the experts' well below: the search adds experts until their own queue
    meets the goal too, and leaves the agents at Erlang C's eight.
    """
    import yaml

    from servsim.derive import staff_to_goal

    data = yaml.safe_load((SCENARIOS / "validation" / "mmc_textbook.yaml").read_text())
    data["staff"]["front"] = [
        {"name": "agents", "headcount": 8},
        {"name": "experts", "headcount": 1},
    ]
    data["service_cycle"][0]["resolution"] = 0.95
    data["service_cycle"].append(
        {
            "name": "expert",
            "served_by": "experts",
            "service_time": {"kind": "exponential", "mean": "6min"},
            "resolution": 1.0,
        }
    )
    scenario = servsim.validate_scenario(data)
    start = servsim.simulate(scenario, replications=4, seed=5).summary["mean"]
    assert start["service_level_offered"] >= 0.8 > start["pool_service_level[experts]"]
    found = staff_to_goal(scenario, replications=4, seed=5)
    assert found.met and found.headcounts["agents"] == (8,)
    assert found.headcounts["experts"][0] > 1 and "+experts" in found.steps
    end = servsim.simulate(found.scenario, replications=4, seed=5).summary["mean"]
    assert end["pool_service_level[experts]"] >= 0.8 and end["pool_service_level[agents]"] >= 0.8
    fewer = found.scenario.with_overrides(
        {"staff.front.experts.headcount": found.headcounts["experts"][0] - 1}
    )
    below = servsim.simulate(fewer, replications=4, seed=5).summary["mean"]
    assert below["pool_service_level[experts]"] < 0.8  # and it is the least that does


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 17, 2026])
def test_the_trade_offs_hold_on_a_base_they_were_not_tuned_on(seed: int) -> None:
    """§8.8-8.9 on the helpdesk derived at three levels and staffed by the search."""
    from servsim.derive import derive_levels, staff_to_goal

    base = servsim.load_scenario(SCENARIOS / "helpdesk.yaml")
    staffed = [staff_to_goal(s, 4, seed).scenario for s in derive_levels(base)]
    differences = compare(staffed, replications=5, seed=seed).differences
    for metric, sign in (
        ("cost_per_resolved_issue", -1),
        ("personal_score", -1),
        ("potential_efficiency", +1),
        ("csat_sd", -1),
        ("stellar_moments", -1),
        ("bitter_moments", -1),
    ):
        rows = differences[differences["metric"] == metric]
        assert len(rows) == 2
        if sign < 0:
            assert (rows["ci_high"] < 0).all(), (metric, rows)
        else:
            assert (rows["ci_low"] > 0).all(), (metric, rows)
    # §8.8: and low below medium, though the same staff serve the same steps (the channel)
    lower = compare(staffed[1:], replications=5, seed=seed).differences
    personal = lower[lower["metric"] == "personal_score"]
    assert (personal["ci_high"] < 0).all(), personal


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 17, 2026])
def test_where_a_change_pays_off_on_a_base_it_was_not_tuned_on(seed: int) -> None:
    """§8.10 on the helpdesk derived at high and low contact and staffed by the search.

    Each level's effect is paired with its own base, replication by replication, and the two
    levels share their customers (common random numbers), so the gap between the effects is
    itself paired: its CI says whether the change moves the metric more at one level.
    Training the front line gains more CSAT face to face (assurance and empathy weigh more and
    carry whole in person, section 2b); a slower back office raises repeated questions more
    where the customer is away and asks for news.
    """
    from servsim.derive import derive_levels, sensitivity_gaps, sensitivity_variants, staff_to_goal

    high, _, low = derive_levels(servsim.load_scenario(SCENARIOS / "helpdesk.yaml"))
    staffed = [staff_to_goal(level, 4, seed).scenario for level in (high, low)]
    gaps = sensitivity_gaps(staffed, replications=8, seed=seed).set_index("change")
    assert (gaps["level"] == "low").all() and (gaps["reference"] == "high").all()
    assert gaps.loc["trained_front_line", "ci_high"] < 0, gaps  # low gains less than high
    assert gaps.loc["slower_back_office", "ci_low"] > 0, gaps  # low's rise beyond high's
    slower = sensitivity_variants(staffed[1])["slower_back_office"]
    rise = compare([staffed[1], slower], replications=8, seed=seed).differences
    rise = rise[rise["metric"] == "repeated_questions_share"].iloc[0]
    assert rise["ci_low"] > 0, rise  # and a rise indeed at low contact


# --------------------------------------------------------------------------- status inquiries


def test_customers_deadlines_for_news_spread_around_the_expectation() -> None:
    """deadline_cv: mean 1 times the expectation, the CV asked for, one draw per customer."""
    from servsim.model.system import InquiryRuntime
    from servsim.streams import CounterNoise

    for cv in (0.5, 1.0, 2.0):
        runtime = InquiryRuntime(
            routes=None,  # type: ignore[arg-type]  # only the deadline is drawn here
            interval=1.0,
            max_inquiries=1,
            deadlines=CounterNoise(7),
            deadline_cv=cv,
        )
        factors = np.array([runtime.deadline_factor(i) for i in range(20_000)])
        assert factors.mean() == pytest.approx(1.0, abs=4 * cv / np.sqrt(len(factors)))
        assert factors.std() / factors.mean() == pytest.approx(cv, rel=0.08)
        assert runtime.deadline_factor(123) == runtime.deadline_factor(123)
    fixed = InquiryRuntime(None, 1.0, 1, CounterNoise(7), 0.0)  # type: ignore[arg-type]
    assert {fixed.deadline_factor(i) for i in range(100)} == {1.0}


@pytest.mark.parametrize("seed", [3, pytest.param(17, marks=pytest.mark.slow)])
def test_a_slower_back_office_shows_online_as_repeated_questions(seed: int) -> None:
    """§2b, low contact's own risk: back-office speed shows up as status inquiries.

    With deadlines spread around the expectation the effect is there (paired CI above zero);
    with every customer asking exactly at the expectation (deadline_cv 0) it is smaller,
    since a back office that finishes within a day then causes no inquiry at all.
    """
    from servsim.derive import sensitivity_variants

    low = servsim.load_scenario(SCENARIOS / "bank_account_low.yaml")
    effects = []
    for cv in (1.0, 0.0):
        base = low.with_overrides({"status_inquiry.deadline_cv": cv})
        slower = sensitivity_variants(base)["slower_back_office"]
        differences = compare([base, slower], replications=5, seed=seed).differences
        row = differences[differences["metric"] == "repeated_questions_share"].iloc[0]
        effects.append(row)
    spread, threshold = effects
    assert spread["ci_low"] > 0, spread
    assert spread["difference"] > threshold["difference"], (spread, threshold)


def test_a_level_against_itself_has_no_gap() -> None:
    """Common random numbers: the same scenario twice gives the same effects replication by
    replication, so every gap is exactly zero; a change that differs would not be."""
    from servsim.derive import sensitivity_gaps

    scenario = servsim.load_scenario(SCENARIOS / "validation" / "mmc_textbook.yaml")
    scenario = scenario.with_overrides({"horizon.days": 1})
    gaps = sensitivity_gaps([scenario, scenario], replications=3, seed=4)
    assert set(gaps["change"]) == {"one_more_agent", "trained_front_line"}  # no back office
    assert (gaps[["gap", "ci_low", "ci_high"]] == 0.0).all().all(), gaps
    busier = scenario.with_overrides({"arrivals.per_hour": 120})
    gaps = sensitivity_gaps([scenario, busier], replications=3, seed=4).set_index("change")
    # an agent more relieves a busier line more: its waits, and so its CSAT, gain more
    assert gaps.loc["one_more_agent", "gap"] > 0, gaps


GAP_ARGS = ("-r", "2", "--seeds", "3")


def test_the_gap_tool_prints_a_row_per_change(tmp_path: Path) -> None:
    """The command docs/model.md §8 gives for the open question of result 10 runs."""
    import subprocess
    import sys

    root = SCENARIOS.parent
    done = subprocess.run(
        [sys.executable, "tools/sensitivity_gaps.py", "scenarios/helpdesk.yaml", *GAP_ARGS],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert [row[1] for row in rows] == [
        "one_more_agent",
        "trained_front_line",
        "slower_back_office",
    ]
    for row in rows:  # seed, change, gap, [low, .., high], (metric)
        low, high = float(row[3].lstrip("[")), float(row[5].rstrip("]"))
        assert low <= float(row[2]) <= high, row
