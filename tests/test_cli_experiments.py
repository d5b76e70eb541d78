"""``servsim compare``, ``servsim sweep`` and ``servsim run --suggest-warmup/--workers``.

Every scenario here is the light M/M/5 of the validation suite cut to a quarter of a day, so a
replication takes a few hundredths of a second and the whole file runs in seconds.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import servsim
from servsim.cli import main
from servsim.sweep import expand
from servsim.warmup import suggest_warmup

ROOT = Path(__file__).parents[1]
LIGHT = ROOT / "scenarios" / "validation" / "mmc_light.yaml"
SWEEP_TABLES = ("table.csv", "table.parquet", "summary.csv", "failures.csv")
COMPARE_TABLES = {
    f"{t}.{ext}" for t in ("replications", "summary", "differences") for ext in ("csv", "parquet")
}
HEADCOUNT = "staff.front.agents.headcount"
SERVICE_MEAN = "service_cycle.call.service_time.mean"


@pytest.fixture(autouse=True)
def plain_wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables one line per row (no wrapping), no terminal, no Dask scheduler from outside."""
    monkeypatch.setenv("COLUMNS", "320")
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "SERVSIM_DASK_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)


def light(
    folder: Path,
    name: str = "light",
    headcount: int = 5,
    replications: int | str = 3,
    days: float = 0.25,
    **extra: Any,
) -> Path:
    """The M/M/5 at light load over a quarter of a day, written as ``folder/<name>.yaml``."""
    data = yaml.safe_load(LIGHT.read_text(encoding="utf-8"))
    data.update(name=name, replications=replications, horizon={"days": days, "warm_up": 0})
    data["staff"]["front"][0]["headcount"] = headcount
    data.update(extra)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def row(text: str, metric: str) -> list[str]:
    """The cells of a metric's row in a printed rich table."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").strip().strip("│").split("│")]
        if cells and cells[0] == metric:
            return cells
    raise AssertionError(f"no row for {metric} in:\n{text}")


def files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


# --------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def staffing_compare(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[int, str, Path, list[servsim.Scenario]]:
    """``servsim compare four.yaml six.yaml -r 8 -s 3``: four agents against six, run once.

    Half a day and 8 replications: the paired CI of the first response excludes 0 by a wide
    margin under any seed (checked over seeds 1-8), so the test is not a coin toss.
    """
    folder = tmp_path_factory.mktemp("compare")
    four = light(folder, "four", headcount=4, days=0.5)
    six = light(folder, "six", headcount=6, days=0.5)
    argv = ["compare", str(four), str(six), "-r", "8", "-s", "3", "--workers", "1"]
    argv += ["-o", str(folder / "results"), "-q"]
    out = folder / "stdout.txt"
    with out.open("w", encoding="utf-8") as stream, pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "320")
        patch.setattr(sys, "stdout", stream)
        code = main(argv)
    scenarios = [servsim.load_scenario(four), servsim.load_scenario(six)]
    return code, out.read_text(encoding="utf-8"), folder / "results", scenarios


def test_compare_prints_the_paired_difference_and_marks_staffing_significant(
    staffing_compare: tuple[int, str, Path, list[servsim.Scenario]],
) -> None:
    code, out, _, _ = staffing_compare
    assert code == 0
    header = row(out, "metric")
    assert header == ["metric", "four (reference)", "six", "Δ six"]
    # six agents instead of four: a shorter first response, a higher service level, both marked
    first = row(out, "first response time")
    assert first[3].startswith("-") and first[3].endswith("*"), first
    service_level = row(out, "service level per offered contact")
    assert service_level[3].startswith("+") and service_level[3].endswith("*"), service_level
    # every call resolved in both: a zero difference, not marked
    fcr = row(out, "first contact resolution")
    assert fcr[1].startswith("100.0%") and fcr[2].startswith("100.0%")
    assert not fcr[3].endswith("*"), fcr
    # the default selection: standards, the headline, occupancy per pool; no percentiles
    for label in ("CSAT (1-5)", "NPS (promoters - detractors)", "staff cost", "abandonment"):
        row(out, label)
    row(out, "occupancy (agents)")
    assert "first response time p90" not in out and "first_response_time" not in out
    assert "six vs four: significant differences in first response time" in out


def test_compare_saves_what_the_library_computes(
    staffing_compare: tuple[int, str, Path, list[servsim.Scenario]],
) -> None:
    code, out, results, scenarios = staffing_compare
    assert code == 0
    (run,) = (results / "compare" / "four_vs_six").iterdir()
    assert f"comparison written to:\n{run}\n" in out  # the path alone on its line
    assert not [p for p in files(results) if p.name.startswith(".")]
    assert {p.name for p in run.iterdir()} >= COMPARE_TABLES
    assert sorted(p.name for p in (run / "scenarios").iterdir()) == ["four.yaml", "six.yaml"]
    expected = servsim.compare(scenarios, replications=8, seed=3)
    saved = pd.read_parquet(run / "differences.parquet")
    pd.testing.assert_frame_equal(saved, expected.differences)
    pd.testing.assert_frame_equal(pd.read_parquet(run / "summary.parquet"), expected.summary)
    from_csv = pd.read_csv(run / "differences.csv").set_index(["scenario", "metric"])
    wait = from_csv.loc[("six", "wait_mean[agents]")]
    assert wait["ci_high"] < 0 and bool(wait["significant"])  # the average wait, too
    assert len(pd.read_csv(run / "replications.csv")) == 2 * 8
    manifest = yaml.safe_load((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3 and manifest["replications"] == 8
    assert manifest["scenarios"] == ["four", "six"]


def test_compare_one_file_with_variants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = light(
        tmp_path,
        "plan",
        variants={"plus_one": {HEADCOUNT: 6}, "minus_one": {HEADCOUNT: 4}},
    )
    results = tmp_path / "results"
    code = main(["compare", str(plan), "-r", "3", "--workers", "1", "--no-save", "-q"])
    assert code == 0
    out = capsys.readouterr().out
    assert row(out, "metric") == [
        "metric",
        "plan (reference)",
        "plan.plus_one",
        "plan.minus_one",
        "Δ plan.plus_one",
        "Δ plan.minus_one",
    ]
    first = row(out, "first response time")
    assert first[4].startswith("-") and first[5].startswith("+"), first
    assert "seed 11 for all" in out  # the reference scenario's own seed
    assert files(results) == []  # --no-save


def test_compare_one_file_without_variants_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    code = main(["compare", str(light(tmp_path)), "-o", str(results), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nothing to compare" in err and "variants" in err
    assert "Traceback" not in err
    assert files(results) == []


def test_compare_with_a_typo_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = light(tmp_path, "good")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        good.read_text(encoding="utf-8").replace("headcount: 5", "headcont: 5"), encoding="utf-8"
    )
    results = tmp_path / "results"
    code = main(["compare", str(good), str(bad), "-o", str(results), "--workers", "1", "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "staff.front[0].headcont" in err and "headcount" in err
    assert "Traceback" not in err
    assert files(results) == []


def test_compare_of_auto_replications_needs_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = light(tmp_path, "plan", replications="auto", variants={"more": {HEADCOUNT: 6}})
    assert main(["compare", str(plan), "--workers", "1", "--no-save", "-q"]) == 2
    assert "--replications" in capsys.readouterr().err
    assert main(["compare", str(plan), "-r", "2", "--workers", "1", "--no-save", "-q"]) == 0


# --------------------------------------------------------------------------- sweep


def write_sweep(folder: Path, name: str = "staffing", **parameters: list[Any]) -> Path:
    """A sweep of 3 x 2 points x 2 replications over ``folder/light.yaml``."""
    light(folder)
    data = {
        "name": name,
        "base": "light.yaml",  # relative to the sweep file
        "replications": 2,
        "seed": 5,
        "parameters": parameters or {HEADCOUNT: [4, 5, 6], SERVICE_MEAN: [150, 180]},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The 6-point sweep run once in this process: (sweep file, its folder, stdout)."""
    folder = tmp_path_factory.mktemp("sweep")
    path = write_sweep(folder)
    out = folder / "stdout.txt"
    with out.open("w", encoding="utf-8") as stream, pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "320")
        patch.setattr(sys, "stdout", stream)
        code = main(["sweep", str(path), "--workers", "1", "-o", str(folder / "results"), "-q"])
    assert code == 0
    return path, folder / "results" / "sweeps" / "staffing", out.read_text(encoding="utf-8")


