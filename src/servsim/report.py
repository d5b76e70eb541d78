"""An HTML report of a saved run, built only from the run folder's files.

``build_report(folder)`` reads what ``servsim run`` saved, through :mod:`servsim.results` (which
refuses a failed run): ``manifest.json``, ``summary.csv``, ``scenario.resolved.yaml`` and the
Parquet tables. It draws the figures of :mod:`servsim.plots`
to ``figures/*.png`` and writes ``report.html`` beside them. It never simulates again and never
imports the model: a report shows exactly the run that was saved, and can be rebuilt at any
time (after a change of layout, on another machine) without the cost or the risk of a rerun
that would not match.

The archetype and the importance-performance table are recomputed from the saved tables with
:mod:`servsim.analysis`, the same functions ``servsim run`` prints them with. Optional tables
that are missing (an older run without moments, a run without training) leave their section
saying so; only ``manifest.json``, ``summary.csv`` and the resolved scenario are required.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from servsim import plots, results
from servsim.analysis import (
    ARCHETYPE_THRESHOLD,
    classify_archetype,
    importance_of,
)
from servsim.catalogue import CATALOGUE, STANDARDS, column, keys, lookup, unit_of
from servsim.metrics import daily_metrics
from servsim.presentation import (
    SATISFACTION_SHOWN,
    TOUCHPOINT_SHOWN,
    archetype_scores,
    format_interval,
    format_value,
    goal_statement,
    metric_definition,
    metric_value,
)
from servsim.records import RECORD_TYPES, RecordTables
from servsim.satisfaction_schema import LEVEL_NAMES
from servsim.scenario import ResolvedScenario, ScenarioError, load_scenario, resolve_scenario

__all__ = [
    "FIGURES",
    "REPORT",
    "build_report",
    "referenced_figures",
]

REPORT = "report.html"
FIGURES = "figures"
RECORD_NAMES = RECORD_TYPES

POOL_FAMILIES = ("occupancy", "queue_length", "wait_mean", "staff_hours", "training_hours")
"""Per-pool metrics shown after the headline ones."""


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 70em;
       color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
h1, h2, h3, p, li, figcaption, code { overflow-wrap: anywhere; }
.meta { color: #555; } .note { color: #666; font-size: 0.9em; }
.table-scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.standard td { font-weight: bold; }
tr.first td { background: #fdf1e6; }
.warning { color: #8a5a00; } figure { margin: 1em 0; } img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
"""
"""The page's CSS. Narrow windows: a table too wide scrolls inside its own ``.table-scroll``
box, images shrink to the column, and long words (paths, the command) break anywhere outside
tables (inside them ``anywhere`` would squeeze the columns to a letter wide instead)."""


@dataclass(frozen=True)
class _Run:
    """What the report reads from a run folder, loaded once."""

    folder: Path
    manifest: dict[str, Any]
    resolved: dict[str, Any]
    summary: pd.DataFrame
    scenario: ResolvedScenario | None
    scenario_problem: str | None
    tables: dict[str, pd.DataFrame]

    def table(self, name: str) -> pd.DataFrame:
        """A saved table, or an empty frame when the file was not saved."""
        return self.tables.get(name, pd.DataFrame())

    def mean(self, metric: str) -> float:
        """The metric's mean over replications, NaN when the run has no such metric."""
        if metric not in self.summary.index:
            return math.nan
        return float(self.summary["mean"].to_dict()[metric])


def _read_run(folder: Path) -> _Run:
    saved = results.load_run(folder)  # refuses a failed run or a folder that is not a run
    scenario: ResolvedScenario | None = None
    problem: str | None = None
    try:
        scenario = resolve_scenario(load_scenario(saved.scenario_file))
    except ScenarioError as exc:  # reported in the page; the tables still make a report
        problem = str(exc)
    return _Run(
        folder, saved.manifest, saved.resolved, saved.summary, scenario, problem, saved.tables
    )


def _in_window(table: pd.DataFrame, run: _Run) -> pd.DataFrame:
    """Rows of customers who arrived after the warm-up, as the summary's metrics count them."""
    customers = run.table("customers")
    if run.scenario is None or table.empty or customers.empty or "customer" not in table:
        return table
    keys = [k for k in ("replication", "customer") if k in table.columns and k in customers]
    kept = customers.loc[customers["arrived"] >= run.scenario.horizon.warm_up, keys]
    return table.merge(kept, on=keys, how="inner")


