"""Benchmark: servsim's whole pipeline against bare SimPy and Ciw, each in a fresh process.

Three models, the same in every engine:

* ``mmc``: M/M/10 at load 0.95 (service mean 600 s);
* ``erlang_a``: the same with exponential patience, mean 120 s (M/M/10+M);
* ``tandem``: front (10 staff) -> back office (5) -> the same front pool again, exponential
  services (front 360 s, back 405 s, 40 arrivals an hour: the front 80% busy, the back 90%).

Engines: ``servsim`` (``servsim.simulate`` with one replication: model, records, metrics and
satisfaction, what a user runs, ``records: full``), ``servsim_summary`` (the same with
``records: summary``), ``servsim_saved`` (``records: full`` saved as ``servsim run`` saves
it: records written to Parquet as the run goes, then joined into the run folder),
``bare_simpy`` (a tight SimPy model: pre-drawn numpy variates, ``simpy.Resource``, one tuple
per customer) and ``ciw`` (Ciw 3, ``pip install -e ".[bench]"``).
Each run is a child process of its own, so its peak resident memory (``ru_maxrss``) is its own
and no engine inherits another's warm caches; repetitions go round-robin so drift on a shared
machine hits every engine alike. Ratios measured in one run are the figures to quote.

Usage::

    python bench/bench_engines.py [--customers N] [--repeats K] [--models mmc,erlang_a,tandem]
                                  [--engines servsim,servsim_summary,servsim_saved,...]
                                  [--seed S] [--scale K] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("mmc", "erlang_a", "tandem")
ENGINES = ("servsim", "servsim_summary", "servsim_saved", "bare_simpy", "ciw")
SERVERS, BACK_SERVERS = 10, 5
# --scale K divides every time by K (the same queues in K times fewer simulated days), for runs
# of millions of customers within servsim's 10-year horizon; children read it from here
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
MMC_SERVICE, PATIENCE = 600.0 / SCALE, 120.0 / SCALE
MMC_RATE = 0.95 * SERVERS / MMC_SERVICE  # per second
TANDEM_RATE, FRONT_SERVICE, BACK_SERVICE = 40 / 3600 * SCALE, 360.0 / SCALE, 405.0 / SCALE


def horizon_for(model: str, customers: int) -> float:
    """Seconds of simulated time in which ``customers`` arrive on average."""
    rate = TANDEM_RATE if model == "tandem" else MMC_RATE
    return customers / rate


# --- the engines (run in a child process) ---------------------------------------------------


def run_servsim(
    model: str, horizon: float, seed: int, records: str = "full", saved: bool = False
) -> tuple[int, float]:
    import tempfile

    import servsim
    from servsim import results

    exponential = {"kind": "exponential"}
    segment: dict[str, Any] = {"name": "callers", "recontact": {"probability": 0}}
    if model == "erlang_a":
        segment["patience"] = {"kind": "exponential", "mean": PATIENCE}
    if model == "tandem":
        staff = {
            "front": [{"name": "front", "headcount": SERVERS}],
            "back": [{"name": "back", "headcount": BACK_SERVERS}],
        }
        cycle = [
            {
                "name": "intake",
                "served_by": "front",
                "service_time": exponential | {"mean": FRONT_SERVICE},
            },
            {
                "name": "review",
                "served_by": "back",
                "service_time": exponential | {"mean": BACK_SERVICE},
            },
            {
                "name": "answer",
                "served_by": "front",
                "service_time": exponential | {"mean": FRONT_SERVICE},
            },
        ]
        rate = TANDEM_RATE
    else:
        staff = {"front": [{"name": "front", "headcount": SERVERS}]}
        cycle = [
            {
                "name": "call",
                "served_by": "front",
                "service_time": exponential | {"mean": MMC_SERVICE},
            }
        ]
        rate = MMC_RATE
    scenario = servsim.validate_scenario(
        {
            "name": f"bench_{model}",
            "contact_level": "medium",
            "horizon": {"days": horizon / 86400.0},
            "replications": 1,
            "records": records,
            "segments": [segment],
            "arrivals": {"per_hour": rate * 3600.0},
            "staff": staff,
            "service_cycle": cycle,
        }
    )
    if saved:  # what `servsim run` does: records written as the run goes, then joined
        with tempfile.TemporaryDirectory() as folder:
            manifest = results.run_manifest(scenario, seed, 1, ["bench"])
            with results.recording(results.RUN, Path(folder), "bench", manifest) as record:
                spool = record.folder / "spool"
                result = servsim.simulate(
                    scenario, replications=1, seed=seed, workers=1, spool=spool
                )
                results.save_run(record, result)
    else:
        result = servsim.simulate(scenario, replications=1, seed=seed, workers=1)
    customers = int(result.replications["arrivals"].iloc[0])
    return customers, float(result.replications["first_response_time"].iloc[0])


def run_servsim_summary(model: str, horizon: float, seed: int) -> tuple[int, float]:
    return run_servsim(model, horizon, seed, "summary")


def run_servsim_saved(model: str, horizon: float, seed: int) -> tuple[int, float]:
    return run_servsim(model, horizon, seed, "full", saved=True)


def run_bare_simpy(model: str, horizon: float, seed: int) -> tuple[int, float]:
    import simpy

    rate = TANDEM_RATE if model == "tandem" else MMC_RATE
    rng = np.random.default_rng(seed)
    n = int(rate * horizon + 10 * math.sqrt(rate * horizon) + 100)
    gaps = rng.exponential(1.0 / rate, n).tolist()
    env = simpy.Environment()
    front = simpy.Resource(env, capacity=SERVERS)
    record: list[tuple[float, float]] = []  # (queued, started) at the first visit
    timeout = env.timeout

    if model == "tandem":
        back = simpy.Resource(env, capacity=BACK_SERVERS)
        first_s = rng.exponential(FRONT_SERVICE, n).tolist()
        back_s = rng.exponential(BACK_SERVICE, n).tolist()
        last_s = rng.exponential(FRONT_SERVICE, n).tolist()

        def customer(i: int) -> Any:
            queued = env.now
            with front.request() as req:
                yield req
                record.append((queued, env.now))
                yield timeout(first_s[i])
            with back.request() as req:
                yield req
                yield timeout(back_s[i])
            with front.request() as req:
                yield req
                yield timeout(last_s[i])

    elif model == "erlang_a":
        services = rng.exponential(MMC_SERVICE, n).tolist()
        patience = rng.exponential(PATIENCE, n).tolist()

        def customer(i: int) -> Any:
            queued = env.now
            with front.request() as req:
                fired = yield req | timeout(patience[i])
                if req not in fired:
                    record.append((queued, math.nan))
                    return
                record.append((queued, env.now))
                yield timeout(services[i])

    else:
        services = rng.exponential(MMC_SERVICE, n).tolist()

        def customer(i: int) -> Any:
            queued = env.now
            with front.request() as req:
                yield req
                record.append((queued, env.now))
                yield timeout(services[i])

    arrived = [0]

    def source() -> Any:
        process = env.process
        for i in range(n):
            yield timeout(gaps[i])
            arrived[0] = i + 1
            process(customer(i))

    env.process(source())
    env.run(until=horizon)
    times = np.array(record, dtype=float)
    return arrived[0], float(np.nanmean(times[:, 1] - times[:, 0]))


def run_ciw(model: str, horizon: float, seed: int) -> tuple[int, float]:
    import ciw

    ciw.seed(seed)
    if model == "tandem":
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=TANDEM_RATE), None],
            service_distributions=[
                ciw.dists.Exponential(rate=1 / FRONT_SERVICE),
                ciw.dists.Exponential(rate=1 / BACK_SERVICE),
            ],
            number_of_servers=[SERVERS, BACK_SERVERS],
            routing=ciw.routing.ProcessBased(lambda ind, simulation: [2, 1]),  # after arriving at 1
        )
    else:
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=MMC_RATE)],
            service_distributions=[ciw.dists.Exponential(rate=1 / MMC_SERVICE)],
            number_of_servers=[SERVERS],
            **(
                {"reneging_time_distributions": [ciw.dists.Exponential(rate=1 / PATIENCE)]}
                if model == "erlang_a"
                else {}
            ),
        )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon)
    records = simulation.get_all_records()
    waits = [r.waiting_time for r in records if r.node == 1 and r.record_type == "service"]
    customers = len({r.id_number for r in records})
    return customers, float(np.mean(waits)) if waits else math.nan


ENGINE_RUNS: dict[str, Callable[[str, float, int], tuple[int, float]]] = {
    "servsim": run_servsim,
    "servsim_summary": run_servsim_summary,
    "servsim_saved": run_servsim_saved,
    "bare_simpy": run_bare_simpy,
    "ciw": run_ciw,
}


def _import_engine(engine: str) -> None:
    if engine.startswith("servsim"):
        import servsim.experiment
        import servsim.scenario  # noqa: F401
    elif engine == "ciw":
        import ciw  # noqa: F401
    else:
        import simpy  # noqa: F401


def child(engine: str, model: str, customers: int, seed: int) -> None:
    """Run one engine on one model and print what it cost, as one line of JSON."""
    horizon = horizon_for(model, customers)
    _import_engine(engine)  # libraries load before the clock starts, for every engine alike
    start, cpu_start = time.perf_counter(), time.process_time()
    count, wait = ENGINE_RUNS[engine](model, horizon, seed)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"customers": count, "wall": seconds, "cpu": cpu, "peak_mb": peak_mb, "wait": wait}
        )
    )


# --- the parent: run children, tabulate -----------------------------------------------------


def measure(
    engine: str, model: str, customers: int, seed: int, clock: str = "wall"
) -> dict[str, float] | None:
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, model, str(customers), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"  {engine} on {model}: {last}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["seconds"] = result[clock]
    return result


def theory_wait(model: str) -> float:
    """The analytic mean wait of the first visit (Erlang C, Erlang A; none for the tandem)."""
    sys.path.insert(0, str(ROOT / "src"))
    from servsim import theory

    if model == "mmc":
        return theory.erlang_c(MMC_RATE, MMC_SERVICE, SERVERS).mean_wait
    if model == "erlang_a":
        return theory.erlang_a(MMC_RATE, MMC_SERVICE, SERVERS, PATIENCE).mean_wait_served
    return math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--quick", action="store_true", help="20,000 customers, 1 repeat")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time each run by the wall clock, or by its process's CPU time (steadier when "
        "other work shares the machine)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="divide every time by this (same queues, fewer days: 10 for 10M customers)",
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("ENGINE", "MODEL", "N", "SEED"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        engine, model, n, seed = args.child
        child(engine, model, int(n), int(seed))
        return 0
    customers, repeats = (20_000, 1) if args.quick else (args.customers, args.repeats)
    os.environ["BENCH_SCALE"] = str(args.scale)  # the children read it from the environment
    rescale = SCALE / args.scale  # this process's constants were read at its own scale
    models = [m for m in args.models.split(",") if m]
    engines = [e for e in args.engines.split(",") if e]
    if "ciw" in engines:
        try:
            import ciw  # noqa: F401
        except ImportError:
            print("ciw not installed (pip install -e '.[bench]'): skipped")
            engines.remove("ciw")
    python = sys.version.split()[0]
    print(
        f"{customers:,} arrivals per run, {repeats} repetitions, seed {args.seed}, "
        f"Python {python}, {args.clock} clock"
    )
    for model in models:
        runs: dict[str, list[dict[str, float]]] = {e: [] for e in engines}
        for _ in range(repeats):
            for engine in engines:
                measured = measure(engine, model, customers, args.seed, args.clock)
                if measured is not None:
                    runs[engine].append(measured)
        theory = theory_wait(model) * rescale
        print(f"\n{model} (theory mean wait of the first visit: {theory:.1f} s)")
        print(
            f"{'engine':<11} {'us/customer':>11} {'x bare':>16} {'x Ciw speed':>12} "
            f"{'peak MB':>8} {'mean wait':>10}"
        )
        bare = runs.get("bare_simpy", [])
        ciw_runs = runs.get("ciw", [])
        for engine in engines:
            rows = runs[engine]
            if not rows:
                continue
            per = [r["seconds"] / r["customers"] * 1e6 for r in rows]
            ratio = "-"
            if bare and engine != "bare_simpy":
                ratios = [
                    (r["seconds"] / r["customers"]) / (b["seconds"] / b["customers"])
                    for r, b in zip(rows, bare, strict=False)
                ]
                ratio = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
            speed = "-"
            if ciw_runs and engine != "ciw":
                speeds = [
                    (c["seconds"] / c["customers"]) / (r["seconds"] / r["customers"])
                    for r, c in zip(rows, ciw_runs, strict=False)
                ]
                speed = f"{statistics.median(speeds):.2f}"
            peak = max(r["peak_mb"] for r in rows)
            wait = statistics.mean(r["wait"] for r in rows)
            print(
                f"{engine:<11} {statistics.median(per):>11.1f} {ratio:>16} {speed:>12} "
                f"{peak:>8.0f} {wait:>9.1f}s"
            )
    print(
        "\nx bare: time per customer / bare SimPy's in the same repetition (median, range); "
        "x Ciw speed: customers per second / Ciw's; peak MB: the child process's resident peak."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
