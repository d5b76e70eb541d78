"""What each kind of result folder holds: runs and comparisons, written and read back.

``results/<scenario>/<run-id>/`` holds a run, ``results/compare/<name>/<run-id>/`` a
comparison; both are recorded through :func:`servsim.results.folders.recording`, so they land
whole or are kept marked failed. The experiment runner is imported for type checking only:
the report reads runs through :func:`load_run` without importing the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from servsim.intervals import day_table, interval_table
from servsim.notices import Notice
from servsim.records import RECORD_TYPES
from servsim.results.folders import (
    COMPARISON,
    RESOLVED_SCENARIO,
    RUN,
    NotAResultFolder,
    Recording,
    base_manifest,
    recording,
    scenario_hash,
    scenario_yaml,
    write_csv,
    write_parquet,
)
from servsim.results.spool import join_spooled, remove_spool

if TYPE_CHECKING:
    from servsim.compare import Comparison
    from servsim.experiment import SimulationResult
    from servsim.scenario import Scenario

SATISFACTION_TABLES = ("moments", "satisfaction")
"""Tables of simulated satisfaction saved beside the records: ``<name>.parquet``."""
INTERVAL_TABLES = ("intervals", "days")
"""The interval view saved with a run (``<name>.parquet`` and ``<name>.csv``)."""
SUM_TABLES = ("importance",)
"""Sums saved with every run, whatever ``records`` kept: importance-performance per
replication and touchpoint (``importance.parquet``)."""
SCENARIOS = "scenarios"
"""A comparison's subfolder of resolved scenarios, one ``<name>.yaml`` each."""


# --------------------------------------------------------------------------- runs


def run_manifest(
    scenario: Scenario,
    seed: int | None,
    replications: int | str | None,
    command: Sequence[str] | None,
) -> dict[str, Any]:
    """The manifest a run starts with, before it has simulated anything."""
    return {
        **base_manifest("run", seed=seed, replications=replications, command=command),
        "scenario": scenario.name,
        "scenario_hash": scenario_hash(scenario),
    }


def start_run(record: Recording, scenario: Scenario) -> None:
    """What a run records before simulating: its resolved scenario (kept even if it fails)."""
    record.text(RESOLVED_SCENARIO, scenario_yaml(scenario))


def save_run(
    record: Recording, result: SimulationResult, extra_manifest: dict[str, Any] | None = None
) -> None:
    """Write a finished run's tables and complete its manifest."""
    start_run(record, result.scenario)
    folder = record.folder
    record.table("replications", result.replications)
    write_csv(folder / "summary.csv", result.summary, index_label="metric")
    if result.spool is not None:  # written batch by batch while the run went: join them
        for name in (*RECORD_TYPES, *SATISFACTION_TABLES):
            if not join_spooled(result.spool, name, folder / f"{name}.parquet"):
                empty = result.records.as_dict().get(name, pd.DataFrame())
                write_parquet(folder / f"{name}.parquet", empty)
        remove_spool(result.spool)
    elif result.scenario.records == "full":  # a summary run kept no records to write
        for name, table in result.records.as_dict().items():
            write_parquet(folder / f"{name}.parquet", table)
        write_parquet(folder / "moments.parquet", result.moments)
        write_parquet(folder / "satisfaction.parquet", result.satisfaction)
    length = result.scenario.reporting.interval
    if not result.importance.empty:
        write_parquet(folder / "importance.parquet", result.importance)
    sums = result.intervals if not result.intervals.empty else result.records
    record.table("intervals", interval_table(sums, result.scenario, length), parquet=True)
    record.table("days", day_table(sums, result.scenario, length), parquet=True)
    record.update(
        seed=result.seed,
        replications=len(result.replications),
        scenario_hash=scenario_hash(result.scenario),
        stopping=result.stopping.describe() if result.stopping is not None else None,
        stopping_notice=result.stopping.notice().to_json() if result.stopping else None,
        warnings=[_saved_warning(w) for w in result.notices],
        **(extra_manifest or {}),
    )


