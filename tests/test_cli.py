"""The ``servsim`` command line: schema, validate, run, exit codes, and atomic result folders."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import servsim
from servsim.cli import main
from servsim.results import RESOLVED_SCENARIO, RUN
from servsim.scenario import resolve_scenario

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))
TEXTBOOK = SCENARIOS / "validation" / "mmc_textbook.yaml"
RECORD_TABLES = ("customers", "contacts", "visits", "staffing", "training")
RUN_FILES = {
    RESOLVED_SCENARIO,
    "replications.csv",
    "summary.csv",
    "manifest.json",
    *(f"{name}.parquet" for name in RECORD_TABLES),
    "moments.parquet",  # simulated satisfaction: visible moments of truth
    "satisfaction.parquet",  # and one row per judged customer
    "importance.parquet",  # importance-performance sums, kept whatever `records` says
    *(f"{name}.{kind}" for name in ("intervals", "days") for kind in ("csv", "parquet")),
}


def tiny_scenario(folder: Path) -> Path:
    """The textbook scenario over a fifth of a day: a replication takes a few milliseconds."""
    data = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8"))
    data["name"] = "tiny"
    data["horizon"] = {"days": 0.2, "warm_up": 0}
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def every_entry(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return servsim.Scenario.json_schema()


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["type"] == "object"
    assert {"service_cycle", "staff", "segments", "arrivals", "contact_level"} <= set(
        printed["properties"]
    )
    assert printed["additionalProperties"] is False  # unknown keys are errors for editors too
    assert "contact_level" in printed["required"]


def test_schema_is_a_valid_json_schema_that_accepts_the_textbook(schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []
    assert not validator.is_valid(data | {"colour": "blue"})
    assert not validator.is_valid(data | {"contact_level": "extreme"})


def test_schema_accepts_a_distribution_without_kind(schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load(TEXTBOOK.read_text(encoding="utf-8"))
    data["service_cycle"][0]["service_time"] = {"mean": "3min"}
    servsim.validate_scenario(data)  # servsim itself accepts it
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"{path}: ok" in captured.out
    assert captured.err == ""


def test_there_are_shipped_scenarios() -> None:
    assert len(SHIPPED) >= 2
    assert TEXTBOOK in SHIPPED


def test_validate_as_a_subprocess_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncontact_level: [unclosed\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "servsim", "validate", str(bad)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "not valid YAML" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_missing_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert servsim.__version__ in capsys.readouterr().out


# --------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def textbook_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, list[str]]:
    """``servsim run scenarios/validation/mmc_textbook.yaml -r 2 -o <tmp> --quiet``, once."""
    results = tmp_path_factory.mktemp("results")
    argv = ["run", str(TEXTBOOK), "-r", "2", "-o", str(results), "--quiet"]
    return main(argv), results, argv


@pytest.fixture(scope="module")
def run_folder(textbook_run: tuple[int, Path, list[str]]) -> Path:
    code, results, _ = textbook_run
    assert code == 0
    runs = list((results / "mmc_textbook").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def test_run_returns_0_and_writes_one_folder(textbook_run: tuple[int, Path, list[str]]) -> None:
    code, results, _ = textbook_run
    assert code == 0
    assert [p.name for p in results.iterdir()] == ["mmc_textbook"]
    hidden = [p for p in every_entry(results) if p.name.startswith(".")]
    assert hidden == [], "a hidden .partial folder was left behind"


def test_run_folder_holds_every_file(run_folder: Path) -> None:
    assert {p.name for p in run_folder.iterdir()} == RUN_FILES
    replications = pd.read_csv(run_folder / "replications.csv")
    assert len(replications) == 2
    assert list(replications["replication"]) == [0, 1]
    summary = pd.read_csv(run_folder / "summary.csv", index_col="metric")
    assert {"mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert "service_level" in summary.index
    for name in RECORD_TABLES:
        table = pd.read_parquet(run_folder / f"{name}.parquet")
        assert "replication" in table.columns, name
        assert len(table) > 0 or name == "training", name  # no training in this scenario


def test_run_manifest(run_folder: Path, textbook_run: tuple[int, Path, list[str]]) -> None:
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7  # the scenario's own seed
    assert manifest["replications"] == 2
    assert manifest["servsim_version"] == servsim.__version__
    assert manifest["command"] == ["servsim", *textbook_run[2]]
    assert manifest["run_id"] == run_folder.name
    assert manifest["scenario"] == "mmc_textbook"
    assert set(manifest["files"]) == RUN_FILES


def test_resolved_scenario_loads_again(run_folder: Path) -> None:
    path = run_folder / RESOLVED_SCENARIO
    again = resolve_scenario(servsim.load_scenario(path))
    # the saved scenario reproduces the run: it carries the replications (-r 2) actually used
    written = servsim.load_scenario(TEXTBOOK).with_overrides({"replications": 2})
    assert again == resolve_scenario(written)
    # resolution is a fixpoint: the saved file already holds every value
    assert again.model_dump(mode="json", exclude_none=True) == yaml.safe_load(
        path.read_text(encoding="utf-8")
    )


def test_run_seed_option_is_recorded(tmp_path: Path) -> None:
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"
    assert main(["run", str(scenario), "-r", "2", "-s", "5", "-o", str(results), "-q"]) == 0
    (folder,) = (results / "tiny").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5
    assert manifest["replications"] == 2


def test_no_save_writes_nothing(tmp_path: Path) -> None:
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "--no-save", "-q"]) == 0
    assert every_entry(results) == []


@pytest.mark.parametrize("count", ["0", "-1"])
def test_replications_below_one_exit_2(
    count: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    code = main(
        ["run", str(tiny_scenario(tmp_path)), f"--replications={count}", "-o", str(results)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--replications" in err
    assert "Traceback" not in err
    assert every_entry(results) == []


def test_replications_not_a_number_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", str(tiny_scenario(tmp_path)), "-r", "two", "-o", str(tmp_path / "results")])
    assert caught.value.code == 2
    assert every_entry(tmp_path / "results") == []


@pytest.mark.parametrize("text", ["", "contact_level: extreme\n"], ids=["empty", "invalid"])
def test_run_of_a_bad_scenario_exits_2_and_writes_nothing(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    assert main(["run", str(bad), "-r", "2", "-o", str(results), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "Traceback" not in err
    assert every_entry(results) == []


def test_run_of_a_missing_file_as_a_subprocess_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "servsim", "run", str(missing), "-o", str(tmp_path / "results")],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert str(missing) in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def _interrupt(*_args: Any, **_kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "target",
    [
        "servsim.experiment.simulate",  # while simulating
        "pandas.DataFrame.to_csv",  # while writing the first tables
        "pandas.DataFrame.to_parquet",  # while writing the record tables
    ],
)
def test_interrupted_run_leaves_no_result_only_a_marked_attempt(
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C at any stage: no folder a reader takes for a run, no hidden partial folder; the
    attempt is kept as ``<run-id>.interrupted`` with its scenario, manifest and error."""
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"
    monkeypatch.setattr(target, _interrupt)
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "--quiet"]) == 130
    monkeypatch.undo()
    assert "interrupted" in capsys.readouterr().err
    kept = [p for p in every_entry(results) if p.parent == results / "tiny"]
    assert len(kept) == 1 and kept[0].name.endswith(".interrupted"), kept
    assert not [p for p in every_entry(results) if p.name.endswith(".partial")]
    assert RUN.results_in(results / "tiny") == []
    manifest = json.loads((kept[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted" and manifest["scenario"] == "tiny"
    assert "KeyboardInterrupt" in (kept[0] / "error.txt").read_text(encoding="utf-8")
    assert servsim.load_scenario(kept[0] / RESOLVED_SCENARIO).name == "tiny"
    assert main(["report", str(results / "tiny")]) == 2  # never reported as a run


# --------------------------------------------------------------------------- unusable output


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("simulated although the results could not be written")


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_an_output_path_that_is_a_file_exits_3_before_simulating(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = tiny_scenario(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr("servsim.experiment.simulate", _never)
    # the modules themselves (``servsim.sweep`` names the function; they load on first use)
    monkeypatch.setattr(importlib.import_module("servsim.sweep"), "run_task", _never)
    monkeypatch.setattr(importlib.import_module("servsim.compare"), "compare", _never)
    if command == "sweep":
        sweep = tmp_path / "sweep.yaml"
        sweep.write_text(
            yaml.safe_dump(
                {"base": "tiny.yaml", "replications": 2, "parameters": {"seed": [1, 2]}}
            ),
            encoding="utf-8",
        )
        argv = ["sweep", str(sweep), "--workers", "1"]
    elif command == "compare":
        argv = ["compare", str(scenario), str(scenario), "-r", "2", "--workers", "1"]
    else:
        argv = ["run", str(scenario), "-r", "2"]
    assert main([*argv, "-o", str(afile), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "could not write results to" in err and str(afile) in err
    assert "Traceback" not in err
    assert afile.read_text(encoding="utf-8") == "not a folder"


def test_a_write_that_fails_after_the_run_exits_3_saying_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk while saving: the message names the file and the reason, no traceback,
    and the attempt is kept marked failed (what was tried), never taken for a run."""
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"

    def disk_full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pandas.DataFrame.to_parquet", disk_full)
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "--quiet"]) == 3
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert "service level" in captured.out  # the numbers were shown before saving failed
    err = " ".join(captured.err.split())
    assert "could not write results to" in err and "No space left on device" in err
    assert ".parquet" in err and "Traceback" not in err
    (kept,) = list((results / "tiny").iterdir())
    assert kept.name.endswith(".failed")
    assert json.loads((kept / "manifest.json").read_text(encoding="utf-8"))["status"] == "failed"
    assert RUN.results_in(results / "tiny") == []


def test_a_crashed_run_is_kept_failed_and_report_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("model crashed at t=12")

    monkeypatch.setattr("servsim.experiment.simulate", crash)
    with pytest.raises(RuntimeError, match="model crashed"):
        main(["run", str(scenario), "-r", "2", "-o", str(results), "--quiet"])
    monkeypatch.undo()
    (failed,) = list((results / "tiny").iterdir())
    assert failed.name.endswith(".failed")
    assert "model crashed at t=12" in (failed / "error.txt").read_text(encoding="utf-8")
    assert servsim.load_scenario(failed / RESOLVED_SCENARIO).name == "tiny"
    capsys.readouterr()
    assert main(["report", str(failed)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "failed run, not a result" in err and "model crashed at t=12" in err
    assert main(["report", str(results / "tiny")]) == 2
    assert "holds no complete run" in " ".join(capsys.readouterr().err.split())
    # a good run afterwards is the one reported, the failed one is skipped
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", str(results / "tiny")]) == 0
    assert "holds 1 run(s)" in " ".join(capsys.readouterr().out.split())


def test_a_stale_partial_of_a_killed_run_is_removed_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_scenario(tmp_path)
    results = tmp_path / "results"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = results / "tiny" / ".20200101T000000Z-000000.partial"
    stale.mkdir(parents=True)
    (stale / ".writer.json").write_text(
        json.dumps({"pid": child.pid, "host": os.uname().nodename, "started": 0}),
        encoding="utf-8",
    )
    assert main(["run", str(scenario), "-r", "2", "-o", str(results), "--quiet"]) == 0
    assert not stale.exists()
    err = " ".join(capsys.readouterr().err.split())
    assert f"removed {stale}" in err
