"""The result-folder layer: the only reader and writer of every folder under ``results/``.

Layout (``results`` is the default root, ``-o`` chooses another)::

    results/<scenario>/<run-id>/              servsim run       (kind RUN)
    results/compare/<name>/<run-id>/          servsim compare   (kind COMPARISON)
    results/contact-levels/<name>/<run-id>/   servsim contact-levels (kind CONTACT_LEVELS)
    results/sweeps/<name>/                    servsim sweep     (kind SWEEP, resumable)
    results/staffing/<name>/<run-id>/         servsim staff     (kind STAFFING)
    results/<...>/<run-id>.failed/            a run that failed: scenario, manifest, error.txt
    results/<...>/.<run-id>.partial/          being written (or left by a killed writer)

Every folder has ``manifest.json``: kind, status (running, complete, failed, interrupted),
servsim version, the content hash of the scenario(s), seed, replications, command, created.
Readers accept only ``complete`` folders. A new kind is a :class:`ResultKind` plus a function
that writes its files into a :class:`Recording`.
"""

from servsim.results.folders import (
    COMPARISON,
    COMPLETE,
    CONTACT_LEVELS,
    FAILED,
    INTERRUPTED,
    MANIFEST,
    RESOLVED_SCENARIO,
    RUN,
    RUNNING,
    STAFFING,
    SWEEP,
    FailedResultFolder,
    NotAResultFolder,
    Recording,
    ResultKind,
    ResultsWriteError,
    StalePartials,
    base_manifest,
    check_writable,
    clean_stale_partials,
    content_hash,
    make_folder,
    new_run_id,
    read_manifest,
    recording,
    scenario_hash,
    scenario_yaml,
    staged_folder,
    write_atomic,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)
from servsim.results.kinds import (
    SATISFACTION_TABLES,
    SavedRun,
    comparison_manifest,
    load_run,
    read_run,
    run_manifest,
    save_comparison,
    save_contact_levels,
    save_run,
    save_staffing,
    start_comparison,
    start_run,
    write_comparison,
    write_run,
)
from servsim.results.spool import TableSpool, join_spooled, remove_spool
from servsim.results.sweeps import POINT_FILES, SweepExists, SweepFolder, open_sweep, read_sweep

__all__ = [
    "COMPARISON",
    "COMPLETE",
    "CONTACT_LEVELS",
    "FAILED",
    "INTERRUPTED",
    "MANIFEST",
    "POINT_FILES",
    "RESOLVED_SCENARIO",
    "RUN",
    "RUNNING",
    "SATISFACTION_TABLES",
    "STAFFING",
    "SWEEP",
    "FailedResultFolder",
    "NotAResultFolder",
    "Recording",
    "ResultKind",
    "ResultsWriteError",
    "SavedRun",
    "StalePartials",
    "SweepExists",
    "SweepFolder",
    "TableSpool",
    "base_manifest",
    "check_writable",
    "clean_stale_partials",
    "comparison_manifest",
    "content_hash",
    "join_spooled",
    "load_run",
    "make_folder",
    "new_run_id",
    "open_sweep",
    "read_manifest",
    "read_run",
    "read_sweep",
    "recording",
    "remove_spool",
    "run_manifest",
    "save_comparison",
    "save_contact_levels",
    "save_run",
    "save_staffing",
    "scenario_hash",
    "scenario_yaml",
    "staged_folder",
    "start_comparison",
    "start_run",
    "write_atomic",
    "write_comparison",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_run",
    "write_text",
]
