"""The ``servsim`` command line's arguments and exit codes.

Kept apart from :mod:`servsim.cli` (the commands) and free of pandas, scipy and the model:
``servsim --help`` and argument errors are answered before any of those is imported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message, as for a bad scenario."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (workers, replications)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _workers(text: str) -> int | str:
    """An argparse type: ``auto`` or a whole number of at least 1."""
    if text.strip().lower() == "auto":
        return "auto"
    return _positive(text)


WORKERS_HELP = (
    "local worker processes: N, 1 (this process) or auto (default: every core when the work "
    "outweighs starting the processes, else this process)"
)


def _add_parallel_options(parser: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--scheduler``, shared by every command that can run in parallel."""
    parser.add_argument(
        "--workers", type=_workers, default="auto", metavar="N|auto", help=WORKERS_HELP
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        help=(
            "run on a Dask cluster, e.g. tcp://host:8786 (default: the "
            "SERVSIM_DASK_SCHEDULER environment variable; needs servsim[dask])"
        ),
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    """Where results go and how much is shown: the same for every command that simulates."""
    parser.add_argument(
        "-o",
        "--results",
        type=Path,
        default=Path("results"),
        help="results folder (default: results)",
    )
    parser.add_argument(
        "--all-metrics", action="store_true", help="show every metric, percentiles included"
    )
    parser.add_argument("--no-save", action="store_true", help="print only, write nothing")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


RECORDS_HELP = (
    "what each replication keeps (overrides the scenario's `records`): full keeps every "
    "record for tables, figures and exact percentiles; summary keeps only the sums the "
    "measures need, so memory stays flat for millions of customers"
)


def _add_saving_options(parser: argparse.ArgumentParser, where: str, quiet: str) -> None:
    """``-o``, ``--no-save`` and ``-q`` of a command that saves one kind of result folder."""
    parser.add_argument(
        "-o",
        "--results",
        type=Path,
        default=Path("results"),
        help=f"results folder (default: results); saved under RESULTS/{where}",
    )
    parser.add_argument("--no-save", action="store_true", help="print only, write nothing")
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet)


def _add_records_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", choices=("full", "summary"), help=RECORDS_HELP)


LANGUAGE_HELP = (
    "language of tables, headings, verdicts and messages: en or es (default: the "
    "SERVSIM_LANG environment variable, else en)"
)


