"""Where replications run: in this process, on local processes, or on a Dask cluster.

Work travels as :class:`ReplicationTask` (a scenario as JSON, a seed, replication numbers). For
sweeps and comparisons it comes back as plain metric dictionaries (:func:`run_task`), so a task
is small to send and its result small to return; a run (:func:`servsim.simulate`) needs every
replication in full, records included (:func:`run_replications`). A replication's numbers
depend only on (scenario, seed, replication number), never on the executor or the number of
workers: every executor gives the same table.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from servsim.replication import ReplicationResult, run_replication
from servsim.scenario import ResolvedScenario

T = TypeVar("T")
R = TypeVar("R")
DASK_ENVIRONMENT = "SERVSIM_DASK_SCHEDULER"
TASKS_PER_WORKER = 4


@dataclass(frozen=True)
class ReplicationTask:
    """Some replications of one resolved scenario: what a worker needs, and nothing more."""

    key: int  # the caller's index for the task (a sweep point, a scenario)
    scenario_json: str  # a ResolvedScenario: workers run it as it is
    seed: int
    replications: tuple[int, ...]
    spool: str | None = None  # where records: full writes its tables (a local folder)


@dataclass(frozen=True)
class TaskResult:
    """Metrics per replication of a task, or the error that stopped it."""

    key: int
    metrics: tuple[tuple[int, dict[str, float]], ...]
    error: str | None = None


def task_for(
    key: int,
    scenario: ResolvedScenario,
    seed: int,
    replications: Sequence[int],
    spool: Path | None = None,
) -> ReplicationTask:
    """Package replications of a resolved scenario for any executor (resolved by the caller).

    ``spool`` is a folder every worker can write to (local processes): the replications'
    record tables go there batch by batch (:func:`servsim.replication.run_replication`).
    """
    return ReplicationTask(
        key,
        scenario.model_dump_json(),
        seed,
        tuple(replications),
        str(spool) if spool is not None else None,
    )


def batches(replications: Sequence[int], workers: int) -> list[tuple[int, ...]]:
    """Replications cut into tasks of consecutive numbers, about four tasks per worker.

    Several replications per task decode the scenario once and send their results back in one
    go; four tasks per worker keep every worker busy to the end.
    """
    size = max(1, math.ceil(len(replications) / (TASKS_PER_WORKER * max(1, workers))))
    return [tuple(replications[i : i + size]) for i in range(0, len(replications), size)]


def _replications(task: ReplicationTask) -> Iterator[ReplicationResult]:
    scenario = ResolvedScenario.model_validate_json(task.scenario_json)
    spool = Path(task.spool) if task.spool is not None else None
    for replication in task.replications:
        yield run_replication(scenario, task.seed, replication, spool)


def run_replications(task: ReplicationTask) -> tuple[ReplicationResult, ...]:
    """Run a task's replications in full: records, moments and satisfaction (for a run).

    An error is raised, not reported: a run, unlike a sweep, has nothing to go on with.
    """
    return tuple(_replications(task))


def run_task(task: ReplicationTask) -> TaskResult:
    """Run a task's replications and keep only their metrics (for sweeps and comparisons).

    Each replication's records are dropped as soon as its metrics are computed.
    """
    try:
        metrics = tuple((result.replication, result.metrics) for result in _replications(task))
    except Exception as exc:  # a failing point is reported, it does not stop the others
        return TaskResult(task.key, (), f"{type(exc).__name__}: {exc}")
    return TaskResult(task.key, metrics)


class Executor(ABC):
    """Runs a function over items and yields results as they finish (in any order)."""

    workers: int = 1

    @abstractmethod
    def map_unordered(self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``function(item)`` for every item, as each finishes."""

    def close(self) -> None:  # noqa: B027 - executors without resources need no cleanup
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Everything in this process, in order: the reference the others must match."""

    def map_unordered(self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield results in the items' order."""
        for item in items:
            yield function(item)


class ProcessExecutor(Executor):
    """Local worker processes, one per core by default.

    Workers are forked from a clean server process that has already imported servsim
    (``forkserver``), so they start fast and inherit no threads of the caller.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["servsim.experiment"])
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def map_unordered(self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Keep every worker busy and yield results as they come back."""
        pending: set[Future[R]] = set()
        queue = list(reversed(items))
        try:
            while queue or pending:
                while queue and len(pending) < 2 * self.workers:
                    pending.add(self._pool.submit(function, queue.pop()))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the workers (cancelling what has not started)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """An existing Dask distributed cluster, by scheduler address (``tcp://host:8786``).

    Needs the optional extra: ``pip install "servsim[dask]"``. servsim must be installed on
    the workers too (the same version), since they import it to run tasks.
    """

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise RuntimeError(
                "running on a Dask cluster needs the dask extra: pip install 'servsim[dask]'"
            ) from exc
        self._client: Any = Client(address)  # type: ignore[no-untyped-call]
        info = self._client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def map_unordered(self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Submit every item and yield results as workers finish them."""
        from distributed import as_completed

        futures = [self._client.submit(function, item, pure=False) for item in items]
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self._client.close()


POOL_START_SECONDS = 1.5
"""What starting a local process pool costs (forkserver start, each worker's imports, the
scenario sent over): about 1.3 s on the reference machine (10 short replications took 1.85 s
on two fresh workers against 0.52 s in this process). Work shorter than two of these runs
serially."""
SECONDS_PER_CUSTOMER = 3e-5
"""What one simulated customer costs the whole pipeline on the reference machine (bench/)."""


def auto_workers(customers: float, cores: int | None = None) -> int:
    """How many local processes pay for ``customers`` simulated customers: 1 or every core.

    Parallel runs pay only when the serial work is well beyond the pools' start-up: below two
    start-ups of work, one process finishes first.
    """
    cores = cores or os.cpu_count() or 1
    if cores <= 1 or customers * SECONDS_PER_CUSTOMER < 2 * POOL_START_SECONDS:
        return 1
    return cores


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Serial for one worker, local processes for more, Dask when a scheduler is named.

    ``scheduler`` falls back to the ``SERVSIM_DASK_SCHEDULER`` environment variable.
    """
    scheduler = scheduler or os.environ.get(DASK_ENVIRONMENT)
    if scheduler:
        return DaskExecutor(scheduler)
    if workers is not None and workers <= 1:
        return SerialExecutor()
    return ProcessExecutor(workers)


def executor_for(workers: int | str, scheduler: str | None, customers: float) -> Executor:
    """The executor a command line's ``--workers``/``--scheduler`` ask for.

    ``workers`` is a count or ``auto`` (every core when ``customers``, the expected work,
    outweighs starting processes).

    Raises:
        RuntimeError: a Dask scheduler cannot be used (not installed, unreachable); the
            message names its address and why, for the user.
    """
    count = auto_workers(customers) if workers == "auto" else int(workers)
    try:
        return make_executor(count, scheduler)
    except (RuntimeError, OSError, ValueError) as exc:
        address = scheduler or os.environ.get(DASK_ENVIRONMENT)
        raise RuntimeError(f"cannot use the Dask scheduler at {address}: {exc}") from None
