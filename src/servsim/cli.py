"""The ``servsim`` command line: validate, run, contact-levels, schema.

Exit codes: 0 success, 2 a scenario or argument problem (reported without a traceback),
130 interrupted. Tables and progress go to the terminal through rich; with ``--quiet`` or when
output is not a terminal, no progress bar is drawn.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from servsim.metrics import OTHER_METRICS, STANDARDS, describe
from servsim.satisfaction_schema import LEVEL_NAMES
from servsim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from servsim.experiment import SimulationResult

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message, as for a bad scenario."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from servsim import __version__

    parser = _Parser(
        prog="servsim", description="Simulate customer-service systems described in YAML."
    )
    parser.add_argument("--version", action="version", version=f"servsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="simulate a scenario and save its results")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument(
        "-r", "--replications", type=int, help="number of replications (scenario's own by default)"
    )
    run.add_argument("-s", "--seed", type=int, help="seed (scenario's own by default)")
    run.add_argument(
        "-o",
        "--results",
        type=Path,
        default=Path("results"),
        help="results folder (default: results)",
    )
    run.add_argument(
        "--all-metrics", action="store_true", help="print every metric, percentiles included"
    )
    run.add_argument("--no-save", action="store_true", help="print only, write nothing")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    levels = sub.add_parser(
        "contact-levels",
        help="compare the same service at several contact levels, under one seed",
    )
    levels.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")
    levels.add_argument(
        "-r", "--replications", type=int, help="replications of each (first scenario's by default)"
    )
    levels.add_argument("-s", "--seed", type=int, help="seed of all (first scenario's by default)")
    levels.add_argument("--csv", type=Path, help="also write the comparison as a tidy CSV")
    levels.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")

    sub.add_parser("schema", help="print the JSON Schema of a scenario (for editors)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``servsim`` console script."""
    args = build_parser().parse_args(argv)
    console = Console()
    errors = Console(stderr=True)
    try:
        if args.command == "schema":
            return _schema()
        if args.command == "validate":
            return _validate(args.scenarios, console, errors)
        if args.command == "contact-levels":
            return _contact_levels(args, console, errors)
        return _run(args, console, errors, list(argv) if argv is not None else sys.argv[1:])
    except ScenarioError as exc:
        errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("interrupted: nothing was saved for the unfinished run")
        return EXIT_INTERRUPTED


def _schema() -> int:
    print(json.dumps(Scenario.json_schema(), indent=2))
    return EXIT_OK


