"""Saving and reading runs: kept for existing imports; the layer is :mod:`servsim.results`.

``from servsim.io import write_run, read_run, RESOLVED_SCENARIO`` keeps working; new code
imports from :mod:`servsim.results`, the only reader and writer of result folders.
"""

from __future__ import annotations

from servsim.results import (
    RESOLVED_SCENARIO,
    SATISFACTION_TABLES,
    new_run_id,
    read_run,
    scenario_yaml,
    staged_folder,
    write_comparison,
    write_run,
)

__all__ = [
    "RESOLVED_SCENARIO",
    "SATISFACTION_TABLES",
    "new_run_id",
    "read_run",
    "scenario_yaml",
    "staged_folder",
    "write_comparison",
    "write_run",
]