def _add_language_option(parser: argparse.ArgumentParser, default: object) -> None:
    """``--lang``, before the command or after it; the value is checked where it is used.

    Checked by :func:`servsim.language.choose_language`, not by ``choices``, so a wrong
    ``--lang`` and a wrong ``SERVSIM_LANG`` are refused in the same words.
    """
    parser.add_argument("--lang", metavar="{en,es}", default=default, help=LANGUAGE_HELP)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from servsim.version import __version__

    parser = _Parser(
        prog="servsim", description="Simulate customer-service systems described in YAML."
    )
    parser.add_argument("--version", action="version", version=f"servsim {__version__}")
    _add_language_option(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="simulate a scenario and save its results")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument(
        "-r", "--replications", type=int, help="number of replications (scenario's own by default)"
    )
    run.add_argument("-s", "--seed", type=int, help="seed (scenario's own by default)")
    _add_output_options(run)
    _add_records_option(run)
    run.add_argument(
        "--workers", type=_workers, default="auto", metavar="N|auto", help=WORKERS_HELP
    )
    run.add_argument(
        "--by",
        choices=("interval", "day"),
        help=(
            "also print the interval view: per interval (reporting.interval, 30 min by default) "
            "or per day, for each pool: offered, answered, abandoned, service level, ASA, "
            "handle time, occupancy, staff on duty and the Erlang A requirement"
        ),
    )
    run.add_argument(
        "--interval",
        metavar="DURATION",
        help="length of an interval of the interval view, e.g. 15min (overrides the scenario)",
    )
    run.add_argument(
        "--suggest-warmup",
        action="store_true",
        help=(
            "only suggest a warm-up: run a pilot without warm-up (3 replications, or -r), apply "
            "MSER-5 to customers' first waits, print the suggestion and exit without running "
            "or saving the full simulation"
        ),
    )

    compare = sub.add_parser(
        "compare",
        help="compare scenarios under common random numbers, with paired differences",
        description=(
            "Run every scenario with the same seed and replication numbers (common random "
            "numbers), print each metric side by side with its 95% CI and the paired "
            "difference to the first scenario with its own CI, marking the significant ones. "
            "A file with `variants:` contributes its base and each variant, so one such file "
            "is enough. Saves the tables under RESULTS/compare/<name>/<run-id>/."
        ),
    )
    compare.add_argument(
        "scenarios", type=Path, nargs="+", help="scenario YAML files; the first is the reference"
    )
    compare.add_argument(
        "-r",
        "--replications",
        type=_positive,
        help="replications of each (the reference scenario's own by default)",
    )
    compare.add_argument(
        "-s", "--seed", type=int, help="seed of all (the reference scenario's own by default)"
    )
    _add_parallel_options(compare)
    _add_output_options(compare)
    _add_records_option(compare)

    sweep = sub.add_parser(
        "sweep",
        help="run a parameter sweep file and write its tidy tables",
        description=(
            "Run every point of a sweep file (a base scenario, parameters by dotted path) and "
            "write RESULTS/sweeps/<name>/: table.csv and table.parquet (one row per point and "
            "replication), summary.csv (mean and 95% CI per point and metric), failures.csv, "
            "and points/, one file per finished point. A point that fails is reported and "
            "never stops the others. Exit code 0 when at least one point ran (failures are "
            "listed), 1 when every point failed, 2 for a bad sweep file or an existing sweep "
            "folder without --resume, 3 when the results cannot be written, 130 when "
            "interrupted (finished points are kept)."
        ),
    )
    sweep.add_argument("sweep", type=Path, help="sweep YAML file")
    _add_records_option(sweep)
    _add_parallel_options(sweep)
    sweep.add_argument(
        "--resume",
        action="store_true",
        help=(
            "continue a sweep: keep the finished points whose key (values, base scenario "
            "content, seed, replications, version) is unchanged, run the others"
        ),
    )
    sweep.add_argument(
        "-o",
        "--results",
        type=Path,
        default=Path("results"),
        help="results folder (default: results); the sweep goes to RESULTS/sweeps/<name>/",
    )
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

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
    levels.add_argument(
        "--derive",
        action="store_true",
        help=(
            "derive the one scenario given at high, medium and low contact (only the contact "
            "level changes: same demand, customers and goal), staff each with the least staff "
            "that meets the service-level goal, then compare them"
        ),
    )
    _add_saving_options(levels, "contact-levels/<name>/", "no progress bar")

    staffing = sub.add_parser(
        "staff",
        help="find the least staffing that meets service targets, per interval and shift",
        description=(
            "Start from the per-interval Erlang A requirement of a pilot run, refine it by "
            "simulation until it stops changing (re-contacts, retries and the back office "
            "included), choose shifts at least cost when shift templates are given, then "
            "verify the plan by simulation. Saved under RESULTS/staffing/<scenario>/, with "
            "scenario.yaml: the scenario with the planned staffing, ready for `servsim run`."
        ),
    )
    staffing.add_argument("scenario", type=Path, help="scenario YAML file")
    staffing.add_argument(
        "-t",
        "--target",
        action="append",
        required=True,
        metavar="TARGET",
        help=(
            "a target, repeatable: service_level>=0.8@20s, asa<=30s, abandonment<=5%%, "
            "occupancy<=0.85 (for one pool: occupancy[back_office]<=0.85), or a whole-run "
            "metric such as csat_mean>=4"
        ),
    )
    staffing.add_argument(
        "--interval", default="30min", help="planning interval (default 30min; divides a day)"
    )
    staffing.add_argument(
        "--load-step",
        help=(
            "the step the load is measured and staffed in within an interval (default: equal "
            "steps of at most 10min; the interval itself for one step per interval)"
        ),
    )
    staffing.add_argument(
        "--pools", help="comma-separated pools to staff (default: every pool a target fits)"
    )
    staffing.add_argument(
        "--shift",
        action="append",
        metavar="SPEC",
        help=(
            "a shift template, repeatable: LENGTH@FIRST-LAST[/EVERY][,break=LENGTH@FROM-TO]"
            "[,cost=PER_HOUR], e.g. 8h@07:00-14:00/30min,break=30min@3h-5h (starts between "
            "07:00 and 14:00 every 30 min; an unpaid 30-minute break 3 to 5 hours in); the "
            "scenario's staffing.shift_templates when omitted; none: staff each interval"
        ),
    )
    staffing.add_argument(
        "--shrinkage",
        type=float,
        default=0.0,
        help="share of paid time off the floor (0.3 = 30%%): adds the to_roster column",
    )
    staffing.add_argument(
        "-r", "--replications", type=int, help="replications per simulation (scenario's own)"
    )
    staffing.add_argument("-s", "--seed", type=int, help="seed of every simulation")
    _add_parallel_options(staffing)
    _add_saving_options(staffing, "staffing/<scenario>/", "no progress lines")

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")

    sub.add_parser("schema", help="print the JSON Schema of a scenario (for editors)")

    report = sub.add_parser(
        "report",
        help="write an HTML report (with figures) of a saved run",
        description=(
            "Build RUN_FOLDER/report.html and RUN_FOLDER/figures/*.png from the files `servsim "
            "run` saved, without simulating again. Given a scenario's results folder "
            "(results/<scenario>/), report its newest run."
        ),
    )
    report.add_argument(
        "folder",
        type=Path,
        help="a run folder (results/<scenario>/<run-id>/) or a scenario's results/<scenario>/",
    )
    for command in sub.choices.values():  # after the command too; it then wins
        _add_language_option(command, argparse.SUPPRESS)
    return parser
