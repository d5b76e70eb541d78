"""Parameter sweeps: a base scenario, parameters varied by dotted path, a tidy table out.

A sweep is generated separately from running it (desmod's lesson): :func:`expand` turns the
spec into numbered points, each a set of overrides; :func:`run_sweep` runs every point's
replications with the same seed list (common random numbers across points, as mesa's batch
runner does) on any executor, and writes each finished point to its own file at once, so an
interrupted sweep keeps what it finished and ``resume`` runs only what is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator

from servsim.executors import (
    Executor,
    SerialExecutor,
    TaskResult,
    make_executor,
    run_task,
    task_for,
)
from servsim.experiment import fixed_replications
from servsim.scenario import (
    Scenario,
    ScenarioError,
    format_validation_errors,
    load_scenario,
    read_yaml_file,
    resolve_scenario,
)
from servsim.schema_types import StrictModel
from servsim.statistics import summarise

POINT_FILES = "points"
ProgressCallback = Callable[[int, int], None]


class Range(StrictModel):
    """Values from ``start`` to ``stop`` (inclusive) by ``step``."""

    start: float
    stop: float
    step: Annotated[float, Field(gt=0)] = 1.0

    def values(self) -> list[float | int]:
        """The values, as integers when every bound is whole."""
        count = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        values = [self.start + i * self.step for i in range(max(count, 0))]
        whole = all(float(v).is_integer() for v in (self.start, self.stop, self.step))
        return [round(v) for v in values] if whole else values


class Linspace(StrictModel):
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive)."""

    start: float
    stop: float
    num: Annotated[int, Field(ge=1, le=1_000_000)]

    def values(self) -> list[float | int]:
        """The values."""
        return [float(v) for v in np.linspace(self.start, self.stop, self.num)]


ParameterValues = list[Any] | Range | Linspace


class SweepSpec(StrictModel):
    """A sweep: which scenario, which parameters, how they combine, how many replications."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]
    base: str = Field(description="the base scenario file, relative to the sweep file")
    parameters: dict[str, ParameterValues] = Field(
        description="dotted path -> a list of values, {start, stop, step} or {start, stop, num}"
    )
    mode: Literal["grid", "zip"] = Field(
        default="grid", description="grid: every combination; zip: the i-th values together"
    )
    replications: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="per point; the base scenario's own when omitted"
    )
    seed: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if not self.parameters:
            raise ValueError("a sweep needs at least one parameter")
        lengths = {path: len(_values(v)) for path, v in self.parameters.items()}
        if any(n == 0 for n in lengths.values()):
            raise ValueError(f"every parameter needs at least one value: {lengths}")
        if self.mode == "zip" and len(set(lengths.values())) > 1:
            raise ValueError(f"zip mode needs lists of equal length, got {lengths}")
        return self


def _values(values: ParameterValues) -> list[Any]:
    return list(values) if isinstance(values, list) else values.values()


@dataclass(frozen=True)
class SweepPoint:
    """One parameter point: its number, its overrides, and a fingerprint for resuming."""

    index: int
    overrides: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        """Short hash of the overrides: a resumed sweep re-runs a point whose values changed."""
        text = json.dumps(self.overrides, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def filename(self) -> str:
        """The file a finished point is written to."""
        return f"{self.index:06d}-{self.fingerprint}.parquet"


def expand(spec: SweepSpec) -> list[SweepPoint]:
    """Every point of the sweep, numbered in a fixed order (grid: last parameter fastest)."""
    paths = list(spec.parameters)
    columns = [_values(spec.parameters[p]) for p in paths]
    combos: Iterator[tuple[Any, ...]] = (
        itertools.product(*columns) if spec.mode == "grid" else zip(*columns, strict=True)
    )
    return [SweepPoint(i, dict(zip(paths, combo, strict=True))) for i, combo in enumerate(combos)]


def load_sweep(path: str | Path) -> tuple[SweepSpec, Scenario]:
    """Read a sweep file and its base scenario (relative to the sweep file).

    Raises:
        ScenarioError: the sweep file or its base scenario is invalid.
    """
    path = Path(path)
    data = read_yaml_file(path, what="sweep")
    if not isinstance(data, dict):
        raise ScenarioError(str(path), ["a sweep file is a YAML mapping (name, base, parameters)"])
    data.setdefault("name", path.stem)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(str(path), format_validation_errors(exc, SweepSpec)) from None
    return spec, load_scenario(path.parent / spec.base)


@dataclass
class SweepResult:
    """A sweep's tidy outputs.

    Attributes:
        table: one row per point and replication: point, replication, the parameters, metrics.
        summary: one row per point and metric: the parameters, mean and 95% CI.
        failures: one row per point that could not run: point, parameters, error.
        folder: where the files are, when the sweep was saved.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame
    folder: Path | None = None
    skipped: int = 0  # points found finished on resume
    parameters: list[str] = field(default_factory=list)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


