"""The result-folder layer: manifests, atomic writes, failed attempts, stale partial folders."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import servsim
from servsim import results
from servsim.results import (
    RESOLVED_SCENARIO,
    RUN,
    FailedResultFolder,
    NotAResultFolder,
    ResultsWriteError,
    clean_stale_partials,
    content_hash,
    load_run,
    read_run,
    recording,
    run_manifest,
    scenario_hash,
    start_run,
    write_atomic,
    write_run,
)
from servsim.scenario import resolve_scenario

ROOT = Path(__file__).parents[1]
TEXTBOOK = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"


@pytest.fixture(scope="module")
def scenario() -> servsim.Scenario:
    return servsim.load_scenario(TEXTBOOK).with_overrides(
        {"horizon.days": 0.1, "horizon.warm_up": 0, "name": "tiny"}
    )


@pytest.fixture(scope="module")
def result(scenario: servsim.Scenario) -> servsim.SimulationResult:
    return servsim.simulate(scenario, replications=2, seed=3)


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_manifest_says_what_produced_it(
    result: servsim.SimulationResult, tmp_path: Path
) -> None:
    folder = write_run(result, tmp_path, command=["servsim", "run", "x.yaml"])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "run" and manifest["status"] == "complete"
    assert manifest["servsim_version"] == servsim.__version__
    assert manifest["scenario_hash"] == scenario_hash(result.scenario)
    assert manifest["seed"] == 3 and manifest["replications"] == 2
    assert manifest["command"] == ["servsim", "run", "x.yaml"]
    assert manifest["created"] <= manifest["finished"]
    assert "manifest.json" in manifest["files"] and ".writer.json" not in manifest["files"]
    # the hash is of the resolved content: the saved scenario hashes the same
    assert (
        scenario_hash(servsim.load_scenario(folder / RESOLVED_SCENARIO))
        == (manifest["scenario_hash"])
    )
    tables = read_run(folder)
    pd.testing.assert_frame_equal(tables["replications"], result.replications, check_dtype=False)
    assert RUN.newest(folder.parent) == folder


def test_content_hash_ignores_key_order_and_sees_values(scenario: servsim.Scenario) -> None:
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    other = scenario.with_overrides({"service_cycle.call.service_time.mean": 181})
    assert scenario_hash(other) != scenario_hash(scenario)


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old", encoding="utf-8")

    def half_then_fail(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(ResultsWriteError, match="No space left on device") as caught:
        write_atomic(target, half_then_fail)
    assert caught.value.path == target
    assert target.read_text(encoding="utf-8") == "old"  # the old file untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_failed_run_is_kept_marked_and_no_reader_takes_it(
    scenario: servsim.Scenario, result: servsim.SimulationResult, tmp_path: Path
) -> None:
    good = write_run(result, tmp_path)
    manifest = run_manifest(scenario, 3, 2, ["servsim", "run"])
    with (
        pytest.raises(RuntimeError, match="boom"),
        recording(RUN, tmp_path, scenario.name, manifest, run_id="99990101T000000Z-ffffff") as rec,
    ):
        start_run(rec, scenario)
        raise RuntimeError("boom in replication 1")
    failed = tmp_path / "tiny" / "99990101T000000Z-ffffff.failed"
    assert rec.folder == failed and failed.is_dir()
    saved = json.loads((failed / "manifest.json").read_text(encoding="utf-8"))
    assert saved["status"] == "failed" and saved["scenario_hash"] == scenario_hash(scenario)
    assert "boom in replication 1" in (failed / "error.txt").read_text(encoding="utf-8")
    saved_scenario = servsim.load_scenario(failed / RESOLVED_SCENARIO)
    assert resolve_scenario(saved_scenario) == resolve_scenario(scenario)
    # newer by name, but failed: the newest result is still the good one
    assert RUN.newest(tmp_path / "tiny") == good
    for read in (load_run, read_run):
        with pytest.raises(FailedResultFolder, match=r"failed run, not a result.*boom"):
            read(failed)
    assert not [p for p in (tmp_path / "tiny").iterdir() if p.name.startswith(".")]


def test_a_folder_that_is_not_a_run_is_refused_naming_what_lacks(tmp_path: Path) -> None:
    (tmp_path / "summary.csv").write_text("metric,mean\n", encoding="utf-8")
    with pytest.raises(NotAResultFolder, match=r"missing manifest.json, scenario.resolved.yaml"):
        load_run(tmp_path)


def test_stale_partials_are_removed_live_ones_kept(tmp_path: Path) -> None:
    def partial(name: str, writer: dict[str, object] | None) -> Path:
        folder = tmp_path / "tiny" / f".{name}.partial"
        folder.mkdir(parents=True)
        if writer is not None:
            (folder / ".writer.json").write_text(json.dumps(writer), encoding="utf-8")
        return folder

    host = socket.gethostname()
    dead = partial("dead", {"pid": dead_pid(), "host": host, "started": 0})
    live = partial("live", {"pid": os.getpid(), "host": host, "started": 0})
    elsewhere = partial("elsewhere", {"pid": 1, "host": f"not-{host}", "started": 0})
    orphan_new = partial("orphan-new", None)
    orphan_old = partial("orphan-old", None)
    old_file = tmp_path / "sweeps" / "s" / "points" / ".000001-abc.parquet.partial"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(b"half")
    long_ago = time.time() - results.folders.STALE_AFTER - 60
    for path in (orphan_old, old_file):
        os.utime(path, (long_ago, long_ago))

    found = clean_stale_partials(tmp_path)
    assert sorted(found.removed) == sorted([dead, orphan_old, old_file])
    assert found.kept == [elsewhere]
    assert all(p.exists() for p in (live, elsewhere, orphan_new))
    assert not any(p.exists() for p in (dead, orphan_old, old_file))


KILLED_WRITER = """
import sys, time
import servsim
from servsim.results import RUN, recording, run_manifest, start_run
scenario = servsim.load_scenario(sys.argv[1])
with recording(RUN, sys.argv[2], scenario.name, run_manifest(scenario, 1, 1, None)) as rec:
    start_run(rec, scenario)
    print(rec.folder, flush=True)
    time.sleep(60)
"""


def test_a_writer_killed_with_sigkill_leaves_a_partial_the_next_run_cleans(
    result: servsim.SimulationResult, tmp_path: Path
) -> None:
    scenario_file = tmp_path / "tiny.yaml"
    scenario_file.write_text(
        yaml.safe_dump(result.scenario.model_dump(mode="json", exclude_none=True)),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(scenario_file), str(tmp_path / "results")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert writer.stdout is not None
    staging = Path(writer.stdout.readline().strip())
    writer.kill()  # SIGKILL: no cleanup runs
    writer.wait()
    writer.stdout.close()
    assert staging.is_dir() and staging.name.startswith(".") and staging.name.endswith(".partial")
    assert RUN.results_in(staging.parent) == []  # never taken for a run
    folder = write_run(result, tmp_path / "results")
    assert not staging.exists()
    assert RUN.results_in(staging.parent) == [folder]
