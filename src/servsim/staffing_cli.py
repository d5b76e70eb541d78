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
from rich.text import Text

from servsim.arguments import EXIT_OK, EXIT_USAGE
from servsim.catalogue import unit_of
from servsim.language import text
from servsim.notices import Notice
from servsim.presentation import format_number, format_share, format_value, mean_cell
from servsim.scenario import load_scenario
from servsim.schema_types import parse_duration
from servsim.terminal import (
    Column,
    Grid,
    Voice,
    print_grid,
    print_problem,
    print_prose,
    print_saved,
)

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
    args: argparse.Namespace,
    console: Console,
    errors: Console,
    argv: list[str],
    voice: Voice | None = None,
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
        print_problem(errors, f"servsim staff: {exc}")
        return EXIT_USAGE
    if args.replications is not None and args.replications < 1:
        print_prose(errors, "--replications must be at least 1")
        return EXIT_USAGE
    pools = [p.strip() for p in args.pools.split(",") if p.strip()] if args.pools else None
    executor = _executor(args, scenario, errors)
    if executor is None:
        return EXIT_USAGE

    language = voice.language if voice is not None else "en"

    def say(step: Notice) -> None:
        if not args.quiet:
            print_prose(errors, step.render(language))

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
        print_problem(errors, f"servsim staff: {exc}")
        return EXIT_USAGE
    finally:
        executor.close()
    voice = voice or Voice()
    print_plan(plan, console, voice)
    for warning in plan.warnings:
        print_prose(errors, voice.say("staff.warning", warning=warning))
    if not args.no_save:
        folder = save_plan(plan, args.results, ["servsim", *argv], args.seed)
        print_saved(console, voice.say("saved.run"), folder)
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
        print_problem(errors, str(exc))
        return None


def _target_unit(target: str) -> Unit | None:
    key = target.split("[")[0].split(">")[0].split("<")[0].strip()
    return TARGET_UNITS.get(key) or unit_of(key)


def print_plan(plan: StaffingPlan, console: Console, voice: Voice | None = None) -> None:
    """The targets judged, staff hours per pool against the Erlang requirement, and the cost.

    Costs carry the scenario's currency; every heading and verdict is in ``voice``'s language.
    """
    voice = (voice or Voice()).costs_in(plan.scenario.reporting.currency)
    verdicts = Grid(
        voice.say("staff.targets.title"),
        [
            Column(voice.say("staff.target"), key=True, justify="left"),
            Column(voice.say("staff.pool"), key=True, justify="left"),
            Column(voice.say("staff.achieved")),
            Column(voice.say("staff.verdict"), justify="left"),
        ],
        caption=voice.say("staff.targets.caption"),
    )
    for row in plan.targets.itertuples(index=False):
        unit = _target_unit(str(row.target))
        mean, low, high = (float(str(v)) for v in (row.mean, row.ci_low, row.ci_high))
        verdicts.add(
            str(row.target),
            str(row.pool) or voice.say("staff.whole_run"),
            mean_cell(mean, low, high, unit, voice.currency, voice.language),
            Text(
                text("goal.met" if row.met else "goal.missed", voice.language),
                style="green" if row.met else "bold red",
            ),
        )
    print_grid(console, verdicts, voice)
    from servsim.staffing import intervals_met_by_pool, staff_hours_by_day

    table = plan.intervals
    hours = Grid(
        voice.say("staff.hours.title"),
        [
            Column(voice.say("staff.day"), key=True),
            Column(voice.say("staff.pool"), key=True, justify="left"),
            *(
                Column(voice.say(f"staff.{heading}"))
                for heading in ("erlang", "simulated", "scheduled", "peak")
            ),
        ],
    )
    for daily in staff_hours_by_day(table, plan.scenario.reporting.interval).to_dict("records"):
        hours.add(
            str(daily["day"]),
            str(daily["pool"]),
            *(
                format_number(float(value), ",.1f", voice.language)
                for value in (
                    daily["erlang_required"],
                    daily["simulated_required"],
                    daily["scheduled"],
                )
            ),
            str(daily["peak"]),
        )
    print_grid(console, hours, voice)
    shares = intervals_met_by_pool(table)
    if not shares.empty:
        print_prose(
            console,
            voice.say(
                "staff.intervals_met",
                shares=", ".join(
                    f"{pool} {format_share(share, voice.language)}"
                    for pool, share in shares.items()
                ),
            ),
        )
    if not plan.shifts.empty:
        print_prose(
            console,
            voice.say(
                "staff.shifts",
                shifts=int(plan.shifts["count"].sum()),
                templates=plan.shifts["template"].nunique(),
            ),
        )
    cost = format_value(plan.cost, "money", voice.currency, voice.language)
    verdict = voice.say("staff.all_met" if plan.met else "staff.some_missed")
    # the cost whole, whatever the currency is written as (the wrap knows EUR, not every one)
    print_prose(console, voice.say("staff.cost", cost=cost, verdict=verdict), whole=[cost])


def save_plan(plan: StaffingPlan, root: str | Path, command: list[str], seed: int | None) -> Path:
    """The plan as ``RESULTS/staffing/<scenario>/<run-id>/`` with its figure."""
    from servsim import results
    from servsim.plots import staffing_plan

    scenario = plan.scenario
    manifest = results.base_manifest("staffing", seed=seed, replications=None, command=command)
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
