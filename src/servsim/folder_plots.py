"""Figures of comparisons, contact-level studies and sweeps: plain rows in, a Figure out.

The run's figures live in :mod:`servsim.plots`; these draw what the other result folders hold.
Every function takes small typed rows that the report builder made from the saved tables and
the words it chose (already in the reader's language), so this module knows nothing of
catalogues, languages or folders, and a figure can be checked against the rows it was drawn
from. Like :mod:`servsim.plots`, nothing touches pyplot's global state (each figure has its own
Agg canvas), and an empty input gives a figure that says so instead of an error.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = [
    "ForestLabels",
    "ForestRow",
    "Heatmap",
    "SweepLine",
    "SweepPanel",
    "TradeoffPoint",
    "Verdict",
    "forest",
    "heatmaps",
    "no_data",
    "relabel",
    "sweep_panels",
    "tradeoff",
]

Verdict = Literal["significant", "not_significant", "exact", "not_comparable"]
"""How a paired difference reads: its CI excludes zero, includes it, has no width (a
deterministic quantity, such as staff cost with fixed staffing: no sampling noise to beat, so
nothing to call significant), or it means nothing (service levels against different targets)."""

VERDICT_STYLE: Mapping[Verdict, tuple[str, str]] = {
    "significant": ("#b2182b", "o"),
    "not_significant": ("#7f7f7f", "o"),
    "exact": ("#2166ac", "D"),
    "not_comparable": ("#bbbbbb", "x"),
}
"""Colour and marker of each verdict: significant ones stand out in red."""


def _figure(width: float, height: float) -> Figure:
    """A new figure on its own Agg canvas: no pyplot, no global figure registry."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def no_data(title: str, reason: str) -> Figure:
    """A figure that says there was nothing to draw, instead of failing or drawing blank axes."""
    figure = _figure(6.0, 2.5)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, reason, ha="center", va="center", fontsize=12, color="0.4")
    axes.set_title(title)
    return figure


# --------------------------------------------------------------------------- forest plot


@dataclass(frozen=True)
class ForestRow:
    """One metric's paired difference to the reference.

    Attributes:
        label: the metric, as the reader calls it.
        difference: mean of (other - reference) over paired replications.
        low: the CI's lower bound (NaN when there is none).
        high: its upper bound.
        verdict: how it reads (:data:`Verdict`).
        text: the difference and its CI formatted in the metric's unit, shown beside the row.
    """

    label: str
    difference: float
    low: float
    high: float
    verdict: Verdict
    text: str


@dataclass(frozen=True)
class ForestLabels:
    """The words of a forest plot, in the reader's language."""

    title: str
    axis: str
    legend: Mapping[Verdict, str]
    empty: str


def forest(rows: Sequence[ForestRow], labels: ForestLabels) -> Figure:
    """Paired differences with their CIs, one row per metric, around one zero line.

    Metrics have different units, so each row is drawn on its own scale: divided by the
    largest of its |difference|, |low| and |high|, so every row spans at most -1 .. 1 and zero
    sits on one vertical line for all. What a reader needs from the picture (which side of zero,
    whether the bar crosses it) survives the scaling; the value in its unit is written at the
    right. Significant rows are red, exact ones (no width) a blue diamond without a bar.
    """
    if not rows:
        return no_data(labels.title, labels.empty)
    figure = _figure(9.0, 0.42 * len(rows) + 1.6)
    axes = figure.add_subplot()
    axes.axvline(0.0, color="0.3", linewidth=1.0, zorder=1)
    shown: set[Verdict] = set()
    for index, row in enumerate(rows):
        y = len(rows) - 1 - index
        colour, marker = VERDICT_STYLE[row.verdict]
        if row.verdict != "not_comparable" and not math.isnan(row.difference):
            bounds = [abs(v) for v in (row.difference, row.low, row.high) if not math.isnan(v)]
            scale = max(bounds) if bounds and max(bounds) > 0 else 1.0
            x = row.difference / scale
            if row.verdict != "exact" and not (math.isnan(row.low) or math.isnan(row.high)):
                axes.hlines(y, row.low / scale, row.high / scale, color=colour, linewidth=2.4)
            axes.plot([x], [y], marker=marker, color=colour, markersize=7, linestyle="none")
            shown.add(row.verdict)
        else:
            axes.plot([0.0], [y], marker=marker, color=colour, markersize=7, linestyle="none")
            shown.add("not_comparable")
        axes.text(1.04, y, row.text, transform=axes.get_yaxis_transform(), va="center", fontsize=8)
    axes.set_yticks(range(len(rows)), [row.label for row in reversed(rows)], fontsize=9)
    axes.set_xlim(-1.15, 1.15)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xticks([-1.0, 0.0, 1.0], ["-", "0", "+"])
    axes.set_xlabel(labels.axis)
    axes.grid(axis="y", color="0.92")
    for verdict in VERDICT_STYLE:
        if verdict in shown:
            colour, marker = VERDICT_STYLE[verdict]
            axes.plot(
                [], [], marker=marker, color=colour, linestyle="none", label=labels.legend[verdict]
            )
    figure.legend(loc="outside lower center", ncols=len(shown), fontsize=8, frameon=False)
    axes.set_title(labels.title)
    return figure


