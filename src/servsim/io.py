"""Saving a run: ``results/<scenario>/<run-id>/`` written whole or not at all.

Everything goes into a hidden temporary folder beside the final one, which is renamed into
place only once every file is written: an interrupted run leaves no half-written folder that
a later analysis could mistake for a result. Comparisons are saved the same way, under
``results/compare/<name>/<run-id>/``.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from servsim.experiment import SimulationResult
from servsim.records import RECORD_TYPES

if TYPE_CHECKING:
    from servsim.compare import Comparison
    from servsim.scenario import Scenario

RESOLVED_SCENARIO = "scenario.resolved.yaml"
SATISFACTION_TABLES = ("moments", "satisfaction")
"""Tables of simulated satisfaction saved beside the records: ``<name>.parquet``."""


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a short random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def scenario_yaml(result: SimulationResult | Scenario) -> str:
    """The resolved scenario (of a result, or itself) as YAML that ``servsim run`` accepts again."""
    scenario = result.scenario if isinstance(result, SimulationResult) else result
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a hidden staging folder that becomes ``final`` only if the block completes.

    Whatever interrupts the block (an error, Ctrl-C) removes the staging folder, so ``final``
    either holds every file or does not exist.

    Raises:
        FileExistsError: ``final`` already exists.
    """
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    staging = parent / f".{final.name}.partial"
    staging.mkdir()
    try:
        yield staging
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
    """
    from servsim.version import __version__

    run_id = run_id or new_run_id()
    final = Path(root) / result.scenario.name / run_id
    with staged_folder(final) as staging:
        (staging / RESOLVED_SCENARIO).write_text(scenario_yaml(result), encoding="utf-8")
        result.replications.to_csv(staging / "replications.csv", index=False)
        result.summary.to_csv(staging / "summary.csv", index_label="metric")
        for name, table in result.records.as_dict().items():
            _parquet(table, staging / f"{name}.parquet")
        _parquet(result.moments, staging / "moments.parquet")
        _parquet(result.satisfaction, staging / "satisfaction.parquet")
        manifest = {
            "servsim_version": __version__,
            "scenario": result.scenario.name,
            "run_id": run_id,
            "seed": result.seed,
            "replications": len(result.replications),
            "stopping": result.stopping.describe() if result.stopping is not None else None,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": list(command) if command is not None else None,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "warnings": list(result.warnings),
            "files": sorted([*(p.name for p in staging.iterdir()), "manifest.json"]),
            **(extra_manifest or {}),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return final


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

    Each of ``replications``, ``summary`` and ``differences`` is saved as CSV (to read) and
    Parquet (to analyse, with types kept), beside every compared scenario resolved
    (``scenarios/<name>.yaml``), so the comparison can be run again exactly.
    """
    from servsim.version import __version__

    run_id = run_id or new_run_id()
    final = Path(root) / "compare" / name / run_id
    with staged_folder(final) as staging:
        for label, table in (
            ("replications", comparison.replications),
            ("summary", comparison.summary),
            ("differences", comparison.differences),
        ):
            table.to_csv(staging / f"{label}.csv", index=False)
            _parquet(table, staging / f"{label}.parquet")
        (staging / "scenarios").mkdir()
        for scenario_name, scenario in zip(comparison.names, scenarios, strict=True):
            (staging / "scenarios" / f"{scenario_name}.yaml").write_text(
                scenario_yaml(scenario), encoding="utf-8"
            )
        manifest = {
            "servsim_version": __version__,
            "comparison": name,
            "scenarios": list(comparison.names),
            "reference": comparison.names[0],
            "run_id": run_id,
            "seed": seed,
            "replications": int(comparison.replications["replication"].nunique()),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": list(command) if command is not None else None,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "files": sorted([*(p.name for p in staging.iterdir()), "manifest.json"]),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return final


def _parquet(table: pd.DataFrame, path: Path) -> None:
    table.to_parquet(path, index=False)


def read_run(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read a saved run's tables back: summary, replications, records, moments, satisfaction.

    A run saved before satisfaction was simulated has no moments or satisfaction tables.
    """
    folder = Path(folder)
    tables: dict[str, pd.DataFrame] = {
        "summary": pd.read_csv(folder / "summary.csv", index_col="metric"),
        "replications": pd.read_csv(folder / "replications.csv"),
    }
    for name in RECORD_TYPES:
        tables[name] = pd.read_parquet(folder / f"{name}.parquet")
    for name in SATISFACTION_TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            tables[name] = pd.read_parquet(path)
    return tables
