"""The ``servsim`` commands: run, compare, sweep, contact-levels, staff, report, validate, schema.

Exit codes: 0 success, 1 the simulation itself failed (a comparison whose scenario crashed, a
sweep in which every point failed), 2 a scenario or argument problem (reported without a
traceback), 3 the results could not be written (the message says where and why; the output
folder is checked before anything runs), 130 interrupted. Tables and progress go to the
terminal through rich; with ``--quiet`` or when output is not a terminal, no progress bar is
drawn.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from servsim.arguments import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    build_parser,
)
from servsim.catalogue import CATALOGUE, STANDARDS, column, keys, lookup, unit_of
from servsim.language import Language, choose_language, text
from servsim.notices import Notice, render_saved
from servsim.presentation import (
    SATISFACTION_SHOWN,
    TOUCHPOINT_SHOWN,
    difference_cell,
    exact_of,
    format_duration,
    format_interval,
    format_number,
    format_share,
    format_value,
    formatter,
    mean_cell,
    metric_value,
)
from servsim.scenario import Scenario, ScenarioError, load_scenario
from servsim.terminal import (
    Column,
    Grid,
    Voice,
    print_grid,
    print_problem,
    print_prose,
    print_saved,
    wrapped,
)
from servsim.version import LazyModule

if TYPE_CHECKING:
    import pandas as pd

    from servsim import results
    from servsim.catalogue import Unit
    from servsim.compare import Comparison
    from servsim.executors import Executor
    from servsim.experiment import SimulationResult
    from servsim.language import Language

else:
    results = LazyModule("servsim.results")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run a command line, as the ``servsim`` console script does."""
    return run_command(build_parser().parse_args(argv), argv)


def run_command(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """Run a parsed command line (:mod:`servsim.entry` parses it without loading this)."""
    console = Console()
    errors = Console(stderr=True)
    try:
        language = choose_language(getattr(args, "lang", None), os.environ)
    except ValueError as exc:  # a wrong --lang or SERVSIM_LANG: a usage error, said plainly
        print_problem(errors, f"servsim: error: {exc}")
        return EXIT_USAGE
    voice = Voice(language)
    try:
        if args.command == "schema":
            return _schema()
        if args.command == "validate":
            return _validate(args.scenarios, console, errors, voice)
        if args.command == "report":
            return _report(args.folder, console, errors, language)
        command = list(argv) if argv is not None else sys.argv[1:]
        if args.command == "staff":
            from servsim.staffing_cli import staff_command

            return staff_command(args, console, errors, command, voice)
        if args.command == "contact-levels":
            return _contact_levels(args, console, errors, command, voice)
        if args.command == "compare":
            return _compare(args, console, errors, command, voice)
        if args.command == "sweep":
            return _sweep(args, console, errors, command, voice)
        return _run(args, console, errors, command, voice)
    except ScenarioError as exc:
        print_problem(errors, str(exc))
        return EXIT_USAGE
    except results.ResultsWriteError as exc:
        print_problem(errors, voice.say("write_failed", problem=str(exc)))
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        print_prose(errors, voice.say("interrupted"))
        return EXIT_INTERRUPTED


def _report_stale(
    stale: results.StalePartials | None, errors: Console, voice: Voice
) -> None:
    """Say which partial folders of killed writers were removed, and which were kept."""
    if stale is None:
        return
    for path in stale.removed:
        print_prose(errors, voice.say("stale.removed", path=str(path)), whole=[str(path)])
    for path in stale.kept:
        print_prose(errors, voice.say("stale.kept", path=str(path)), whole=[str(path)])


def _saving(
    args: argparse.Namespace,
    kind: results.ResultKind,
    name: str,
    manifest: dict[str, Any],
) -> AbstractContextManager[results.Recording | None]:
    """The recording of a result (None with ``--no-save``), opened before anything runs."""
    if args.no_save:
        return nullcontext(None)
    return results.recording(kind, args.results, name, manifest)


def _schema() -> int:
    print(json.dumps(Scenario.json_schema(), indent=2))
    return EXIT_OK


def _validate(paths: list[Path], console: Console, errors: Console, voice: Voice) -> int:
    """Check each file; an ok file's path on a line of its own, what it holds below it."""
    status = EXIT_OK
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print_problem(errors, str(exc))
            status = EXIT_USAGE
            continue
        pools = ", ".join(
            f"{p.name} ({voice.say(f'side.{side}')})" for side, p in scenario.staff.pools()
        )
        console.print(Text(f"{path}: ok"), soft_wrap=True, highlight=False, crop=False)
        print_prose(
            console,
            "  "
            + voice.say(
                "validate.ok",
                name=scenario.name,
                level=voice.say(f"level.{scenario.contact_level}"),
                touchpoints=len(scenario.service_cycle),
                pools=pools,
            ),
        )
    return status


class _RateColumn(ProgressColumn):
    """Items per second (rich's own speed column counts bytes)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        """``1.25 points/s``, or ``?`` until rich has a speed estimate."""
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text(f"? {self.unit}/s", style="progress.data.speed")
        return Text(f"{speed:.2f} {self.unit}/s", style="progress.data.speed")


def _progress(console: Console, unit: str, show: bool, rate: bool = False) -> Progress:
    """The progress bar of every command: description, bar, done/total, [rate], time left.

    Drawn on ``console`` (stderr, so stdout keeps only results) and only when ``show``: never
    with ``--quiet`` or when output is not a terminal. It disappears once done.
    """
    columns: list[ProgressColumn] = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
    ]
    if rate:
        columns.append(_RateColumn(unit))
    columns.append(TimeRemainingColumn())
    return Progress(*columns, console=console, disable=not show, transient=True)


def _updater(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback for the library, drawing on a rich task.

    The first call resets the task, so items found already done (a resumed sweep) count as
    done without inflating the rate and time-remaining estimates.
    """
    first = True

    def update(done: int, total: int) -> None:
        nonlocal first
        if first:
            progress.reset(task, total=total, completed=done)
            first = False
        else:
            progress.update(task, completed=done, total=total)

    return update


def _replications_or_problem(
    scenario: Scenario, given: int | None, purpose: str, errors: Console
) -> int | None:
    """:func:`fixed_replications`, with its problem printed (None) instead of raised."""
    try:
        from servsim.experiment import fixed_replications

        return fixed_replications(scenario, given, purpose)
    except ValueError as exc:
        print_problem(errors, str(exc))
        return None


def _run(
    args: argparse.Namespace, console: Console, errors: Console, argv: list[str], voice: Voice
) -> int:
    from servsim.experiment import simulate

    if args.replications is not None and args.replications < 1:
        print_prose(errors, voice.say("usage.replications"))
        return EXIT_USAGE
    scenario = _with_records(load_scenario(args.scenario), args)
    if args.interval is not None:
        scenario = scenario.with_overrides({"reporting.interval": args.interval})
    voice = voice.costs_in(scenario.reporting.currency)
    if args.suggest_warmup:
        return _suggest_warmup(args, scenario, console, errors, voice)
    replications = args.replications or scenario.replications
    # a saved run writes its records as it goes; only --no-save keeps them all in memory
    memory = _memory_warning(scenario, replications) if args.no_save else None
    if memory is not None:
        _print_warnings([memory], errors, voice)
    show_progress = not args.quiet and console.is_terminal
    extra: dict[str, Any] = {"workers": args.workers}
    seed = args.seed if args.seed is not None else scenario.seed
    manifest = results.run_manifest(scenario, seed, replications, ["servsim", *argv])
    with _saving(args, results.RUN, scenario.name, manifest) as record:
        if record is not None:  # the folder is writable: the scenario is kept even on failure
            _report_stale(record.stale, errors, voice)
            results.start_run(record, scenario)
        with _progress(errors, voice.say("progress.replications"), show_progress) as progress:
            task = progress.add_task(
                scenario.name, total=replications if isinstance(replications, int) else None
            )
            spool = record.folder / "spool" if record is not None else None
            try:
                result = simulate(
                    scenario,
                    replications=replications,
                    seed=args.seed,
                    progress=_updater(progress, task),
                    spool=spool,
                    **extra,
                )
            except BaseException:
                if spool is not None:
                    results.remove_spool(spool)
                raise
        count = len(result.replications)
        _print_warnings(result.notices, errors, voice)
        _print_summary(
            result.summary, scenario, count, result.seed, console, args.all_metrics, voice
        )
        stopping = getattr(result, "stopping", None)
        if stopping is not None:
            print_prose(console, stopping.notice().render(voice.language))
        _print_satisfaction(result, console, voice)
        if args.by is not None:
            _print_interval_view(result, args.by, console, voice)
        if record is not None:
            results.save_run(record, result)
    if record is not None:
        print_saved(console, voice.say("saved.run"), record.folder)
    return EXIT_OK


_VIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("offered", "count"),
    ("answered", "count"),
    ("abandoned", "count"),
    ("service_level", "share"),
    ("asa", "seconds"),
    ("handle_time", "seconds"),
    ("occupancy", "share"),
    ("staff_on_duty", "staff"),
    ("erlang_required", "staff"),
)
"""The interval view's printed columns: key (its header is ``cli.view.<key>``), cell style."""