# --------------------------------------------------------------------------- contact levels


@dataclass(frozen=True)
class TradeoffPoint:
    """One contact level: cost per resolved issue against CSAT, each with its 95% CI."""

    label: str
    cost: float
    cost_low: float
    cost_high: float
    csat: float
    csat_low: float
    csat_high: float


def _error(mean: float, low: float, high: float) -> list[list[float]]:
    """Error-bar lengths below and above the mean (none where there is no interval)."""
    if math.isnan(low) or math.isnan(high):
        return [[0.0], [0.0]]
    return [[max(mean - low, 0.0)], [max(high - mean, 0.0)]]


def tradeoff(
    points: Sequence[TradeoffPoint], title: str, x_label: str, y_label: str, empty: str
) -> Figure:
    """Cost per resolved issue against CSAT, one point per contact level with its CI bars.

    The trade-off a contact level is chosen on: what resolving an issue costs against how
    customers rate the service.
    """
    drawable = [p for p in points if not (math.isnan(p.cost) or math.isnan(p.csat))]
    if not drawable:
        return no_data(title, empty)
    figure = _figure(7.0, 5.0)
    axes = figure.add_subplot()
    for index, point in enumerate(drawable):
        axes.errorbar(
            point.cost,
            point.csat,
            xerr=_error(point.cost, point.cost_low, point.cost_high),
            yerr=_error(point.csat, point.csat_low, point.csat_high),
            fmt="o",
            color=f"C{index}",
            capsize=4,
        )
        axes.annotate(  # staggered: levels that land on one point stay readable
            point.label,
            (point.cost, point.csat),
            xytext=(6, 6 - 14 * index),
            textcoords="offset points",
            fontsize=9,
            color=f"C{index}",
        )
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.margins(0.25)
    axes.set_title(title)
    return figure


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class SweepLine:
    """One metric against one parameter, the other parameters held at one combination.

    Attributes:
        label: which combination of the other parameters (empty with one parameter).
        x: positions on the parameter's axis (its values, or 0, 1, ... for text values).
        mean: the metric's mean at each position.
        low: the lower CI bound at each position (NaN without one).
        high: the upper CI bound.
    """

    label: str
    x: Sequence[float]
    mean: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]


@dataclass(frozen=True)
class SweepPanel:
    """One metric's axes: its label and one line per combination of the other parameters."""

    title: str
    lines: Sequence[SweepLine]