def _atomic_csv(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    frame.to_csv(temporary, index=False)
    os.replace(temporary, path)


def _point_frame(point: SweepPoint, result: TaskResult) -> pd.DataFrame:
    rows = [
        {"point": point.index, "replication": r, **_flat(point.overrides), **metrics}
        for r, metrics in result.metrics
    ]
    return pd.DataFrame(rows)


def _flat(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as table cells (a mapping value becomes its JSON text)."""
    return {
        k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
        for k, v in overrides.items()
    }


def run_sweep(
    spec: SweepSpec,
    base: Scenario,
    executor: Executor | None = None,
    folder: str | Path | None = None,
    resume: bool = False,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run every point of a sweep and return (and, with a folder, write) its tables.

    Args:
        spec: the sweep.
        base: its base scenario.
        executor: where to run; in this process when omitted.
        folder: where to write ``table``, ``summary``, ``failures`` and one file per point as it
            finishes; nothing is written when omitted.
        resume: keep points already finished in ``folder`` (same values) and run the rest.
        progress: called as ``progress(points_done, points_total)``.
    """
    executor = executor or SerialExecutor()
    seed = spec.seed if spec.seed is not None else base.seed
    replications = fixed_replications(base, spec.replications, "a sweep")
    points = expand(spec)
    out = Path(folder) if folder is not None else None
    point_dir = out / POINT_FILES if out is not None else None
    if point_dir is not None:
        if point_dir.exists() and any(point_dir.iterdir()) and not resume:
            raise FileExistsError(
                f"{out} already holds a sweep; resume it (--resume) or choose another folder"
            )
        point_dir.mkdir(parents=True, exist_ok=True)
        (out / "sweep.yaml").write_text(  # type: ignore[operator]
            yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
        )

    frames: dict[int, pd.DataFrame] = {}
    failures: list[dict[str, Any]] = []
    tasks = []
    skipped = 0
    for point in points:
        if point_dir is not None and resume and (point_dir / point.filename).exists():
            frames[point.index] = pd.read_parquet(point_dir / point.filename)
            skipped += 1
            continue
        try:
            scenario = base.with_overrides(point.overrides)
        except ScenarioError as exc:
            failures.append(
                {"point": point.index, **_flat(point.overrides), "error": "; ".join(exc.problems)}
            )
            continue
        tasks.append(task_for(point.index, resolve_scenario(scenario), seed, range(replications)))

    done = skipped + len(failures)
    if progress is not None:
        progress(done, len(points))
    by_index = {p.index: p for p in points}
    for result in executor.map_unordered(run_task, tasks):
        point = by_index[result.key]
        if result.error is not None:
            failures.append({"point": point.index, **_flat(point.overrides), "error": result.error})
        else:
            frame = _point_frame(point, result)
            frames[point.index] = frame
            if point_dir is not None:
                _atomic_parquet(frame, point_dir / point.filename)
        done += 1
        if progress is not None:
            progress(done, len(points))

    parameters = list(spec.parameters)
    table = (
        pd.concat([frames[i] for i in sorted(frames)], ignore_index=True)
        if frames
        else pd.DataFrame(columns=["point", "replication", *parameters])
    )
    table = table.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    summary = summarise_points(table, parameters)
    failure_table = pd.DataFrame(failures, columns=["point", *parameters, "error"])
    failure_table = failure_table.sort_values("point").reset_index(drop=True)
    if out is not None:
        _atomic_parquet(table, out / "table.parquet")
        _atomic_csv(table, out / "table.csv")
        _atomic_csv(summary, out / "summary.csv")
        _atomic_csv(failure_table, out / "failures.csv")
    return SweepResult(table, summary, failure_table, out, skipped, parameters)


def summarise_points(table: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """Per point and metric: the parameters, mean, 95% CI (long, tidy form)."""
    if table.empty:
        return pd.DataFrame(columns=["point", *parameters, "metric", "mean", "ci_low", "ci_high"])
    rows = []
    for point, group in table.groupby("point", sort=True):
        metrics = group.drop(columns=["point", *parameters])
        summary = summarise(metrics).reset_index()
        for name in reversed(parameters):
            summary.insert(0, name, group[name].iloc[0])
        summary.insert(0, "point", point)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True)


def sweep(
    spec_or_path: SweepSpec | str | Path,
    base: Scenario | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    folder: str | Path | None = None,
    resume: bool = False,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run a sweep from a file, or from a spec and its base scenario, in one call.

    The convenience behind ``servsim.sweep``: it picks the executor the command line would pick
    (:func:`servsim.executors.make_executor`: local processes on every core by default, one
    worker in this process, Dask when ``scheduler`` or ``SERVSIM_DASK_SCHEDULER`` names one)
    and closes it afterwards. An ``executor`` given here is used as is and left open, since
    the caller owns it.

    Args:
        spec_or_path: a sweep YAML file (its base scenario is read relative to it), or a spec.
        base: the base scenario; required with a spec, not allowed with a file (the file names
            its own base, and two sources of truth would disagree silently).
        workers: local processes (``None``: every core; 1: this process).
        scheduler: a Dask scheduler address (``tcp://host:8786``).
        executor: an executor to use instead of ``workers``/``scheduler``.
        folder: where to write the tables and one file per finished point; nothing is written
            when omitted.
        resume: keep points already finished in ``folder`` and run the rest.
        progress: called as ``progress(points_done, points_total)``.

    Raises:
        ScenarioError: the sweep file or its base scenario is invalid.
        ValueError: a spec without a base, or a file with one.
        FileExistsError: ``folder`` already holds a sweep and ``resume`` is false.
    """
    if isinstance(spec_or_path, SweepSpec):
        if base is None:
            raise ValueError("a SweepSpec needs its base scenario: sweep(spec, base)")
        spec = spec_or_path
    else:
        if base is not None:
            raise ValueError("a sweep file names its own base scenario; do not pass base too")
        spec, base = load_sweep(spec_or_path)
    if executor is not None:
        return run_sweep(spec, base, executor, folder, resume, progress)
    with make_executor(workers, scheduler) as own:
        return run_sweep(spec, base, own, folder, resume, progress)
