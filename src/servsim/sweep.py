"""Parameter sweeps: a base scenario, parameters varied by dotted path, a tidy table out.

A sweep is generated separately from running it (desmod's lesson): :func:`expand` turns the
spec into numbered points, each a set of overrides; :func:`run_sweep` runs every point's
replications with the same seed list (common random numbers across points, as mesa's batch
runner does) on any executor, and writes each finished point to its own file at once, so an
interrupted sweep keeps what it finished and ``resume`` runs only what is missing.

Each point's file is named by a key that hashes everything its rows depend on: the base
scenario's resolved content, the point's overrides, the seed, the replications and servsim's
version. ``resume`` after the definition changed (a new handle time in the base scenario,
more replications, other values) therefore reruns exactly the points whose key changed and
deletes the saved points of the old definition: a table never mixes rows of two definitions.
The sweep folder's manifest records the definition, so what changed is named
(:attr:`SweepResult.changed`).

A sweep has at most :data:`MAX_POINTS` points, counted before any value is materialised.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator

from servsim import results, version
from servsim.executors import (
    Executor,
    SerialExecutor,
    TaskResult,
    auto_workers,
    make_executor,
    run_task,
    task_for,
)
from servsim.experiment import expected_customers, fixed_replications
from servsim.scenario import (
    Scenario,
    ScenarioError,
    format_validation_errors,
    load_scenario,
    read_yaml_file,
    resolve_scenario,
)
from servsim.schema_types import Name, StrictModel
from servsim.statistics import summarise

POINT_FILES = results.POINT_FILES
MAX_POINTS = 100_000
"""The most points a sweep may have (each runs every replication): far beyond a useful study,
small enough that a typo such as ``step: 1`` over ``stop: 1e9`` fails at once, not after
gigabytes of values."""
ProgressCallback = Callable[[int, int], None]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Range(StrictModel):
    """Values from ``start`` to ``stop`` (inclusive) by ``step``."""

    start: Finite
    stop: Finite
    step: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0

    @model_validator(mode="after")
    def _not_too_many(self) -> Range:
        if self.count() > MAX_POINTS:
            raise ValueError(
                f"{{start: {self.start:g}, stop: {self.stop:g}, step: {self.step:g}}} gives "
                f"{self.count():,} values; a sweep has at most {MAX_POINTS:,} points "
                "(check the step, or use {start, stop, num})"
            )
        return self

    def count(self) -> int:
        """How many values, computed without making them."""
        return max(math.floor((self.stop - self.start) / self.step + 1e-9) + 1, 0)

    def values(self) -> list[float | int]:
        """The values, as integers when every bound is whole."""
        values = [self.start + i * self.step for i in range(self.count())]
        whole = all(float(v).is_integer() for v in (self.start, self.stop, self.step))
        return [round(v) for v in values] if whole else values


class Linspace(StrictModel):
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive)."""

    start: Finite
    stop: Finite
    num: Annotated[int, Field(ge=1, le=MAX_POINTS)]

    def count(self) -> int:
        """How many values."""
        return self.num

    def values(self) -> list[float | int]:
        """The values."""
        return [float(v) for v in np.linspace(self.start, self.stop, self.num)]


ParameterValues = list[Any] | Range | Linspace


class SweepSpec(StrictModel):
    """A sweep: which scenario, which parameters, how they combine, how many replications."""

    name: Name = Field(
        description="the folder under results/sweeps/: letters, digits, _ . - and spaces, "
        "not starting with a dot (it cannot leave results/sweeps/)"
    )
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
        lengths = {path: _count(v) for path, v in self.parameters.items()}
        if any(n == 0 for n in lengths.values()):
            raise ValueError(f"every parameter needs at least one value: {lengths}")
        if self.mode == "zip" and len(set(lengths.values())) > 1:
            raise ValueError(f"zip mode needs lists of equal length, got {lengths}")
        if self.point_count() > MAX_POINTS:
            raise ValueError(
                f"{self.point_count():,} points ({' x '.join(map(str, lengths.values()))}); "
                f"a sweep has at most {MAX_POINTS:,}"
            )
        return self

    def point_count(self) -> int:
        """How many points the sweep has, computed without expanding it."""
        counts = [_count(v) for v in self.parameters.values()]
        return math.prod(counts) if self.mode == "grid" else (counts[0] if counts else 0)