def sweep_panels(
    title: str,
    x_label: str,
    panels: Sequence[SweepPanel],
    ticks: Sequence[tuple[float, str]],
    empty: str,
) -> Figure:
    """Metrics against one swept parameter, one axes per metric, with 95% CI bands.

    Args:
        title: the figure's title (the parameter).
        x_label: the parameter's axis.
        panels: one per metric.
        ticks: positions and texts of the parameter's axis; empty for matplotlib's own (many
            numeric values).
        empty: what a figure without data says.
    """
    if not panels:
        return no_data(title, empty)
    columns = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / columns)
    labels = list(dict.fromkeys(line.label for panel in panels for line in panel.lines))
    shown = [label for label in labels if label] if len(labels) > 1 else []
    legend_height = 0.25 * sum(len(_wrapped(label, 90).splitlines()) for label in shown)
    figure = _figure(9.0 if columns == 2 else 6.0, 3.0 * rows + 0.8 + legend_height)
    grid = figure.subplots(rows, columns, squeeze=False)
    wrapped_x = _wrapped(x_label, 45)
    for axes, panel in zip(grid.flat, panels, strict=False):
        for index, line in enumerate(panel.lines):
            x = np.asarray(line.x, dtype=float)
            order = np.argsort(x, kind="stable")
            colour = f"C{index % 10}"
            low = np.asarray(line.low, dtype=float)[order]
            high = np.asarray(line.high, dtype=float)[order]
            if np.isfinite(low).any():
                axes.fill_between(x[order], low, high, color=colour, alpha=0.2, linewidth=0)
            axes.plot(
                x[order],
                np.asarray(line.mean, dtype=float)[order],
                marker="o",
                color=colour,
                label=line.label or None,
            )
        if ticks:
            axes.set_xticks([p for p, _ in ticks], [t for _, t in ticks], fontsize=8)
        axes.set_title(_wrapped(panel.title, 45), fontsize=10)
        axes.set_xlabel(wrapped_x, fontsize=9)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_axis_off()
    if shown:  # one legend for every panel, below them, so no curve is ever hidden behind it
        handles = {h.get_label(): h for ax in grid.flat for h in ax.get_lines()}
        figure.legend(
            [handles[label] for label in shown if label in handles],
            [_wrapped(label, 90) for label in shown if label in handles],
            loc="outside lower center",
            fontsize=7,
            frameon=False,
        )
    figure.suptitle(_wrapped(title, 70))
    return figure


def _wrapped(text: str, width: int) -> str:
    """Long parameter paths broken over lines (at dots and spaces), so no title is clipped."""
    if len(text) <= width:
        return text
    return "\n".join(textwrap.wrap(text.replace(".", ". "), width)).replace(". ", ".")


@dataclass(frozen=True)
class Heatmap:
    """One metric over two parameters: ``values[i][j]`` at the i-th y and j-th x value."""

    title: str
    values: Sequence[Sequence[float]]
    texts: Sequence[Sequence[str]]


def heatmaps(
    title: str,
    x_label: str,
    y_label: str,
    x_ticks: Sequence[str],
    y_ticks: Sequence[str],
    maps: Sequence[Heatmap],
    empty: str,
) -> Figure:
    """One heatmap per metric over a two-parameter grid, each cell written in its unit.

    A combination the sweep did not run (a zip sweep, a failed point) is left blank.
    """
    if not maps:
        return no_data(title, empty)
    columns = 2 if len(maps) > 1 else 1
    rows = math.ceil(len(maps) / columns)
    figure = _figure(10.0 if columns == 2 else 6.0, 3.4 * rows + 0.8)
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes, heatmap in zip(grid.flat, maps, strict=False):
        values = np.asarray(heatmap.values, dtype=float)
        image = axes.imshow(
            np.ma.masked_invalid(values), cmap="viridis", aspect="auto", origin="lower"
        )
        figure.colorbar(image, ax=axes, shrink=0.85)
        finite = values[np.isfinite(values)]
        middle = float(finite.min() + finite.max()) / 2.0 if finite.size else 0.0
        for i, row in enumerate(heatmap.texts):
            for j, cell in enumerate(row):
                if cell:
                    dark = math.isfinite(values[i, j]) and values[i, j] < middle
                    axes.text(
                        j,
                        i,
                        cell,
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
        axes.set_xticks(range(len(x_ticks)), list(x_ticks), fontsize=8)
        axes.set_yticks(range(len(y_ticks)), list(y_ticks), fontsize=8)
        axes.set_xlabel(x_label, fontsize=8)
        axes.set_ylabel(y_label, fontsize=8)
        axes.set_title(heatmap.title, fontsize=10)
    for axes in list(grid.flat)[len(maps) :]:
        axes.set_axis_off()
    figure.suptitle(title)
    return figure


# --------------------------------------------------------------------------- other figures


def relabel(figure: Figure, words: Mapping[str, str]) -> Figure:
    """Replace each text of a figure that is exactly a key of ``words`` by its value.

    Titles, axis labels, legend entries and annotations alike; the figure is returned.

    For figures drawn elsewhere in English (the run's figures, the staffing plan): a report in
    another language shows them in that language without drawing them twice.
    """
    for artist in figure.findobj(Text):
        assert isinstance(artist, Text)
        replacement = words.get(artist.get_text())
        if replacement is not None:
            artist.set_text(replacement)
    return figure