def _view_cell(value: float, style: str, language: Language = "en") -> str:
    """A compact cell, so a pool's interval table fits 80 columns (the % kept tight)."""
    if math.isnan(value):
        return "-"
    if style == "share":
        return f"{value * 100:.0f}%"
    if style == "seconds":
        return f"{value:.0f}s" if value < 600 else f"{value / 60:.0f}m"
    if style == "staff":
        whole = value == round(value)
        return f"{value:.0f}" if whole else format_number(value, ".1f", language)
    whole = value >= 10 or value == round(value)
    cell = f"{value:.0f}" if whole else format_number(value, ".1f", language)
    return cell + ("h" if style == "hours" else "")


def _interval_source(result: SimulationResult) -> Any:
    """The run's interval sums, or its records for a result made without them."""
    return result.intervals if not result.intervals.empty else result.records


def _print_interval_view(
    result: SimulationResult, by: str, console: Console, voice: Voice
) -> None:
    """The interval view, one table per pool; intervals with no contacts and no staff skipped.

    Its cells are short and never wrap (``no_wrap``), so a pool's table fits 80 columns.
    """
    from servsim.intervals import day_table, interval_table

    scenario = result.scenario
    length = scenario.reporting.interval
    if by == "day":
        view = day_table(_interval_source(result), scenario, length)
        caption = voice.say("view.caption.day")
    else:
        view = interval_table(_interval_source(result), scenario, length)
        view = view[(view["offered"] > 0) | (view["staff_on_duty"] > 0)]
        caption = voice.say("view.caption.interval", minutes=f"{length / 60:g}")
    caption += voice.say("view.caption.need")
    for pool, rows in view.groupby("pool", sort=False):
        table = Table(
            title=Text(voice.say(f"view.title.{by}", pool=str(pool))),
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        table.add_column(voice.say("view.when"), no_wrap=True)
        columns = _VIEW_COLUMNS
        if by == "day" and float(rows["training_hours"].sum()) > 0:  # a training plan's dip
            columns = (*_VIEW_COLUMNS[:-2], ("training_hours", "hours"), *_VIEW_COLUMNS[-2:])
        for key, _ in columns:
            table.add_column(voice.say(f"view.{key}"), justify="right", no_wrap=True)
        width = len(str(int(rows["day"].max()))) if len(rows) else 1
        for values in rows.to_dict("records"):
            weekday = voice.say(f"weekday.{str(values['weekday']).lower()[:3]}")
            when = f"{values['day']:>{width}} {weekday}"
            if by == "interval":
                when += f" {values['start']}"
            cells = [
                _view_cell(float(values[key]), style, voice.language) for key, style in columns
            ]
            table.add_row(when, *cells)
        # the caption wrapped as prose at the table's width, never between 15 and min
        drawn = console.render_lines(table, console.options, pad=False)
        table_width = max((Segment.get_line_length(line) for line in drawn), default=1)
        table.caption = Text("\n").join(wrapped(caption, table_width))
        console.print(table)


BYTES_PER_CUSTOMER = 1_100
"""Memory a run holds per customer and replication (measured: ~1.1 GB per million customers)."""
MEMORY_WARNING_BYTES = 2e9


def _print_warnings(
    warnings: Sequence[Notice | str], errors: Console, voice: Voice, scenario: str | None = None
) -> None:
    """Warnings first, before any table: a planner reads them before trusting a number.

    Each is said in the reader's language (a notice is data, :mod:`servsim.notices`);
    ``scenario`` names whose warning it is when a command runs several.
    """
    for warning in warnings:
        line = render_saved(warning, voice.language)
        if scenario is not None:
            line = voice.say("warning.of_scenario", scenario=scenario, warning=line)
        print_prose(errors, Text.assemble((voice.say("warning"), "yellow"), line))


def _with_records(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """The scenario with ``--records`` applied, when given."""
    if getattr(args, "records", None) is None:
        return scenario
    return scenario.with_overrides({"records": args.records})


def _memory_warning(scenario: Scenario, replications: int | str) -> Notice | None:
    """Say before starting when a run's records will need gigabytes (they stay in memory)."""
    if scenario.records == "summary":
        return None
    customers = _customers(scenario)
    count = replications if isinstance(replications, int) else scenario.precision.max_replications
    needed = customers * count * BYTES_PER_CUSTOMER
    if needed < MEMORY_WARNING_BYTES:
        return None
    return Notice(
        "memory" if isinstance(replications, int) else "memory_auto",
        {"customers": customers, "replications": count, "gigabytes": needed / 1e9},
    )


def _suggest_warmup(
    args: argparse.Namespace, scenario: Scenario, console: Console, errors: Console, voice: Voice
) -> int:
    """Print an MSER-5 warm-up suggestion from a pilot run, beside the scenario's own warm-up.

    The full run is not made: a warm-up is chosen before the run that uses it, and a run with
    the old warm-up would only have to be thrown away.
    """
    from servsim.warmup import suggest_warmup

    pilots = args.replications or 3
    status = (
        errors.status(voice.say("warmup.pilots", name=scenario.name, count=pilots))
        if not args.quiet and console.is_terminal
        else nullcontext()
    )
    with status:
        suggestion = suggest_warmup(scenario, seed=args.seed, replications=pilots)
    print_prose(console, suggestion.notice().render(voice.language))
    current = scenario.horizon.warm_up
    print_prose(
        console,
        voice.say(
            "warmup.current",
            warm_up=format_value(float(current), "seconds", language=voice.language),
            path=str(args.scenario),
        ),
        whole=[str(args.scenario)],
    )
    return EXIT_OK


def _shown_metrics(
    available: Sequence[str],
    everything: bool,
    headline: Iterable[str],
    pool_families: tuple[str, ...],
) -> list[str]:
    """The metrics a table shows: the five standards, then ``headline``, then per-pool families.

    One rule for every command, so ``run`` and ``compare`` lead with the same standards; each
    command chooses its headline (``compare`` a shorter one, since every row has a column per
    scenario and per difference). Everything, in the run's order, with ``--all-metrics``.
    """
    names = list(available)
    if everything:
        return names
    present = set(names)
    wanted = [m for m in (*STANDARDS, *headline) if m in present]
    pools = [n for n in names if (found := lookup(n)) is not None and found.key in pool_families]
    return list(dict.fromkeys([*wanted, *pools]))


def _print_summary(
    summary: pd.DataFrame,
    scenario: Scenario,
    replications: int,
    seed: int,
    console: Console,
    everything: bool,
    voice: Voice,
) -> None:
    """The run's metrics by their labels, mean and 95% CI; then the service-level goal judged."""
    grid = Grid(
        voice.say(
            "run.title",
            name=scenario.name,
            level=voice.say(f"level.{scenario.contact_level}"),
            replications=replications,
            seed=seed,
        ),
        [
            Column(voice.say("metric"), key=True, justify="left"),
            Column(voice.say("mean")),
            Column(voice.say("ci95")),
        ],
        caption=voice.say("run.caption"),
    )
    names = _shown_metrics(
        list(summary.index), everything, keys("other"), ("occupancy", "queue_length")
    )
    rows = summary.to_dict("index")
    for name in names:
        mean, interval = _interval(rows[name], name, voice)
        grid.add(voice.label(name), mean, interval, style="bold" if name in STANDARDS else None)
    print_grid(console, grid, voice)
    _print_goal(rows, scenario, console, voice)


def _print_goal(
    rows: Mapping[Hashable, Any], scenario: Scenario, console: Console, voice: Voice
) -> None:
    """The service-level goal judged: met, missed, or uncertain when the CI straddles it."""
    standard = scenario.service_level
    exclude = standard.abandons_within_target == "exclude"
    row = rows.get("service_level_offered" + ("_excluding" if exclude else ""))
    if row is None or math.isnan(row["mean"]):
        return
    mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    verdict = "met" if low >= standard.goal else "missed" if high < standard.goal else "uncertain"
    line = Text(
        voice.say(
            "goal",
            goal=format_share(standard.goal, voice.language),
            target=format_duration(standard.target, voice.language),
            convention=voice.say("goal.exclude" if exclude else "goal.include"),
            reached=mean_cell(mean, low, high, "share", language=voice.language),
        )
        + " "
    )
    line.append(
        text(f"goal.{verdict}", voice.language),
        style="bold green" if verdict == "met" else "bold yellow",
    )
    print_prose(console, line)


def _interval(row: Mapping[Hashable, Any] | None, name: str, voice: Voice) -> tuple[str, str]:
    """Mean and "low .. high" of one metric's summary row, as text ("-" where unknown)."""
    if row is None:
        return "-", "-"
    unit = unit_of(name)
    mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    currency = voice.currency
    return (
        format_value(mean, unit, currency, voice.language),
        format_interval(mean, low, high, unit, currency, voice.language),
    )


def _print_satisfaction(result: SimulationResult, console: Console, voice: Voice) -> None:
    """Satisfaction block: CSAT, NPS, levels, stellar and bitter moments, archetype, priorities."""
    from servsim.satisfaction import moment_touchpoints

    summary = result.summary
    grid = Grid(
        voice.say("satisfaction.title"),
        [
            Column(voice.say("measure"), key=True, justify="left"),
            Column(voice.say("mean")),
            Column(voice.say("ci95")),
        ],
        caption=voice.say("satisfaction.caption"),
    )
    rows = summary.to_dict("index")
    for name in SATISFACTION_SHOWN:
        mean, interval = _interval(rows.get(name), name, voice)
        grid.add(voice.label(name), mean, interval, style="bold" if name == "csat_mean" else None)
    print_grid(console, grid, voice)

    means = summary["mean"]

    def shown(name: str) -> str:
        return metric_value(name, float(means.get(name, math.nan)), voice.language)

    groups = [
        f"{k} {text(f'term.level.{k}', voice.language)} " + shown(f"level_share_{k}")
        for k in range(1, 6)
    ]  # each level read as one: "5 asombroso 3,2 %" never split
    levels = "  ".join(groups)
    print_prose(console, voice.say("moment_levels", levels=levels), whole=groups)

    moments = Grid(
        text("term.moments_of_truth", voice.language),
        [
            Column(voice.say("touchpoint"), key=True, justify="left"),
            *(Column(CATALOGUE[key].label(voice.language)) for key in TOUCHPOINT_SHOWN),
        ],
        caption=voice.say("per_replication"),
    )
    for tp in moment_touchpoints(result.scenario):
        moments.add(tp, *(shown(column(key, tp)) for key in TOUCHPOINT_SHOWN))
    print_grid(console, moments, voice)

    from servsim.analysis import ARCHETYPE_THRESHOLD

    archetype = result.archetype
    slug = archetype.name.replace(" ", "_")
    line = Text(voice.say("archetype") + ": ")
    line.append(voice.say(f"archetype.{slug}"), style="bold")
    grounds = voice.say(
        "archetype.grounds",
        procedural=format_value(archetype.procedural, "score", language=voice.language),
        personal=format_value(archetype.personal, "score", language=voice.language),
        threshold=format_number(ARCHETYPE_THRESHOLD, ".2f", voice.language),
    )
    line.append(f" ({grounds}): {voice.say(f'archetype.{slug}.description')}")
    if result.overloaded:
        line.append(
            " " + voice.say("overloaded", pools=", ".join(result.overloaded)), style="yellow"
        )
    print_prose(console, line)
    if archetype.inconsistent:
        print_prose(console, voice.say("friendly_zoo"), style="bold yellow")

    priorities = result.importance_performance()
    if priorities.empty:
        return
    grid = Grid(
        voice.say("priorities.title"),
        [
            Column(voice.say("priority")),
            Column(voice.say("touchpoint"), key=True, justify="left"),
            Column(voice.say("quadrant"), key=True, justify="left"),
            Column(voice.say("importance")),
            Column(voice.say("performance")),
        ],
        caption=voice.say("priorities.caption"),
    )
    for row in priorities.itertuples(index=False):
        quadrant = str(row.quadrant)
        grid.add(
            str(row.priority),
            str(row.touchpoint),
            voice.say("quadrant." + quadrant.replace(" ", "_")),
            format_number(float(row.importance), ".2f", voice.language),  # type: ignore[arg-type]
            format_number(float(row.performance), "+.2f", voice.language),  # type: ignore[arg-type]
            style="bold" if quadrant == "concentrate here" else None,
        )
    print_grid(console, grid, voice)


def _contact_levels(
    args: argparse.Namespace, console: Console, errors: Console, argv: list[str], voice: Voice
) -> int:
    """Run each scenario under one seed and print the contact-level comparison."""
    from servsim.analysis import contact_level_comparison
    from servsim.experiment import simulate

    if args.replications is not None and args.replications < 1:
        print_prose(errors, voice.say("usage.replications"))
        return EXIT_USAGE
    scenarios = [load_scenario(path) for path in args.scenarios]  # all checked before running
    if args.derive and len(scenarios) != 1:
        print_prose(errors, voice.say("usage.derive_one"))
        return EXIT_USAGE
    replications = _replications_or_problem(
        scenarios[0], args.replications, "a contact-level comparison", errors
    )
    if replications is None:
        return EXIT_USAGE
    voice = voice.costs_in(scenarios[0].reporting.currency)
    seed = args.seed if args.seed is not None else scenarios[0].seed
    show_progress = not args.quiet and console.is_terminal
    if args.derive:
        scenarios = _derived_and_staffed(scenarios[0], replications, seed, console, errors, voice)
    results = []
    with _progress(errors, voice.say("progress.replications"), show_progress) as progress:
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
    for result in results:
        _print_warnings(result.notices, errors, voice, result.scenario.name)
    for result in results:
        archetype = result.archetype
        line = voice.say(
            "levels.scenario",
            name=result.scenario.name,
            level=voice.say(f"level.{result.scenario.contact_level}"),
            archetype=voice.say("archetype." + archetype.name.replace(" ", "_")),
        )
        if archetype.inconsistent:
            line += " " + voice.say("levels.inconsistent")
        if result.overloaded:
            line += " " + voice.say("levels.overloaded", pools=", ".join(result.overloaded))
        print_prose(console, line)
    print_grid(console, _levels_grid(comparison, results, replications, seed, voice), voice)
    effects = (
        _print_sensitivities(scenarios, replications, seed, console, voice)
        if args.derive
        else None
    )
    if args.csv is not None:
        comparison.to_csv(args.csv, index=False)
        print_saved(console, voice.say("saved.csv"), args.csv)
    if not args.no_save:
        folder = _save_contact_levels(
            args, argv, [r.scenario for r in results], comparison, effects
        )
        print_saved(console, voice.say("saved.run"), folder)
    return EXIT_OK


def _levels_grid(
    comparison: pd.DataFrame,
    results: Sequence[SimulationResult],
    replications: int,
    seed: int,
    voice: Voice,
) -> Grid:
    """One row per metric (by its label), one column per scenario: ``mean [low .. high]``."""
    names = [r.scenario.name for r in results]
    headings = {
        r.scenario.name: f"{r.scenario.name} ({voice.say(f'level.{r.scenario.contact_level}')})"
        for r in results
    }
    grid = Grid(
        voice.say("levels.title", replications=replications, seed=seed),
        [
            Column(voice.say("metric"), key=True, justify="left"),
            *(Column(headings[name]) for name in names),
        ],
        caption=voice.say("levels.caption"),
    )
    cells: dict[tuple[str, str], str] = {}
    for row in comparison.to_dict("records"):
        metric = str(row["metric"])
        cells[(metric, str(row["scenario"]))] = mean_cell(
            float(row["mean"]),
            float(row["ci_low"]),
            float(row["ci_high"]),
            unit_of(metric) or _DERIVED_UNITS.get(metric),
            voice.currency,
            voice.language,
        )
    for metric in dict.fromkeys(str(m) for m in comparison["metric"]):
        grid.add(
            voice.label(metric),
            *(cells.get((metric, name), "-") for name in names),
            style="bold" if metric in STANDARDS else None,
        )
    grid.add(
        voice.say("archetype"),
        *(voice.say("archetype." + r.archetype.name.replace(" ", "_")) for r in results),
        style="bold",
    )
    return grid


_DERIVED_UNITS: dict[str, Unit] = {"staff_hours_total": "hours", "occupancy_mean": "share"}
"""Units of the contact-level rows the catalogue does not declare (sums over pools)."""


def _save_contact_levels(
    args: argparse.Namespace,
    argv: list[str],
    scenarios: list[Scenario],
    comparison: pd.DataFrame,
    effects: pd.DataFrame | None,
) -> Path:
    """The contact-level study as a results folder, with its trade-off figure."""
    from servsim.plots import contact_level_tradeoff

    name = scenarios[0].name.removesuffix("_high") if args.derive else scenarios[0].name
    manifest = results.base_manifest(
        "contact_levels",
        seed=args.seed,
        replications=args.replications,
        command=["servsim", *argv],
    )
    manifest["scenarios"] = [s.name for s in scenarios]
    with results.recording(results.CONTACT_LEVELS, args.results, name, manifest) as record:
        results.save_contact_levels(record, scenarios, comparison, effects)
        figure = contact_level_tradeoff(comparison)
        results.write_atomic(
            record.folder / "tradeoff.png", lambda path: figure.savefig(path, format="png")
        )
    return record.final


def _print_sensitivities(
    scenarios: list[Scenario], replications: int, seed: int, console: Console, voice: Voice
) -> pd.DataFrame:
    """Where each change pays off: its paired effect at each contact level, with its CI.

    An effect the same in every replication is written as exact, never as significant: its
    interval of zero width is not evidence, the change simply fixes it.
    """
    from servsim.derive import sensitivities

    effects = sensitivities(scenarios, replications, seed)
    grid = Grid(
        voice.say("sensitivities.title"),
        [
            Column(voice.say("change"), key=True, justify="left"),
            Column(voice.say("metric"), key=True, justify="left"),
            *(Column(voice.say(f"level.{s.contact_level}")) for s in scenarios),
        ],
        caption=voice.say("sensitivities.caption"),
    )
    for (change, metric), rows in effects.groupby(["change", "metric"], sort=False):
        cells = []
        for scenario in scenarios:
            found = rows[rows["scenario"] == scenario.name]
            if found.empty:
                cells.append("-")
                continue
            cells.append(_difference_text(found.iloc[0].to_dict(), str(metric), voice))
        grid.add(voice.say(f"change.{change}"), voice.label(str(metric)), *cells)
    print_grid(console, grid, voice)
    return effects


def _mean_text(row: Mapping[Hashable, Any], metric: str, voice: Voice) -> str:
    """A summary row's ``mean [low .. high]``, in the metric's unit and currency."""
    mean, low, high = (float(row[k]) for k in ("mean", "ci_low", "ci_high"))
    return mean_cell(mean, low, high, unit_of(metric), voice.currency, voice.language)


def _difference_text(row: Mapping[Hashable, Any], metric: str, voice: Voice) -> str:
    """A paired difference with its interval, or marked exact when the interval has no width."""
    difference, low, high = (float(row[k]) for k in ("difference", "ci_low", "ci_high"))
    unit = unit_of(metric)
    if exact_of(row):
        shown = formatter(
            difference, unit, signed=True, currency=voice.currency, language=voice.language
        )(difference)
        return f"{shown} {voice.say('exact')}"
    return difference_cell(difference, low, high, unit, voice.currency, voice.language)


def _derived_and_staffed(
    base: Scenario,
    replications: int,
    seed: int,
    console: Console,
    errors: Console,
    voice: Voice,
) -> list[Scenario]:
    """The base at the three contact levels, each staffed to its goal; the staffing printed."""
    from servsim.derive import derive_levels, staff_to_goal

    goal = base.service_level
    print_prose(
        console,
        voice.say(
            "derived.intro",
            name=base.name,
            goal=format_share(goal.goal, voice.language),
            target=format_duration(goal.target, voice.language),
            replications=replications,
            seed=seed,
        ),
    )
    staffed = []
    for scenario in derive_levels(base):
        found = staff_to_goal(
            scenario,
            replications,
            seed,
            lambda note: print_prose(errors, note.render(voice.language)),
        )
        counts = ", ".join(
            f"{pool} {'/'.join(str(n) for n in shifts)}"
            for pool, shifts in found.headcounts.items()
        )
        print_prose(
            console,
            "  "
            + voice.say(
                "derived.staffed" if found.met else "derived.short",
                name=scenario.name,
                counts=counts,
                level=format_share(found.service_level, voice.language, 1),
            ),
        )
        staffed.append(found.scenario)
    return staffed


# --------------------------------------------------------------------------- compare and sweep


def _customers(scenario: Scenario) -> float:
    """Mean first arrivals of one replication: how much work a run is."""
    from servsim.model.arrivals import expected_arrivals

    return expected_arrivals(scenario.arrivals, scenario.calendar, scenario.horizon.length)


def _executor(
    workers: int | str, scheduler: str | None, errors: Console, customers: float
) -> Executor | None:
    """The executor for ``--workers``/``--scheduler``; None (after saying why) without one."""
    from servsim.executors import executor_for

    try:
        return executor_for(workers, scheduler, customers)
    except RuntimeError as exc:
        print_problem(errors, str(exc))
        return None


def _where(executor: Executor, voice: Voice) -> str:
    """Where the work runs, as the start of a command says it."""
    from servsim.executors import DaskExecutor, SerialExecutor

    if isinstance(executor, SerialExecutor):
        return voice.say("where.serial")
    if isinstance(executor, DaskExecutor):
        return voice.say("where.dask", workers=executor.workers)
    return voice.say("where.processes", workers=executor.workers)


def _print_comparison(
    comparison: Comparison,
    replications: int,
    seed: int,
    console: Console,
    everything: bool,
    voice: Voice,
) -> None:
    """Every scenario's mean [CI] side by side, then each paired difference to the reference.

    A difference is marked significant when its paired CI excludes 0, and exact (never
    significant) when it is the same in every replication: a deterministic quantity such as
    staff cost under fixed staffing has a CI of zero width that excludes 0 without being
    evidence of anything.
    """
    names = comparison.names
    reference = names[0]
    summary = {(r["scenario"], r["metric"]): r for r in comparison.summary.to_dict("records")}
    differences = {
        (r["scenario"], r["metric"]): r for r in comparison.differences.to_dict("records")
    }
    available = list(dict.fromkeys(comparison.summary["metric"]))
    from servsim.compare import COMPARE_HEADLINE

    metrics = _shown_metrics(available, everything, COMPARE_HEADLINE, ("occupancy",))
    grid = Grid(
        voice.say("compare.title", count=len(names), replications=replications, seed=seed),
        [
            Column(voice.say("metric"), key=True, justify="left"),
            *(
                Column(voice.say("reference", name=name) if name == reference else name)
                for name in names
            ),
            *(Column(f"Δ {name}") for name in names[1:]),
        ],
        caption=voice.say("compare.caption", reference=reference),
    )
    significant: dict[str, list[str]] = {name: [] for name in names[1:]}
    exact: dict[str, list[str]] = {name: [] for name in names[1:]}
    for metric in metrics:
        cells = [Text(_mean_text(summary[(name, metric)], metric, voice)) for name in names]
        for name in names[1:]:
            row = differences[(name, metric)]
            written = _difference_text(row, metric, voice)
            difference = float(row["difference"])
            if exact_of(row):
                if difference != 0:  # an exact zero is no difference at all: not listed
                    exact[name].append(voice.label(metric))
                cells.append(Text(written))
            elif row["significant"]:  # the mark and bold when the paired CI excludes 0
                significant[name].append(voice.label(metric))
                cells.append(Text(f"{written} *", style="bold"))
            else:
                cells.append(Text(written))
        grid.add(voice.label(metric), *cells, style="bold" if metric in STANDARDS else None)
    print_grid(console, grid, voice)
    for name in names[1:]:
        changed = significant[name]
        print_prose(
            console,
            voice.say(
                "compare.significant",
                name=name,
                reference=reference,
                metrics=", ".join(changed),
            )
            if changed
            else voice.say("compare.no_significant", name=name, reference=reference),
        )
        if exact[name]:
            print_prose(console, "  " + voice.say("compare.exact", metrics=", ".join(exact[name])))
        notes = sorted({differences[(name, m)]["note"] for m in metrics} - {""})
        if name in comparison.notes:  # said in the reader's language
            notes = [comparison.notes[name].render(voice.language)]
        for note in notes:
            print_prose(console, f"  {note}", style="yellow")
        _print_input_differences(comparison.inputs.get(name, ()), name, reference, console, voice)


INPUTS_SHOWN = 12


def _print_input_differences(
    found: Sequence[tuple[str, object, object]],
    name: str,
    reference: str,
    console: Console,
    voice: Voice,
) -> None:
    """Every input that differs besides what the comparison is about: effects may come from it."""
    if not found:
        print_prose(
            console, "  " + voice.say("compare.same_inputs", name=name, reference=reference)
        )
        return
    print_prose(
        console,
        "  " + voice.say("compare.inputs", name=name, reference=reference, count=len(found)),
    )
    absent = voice.say("absent")
    for path, mine, theirs in found[:INPUTS_SHOWN]:
        shown = f"{_short(mine, absent)} -> {_short(theirs, absent)}"
        print_prose(console, f"    {path}: {shown}", whole=[f"{path}:"], hang=2)
    if len(found) > INPUTS_SHOWN:
        print_prose(console, "    " + voice.say("more", count=len(found) - INPUTS_SHOWN))


def _short(value: object, absent: str = "(none)") -> str:
    text = absent if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _comparison_name(files: int, names: Sequence[str]) -> str:
    """The folder name: the scenario for one file with variants, else ``A_vs_B[_and_N_more]``."""
    if files == 1:
        return names[0]
    more = len(names) - 2
    return f"{names[0]}_vs_{names[1]}" + (f"_and_{more}_more" if more > 0 else "")


def _compare(
    args: argparse.Namespace, console: Console, errors: Console, argv: list[str], voice: Voice
) -> int:
    """Run scenarios under common random numbers, print and save the paired comparison."""
    from servsim.compare import compare, unique_names

    scenarios: list[Scenario] = []
    for path in args.scenarios:  # every file is checked before anything runs
        scenarios.extend(
            _with_records(variant, args) for variant in load_scenario(path).variant_scenarios()
        )
    if len(scenarios) < 2:
        path = str(args.scenarios[0])
        print_prose(errors, voice.say("usage.nothing_to_compare", path=path), whole=[path])
        return EXIT_USAGE
    reference = scenarios[0]
    voice = voice.costs_in(reference.reporting.currency)
    replications = _replications_or_problem(reference, args.replications, "a comparison", errors)
    if replications is None:
        return EXIT_USAGE
    if args.seed is not None and args.seed < 0:
        print_prose(errors, voice.say("usage.seed"))
        return EXIT_USAGE
    seed = args.seed if args.seed is not None else reference.seed
    work = sum(_customers(s) for s in scenarios) * replications
    executor = _executor(args.workers, args.scheduler, errors, work)
    if executor is None:
        return EXIT_USAGE
    show_progress = not args.quiet and console.is_terminal
    names = unique_names([s.name for s in scenarios])
    name = _comparison_name(len(args.scenarios), names)
    manifest = results.comparison_manifest(
        names, scenarios, seed, replications, ["servsim", *argv], name
    )
    try:
        with _saving(args, results.COMPARISON, name, manifest) as record:
            if record is not None:  # the scenarios are kept even if a scenario crashes
                _report_stale(record.stale, errors, voice)
                results.start_comparison(record, names, scenarios)
            unit = voice.say("progress.replications")
            with executor, _progress(errors, unit, show_progress) as progress:
                task = progress.add_task(
                    voice.say(
                        "compare.progress", count=len(scenarios), where=_where(executor, voice)
                    ),
                    total=len(scenarios) * replications,
                )
                comparison = compare(
                    scenarios, replications, seed, executor, progress=_updater(progress, task)
                )
            _print_comparison(comparison, replications, seed, console, args.all_metrics, voice)
            if record is not None:
                results.save_comparison(record, comparison)
    except RuntimeError as exc:
        print_problem(errors, f"comparison failed: {exc}")
        return EXIT_FAILED
    if record is not None:
        print_saved(console, voice.say("saved.comparison"), record.folder)
    return EXIT_OK


def _finished_points(folder: Path, filenames: set[str]) -> int:
    """Points of this sweep already written to ``folder/points`` (what a resume keeps)."""
    point_dir = folder / results.POINT_FILES
    if not point_dir.is_dir():
        return 0
    return sum(1 for path in point_dir.iterdir() if path.name in filenames)


def _sweep(
    args: argparse.Namespace, console: Console, errors: Console, argv: list[str], voice: Voice
) -> int:
    """Run a sweep file; report where the tables are and which points failed, and why."""
    from servsim.sweep import expected_work, load_sweep, run_sweep, sweep_points

    spec, base = load_sweep(args.sweep)
    base = _with_records(base, args)
    if _replications_or_problem(base, spec.replications, "a sweep", errors) is None:
        return EXIT_USAGE
    replications = spec.replications or base.replications
    seed = spec.seed if spec.seed is not None else base.seed
    points = sweep_points(spec, base)
    results.check_writable(args.results)  # before anything runs: a wrong -o fails at once
    _report_stale(results.clean_stale_partials(args.results), errors, voice)
    folder = results.SWEEP.parent(args.results, spec.name)
    executor = _executor(args.workers, args.scheduler, errors, expected_work(spec, base))
    if executor is None:
        return EXIT_USAGE
    print_prose(
        console,
        voice.say(
            "sweep.start",
            name=spec.name,
            points=len(points),
            replications=replications,
            base=base.name,
            seed=seed,
            where=_where(executor, voice),
        ),
    )
    show_progress = not args.quiet and console.is_terminal
    try:
        unit = voice.say("progress.points")
        with executor, _progress(errors, unit, show_progress, rate=True) as progress:
            task = progress.add_task(spec.name, total=len(points))
            result = run_sweep(
                spec,
                base,
                executor,
                folder,
                args.resume,
                _updater(progress, task),
                command=["servsim", *argv],
            )
    except results.SweepExists as exc:
        print_problem(errors, str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        kept = _finished_points(folder, {p.filename for p in points})
        kept_in = str(folder / results.POINT_FILES)
        print_prose(
            errors,
            voice.say("sweep.interrupted", kept=kept, points=len(points), folder=kept_in),
            whole=[kept_in],
        )
        return EXIT_INTERRUPTED

    finished = int(result.table["point"].nunique()) if not result.table.empty else 0
    failed = len(result.failures)
    if result.changed:
        print_prose(
            console,
            voice.say(
                "sweep.changed", changes="; ".join(result.changed), discarded=result.discarded
            ),
            whole=result.changed,  # each change read whole: "base_scenario: content changed"
        )
    print_saved(console, voice.say("sweep.saved"), folder)
    print_prose(
        console,
        voice.say(
            "sweep.points",
            run=finished - result.skipped,
            resumed=result.skipped,
            failed=failed,
            points=len(points),
        ),
    )
    if failed:
        _print_failures(result.failures, result.parameters, console, voice)
    failures_file = str(folder / "failures.csv")
    if finished == 0:
        print_prose(
            errors,
            voice.say("sweep.all_failed", file=failures_file),
            style="bold red",
            whole=[failures_file],
        )
        return EXIT_FAILED
    if failed:
        print_prose(
            errors,
            voice.say("warning")
            + voice.say(
                "sweep.some_failed",
                failed=failed,
                points=len(points),
                file=failures_file,
                finished=finished,
            ),
            style="yellow",
            whole=[failures_file],
        )
    return EXIT_OK


def _print_failures(
    failures: pd.DataFrame, parameters: Sequence[str], console: Console, voice: Voice
) -> None:
    """The failed points: number, parameter values (each whole), and the reason (wrapped)."""
    grid = Grid(
        voice.say("failures.title"),
        [
            Column(voice.say("point"), key=True),
            *(Column(name) for name in parameters),
            Column(voice.say("reason"), key=True, justify="left"),
        ],
        caption=voice.say("failures.caption"),
    )
    for row in failures.to_dict("records"):
        grid.add(str(row["point"]), *(str(row[name]) for name in parameters), str(row["error"]))
    print_grid(console, grid, voice)


# --------------------------------------------------------------------------- report


def _report(folder: Path, console: Console, errors: Console, language: Language = "en") -> int:
    """Build a result folder's HTML report; a folder of results means its newest one.

    Every kind is reported (a run, a comparison, a contact-level study, a sweep, a staffing
    plan). A folder that is none is a usage error (exit 2) naming the files it lacks, so a typo
    in the path is told apart from a broken run; a folder that records a failed attempt is
    refused with what went wrong, and failed ones never count as the newest.
    """
    from servsim.folder_report import build_folder_report, newest_result

    kind = results.kind_of(folder) or results.RUN
    missing = kind.missing(folder)
    try:
        kind.check(folder)
    except results.FailedResultFolder as exc:
        print_problem(errors, text("cli.report.failed", language, problem=str(exc)))
        return EXIT_USAGE
    except results.NotAResultFolder:
        pass
    if missing:
        runs = results.RUN.results_in(folder)
        newest = runs[-1] if runs else newest_result(folder)
        if newest is None:
            reason = (
                text("cli.report.absent", language)
                if not folder.exists()
                else text("cli.report.not_folder", language)
                if not folder.is_dir()
                else text(
                    "cli.report.not_result", language, kind=kind.name, missing=", ".join(missing)
                )
            )
            print_prose(
                errors,
                text("cli.report.give", language, folder=str(folder), reason=reason),
                whole=[str(folder)],
            )
            return EXIT_USAGE
        held = (
            text("cli.report.runs", language, count=len(runs))
            if runs
            else text("cli.report.results", language)
        )
        print_prose(
            console,
            text("cli.report.newest", language, folder=str(folder), held=held, name=newest.name),
            whole=[str(folder)],
        )
        folder = newest
    try:
        path = build_folder_report(folder, language)
    except results.NotAResultFolder as exc:
        print_problem(errors, str(exc))
        return EXIT_USAGE
    print_prose(console, text("cli.report.written", language, path=str(path)), whole=[str(path)])
    return EXIT_OK


