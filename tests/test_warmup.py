"""Warm-up advice: none for a service that empties every day, and no unreliable cut unflagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import servsim
from servsim.warmup import (
    SECONDS_PER_DAY,
    WarmupSuggestion,
    empties_every_day,
    mser,
    near_search_limit,
    suggest_warmup,
)

ROOT = Path(__file__).resolve().parents[1]
DAY = SECONDS_PER_DAY


def test_a_service_open_by_day_empties_every_day() -> None:
    queued = np.array([9 * 3600.0, 10 * 3600, DAY + 9 * 3600, 2 * DAY + 15 * 3600])
    ended = queued + 600
    assert empties_every_day(queued, ended, days=3)


def test_a_visit_spanning_the_night_leaves_that_day_without_a_quiet_spell() -> None:
    queued = np.array([9 * 3600.0, 20 * 3600, DAY + 9 * 3600])
    ended = np.array([9.5 * 3600, DAY + 23.5 * 3600, DAY + 23.9 * 3600])  # day 2 never quiet
    assert not empties_every_day(queued, ended, days=2)


def test_short_idle_gaps_are_not_a_quiet_spell() -> None:
    queued = np.arange(0.0, 2 * DAY, 1800.0)  # a visit every 30 min, each 25 min long
    assert not empties_every_day(queued, queued + 1500, days=2)


@given(st.lists(st.floats(0, 3 * DAY), min_size=1, max_size=40), st.floats(60, 4000))
def test_more_visits_never_make_a_day_quieter(starts: list[float], length: float) -> None:
    queued = np.array(sorted(starts))
    ended = queued + length
    extra_q = np.append(queued, DAY * 1.5)
    extra_e = np.append(ended, DAY * 1.5 + 7200)
    if not empties_every_day(queued, ended, 3):
        assert not empties_every_day(extra_q, extra_e, 3)


def test_the_branch_needs_no_warm_up_and_says_why() -> None:
    scenario = servsim.load_scenario(ROOT / "scenarios" / "bank_account_high.yaml")
    suggestion = suggest_warmup(scenario.with_overrides({"horizon.days": 4}), replications=2)
    assert suggestion.empties_daily and suggestion.warm_up == 0.0
    assert "no warm-up needed" in suggestion.describe()


def test_a_round_the_clock_queue_still_gets_mser() -> None:
    scenario = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_heavy.yaml")
    suggestion = suggest_warmup(scenario.with_overrides({"horizon.days": 2}), replications=2)
    assert not suggestion.empties_daily
    assert "suggested warm-up" in suggestion.describe()


def test_a_cut_at_the_end_of_the_search_range_is_called_unreliable() -> None:
    drifting = np.linspace(100.0, 0.0, 1000)  # never settles: MSER cuts as far as it may
    deleted = mser(drifting)
    assert near_search_limit(deleted, drifting.size)
    text = WarmupSuggestion(3600.0, deleted, drifting.size, 3, unreliable=True).describe()
    assert "Unreliable" in text
    settled = np.concatenate((np.linspace(50.0, 5.0, 50), np.full(950, 5.0)))
    assert not near_search_limit(mser(settled), settled.size)