def _count(values: ParameterValues) -> int:
    return len(values) if isinstance(values, list) else values.count()


def _values(values: ParameterValues) -> list[Any]:
    return list(values) if isinstance(values, list) else values.values()


@dataclass(frozen=True)
class SweepPoint:
    """One parameter point: its number, its overrides, and what every point shares.

    Attributes:
        index: its number in the sweep's fixed order.
        overrides: dotted path -> value.
        definition: the hash of what every point shares (:func:`sweep_definition`); empty
            for a point of :func:`expand` that is not tied to a base scenario yet.
    """

    index: int
    overrides: dict[str, Any]
    definition: str = ""

    @property
    def key(self) -> str:
        """Hash of the overrides and the shared definition.

        A resumed sweep keeps a saved point only if nothing its rows depend on has changed.
        """
        return results.content_hash([self.overrides, self.definition])[:16]

    @property
    def filename(self) -> str:
        """The file a finished point is written to."""
        return f"{self.index:06d}-{self.key}.parquet"


def expand(spec: SweepSpec, definition: str = "") -> list[SweepPoint]:
    """Every point of the sweep, numbered in a fixed order (grid: last parameter fastest)."""
    paths = list(spec.parameters)
    columns = [_values(spec.parameters[p]) for p in paths]
    combos: Iterator[tuple[Any, ...]] = (
        itertools.product(*columns) if spec.mode == "grid" else zip(*columns, strict=True)
    )
    return [
        SweepPoint(i, dict(zip(paths, combo, strict=True)), definition)
        for i, combo in enumerate(combos)
    ]


def sweep_definition(spec: SweepSpec, base: Scenario) -> dict[str, Any]:
    """What every point's rows depend on besides its overrides, as the manifest records it.

    The base scenario's content hash, seed, replications, servsim's version, the parameters.
    """
    return {
        "base_scenario": base.name,
        "base_scenario_hash": results.scenario_hash(base),
        "seed": spec.seed if spec.seed is not None else base.seed,
        "replications": fixed_replications(base, spec.replications, "a sweep"),
        "servsim_version": version.__version__,
        "parameters": list(spec.parameters),
    }


def sweep_points(spec: SweepSpec, base: Scenario) -> list[SweepPoint]:
    """Every point, keyed by its overrides and the definition (:func:`sweep_definition`)."""
    shared = sweep_definition(spec, base)
    shared.pop("base_scenario")
    shared.pop("parameters")  # a point's overrides name its parameters already
    return expand(spec, results.content_hash(shared))


def load_sweep(path: str | Path) -> tuple[SweepSpec, Scenario]:
    """Read a sweep file and its base scenario (relative to the sweep file).

    Raises:
        ScenarioError: the sweep file or its base scenario is invalid.
    """
    path = Path(path)
    data = read_yaml_file(path, what="sweep")
    if not isinstance(data, dict):
        raise ScenarioError(str(path), ["a sweep file is a YAML mapping (name, base, parameters)"])
    data.setdefault("name", re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem).lstrip(".") or "sweep")
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
    changed: list[str] = field(default_factory=list)  # what of the definition changed
    discarded: int = 0  # saved points of an older definition, deleted on resume


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
    command: Sequence[str] | None = None,
) -> SweepResult:
    """Run every point of a sweep and return (and, with a folder, write) its tables.

    With ``resume``, a point saved earlier is kept only when its key (overrides, base
    scenario content, seed, replications, servsim version) is unchanged; the others run
    again, and saved points of the old definition are deleted, so the table holds rows of the
    current definition only. :attr:`SweepResult.changed` names what changed.

    Args:
        spec: the sweep.
        base: its base scenario.
        executor: where to run; in this process when omitted.
        folder: where to write ``table``, ``summary``, ``failures``, the manifest and one file
            per point as it finishes; nothing is written when omitted.
        resume: keep points already finished in ``folder`` (same key) and run the rest.
        progress: called as ``progress(points_done, points_total)``.
        command: the command line, for the manifest.

    Raises:
        SweepExists: ``folder`` already holds points and ``resume`` is false.
        ResultsWriteError: ``folder`` cannot be written.
    """
    executor = executor or SerialExecutor()
    definition = sweep_definition(spec, base)
    seed, replications = definition["seed"], definition["replications"]
    points = sweep_points(spec, base)
    store = None
    if folder is not None:
        manifest = {
            **results.base_manifest("sweep", seed=seed, replications=replications, command=command),
            **definition,
            "sweep": spec.name,
            "points": len(points),
        }
        spec_yaml = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
        store = results.open_sweep(Path(folder), manifest, spec_yaml, base, resume)
    try:
        return _run_points(spec, base, points, executor, store, progress, seed, replications)
    except BaseException as exc:
        if store is not None:
            store.stop(exc)
        raise


