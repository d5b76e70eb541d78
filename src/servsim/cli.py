"""The ``servsim`` command line: validate, run, schema.

Exit codes: 0 success, 2 a scenario or argument problem (reported without a traceback),
130 interrupted. Tables and progress go to the terminal through rich; with ``--quiet`` or when
output is not a terminal, no progress bar is drawn.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from servsim.metrics import OTHER_METRICS, STANDARDS, describe
from servsim.scenario import Scenario, ScenarioError, load_scenario

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
