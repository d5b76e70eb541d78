"""An HTML report of a saved run, built only from the run folder's files, decision first.

``build_report(folder, language)`` reads what ``servsim run`` saved, through
:mod:`servsim.results` (which refuses a failed run): ``manifest.json``, ``summary.csv``,
``scenario.resolved.yaml`` and the Parquet tables. It draws the figures of
:mod:`servsim.plots` to ``figures/*.png`` and writes ``report.html`` beside them. It never
simulates again and never imports the model: a report shows exactly the run that was saved, and
can be rebuilt at any time (after a change of layout, on another machine, in another language)
without the cost or the risk of a rerun that would not match.

The page is written for a manager who has never seen servsim, in the order a planner presents a
run: the **summary** (each goal met or missed with its 95% interval, the costs in the
scenario's currency, the satisfaction level, the archetype, the moments of truth to act on
first, the warnings), then the **inputs** (demand, staffing, the service cycle), the **service
blueprint** (the moments of truth in the customer's order, above and below the line of
visibility), the **interval view**, and the **service standards** with their labels, units and
definitions from :mod:`servsim.catalogue`. Every sentence comes from
:func:`servsim.language.text` and every metric label from the catalogue, in English or Spanish.

The archetype and the importance-performance table are recomputed from the saved tables with
:mod:`servsim.analysis`, the same functions ``servsim run`` prints them with. Optional tables
that are missing (an older run without moments, a ``records: summary`` run without visits) leave
their part of the page saying so; only ``manifest.json``, ``summary.csv`` and the resolved
scenario are required.

Other reports (comparisons, sweeps, staffing) reuse this page's scaffolding: :data:`STYLE`,
:func:`page`, :func:`html_table`, :func:`escape`, :func:`figure_block` and :func:`save_png`.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from servsim import plots, results
from servsim.analysis import ARCHETYPE_THRESHOLD, classify_archetype, importance_of
from servsim.catalogue import STANDARDS, Unit, keys, lookup, unit_of
from servsim.distributions import mean_of
from servsim.language import Language, text
from servsim.metrics import daily_metrics
from servsim.notices import Notice, notices_from_manifest
from servsim.presentation import (
    SATISFACTION_SHOWN,
    format_duration,
    format_number,
    format_share,
    format_value,
    goal_verdict,
    mean_cell,
    metric_label,
)
from servsim.records import FAILED, IN_SYSTEM, RECORD_TYPES, RecordTables
from servsim.satisfaction import moment_utility
from servsim.satisfaction_schema import LEVEL_NAMES
from servsim.scenario import (
    SECONDS_PER_DAY,
    ResolvedScenario,
    ScenarioError,
    load_scenario,
    resolve_scenario,
)
from servsim.scenario.checks import routing_pools
from servsim.scenario.weekly import WEEKDAY_NAMES
from servsim.schema_types import format_clock

__all__ = [
    "FIGURES",
    "REPORT",
    "STYLE",
    "BlueprintCell",
    "Goal",
    "Lane",
    "WarningLine",
    "aggregate_warnings",
    "blueprint_cells",
    "build_report",
    "escape",
    "figure_block",
    "figure_name",
    "html_table",
    "page",
    "readable_time",
    "referenced_figures",
    "save_png",
    "utility_level",
]

REPORT = "report.html"
FIGURES = "figures"
RECORD_NAMES = RECORD_TYPES
DEFAULT_CURRENCY = "EUR"

POOL_FAMILIES = (
    "pool_service_level",
    "wait_mean",
    "pool_abandonment",
    "occupancy",
    "queue_length",
    "handle_time_mean",
    "staff_hours",
    "overtime_hours",
    "training_hours",
)
"""Per-pool metrics of the standards section, in this order, after the overall ones."""
ACT_FIRST = 3
"""How many moments of truth the summary names to act on first."""


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 70em;
       color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
h1, h2, h3, p, li, figcaption, code { overflow-wrap: anywhere; }
.meta { color: #555; } .note { color: #666; font-size: 0.9em; }
.table-scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.compact th, table.compact td { padding: 0.2em 0.4em; font-size: 0.88em; }
tr.standard td { font-weight: bold; }
tr.first td { background: #fdf1e6; }
.warning { color: #8a5a00; } figure { margin: 1em 0; } img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
code.hint { color: #888; font-size: 0.8em; }
.verdict { font-weight: bold; padding: 0 0.3em; border-radius: 3px; }
.verdict.met { background: #d9f0d3; } .verdict.missed { background: #f4c7c3; }
.verdict.uncertain { background: #fde9b5; }
ul.facts { padding-left: 1.2em; } ul.facts li { margin: 0.25em 0; }
.blueprint { display: grid; gap: 4px; max-width: 100%; overflow-x: auto; margin: 0.8em 0; }
.blueprint .lane { font-size: 0.85em; color: #444; font-weight: bold; padding: 0.4em 0.3em;
                   background: #f4f4f4; }
.blueprint .cell { min-width: 0; padding: 0.4em; border-radius: 4px; font-size: 0.85em;
                   overflow-wrap: anywhere; }
.blueprint .cell.empty { background: none; }
.blueprint .cell .name { font-weight: bold; display: block; }
.blueprint .line { grid-column: 1 / -1; border-top: 2px dashed #555; font-size: 0.8em;
                   color: #333; padding-top: 0.1em; }
.level-1 { background: #b2182b; color: #fff; } .level-2 { background: #ef8a62; }
.level-3 { background: #d9d9d9; } .level-4 { background: #67a9cf; }
.level-5 { background: #1a9850; color: #fff; } .level-none { background: #f7f7f7;
  border: 1px dashed #bbb; }
.legend span { display: inline-block; padding: 0.1em 0.5em; margin: 0.1em; border-radius: 3px;
               font-size: 0.85em; }
"""
"""The page's CSS. Narrow windows: a table too wide scrolls inside its own ``.table-scroll``
box, images shrink to the column, the blueprint's columns shrink (its cells break long names
anywhere), and long words (paths, the command) break anywhere outside tables (inside them
``anywhere`` would squeeze the columns to a letter wide instead). The ``level-k`` colours are
:data:`servsim.plots.LEVEL_COLOURS`, so the blueprint and the figures speak one colour code."""