def _validate(paths: list[Path], console: Console, errors: Console) -> int:
    status = EXIT_OK
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            status = EXIT_USAGE
            continue
        pools = ", ".join(f"{p.name} ({side})" for side, p in scenario.staff.pools())
        console.print(
            f"{path}: ok - '{scenario.name}', {scenario.contact_level} contact, "
            f"{len(scenario.service_cycle)} touchpoints, pools: {pools}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return status


def _run(args: argparse.Namespace, console: Console, errors: Console, argv: list[str]) -> int:
    from servsim.experiment import simulate
    from servsim.io import write_run

    if args.replications is not None and args.replications < 1:
        errors.print("--replications must be at least 1")
        return EXIT_USAGE
    scenario = load_scenario(args.scenario)
    replications = args.replications or scenario.replications
    show_progress = not args.quiet and console.is_terminal
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeRemainingColumn(),
        console=errors,
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task(scenario.name, total=replications)
        result = simulate(
            scenario,
            replications=replications,
            seed=args.seed,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    _print_summary(result.summary, scenario, replications, result.seed, console, args.all_metrics)
    _print_satisfaction(result, console)
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if not args.no_save:
        folder = write_run(result, root=args.results, command=["servsim", *argv])
        console.print(f"results written to {folder}", highlight=False)
    return EXIT_OK


def _format(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return (
            f"{value:.1f} s"
            if value < 600
            else f"{value / 60:.1f} min"
            if value < 7200
            else f"{value / 3600:.1f} h"
        )
    if unit == "count":
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _print_summary(
    summary: pd.DataFrame,
    scenario: Scenario,
    replications: int,
    seed: int,
    console: Console,
    everything: bool,
) -> None:
    table = Table(
        title=(
            f"{scenario.name}: {scenario.contact_level} contact, "
            f"{replications} replications, seed {seed}"
        ),
        caption="mean and 95% confidence interval over replications",
    )
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    names = list(summary.index)
    if not everything:
        headline = list(STANDARDS) + [m for m in OTHER_METRICS if m in summary.index]
        pools = [n for n in names if "[" in n and n.split("[")[0] in ("occupancy", "queue_length")]
        names = [n for n in headline if n in summary.index] + pools
    for name in names:
        row = summary.loc[name]
        info = describe(name)
        unit = info.unit if info else ""
        low, high = row["ci_low"], row["ci_high"]
        interval = "-" if math.isnan(low) else f"{_format(low, unit)} .. {_format(high, unit)}"
        style = "bold" if name in STANDARDS else None
        table.add_row(Text(name), _format(row["mean"], unit), interval, style=style)
    console.print(table)


def _interval(result: SimulationResult, name: str, unit: str) -> tuple[str, str]:
    """Mean and "low .. high" of one metric, as text ("-" where unknown)."""
    if name not in result.summary.index:
        return "-", "-"
    row = result.metric(name)
    low, high = row["ci_low"], row["ci_high"]
    interval = "-" if math.isnan(low) else f"{_format(low, unit)} .. {_format(high, unit)}"
    return _format(row["mean"], unit), interval


def _print_satisfaction(result: SimulationResult, console: Console) -> None:
    """Satisfaction block: CSAT, NPS, levels, stellar and bitter moments, archetype, priorities."""
    from servsim.satisfaction import moment_touchpoints

    summary = result.summary
    table = Table(
        title="simulated satisfaction (MODEL.md section 5)",
        caption="survey measures over customers who left; mean and 95% CI over replications",
    )
    table.add_column("measure")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for label, name, unit in (
        ("CSAT (1-5)", "csat_mean", "score"),
        ("CSAT top-2-box (4-5)", "csat_top2_share", "share"),
        ("NPS (promoters - detractors)", "nps", "share"),
        ("cycle satisfaction S", "satisfaction_mean", "score"),
        ("stellar moments per customer", "stellar_moments", "score"),
        ("bitter moments per customer", "bitter_moments", "score"),
        ("empathy (staffed moments)", "empathy_mean", "score"),
        ("assurance (staffed moments)", "assurance_mean", "score"),
        ("on-time resolution", "on_time_resolution", "share"),
    ):
        mean, interval = _interval(result, name, unit)
        table.add_row(label, mean, interval, style="bold" if name == "csat_mean" else None)
    console.print(table)

    means = summary["mean"]
    levels = "  ".join(
        f"{k} {LEVEL_NAMES[k]} {_format(float(means.get(f'level_share_{k}', math.nan)), 'share')}"
        for k in range(1, 6)
    )
    console.print(Text(f"moment levels: {levels}"))

    per_touchpoint = Table(title="moments of truth", caption="mean per replication")
    per_touchpoint.add_column("touchpoint")
    per_touchpoint.add_column("stellar", justify="right")
    per_touchpoint.add_column("bitter", justify="right")
    per_touchpoint.add_column("mean utility v", justify="right")
    for tp in moment_touchpoints(result.scenario):
        per_touchpoint.add_row(
            Text(tp),
            _format(float(means.get(f"stellar[{tp}]", math.nan)), "count"),
            _format(float(means.get(f"bitter[{tp}]", math.nan)), "count"),
            _format(float(means.get(f"moment_utility[{tp}]", math.nan)), "score"),
        )
    console.print(per_touchpoint)

    archetype = result.archetype
    line = Text("archetype: ")
    line.append(archetype.name, style="bold")
    line.append(
        f" (procedural {archetype.procedural:.2f}, personal {archetype.personal:.2f}; "
        f"high from 0.60): {archetype.description}"
    )
    console.print(line)
    if archetype.inconsistent:
        console.print(
            Text(
                "friendly zoo: warm but inconsistent - customers meet kind staff and broken "
                "procedures in the same cycle; fix the procedures first",
                style="bold yellow",
            )
        )

    priorities = result.importance_performance()
    if priorities.empty:
        return
    grid = Table(
        title="importance-performance: where to act first",
        caption="importance derived as |corr(v, S)|; cross-hairs at the means (Martilla & James)",
    )
    for column in ("priority", "touchpoint", "quadrant", "importance", "performance"):
        grid.add_column(column, justify="right" if column != "touchpoint" else "left")
    for row in priorities.itertuples(index=False):
        grid.add_row(
            str(row.priority),
            Text(str(row.touchpoint)),
            str(row.quadrant),
            f"{float(row.importance):.2f}",  # type: ignore[arg-type]
            f"{float(row.performance):+.2f}",  # type: ignore[arg-type]
            style="bold" if row.quadrant == "concentrate here" else None,
        )
    console.print(grid)


def _updater(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    def update(done: int, _total: int) -> None:
        progress.update(task, completed=done)

    return update


def _contact_levels(args: argparse.Namespace, console: Console, errors: Console) -> int:
    """Run each scenario under one seed and print the contact-level comparison."""
    from servsim.analysis import contact_level_comparison, wide_comparison
    from servsim.experiment import simulate

    if args.replications is not None and args.replications < 1:
        errors.print("--replications must be at least 1")
        return EXIT_USAGE
    scenarios = [load_scenario(path) for path in args.scenarios]  # all checked before running
    replications = args.replications or scenarios[0].replications
    seed = args.seed if args.seed is not None else scenarios[0].seed
    show_progress = not args.quiet and console.is_terminal
    results = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeRemainingColumn(),
        console=errors,
        disable=not show_progress,
        transient=True,
    ) as progress:
        for scenario in scenarios:
            task = progress.add_task(scenario.name, total=replications)
            results.append(
                simulate(
                    scenario,
                    replications=replications,
                    seed=seed,
                    progress=_updater(progress, task),
                )
            )
    comparison = contact_level_comparison(results)

    def formatted(metric: str, value: float) -> str:
        info = describe(metric)
        unit = info.unit if info else ("share" if metric == "occupancy_mean" else "")
        return _format(value, unit)

    wide = wide_comparison(comparison, formatted)
    table = Table(
        title=f"contact levels: {replications} replications each, seed {seed} for all",
        caption="mean [95% CI] over replications; common random numbers across scenarios",
    )
    table.add_column("metric", overflow="fold")
    for column in wide.columns:
        table.add_column(Text(str(column)), justify="right", overflow="fold")
    for metric, row in wide.iterrows():
        style = "bold" if metric in STANDARDS or metric == "archetype" else None
        table.add_row(Text(str(metric)), *(Text(str(v)) for v in row), style=style)
    for result in results:
        archetype = result.archetype
        console.print(
            Text(
                f"{result.scenario.name}: {result.scenario.contact_level} contact, "
                f"archetype {archetype.name}"
                + (" (warm but inconsistent)" if archetype.inconsistent else "")
            )
        )
    console.print(table)
    for result in results:
        for warning in result.warnings:
            errors.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if args.csv is not None:
        comparison.to_csv(args.csv, index=False)
        console.print(f"comparison written to {args.csv}", highlight=False)
    return EXIT_OK
