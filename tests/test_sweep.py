"""Sweeps: expansion, resume after an interruption, failing points, executors that agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import servsim
from servsim.executors import ProcessExecutor, SerialExecutor
from servsim.sweep import Linspace, Range, SweepSpec, expand, run_sweep

ROOT = Path(__file__).parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


@pytest.fixture(scope="module")
def base() -> servsim.Scenario:
    return servsim.load_scenario(TEXTBOOK).with_overrides(
        {"horizon.days": 0.25, "horizon.warm_up": 0}
    )


def spec(**changes: object) -> SweepSpec:
    data: dict[str, object] = {
        "name": "staffing",
        "base": str(TEXTBOOK),
        "replications": 2,
        "seed": 3,
        "parameters": {
            "staff.front.agents.headcount": [6, 7, 8],
            "service_cycle.call.service_time.mean": [150, 180],
        },
    }
    data.update(changes)
    return SweepSpec.model_validate(data)


def test_grid_and_zip_expansion() -> None:
    grid = expand(spec())
    assert len(grid) == 6
    assert grid[0].overrides == {
        "staff.front.agents.headcount": 6,
        "service_cycle.call.service_time.mean": 150,
    }
    assert grid[1].overrides["service_cycle.call.service_time.mean"] == 180  # last varies fastest
    zipped = expand(spec(mode="zip", parameters={"a.b": [1, 2], "c.d": [3, 4]}))
    assert [p.overrides for p in zipped] == [{"a.b": 1, "c.d": 3}, {"a.b": 2, "c.d": 4}]
    with pytest.raises(ValueError, match="equal length"):
        spec(mode="zip", parameters={"a.b": [1, 2], "c.d": [3]})


def test_ranges() -> None:
    assert Range(start=2, stop=6, step=2).values() == [2, 4, 6]
    assert Range(start=0.5, stop=1.0, step=0.25).values() == [0.5, 0.75, 1.0]
    assert Linspace(start=0, stop=1, num=3).values() == [0.0, 0.5, 1.0]


def test_sweep_table_is_tidy_and_uses_common_random_numbers(base: servsim.Scenario) -> None:
    result = run_sweep(spec(), base)
    table = result.table
    assert len(table) == 6 * 2
    assert list(table.columns[:4]) == [
        "point",
        "replication",
        "staff.front.agents.headcount",
        "service_cycle.call.service_time.mean",
    ]
    # the same seed list at every point: more agents never wait longer, replication by replication
    waits = table.pivot_table(
        index=["service_cycle.call.service_time.mean", "replication"],
        columns="staff.front.agents.headcount",
        values="wait_mean[agents]",
    )
    assert (waits[7] <= waits[6] + 1e-9).all() and (waits[8] <= waits[7] + 1e-9).all()
    summary = result.summary
    assert set(summary["point"]) == set(range(6))
    row = summary[(summary["point"] == 0) & (summary["metric"] == "wait_mean[agents]")].iloc[0]
    assert row["mean"] == pytest.approx(table[table["point"] == 0]["wait_mean[agents]"].mean())


def test_interrupted_sweep_resumes_to_the_same_table(
    base: servsim.Scenario, tmp_path: Path
) -> None:
    full = run_sweep(spec(), base, folder=tmp_path / "full")

    class Interrupt(Exception):
        pass

    def stop_after_three(done: int, total: int) -> None:
        if done >= 3:
            raise Interrupt

    folder = tmp_path / "interrupted"
    with pytest.raises(Interrupt):
        run_sweep(spec(), base, folder=folder, progress=stop_after_three)
    finished = sorted(p.name for p in (folder / "points").iterdir())
    assert len(finished) == 3 and not any(name.startswith(".") for name in finished)
    with pytest.raises(FileExistsError, match="resume"):
        run_sweep(spec(), base, folder=folder)
    resumed = run_sweep(spec(), base, folder=folder, resume=True)
    assert resumed.skipped == 3
    pd.testing.assert_frame_equal(resumed.table, full.table)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "table.parquet"), full.table)


def test_a_failing_point_is_reported_and_the_rest_complete(base: servsim.Scenario) -> None:
    result = run_sweep(spec(parameters={"staff.front.agents.headcount": [7, -1, 8]}), base)
    assert list(result.failures["point"]) == [1]
    assert "headcount" in result.failures["error"].iloc[0]
    assert sorted(result.table["point"].unique()) == [0, 2]


def test_serial_process_pool_and_dask_give_identical_tables(base: servsim.Scenario) -> None:
    serial = run_sweep(spec(), base, SerialExecutor()).table
    with ProcessExecutor(2) as pool:
        parallel = run_sweep(spec(), base, pool).table
    pd.testing.assert_frame_equal(serial, parallel)

    distributed = pytest.importorskip("distributed")
    from servsim.executors import DaskExecutor

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as dask,
    ):
        on_dask = run_sweep(spec(), base, dask).table
    pd.testing.assert_frame_equal(serial, on_dask)
