"""``servsim staff``: the least staffing that meets a planner's targets, printed and saved.

Kept apart from :mod:`servsim.cli` so each command module stays one thing; the CLI dispatches
here. Progress goes to standard error one line per simulation, tables to standard output.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from servsim.arguments import EXIT_OK, EXIT_USAGE
from servsim.catalogue import unit_of
from servsim.presentation import format_value, mean_cell
from servsim.scenario import load_scenario
from servsim.schema_types import parse_duration

if TYPE_CHECKING:
    from servsim.catalogue import Unit
    from servsim.executors import Executor
    from servsim.scenario import Scenario
    from servsim.staffing import StaffingPlan

SIMULATIONS_EXPECTED = 8
"""Simulations a staffing run usually takes: a pilot, iterations, a verification or two."""
TARGET_UNITS: dict[str, Unit] = {
    "service_level": "share",
    "asa": "seconds",
    "abandonment": "share",
    "occupancy": "share",
}


def staff_command(
    args: argparse.Namespace, console: Console, errors: Console, argv: list[str]
) -> int:
    """Plan the staffing, print targets, requirements and cost, and save the plan's folder."""
    from servsim import results
    from servsim.staffing import (
        parse_shift_template,
        parse_staffing_target,
        staff,
        templates_of,
    )

    scenario = load_scenario(args.scenario)
    try:
        interval = float(parse_duration(args.interval))
        load_step = None if args.load_step is None else float(parse_duration(args.load_step))
        targets = [parse_staffing_target(text) for text in args.target]
        templates = (
            [parse_shift_template(text) for text in args.shift]
            if args.shift
            else templates_of(scenario)
        )
    except ValueError as exc:
        errors.print(Text(f"servsim staff: {exc}"), soft_wrap=True)
        return EXIT_USAGE
    if args.replications is not None and args.replications < 1:
        errors.print("--replications must be at least 1")
        return EXIT_USAGE
    pools = [p.strip() for p in args.pools.split(",") if p.strip()] if args.pools else None
    executor = _executor(args, scenario, errors)
    if executor is None:
        return EXIT_USAGE

    def say(line: str) -> None:
        if not args.quiet:
            errors.print(Text(line), soft_wrap=True)

    if not args.no_save:
        results.check_writable(Path(args.results))
    try:
        plan = staff(
            scenario,
            targets,
            interval=interval,
            pools=pools,
            templates=templates,
            replications=args.replications,
            seed=args.seed,
            shrinkage=args.shrinkage,
            executor=executor,
            progress=say,
            load_step=load_step,
        )
    except ValueError as exc:
        errors.print(Text(f"servsim staff: {exc}"), soft_wrap=True)
        return EXIT_USAGE
    finally:
        executor.close()
    print_plan(plan, console)
    for warning in plan.warnings:
        errors.print(Text(f"warning (verified plan): {warning}"), soft_wrap=True)
    if not args.no_save:
        folder = save_plan(plan, args.results, ["servsim", *argv], args.seed)
        console.print(Text(f"results written to {folder}"), soft_wrap=True)
    return EXIT_OK


def _executor(args: argparse.Namespace, scenario: Scenario, errors: Console) -> Executor | None:
    """Serial, local processes or Dask for every simulation of the plan, opened once.

    ``auto`` weighs the work of about eight simulations (pilot, iterations, verification).
    """
    from servsim.executors import executor_for
    from servsim.experiment import expected_customers
    from servsim.scenario import resolve_scenario

    resolved = resolve_scenario(scenario)
    runs = args.replications or (
        resolved.replications if isinstance(resolved.replications, int) else 10
    )
    work = expected_customers(resolved) * runs * SIMULATIONS_EXPECTED
    try:
        return executor_for(args.workers, args.scheduler, work)
    except RuntimeError as exc:
        errors.print(Text(str(exc)), soft_wrap=True)
        return None


def _target_unit(target: str) -> Unit | None:
    key = target.split("[")[0].split(">")[0].split("<")[0].strip()
    return TARGET_UNITS.get(key) or unit_of(key)


def print_plan(plan: StaffingPlan, console: Console) -> None:
    """The targets judged, staff hours per pool against the Erlang requirement, and the cost."""
    verdicts = Table(
        title="targets on the verified plan",
        caption="mean [95% CI] over replications, common random numbers",
    )
    verdicts.add_column("target", no_wrap=True)
    verdicts.add_column("pool", no_wrap=True)
    verdicts.add_column("achieved", justify="right")
    verdicts.add_column("verdict")
    for row in plan.targets.itertuples(index=False):
        unit = _target_unit(str(row.target))
        mean, low, high = (float(str(v)) for v in (row.mean, row.ci_low, row.ci_high))
        verdicts.add_row(
            Text(str(row.target)),
            Text(str(row.pool) or "whole run"),
            Text(mean_cell(mean, low, high, unit)),
            Text("met" if row.met else "missed", style="green" if row.met else "bold red"),
        )
    console.print(verdicts)
    table = plan.intervals
    length = float(plan.scenario.reporting.interval) / 3600.0
    hours = Table(title="staff hours per pool and day")
    for heading in ("day", "pool", "Erlang (pilot)", "simulated", "scheduled", "peak"):
        hours.add_column(heading, justify="right" if heading not in ("pool",) else "left")
    grouped = table.groupby(["day", "pool"], sort=False)
    for (day, pool), rows in grouped:
        hours.add_row(
            str(day),
            Text(str(pool)),
            f"{rows['erlang_required'].sum() * length:,.1f}",
            f"{rows['simulated_required'].sum() * length:,.1f}",
            f"{rows['scheduled'].sum() * length:,.1f}",
            str(int(rows["scheduled"].max())),
        )
    console.print(hours)
    offered = table[table["offered"] > 0]
    if not offered.empty:
        shares = offered.groupby("pool", sort=False)["met"].mean()
        console.print(
            Text(
                "intervals with work offered that meet every target of their pool: "
                + ", ".join(f"{pool} {share:.0%}" for pool, share in shares.items())
            )
        )
    if not plan.shifts.empty:
        console.print(
            Text(
                f"shifts chosen: {int(plan.shifts['count'].sum())} staff-shifts "
                f"over {plan.shifts['template'].nunique()} template(s)"
            )
        )
    cost = "-" if math.isnan(plan.cost) else format_value(plan.cost, "money")
    verdict = "every target met" if plan.met else "some targets missed"
    console.print(Text(f"staff cost of the plan: {cost} per replication; {verdict}"))


def save_plan(
    plan: StaffingPlan, root: str | Path, command: list[str], seed: int | None
) -> Path:
    """The plan as ``RESULTS/staffing/<scenario>/<run-id>/`` with its figure."""
    from servsim import results
    from servsim.plots import staffing_plan

    scenario = plan.scenario
    manifest = results.base_manifest(
        "staffing", seed=seed, replications=None, command=command
    )
    manifest["scenario"] = scenario.name
    manifest["targets"] = plan.targets["target"].drop_duplicates().tolist()
    manifest["met"] = plan.met
    manifest["cost"] = None if math.isnan(plan.cost) else plan.cost
    with results.recording(results.STAFFING, root, scenario.name, manifest) as record:
        results.save_staffing(
            record, scenario, plan.intervals, plan.targets, plan.shifts, plan.iterations
        )
        figure = staffing_plan(plan.intervals, scenario.service_level.goal)
        results.write_atomic(
            record.folder / "staffing.png", lambda path: figure.savefig(path, format="png")
        )
    return record.final
