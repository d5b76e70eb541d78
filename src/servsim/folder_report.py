"""HTML reports of every kind of result folder: comparisons, contact levels, sweeps, staffing.

``build_folder_report(folder, language)`` recognises what a folder holds by its manifest and
writes ``report.html`` with ``figures/*.png`` beside it, built only from the saved files read
through :mod:`servsim.results` (which refuses a failed or unfinished folder). Like the run's
report (:func:`servsim.report.build_report`, which a run folder is handed to), it never
simulates again: a report shows exactly what was saved, and rebuilding it costs seconds.

Every sentence comes from ``messages.toml`` (keys ``folder.*``) and every metric label from the
catalogue, in English or Spanish, so a teacher can show the same report to a class in either
language; each section opens with one sentence saying what it shows. Numbers are formatted by
:mod:`servsim.presentation` only, money with the scenario's ``reporting.currency``.

A paired difference whose interval has no width (staff cost with fixed staffing, arrivals under
common random numbers) is called *exact*, never *significant*: nothing varied between
replications, so there is no noise it could stand out from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from servsim import folder_plots, plots, results
from servsim.catalogue import STANDARDS, Unit, lookup, unit_of
from servsim.compare import COMPARE_HEADLINE
from servsim.folder_plots import ForestRow, Verdict
from servsim.language import Language, messages, text
from servsim.presentation import (
    difference_cell,
    exact_of,
    format_duration,
    format_number,
    format_share,
    format_value,
    mean_cell,
    metric_label,
)
from servsim.report import STYLE, build_report, escape, html_table, readable_time, save_png
from servsim.staffing import intervals_met_by_pool, staff_hours_by_day

__all__ = [
    "COMPARE_SHOWN",
    "SWEEP_METRICS",
    "DifferenceRow",
    "build_folder_report",
    "difference_rows",
    "newest_result",
    "sweep_metrics",
    "verdict_of",
]

REPORT = "report.html"
FIGURES = "figures"

COMPARE_SHOWN = (*STANDARDS, *COMPARE_HEADLINE)
"""The metrics a comparison's report shows first and draws (with occupancy per pool): the five
service standards, then what a staffing or design change is usually judged on."""
SWEEP_METRICS = ("service_level_offered", "average_response_time", "csat_mean", "staff_cost")
"""The metrics a sweep's report draws unless others are chosen (those the sweep has)."""
MAX_TICKS = 12
"""Most ticks of a numeric parameter's axis that are each one of its values."""
MAX_LINES = 6
"""Most lines of one sweep panel; with more combinations of the other parameters, they are
held at their middle values instead."""
UNCATALOGUED: dict[str, Unit] = {"staff_hours_total": "hours"}
"""Columns of :func:`servsim.analysis.contact_level_comparison` that the catalogue does not
declare (sums made for the comparison), with their units; their labels are messages."""
EXACT = 1e-9
"""An interval narrower than this (relative to the difference, at least absolutely) has no
width: the quantity did not vary between replications."""

EXTRA_STYLE = """
.explain { color: #333; max-width: 50em; }
tr.significant td { font-weight: bold; color: #8b1a1a; }
tr.exact td { color: #1d4f91; } tr.missed td { color: #8b1a1a; }
details { margin: 0.6em 0; } summary { cursor: pointer; color: #444; }
"""
"""What the folder reports add to the run report's CSS: the one-sentence explanations, the
verdict of a difference row."""


# --------------------------------------------------------------------------- small pieces


def _t(language: Language, key: str, **fields: object) -> str:
    """A ``folder.*`` message in the report's language."""
    return text(f"folder.{key}", language, **fields)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def verdict_of(
    difference: float, low: float, high: float, note: str = "", exact: bool | None = None
) -> Verdict:
    """How a paired difference reads: significant only when its CI has width and excludes 0.

    A zero-width interval means the quantity did not vary between replications (it is fixed
    by the design, like staff cost with fixed staffing): *exact*, never significant. ``exact``
    is the comparison's saved column; without it (older folders), the interval decides.
    """
    if note or math.isnan(difference):
        return "not_comparable"
    if exact is None:
        exact = not (math.isnan(low) or math.isnan(high)) and high - low <= EXACT * max(
            1.0, abs(difference)
        )
    if exact:
        return "exact"
    if math.isnan(low) or math.isnan(high):
        return "not_significant"
    return "significant" if low > 0 or high < 0 else "not_significant"


def _unit_name(unit: Unit | None, language: Language, currency: str | None) -> str:
    if unit is None:
        return ""
    if unit == "money" and currency:
        return currency
    return _t(language, f"unit.{unit}")


def _currency(scenario: dict[str, Any]) -> str | None:
    reporting = scenario.get("reporting")
    found = reporting.get("currency") if isinstance(reporting, dict) else None
    return str(found) if found else None


def _section(name: str, heading: str, explain: str, *body: str) -> str:
    """A ``<section id>`` with its ``<h2>`` and the one sentence that says what it shows."""
    return "\n".join(
        [
            f'<section id="{escape(name)}"><h2>{escape(heading)}</h2>',
            f'<p class="explain">{escape(explain)}</p>',
            *body,
            "</section>",
        ]
    )