def test_sweep_writes_tidy_tables(serial_sweep: tuple[Path, Path, str]) -> None:
    path, folder, out = serial_sweep
    assert {p.name for p in folder.iterdir()} >= {*SWEEP_TABLES, "points"}
    table = pd.read_parquet(folder / "table.parquet")
    assert len(table) == 6 * 2
    assert list(table.columns[:4]) == ["point", "replication", HEADCOUNT, SERVICE_MEAN]
    assert sorted(zip(table["point"], table["replication"], strict=True)) == [
        (p, r) for p in range(6) for r in range(2)
    ]
    spec, _ = servsim.load_sweep(path)
    for point in expand(spec):  # each row carries its point's parameters
        rows = table[table["point"] == point.index]
        assert set(rows[HEADCOUNT]) == {point.overrides[HEADCOUNT]}
        assert set(rows[SERVICE_MEAN]) == {point.overrides[SERVICE_MEAN]}
    pd.testing.assert_frame_equal(pd.read_csv(folder / "table.csv"), table, check_dtype=False)
    # more agents, shorter waits: the four-agent points wait longer than the six-agent ones
    waits = table.groupby(HEADCOUNT)["wait_mean[agents]"].mean()
    assert waits[4] > waits[5] > waits[6]
    summary = pd.read_csv(folder / "summary.csv")
    first = summary[summary["metric"] == "first_response_time"].set_index("point")
    assert first.loc[3, "mean"] == pytest.approx(
        table[table["point"] == 3]["first_response_time"].mean()
    )
    assert pd.read_csv(folder / "failures.csv").empty
    assert str(folder) in out
    assert "points: 6 run, 0 resumed, 0 failed, of 6" in out


