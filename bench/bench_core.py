"""Benchmark: servsim's model against a bare SimPy M/M/c loop (and Ciw) in the same process.

Runs the M/M/7 validation scenario (``scenarios/validation/mmc_textbook.yaml``: 100 arrivals/h,
exponential service with mean 180 s, 7 agents) through

* ``servsim_model``: :func:`servsim.model.simulate_replication` (model + record tables),
* ``servsim_full``: :func:`servsim.simulate` with one replication (model + metrics + summary),
* ``bare_simpy``: the same queue as a tight SimPy loop with a minimal per-customer record,
* ``ciw``: the same queue in Ciw 3 (skipped when Ciw is not installed),

and prints customers simulated per second, the cost per customer of each engine relative to
bare SimPy, each engine's mean wait against Erlang C, and peak traced memory per run.

Ratios to the bare SimPy loop measured in this same run are the figures that matter; absolute
seconds depend on the machine. Usage::

    python bench/bench_core.py [--days N] [--repeats K] [--seed S] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import platform
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import simpy

import servsim
from servsim.model import simulate_replication
from servsim.scenario import Scenario, resolve_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "validation" / "mmc_textbook.yaml"
GOAL = 2.0  # servsim's model may cost at most this many times bare SimPy per customer
MIB = 1024 * 1024


@dataclass(frozen=True)
class Queue:
    """The M/M/c parameters every engine simulates, read from the resolved scenario."""

    arrival_rate: float  # per second
    mean_service: float  # seconds
    servers: int
    horizon: float  # seconds
    warm_up: float  # seconds


@dataclass(frozen=True)
class Outcome:
    """What one run of an engine reports: customers simulated and the mean wait after warm-up."""

    customers: int
    mean_wait: float


@dataclass(frozen=True)
class Row:
    engine: str
    customers: int
    seconds: float
    mean_wait: float
    peak_mib: float | None = None

    @property
    def per_second(self) -> float:
        return self.customers / self.seconds

    @property
    def per_customer(self) -> float:
        return self.seconds / self.customers


# --- engines -------------------------------------------------------------------------------


def queue_parameters(scenario: Scenario) -> Queue:
    (pool,) = scenario.staff.front
    (touchpoint,) = scenario.service_cycle
    service = touchpoint.service_time
    assert service.kind == "exponential", service
    assert scenario.arrivals.profile is None and scenario.arrivals.day_multiplier_cv == 0
    assert not scenario.staff.back and not pool.shifts
    return Queue(
        arrival_rate=scenario.arrivals.per_hour / 3600.0,
        mean_service=float(service.mean),
        servers=pool.headcount,
        horizon=scenario.horizon.length,
        warm_up=scenario.horizon.warm_up,
    )


def waits_after_warm_up(queued: np.ndarray, started: np.ndarray, warm_up: float) -> float:
    """Mean wait of customers who arrived after the warm-up and had started service."""
    keep = (queued >= warm_up) & ~np.isnan(started)
    return float(np.mean(started[keep] - queued[keep]))


def run_servsim_model(scenario: Scenario, q: Queue, seed: int) -> Outcome:
    tables = simulate_replication(scenario, seed, 0)
    visits = tables.visits
    wait = waits_after_warm_up(
        visits["queued"].to_numpy(float), visits["started"].to_numpy(float), q.warm_up
    )
    return Outcome(len(tables.customers), wait)


def run_servsim_full(scenario: Scenario, q: Queue, seed: int) -> Outcome:
    result = servsim.simulate(scenario, replications=1, seed=seed)
    wait = float(result.summary.loc["average_speed_of_answer", "mean"])
    return Outcome(len(result.records.customers), wait)


def run_bare_simpy(q: Queue, seed: int) -> Outcome:
    """The same M/M/c queue as a tightly written SimPy loop.

    Interarrival and service times are pre-drawn with numpy (servsim pre-draws its first-contact
    draws too); each customer records ``(arrived, started)`` into a list: a fair minimal record.
    """
    rng = np.random.default_rng(seed)
    expected = q.arrival_rate * q.horizon
    n = int(expected + 10.0 * math.sqrt(expected) + 100)
    gaps = rng.exponential(1.0 / q.arrival_rate, n).tolist()
    services = rng.exponential(q.mean_service, n).tolist()
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=q.servers)
    record: list[tuple[float, float]] = []
    arrived_count = [0]

    def customer(service: float) -> simpy.events.ProcessGenerator:
        arrived = env.now
        with res.request() as req:
            yield req
            record.append((arrived, env.now))
            yield env.timeout(service)

    def source() -> simpy.events.ProcessGenerator:
        timeout = env.timeout
        process = env.process
        for i in range(n):
            yield timeout(gaps[i])
            arrived_count[0] = i + 1
            process(customer(services[i]))
        raise RuntimeError("pre-drawn arrivals exhausted before the horizon")

    env.process(source())
    env.run(until=q.horizon)
    times = np.array(record)
    return Outcome(arrived_count[0], waits_after_warm_up(times[:, 0], times[:, 1], q.warm_up))


def run_ciw(q: Queue, seed: int) -> Outcome:
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=q.arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / q.mean_service)],
        number_of_servers=[q.servers],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(q.horizon)
    records = sim.get_all_records(include_incomplete=True)
    queued = np.array([r.arrival_date for r in records], dtype=float)
    started = np.array([r.service_start_date for r in records], dtype=float)
    return Outcome(len(records), waits_after_warm_up(queued, started, q.warm_up))


# --- measuring -----------------------------------------------------------------------------


def best_of(engines: dict[str, Callable[[], Outcome]], repeats: int) -> dict[str, Row]:
    """Time every engine ``repeats`` times, round-robin so drift hits all alike; keep the best."""
    best = dict.fromkeys(engines, math.inf)
    outcomes: dict[str, Outcome] = {}
    for _ in range(repeats):
        for name, run in engines.items():
            gc.collect()
            start = time.perf_counter()
            outcomes[name] = run()
            best[name] = min(best[name], time.perf_counter() - start)
    return {
        name: Row(name, outcomes[name].customers, best[name], outcomes[name].mean_wait)
        for name in engines
    }


def peak_mib(run: Callable[[], Outcome]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MIB


def profile_model(scenario: Scenario, seed: int, top: int = 15) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    simulate_replication(scenario, seed, 0)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=10.0, help="horizon in days (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every engine (default 1)")
    parser.add_argument("--profile", action="store_true", help="cProfile servsim's model once")
    args = parser.parse_args(argv)

    raw = servsim.load_scenario(SCENARIO).with_overrides({"horizon.days": args.days})
    scenario = resolve_scenario(raw)
    q = queue_parameters(scenario)
    theory = servsim.theory.erlang_c(q.arrival_rate, q.mean_service, q.servers)

    try:
        import ciw
    except ImportError:
        ciw = None

    print(
        f"servsim {servsim.__version__}, simpy {simpy.__version__}, numpy {np.__version__}, "
        f"ciw {ciw.__version__ if ciw else '-'}, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(
        f"M/M/{q.servers}: {q.arrival_rate * 3600:g} arrivals/h, mean service {q.mean_service:g}"
        f" s, horizon {args.days:g} days ({q.horizon:.0f} s), warm-up {q.warm_up:.0f} s;"
        f" best of {args.repeats}, seed {args.seed}"
    )

    engines: dict[str, Callable[[], Outcome]] = {
        "bare_simpy": lambda: run_bare_simpy(q, args.seed),
        "servsim_model": lambda: run_servsim_model(scenario, q, args.seed),
        "servsim_full": lambda: run_servsim_full(raw, q, args.seed),
    }
    if ciw is not None:
        engines["ciw"] = lambda: run_ciw(q, args.seed)
    else:
        print("ciw not installed")

    for run in engines.values():  # warm-up: imports, caches, first-call costs
        run()

    rows = best_of(engines, args.repeats)
    for name, run in engines.items():
        rows[name] = replace(rows[name], peak_mib=peak_mib(run))

    bare = rows["bare_simpy"]
    print()
    header = (
        f"{'engine':<14} {'customers':>9} {'seconds':>8} {'cust/s':>9} {'cost/bare':>9}"
        f" {'mean wait':>9} {'Erlang C':>8} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows.values():
        ratio = row.per_customer / bare.per_customer
        print(
            f"{row.engine:<14} {row.customers:>9d} {row.seconds:>8.3f} {row.per_second:>9.0f}"
            f" {ratio:>8.2f}x {row.mean_wait:>8.1f}s {theory.mean_wait:>7.1f}s"
            f" {row.peak_mib:>9.1f}"
        )
    print()
    print("cost/bare = seconds per customer / bare SimPy's seconds per customer (lower is better).")
    print(
        "mean wait: customers arriving after the warm-up, one replication per engine, so a few"
        " seconds from Erlang C is sampling noise (waits are strongly autocorrelated)."
    )
    print("peak MiB: tracemalloc peak of one untimed run of each engine.")
    if "ciw" in rows:
        ciw_ratio = rows["ciw"].per_customer / rows["servsim_model"].per_customer
        print(f"ciw costs {ciw_ratio:.2f}x servsim's model per customer.")

    if args.profile:
        print()
        print("cProfile of one servsim_model run (top 15 by tottime):")
        print(profile_model(scenario, args.seed))

    model_ratio = rows["servsim_model"].per_customer / bare.per_customer
    print(f"servsim model costs {model_ratio:.2f}x bare SimPy per customer (goal <= {GOAL:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
