"""Comparison, contact-level, staffing and sweep folders read back, for reports.

The writers live in :mod:`servsim.results.kinds` and :mod:`servsim.results.sweeps`; these are
their readers, so that a report of any kind reads a folder through this layer (which refuses a
failed or unfinished one) and never parses a results file by hand. Each reader returns plain
tables and mappings: the saved files as they are, nothing recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from servsim.results.folders import (
    COMPARISON,
    CONTACT_LEVELS,
    RUN,
    STAFFING,
    SWEEP,
    NotAResultFolder,
    ResultKind,
    read_manifest,
)
from servsim.results.kinds import SCENARIOS
from servsim.results.sweeps import SWEEP_FILE, read_sweep

__all__ = [
    "KINDS",
    "SavedComparison",
    "SavedContactLevels",
    "SavedStaffing",
    "SavedSweep",
    "kind_of",
    "load_comparison",
    "load_contact_levels",
    "load_staffing",
    "load_sweep_folder",
]

KINDS: tuple[ResultKind, ...] = (RUN, COMPARISON, CONTACT_LEVELS, STAFFING, SWEEP)
"""Every kind of result folder, by the ``kind`` its manifest records."""


def kind_of(folder: Path) -> ResultKind | None:
    """The kind a folder's manifest names (whatever its status), None without a known one.

    Only the manifest is read: whether the folder is complete is the reader's check
    (:meth:`ResultKind.check`), which says what lacks or what went wrong.
    """
    try:
        manifest = read_manifest(folder)
    except NotAResultFolder:
        return None
    name = manifest.get("kind")
    return next((kind for kind in KINDS if kind.name == name), None)


def _csv(path: Path) -> pd.DataFrame:
    """A saved CSV table, or an empty one when it was not saved (an optional table)."""
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def _table(folder: Path, name: str) -> pd.DataFrame:
    """``<name>.parquet`` (types kept) when saved, else ``<name>.csv``, else an empty table."""
    parquet = folder / f"{name}.parquet"
    return pd.read_parquet(parquet) if parquet.is_file() else _csv(folder / f"{name}.csv")


def _text(column: pd.Series) -> pd.Series:
    """A text column read back from CSV: empty cells (read as NaN) are empty strings again."""
    return column.map(lambda value: "" if pd.isna(value) else str(value))


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return data if isinstance(data, dict) else {}


def _scenarios(folder: Path) -> dict[str, dict[str, Any]]:
    """The resolved scenarios a folder keeps (``scenarios/<name>.yaml``), by name."""
    where = folder / SCENARIOS
    if not where.is_dir():
        return {}
    return {path.stem: _yaml(path) for path in sorted(where.glob("*.yaml"))}


@dataclass(frozen=True)
class SavedComparison:
    """A complete ``servsim compare`` folder.

    Attributes:
        folder: where it is.
        manifest: ``manifest.json`` (``scenarios`` in order, the first the reference).
        summary: one row per scenario and metric: mean and 95% CI.
        differences: one row per other scenario and metric: the paired difference to the
            reference, its CI, ``significant`` as saved, and a ``note``.
        inputs: every input that differs from the reference, per scenario.
        scenarios: each compared scenario, resolved, by name.
    """

    folder: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame
    differences: pd.DataFrame
    inputs: pd.DataFrame
    scenarios: dict[str, dict[str, Any]]

    @property
    def names(self) -> list[str]:
        """The scenarios in the order they were compared; the first is the reference."""
        saved = self.manifest.get("scenarios")
        if isinstance(saved, list) and saved:
            return [str(name) for name in saved]
        return list(dict.fromkeys(str(name) for name in self.summary["scenario"]))


def load_comparison(folder: str | Path) -> SavedComparison:
    """Read a complete comparison folder.

    Raises:
        FailedResultFolder: the comparison failed or was interrupted.
        NotAResultFolder: it is not a comparison folder (the message names what lacks).
    """
    folder = Path(folder)
    manifest = COMPARISON.check(folder)
    differences = _table(folder, "differences")
    if "note" in differences.columns:
        differences["note"] = _text(differences["note"])
    return SavedComparison(
        folder,
        manifest,
        _table(folder, "summary"),
        differences,
        _csv(folder / "inputs.csv"),
        _scenarios(folder),
    )


@dataclass(frozen=True)
class SavedContactLevels:
    """A complete ``servsim contact-levels`` folder.

    Attributes:
        folder: where it is.
        manifest: ``manifest.json``.
        comparison: one row per scenario and metric (``contact_level``, ``archetype``, mean, CI).
        staffing: per scenario and pool, the headcount of each shift.
        sensitivities: with ``--derive``, per scenario and change, the paired effect and its
            CI; empty otherwise.
        scenarios: each scenario as run, by name.
    """

    folder: Path
    manifest: dict[str, Any]
    comparison: pd.DataFrame
    staffing: pd.DataFrame
    sensitivities: pd.DataFrame
    scenarios: dict[str, dict[str, Any]]


def load_contact_levels(folder: str | Path) -> SavedContactLevels:
    """Read a complete contact-level folder.

    Raises:
        FailedResultFolder: the study failed or was interrupted.
        NotAResultFolder: it is not a contact-level folder.
    """
    folder = Path(folder)
    manifest = CONTACT_LEVELS.check(folder)
    staffing = _csv(folder / "staffing.csv")
    if "headcount_per_shift" in staffing.columns:
        staffing["headcount_per_shift"] = _text(staffing["headcount_per_shift"])
    return SavedContactLevels(
        folder,
        manifest,
        _table(folder, "comparison"),
        staffing,
        _table(folder, "sensitivities"),
        _scenarios(folder),
    )


@dataclass(frozen=True)
class SavedStaffing:
    """A complete ``servsim staff`` folder.

    Attributes:
        folder: where it is.
        manifest: ``manifest.json``: targets, ``met`` and ``cost`` (mean staff cost per
            replication of the verified plan).
        scenario: the scenario with the planned staffing, as a mapping.
        intervals: per interval and pool: requirements, scheduled staff, service achieved.
        targets: per target and pool: mean, CI, met.
        shifts: the chosen shifts (empty without shift templates).
        iterations: how the requirement settled.
    """

    folder: Path
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    intervals: pd.DataFrame
    targets: pd.DataFrame
    shifts: pd.DataFrame
    iterations: pd.DataFrame


def load_staffing(folder: str | Path) -> SavedStaffing:
    """Read a complete staffing folder.

    Raises:
        FailedResultFolder: the staffing run failed or was interrupted.
        NotAResultFolder: it is not a staffing folder.
    """
    folder = Path(folder)
    manifest = STAFFING.check(folder)
    targets = _csv(folder / "targets.csv")
    if "pool" in targets.columns:
        targets["pool"] = _text(targets["pool"])
    shifts = _csv(folder / "shifts.csv")
    if "break" in shifts.columns:
        shifts["break"] = _text(shifts["break"])
    return SavedStaffing(
        folder,
        manifest,
        _yaml(folder / "scenario.yaml"),
        _table(folder, "intervals"),
        targets,
        shifts,
        _csv(folder / "iterations.csv"),
    )


@dataclass(frozen=True)
class SavedSweep:
    """A complete ``servsim sweep`` folder.

    Attributes:
        folder: where it is.
        manifest: ``manifest.json``: the definition (base scenario, seed, replications).
        parameters: the swept dotted paths, in the sweep file's order.
        summary: one row per point and metric: the parameters' values, mean and 95% CI.
        failures: points that could not run (empty when every point ran).
        spec: the sweep file as run (``sweep.yaml``), as a mapping.
    """

    folder: Path
    manifest: dict[str, Any]
    parameters: list[str]
    summary: pd.DataFrame
    failures: pd.DataFrame
    spec: dict[str, Any]


def load_sweep_folder(folder: str | Path) -> SavedSweep:
    """Read a complete sweep folder.

    Raises:
        FailedResultFolder: the sweep failed, was interrupted or is still running.
        NotAResultFolder: it is not a sweep folder.
    """
    folder = Path(folder)
    tables = read_sweep(folder)
    manifest = read_manifest(folder)
    spec = _yaml(folder / SWEEP_FILE)
    parameters = manifest.get("parameters") or list((spec.get("parameters") or {}).keys())
    return SavedSweep(
        folder,
        manifest,
        [str(p) for p in parameters],
        tables["summary"],
        tables.get("failures", pd.DataFrame()),
        spec,
    )