def test_sweep_on_two_workers_gives_the_same_table(
    serial_sweep: tuple[Path, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, folder, _ = serial_sweep
    code, out, _ = run_cli(
        ["sweep", str(path), "--workers", "2", "-o", str(tmp_path / "results"), "-q"], capsys
    )
    assert code == 0
    assert "on 2 local processes" in out
    parallel = pd.read_parquet(tmp_path / "results" / "sweeps" / "staffing" / "table.parquet")
    pd.testing.assert_frame_equal(parallel, pd.read_parquet(folder / "table.parquet"))


def test_resume_after_deleting_points_runs_only_those_and_ends_identical(
    serial_sweep: tuple[Path, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, original, _ = serial_sweep
    results = tmp_path / "results"
    folder = results / "sweeps" / "staffing"
    shutil.copytree(original, folder)
    points = sorted((folder / "points").iterdir())
    assert len(points) == 6
    for lost in (points[1], points[4]):
        lost.unlink()
    (folder / "table.parquet").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in points if p.exists()}

    code, out, err = run_cli(["sweep", str(path), "-o", str(results), "-q"], capsys)
    assert code == 2  # an existing sweep is never overwritten silently
    assert "--resume" in err and "already holds a sweep" in err
    assert not (folder / "table.parquet").exists()

    code, out, _ = run_cli(
        ["sweep", str(path), "--resume", "--workers", "1", "-o", str(results), "-q"], capsys
    )
    assert code == 0
    assert "points: 2 run, 4 resumed, 0 failed, of 6" in out
    assert {p.name: p.stat().st_mtime_ns for p in points if p.name in kept} == kept
    assert {p.name for p in (folder / "points").iterdir()} == {p.name for p in points}
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "table.parquet"), pd.read_parquet(original / "table.parquet")
    )


def test_interrupted_sweep_exits_130_keeps_points_and_resumes(
    serial_sweep: tuple[Path, Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, original, _ = serial_sweep
    module = importlib.import_module("servsim.sweep")  # servsim.sweep is the function
    real = module.run_sweep

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        def progress(done: int, total: int) -> None:
            if done >= 2:
                raise KeyboardInterrupt

        return real(*args[:5], progress=progress)

    monkeypatch.setattr(module, "run_sweep", interrupted)
    results = tmp_path / "results"
    code, _, err = run_cli(["sweep", str(path), "--workers", "1", "-o", str(results)], capsys)
    monkeypatch.undo()
    assert code == 130
    assert "2 of 6 points had finished" in err and "--resume" in err
    code, out, _ = run_cli(
        ["sweep", str(path), "--workers", "1", "--resume", "-o", str(results), "-q"], capsys
    )
    assert code == 0
    assert "points: 4 run, 2 resumed, 0 failed, of 6" in out
    pd.testing.assert_frame_equal(
        pd.read_parquet(results / "sweeps" / "staffing" / "table.parquet"),
        pd.read_parquet(original / "table.parquet"),
    )


def test_a_bad_point_is_reported_and_the_others_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sweep(tmp_path, "bad_point", **{HEADCOUNT: [5, -1, 6]})
    results = tmp_path / "results"
    code, out, err = run_cli(["sweep", str(path), "--workers", "1", "-o", str(results)], capsys)
    assert code == 0  # two of three points ran
    assert "points: 2 run, 0 resumed, 1 failed, of 3" in out
    failed = row(out, "1")  # the failed-points table: point, parameter, reason
    assert failed[1] == "-1" and "headcount" in failed[2], failed
    assert "1 of 3 points failed" in err
    folder = results / "sweeps" / "bad_point"
    failures = pd.read_csv(folder / "failures.csv")
    assert list(failures["point"]) == [1] and "headcount" in failures["error"].iloc[0]
    assert sorted(pd.read_parquet(folder / "table.parquet")["point"].unique()) == [0, 2]


def test_a_sweep_whose_every_point_fails_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sweep(tmp_path, "bad_path", **{"staff.front.nobody.headcount": [3, 4]})
    code, out, err = run_cli(
        ["sweep", str(path), "--workers", "1", "-o", str(tmp_path / "results")], capsys
    )
    assert code == 1
    assert "points: 0 run, 0 resumed, 2 failed, of 2" in out
    assert "nobody" in out  # the reason names the unknown pool
    assert "every point failed" in err


def test_a_bad_sweep_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sweep(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    code, _, err = run_cli(["sweep", str(path), "-o", str(tmp_path / "results")], capsys)
    assert code == 2
    assert str(path) in err and "colour" in err and "Traceback" not in err
    assert files(tmp_path / "results") == []


@pytest.mark.parametrize("quiet", [False, True], ids=["bar", "quiet"])
def test_progress_bar_only_without_quiet(
    quiet: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws as on a terminal
    path = write_sweep(tmp_path, "tiny", **{HEADCOUNT: [5, 6]})
    argv = ["sweep", str(path), "--workers", "1", "-o", str(tmp_path / "results")]
    code, _, err = run_cli(argv + (["-q"] if quiet else []), capsys)
    assert code == 0
    assert ("points/s" in err) is not quiet  # the bar's rate column
    assert ("2/2" in err or "0/2" in err) is not quiet


def test_sweep_from_python_matches_the_command_line(
    serial_sweep: tuple[Path, Path, str],
) -> None:
    path, folder, _ = serial_sweep
    result = servsim.sweep(path, workers=1)
    pd.testing.assert_frame_equal(result.table, pd.read_parquet(folder / "table.parquet"))
    spec, base = servsim.load_sweep(path)
    assert isinstance(spec, servsim.SweepSpec)
    with pytest.raises(ValueError, match="base"):
        servsim.sweep(spec, workers=1)
    with pytest.raises(ValueError, match="base"):
        servsim.sweep(path, base, workers=1)
    assert servsim.compare.__name__ == "compare" and callable(servsim.compare)
    for name in ("Comparison", "Archetype", "classify_archetype", "importance_performance"):
        assert hasattr(servsim, name), name
    assert callable(servsim.contact_level_comparison)


# --------------------------------------------------------------------------- run


def test_run_suggest_warmup_prints_the_suggestion_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = light(tmp_path, headcount=4)  # busier: a transient while the queue fills
    results = tmp_path / "results"
    code, out, _ = run_cli(
        ["run", str(path), "--suggest-warmup", "-r", "2", "-s", "9", "-o", str(results)], capsys
    )
    assert code == 0
    expected = suggest_warmup(servsim.load_scenario(path), seed=9, replications=2)
    assert " ".join(expected.describe().split()) in " ".join(out.split())
    assert "2 pilot replications" in " ".join(out.split())
    assert "first response time" not in out  # no full run
    assert files(results) == []


def test_run_on_two_workers_matches_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = light(tmp_path)
    tables: list[pd.DataFrame] = []
    for workers in ("1", "2"):
        results = tmp_path / f"results{workers}"
        code, _, _ = run_cli(
            ["run", str(path), "-r", "3", "--workers", workers, "-o", str(results), "-q"], capsys
        )
        assert code == 0
        (folder,) = (results / "light").iterdir()
        tables.append(pd.read_csv(folder / "replications.csv"))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_run_prints_why_auto_replications_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precision = {"min_replications": 2, "max_replications": 3, "metrics": ["service_level"]}
    path = light(tmp_path, replications="auto", precision=precision)
    code, out, _ = run_cli(["run", str(path), "--no-save", "-q"], capsys)
    assert code == 0
    stopping = servsim.simulate(servsim.load_scenario(path)).stopping
    assert stopping is not None
    assert " ".join(stopping.describe().split()) in " ".join(out.split())