def _saved_warning(warning: Notice | str) -> dict[str, Any] | str:
    """A warning as the manifest keeps it: code, fields and its English ``text`` (a notice)."""
    return warning.to_json() if isinstance(warning, Notice) else str(warning)


def write_run(
    result: SimulationResult,
    root: str | Path = "results",
    command: Sequence[str] | None = None,
    run_id: str | None = None,
    extra_manifest: dict[str, Any] | None = None,
) -> Path:
    """Write a run's files atomically and return the folder.

    Args:
        result: what :func:`servsim.simulate` returned.
        root: the results folder; the run lands in ``root/<scenario>/<run-id>``.
        command: the command line that produced it, for the manifest.
        run_id: a chosen id; a new one when omitted.
        extra_manifest: more fields for ``manifest.json``.

    Raises:
        ResultsWriteError: the folder cannot be written.
    """
    manifest = run_manifest(result.scenario, result.seed, len(result.replications), command)
    with recording(RUN, root, result.scenario.name, manifest, run_id) as record:
        save_run(record, result, extra_manifest)
    return record.folder


@dataclass(frozen=True)
class SavedRun:
    """A complete run folder, read back.

    Attributes:
        folder: where it is.
        manifest: ``manifest.json``.
        resolved: the resolved scenario as a mapping (as saved; not validated).
        summary: one row per metric (index ``metric``): mean, CI.
        tables: every other table found: replications, the records, moments, satisfaction.
    """

    folder: Path
    manifest: dict[str, Any]
    resolved: dict[str, Any]
    summary: pd.DataFrame
    tables: dict[str, pd.DataFrame]

    @property
    def scenario_file(self) -> Path:
        """The resolved scenario's file, which ``servsim run`` (and load_scenario) accepts."""
        return self.folder / RESOLVED_SCENARIO


def load_run(folder: str | Path) -> SavedRun:
    """Read a complete run folder; optional tables that are missing are simply absent.

    Raises:
        FailedResultFolder: the folder records a failed or interrupted run.
        NotAResultFolder: it is not a run folder (the message names the missing files).
    """
    folder = Path(folder)
    manifest = RUN.check(folder)
    resolved = yaml.safe_load((folder / RESOLVED_SCENARIO).read_text(encoding="utf-8")) or {}
    summary = pd.read_csv(folder / "summary.csv", index_col="metric")
    tables: dict[str, pd.DataFrame] = {}
    if (folder / "replications.csv").is_file():
        tables["replications"] = pd.read_csv(folder / "replications.csv")
    for name in (*RECORD_TYPES, *SATISFACTION_TABLES, *INTERVAL_TABLES, *SUM_TABLES):
        path = folder / f"{name}.parquet"
        if path.is_file():
            tables[name] = pd.read_parquet(path)
    return SavedRun(folder, manifest, resolved, summary, tables)


def read_run(folder: str | Path) -> dict[str, pd.DataFrame]:
    """A saved run's tables: summary, replications, records, moments, satisfaction.

    A run saved before satisfaction was simulated has no moments or satisfaction tables.

    Raises:
        FailedResultFolder: the folder records a failed or interrupted run.
        NotAResultFolder: it is not a run folder, or lacks a record table.
    """
    saved = load_run(folder)
    lacking = [n for n in ("replications", *RECORD_TYPES) if n not in saved.tables]
    if lacking:
        raise NotAResultFolder(f"{saved.folder} lacks the tables " + ", ".join(lacking))
    return {"summary": saved.summary, **saved.tables}


# --------------------------------------------------------------------------- comparisons


def comparison_manifest(
    names: Sequence[str],
    scenarios: Sequence[Scenario],
    seed: int | None,
    replications: int | None,
    command: Sequence[str] | None,
    name: str,
) -> dict[str, Any]:
    """The manifest a comparison starts with: every scenario's name and content hash."""
    return {
        **base_manifest("comparison", seed=seed, replications=replications, command=command),
        "comparison": name,
        "scenarios": list(names),
        "reference": names[0],
        "scenario_hash": {n: scenario_hash(s) for n, s in zip(names, scenarios, strict=True)},
    }


