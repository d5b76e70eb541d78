"""Sweeps: expansion, resume after an interruption or a change, failing points, executors that
agree, and sweep files that are refused (unreadable, too many points, a name that escapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import servsim
from servsim.cli import main
from servsim.executors import ProcessExecutor, SerialExecutor
from servsim.results import read_sweep
from servsim.sweep import (
    MAX_POINTS,
    Linspace,
    Range,
    SweepSpec,
    expand,
    run_sweep,
    sweep_points,
)

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


# --------------------------------------------------------------------------- integrity


def _write_study(folder: Path, handle_time: str, replications: int, headcounts: list[int]) -> Path:
    """A base scenario (handle time as given) and a 5-point sweep over it, in ``folder``."""
    data = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8"))
    data["horizon"] = {"days": 0.1, "warm_up": 0}
    data["service_cycle"][0]["service_time"]["mean"] = handle_time
    (folder / "base.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sweep_file = folder / "study.yaml"
    sweep_data = {
        "name": "study",
        "base": "base.yaml",
        "replications": replications,
        "seed": 4,
        "parameters": {"staff.front.agents.headcount": headcounts},
    }
    sweep_file.write_text(yaml.safe_dump(sweep_data, sort_keys=False), encoding="utf-8")
    return sweep_file


def _sweep_cli(sweep_file: Path, root: Path, *extra: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["sweep", str(sweep_file), "-o", str(root), "--workers", "1", "-q", *extra])
    return code, out.getvalue(), err.getvalue()


def test_resume_after_the_definition_changed_reruns_every_changed_point(tmp_path: Path) -> None:
    """Issue 8's reproducer: the base's handle time and the replications change (10 -> 20),
    then ``--resume``. Before, it printed '0 run, 5 resumed' and kept the old table."""
    sweep_file = _write_study(tmp_path, "180s", 10, [5, 6, 7, 8, 9])
    root = tmp_path / "results"
    assert _sweep_cli(sweep_file, root)[0] == 0
    folder = root / "sweeps" / "study"
    old = read_sweep(folder)["table"]
    assert old.groupby("point")["replication"].nunique().tolist() == [10] * 5

    _write_study(tmp_path, "240s", 20, [5, 6, 7, 8, 9])
    code, out, _ = _sweep_cli(sweep_file, root, "--resume")
    assert code == 0
    assert "points: 5 run, 0 resumed, 0 failed, of 5" in out
    assert "base_scenario: content changed" in out and "replications: 10 -> 20" in out
    table = read_sweep(folder)["table"]
    assert table.groupby("point")["replication"].nunique().tolist() == [20] * 5
    # exactly the table of the new definition run from scratch: no row of the old one
    fresh_root = tmp_path / "fresh"
    assert _sweep_cli(sweep_file, fresh_root)[0] == 0
    pd.testing.assert_frame_equal(table, read_sweep(fresh_root / "sweeps" / "study")["table"])
    # longer services: agents busier at every point
    busier = table.groupby("point")["occupancy[agents]"].mean()
    before = old.groupby("point")["occupancy[agents]"].mean()
    assert (busier > before).all()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replications"] == 20 and manifest["status"] == "complete"
    saved = yaml.safe_load((folder / "sweep.yaml").read_text(encoding="utf-8"))
    assert saved["replications"] == 20
    assert len(list((folder / "points").iterdir())) == 5  # the old points are gone


def test_resume_after_one_value_changed_reruns_only_that_point(tmp_path: Path) -> None:
    sweep_file = _write_study(tmp_path, "180s", 3, [5, 6, 7, 8, 9])
    root = tmp_path / "results"
    assert _sweep_cli(sweep_file, root)[0] == 0
    _write_study(tmp_path, "180s", 3, [5, 6, 7, 8, 10])
    code, out, _ = _sweep_cli(sweep_file, root, "--resume")
    assert code == 0 and "points: 1 run, 4 resumed, 0 failed, of 5" in out
    table = read_sweep(root / "sweeps" / "study")["table"]
    assert sorted(table["staff.front.agents.headcount"].unique()) == [5, 6, 7, 8, 10]
    fresh = tmp_path / "fresh"
    assert _sweep_cli(sweep_file, fresh)[0] == 0
    pd.testing.assert_frame_equal(table, read_sweep(fresh / "sweeps" / "study")["table"])


def test_point_keys_cover_base_content_seed_replications_and_version(
    base: servsim.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def keys(the_spec: SweepSpec, the_base: servsim.Scenario) -> list[str]:
        return [p.key for p in sweep_points(the_spec, the_base)]

    reference = keys(spec(), base)
    assert len(set(reference)) == 6  # every point its own key
    assert keys(spec(), base) == reference  # and the same each time
    longer = base.with_overrides({"service_cycle.call.service_time.mean": 200})
    assert set(keys(spec(), longer)).isdisjoint(reference)
    assert set(keys(spec(seed=4), base)).isdisjoint(reference)
    assert set(keys(spec(replications=3), base)).isdisjoint(reference)
    changed_value = keys(
        spec(parameters={**spec().parameters, "staff.front.agents.headcount": [6, 7, 9]}), base
    )
    assert [a == b for a, b in zip(changed_value, reference, strict=True)] == [True] * 4 + [
        False
    ] * 2
    monkeypatch.setattr("servsim.version.__version__", "0.0.0-other")
    assert set(keys(spec(), base)).isdisjoint(reference)


# --------------------------------------------------------------------------- bad sweep files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not a text file"),
        (None, "is a folder"),
    ],
    ids=["binary", "folder"],
)
def test_unreadable_sweep_files_exit_2_without_traceback(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "sweep.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    code, out, err = _sweep_cli(path, tmp_path / "results")
    assert code == 2
    assert message in err and str(path) in err and "Traceback" not in out + err
    assert not (tmp_path / "results").exists()


def test_a_huge_range_is_refused_before_any_value_is_made(tmp_path: Path) -> None:
    import time

    sweep_file = _write_study(tmp_path, "180s", 2, [5])
    data = yaml.safe_load(sweep_file.read_text(encoding="utf-8"))
    data["parameters"] = {"staff.front.agents.headcount": {"start": 1, "stop": 1e9, "step": 1}}
    sweep_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    started = time.perf_counter()
    code, _, err = _sweep_cli(sweep_file, tmp_path / "results")
    assert time.perf_counter() - started < 5  # was 3.3 GB in 20 s
    assert code == 2 and "1,000,000,000 values" in err and "at most 100,000" in err


def test_grids_and_ranges_are_capped(tmp_path: Path) -> None:
    assert Range(start=1, stop=MAX_POINTS, step=1).count() == MAX_POINTS
    with pytest.raises(ValueError, match="at most"):
        Range(start=1, stop=MAX_POINTS + 1, step=1)
    with pytest.raises(ValueError, match="finite"):
        Range(start=0, stop=float("inf"), step=1)
    hundred = list(range(100))
    with pytest.raises(ValueError, match=r"1,000,000 points \(100 x 100 x 100\)"):
        spec(parameters={"a.b": hundred, "c.d": hundred, "e.f": hundred})
    assert spec(mode="zip", parameters={"a.b": hundred, "c.d": hundred}).point_count() == 100


@pytest.mark.parametrize("name", ["..", ".", "../escape", "a/b", "a\\b", ".hidden", ""])
def test_a_sweep_name_cannot_leave_results_sweeps(tmp_path: Path, name: str) -> None:
    sweep_file = _write_study(tmp_path, "180s", 2, [5])
    data = yaml.safe_load(sweep_file.read_text(encoding="utf-8"))
    data["name"] = name
    sweep_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = _sweep_cli(sweep_file, tmp_path / "results")
    assert code == 2 and "name" in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()