def _run_points(
    spec: SweepSpec,
    base: Scenario,
    points: list[SweepPoint],
    executor: Executor,
    store: results.SweepFolder | None,
    progress: ProgressCallback | None,
    seed: int,
    replications: int,
) -> SweepResult:
    frames: dict[int, pd.DataFrame] = {}
    failures: list[dict[str, Any]] = []
    tasks = []
    discarded = 0
    if store is not None:
        discarded = store.discard_points_except(p.filename for p in points)
    for point in points:
        saved = store.finished(point.filename) if store is not None else None
        if saved is not None:
            frames[point.index] = saved
            continue
        try:
            scenario = base.with_overrides(point.overrides)
        except ScenarioError as exc:
            failures.append(
                {"point": point.index, **_flat(point.overrides), "error": "; ".join(exc.problems)}
            )
            continue
        tasks.append(task_for(point.index, resolve_scenario(scenario), seed, range(replications)))
    skipped = len(frames)

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
            if store is not None:
                store.save_point(point.filename, frame)
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
    if store is None:
        return SweepResult(table, summary, failure_table, None, skipped, parameters)
    store.save_tables(table, summary, failure_table)
    return SweepResult(
        table, summary, failure_table, store.folder, skipped, parameters, store.changed(), discarded
    )


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


def expected_work(spec: SweepSpec, base: Scenario) -> float:
    """Customers a sweep simulates, on average: what decides whether workers pay.

    Estimated from the base scenario's arrivals and horizon for every point: validating each
    point's scenario only to size the work would cost more than it tells.
    """
    replications = spec.replications or base.replications
    per_point = replications if isinstance(replications, int) else 1
    points = len(sweep_points(spec, base))
    return expected_customers(resolve_scenario(base)) * per_point * points


def sweep(
    spec_or_path: SweepSpec | str | Path,
    base: Scenario | None = None,
    *,
    workers: int | Literal["auto"] | None = None,
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
        workers: local processes (``None``: every core; 1: this process; ``"auto"``: every
            core when the sweep's expected work outweighs starting them, else this process).
        scheduler: a Dask scheduler address (``tcp://host:8786``).
        executor: an executor to use instead of ``workers``/``scheduler``.
        folder: where to write the tables and one file per finished point; nothing is written
            when omitted.
        resume: keep points already finished in ``folder`` and run the rest.
        progress: called as ``progress(points_done, points_total)``.

    Raises:
        ScenarioError: the sweep file or its base scenario is invalid.
        ValueError: a spec without a base, or a file with one.
        SweepExists: ``folder`` already holds a sweep and ``resume`` is false (a
            :class:`FileExistsError`).
        ResultsWriteError: ``folder`` cannot be written.
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
    if workers == "auto":
        workers = auto_workers(expected_work(spec, base))
    with make_executor(workers, scheduler) as own:
        return run_sweep(spec, base, own, folder, resume, progress)