def _note(words: str) -> str:
    return f'<p class="note">{escape(words)}</p>'


def _figure_html(filename: str, caption: str, css: str = "", data: str = "") -> str:
    klass = f' class="{escape(css)}"' if css else ""
    return (
        f"<figure{klass}{data}>"
        f'<img src="{FIGURES}/{escape(filename)}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


@dataclass
class _Page:
    """A report being built: its folder, language, and the figures drawn so far."""

    folder: Path
    language: Language
    figures: list[tuple[str, Figure]]

    def t(self, key: str, **fields: object) -> str:
        return _t(self.language, key, **fields)

    def figure(
        self, filename: str, figure: Figure, caption: str, css: str = "", data: str = ""
    ) -> str:
        self.figures.append((filename, figure))
        return _figure_html(filename, caption, css, data)

    def label(self, metric: str) -> str:
        """The catalogue's label; an analysis column of no catalogue entry has a message."""
        if metric in UNCATALOGUED:
            return self.t(f"metric.{metric}")
        return metric_label(metric, self.language)

    def write(
        self, title: str, facts: Sequence[str], command: object, sections: Sequence[str]
    ) -> Path:
        figures_dir = self.folder / FIGURES
        results.make_folder(figures_dir)
        for filename, figure in self.figures:
            save_png(figure, figures_dir / filename, self.language)
        command_line = (
            f'<p class="meta">{escape(self.t("command"))}: '
            f"<code>{escape(' '.join(map(str, command)))}</code></p>"
            if isinstance(command, list) and command
            else ""
        )
        page = "\n".join(
            [
                "<!DOCTYPE html>",
                f'<html lang="{self.language}"><head><meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>servsim: {escape(title)}</title>",
                f"<style>{STYLE}{EXTRA_STYLE}</style></head><body>",
                f"<h1>{escape(title)}</h1>",
                f'<p class="meta">{escape(" · ".join(f for f in facts if f))}</p>',
                command_line,
                *sections,
                "</body></html>",
                "",
            ]
        )
        target = self.folder / REPORT
        results.write_text(target, page)
        return target


def _facts(page: _Page, manifest: dict[str, Any]) -> list[str]:
    """Seed, replications, run id, creation time and version, as the title's line says them."""
    out = []
    if manifest.get("seed") is not None:
        out.append(page.t("meta.seed", seed=manifest["seed"]))
    if manifest.get("replications") is not None:
        out.append(page.t("meta.replications", count=manifest["replications"]))
    if manifest.get("run_id"):
        out.append(page.t("meta.run", run=manifest["run_id"]))
    if manifest.get("created"):
        out.append(page.t("meta.created", created=readable_time(manifest["created"])))
    if manifest.get("servsim_version"):
        out.append(f"servsim {manifest['servsim_version']}")
    return out


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class DifferenceRow:
    """One row of a comparison's difference figure: the metric's column and what is drawn."""

    metric: str
    row: ForestRow


def _shown(metrics: Iterable[str]) -> list[str]:
    """The headline metrics among ``metrics``, in :data:`COMPARE_SHOWN` order.

    Occupancy per pool follows: a staffing change shows there first.
    """
    present = list(dict.fromkeys(metrics))
    chosen = [m for m in COMPARE_SHOWN if m in present]
    pools = [m for m in present if (found := lookup(m)) is not None and found.key == "occupancy"]
    return [*chosen, *pools]


def difference_rows(
    saved: results.SavedComparison,
    scenario: str,
    language: Language = "en",
    metrics: Sequence[str] | None = None,
) -> list[DifferenceRow]:
    """The rows of the difference figure of one scenario against the reference.

    One per headline metric the comparison saved (or per metric of ``metrics``), in order; each
    with the saved paired difference and CI and its verdict (:func:`verdict_of`).
    """
    differences = saved.differences[saved.differences["scenario"] == scenario]
    by_metric = {str(r["metric"]): r for r in differences.to_dict("records")}
    currency = _currency(saved.scenarios.get(saved.names[0], {}))
    chosen = list(metrics) if metrics is not None else _shown(by_metric)
    out = []
    for metric in chosen:
        if metric not in by_metric:
            continue
        found = by_metric[metric]
        d, low, high = (_float(found[k]) for k in ("difference", "ci_low", "ci_high"))
        note = str(found.get("note") or "")
        if isinstance(found.get("note"), float):  # an empty note read back from CSV is NaN
            note = ""
        verdict = verdict_of(d, low, high, note, exact_of(found))
        shown = (
            _t(language, "verdict.not_comparable")
            if verdict == "not_comparable"
            else difference_cell(d, low, high, unit_of(metric), currency, language)
        )
        out.append(
            DifferenceRow(
                metric, ForestRow(metric_label(metric, language), d, low, high, verdict, shown)
            )
        )
    return out


def _difference_table(page: _Page, rows: Sequence[DifferenceRow]) -> str:
    """The difference figure's rows as a table, each row marked with its metric and verdict."""
    header = [page.t("column.metric"), page.t("column.difference"), page.t("column.verdict")]
    lines = ['<div class="table-scroll"><table class="differences">']
    lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
    for item in rows:
        row = item.row
        sign = (
            "0"
            if row.difference == 0 or math.isnan(row.difference)
            else ("+" if row.difference > 0 else "-")
        )
        lines.append(
            f'<tr class="{row.verdict}" data-metric="{escape(item.metric)}" data-sign="{sign}" '
            f'data-verdict="{row.verdict}"><td>{escape(row.label)}</td>'
            f'<td class="num">{escape(row.text)}</td>'
            f"<td>{escape(page.t('verdict.' + row.verdict))}</td></tr>"
        )
    lines.append("</table></div>")
    return "\n".join(lines)


def _side_by_side(
    page: _Page, saved: results.SavedComparison, metrics: Sequence[str], currency: str | None
) -> str:
    summary = saved.summary
    cells: dict[tuple[str, str], str] = {}
    for row in summary.to_dict("records"):
        metric = str(row["metric"])
        cells[(metric, str(row["scenario"]))] = mean_cell(
            _float(row["mean"]),
            _float(row["ci_low"]),
            _float(row["ci_high"]),
            unit_of(metric),
            currency,
            page.language,
        )
    names = saved.names
    return html_table(
        [page.t("column.metric"), page.t("column.unit"), *names],
        (
            [
                page.label(m),
                _unit_name(unit_of(m), page.language, currency),
                *(cells.get((m, n), "-") for n in names),
            ]
            for m in metrics
        ),
        numeric=[False, False, *([True] * len(names))],
        row_classes=["standard" if m in STANDARDS else "" for m in metrics],
    )


def _compare_report(page: _Page) -> Path:
    saved = results.load_comparison(page.folder)
    names = saved.names
    reference = names[0]
    currency = _currency(saved.scenarios.get(reference, {}))
    all_metrics = list(dict.fromkeys(str(m) for m in saved.summary["metric"]))
    shown = _shown(all_metrics)
    scenarios = _section(
        "scenarios",
        page.t("compare.scenarios.heading"),
        page.t("compare.scenarios.explain"),
        _side_by_side(page, saved, shown, currency),
        f"<details><summary>{escape(page.t('compare.all_metrics', count=len(all_metrics)))}"
        f"</summary>{_side_by_side(page, saved, all_metrics, currency)}</details>",
    )
    parts = []
    for index, other in enumerate(names[1:], start=1):
        rows = difference_rows(saved, other, page.language)
        labels = folder_plots.ForestLabels(
            page.t("forest.title", scenario=other, reference=reference),
            page.t("forest.axis"),
            {
                v: page.t(f"verdict.{v}")
                for v in ("significant", "not_significant", "exact", "not_comparable")
            },
            page.t("no_data"),
        )
        caption = page.t("forest.caption", scenario=other, reference=reference)
        title = page.t("forest.title", scenario=other, reference=reference)
        parts.append(f"<h3>{escape(title)}</h3>")
        parts.append(
            page.figure(
                f"differences_{index}.png",
                folder_plots.forest([r.row for r in rows], labels),
                caption,
                "differences",
                f' data-scenario="{escape(other)}"',
            )
        )
        parts.append(_difference_table(page, rows))
        every = difference_rows(saved, other, page.language, all_metrics)
        parts.append(
            f"<details><summary>{escape(page.t('compare.all_metrics', count=len(every)))}</summary>"
            + html_table(
                [page.t("column.metric"), page.t("column.difference"), page.t("column.verdict")],
                ([r.row.label, r.row.text, page.t("verdict." + r.row.verdict)] for r in every),
                numeric=[False, True, False],
            )
            + "</details>"
        )
    differences = _section(
        "differences",
        page.t("compare.differences.heading", reference=reference),
        page.t("compare.differences.explain"),
        *parts,
    )
    inputs = saved.inputs
    body = (
        _note(page.t("compare.inputs.none"))
        if inputs.empty
        else html_table(
            [page.t("column.scenario"), page.t("column.input"), reference, page.t("column.value")],
            (
                [
                    str(r["scenario"]),
                    str(r["path"]),
                    _input_value(page, r["reference"]),
                    _input_value(page, r["value"]),
                ]
                for r in inputs.to_dict("records")
            ),
        )
    )
    inputs_section = _section(
        "inputs", page.t("compare.inputs.heading"), page.t("compare.inputs.explain"), body
    )
    name = str(saved.manifest.get("comparison") or reference)
    listed = [str(s) for s in saved.manifest.get("scenarios") or []]
    if "_vs_" in name and len(listed) >= 2:  # files compared: their names, not the folder's
        name = ", ".join(listed)
    facts = [page.t("meta.reference", name=reference), *_facts(page, saved.manifest)]
    return page.write(
        page.t("compare.title", name=name),
        facts,
        saved.manifest.get("command"),
        [scenarios, differences, inputs_section],
    )


# --------------------------------------------------------------------------- contact levels


def _level(page: _Page, level: str) -> str:
    return page.t(f"level.{level}") if level in ("high", "medium", "low") else level


def _contact_levels_report(page: _Page) -> Path:
    saved = results.load_contact_levels(page.folder)
    comparison = saved.comparison
    scenario_names = list(dict.fromkeys(str(s) for s in comparison["scenario"]))
    first = saved.scenarios.get(scenario_names[0], {}) if scenario_names else {}
    currency = _currency(first)
    levels = {str(r["scenario"]): str(r["contact_level"]) for r in comparison.to_dict("records")}
    archetypes = {str(r["scenario"]): str(r["archetype"]) for r in comparison.to_dict("records")}
    headings = [f"{_level(page, levels[s])} ({s})" for s in scenario_names]
    metrics = list(dict.fromkeys(str(m) for m in comparison["metric"]))
    cells = {
        (str(r["metric"]), str(r["scenario"])): mean_cell(
            _float(r["mean"]),
            _float(r["ci_low"]),
            _float(r["ci_high"]),
            unit_of(str(r["metric"])) or UNCATALOGUED.get(str(r["metric"])),
            currency,
            page.language,
        )
        for r in comparison.to_dict("records")
    }
    rows = [[page.label(m), *(cells.get((m, s), "-") for s in scenario_names)] for m in metrics]
    rows.append(
        [page.t("column.archetype"), *(_archetype(page, archetypes.get(s)) for s in scenario_names)]
    )
    level_section = _section(
        "levels",
        page.t("levels.comparison.heading"),
        page.t("levels.comparison.explain"),
        html_table(
            [page.t("column.metric"), *headings],
            rows,
            numeric=[False, *([True] * len(scenario_names))],
            row_classes=["standard" if m in STANDARDS else "" for m in [*metrics, ""]],
        ),
    )
    staffing = saved.staffing
    staff_rows = [
        [
            _level(page, str(r["contact_level"])),
            str(r["pool"]),
            text("term.front_line" if r["side"] == "front" else "term.back_office", page.language),
            str(r["headcount_per_shift"]),
        ]
        for r in staffing.to_dict("records")
    ]
    staffing_section = _section(
        "staffing",
        page.t("levels.staffing.heading"),
        page.t("levels.staffing.explain"),
        html_table(
            [
                text("term.contact_level", page.language),
                page.t("column.pool"),
                page.t("column.side"),
                page.t("column.headcount"),
            ],
            staff_rows,
            numeric=[False, False, False, True],
        )
        if staff_rows
        else _note(page.t("no_data")),
    )
    sensitivity_section = _section(
        "sensitivities",
        page.t("levels.sensitivities.heading"),
        page.t("levels.sensitivities.explain"),
        _sensitivities(page, saved.sensitivities, scenario_names, levels),
    )
    points = []
    for scenario in scenario_names:
        get = {
            (str(r["metric"]), k): _float(r[k])
            for r in comparison[comparison["scenario"] == scenario].to_dict("records")
            for k in ("mean", "ci_low", "ci_high")
        }
        points.append(
            folder_plots.TradeoffPoint(
                _level(page, levels[scenario]),
                *(
                    get.get(("cost_per_resolved_issue", k), math.nan)
                    for k in ("mean", "ci_low", "ci_high")
                ),
                *(get.get(("csat_mean", k), math.nan) for k in ("mean", "ci_low", "ci_high")),
            )
        )
    cost_axis = page.label("cost_per_resolved_issue") + (f" ({currency})" if currency else "")
    figure = folder_plots.tradeoff(
        points,
        page.t("levels.tradeoff.title"),
        page.t("levels.tradeoff.x", cost=cost_axis),
        page.t("levels.tradeoff.y", csat=page.label("csat_mean")),
        page.t("no_data"),
    )
    tradeoff_section = _section(
        "tradeoff",
        page.t("levels.tradeoff.heading"),
        page.t("levels.tradeoff.explain"),
        page.figure("tradeoff.png", figure, page.t("levels.tradeoff.caption")),
    )
    name = page.folder.parent.name
    listed = [str(s) for s in saved.manifest.get("scenarios") or []]
    if name in listed and len(listed) >= 2:  # files side by side: all their names
        name = ", ".join(listed)
    return page.write(
        page.t("levels.title", name=name),
        _facts(page, saved.manifest),
        saved.manifest.get("command"),
        [level_section, staffing_section, sensitivity_section, tradeoff_section],
    )


def _archetype(page: _Page, saved: str | None) -> str:
    """A saved archetype name (``friendly zoo``) in the report's language, the seeds' terms."""
    if not saved:
        return "-"
    key = "report.archetype." + saved.replace(" ", "_")
    return text(key, page.language) if key in messages() else saved


def _sensitivities(
    page: _Page, effects: pd.DataFrame, scenarios: Sequence[str], levels: dict[str, str]
) -> str:
    """Each change's paired effect at each level with its CI and verdict; a note without."""
    if effects.empty:
        return _note(page.t("levels.sensitivities.none"))
    rows, classes = [], []
    for (change, metric), group in effects.groupby(["change", "metric"], sort=False):
        by_scenario = {str(r["scenario"]): r for r in group.to_dict("records")}
        cells = []
        for scenario in scenarios:
            found = by_scenario.get(scenario)
            if found is None:
                cells.append("-")
                continue
            d, low, high = (_float(found[k]) for k in ("difference", "ci_low", "ci_high"))
            verdict = verdict_of(d, low, high, exact=exact_of(found))
            mark = " *" if verdict == "significant" else ""
            cells.append(
                difference_cell(d, low, high, unit_of(str(metric)), language=page.language) + mark
            )
        shown = page.t(f"change.{change}") if change in CHANGES else str(change)
        rows.append([shown, page.label(str(metric)), *cells])
        classes.append("")
    return html_table(
        [
            page.t("column.change"),
            page.t("column.metric"),
            *(_level(page, levels.get(s, s)) for s in scenarios),
        ],
        rows,
        numeric=[False, False, *([True] * len(scenarios))],
        row_classes=classes,
    ) + _note(page.t("levels.sensitivities.mark"))


CHANGES = ("one_more_agent", "trained_front_line", "slower_back_office")
"""The changes of :data:`servsim.derive.SENSITIVITIES` the messages name."""


# --------------------------------------------------------------------------- sweep


def sweep_metrics(summary: pd.DataFrame, chosen: Sequence[str] | None = None) -> list[str]:
    """The metrics a sweep report draws: ``chosen`` (or :data:`SWEEP_METRICS`) that it has.

    The headline service level falls back to the first-response one when the sweep lacks it;
    with none of them, the first four metrics of the catalogue it has.
    """
    present = list(dict.fromkeys(str(m) for m in summary.get("metric", pd.Series(dtype=str))))
    wanted = list(chosen) if chosen else list(SWEEP_METRICS)
    if not chosen and "service_level_offered" not in present:
        wanted = ["service_level" if m == "service_level_offered" else m for m in wanted]
    found = [m for m in wanted if m in present]
    if found or chosen:
        return found
    return [m for m in present if lookup(m) is not None][:4]


def _numeric(values: Sequence[object]) -> bool:
    """Every value is a number (a parameter drawn on a numeric axis)."""
    return bool(values) and not any(math.isnan(_float(v)) or isinstance(v, str) for v in values)


def _positions(values: Sequence[object]) -> tuple[dict[object, float], list[tuple[float, str]]]:
    """Where each value of a parameter sits on its axis, and the axis ticks.

    Numbers sit at their value (ticks at each value when there are few); anything else (a
    mapping saved as text) at 0, 1, ... in the sweep's order, each tick naming its value.
    """
    unique = list(dict.fromkeys(values))
    if _numeric(unique):
        position = {v: _float(v) for v in unique}
        few = len(unique) <= MAX_TICKS
        return position, [(position[v], _value_text(v)) for v in unique] if few else []
    return {v: float(i) for i, v in enumerate(unique)}, [
        (float(i), str(v)) for i, v in enumerate(unique)
    ]


AXIS_SCALE: dict[str, tuple[float, str]] = {
    "share": (100.0, "%"),
    "index": (100.0, ""),
    "seconds": (1.0, "s"),
    "hours": (1.0, "h"),
}
"""How a sweep panel shows a unit: shares in percent, times in seconds or hours."""


def _value_text(value: object) -> str:
    number = _float(value)
    if not math.isnan(number) and not isinstance(value, str):
        return f"{number:g}"
    return str(value)


def _sweep_lines(
    page: _Page, rows: pd.DataFrame, parameter: str, others: Sequence[str], scale: float
) -> tuple[list[folder_plots.SweepLine], str]:
    """One metric's lines against ``parameter``, one per combination of the others.

    With more than :data:`MAX_LINES` combinations, the others are held at their middle values
    instead, and the note says so.
    """
    position, _ = _positions(list(rows[parameter]))
    note = ""
    if others:
        combos = rows[list(others)].drop_duplicates()
        if len(combos) > MAX_LINES:
            held = {}
            for other in others:
                unique = list(dict.fromkeys(rows[other]))
                numeric = _numeric(unique)
                ordered = sorted(unique, key=_float) if numeric else unique
                held[other] = ordered[len(ordered) // 2]
            mask = pd.Series(True, index=rows.index)
            for other, value in held.items():
                mask &= rows[other] == value
            rows = rows[mask]
            note = page.t(
                "sweep.held", held=", ".join(f"{k} = {_value_text(v)}" for k, v in held.items())
            )
        groups = list(rows.groupby(list(others), sort=False, dropna=False))
    else:
        groups = [((), rows)]
    lines = []
    for key, group in groups:
        values = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{o} = {_value_text(v)}" for o, v in zip(others, values, strict=True))
        lines.append(
            folder_plots.SweepLine(
                label,
                [position[v] for v in group[parameter]],
                [_float(v) * scale for v in group["mean"]],
                [_float(v) * scale for v in group["ci_low"]],
                [_float(v) * scale for v in group["ci_high"]],
            )
        )
    return lines, note


def _sweep_report(page: _Page, metrics: Sequence[str] | None) -> Path:
    saved = results.load_sweep_folder(page.folder)
    summary, parameters = saved.summary, saved.parameters
    resolved = _resolved(page.folder / results.RESOLVED_SCENARIO)
    currency = _currency(resolved)
    chosen = sweep_metrics(summary, metrics)
    values_rows = [
        [f"{p}", ", ".join(_value_text(v) for v in dict.fromkeys(summary[p]))]
        for p in parameters
        if p in summary.columns
    ]
    mode = str(saved.spec.get("mode", "grid"))
    what = _section(
        "parameters",
        page.t("sweep.parameters.heading"),
        page.t(
            "sweep.parameters.explain",
            base=saved.manifest.get("base_scenario", "?"),
            mode=page.t(f"sweep.mode.{mode}") if mode in ("grid", "zip") else mode,
            replications=saved.manifest.get("replications", "?"),
        ),
        html_table([page.t("column.parameter"), page.t("column.values")], values_rows),
    )
    figures = []
    for index, parameter in enumerate(parameters, start=1):
        others = [p for p in parameters if p != parameter]
        _, ticks = _positions(list(summary[parameter]))
        panels, notes = [], set()
        for metric in chosen:
            rows = summary[summary["metric"] == metric]
            unit = unit_of(metric)
            scale, suffix = AXIS_SCALE.get(unit or "", (1.0, ""))
            if unit == "money" and currency:
                suffix = currency
            lines, note = _sweep_lines(page, rows, parameter, others, scale)
            notes.add(note)
            title = page.label(metric) + (f" ({suffix})" if suffix else "")
            panels.append(folder_plots.SweepPanel(title, lines))
        figure = folder_plots.sweep_panels(
            page.t("sweep.panel.title", parameter=parameter),
            parameter,
            panels,
            ticks,
            page.t("no_data"),
        )
        caption = page.t("sweep.panel.caption", parameter=parameter) + "".join(
            f" {n}" for n in sorted(notes) if n
        )
        figures.append(
            page.figure(
                f"sweep_{index}.png",
                figure,
                caption,
                "sweep-panel",
                f' data-parameter="{escape(parameter)}"',
            )
        )
    shown = page.t("sweep.metrics.shown", metrics=", ".join(page.label(m) for m in chosen))
    metrics_section = _section(
        "metrics",
        page.t("sweep.metrics.heading"),
        page.t("sweep.metrics.explain"),
        _note(shown),
        *(figures or [_note(page.t("no_data"))]),
    )
    sections = [what, metrics_section]
    if len(parameters) == 2:
        sections.append(_heatmap_section(page, summary, parameters, chosen, currency))
    failures = saved.failures
    sections.append(
        _section(
            "failures",
            page.t("sweep.failures.heading"),
            page.t("sweep.failures.explain"),
            _note(page.t("sweep.failures.none"))
            if failures.empty
            else html_table(
                [str(c) for c in failures.columns],
                ([str(v) for v in row] for row in failures.itertuples(index=False)),
            ),
        )
    )
    name = str(saved.manifest.get("sweep") or page.folder.name)
    return page.write(
        page.t("sweep.title", name=name),
        _facts(page, saved.manifest),
        saved.manifest.get("command"),
        sections,
    )


def _heatmap_section(
    page: _Page,
    summary: pd.DataFrame,
    parameters: Sequence[str],
    chosen: Sequence[str],
    currency: str | None,
) -> str:
    """Each chosen metric over the grid of the two parameters."""
    x_name, y_name = parameters
    x_pos, _ = _positions(list(summary[x_name]))
    y_pos, _ = _positions(list(summary[y_name]))
    x_values = sorted(x_pos, key=x_pos.__getitem__)
    y_values = sorted(y_pos, key=y_pos.__getitem__)
    maps = []
    for metric in chosen:
        rows = summary[summary["metric"] == metric]
        grid = [[math.nan] * len(x_values) for _ in y_values]
        texts = [[""] * len(x_values) for _ in y_values]
        # the colour bar in the unit the cells are written in (a share in %), as the panels
        unit = unit_of(metric)
        scale, suffix = AXIS_SCALE.get(unit or "", (1.0, ""))
        if unit == "money" and currency:
            suffix = currency
        for row in rows.to_dict("records"):
            i, j = y_values.index(row[y_name]), x_values.index(row[x_name])
            mean = _float(row["mean"])
            grid[i][j] = mean * scale
            texts[i][j] = format_value(mean, unit, currency, page.language)
        label = page.label(metric) + (f" ({suffix})" if suffix else "")
        maps.append(folder_plots.Heatmap(label, grid, texts))
    figure = folder_plots.heatmaps(
        page.t("sweep.heatmap.title", x=x_name, y=y_name),
        x_name,
        y_name,
        [_value_text(v) for v in x_values],
        [_value_text(v) for v in y_values],
        maps,
        page.t("no_data"),
    )
    return _section(
        "heatmap",
        page.t("sweep.heatmap.heading"),
        page.t("sweep.heatmap.explain"),
        page.figure(
            "heatmap.png", figure, page.t("sweep.heatmap.caption", x=x_name, y=y_name), "heatmap"
        ),
    )


def _resolved(path: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- staffing


TARGET_BOUND = re.compile(r"(?P<op>>=|<=)\s*(?P<number>[-+0-9.eE]+)(?P<percent>%?)")


def _target_verdict(page: _Page, target: str, met: bool, low: float, high: float) -> str:
    """Met or missed as saved (on the mean), and uncertain when the CI straddles the bound."""
    word = text("goal.met" if met else "goal.missed", page.language)
    found = TARGET_BOUND.search(target)
    if found is None or math.isnan(low) or math.isnan(high):
        return word
    bound = _float(found["number"]) / (100.0 if found["percent"] else 1.0)
    if low < bound < high:
        return word + " " + page.t("staffing.straddles")
    return word


def _target_unit(target: str) -> Unit | None:
    key = re.split(r"[\[<>=]", target, maxsplit=1)[0].strip()
    units: dict[str, Unit] = {
        "service_level": "share",
        "asa": "seconds",
        "abandonment": "share",
        "occupancy": "share",
    }
    return units.get(key) or unit_of(key)


def _input_value(page: _Page, value: object) -> str:
    """A scenario input as saved; one the scenario does not have (NaN, None) says so."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return page.t("compare.inputs.absent")
    return str(value)


def _staffing_figure(page: _Page, intervals: pd.DataFrame, goal: float | None) -> Figure:
    """:func:`servsim.plots.staffing_plan`, its words in the report's language."""
    figure = plots.staffing_plan(intervals, goal)
    if page.language == "en":
        return figure
    words = {
        "staffing plan": page.t("staffing.figure.title"),
        "offered load (erlangs)": page.t("staffing.figure.load"),
        "Erlang requirement (pilot)": page.t("staffing.figure.erlang"),
        "simulated requirement": page.t("staffing.figure.simulated"),
        "scheduled": page.t("staffing.figure.scheduled"),
        "95% CI": page.t("staffing.figure.ci"),
        "achieved": page.t("staffing.figure.achieved"),
        "day and time of day": page.t("staffing.figure.time"),
        "no data": page.t("no_data"),
    }
    if goal is not None:
        shown = format_share(goal, page.language)
        words[f"goal {goal:.0%}"] = page.t("staffing.figure.goal", goal=shown)
    for pool in dict.fromkeys(str(p) for p in intervals.get("pool", [])):
        words[f"{pool}\nstaff / erlangs"] = f"{pool}\n" + page.t("staffing.figure.staff")
        words[f"{pool}\nservice level"] = f"{pool}\n" + page.t("staffing.figure.service_level")
    return folder_plots.relabel(figure, words)


def _staffing_report(page: _Page) -> Path:
    saved = results.load_staffing(page.folder)
    scenario = saved.scenario
    currency = _currency(scenario)
    standard = (
        scenario.get("service_level") if isinstance(scenario.get("service_level"), dict) else {}
    )
    goal = _float(standard.get("goal")) if standard else math.nan
    target = _float(standard.get("target")) if standard else math.nan
    intervals = saved.intervals
    plan_parts = [
        page.figure(
            "staffing.png",
            _staffing_figure(page, intervals, None if math.isnan(goal) else goal),
            page.t("staffing.plan.caption"),
        )
    ]
    if not math.isnan(goal) and not math.isnan(target):
        plan_parts.insert(
            0,
            _note(
                page.t(
                    "staffing.goal",
                    goal=format_share(goal, page.language),
                    target=format_duration(target, page.language),
                )
            ),
        )
    plan_parts.append(_hours(page, intervals, scenario))
    shares = (
        intervals_met_by_pool(intervals)
        if {"offered", "met"} <= set(intervals.columns)
        else pd.Series(dtype=float)
    )
    if not shares.empty:
        plan_parts.append(
            _note(
                page.t(
                    "staffing.intervals_met",
                    shares=", ".join(
                        f"{pool} {format_value(float(share), 'share', language=page.language)}"
                        for pool, share in shares.items()
                    ),
                )
            )
        )
    plan = _section(
        "plan", page.t("staffing.plan.heading"), page.t("staffing.plan.explain"), *plan_parts
    )
    shifts = saved.shifts
    shift_body = (
        _note(page.t("staffing.shifts.none"))
        if shifts.empty
        else html_table(
            [
                page.t("column.pool"),
                page.t("column.template"),
                page.t("column.day"),
                page.t("column.start"),
                page.t("column.end"),
                page.t("column.break"),
                page.t("column.count"),
            ],
            (
                [str(r[c]) for c in ("pool", "template", "day", "start", "end", "break", "count")]
                for r in shifts.to_dict("records")
            ),
            numeric=[False, False, True, False, False, False, True],
        )
        + _note(
            page.t(
                "staffing.shifts.total",
                count=int(shifts["count"].sum()),
                templates=int(shifts["template"].nunique()),
            )
        )
    )
    shift_section = _section(
        "shifts", page.t("staffing.shifts.heading"), page.t("staffing.shifts.explain"), shift_body
    )
    cost = _float(saved.manifest.get("cost"))
    cost_text = format_value(cost, "money", currency, page.language)
    cost_section = _section(
        "cost",
        page.t("staffing.cost.heading"),
        page.t("staffing.cost.explain"),
        f'<p id="plan-cost" data-cost="{escape(cost)}" data-currency="{escape(currency or "")}">'
        f"<strong>{escape(page.t('staffing.cost.text', cost=cost_text))}</strong></p>",
    )
    target_rows = [
        [
            str(r["target"]),
            str(r["pool"]) or page.t("staffing.whole_run"),
            mean_cell(
                _float(r["mean"]),
                _float(r["ci_low"]),
                _float(r["ci_high"]),
                _target_unit(str(r["target"])),
                currency,
                page.language,
            ),
            _target_verdict(
                page, str(r["target"]), _met(r["met"]), _float(r["ci_low"]), _float(r["ci_high"])
            ),
        ]
        for r in saved.targets.to_dict("records")
    ]
    all_met = bool(
        saved.manifest.get("met", all(_met(r["met"]) for r in saved.targets.to_dict("records")))
    )
    target_section = _section(
        "targets",
        page.t("staffing.targets.heading"),
        page.t("staffing.targets.explain"),
        html_table(
            [
                page.t("column.target"),
                page.t("column.pool"),
                page.t("column.mean_ci"),
                page.t("column.verdict"),
            ],
            target_rows,
            numeric=[False, False, True, False],
            row_classes=[
                "" if _met(r["met"]) else "missed" for r in saved.targets.to_dict("records")
            ],
        ),
        f"<p><strong>{escape(page.t('staffing.all_met' if all_met else 'staffing.some_missed'))}"
        "</strong></p>",
    )
    name = str(saved.manifest.get("scenario") or scenario.get("name") or page.folder.parent.name)
    return page.write(
        page.t("staffing.title", name=name),
        _facts(page, saved.manifest),
        saved.manifest.get("command"),
        [plan, shift_section, cost_section, target_section],
    )


def _met(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def _hours(page: _Page, intervals: pd.DataFrame, scenario: dict[str, Any]) -> str:
    """Staff hours per day and pool: the pilot's Erlang requirement, simulated, scheduled."""
    if intervals.empty:
        return ""
    reporting = scenario.get("reporting") if isinstance(scenario.get("reporting"), dict) else {}
    interval = _float((reporting or {}).get("interval", 1800.0))
    rows = [
        [
            str(row["day"]),
            str(row["pool"]),
            *(
                format_number(float(value), ",.1f", page.language)
                for value in (row["erlang_required"], row["simulated_required"], row["scheduled"])
            ),
            str(row["peak"]),
        ]
        for row in staff_hours_by_day(intervals, interval).to_dict("records")
    ]
    return f"<h3>{escape(page.t('staffing.hours.heading'))}</h3>" + html_table(
        [
            page.t("column.day"),
            page.t("column.pool"),
            page.t("column.erlang_hours"),
            page.t("column.simulated_hours"),
            page.t("column.scheduled_hours"),
            page.t("column.peak"),
        ],
        rows,
        numeric=[True, False, True, True, True, True],
    )


# --------------------------------------------------------------------------- entry points


def newest_result(folder: Path) -> Path | None:
    """The newest complete result of any kind directly inside ``folder``, or None.

    For a folder of run ids (``results/<scenario>/``, ``results/compare/<name>/``).
    """
    found = [path for kind in results.KINDS for path in kind.results_in(folder)]
    return max(found, key=lambda path: path.name) if found else None


def build_folder_report(
    folder: Path, language: Language = "en", metrics: Sequence[str] | None = None
) -> Path:
    """Write ``folder/report.html`` and ``folder/figures/*.png`` for any kind of result folder.

    The kind is read from the manifest: a run goes to :func:`servsim.report.build_report`; a
    comparison, a contact-level study, a sweep or a staffing plan gets its own report, built
    from the saved files only. Each file is written atomically (a reader never sees half a
    page or half an image); building again replaces them.

    Args:
        folder: a complete result folder.
        language: the report's language (headings, explanations, labels, figure words).
        metrics: for a sweep, the metrics to draw (default :data:`SWEEP_METRICS`, those the
            sweep has).

    Raises:
        FailedResultFolder: the folder records a failed or interrupted attempt.
        NotAResultFolder: it is no result folder, or lacks a file its kind requires.
    """
    folder = Path(folder)
    kind = results.kind_of(folder)
    if kind is None or kind is results.RUN:
        return build_report(folder, language)  # says what a run folder lacks
    page = _Page(folder, language, [])
    if kind is results.COMPARISON:
        return _compare_report(page)
    if kind is results.CONTACT_LEVELS:
        return _contact_levels_report(page)
    if kind is results.SWEEP:
        return _sweep_report(page, metrics)
    return _staffing_report(page)
