"""records: full | summary, and records handed on in batches while the model runs.

A replication counts its records batch by batch (customers who are done), so that with
``records: summary`` it holds nothing per customer. These tests check that the batches change
no number: many small batches give what one table of every record gives; summary gives every
mean and share of full exactly and its percentiles within one histogram bin; the interval view
and the importance-performance analysis are the same from sums as from records.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servsim.model.journey as journey
import servsim.model.system as system
from servsim import load_scenario, simulate
from servsim.analysis import importance_performance
from servsim.catalogue import lookup
from servsim.intervals import day_table, interval_table
from servsim.metrics import replication_metrics
from servsim.model import simulate_replication
from servsim.records import RecordBatch, Recorder
from servsim.replication import run_replication
from servsim.satisfaction import customer_satisfaction, moment_table, satisfaction_metrics
from servsim.scenario import ResolvedScenario, resolve_scenario
from servsim.streams import RandomStreams
from servsim.tally import HISTOGRAM_GROWTH, Histogram

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = [("helpdesk", 2), ("bank_account_low", 5), ("bank_account_high", 5), ("training_plan", 8)]
"""Shipped scenarios and a horizon (days) long enough for several batches of 40 arrivals."""


def shipped(name: str, records: str = "full", days: float | None = None) -> ResolvedScenario:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml").with_overrides({"records": records})
    if days is not None:
        scenario = scenario.with_overrides({"horizon.days": days})
    return resolve_scenario(scenario)


def is_percentile(name: str) -> bool:
    column = lookup(name)
    return column is not None and column.percentile is not None


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand records on every 40 arrivals, so a short run makes dozens of batches."""
    monkeypatch.setattr(journey, "COMPACT_EVERY", 40)


@pytest.mark.parametrize(("name", "days"), SHIPPED)
def test_many_batches_give_what_one_table_of_every_record_gives(
    name: str, days: float, small_batches: None
) -> None:
    scenario = shipped(name, days=days)
    tables = simulate_replication(scenario, 3, 0)  # no consumer: every record, one table
    streams = RandomStreams(3, 0)
    expected = replication_metrics(tables, scenario)
    moments = moment_table(tables, scenario, streams.counter("perception"))
    answers = customer_satisfaction(moments, tables, scenario, streams.counter("satisfaction"))
    expected.update(satisfaction_metrics(moments, answers, tables, scenario))

    batched = run_replication(scenario, 3, 0)
    assert len(tables.customers) > 300  # several batches at least
    for metric, value in expected.items():
        got = batched.metrics[metric]
        assert got == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), metric
    # the moments' trailing occupancy needs visits of other batches: kept, so the same
    ordered = moments.sort_values(["customer", "time"], kind="stable").reset_index(drop=True)
    np.testing.assert_allclose(
        batched.moments["occupancy"].to_numpy(), ordered["occupancy"].to_numpy(), rtol=1e-9
    )
    ipa = importance_performance(moments, answers, scenario)
    pd.testing.assert_frame_equal(
        importance_performance(batched.moments, batched.satisfaction, scenario), ipa
    )
    # the records kept under `full` are every record, whatever the batches
    for table_name, table in tables.as_dict().items():
        kept = batched.records.as_dict()[table_name]
        assert len(kept) == len(table), table_name


@pytest.mark.parametrize(("name", "days"), SHIPPED)
def test_summary_gives_every_mean_and_share_of_full_and_percentiles_within_a_bin(
    name: str, days: float, small_batches: None
) -> None:
    full = run_replication(shipped(name, "full", days=days), 5, 1)
    summary = run_replication(shipped(name, "summary", days=days), 5, 1)
    assert full.metrics.keys() == summary.metrics.keys()
    checked = 0
    for metric, value in full.metrics.items():
        got = summary.metrics[metric]
        if is_percentile(metric):
            # within one bin: 1% of the value, and what numpy's interpolation adds across one
            assert got == pytest.approx(value, rel=2 * (HISTOGRAM_GROWTH - 1), abs=1e-3)
            checked += 1
        else:
            assert same(got, value), (metric, value, got)
    assert checked >= 6
    # summary keeps no table that grows with the customers
    assert summary.records.customers.empty and summary.records.visits.empty
    assert summary.moments.empty and summary.satisfaction.empty
    # ... but the interval sums and importance-performance sums are the same
    pd.testing.assert_frame_equal(summary.intervals, full.intervals)
    pd.testing.assert_frame_equal(summary.importance, full.importance)


def test_the_interval_view_from_sums_is_the_view_from_records() -> None:
    scenario = shipped("helpdesk", days=3)
    result = simulate(scenario, replications=2, seed=4, workers=1)
    length = scenario.reporting.interval
    for view in (interval_table, day_table):
        from_sums = view(result.intervals, scenario, length)
        from_records = view(result.records, scenario, length)
        pd.testing.assert_frame_equal(from_sums, from_records, rtol=1e-9)
    # sums kept per 30 min regroup into hours; a length that is no multiple is refused
    hourly = interval_table(result.intervals, scenario, 3600.0)
    pd.testing.assert_frame_equal(
        hourly, interval_table(result.records, scenario, 3600.0), rtol=1e-9
    )
    with pytest.raises(ValueError, match="multiple"):
        interval_table(result.intervals, scenario, 2700.0)


