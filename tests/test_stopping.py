"""Parallel runs and ``replications: auto``: the same numbers wherever and however long they run.

A replication depends only on (scenario, seed, replication number), so a run on worker
processes must equal a run in this process, and a run that ``auto`` stopped after n
replications must equal a fixed run of n.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import servsim
from servsim.executors import ProcessExecutor, SerialExecutor, batches
from servsim.experiment import (
    SimulationResult,
    StoppingReport,
    assess_precision,
)
from servsim.io import RESOLVED_SCENARIO, write_run
from servsim.scenario import Precision, ScenarioError
from servsim.statistics import confidence_interval

ROOT = Path(__file__).parents[1]
LIGHT = ROOT / "scenarios" / "validation" / "mmc_light.yaml"
SHORT = {"horizon.days": 0.25, "horizon.warm_up": 0}


@pytest.fixture(scope="module")
def light() -> servsim.Scenario:
    """M/M/5 at light load over six hours: about 0.05 s a replication."""
    return servsim.load_scenario(LIGHT).with_overrides(SHORT)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    """One pool of two workers for the module: starting one costs about a second and a half."""
    executor = ProcessExecutor(2)
    yield executor
    executor.close()


def auto(scenario: servsim.Scenario, **precision: Any) -> servsim.Scenario:
    return scenario.with_overrides(
        {"replications": "auto", **{f"precision.{k}": v for k, v in precision.items()}}
    )


def assert_same_run(a: SimulationResult, b: SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    for name, table in a.records.as_dict().items():
        pd.testing.assert_frame_equal(table, b.records.as_dict()[name], obj=name)
    pd.testing.assert_frame_equal(a.moments, b.moments)
    pd.testing.assert_frame_equal(a.satisfaction, b.satisfaction)
    assert a.warnings == b.warnings
    assert a.seed == b.seed


@pytest.fixture(scope="module")
def precise(light: servsim.Scenario) -> SimulationResult:
    """Auto on resolution time within ±3%: about 37 replications."""
    return servsim.simulate(auto(light, metrics=["resolution_time"], relative_half_width=0.03))


# --------------------------------------------------------------------------- parallel runs


def test_workers_give_the_same_result_as_one_process(light: servsim.Scenario) -> None:
    serial = servsim.simulate(light, replications=5, seed=4)
    calls: list[tuple[int, int]] = []
    parallel = servsim.simulate(
        light, replications=5, seed=4, workers=2, progress=lambda d, t: calls.append((d, t))
    )
    assert_same_run(serial, parallel)
    assert parallel.stopping is None
    assert calls[-1] == (5, 5) and [t for _, t in calls] == [5] * len(calls)


def test_batched_tasks_on_a_pool_or_serial_executor_give_the_same_result(
    light: servsim.Scenario, pool: ProcessExecutor
) -> None:
    # 13 replications on 2 workers travel in batches of two
    assert [len(b) for b in batches(range(13), pool.workers)] == [2] * 6 + [1]
    serial = servsim.simulate(light, replications=13)
    assert_same_run(serial, servsim.simulate(light, replications=13, executor=pool))
    assert_same_run(serial, servsim.simulate(light, replications=13, executor=SerialExecutor()))


def test_workers_and_executor_are_checked(light: servsim.Scenario) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        servsim.simulate(light, replications=2, workers=0)
    with pytest.raises(ValueError, match="not both"):
        servsim.simulate(light, replications=2, workers=2, executor=SerialExecutor())


# --------------------------------------------------------------------------- replications: auto


def test_auto_stops_once_the_target_is_met(precise: SimulationResult) -> None:
    stopping = precise.stopping
    assert isinstance(stopping, StoppingReport)
    assert stopping.reached and not stopping.unmet and not stopping.skipped
    assert stopping.metrics == ("resolution_time",)
    assert 5 < stopping.replications < 100
    assert len(precise.replications) == stopping.replications
    assert precise.scenario.replications == stopping.replications
    # the reported precision is the precision of the returned table
    ci = confidence_interval(precise.replications["resolution_time"])
    relative = ci["half_width"] / abs(ci["mean"])
    assert relative == pytest.approx(stopping.relative_half_widths["resolution_time"])
    assert relative <= 0.03
    assert precise.metric("resolution_time")["half_width"] == pytest.approx(ci["half_width"])
    assert stopping.describe() == (
        f"replications: auto -> {stopping.replications} used; 95% CI within ±3% of the mean "
        "on resolution_time"
    )
    assert not any("auto" in w for w in precise.warnings)


def test_a_tighter_target_needs_more_replications(
    light: servsim.Scenario, precise: SimulationResult
) -> None:
    loose = servsim.simulate(auto(light, metrics=["resolution_time"], relative_half_width=0.06))
    assert loose.stopping is not None and loose.stopping.reached
    assert precise.stopping is not None
    assert 5 <= loose.stopping.replications < precise.stopping.replications


def test_auto_equals_a_fixed_run_of_the_same_length(
    light: servsim.Scenario, precise: SimulationResult
) -> None:
    assert precise.stopping is not None
    fixed = servsim.simulate(light, replications=precise.stopping.replications)
    assert_same_run(precise, fixed)
    assert fixed.stopping is None
    assert fixed.scenario == precise.scenario.model_copy(update={"precision": Precision()})


def test_auto_on_workers_stops_at_the_same_count(
    light: servsim.Scenario, pool: ProcessExecutor
) -> None:
    scenario = auto(light, metrics=["resolution_time", "csat_mean"], relative_half_width=0.05)
    serial = servsim.simulate(scenario)
    calls: list[tuple[int, int]] = []
    parallel = servsim.simulate(scenario, executor=pool, progress=lambda d, t: calls.append((d, t)))
    assert_same_run(serial, parallel)
    assert serial.stopping == parallel.stopping
    assert serial.stopping is not None and serial.stopping.replications > 5
    # the total grows batch by batch; done never goes back and ends at the count
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (serial.stopping.replications,) * 2
    assert calls[0][1] == 5


def test_an_unreachable_target_stops_at_the_cap_with_a_warning(light: servsim.Scenario) -> None:
    scenario = auto(
        light,
        metrics=["resolution_time", "csat_mean"],
        relative_half_width=0.001,
        min_replications=3,
        max_replications=7,
    )
    result = servsim.simulate(scenario)
    stopping = result.stopping
    assert stopping is not None and not stopping.reached
    assert stopping.replications == 7 == len(result.replications)
    assert set(stopping.unmet) == {"resolution_time", "csat_mean"}
    assert all(stopping.relative_half_widths[m] > 0.001 for m in stopping.unmet)
    line = stopping.describe()
    assert line.startswith("replications: auto -> cap of 7 reached: resolution_time still ±")
    assert "target ±0.1% of the mean" in line
    warning = [w for w in result.warnings if w.startswith("replications: auto stopped")]
    assert len(warning) == 1 and "precision.max_replications" in warning[0]


def test_a_run_of_the_default_standards_skips_what_the_scenario_does_not_report(
    light: servsim.Scenario,
) -> None:
    # M/M/c: every issue is resolved at first contact, nobody repeats a question (half-width 0)
    result = servsim.simulate(
        auto(light, relative_half_width=0.5, max_replications=6, min_replications=4)
    )
    stopping = result.stopping
    assert stopping is not None
    assert stopping.metrics == (
        "first_response_time",
        "average_response_time",
        "first_contact_resolution",
        "resolution_time",
        "repeated_questions_share",
    )
    assert stopping.relative_half_widths["repeated_questions_share"] == 0.0
    assert stopping.relative_half_widths["first_contact_resolution"] == 0.0


def test_the_saved_scenario_of_an_auto_run_reproduces_it(
    precise: SimulationResult, tmp_path: Path
) -> None:
    folder = write_run(precise, root=tmp_path)
    saved = yaml.safe_load((folder / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    assert precise.stopping is not None
    assert saved["replications"] == precise.stopping.replications
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stopping"] == precise.stopping.describe()
    assert manifest["replications"] == precise.stopping.replications
    again = servsim.simulate(servsim.load_scenario(folder / RESOLVED_SCENARIO))
    assert again.stopping is None
    pd.testing.assert_frame_equal(again.summary, precise.summary)


# --------------------------------------------------------------------------- the rules


def test_precision_rules_for_missing_values_and_means_of_zero() -> None:
    table = pd.DataFrame(
        {
            "replication": range(4),
            "resolution_time": [np.nan] * 4,  # never produced: skipped
            "repeated_questions_share": [0.0] * 4,  # every replication agrees: precise
            "nps": [-0.1, 0.1, -0.1, 0.1],  # mean 0: only an absolute half-width can judge it
            "csat_mean": [4.0, 4.1, 3.9, 4.0],
            "first_response_time": [np.nan, np.nan, np.nan, 12.0],  # one value: no spread yet
        }
    )
    metrics = [c for c in table.columns if c != "replication"]
    precision = Precision(metrics=metrics, relative_half_width=0.05)
    assessment = assess_precision(table, metrics, precision)
    assert assessment.skipped == ("resolution_time",)
    assert assessment.relative["repeated_questions_share"] == 0.0
    assert math.isinf(assessment.relative["nps"])
    assert assessment.unmet == ("nps", "first_response_time")
    assert assessment.needed == 100  # a mean of 0 asks for the cap

    lenient = Precision(metrics=metrics, relative_half_width=0.05, absolute_half_width={"nps": 0.2})
    assert assess_precision(table, metrics, lenient).unmet == ("first_response_time",)
    strict = Precision(metrics=metrics, relative_half_width=0.05, absolute_half_width={"nps": 0.05})
    # half-width of nps is about 0.184: (0.184 / 0.05)² x 4 replications
    assert assess_precision(table, metrics, strict).needed == math.ceil(
        4 * (assessment.half_widths["nps"] / 0.05) ** 2
    )


# --------------------------------------------------------------------------- the schema


@pytest.mark.parametrize(
    ("precision", "field", "message"),
    [
        ({"min_replications": 20, "max_replications": 10}, "precision", "must not exceed"),
        ({"relative_half_width": 0}, "precision.relative_half_width", "greater than 0"),
        ({"relative_half_width": 1.5}, "precision.relative_half_width", "less than 1"),
        ({"min_replications": 1}, "precision.min_replications", "greater than or equal to 2"),
        ({"metrics": ["first_respons_time"]}, "precision.metrics", "first_response_time"),
        ({"metrics": []}, "precision.metrics", "at least 1"),
        ({"metrics": ["nps", "nps"]}, "precision.metrics", "named twice"),
        ({"absolute_half_width": {"nps": 0.02}}, "precision", "not among the judged"),
        ({"target": 0.05}, "precision.target", "unknown field 'target'"),
    ],
)
def test_bad_precision_settings_name_the_field(
    light: servsim.Scenario, precision: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as error:
        auto(light, **precision)
    assert len(error.value.problems) == 1
    problem = error.value.problems[0]
    assert problem.startswith(f"{field}:") and message in problem


@pytest.mark.parametrize("value", ["autoo", 0, 2.5, True, "-3"])
def test_bad_replications_give_one_clear_problem(light: servsim.Scenario, value: object) -> None:
    with pytest.raises(ScenarioError) as error:
        light.with_overrides({"replications": value})
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith("replications:")
    assert "'auto'" in error.value.problems[0]


def test_a_metric_the_scenario_does_not_report_is_named_at_run_time(
    light: servsim.Scenario,
) -> None:
    scenario = auto(light, metrics=["occupancy[nobody]"], min_replications=2)
    with pytest.raises(ScenarioError, match=r"precision\.metrics: 'occupancy\[nobody\]'") as error:
        servsim.simulate(scenario)
    assert "occupancy[agents]" in str(error.value)


def test_auto_is_a_valid_scenario_for_the_schema_and_validate(tmp_path: Path) -> None:
    data = yaml.safe_load(LIGHT.read_text(encoding="utf-8"))
    data |= {
        "replications": "auto",
        "precision": {"metrics": ["first_response_time", "csat_mean"], "max_replications": 50},
    }
    path = tmp_path / "auto.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    scenario = servsim.load_scenario(path)
    assert scenario.replications == "auto" and scenario.precision.max_replications == 50
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(servsim.Scenario.json_schema())
    assert list(validator.iter_errors(data)) == []
    assert list(validator.iter_errors(data | {"replications": "many"})) != []

    from servsim.cli import main

    assert main(["validate", str(path)]) == 0
