"""Sweep benchmark: 200 points x 5 replications of a small scenario, serial and on 2 workers.

Prints points per second for each executor and the parallel efficiency
(speed-up / workers). Goal (issue 4): efficiency >= 0.85 on 2 cores. Also checks that the two
tables are identical, since a fast wrong answer is no answer.

    python bench/bench_sweep.py [--points 200] [--replications 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

import servsim
from servsim.executors import ProcessExecutor, SerialExecutor
from servsim.sweep import SweepSpec, run_sweep

ROOT = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours per replication")
    args = parser.parse_args()

    base = servsim.load_scenario(ROOT / "scenarios" / "validation" / "mmc_textbook.yaml")
    base = base.with_overrides({"horizon.days": args.hours / 24, "horizon.warm_up": 0})
    # vary arrival rate and service mean over a grid with the requested number of points
    rates = [80 + 40 * i / max(args.points // 10 - 1, 1) for i in range(args.points // 10)]
    means = [150 + 5 * j for j in range(10)]
    spec = SweepSpec.model_validate(
        {
            "name": "bench",
            "base": "mmc_textbook.yaml",
            "replications": args.replications,
            "seed": 1,
            "parameters": {
                "arrivals.per_hour": rates,
                "service_cycle.call.service_time.mean": means,
            },
        }
    )
    points = len(rates) * len(means)
    print(
        f"servsim {servsim.__version__}: {points} points x {args.replications} replications, "
        f"{args.hours:g} simulated hours each (M/M/7), {os.cpu_count()} cores"
    )

    start = time.perf_counter()
    serial = run_sweep(spec, base, SerialExecutor())
    serial_seconds = time.perf_counter() - start

    start = time.perf_counter()
    with ProcessExecutor(args.workers) as pool:
        parallel = run_sweep(spec, base, pool)
    parallel_seconds = time.perf_counter() - start  # includes starting the workers

    pd.testing.assert_frame_equal(serial.table, parallel.table)
    speedup = serial_seconds / parallel_seconds
    efficiency = speedup / args.workers
    print(f"{'executor':<22}{'seconds':>10}{'points/s':>12}")
    print(f"{'serial':<22}{serial_seconds:>10.2f}{points / serial_seconds:>12.1f}")
    label = f"processes x{args.workers}"
    print(f"{label:<22}{parallel_seconds:>10.2f}{points / parallel_seconds:>12.1f}")
    print("tables identical: yes")
    print(
        f"speed-up {speedup:.2f}x on {args.workers} workers: parallel efficiency {efficiency:.2f} "
        f"(goal >= 0.85)"
    )


if __name__ == "__main__":
    main()