# --------------------------------------------------------------------------- HTML pieces


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    row_classes: Sequence[str] | None = None,
) -> str:
    """An HTML table of already formatted text cells; every cell is escaped here.

    The table sits in a ``.table-scroll`` box that scrolls sideways when the window is narrower
    than the table, so the page itself never does.
    """
    numeric = numeric or [False] * len(header)
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"
    out = ['<div class="table-scroll"><table>', head]
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes and row_classes[index] else ""
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if n else f"<td>{_e(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        out.append(f'<tr class="{_e(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def _metric_row(run: _Run, metric: str) -> list[str]:
    """metric, meaning, mean, 95% CI, as formatted text (``-`` where unknown)."""
    unit = unit_of(metric)
    row = run.summary.loc[metric].to_dict()
    mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    interval = format_interval(mean, low, high, unit)
    return [metric, metric_definition(metric), format_value(mean, unit), interval]


def _headline(run: _Run) -> str:
    names = list(run.summary.index)
    present = set(names)
    standards = [m for m in STANDARDS if m in present]
    others = [m for m in keys("other") if m in present]
    pools = [n for n in names if (found := lookup(n)) is not None and found.key in POOL_FAMILIES]
    shown = [*standards, *others, *pools]
    classes = ["standard" if m in STANDARDS else "" for m in shown]
    return (
        '<section id="standards"><h2>Service standards and headline metrics</h2>\n'
        + _goal(run)
        + '<p class="note">Mean and 95% confidence interval over replications (summary.csv); '
        "the five service standards in bold.</p>\n"
        + _table(
            ["metric", "what it measures", "mean", "95% CI"],
            (_metric_row(run, m) for m in shown),
            numeric=[False, False, True, True],
            row_classes=classes,
        )
        + "</section>"
    )


def _goal(run: _Run) -> str:
    """The service-level goal judged (met, missed, uncertain), as the CLI says it."""
    if run.scenario is None:
        return ""
    standard = run.scenario.service_level
    exclude = standard.abandons_within_target == "exclude"
    headline = "service_level_offered" + ("_excluding" if exclude else "")
    if headline not in run.summary.index or math.isnan(run.mean(headline)):
        return ""
    row = run.summary.to_dict("index")[headline]
    text, verdict = goal_statement(
        standard.goal, standard.target, exclude, row["mean"], row["ci_low"], row["ci_high"]
    )
    css = "goal-" + verdict.split()[0]
    return f'<p id="goal" class="{css}">{_e(text)}<strong>{_e(verdict)}</strong></p>\n'


def _satisfaction(run: _Run) -> str:
    parts = ['<section id="satisfaction"><h2>Satisfaction</h2>']
    rows = []
    for metric in SATISFACTION_SHOWN:
        if metric in run.summary.index:
            _, _, mean, interval = _metric_row(run, metric)
            rows.append([CATALOGUE[metric].label_en, mean, interval])
    if not rows:
        parts.append('<p class="note">This run has no satisfaction measures.</p></section>')
        return "\n".join(parts)
    parts.append(_table(["measure", "mean", "95% CI"], rows, numeric=[False, True, True]))
    levels = [
        [f"{k} {name}", *(_metric_row(run, f"level_share_{k}")[2:])]
        for k, name in LEVEL_NAMES.items()
        if f"level_share_{k}" in run.summary.index
    ]
    if levels:
        parts.append("<h3>Moments by level</h3>")
        parts.append(_table(["level", "share", "95% CI"], levels, numeric=[False, True, True]))
    touchpoints = _judged_touchpoints(run)
    if touchpoints:
        parts.append("<h3>Moments of truth</h3>")
        parts.append(
            _table(
                ["touchpoint", *(CATALOGUE[key].label_en for key in TOUCHPOINT_SHOWN)],
                (
                    [tp, *(metric_value(c, run.mean(c)) for c in _touchpoint_columns(tp))]
                    for tp in touchpoints
                ),
                numeric=[False, True, True, True],
            )
        )
        parts.append('<p class="note">stellar and bitter: moments per replication.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _judged_touchpoints(run: _Run) -> list[str]:
    """Touchpoints with per-touchpoint satisfaction metrics, in the summary's order."""
    parsed = (lookup(str(m)) for m in run.summary.index)
    found = [c.subject for c in parsed if c is not None and c.key == "moment_utility"]
    return list(dict.fromkeys(s for s in found if s is not None))


def _touchpoint_columns(touchpoint: str) -> list[str]:
    return [column(key, touchpoint) for key in TOUCHPOINT_SHOWN]


def _archetype(run: _Run) -> str:
    procedural, personal = run.mean("procedural_score"), run.mean("personal_score")
    head = '<section id="archetype"><h2>Archetype</h2>'
    if math.isnan(procedural) and math.isnan(personal):
        return head + '<p class="note">No procedural or personal score in this run.</p></section>'
    archetype = classify_archetype(procedural, personal)
    text = (
        f"<p><strong>{_e(archetype.name)}</strong>: {_e(archetype.description)} "
        f"({_e(archetype_scores(procedural, personal, ARCHETYPE_THRESHOLD))}).</p>"
    )
    if archetype.inconsistent:
        text += (
            '<p class="warning">Warm but inconsistent: customers meet kind staff and broken '
            "procedures in the same cycle; fix the procedures first.</p>"
        )
    return head + text + "</section>"


def _importance_performance_table(run: _Run) -> pd.DataFrame:
    moments, satisfaction = run.table("moments"), run.table("satisfaction")
    if run.scenario is None:
        return pd.DataFrame()
    sums = run.table("importance")  # saved by every run since records: summary
    if sums.empty and (moments.empty or satisfaction.empty):
        return pd.DataFrame()
    return importance_of(sums, moments, satisfaction, run.scenario)


def _importance_performance(run: _Run, table: pd.DataFrame) -> str:
    head = (
        '<section id="importance-performance"><h2>Importance-performance: where to act first</h2>'
    )
    if table.empty:
        reason = (
            f"the resolved scenario could not be loaded: {run.scenario_problem}"
            if run.scenario_problem
            else "no moments of truth or satisfaction table in this run"
        )
        return head + f'<p class="note">Not available: {_e(reason)}.</p></section>'
    rows = [
        [
            str(row["priority"]),
            str(row["touchpoint"]),
            str(row["quadrant"]),
            str(row["moments"]),
            f"{float(row['importance']):.2f}",
            f"{float(row['performance']):+.2f}",
        ]
        for row in table.to_dict("records")
    ]
    classes = ["first" if r[2] == "concentrate here" else "" for r in rows]
    return (
        head + '<p class="note">Importance derived as |corr(v, S)| over customers; performance is '
        "the mean utility v of the touchpoint's moments (0 = adequate). Quadrants split at "
        "fixed points (Martilla &amp; James 1977): below adequate performs badly, and a "
        "touchpoint is important from half the largest importance on.</p>\n"
        + _table(
            ["priority", "touchpoint", "quadrant", "moments", "importance", "performance"],
            rows,
            numeric=[True, False, False, True, True, True],
            row_classes=classes,
        )
        + "</section>"
    )


def _warnings(run: _Run) -> str:
    warnings = [str(w) for w in run.manifest.get("warnings") or []]
    notes = []
    if run.manifest.get("stopping"):
        notes.append(f"<p>{_e(run.manifest['stopping'])}</p>")
    if run.scenario_problem:
        warnings.append(f"the resolved scenario could not be loaded: {run.scenario_problem}")
    body = (
        "<ul>" + "".join(f'<li class="warning">{_e(w)}</li>' for w in warnings) + "</ul>"
        if warnings
        else '<p class="note">No warnings.</p>'
    )
    return '<section id="warnings"><h2>Warnings</h2>' + "".join(notes) + body + "</section>"


# --------------------------------------------------------------------------- figures


def _save_png(figure: Figure, path: Path) -> None:
    """Write a PNG atomically: a reader never sees half an image."""
    results.write_atomic(path, lambda staging: figure.savefig(staging, format="png", dpi=100))


def _daily(run: _Run) -> pd.DataFrame:
    """:func:`servsim.metrics.daily_metrics` from the saved records; empty if they are missing."""
    visits, staffing = run.table("visits"), run.table("staffing")
    if run.scenario is None or visits.empty or staffing.empty:
        return pd.DataFrame()
    empty = {name: run.table(name) for name in RECORD_NAMES}
    return daily_metrics(RecordTables(**empty), run.scenario)


def _figures(run: _Run, ip_table: pd.DataFrame) -> list[tuple[str, str, Figure]]:
    """(file name, caption, figure) of every figure of the report."""
    target = run.scenario.service_level.target if run.scenario is not None else None
    order = [tp.name for tp in run.scenario.service_cycle] if run.scenario is not None else None
    if order is not None:
        order.append("status_inquiry")
    horizon_days = run.scenario.horizon.length / 86400.0 if run.scenario is not None else 1.0
    return [
        (
            "waits.png",
            "Waits of served staffed visits after the warm-up, per pool; the dashed line is "
            "the service-level target.",
            plots.waits_distribution(_in_window(run.table("visits"), run), target),
        ),
        (
            "moment_levels.png",
            "Moments of truth by level (1 criminal .. 5 amazing) per touchpoint, customers "
            "arriving after the warm-up.",
            plots.moment_levels(_in_window(run.table("moments"), run), order),
        ),
        (
            "importance_performance.png",
            "Importance against performance per moment of truth, numbered by priority.",
            plots.importance_performance_grid(ip_table),
        ),
        (
            "daily_profile.png",
            "Day by day, averaged over replications: staff hours on the floor and in "
            "training, proficiency, mean wait.",
            plots.daily_profile(_daily(run)),
        ),
        (
            "staffing.png",
            "Staff on the floor per pool over the first day(s).",
            plots.staffing_over_time(run.table("staffing"), days=min(2.0, horizon_days)),
        ),
    ]


# --------------------------------------------------------------------------- the report


def _title(run: _Run) -> str:
    name = run.resolved.get("name") or run.manifest.get("scenario") or run.folder.parent.name
    facts = [
        f"{run.resolved.get('contact_level', '?')} contact",
        f"seed {run.manifest.get('seed', run.resolved.get('seed', '?'))}",
        f"{run.manifest.get('replications', '?')} replications",
        f"run {run.manifest.get('run_id', run.folder.name)}",
    ]
    if run.manifest.get("created"):
        facts.append(f"created {run.manifest['created']}")
    if run.manifest.get("servsim_version"):
        facts.append(f"servsim {run.manifest['servsim_version']}")
    description = run.resolved.get("description") or ""
    command = run.manifest.get("command")
    return (
        f"<h1>{_e(name)}</h1>\n"
        + (f"<p>{_e(description)}</p>\n" if description else "")
        + f'<p class="meta">{_e(" · ".join(facts))}</p>\n'
        + (
            f'<p class="meta">command: <code>{_e(" ".join(map(str, command)))}</code></p>\n'
            if command
            else ""
        )
    )


def build_report(run_folder: Path) -> Path:
    """Write ``run_folder/report.html`` and ``run_folder/figures/*.png``; return the HTML path.

    Reads only the run folder's saved files. The page and each image are written to a
    temporary file and renamed into place, so an interrupted build never leaves a half-written
    report; building again replaces both.

    Raises:
        FailedResultFolder: ``run_folder`` records a failed or interrupted run.
        NotAResultFolder: it lacks manifest.json, summary.csv or the resolved scenario.
    """
    run_folder = Path(run_folder)
    run = _read_run(run_folder)
    ip_table = _importance_performance_table(run)
    figures_dir = run_folder / FIGURES
    figures_dir.mkdir(exist_ok=True)
    figure_html = ['<section id="figures"><h2>Figures</h2>']
    for filename, caption, figure in _figures(run, ip_table):
        _save_png(figure, figures_dir / filename)
        figure_html.append(
            f'<figure><img src="{_e(FIGURES)}/{_e(filename)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    figure_html.append("</section>")
    name = run.resolved.get("name") or run.manifest.get("scenario") or run_folder.name
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>servsim report: {_e(name)}</title>",
            f"<style>{STYLE}</style></head><body>",
            _title(run),
            _headline(run),
            _satisfaction(run),
            _archetype(run),
            _importance_performance(run, ip_table),
            _warnings(run),
            *figure_html,
            "</body></html>",
            "",
        ]
    )
    target = run_folder / REPORT
    results.write_text(target, page)
    return target


def referenced_figures(page: str) -> list[str]:
    """The image paths a report page references (for checks that every figure exists)."""
    return re.findall(r'<img src="([^"]+)"', page)