def start_comparison(
    record: Recording, names: Sequence[str], scenarios: Sequence[Scenario]
) -> None:
    """What a comparison records before running: every scenario resolved, to rerun it exactly."""
    for scenario_name, scenario in zip(names, scenarios, strict=True):
        record.text(f"{SCENARIOS}/{scenario_name}.yaml", scenario_yaml(scenario))


def save_contact_levels(
    record: Recording,
    scenarios: Sequence[Scenario],
    comparison: pd.DataFrame,
    sensitivities: pd.DataFrame | None = None,
) -> None:
    """Write a contact-level study's files.

    The scenarios as run, the side-by-side table, the staffing of each scenario, and with
    ``--derive`` the sensitivities.
    """
    for scenario in scenarios:
        record.text(f"{SCENARIOS}/{scenario.name}.yaml", scenario_yaml(scenario))
    record.table("comparison", comparison, parquet=True)
    staffing = pd.DataFrame(
        [
            {
                "scenario": scenario.name,
                "contact_level": scenario.contact_level,
                "pool": pool.name,
                "side": side,
                "headcount_per_shift": "/".join(str(s.headcount) for s in pool.shifts)
                or str(pool.headcount),
            }
            for scenario in scenarios
            for side, pool in scenario.staff.pools()
        ]
    )
    record.table("staffing", staffing)
    if sensitivities is not None:
        record.table("sensitivities", sensitivities, parquet=True)


def save_staffing(
    record: Recording,
    scenario: Scenario,
    intervals: pd.DataFrame,
    targets: pd.DataFrame,
    shifts: pd.DataFrame,
    iterations: pd.DataFrame,
) -> None:
    """Write a staffing plan's files.

    ``scenario.yaml`` is the scenario with the planned staffing, which ``servsim run`` accepts
    as it is; ``intervals`` the per-interval requirements, schedule and achieved service;
    ``targets`` each target judged on the verified plan; ``shifts`` the chosen shifts (with
    shift templates); ``iterations`` how the requirement settled.
    """
    record.text("scenario.yaml", scenario_yaml(scenario))
    record.table("intervals", intervals, parquet=True)
    record.table("targets", targets)
    record.table("iterations", iterations)
    if not shifts.empty:
        record.table("shifts", shifts)


def save_comparison(record: Recording, comparison: Comparison) -> None:
    """Write a finished comparison's tables (CSV to read, Parquet with types kept)."""
    for label, table in (
        ("replications", comparison.replications),
        ("summary", comparison.summary),
        ("differences", comparison.differences),
    ):
        record.table(label, table, parquet=True)
    inputs = pd.DataFrame(
        [
            {"scenario": name, "path": path, "reference": str(mine), "value": str(theirs)}
            for name, found in comparison.inputs.items()
            for path, mine, theirs in found
        ],
        columns=["scenario", "path", "reference", "value"],
    )
    record.table("inputs", inputs, parquet=False)
    record.update(replications=int(comparison.replications["replication"].nunique()))


def write_comparison(
    comparison: Comparison,
    scenarios: Sequence[Scenario],
    name: str,
    root: str | Path = "results",
    seed: int | None = None,
    command: Sequence[str] | None = None,
    run_id: str | None = None,
) -> Path:
    """Write a comparison's tables atomically to ``root/compare/<name>/<run-id>`` and return it.

    Each of ``replications``, ``summary`` and ``differences`` is saved as CSV and Parquet,
    beside every compared scenario resolved (``scenarios/<name>.yaml``), so the comparison can
    be run again exactly.

    Raises:
        ResultsWriteError: the folder cannot be written.
    """
    count = int(comparison.replications["replication"].nunique())
    manifest = comparison_manifest(comparison.names, scenarios, seed, count, command, name)
    with recording(COMPARISON, root, name, manifest, run_id) as record:
        start_comparison(record, comparison.names, scenarios)
        save_comparison(record, comparison)
    return record.folder
