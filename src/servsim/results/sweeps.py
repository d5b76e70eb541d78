"""A sweep's folder, ``results/sweeps/<name>/``: updated point by point, resumable.

Unlike a run, a sweep's folder is not written once: each finished point is saved at once to
``points/<index>-<key>.parquet``, so an interrupted sweep keeps its work. The manifest records
the definition every point shares (base scenario hash, seed, replications, servsim version,
parameters) and a status: ``running`` while points run, ``complete`` once the tables are
written, ``failed`` or ``interrupted`` otherwise. :func:`read_sweep` reads only a complete one.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from servsim.results.folders import (
    COMPLETE,
    ERROR_FILE,
    FAILED,
    INTERRUPTED,
    MANIFEST,
    RESOLVED_SCENARIO,
    RUNNING,
    SWEEP,
    NotAResultFolder,
    ResultsWriteError,
    StalePartials,
    clean_stale_partials,
    make_folder,
    now_text,
    read_manifest,
    scenario_yaml,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)

if TYPE_CHECKING:
    from servsim.scenario import Scenario

POINT_FILES = "points"
SWEEP_FILE = "sweep.yaml"
DEFINITION_FIELDS = ("base_scenario_hash", "seed", "replications", "servsim_version", "parameters")
"""Manifest fields a sweep's points depend on; a change to any changes the points' keys."""


class SweepExists(FileExistsError):
    """The folder already holds a sweep and it was not asked to resume."""


@dataclass
class SweepFolder:
    """An open sweep folder.

    Attributes:
        folder: ``results/sweeps/<name>/``.
        manifest: the manifest as this run writes it.
        previous: the manifest found there before (None for a new folder).
        stale: partial files of a killed writer, removed or kept.
    """

    folder: Path
    manifest: dict[str, Any]
    previous: dict[str, Any] | None
    stale: StalePartials

    @property
    def points(self) -> Path:
        """Where finished points are saved, one file each."""
        return self.folder / POINT_FILES

    def changed(self) -> list[str]:
        """What of the definition changed since the folder's last run, as ``field: old -> new``."""
        if self.previous is None:
            return []
        out = []
        for name in DEFINITION_FIELDS:
            old, new = self.previous.get(name), self.manifest.get(name)
            if old != new:
                shown = "content changed" if name == "base_scenario_hash" else f"{old} -> {new}"
                out.append(f"{name.removesuffix('_hash')}: {shown}")
        return out

    def finished(self, filename: str) -> pd.DataFrame | None:
        """A point saved earlier under this exact key, or None."""
        path = self.points / filename
        return pd.read_parquet(path) if path.is_file() else None

    def save_point(self, filename: str, frame: pd.DataFrame) -> None:
        """Save one finished point at once (atomically)."""
        write_parquet(self.points / filename, frame)

    def discard_points_except(self, keep: Iterable[str]) -> int:
        """Remove saved points of an older definition (key no longer asked); return how many."""
        wanted = set(keep)
        removed = 0
        for path in self.points.iterdir():
            if path.is_file() and not path.name.startswith(".") and path.name not in wanted:
                path.unlink()
                removed += 1
        return removed

    def save_tables(
        self, table: pd.DataFrame, summary: pd.DataFrame, failures: pd.DataFrame
    ) -> None:
        """Write the sweep's tables and mark the folder complete."""
        write_parquet(self.folder / "table.parquet", table)
        write_csv(self.folder / "table.csv", table)
        write_csv(self.folder / "summary.csv", summary)
        write_csv(self.folder / "failures.csv", failures)
        (self.folder / ERROR_FILE).unlink(missing_ok=True)
        self._status(COMPLETE)

    def stop(self, exc: BaseException) -> None:
        """Mark the folder failed or interrupted, with the error; finished points stay."""
        status = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else FAILED
        with suppress(OSError, ResultsWriteError):  # the disk may refuse even this note
            write_text(self.folder / ERROR_FILE, "".join(traceback.format_exception(exc)))
            self._status(status)

    def _status(self, status: str) -> None:
        self.manifest.update(status=status, finished=now_text())
        write_json(self.folder / MANIFEST, self.manifest)


def open_sweep(
    folder: Path,
    manifest: dict[str, Any],
    spec_yaml: str,
    base: Scenario,
    resume: bool,
) -> SweepFolder:
    """Open (or create) a sweep folder for a run of the sweep this manifest describes.

    Raises:
        SweepExists: the folder holds points and ``resume`` is false.
        ResultsWriteError: the folder cannot be created or written.
    """
    stale = clean_stale_partials(folder)  # point files of a writer killed mid-write
    points = folder / POINT_FILES
    if points.is_dir() and any(points.iterdir()) and not resume:
        raise SweepExists(
            f"{folder} already holds a sweep; resume it (--resume) or choose another folder"
        )
    previous = None
    if (folder / MANIFEST).is_file():
        try:
            previous = read_manifest(folder)
        except NotAResultFolder:
            previous = None
    make_folder(points)
    created = previous.get("created") if previous else None
    opened = SweepFolder(
        folder,
        {**manifest, "created": created or manifest.get("created"), "status": RUNNING},
        previous,
        stale,
    )
    write_text(folder / SWEEP_FILE, spec_yaml)
    write_text(folder / RESOLVED_SCENARIO, scenario_yaml(base))
    write_json(folder / MANIFEST, opened.manifest)
    return opened


def read_sweep(folder: str | Path) -> dict[str, pd.DataFrame]:
    """A complete sweep's tables: table (per point and replication), summary, failures.

    Raises:
        FailedResultFolder: the sweep failed, was interrupted or is still running.
        NotAResultFolder: it is not a sweep folder.
    """
    folder = Path(folder)
    SWEEP.check(folder)
    tables = {
        "table": pd.read_parquet(folder / "table.parquet"),
        "summary": pd.read_csv(folder / "summary.csv"),
    }
    if (folder / "failures.csv").is_file():
        tables["failures"] = pd.read_csv(folder / "failures.csv")
    return tables