# --------------------------------------------------------------------------- page scaffolding


def escape(value: object) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


_e = escape


def html_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    row_classes: Sequence[str] | None = None,
    raw: bool = False,
    compact: bool = False,
) -> str:
    """An HTML table of already formatted text cells; every cell is escaped here.

    The table sits in a ``.table-scroll`` box that scrolls sideways when the window is narrower
    than the table, so the page itself never does. ``raw``: the body cells are HTML already
    (built with :func:`escape`), for cells that hold a small code hint or a verdict mark.
    ``compact``: smaller type and padding, for a table of many columns (the days) that should
    fit a laptop's page, and a printout, whole.
    """
    numeric = numeric or [False] * len(header)
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"
    opening = '<table class="compact">' if compact else "<table>"
    out = [f'<div class="table-scroll">{opening}', head]
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes and row_classes[index] else ""
        cells = "".join(
            f'<td class="num">{c if raw else _e(c)}</td>'
            if n
            else f"<td>{c if raw else _e(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        out.append(f'<tr class="{_e(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    out.append("</table></div>")
    return "\n".join(out)


_table = html_table


def page(title: str, body: str, language: Language = "en") -> str:
    """A whole HTML document: the language, the viewport, :data:`STYLE`, ``body`` as given."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{_e(language)}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
            body,
            "</body></html>",
            "",
        ]
    )


def section(name: str, heading: str, *parts: str) -> str:
    """``<section id=name>`` with its ``<h2>`` heading and the parts (HTML) in order."""
    return f'<section id="{_e(name)}"><h2>{_e(heading)}</h2>\n' + "\n".join(parts) + "</section>"


def note(sentence: str) -> str:
    """A grey explanatory paragraph (escaped)."""
    return f'<p class="note">{_e(sentence)}</p>'


def save_png(figure: Figure, path: Path, language: Language = "en") -> None:
    """Write a PNG atomically: a reader never sees half an image.

    A Spanish figure gets decimal commas on its number ticks, like the page around it.
    """
    if language == "es":
        plots.decimal_comma(figure)
    results.write_atomic(path, lambda staging: figure.savefig(staging, format="png", dpi=100))


_save_png = save_png


def figure_name(stem: str, language: Language) -> str:
    """A figure's file name: ``waits.png`` in English, ``waits.es.png`` in Spanish.

    Each language draws its own figures (titles and axes are words), so a page never shows
    the other language's images after the report is built in both.
    """
    return f"{stem}.png" if language == "en" else f"{stem}.{language}.png"


def figure_block(
    folder: Path, filename: str, caption: str, figure: Figure, language: Language = "en"
) -> str:
    """Save ``figure`` as ``folder/figures/filename`` and return its ``<figure>`` HTML."""
    figures_dir = folder / FIGURES
    figures_dir.mkdir(exist_ok=True)
    save_png(figure, figures_dir / filename, language)
    return (
        f'<figure><img src="{_e(FIGURES)}/{_e(filename)}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def referenced_figures(page_text: str) -> list[str]:
    """The image paths a report page references (for checks that every figure exists)."""
    return re.findall(r'<img src="([^"]+)"', page_text)


# --------------------------------------------------------------------------- the run read


@dataclass(frozen=True)
class _Run:
    """What the report reads from a run folder, loaded once, and the language it is written in."""

    folder: Path
    manifest: dict[str, Any]
    resolved: dict[str, Any]
    summary: pd.DataFrame
    scenario: ResolvedScenario | None
    scenario_problem: str | None
    tables: dict[str, pd.DataFrame]
    language: Language

    def table(self, name: str) -> pd.DataFrame:
        """A saved table, or an empty frame when the file was not saved."""
        return self.tables.get(name, pd.DataFrame())

    def has(self, metric: str) -> bool:
        """Whether the summary holds the metric with a mean."""
        return metric in self.summary.index and not math.isnan(self.mean(metric))

    def mean(self, metric: str) -> float:
        """The metric's mean over replications, NaN when the run has no such metric."""
        return self.row(metric)[0]

    def row(self, metric: str) -> tuple[float, float, float]:
        """(mean, ci_low, ci_high) of a metric, NaNs when the run has no such metric."""
        if metric not in self.summary.index:
            return math.nan, math.nan, math.nan
        row = self.summary.loc[metric].to_dict()
        return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])

    def t(self, key: str, /, **fields: object) -> str:
        """A message in the report's language."""
        return text(key, self.language, **fields)

    @property
    def currency(self) -> str:
        """What costs are written in: the scenario's ``reporting.currency``."""
        if self.scenario is not None:
            return self.scenario.reporting.currency
        reporting = self.resolved.get("reporting") or {}
        return str(reporting.get("currency") or DEFAULT_CURRENCY)

    def cell(self, metric: str) -> str:
        """``mean [low .. high]`` of a metric in its unit (money in the currency); ``-``."""
        mean, low, high = self.row(metric)
        return mean_cell(mean, low, high, unit_of(metric), self.currency, self.language)

    def number(self, value: float, unit: Unit | None) -> str:
        """A value alone in its unit, written in the report's language."""
        return format_value(value, unit, self.currency, self.language)

    def label(self, metric: str) -> str:
        """A metric column's label in the report's language: ``mean wait (agents)``."""
        return metric_label(metric, self.language)


def _read_run(folder: Path, language: Language) -> _Run:
    saved = results.load_run(folder)  # refuses a failed run or a folder that is not a run
    scenario: ResolvedScenario | None = None
    problem: str | None = None
    try:
        scenario = resolve_scenario(load_scenario(saved.scenario_file))
    except ScenarioError as exc:  # reported in the page; the tables still make a report
        problem = str(exc)
    return _Run(
        folder,
        saved.manifest,
        saved.resolved,
        saved.summary,
        scenario,
        problem,
        saved.tables,
        language,
    )


def _in_window(table: pd.DataFrame, run: _Run) -> pd.DataFrame:
    """Rows of customers who arrived after the warm-up, as the summary's metrics count them."""
    customers = run.table("customers")
    if run.scenario is None or table.empty or customers.empty or "customer" not in table:
        return table
    keys = [k for k in ("replication", "customer") if k in table.columns and k in customers]
    kept = customers.loc[customers["arrived"] >= run.scenario.horizon.warm_up, keys]
    return table.merge(kept, on=keys, how="inner")


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Goal:
    """One goal of the scenario judged on a 95% interval.

    Attributes:
        metric: the summary's column judged (``service_level_offered``, ``pool_service_level[x]``).
        goal: the share to reach.
        target: seconds within which a contact counts as answered in time.
        mean, low, high: the metric's mean and 95% interval over replications.
        verdict: ``met`` (the interval is above the goal), ``missed`` (below) or ``uncertain``.
    """

    metric: str
    goal: float
    target: float
    mean: float
    low: float
    high: float
    verdict: Literal["met", "missed", "uncertain"]


def _verdict(low: float, high: float, goal: float) -> Literal["met", "missed", "uncertain"]:
    """The first word of :func:`servsim.presentation.goal_verdict`: one rule for CLI and page."""
    word = goal_verdict(low, high, goal).split()[0]
    return "met" if word == "met" else "missed" if word == "missed" else "uncertain"


def goals(run: _Run) -> list[Goal]:
    """The service-level goal overall (the scenario's headline convention), then per pool.

    A planner reads the service level per offered contact, overall and at each pool where
    customers wait in person (docs/model.md §9), against the one goal the scenario sets.
    """
    if run.scenario is None:
        return []
    standard = run.scenario.service_level
    exclude = standard.abandons_within_target == "exclude"
    headline = "service_level_offered" + ("_excluding" if exclude else "")
    columns = [headline]
    columns += [
        str(m)
        for m in run.summary.index
        if (found := lookup(str(m))) is not None and found.key == "pool_service_level"
    ]
    out = []
    for metric in columns:
        mean, low, high = run.row(metric)
        if math.isnan(mean):
            continue
        verdict = _verdict(low, high, standard.goal)
        out.append(Goal(metric, standard.goal, standard.target, mean, low, high, verdict))
    return out


def _goal_item(run: _Run, goal: Goal, headline: bool) -> str:
    found = lookup(goal.metric)
    pool = found.subject if found is not None else None
    convention = run.t(
        "report.goal.exclude"
        if run.scenario is not None
        and run.scenario.service_level.abandons_within_target == "exclude"
        else "report.goal.miss"
    )
    what = run.t(
        "report.goal.overall" if headline or pool is None else "report.goal.pool",
        goal=format_share(goal.goal, run.language),
        target=format_duration(goal.target, run.language),
        pool=pool or "",
        convention=convention,
    )
    reached = mean_cell(goal.mean, goal.low, goal.high, "share", language=run.language)
    return (
        f'<li class="goal" data-metric="{_e(goal.metric)}" data-verdict="{_e(goal.verdict)}">'
        f"{_e(what)}: {_e(reached)} "
        f'<span class="verdict {_e(goal.verdict)}">{_e(run.t("goal." + goal.verdict))}</span>'
        "</li>"
    )


def csat_level(csat: float) -> int | None:
    """The level 1-5 whose name describes a mean CSAT (1-5): the nearest whole score."""
    if math.isnan(csat):
        return None
    return int(min(5, max(1, math.floor(csat + 0.5))))


def readable_time(created: object) -> str:
    """A saved ISO time as a reader writes it: ``2026-12-05 07:22 UTC``; as saved otherwise."""
    try:
        moment = datetime.fromisoformat(str(created))
    except ValueError:
        return str(created)
    if moment.utcoffset() is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def utility_level(v: float, scenario: ResolvedScenario | None) -> int | None:
    """The moment level 1-5 of a mean utility ``v``: the level of a moment with that utility.

    Utility rises with the disconfirmation ``x`` and levels are cut on ``x``
    (docs/model.md §5), so a level starts at the utility of its threshold; the scenario's own
    satisfaction coefficients are used. None for NaN (a touchpoint without moments).
    """
    if math.isnan(v):
        return None
    model = scenario.satisfaction if scenario is not None else None
    thresholds = np.asarray(
        model.level_thresholds if model is not None else (-0.5, 0.5, 1.0, 1.5), dtype=np.float64
    )
    edges = moment_utility(
        thresholds,
        model.alpha if model is not None else 0.88,
        model.loss_aversion if model is not None else 2.25,
        model.zone_slope if model is not None else 0.3,
    )
    return int(1 + np.searchsorted(edges, v, side="right"))


@dataclass(frozen=True)
class WarningLine:
    """One distinct warning of a run and how many replications raised it.

    Attributes:
        text: the warning in the report's language (as saved when it has no translation).
        replications: replications that raised it (None when the warning is about the run).
        of: the run's replications.
    """

    text: str
    replications: int | None
    of: int


_COUNTED = re.compile(r"\bin (?P<n>\d+) of (?P<of>\d+) replications\b")
_REPLICATION = re.compile(r"^\s*(?:replication|réplica)\s+\d+\s*[:,-]\s*", re.IGNORECASE)


def aggregate_warnings(
    warnings: Sequence[Notice | str], replications: int, language: Language = "en"
) -> list[WarningLine]:
    """One line per distinct warning, with how many replications raised it.

    A run saves its warnings as data (:class:`servsim.notices.Notice`), already grouped over
    replications, and each is written in ``language`` from its values. Older runs saved
    English text, sometimes once per replication (``replication 4: ...``): such a text is
    shown as saved, repeated lines counted as one, a saved count (``in 3 of 10
    replications``) read, never translated by guessing at its words.
    """
    out = []
    texts: Counter[str] = Counter()
    for warning in warnings:
        if isinstance(warning, Notice):
            out.append(WarningLine(warning.render(language), None, replications))
        else:
            texts[_REPLICATION.sub("", warning).strip()] += 1
    for line, repeated in texts.items():
        if not line:
            continue
        said = _COUNTED.search(line)
        n = int(said["n"]) if said else repeated if repeated > 1 else None
        of = int(said["of"]) if said else replications
        out.append(WarningLine(line, n, of))
    return out


def _stopping(run: _Run) -> str:
    """How ``replications: auto`` decided, in the report's language (as saved when only text)."""
    saved = run.manifest.get("stopping_notice")
    if isinstance(saved, dict):
        try:
            return Notice.from_json(saved).render(run.language)
        except (KeyError, TypeError, ValueError, IndexError):
            pass
    return str(run.manifest.get("stopping") or "")


def _warnings(run: _Run) -> str:
    saved = notices_from_manifest(run.manifest.get("warnings"))
    replications = int(run.manifest.get("replications") or 0)
    lines = aggregate_warnings(saved, replications, run.language)
    items = []
    for line in lines:
        count = (
            run.t("report.warning.count", n=line.replications, of=line.of)
            if line.replications is not None
            else ""
        )
        items.append(
            f'<li class="warning">{_e(line.text)}'
            + (f' <strong class="count">({_e(count)})</strong>' if count else "")
            + "</li>"
        )
    if run.scenario_problem:
        items.append(
            f'<li class="warning">{_e(run.t("report.scenario_problem"))}: '
            f"{_e(run.scenario_problem)}</li>"
        )
    stopping = _stopping(run)
    out = f"<h3>{_e(run.t('report.warnings'))}</h3>"
    if stopping:
        out += f'<p class="note">{_e(stopping)}</p>'
    if not items:
        return out + note(run.t("report.no_warnings"))
    return out + '<ul id="warnings" class="facts">' + "".join(items) + "</ul>"


def _summary(run: _Run, ip_table: pd.DataFrame) -> str:
    items = []
    found_goals = goals(run)
    for index, goal in enumerate(found_goals):
        items.append(_goal_item(run, goal, headline=index == 0))
    if not found_goals:
        items.append(f"<li>{_e(run.t('report.no_goal'))}</li>")
    for metric in ("staff_cost", "training_cost", "cost_per_resolved_issue"):
        if run.has(metric) and not (metric == "training_cost" and run.mean(metric) == 0):
            items.append(f"<li>{_e(run.label(metric))}: {_e(run.cell(metric))}</li>")
    level = csat_level(run.mean("csat_mean"))
    if level is not None:
        items.append(
            '<li id="satisfaction-level">'
            + _e(
                run.t(
                    "report.summary.satisfaction",
                    level=level,
                    name=run.t(f"term.level.{level}"),
                    csat=run.cell("csat_mean"),
                )
            )
            + "</li>"
        )
    items.append(f'<li id="summary-archetype">{_archetype(run)}</li>')
    acts = _act_first(run, ip_table)
    lists = '<ul class="facts">' + "".join(items) + "</ul>"
    return section(
        "summary",
        run.t("report.summary"),
        lists,
        f"<h3>{_e(run.t('report.act_first'))}</h3>",
        acts,
        _warnings(run),
    )


def _archetype(run: _Run) -> str:
    procedural, personal = run.mean("procedural_score"), run.mean("personal_score")
    if math.isnan(procedural) and math.isnan(personal):
        return _e(run.t("report.archetype.none"))
    archetype = classify_archetype(procedural, personal)
    key = archetype.name.replace(" ", "_")
    out = _e(run.t("report.archetype")) + ": <strong>"
    out += _e(run.t(f"report.archetype.{key}")) + "</strong>: "
    out += _e(run.t(f"report.archetype.{key}.description")) + " ("
    out += _e(
        run.t(
            "report.archetype.scores",
            procedural=format_number(procedural, ".2f", run.language),
            personal=format_number(personal, ".2f", run.language),
            threshold=format_number(ARCHETYPE_THRESHOLD, ".2f", run.language),
        )
    )
    out += ")."
    if archetype.inconsistent:
        out += f' <span class="warning">{_e(run.t("report.archetype.inconsistent"))}</span>'
    return out


def _quadrant(run: _Run, quadrant: str) -> str:
    return run.t("report.quadrant." + quadrant.replace(" ", "_"))


def _performance(run: _Run, performance: float) -> str:
    """A moment's mean utility v, signed, with the level it reaches: ``+0.27 (3 expected)``."""
    level = utility_level(performance, run.scenario)
    shown = format_number(performance, "+.2f", run.language)
    return shown + (f" ({level} {run.t(f'term.level.{level}')})" if level else "")


def _act_first(run: _Run, ip_table: pd.DataFrame) -> str:
    """The first moments of truth of the importance-performance priority order."""
    if ip_table.empty:
        return note(run.t("report.ip.not_available"))
    rows = []
    for row in ip_table.head(ACT_FIRST).to_dict("records"):
        rows.append(
            [
                str(row["priority"]),
                str(row["touchpoint"]),
                _quadrant(run, str(row["quadrant"])),
                _performance(run, float(row["performance"])),
            ]
        )
    classes = ["first" if r[2] == _quadrant(run, "concentrate here") else "" for r in rows]
    return html_table(
        [
            run.t("report.col.priority"),
            run.t("term.moment_of_truth"),
            run.t("report.col.quadrant"),
            run.t("report.col.performance"),
        ],
        rows,
        numeric=[True, False, False, True],
        row_classes=classes,
    ) + note(run.t("report.ip.note"))


# --------------------------------------------------------------------------- inputs


def _demand(run: _Run) -> str:
    """Contacts offered per hour of the day, averaged over the run's days, per pool."""
    intervals = run.table("intervals")
    if intervals.empty or not {"time", "pool", "offered"} <= set(intervals.columns):
        return note(run.t("report.no_intervals"))
    frame = intervals.copy()
    frame["hour"] = ((frame["time"] % SECONDS_PER_DAY) // 3600).astype(int)
    days = max(int(frame["day"].nunique()), 1) if "day" in frame else 1
    pools = list(dict.fromkeys(frame["pool"].astype(str)))
    table = (
        frame.pivot_table(
            index="hour", columns="pool", values="offered", aggfunc="sum", fill_value=0.0
        ).reindex(columns=pools, fill_value=0.0)
        / days
    )
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        return note(run.t("report.no_demand"))
    rows = [
        [f"{format_clock(h * 3600.0)}–{format_clock(((h + 1) % 24) * 3600.0)}"]
        + [format_number(float(v), ".1f", run.language) for v in table.loc[h]]
        for h in table.index
    ]
    rows.append(
        [run.t("report.demand.day_total")]
        + [format_number(float(v), ".1f", run.language) for v in table.sum()]
    )
    return (
        f"<h3>{_e(run.t('report.demand'))}</h3>"
        + note(run.t("report.demand.note", days=days))
        + html_table(
            [run.t("report.col.hour"), *pools],
            rows,
            numeric=[False, *[True] * len(pools)],
            row_classes=[""] * (len(rows) - 1) + ["standard"],
        )
    )


def _side(run: _Run, pool: str) -> str:
    assert run.scenario is not None
    try:
        side = run.scenario.pool_side(pool)
    except KeyError:
        return "?"
    return run.t("term.front_line" if side == "front" else "term.back_office")


def _staffing(run: _Run) -> str:
    """Staff by pool and shift as the resolved scenario schedules them."""
    if run.scenario is None:
        return ""
    rows = []
    for side, pool in run.scenario.staff.pools():
        cost = run.number(pool.cost_per_hour, "money")
        side_text = run.t("term.front_line" if side == "front" else "term.back_office")
        if not pool.shifts:
            rows.append(
                [
                    pool.name,
                    side_text,
                    run.t("report.staffing.always"),
                    str(pool.headcount),
                    "",
                    cost,
                ]
            )
        for shift in pool.shifts:
            when = []
            if shift.days:
                when.append(run.t("report.staffing.days", days=", ".join(map(str, shift.days))))
            if shift.weekdays:
                names = ", ".join(run.t(f"term.weekday.{WEEKDAY_NAMES[d]}") for d in shift.weekdays)
                when.append(names)
            rows.append(
                [
                    pool.name,
                    side_text,
                    f"{format_clock(shift.start)}–{format_clock(shift.end)}",
                    str(shift.headcount),
                    "; ".join(when) or run.t("report.staffing.every_day"),
                    cost,
                ]
            )
    return f"<h3>{_e(run.t('report.staffing'))}</h3>" + html_table(
        [
            run.t("report.col.pool"),
            run.t("report.col.side"),
            run.t("report.col.shift"),
            run.t("report.col.headcount"),
            run.t("report.col.days"),
            run.t("report.col.cost_per_hour"),
        ],
        rows,
        numeric=[False, False, False, True, False, True],
    )


def _cycle(run: _Run) -> str:
    """The service cycle in order: who serves each step, how long it takes, what can happen."""
    if run.scenario is None:
        return ""
    rows = []
    yes, no = run.t("report.yes"), run.t("report.no")
    for index, tp in enumerate(run.scenario.service_cycle, start=1):
        pools = routing_pools(tp.served_by)
        served = ", ".join(dict.fromkeys(pools)) or run.t("term.physical_support")
        rows.append(
            [
                str(index),
                tp.name,
                served,
                run.number(mean_of(tp.service_time), "seconds"),
                yes if tp.customer_present else no,
                yes if tp.moment_of_truth else no,
                _probability(tp.failure, run.language),
            ]
        )
    return f"<h3>{_e(run.t('term.service_cycle').capitalize())}</h3>" + html_table(
        [
            "#",
            run.t("report.col.touchpoint"),
            run.t("report.col.served_by"),
            run.t("report.col.service_time"),
            run.t("report.col.present"),
            run.t("term.moment_of_truth"),
            run.t("report.col.failure"),
        ],
        rows,
        numeric=[True, False, False, True, False, False, True],
    )


def _probability(value: float | dict[str, float], language: Language) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {format_share(v, language)}" for k, v in value.items())
    return format_share(value, language)


def _inputs(run: _Run) -> str:
    return section(
        "inputs",
        run.t("report.inputs"),
        note(run.t("report.inputs.note")),
        _demand(run),
        _staffing(run),
        _cycle(run),
    )


# --------------------------------------------------------------------------- blueprint

Lane = Literal["front", "physical", "back"]
"""Blueprint lanes: front line and physical support above the line of visibility, the back
office below it."""
LANES: tuple[Lane, ...] = ("front", "physical", "back")


@dataclass(frozen=True)
class BlueprintCell:
    """One step of the service cycle placed on the blueprint.

    Attributes:
        touchpoint: its name; ``column`` its place in the cycle (0 = first).
        lane: front line, physical support (no staff) or back office.
        visible: above the line of visibility: the customer sees the step happen.
        judged: a moment of truth (the customer judges it).
        level: the satisfaction level 1-5 of its mean utility (None if not judged / no data).
        utility: the mean utility v of its moments (NaN when none).
        wait: mean wait per visit, in seconds, abandoners until they left (NaN unknown).
        failure: share of finished visits that failed (NaN unknown).
    """

    touchpoint: str
    column: int
    lane: Lane
    visible: bool
    judged: bool
    level: int | None
    utility: float
    wait: float
    failure: float


def _visit_figures(visits: pd.DataFrame) -> tuple[dict[str, float], dict[str, float]]:
    """Per touchpoint: mean wait of its queued visits and share of finished visits that failed."""
    if visits.empty or not {"touchpoint", "queued", "ended", "outcome"} <= set(visits.columns):
        return {}, {}
    frame = visits[visits["queued"].notna()]
    started = frame["started"] if "started" in frame else frame["ended"]
    waited = started.fillna(frame["ended"]) - frame["queued"]
    waits = waited.groupby(frame["touchpoint"].astype(str)).mean()
    finished = visits[visits["outcome"].astype(str) != IN_SYSTEM]
    failed = (
        (finished["outcome"].astype(str) == FAILED)
        .groupby(finished["touchpoint"].astype(str))
        .mean()
    )
    return (
        {str(k): float(v) for k, v in waits.items()},
        {str(k): float(v) for k, v in failed.items()},
    )


def blueprint_cells(
    scenario: ResolvedScenario, summary: pd.DataFrame, visits: pd.DataFrame
) -> list[BlueprintCell]:
    """The service cycle placed on a service blueprint, in the customer's order.

    A step without staff is **physical support** (a letter, a web page, a kiosk); a staffed
    step is **front line** when its pool is a front pool or the customer is present while it
    is done (high contact couples the back office to the customer), else **back office**.
    Front line and physical support are above the line of visibility, the back office below
    it. Each judged step gets the level of its mean utility (``moment_utility[tp]`` of the
    summary); waits and failures come from the saved visits of customers in the window.
    """
    waits, failures = _visit_figures(visits)
    utilities = summary["mean"].to_dict() if "mean" in summary else {}
    cells = []
    for index, tp in enumerate(scenario.service_cycle):
        pools = routing_pools(tp.served_by)
        sides = {scenario.pool_side(p) for p in pools if _has_pool(scenario, p)}
        lane: Lane
        if not pools:
            lane = "physical"
        elif "front" in sides or tp.customer_present:
            lane = "front"
        else:
            lane = "back"
        utility = float(utilities.get(f"moment_utility[{tp.name}]", math.nan))
        cells.append(
            BlueprintCell(
                touchpoint=tp.name,
                column=index,
                lane=lane,
                visible=lane != "back",
                judged=tp.moment_of_truth,
                level=utility_level(utility, scenario) if tp.moment_of_truth else None,
                utility=utility,
                wait=waits.get(tp.name, math.nan) if pools else math.nan,
                failure=failures.get(tp.name, math.nan),
            )
        )
    return cells


def _has_pool(scenario: ResolvedScenario, name: str) -> bool:
    return any(pool.name == name for _, pool in scenario.staff.pools())


def _blueprint_cell_html(run: _Run, cell: BlueprintCell) -> str:
    css = f"level-{cell.level}" if cell.level is not None else "level-none"
    lines = [f'<span class="name">{_e(cell.touchpoint)}</span>']
    if cell.level is not None:
        lines.append(_e(f"{cell.level} {run.t(f'term.level.{cell.level}')}"))
    elif not cell.judged:
        lines.append(_e(run.t("report.blueprint.not_judged")))
    if not math.isnan(cell.wait):
        lines.append(
            _e(run.t("report.blueprint.wait", wait=run.number(cell.wait, "seconds")))
        )
    if not math.isnan(cell.failure):
        share = format_share(cell.failure, run.language, 1)
        lines.append(_e(run.t("report.blueprint.failure", share=share)))
    return (
        f'<div class="cell {css}" data-touchpoint="{_e(cell.touchpoint)}" '
        f'data-lane="{_e(cell.lane)}" data-visible="{str(cell.visible).lower()}" '
        f'style="grid-column: {cell.column + 2}">' + "<br>".join(lines) + "</div>"
    )


def _blueprint(run: _Run) -> str:
    heading = run.t("report.blueprint")
    if run.scenario is None:
        return section("blueprint", heading, note(run.t("report.scenario_problem")))
    cells = blueprint_cells(run.scenario, run.summary, _in_window(run.table("visits"), run))
    steps = len(cells)
    grid = [
        f'<div class="blueprint" style="grid-template-columns: minmax(5em, 9em) '
        f'repeat({steps}, minmax(0, 1fr))">'
    ]
    lane_names = {
        "front": run.t("term.front_line"),
        "physical": run.t("term.physical_support"),
        "back": run.t("term.back_office"),
    }
    for lane in LANES:
        if lane == "back":
            grid.append(
                f'<div class="line">{_e(run.t("term.line_of_visibility").capitalize())}</div>'
            )
        grid.append(f'<div class="lane" style="grid-column: 1">{_e(lane_names[lane])}</div>')
        in_lane = {c.column: c for c in cells if c.lane == lane}
        for column in range(steps):
            found = in_lane.get(column)
            grid.append(
                _blueprint_cell_html(run, found)
                if found is not None
                else f'<div class="cell empty" style="grid-column: {column + 2}"></div>'
            )
    grid.append("</div>")
    legend = '<p class="legend">' + "".join(
        f'<span class="level-{k}">{k} {_e(run.t(f"term.level.{k}"))}</span>' for k in LEVEL_NAMES
    )
    legend += f'<span class="level-none">{_e(run.t("report.blueprint.not_judged"))}</span></p>'
    return section(
        "blueprint",
        heading,
        note(run.t("report.blueprint.note")),
        "\n".join(grid),
        legend,
    )


# --------------------------------------------------------------------------- interval view


DAY_SHOWN: tuple[tuple[str, Unit], ...] = (
    ("offered", "count"),
    ("answered", "count"),
    ("abandoned", "count"),
    ("service_level", "share"),
    ("asa", "seconds"),
    ("occupancy", "share"),
    ("staff_hours", "hours"),
    ("staff_on_duty", "count"),
    ("erlang_required", "count"),
)
"""Columns of the per-day table, with their units."""


def _interval_view(run: _Run) -> str:
    heading = run.t("report.intervals")
    intervals, days = run.table("intervals"), run.table("days")
    if intervals.empty:
        return section("intervals", heading, note(run.t("report.no_intervals")))
    goal = run.scenario.service_level.goal if run.scenario is not None else None
    figure = figure_block(
        run.folder,
        figure_name("interval_view", run.language),
        run.t("report.caption.intervals"),
        plots.interval_view(intervals, goal, run.language),
        run.language,
    )
    parts = [figure]
    if not days.empty:
        shown = [(c, u) for c, u in DAY_SHOWN if c in days.columns]
        rows = []
        for row in days.to_dict("records"):
            weekday = run.t(f"term.weekday.{row['weekday']}") if "weekday" in row else ""
            day = f"{weekday}\u00a0{row['day']}" if weekday else str(row["day"])  # as the axes
            cells = [day, str(row["pool"])]
            for name, unit in shown:
                value = float(row[name])
                cells.append(format_value(value, unit, language=run.language))
            rows.append(cells)
        parts.append(f"<h3>{_e(run.t('report.days'))}</h3>")
        parts.append(
            html_table(
                [
                    run.t("report.col.day"),
                    run.t("report.col.pool"),
                    *(run.t(f"report.col.{name}") for name, _ in shown),
                ],
                rows,
                numeric=[False, False, *[True] * len(shown)],
                compact=True,
            )
        )
        parts.append(note(run.t("report.days.note")))
    return section("intervals", heading, *parts)


# --------------------------------------------------------------------------- standards


def _standard_row(run: _Run, metric: str) -> list[str]:
    """Label (and a small code hint), value with interval, definition: HTML cells."""
    found = lookup(metric)
    definition = found.metric.definition_in(run.language) if found is not None else ""
    return [
        f'{_e(run.label(metric))}<br><code class="hint">{_e(metric)}</code>',
        _e(run.cell(metric)),
        _e(definition),
    ]


def _standards(run: _Run) -> str:
    names = [str(n) for n in run.summary.index]
    present = set(names)
    standards = [m for m in STANDARDS if m in present]
    others = [m for m in keys("other") if m in present]
    pools = [
        n
        for family in POOL_FAMILIES
        for n in names
        if (found := lookup(n)) is not None and found.key == family
    ]
    shown = [*standards, *others, *pools]
    classes = ["standard" if m in STANDARDS else "" for m in shown]
    return section(
        "standards",
        run.t("report.standards"),
        note(run.t("report.standards.note")),
        html_table(
            [
                run.t("report.col.measure"),
                run.t("report.col.value"),
                run.t("report.col.definition"),
            ],
            (_standard_row(run, m) for m in shown),
            numeric=[False, True, False],
            row_classes=classes,
            raw=True,
        ),
    )


# --------------------------------------------------------------------------- satisfaction


def _satisfaction(run: _Run, ip_table: pd.DataFrame) -> str:
    heading = run.t("report.satisfaction")
    shown = [m for m in SATISFACTION_SHOWN if m in run.summary.index]
    if not shown:
        return section("satisfaction", heading, note(run.t("report.no_satisfaction")))
    parts = [
        html_table(
            [run.t("report.col.measure"), run.t("report.col.value")],
            ([run.label(m), run.cell(m)] for m in shown),
            numeric=[False, True],
        )
    ]
    levels = [
        [f"{k} {run.t(f'term.level.{k}')}", run.cell(f"level_share_{k}")]
        for k in LEVEL_NAMES
        if f"level_share_{k}" in run.summary.index
    ]
    if levels:
        parts.append(f"<h3>{_e(run.t('report.levels'))}</h3>")
        parts.append(
            html_table(
                [run.t("report.col.level"), run.t("report.col.share")],
                levels,
                numeric=[False, True],
            )
        )
    if not ip_table.empty:
        rows = [
            [
                str(row["priority"]),
                str(row["touchpoint"]),
                _quadrant(run, str(row["quadrant"])),
                format_number(float(row["moments"]), ",.0f", run.language),
                format_number(float(row["importance"]), ".2f", run.language),
                _performance(run, float(row["performance"])),
            ]
            for row in ip_table.to_dict("records")
        ]
        parts.append(f"<h3>{_e(run.t('report.ip'))}</h3>")
        parts.append(
            html_table(
                [
                    run.t("report.col.priority"),
                    run.t("term.moment_of_truth"),
                    run.t("report.col.quadrant"),
                    run.t("report.col.moments"),
                    run.t("report.col.importance"),
                    run.t("report.col.performance"),
                ],
                rows,
                numeric=[True, False, False, True, True, True],
                row_classes=[
                    "first" if r[2] == _quadrant(run, "concentrate here") else "" for r in rows
                ],
            )
        )
        parts.append(note(run.t("report.ip.note")))
    return section("satisfaction", heading, *parts)


# --------------------------------------------------------------------------- figures


def _importance_performance_table(run: _Run) -> pd.DataFrame:
    moments, satisfaction = run.table("moments"), run.table("satisfaction")
    if run.scenario is None:
        return pd.DataFrame()
    sums = run.table("importance")  # saved by every run since records: summary
    if sums.empty and (moments.empty or satisfaction.empty):
        return pd.DataFrame()
    return importance_of(sums, moments, satisfaction, run.scenario)


def _daily(run: _Run) -> pd.DataFrame:
    """:func:`servsim.metrics.daily_metrics` from the saved records; empty if they are missing."""
    visits, staffing = run.table("visits"), run.table("staffing")
    if run.scenario is None or visits.empty or staffing.empty:
        return pd.DataFrame()
    empty = {name: run.table(name) for name in RECORD_NAMES}
    return daily_metrics(RecordTables(**empty), run.scenario)


def _figures(run: _Run, ip_table: pd.DataFrame) -> str:
    """The figures section: every figure of the run, with its caption in the language."""
    language = run.language
    target = run.scenario.service_level.target if run.scenario is not None else None
    order = [tp.name for tp in run.scenario.service_cycle] if run.scenario is not None else None
    if order is not None:
        order.append("status_inquiry")
    horizon_days = run.scenario.horizon.length / SECONDS_PER_DAY if run.scenario else 1.0
    days = min(2.0, horizon_days)
    drawn = [
        (
            "waits",
            run.t("report.caption.waits"),
            plots.waits_distribution(_in_window(run.table("visits"), run), target, language),
        ),
        (
            "moment_levels",
            run.t("report.caption.levels"),
            plots.moment_levels(_in_window(run.table("moments"), run), order, language),
        ),
        (
            "importance_performance",
            run.t("report.caption.ip"),
            plots.importance_performance_grid(ip_table, language),
        ),
        (
            "daily_profile",
            run.t("report.caption.daily"),
            plots.daily_profile(_daily(run), language),
        ),
        (
            "staffing",
            run.t(
                "report.caption.staffing" + (".one" if days == 1 else ""),
                days=format_number(days, "g", language),
            ),
            plots.staffing_over_time(
                run.table("staffing"),
                days=days,
                intervals=run.table("intervals"),
                language=language,
            ),
        ),
    ]
    blocks = [
        figure_block(run.folder, figure_name(stem, language), caption, fig, language)
        for stem, caption, fig in drawn
    ]
    return section("figures", run.t("report.figures"), *blocks)


# --------------------------------------------------------------------------- the report


def _title(run: _Run) -> str:
    name = run.resolved.get("name") or run.manifest.get("scenario") or run.folder.parent.name
    level = str(run.resolved.get("contact_level", "?"))
    facts = [
        run.t(
            "report.meta.contact",
            level=run.t(f"report.contact.{level}") if level in ("high", "medium", "low") else level,
        ),
        run.t("report.meta.seed", seed=run.manifest.get("seed", run.resolved.get("seed", "?"))),
        run.t("report.meta.replications", n=run.manifest.get("replications", "?")),
        run.t("report.meta.run", run=run.manifest.get("run_id", run.folder.name)),
    ]
    if run.manifest.get("created"):
        facts.append(run.t("report.meta.created", created=readable_time(run.manifest["created"])))
    if run.manifest.get("servsim_version"):
        facts.append(f"servsim {run.manifest['servsim_version']}")
    description = run.resolved.get("description") or ""
    command = run.manifest.get("command")
    return (
        f"<h1>{_e(name)}</h1>\n"
        + (f"<p>{_e(description)}</p>\n" if description else "")
        + f'<p class="meta">{_e(" · ".join(facts))}</p>\n'
        + (
            f'<p class="meta">{_e(run.t("report.meta.command"))}: '
            f"<code>{_e(' '.join(map(str, command)))}</code></p>\n"
            if command
            else ""
        )
    )


def build_report(run_folder: Path, language: Language = "en") -> Path:
    """Write ``run_folder/report.html`` and ``run_folder/figures/*.png``; return the HTML path.

    Reads only the run folder's saved files. The page and each image are written to a
    temporary file and renamed into place, so an interrupted build never leaves a half-written
    report; building again (in either language) replaces both.

    Args:
        run_folder: a folder written by ``servsim run``.
        language: ``en`` or ``es``: every heading, caption, verdict and label of the page and
            of its figures.

    Raises:
        FailedResultFolder: ``run_folder`` records a failed or interrupted run.
        NotAResultFolder: it lacks manifest.json, summary.csv or the resolved scenario.
    """
    run_folder = Path(run_folder)
    run = _read_run(run_folder, language)
    ip_table = _importance_performance_table(run)
    name = run.resolved.get("name") or run.manifest.get("scenario") or run_folder.name
    body = "\n".join(
        [
            _title(run),
            _summary(run, ip_table),
            _inputs(run),
            _blueprint(run),
            _interval_view(run),
            _standards(run),
            _satisfaction(run, ip_table),
            _figures(run, ip_table),
        ]
    )
    target = run_folder / REPORT
    results.write_text(target, page(run.t("report.title", name=name), body, language))
    return target