def test_draws_made_in_blocks_give_the_same_records(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = shipped("bank_account_low", days=3)
    whole = simulate_replication(scenario, 8, 2)
    monkeypatch.setattr(system, "DRAW_BLOCK", 7)  # a block per day (at least 7 customers)
    blocked = simulate_replication(scenario, 8, 2)
    for name, table in whole.as_dict().items():
        pd.testing.assert_frame_equal(blocked.as_dict()[name], table, obj=name)


def test_a_summary_recorder_lets_go_of_what_it_handed_on(small_batches: None) -> None:
    scenario = shipped("helpdesk", "summary", days=2)
    batches: list[RecordBatch] = []
    recorder = Recorder(batches.append, keep=False)
    built = system.ServiceSystem.build(scenario, RandomStreams(1, 0), recorder)
    tables = journey.run(built)
    assert tables.customers.empty and tables.visits.empty
    assert len(batches) > 10 and batches[-1].final
    assert all(not b.final for b in batches[:-1])
    # every customer in exactly one batch, with all their visits; nothing left behind
    customers = pd.concat([b.tables.customers for b in batches])
    assert customers["customer"].is_unique
    visits = pd.concat([b.tables.visits for b in batches])
    assert set(visits["customer"]) <= set(customers["customer"])
    for batch in batches:
        mine = set(batch.tables.customers["customer"])
        assert set(batch.tables.visits["customer"]) <= mine
    assert recorder.customers == [] and recorder.visits == [] and recorder.contacts == []
    # a batch's customers are done: none of them has a later record
    for earlier, later in itertools.pairwise(batches):
        assert not set(earlier.tables.customers["customer"]) & set(later.tables.visits["customer"])
        assert later.open_since >= earlier.open_since


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(0.0), st.floats(1e-4, 1e7, allow_nan=False)), min_size=1, max_size=300
    ),
    st.sampled_from([50, 90, 95, 99, 0, 100, 37]),
)
def test_a_histogram_percentile_is_within_one_bin(values: list[float], p: int) -> None:
    array = np.asarray(values)
    histogram = Histogram()
    histogram.add(array[: len(array) // 2])
    histogram.add(array[len(array) // 2 :])  # two batches add up
    exact = float(np.percentile(array, p))
    got = histogram.percentile(p)
    # each order statistic is read as its bin's middle: off by at most half a bin (and the
    # 0.1 ms that values below the first bin's edge are read as)
    tolerance = (HISTOGRAM_GROWTH - 1) * exact + 1e-3
    assert abs(got - exact) <= tolerance


def test_summary_runs_from_the_cli_save_the_sums_and_report(tmp_path: Path) -> None:
    from servsim.cli import main
    from servsim.report import build_report

    code = main(
        [
            "run",
            str(SCENARIOS / "helpdesk.yaml"),
            "--records",
            "summary",
            "-r",
            "2",
            "-o",
            str(tmp_path),
            "-q",
        ]
    )
    assert code == 0
    (folder,) = (tmp_path / "helpdesk").iterdir()
    names = {p.name for p in folder.iterdir()}
    assert {"summary.csv", "intervals.parquet", "days.csv", "importance.parquet"} <= names
    assert not names & {"visits.parquet", "customers.parquet", "moments.parquet"}
    page = build_report(folder).read_text(encoding="utf-8")
    assert "concentrate here" in page or "keep up the good work" in page


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("replication", "customer", "contact", "time", "pool") if c in frame]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_spooled_run_saves_the_tables_a_run_in_memory_saves(
    tmp_path: Path, workers: int, small_batches: None
) -> None:
    """Records written batch by batch and joined at the end are the records kept in memory."""
    from servsim.results import RUN, load_run, recording, run_manifest, save_run

    scenario = shipped("helpdesk", days=1)
    in_memory = simulate(scenario, replications=3, seed=2, workers=1)
    manifest = run_manifest(scenario, 2, 3, ["test"])
    with recording(RUN, tmp_path, "spooled", manifest) as record:
        spool = record.folder / "spool"
        spooled = simulate(scenario, replications=3, seed=2, workers=workers, spool=spool)
        assert spooled.records.visits.empty and spooled.moments.empty  # nothing held
        assert any(spool.rglob("*.parquet"))
        save_run(record, spooled)
    assert not spool.exists() and not (record.final / "spool").exists()
    pd.testing.assert_frame_equal(spooled.summary, in_memory.summary)
    saved = load_run(record.final)
    expected = {**in_memory.records.as_dict()}
    expected["moments"], expected["satisfaction"] = in_memory.moments, in_memory.satisfaction
    for name, table in expected.items():
        got = saved.tables[name]
        assert list(got.columns) == list(table.columns), name
        pd.testing.assert_frame_equal(_sorted(got), _sorted(table), check_dtype=False, obj=name)
