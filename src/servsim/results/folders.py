"""Result folders: atomic files, staged folders, manifests, status, stale partial folders.

Every folder under ``results/`` is written and read through this module, whatever produced it
(a run, a comparison, a sweep, and kinds that come later): one atomic writer
(:func:`write_atomic`), one manifest with a ``status``, and one rule for readers: only a
folder whose manifest says ``complete`` is a result. A run that fails or is interrupted still
leaves what was tried (its resolved scenario, its manifest with ``status: failed`` and the
error) in a folder named ``<run-id>.failed`` (or ``.interrupted``) that every reader refuses.

A writer killed outright (``kill -9``, a power cut) cannot clean up: it leaves a hidden
``.<name>.partial`` folder or file. :func:`clean_stale_partials`, called before each new run in
a results root, removes those whose writer process is gone (or, lacking a writer file, that are
older than :data:`STALE_AFTER` seconds) and reports the ones it cannot judge.

This module imports neither the model nor the experiment runner, so the report (which must
never simulate) reads runs through it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from servsim import version
from servsim.scenario import resolve_scenario

if TYPE_CHECKING:
    from servsim.scenario import Scenario

MANIFEST = "manifest.json"
RESOLVED_SCENARIO = "scenario.resolved.yaml"
ERROR_FILE = "error.txt"
WRITER_FILE = ".writer.json"
PARTIAL_SUFFIX = ".partial"
STALE_AFTER = 300.0
"""Seconds after which a partial file or folder without a known live writer is stale."""

COMPLETE = "complete"
RUNNING = "running"
FAILED = "failed"
INTERRUPTED = "interrupted"


class ResultsWriteError(Exception):
    """Results could not be written where asked (not a folder, unwritable, disk full).

    Attributes:
        path: where the data could not go.
        reason: the operating system's reason.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"could not write results to {path}: {reason}")
        self.path = path
        self.reason = reason


class NotAResultFolder(ValueError):
    """A folder that is not a complete result of the asked kind; the message says why."""


class FailedResultFolder(NotAResultFolder):
    """A folder that records a failed or interrupted attempt, never a result."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a short random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def now_text() -> str:
    """The current UTC time as manifests record it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- writing files


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a hidden temporary beside it, renamed into place when whole.

    The one writer of every result file: a reader never sees half a file, and a failure
    leaves no temporary behind.

    Raises:
        ResultsWriteError: the file could not be written (with the path and the reason).
    """
    temporary = path.with_name(f".{path.name}{PARTIAL_SUFFIX}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        raise ResultsWriteError(path, _reason(exc)) from exc
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write a JSON file atomically (indented, for people to read)."""
    write_text(path, json.dumps(data, indent=2, default=str))


def write_csv(path: Path, frame: pd.DataFrame, index_label: str | None = None) -> None:
    """Write a table as CSV atomically; the index is kept only when ``index_label`` names it."""
    if index_label is None:
        write_atomic(path, lambda p: frame.to_csv(p, index=False))
    else:
        write_atomic(path, lambda p: frame.to_csv(p, index_label=index_label))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a table as Parquet atomically (types kept, for analysis)."""
    write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def make_folder(path: Path) -> Path:
    """Create ``path`` (and its parents) for results.

    Raises:
        ResultsWriteError: it cannot be created (a file is in the way, no permission).
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsWriteError(path, _reason(exc)) from exc
    if not path.is_dir():
        raise ResultsWriteError(path, "a file is in the way (not a folder)")
    return path


def check_writable(folder: Path) -> Path:
    """Make sure results can be written in ``folder`` before anything runs.

    Creates the folder if needed and writes (then removes) a small probe file, so a wrong
    ``-o`` or a read-only disk is reported before the simulation, not after it.

    Raises:
        ResultsWriteError: the folder cannot be created or written.
    """
    make_folder(folder)
    probe = folder / f".probe-{os.getpid()}-{secrets.token_hex(3)}{PARTIAL_SUFFIX}"
    try:
        probe.write_bytes(b"servsim")
    except OSError as exc:
        raise ResultsWriteError(folder, _reason(exc)) from exc
    finally:
        probe.unlink(missing_ok=True)
    return folder


