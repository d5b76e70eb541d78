"""``workers=auto`` runs in this process unless the work outweighs starting a process pool."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import servsim
from servsim.executors import POOL_START_SECONDS, SECONDS_PER_CUSTOMER, auto_workers
from servsim.experiment import expected_customers
from servsim.scenario import resolve_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_auto_picks_serial_for_small_work_and_every_core_for_large() -> None:
    break_even = 2 * POOL_START_SECONDS / SECONDS_PER_CUSTOMER
    assert auto_workers(break_even * 0.9, cores=4) == 1
    assert auto_workers(break_even * 1.1, cores=4) == 4
    assert auto_workers(break_even * 100, cores=1) == 1


def test_auto_gives_the_serial_numbers() -> None:
    scenario = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_textbook.yaml")
    short = resolve_scenario(scenario).with_overrides({"horizon.days": 0.25})
    assert auto_workers(expected_customers(short) * 3) == 1  # a few hundred customers
    auto = servsim.simulate(short, replications=3, seed=4, workers="auto")
    serial = servsim.simulate(short, replications=3, seed=4, workers=1)
    pd.testing.assert_frame_equal(auto.replications, serial.replications)


def test_a_small_sweep_on_auto_runs_in_this_process(tmp_path: Path) -> None:
    from servsim.sweep import expected_work, load_sweep

    scenario = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"
    sweep_file = tmp_path / "tiny_sweep.yaml"
    sweep_file.write_text(
        f"base: {scenario}\nreplications: 2\nseed: 1\n"
        "parameters:\n  staff.front.agents.headcount: [7, 8]\n  horizon.days: [0.1]\n",
        encoding="utf-8",
    )
    spec, base = load_sweep(sweep_file)
    # estimated from the base scenario (3 days of 100 calls an hour): 2 points x 2 replications
    assert expected_work(spec, base) == pytest.approx(2 * 2 * 100 * 72, rel=1e-9)
    assert auto_workers(expected_work(spec, base)) == 1
    auto = servsim.sweep(sweep_file, workers="auto").table
    serial = servsim.sweep(sweep_file, workers=1).table
    pd.testing.assert_frame_equal(auto, serial)