# --------------------------------------------------------------------------- manifests


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario, resolved (every default filled), as YAML that ``servsim run`` accepts."""
    data = resolve_scenario(scenario).model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def content_hash(data: Any) -> str:
    """SHA-256 of data's canonical JSON: equal content, equal hash, whatever the key order."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_hash(scenario: Scenario) -> str:
    """The hash of a scenario's resolved content (what a result depends on, name included).

    A scenario as written and its resolved form hash the same: defaults a preset fills count
    as their values, not as their absence.
    """
    return content_hash(resolve_scenario(scenario).model_dump(mode="json", exclude_none=True))


def base_manifest(
    kind: str,
    *,
    seed: int | None,
    replications: int | str | None,
    command: Sequence[str] | None,
    status: str = RUNNING,
) -> dict[str, Any]:
    """The fields every result folder's manifest has, whatever its kind."""
    return {
        "kind": kind,
        "status": status,
        "servsim_version": version.__version__,
        "seed": seed,
        "replications": replications,
        "command": list(command) if command is not None else None,
        "created": now_text(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    """A folder's manifest.

    Raises:
        NotAResultFolder: it has no readable manifest.
    """
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAResultFolder(f"{folder} has no readable {MANIFEST} ({exc})") from None
    if not isinstance(data, dict):
        raise NotAResultFolder(f"{folder}: {MANIFEST} is not a JSON object")
    return data


def status_of(folder: Path) -> str | None:
    """The manifest's status (``complete`` for folders saved before status existed), or None."""
    try:
        return str(read_manifest(folder).get("status", COMPLETE))
    except NotAResultFolder:
        return None


def refuse_unfinished(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise :class:`FailedResultFolder` unless the manifest says the folder is complete."""
    status = str(manifest.get("status", COMPLETE))
    if status == COMPLETE:
        return
    error = folder / ERROR_FILE
    detail = ""
    if error.is_file():
        lines = error.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        detail = f"; last error: {lines[-1]}" if lines else ""
    raise FailedResultFolder(
        f"{folder} records a {status} {manifest.get('kind', 'run')}, not a result{detail}"
    )


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class ResultKind:
    """A kind of result folder: where it lives and which files make it whole.

    Adding a kind (a staffing plan, a contact-level study) is one of these plus a function
    that writes its files into a :class:`Recording`.

    Attributes:
        name: recorded in the manifest (``run``, ``comparison``, ``sweep``).
        subfolder: under the results root (``compare``); empty for runs, saved under
            ``results/<scenario>/``.
        required: files a complete folder of this kind has.
        made_by: the command that writes it, for messages.
    """

    name: str
    subfolder: str
    required: tuple[str, ...]
    made_by: str

    def parent(self, root: str | Path, name: str) -> Path:
        """The folder holding this kind's results called ``name``."""
        return Path(root, self.subfolder, name) if self.subfolder else Path(root, name)

    def missing(self, folder: Path) -> list[str]:
        """The required files ``folder`` lacks (all of them when it is not a folder)."""
        if not folder.is_dir():
            return list(self.required)
        return [name for name in self.required if not (folder / name).is_file()]

    def check(self, folder: Path) -> dict[str, Any]:
        """The manifest of a complete result of this kind.

        Raises:
            FailedResultFolder: the folder records a failed or interrupted attempt.
            NotAResultFolder: it is not a folder of this kind (the message names what lacks).
        """
        if folder.is_dir() and (folder / MANIFEST).is_file():
            refuse_unfinished(folder, read_manifest(folder))
        missing = self.missing(folder)
        if missing:
            raise NotAResultFolder(
                f"{folder} is not a {self.name} folder written by `{self.made_by}`: missing "
                + ", ".join(missing)
            )
        return read_manifest(folder)

    def results_in(self, folder: Path) -> list[Path]:
        """Complete results directly inside ``folder``, oldest first (ids sort by time)."""
        if not folder.is_dir():
            return []
        found = [
            child
            for child in folder.iterdir()
            if child.is_dir()
            and not child.name.startswith(".")
            and not self.missing(child)
            and status_of(child) == COMPLETE
        ]
        return sorted(found, key=lambda path: path.name)

    def newest(self, folder: Path) -> Path | None:
        """The newest complete result directly inside ``folder``; failed ones are skipped."""
        results = self.results_in(folder)
        return results[-1] if results else None


RUN = ResultKind("run", "", (MANIFEST, "summary.csv", RESOLVED_SCENARIO), made_by="servsim run")
COMPARISON = ResultKind(
    "comparison",
    "compare",
    (MANIFEST, "summary.csv", "differences.csv"),
    made_by="servsim compare",
)
CONTACT_LEVELS = ResultKind(
    "contact_levels",
    "contact-levels",
    (MANIFEST, "comparison.csv"),
    made_by="servsim contact-levels",
)
STAFFING = ResultKind(
    "staffing",
    "staffing",
    (MANIFEST, "intervals.csv", "targets.csv", "scenario.yaml"),
    made_by="servsim staff",
)
SWEEP = ResultKind(
    "sweep", "sweeps", (MANIFEST, "table.parquet", "summary.csv"), made_by="servsim sweep"
)


# --------------------------------------------------------------------------- recording


@dataclass
class Recording:
    """A result folder being written: files go to ``folder`` (hidden staging) until done.

    Attributes:
        kind: what is recorded.
        folder: where to write now (the staging folder).
        final: where the folder lands when complete.
        manifest: the manifest, updated with :meth:`update` and written at every change.
    """

    kind: ResultKind
    folder: Path
    final: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    stale: StalePartials | None = None

    def text(self, name: str, text: str) -> None:
        """Write a text file (a path relative to the folder; subfolders are created)."""
        path = self.folder / name
        make_folder(path.parent)
        write_text(path, text)

    def table(
        self, name: str, frame: pd.DataFrame, *, csv: bool = True, parquet: bool = False
    ) -> None:
        """Write ``<name>.csv`` and/or ``<name>.parquet``."""
        if csv:
            write_csv(self.folder / f"{name}.csv", frame)
        if parquet:
            write_parquet(self.folder / f"{name}.parquet", frame)

    def update(self, **fields: Any) -> None:
        """Add fields to the manifest and write it."""
        self.manifest.update(fields)
        write_json(self.folder / MANIFEST, self.manifest)

    def _files(self) -> list[str]:
        return sorted(
            p.relative_to(self.folder).as_posix()
            for p in self.folder.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )

    def _finish(self, status: str, target: Path, error: str | None = None) -> None:
        if error is not None:
            write_text(self.folder / ERROR_FILE, error)
        self.update(status=status, finished=now_text())
        self.update(files=self._files())
        (self.folder / WRITER_FILE).unlink(missing_ok=True)
        try:
            os.replace(self.folder, target)
        except OSError as exc:
            raise ResultsWriteError(target, _reason(exc)) from exc
        self.folder = target


def unfinished_name(final: Path, status: str) -> Path:
    """Where an attempt that did not complete is kept: ``<id>.failed``, ``<id>.interrupted``."""
    return final.with_name(f"{final.name}.{status}")


@contextmanager
def recording(
    kind: ResultKind,
    root: str | Path,
    name: str,
    manifest: dict[str, Any],
    run_id: str | None = None,
) -> Iterator[Recording]:
    """Record one result: a staged folder that lands whole, or is kept marked failed.

    The staging folder (``.<id>.partial``, with a writer file naming this process) is created
    first, so an unusable results folder is reported before any work. When the block
    completes, the manifest says ``complete`` and the folder is renamed into place. When it
    raises, the error and the manifest (``status: failed``, or ``interrupted`` for Ctrl-C) are
    written and the folder is renamed ``<id>.failed``: what was tried stays, no reader takes it
    for a result. The exception goes on.

    Args:
        kind: what is recorded.
        root: the results root.
        name: the scenario's or the comparison's name.
        manifest: the first manifest fields (see :func:`base_manifest`).
        run_id: a chosen id; a new one when omitted.

    Raises:
        ResultsWriteError: the folder cannot be created or written.
        FileExistsError: a result with this id exists already.
    """
    stale = clean_stale_partials(Path(root))
    run_id = run_id or new_run_id()
    final = kind.parent(root, name) / run_id
    staging = _open_staging(final)
    record = Recording(kind, staging, final, {**manifest, "run_id": run_id}, stale)
    try:
        record.update(kind=kind.name, status=RUNNING)
        yield record
    except BaseException as exc:
        status = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else FAILED
        error = "".join(traceback.format_exception(exc))
        # the disk may refuse even the failure note: the staging folder is then stale later
        with suppress(OSError, ResultsWriteError):
            record._finish(status, unfinished_name(final, status), error)
        raise
    record._finish(COMPLETE, final)


def _open_staging(final: Path) -> Path:
    make_folder(final.parent)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    staging = final.parent / f".{final.name}{PARTIAL_SUFFIX}"
    try:
        staging.mkdir()
    except OSError as exc:
        raise ResultsWriteError(final.parent, _reason(exc)) from exc
    write_json(staging / WRITER_FILE, _writer())
    return staging


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a hidden staging folder that becomes ``final`` only if the block completes.

    For files that are not a recorded result (a report's figures): whatever interrupts the
    block removes the staging folder, so ``final`` either holds every file or does not exist.

    Raises:
        FileExistsError: ``final`` already exists.
        ResultsWriteError: the folder cannot be written.
    """
    staging = _open_staging(final)
    try:
        yield staging
        (staging / WRITER_FILE).unlink(missing_ok=True)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- stale partials


def _writer() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: keep it
    return True


@dataclass(frozen=True)
class StalePartials:
    """What :func:`clean_stale_partials` found: removed, and kept because it cannot tell."""

    removed: list[Path]
    kept: list[Path]


def _is_stale(path: Path, now: float) -> bool | None:
    """True stale, False live, None unknown (another machine's writer that is not old)."""
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return False
    writer_file = path / WRITER_FILE
    if path.is_dir() and writer_file.is_file():
        try:
            writer = json.loads(writer_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return age > STALE_AFTER
        if writer.get("host") == socket.gethostname():
            return not _pid_alive(int(writer.get("pid", -1)))
        return None
    return age > STALE_AFTER


def clean_stale_partials(root: Path, depth: int = 4) -> StalePartials:
    """Remove partial folders and files left in ``root`` by writers that died mid-write.

    A partial folder names its writer (pid and host): it is stale when that process is gone
    from this machine. A partial file, or a folder without a writer file, is stale when older
    than :data:`STALE_AFTER` seconds (no write takes that long). A folder written from another
    machine cannot be judged and is kept and reported.
    """
    removed: list[Path] = []
    kept: list[Path] = []
    now = time.time()

    def visit(folder: Path, level: int) -> None:
        try:
            children = list(folder.iterdir())
        except OSError:
            return
        for child in children:
            if child.name.startswith(".") and child.name.endswith(PARTIAL_SUFFIX):
                stale = _is_stale(child, now)
                if stale is None:
                    kept.append(child)
                elif stale:
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
                    removed.append(child)
            elif level < depth and child.is_dir() and not child.name.startswith("."):
                visit(child, level + 1)

    if root.is_dir():
        visit(root, 1)
    return StalePartials(removed, kept)
