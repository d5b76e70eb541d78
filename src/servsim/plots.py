"""Figures of a run: DataFrames in, :class:`matplotlib.figure.Figure` out.

Each function takes the plain tables a run saves (``visits``, ``moments``, ``staffing``, the
importance-performance table, the per-day table) and returns a new Figure drawn on the Agg
canvas. Nothing touches pyplot's global state, so figures can be made in worker processes, in
tests and in a report builder without a display and without leaking open figures. This module
never imports the model: a figure is redrawn from saved results, never by simulating again.

Every function accepts stacked tables with a ``replication`` column, and an empty table gives a
figure that says "no data" rather than an error, so a report of a run without (say) training
still renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator, ScalarFormatter

from servsim.analysis import IMPORTANCE_SPLIT
from servsim.language import Language, text
from servsim.presentation import format_number, format_share
from servsim.satisfaction_schema import LEVEL_NAMES

__all__ = [
    "LEVEL_COLOURS",
    "daily_profile",
    "has_proficiency_panel",
    "importance_performance_grid",
    "interval_view",
    "moment_levels",
    "staffing_over_time",
    "staffing_plan",
    "waits_distribution",
]

LEVEL_COLOURS = {
    1: "#b2182b",  # criminal: the bitter end, red
    2: "#ef8a62",
    3: "#d9d9d9",  # expected: neutral grey
    4: "#67a9cf",
    5: "#1a9850",  # amazing: stellar, green
}
"""Diverging colours for moment levels 1-5, so bitter and stellar moments stand out."""

QUADRANT_CORNERS = {
    "concentrate here": (0.02, 0.98, "left", "top"),
    "keep up the good work": (0.98, 0.98, "right", "top"),
    "low priority": (0.02, 0.02, "left", "bottom"),
    "possible overkill": (0.98, 0.02, "right", "bottom"),
}
"""Where Martilla & James put each quadrant: importance up, performance to the right."""
UTILITY_SCALE = (-2.25, 0.84)
"""The utility v of a criminal moment (x = -1) and of an amazing one (x = 1.5): the least
span of the importance-performance grid's performance axis."""


WAIT_TICKS = (
    (0.0, "0"),
    (1.0, "1 s"),
    (10.0, "10 s"),
    (60.0, "1 min"),
    (600.0, "10 min"),
    (3600.0, "1 h"),
    (36000.0, "10 h"),
    (86400.0, "1 d"),
    (864000.0, "10 d"),
)
"""Tick positions (s) and labels of wait axes: waits span seconds to days, so a log scale."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of ``term.weekday.*``; day 1 of a run is a Monday unless the calendar says."""


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A new figure on its own Agg canvas: no pyplot, no global figure registry."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _no_data(title: str, reason: str = "no data") -> Figure:
    """A figure that says there was nothing to draw, instead of failing or drawing blank axes."""
    figure = _figure(6.0, 2.5)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, reason, ha="center", va="center", fontsize=14, color="grey")
    return figure


def _wait_axis(axes: Axes, upper: float, language: Language) -> None:
    """A wait axis from 0 to ``upper`` seconds: linear to 1 s, logarithmic beyond."""
    ticks = [tick for tick in WAIT_TICKS if tick[0] <= upper]
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlim(0.0, upper)
    axes.set_xticks([t for t, _ in ticks], [name for _, name in ticks])
    axes.set_xlabel(text("plot.waits.axis", language))


def waits_distribution(
    visits: pd.DataFrame, target: float | None = None, language: Language = "en"
) -> Figure:
    """Histogram and ECDF of the waits of served staffed visits, one row of panels per pool.

    A mean wait hides the tail that customers remember; the ECDF reads directly as "share of
    visits answered within t", and with ``target`` (the service-level target, seconds) the
    vertical line shows where the service level is read. Each pool has its own row and its own
    x axis: a back office whose work waits overnight would otherwise squeeze the front line's
    seconds into a corner, or be cut off at the right. Waits run from zero to hours, so each
    axis is logarithmic beyond one second and reaches past the pool's longest wait. The shares
    are written in the row's title, not in a legend that could cover a curve. Abandoned visits
    (never started) and self-service visits (no pool) are left out: this is the wait of those
    who were served.

    Args:
        visits: the ``visits`` table (queued, started, pool); stacked replications pool together.
        target: service-level target in seconds, drawn as a vertical line when given.
        language: of the titles and axes.
    """
    title = text("plot.waits.title", language)
    needed = {"pool", "queued", "started"}
    if visits.empty or not needed <= set(visits.columns):
        return _no_data(title, text("plot.no_data", language))
    served = visits[(visits["pool"].astype(str) != "") & visits["started"].notna()]
    if served.empty:
        return _no_data(title, text("plot.waits.none_served", language))
    waits = (served["started"] - served["queued"]).to_numpy(dtype=np.float64)
    pool_names = served["pool"].astype(str).to_numpy()
    pools = list(dict.fromkeys(pool_names))
    figure = _figure(10.0, 2.7 * len(pools) + 0.7)
    grid = figure.subplots(len(pools), 2, squeeze=False)
    for row, pool in enumerate(pools):
        pool_waits = waits[pool_names == pool]
        upper = max(float(pool_waits.max()), target or 0.0, 10.0) * 1.2
        histogram, ecdf = grid[row, 0], grid[row, 1]
        positive = pool_waits[pool_waits > 0]
        histogram.hist(positive, bins=np.geomspace(1e-3, upper, 50), color=f"C{row}")
        ordered = np.sort(pool_waits)
        shares = np.arange(1, ordered.size + 1) / ordered.size
        ecdf.step(ordered, shares, where="post", color=f"C{row}")
        for axes in (histogram, ecdf):
            _wait_axis(axes, upper, language)
            if target is not None:
                axes.axvline(target, color="black", linestyle="--", linewidth=1)
        if target is not None:
            ecdf.text(
                target,
                0.02,
                " " + text("plot.target", language),
                rotation=90,
                va="bottom",
                fontsize=8,
            )
        no_wait = format_share(float(np.mean(pool_waits <= 0)), language)
        facts = text("plot.waits.no_wait", language, share=no_wait)
        if target is not None:
            within = format_share(float(np.mean(pool_waits <= target)), language)
            facts += ", " + text("plot.waits.within", language, share=within)
        histogram.set_title(f"{pool}: " + text("plot.waits.histogram", language), fontsize=10)
        ecdf.set_title(f"{pool}: {facts}", fontsize=10)
        histogram.set_ylabel(text("plot.waits.visits", language))
        ecdf.set_ylabel(text("plot.waits.share", language))
        ecdf.set_ylim(0.0, 1.02)
    figure.suptitle(title)
    return figure


def moment_levels(
    moments: pd.DataFrame, touchpoints: Sequence[str] | None = None, language: Language = "en"
) -> Figure:
    """A 100% stacked bar per touchpoint of its moments' levels 1-5, criminal to amazing.

    Levels say more than a mean utility: two touchpoints with the same mean can be steadily
    "expected" or a mix of stellar and bitter moments, and customers remember the extremes
    (peak-end). Bitter (level 1) and stellar (level 5) shares are written beside each bar; the
    legend sits outside the bars.

    Args:
        moments: the ``moments`` table (touchpoint, level); stacked replications pool together.
        touchpoints: bar order (the service cycle's); by default the order of first appearance.
        language: of the titles, axes and level names.
    """
    title = text("plot.levels.title", language)
    if moments.empty or not {"touchpoint", "level"} <= set(moments.columns):
        return _no_data(title, text("plot.no_data", language))
    present = list(dict.fromkeys(moments["touchpoint"].astype(str)))
    order = [tp for tp in touchpoints if tp in set(present)] if touchpoints else present
    if not order:
        return _no_data(title, text("plot.no_data", language))
    counts = pd.crosstab(moments["touchpoint"].astype(str), moments["level"].astype(int))
    counts = counts.reindex(index=order, columns=list(LEVEL_NAMES), fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    figure = _figure(max(6.0, 1.3 * len(order) + 3.0), 4.5)
    axes = figure.add_subplot()
    positions = np.arange(len(order))
    bottom = np.zeros(len(order))
    for level in LEVEL_NAMES:
        heights = shares[level].to_numpy(dtype=np.float64)
        axes.bar(
            positions,
            heights,
            bottom=bottom,
            color=LEVEL_COLOURS[level],
            edgecolor="white",
            linewidth=0.5,
            label=f"{level} {text(f'term.level.{level}', language)}",
        )
        bottom += heights
    bitter_shares = shares[1].to_numpy(dtype=np.float64)
    stellar_shares = shares[5].to_numpy(dtype=np.float64)
    stellar, bitter = text("plot.levels.stellar", language), text("plot.levels.bitter", language)
    for x, (low, high) in enumerate(zip(bitter_shares, stellar_shares, strict=True)):
        top = f"{stellar} {format_share(float(high), language)}"
        foot = f"{bitter} {format_share(float(low), language)}"
        axes.text(x, 1.01, top, ha="center", va="bottom", fontsize=8)
        axes.text(x, -0.01, foot, ha="center", va="top", fontsize=8)
    axes.set_xticks(positions, order, rotation=20 if len(order) > 4 else 0)
    axes.tick_params(axis="x", pad=14)
    axes.set_ylim(-0.08, 1.08)
    axes.set_ylabel(text("plot.levels.share", language))
    axes.set_title(title)
    axes.legend(
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=8,
        title=text("plot.levels.level", language),
    )
    return figure


def importance_performance_grid(table: pd.DataFrame, language: Language = "en") -> Figure:
    """The Martilla & James grid: importance against performance, one labelled point a moment.

    The quadrants are split where the table splits them, at fixed points: performance at 0
    (the adequate edge of the zone of tolerance), importance at half the largest (the y axis is
    importance relative to the largest, 0 to 1). The x axis spans at least the utility of a
    criminal moment (v of x = -1) to an amazing one (x = 1.5), so a moment's place on the
    whole scale shows, not only its place among the others. What lands top-left is where to
    act first.

    Args:
        table: :func:`servsim.analysis.importance_performance`'s result (touchpoint,
            relative_importance, performance, quadrant, priority).
        language: of the titles, axes and quadrant names.
    """
    title = text("plot.ip.title", language)
    needed = {"touchpoint", "relative_importance", "performance"}
    if table.empty or not needed <= set(table.columns):
        return _no_data(title, text("plot.no_data", language))
    importance = table["relative_importance"].to_numpy(dtype=np.float64)
    performance = table["performance"].to_numpy(dtype=np.float64)
    figure = _figure(7.0, 5.5)
    axes = figure.add_subplot()
    axes.scatter(performance, importance, s=60, color="#2166ac", zorder=3)
    for number, row in enumerate(table.itertuples(index=False)):
        label = str(row.touchpoint)
        if "priority" in table.columns:
            label = f"{row.priority}. {label}"
        axes.annotate(
            label,
            (float(row.performance), float(row.relative_importance)),  # type: ignore[arg-type]
            xytext=(6, 4 if number % 2 == 0 else -12),  # neighbours alternate above and below
            textcoords="offset points",
            fontsize=9,
        )
    axes.axvline(0.0, color="grey", linewidth=1)
    axes.axhline(IMPORTANCE_SPLIT, color="grey", linewidth=1)
    low, high = float(np.nanmin(performance)), float(np.nanmax(performance))
    # room on the right for the labels of the best-performing moments
    axes.set_xlim(min(UTILITY_SCALE[0], low - 0.2), max(UTILITY_SCALE[1], high) + 0.8)
    axes.set_ylim(-0.05, 1.12)
    for name, (x, y, ha, va) in QUADRANT_CORNERS.items():
        axes.text(
            x,
            y,
            text("report.quadrant." + name.replace(" ", "_"), language),
            transform=axes.transAxes,
            ha=ha,
            va=va,
            color="grey",
            style="italic",
        )
    axes.set_xlabel(text("plot.ip.performance", language))
    axes.set_ylabel(text("plot.ip.importance", language))
    axes.set_title(title)
    return figure


def daily_profile(daily: pd.DataFrame, language: Language = "en") -> Figure:
    """Staff hours on the floor and in training, proficiency and mean wait, per day and pool.

    Whole-run averages hide what a training plan does; day by day the dip (staff off the
    floor, longer waits) and the gain (proficiency up, waits down, then fading) are visible.
    Without training (and with proficiency that never moves) the proficiency panel is left
    out: a flat line at the scenario's proficiency says nothing the scenario does not.

    Args:
        daily: :func:`servsim.metrics.daily_metrics`'s table (day, pool, staff_hours,
            training_hours, proficiency, wait_mean, ...); a ``replication`` column is averaged.
        language: of the titles and axes.
    """
    title = text("plot.daily.title", language)
    if daily.empty or not {"day", "pool"} <= set(daily.columns):
        return _no_data(title, text("plot.no_data", language))
    columns = [
        c
        for c in ("staff_hours", "training_hours", "proficiency", "wait_mean")
        if c in daily.columns
    ]
    frame = daily.groupby(["day", "pool"], as_index=False)[columns].mean()
    pools = list(dict.fromkeys(frame["pool"].astype(str)))
    panels = 3 if has_proficiency_panel(frame) else 2
    figure = _figure(max(6.0, 4.2 * len(pools)), 2.5 * panels + 0.5)
    grid = figure.subplots(panels, len(pools), sharex=True, squeeze=False)
    for index, pool in enumerate(pools):  # each pool its own column: its own scales
        rows = frame[frame["pool"].astype(str) == pool]
        staff, wait = grid[0, index], grid[-1, index]
        proficiency = grid[1, index] if panels == 3 else None
        colour = f"C{index}"
        days = rows["day"].to_numpy(dtype=np.float64)
        if "staff_hours" in rows:
            staff.plot(
                days,
                rows["staff_hours"],
                color=colour,
                marker=".",
                label=text("plot.daily.on_floor", language),
            )
        if "training_hours" in rows and float(rows["training_hours"].sum()) > 0:
            staff.plot(
                days,
                rows["training_hours"],
                color=colour,
                linestyle="--",
                marker=".",
                label=text("plot.daily.in_training", language),
            )
        staff.set_title(pool)
        staff.legend(fontsize=8, loc="lower left")
        if proficiency is not None:
            proficiency.plot(days, rows["proficiency"], color=colour, marker=".")
        if "wait_mean" in rows:
            wait.plot(days, rows["wait_mean"] / 60.0, color=colour, marker=".")
        wait.set_xlabel(text("plot.day", language))
        wait.xaxis.set_major_locator(MaxNLocator(integer=True))
        staff.set_ylabel(text("plot.daily.staff_hours", language))
        wait.set_ylabel(text("plot.daily.wait", language))
        if proficiency is not None:
            proficiency.set_ylabel(text("plot.daily.proficiency", language))
    figure.suptitle(text("plot.daily.suptitle", language))
    return figure


def has_proficiency_panel(daily: pd.DataFrame) -> bool:
    """Whether the day-by-day figure shows proficiency: training happened, or it moved.

    Proficiency that stays at the scenario's level within 0.001 (no training, no forgetting)
    would draw a flat line that says nothing.
    """
    if "proficiency" not in daily.columns:
        return False
    if "training_hours" in daily.columns and float(daily["training_hours"].sum()) > 0:
        return True
    spread = daily.groupby("pool")["proficiency"].agg(lambda p: float(p.max() - p.min()))
    return bool((spread > 1e-3).any())


def _first_weekday(intervals: pd.DataFrame | None) -> int:
    """The weekday (0 = Monday) of a run's day 1, read from the interval table (Monday else)."""
    if intervals is None or intervals.empty or not {"day", "weekday"} <= set(intervals.columns):
        return 0
    first = str(intervals.loc[intervals["day"] == intervals["day"].min(), "weekday"].iloc[0])
    return WEEKDAYS.index(first) if first in WEEKDAYS else 0


def _time_ticks(axes: Axes, span_hours: float, language: Language, start_weekday: int = 0) -> None:
    """Ticks on a clock that names the days: ``Mon 00:00``, ``06:00`` ..., or ``Mon 1`` per day.

    Up to a week, ticks every 3, 6 or 12 hours and each midnight names its weekday; beyond,
    one tick a day, named by weekday and day number (day 1 is the run's first day).
    """
    steps = ((24.0, 3.0), (72.0, 6.0), (168.0, 12.0))
    step = next((every for limit, every in steps if span_hours <= limit), 24.0)
    ticks = np.arange(0.0, span_hours + 1e-9, step)
    labels = []
    for tick in ticks:
        day, hour = divmod(round(tick), 24)
        weekday = text(f"term.weekday.{WEEKDAYS[(start_weekday + day) % 7]}", language)
        if step >= 24.0:
            labels.append(f"{weekday} {day + 1}")
        elif hour == 0 or tick == ticks[0]:
            labels.append(f"{weekday} {hour:02d}:00")
        else:
            labels.append(f"{hour:02d}:00")
    axes.set_xticks(ticks, labels, rotation=0, fontsize=8)
    axes.set_xlim(0.0, span_hours)


def staffing_over_time(
    staffing: pd.DataFrame,
    days: float = 1.0,
    intervals: pd.DataFrame | None = None,
    language: Language = "en",
) -> Figure:
    """Staff on the floor per pool over the first ``days``, as the step function it is.

    Shows shifts, overlaps and training absences as the model applied them: the first thing
    to check when waits look wrong at some hour. With the run's ``intervals`` table the panel
    below shows the demand each pool met (contacts offered per interval, mean per
    replication), on the same clock, so a shift that ends before the demand does shows.
    With stacked replications only the first replication's staff is drawn (schedules are the
    same; training draws may differ).

    Args:
        staffing: the ``staffing`` table (pool, time, on_floor[, in_training]).
        days: how much of the run to show, from time 0.
        intervals: :func:`servsim.intervals.interval_table`'s rows (time, pool, offered).
        language: of the titles and axes.
    """
    title = text(
        "plot.staffing.title" + (".one" if days == 1 else ""),
        language,
        days=format_number(days, "g", language),
    )
    if staffing.empty or not {"pool", "time", "on_floor"} <= set(staffing.columns):
        return _no_data(title, text("plot.no_data", language))
    if "replication" in staffing.columns:
        first = staffing["replication"].min()
        staffing = staffing[staffing["replication"] == first]
    end = days * 86400.0
    demand = (
        intervals is not None
        and not intervals.empty
        and {"time", "pool", "offered"} <= set(intervals.columns)
    )
    figure = _figure(9.0, 6.0 if demand else 4.0)
    panels = figure.subplots(2 if demand else 1, 1, sharex=True, squeeze=False)[:, 0]
    axes = panels[0]
    pools = list(dict.fromkeys(staffing["pool"].astype(str)))
    for index, pool in enumerate(pools):
        rows = staffing[staffing["pool"].astype(str) == pool].sort_values("time", kind="stable")
        times = rows["time"].to_numpy(dtype=np.float64)
        shown = times < end
        if not shown.any():
            continue
        levels = rows["on_floor"].to_numpy(dtype=np.float64)[shown]
        hours = np.append(times[shown], end) / 3600.0
        axes.step(hours, np.append(levels, levels[-1]), where="post", color=f"C{index}", label=pool)
        if "in_training" in rows and rows["in_training"].to_numpy()[shown].any():
            training = rows["in_training"].to_numpy(dtype=np.float64)[shown]
            axes.step(
                hours,
                np.append(training, training[-1]),
                where="post",
                color=f"C{index}",
                linestyle="--",
                label=text("plot.staffing.in_training", language, pool=pool),
            )
    axes.set_ylabel(text("plot.staffing.staff", language))
    axes.set_title(title)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if demand and intervals is not None:
        lower = panels[1]
        for index, pool in enumerate(pools):
            rows = intervals[(intervals["pool"].astype(str) == pool) & (intervals["time"] < end)]
            if rows.empty:
                continue
            times = rows["time"].to_numpy(dtype=np.float64) / 3600.0
            offered = rows["offered"].to_numpy(dtype=np.float64)
            lower.step(
                np.append(times, end / 3600.0),
                np.append(offered, offered[-1]),
                where="post",
                color=f"C{index}",
                label=pool,
            )
        lower.set_ylabel(text("plot.staffing.offered", language))
        lower.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _time_ticks(panels[-1], end / 3600.0, language, _first_weekday(intervals))
    panels[-1].set_xlabel(text("plot.clock", language))
    return figure


def _step(axes: Axes, edges: np.ndarray, values: pd.Series, **style: Any) -> None:
    """``values`` per interval as steps over the interval ``edges`` (one more than values)."""
    data = values.to_numpy(dtype=np.float64)
    if data.size:
        axes.step(edges, np.append(data, data[-1]), where="post", **style)


def interval_view(
    intervals: pd.DataFrame, goal: float | None = None, language: Language = "en"
) -> Figure:
    """The planner's interval view: per pool, demand, staff against need, service level.

    For each pool, one panel of contacts offered per interval (the demand, mean per
    replication), one of the staff on duty beside the Erlang requirement for that interval's
    load (front-line pools), and for pools where customers wait in person one of the service
    level per interval against the goal. Every pool has its own panels and scales, on one
    clock with the days named.

    Args:
        intervals: :func:`servsim.intervals.interval_table`'s rows (the saved ``intervals``).
        goal: the service-level goal, drawn as a line.
        language: of the titles and axes.
    """
    title = text("plot.intervals.title", language)
    needed = {"time", "pool", "offered", "staff_on_duty"}
    if intervals.empty or not needed <= set(intervals.columns):
        return _no_data(title, text("plot.no_data", language))
    pools = list(dict.fromkeys(intervals["pool"].astype(str)))
    panels: list[tuple[str, str]] = []
    for pool in pools:
        rows = intervals[intervals["pool"].astype(str) == pool]
        panels += [(pool, "demand"), (pool, "staff")]
        if "service_level" in rows and rows["service_level"].notna().any():
            panels.append((pool, "service_level"))
    figure = _figure(10.0, 1.9 * len(panels) + 0.9)
    axes_list = figure.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
    span = float(intervals["time"].max()) / 3600.0
    if "time" in intervals and len(intervals["time"].unique()) > 1:
        span += float(np.diff(np.sort(intervals["time"].unique()))[0]) / 3600.0
    for axes, (pool, kind) in zip(axes_list, panels, strict=True):
        rows = intervals[intervals["pool"].astype(str) == pool].sort_values("time")
        hours = rows["time"].to_numpy(dtype=np.float64) / 3600.0
        edges = np.append(hours, span)

        if kind == "demand":
            _step(
                axes,
                edges,
                rows["offered"],
                color="0.35",
                label=text("plot.intervals.offered", language),
            )
            axes.set_ylabel(f"{pool}\n" + text("plot.intervals.offered_axis", language), fontsize=9)
        elif kind == "staff":
            _step(
                axes,
                edges,
                rows["staff_on_duty"],
                color="C0",
                linewidth=2,
                label=text("plot.intervals.on_duty", language),
            )
            if "erlang_required" in rows and rows["erlang_required"].notna().any():
                _step(
                    axes,
                    edges,
                    rows["erlang_required"],
                    color="C3",
                    linestyle="--",
                    label=text("plot.intervals.required", language),
                )
            axes.set_ylabel(f"{pool}\n" + text("plot.intervals.staff_axis", language), fontsize=9)
            axes.set_ylim(bottom=0)
        else:
            _step(
                axes,
                edges,
                rows["service_level"],
                color="C2",
                label=text("plot.intervals.achieved", language),
            )
            if goal is not None:
                axes.axhline(
                    goal,
                    color="C3",
                    linestyle=":",
                    label=text("plot.intervals.goal", language, goal=format_share(goal, language)),
                )
            axes.set_ylim(-0.02, 1.05)
            axes.set_ylabel(f"{pool}\n" + text("plot.intervals.sl_axis", language), fontsize=9)
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _time_ticks(axes_list[-1], span, language, _first_weekday(intervals))
    axes_list[-1].set_xlabel(text("plot.clock", language))
    figure.suptitle(title)
    return figure


def contact_level_tradeoff(comparison: pd.DataFrame) -> Figure:
    """Cost per resolved issue against CSAT, one point per scenario with its 95% CI bars.

    The trade-off a contact level is chosen on: what resolving an issue costs against how
    customers rate the service, each scenario labelled with its contact level.

    Args:
        comparison: :func:`servsim.analysis.contact_level_comparison`'s tidy table.
    """
    title = "contact levels: cost per resolved issue against CSAT"
    needed = {"cost_per_resolved_issue", "csat_mean"}
    if comparison.empty or not needed <= set(comparison["metric"]):
        return _no_data(title)
    figure = _figure(7.0, 5.0)
    axes = figure.add_subplot()
    for index, (scenario, rows) in enumerate(comparison.groupby("scenario", sort=False)):
        cells = {
            (str(metric), stat): float(value)
            for metric, low, mean, high in rows[["metric", "ci_low", "mean", "ci_high"]].itertuples(
                index=False
            )
            for stat, value in (("low", low), ("mean", mean), ("high", high))
        }
        x, y = cells[("cost_per_resolved_issue", "mean")], cells[("csat_mean", "mean")]
        axes.errorbar(
            x,
            y,
            xerr=[
                [x - cells[("cost_per_resolved_issue", "low")]],
                [cells[("cost_per_resolved_issue", "high")] - x],
            ],
            yerr=[[y - cells[("csat_mean", "low")]], [cells[("csat_mean", "high")] - y]],
            fmt="o",
            color=f"C{index}",
            capsize=4,
        )
        level = str(rows["contact_level"].iloc[0])
        axes.annotate(
            f"{level} ({scenario})",
            (x, y),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=9,
        )
    axes.set_xlabel("cost per resolved issue (mean, 95% CI)")
    axes.set_ylabel("CSAT 1-5 (mean, 95% CI)")
    axes.margins(0.25)
    axes.set_title(title)
    return figure


def staffing_plan(intervals: pd.DataFrame, goal: float | None = None) -> Figure:
    """Per staffed pool: load, requirements and scheduled staff, then the service level achieved.

    The top panel of each pool shows the offered load measured in the system (erlangs), the
    per-interval Erlang requirement of the pilot, the requirement simulation settled on and
    the staff scheduled, against time; the panel below it the verified plan's service level per
    interval with its 95% CI and the goal, for pools where customers queue in person (a back
    office has no service level, so no such panel).

    Args:
        intervals: :attr:`servsim.staffing.StaffingPlan.intervals`.
        goal: the service-level goal drawn as a line.
    """
    title = "staffing plan"
    if intervals.empty:
        return _no_data(title)
    pools = list(dict.fromkeys(intervals["pool"]))
    panels = []
    for pool in pools:
        panels.append((pool, "staff"))
        if intervals.loc[intervals["pool"] == pool, "service_level"].notna().any():
            panels.append((pool, "service_level"))
    figure = _figure(10.0, 2.6 * len(panels) + 0.6)
    axes_list = figure.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
    for axes, (pool, kind) in zip(axes_list, panels, strict=True):
        rows = intervals[intervals["pool"] == pool]
        hours = (rows["day"].to_numpy() - 1) * 24.0 + pd.to_timedelta(
            rows["start"] + ":00"
        ).dt.total_seconds().to_numpy() / 3600.0
        if kind == "staff":
            axes.plot(hours, rows["offered_load"], color="0.5", label="offered load (erlangs)")
            for column, style, label in (
                ("erlang_required", "--", "Erlang requirement (pilot)"),
                ("simulated_required", "-", "simulated requirement"),
                ("scheduled", "-", "scheduled"),
            ):
                axes.step(
                    hours,
                    rows[column],
                    where="post",
                    linestyle=style,
                    label=label,
                    linewidth=2.2 if column == "scheduled" else 1.2,
                )
            axes.set_ylabel(f"{pool}\nstaff / erlangs")
            axes.legend(loc="upper left", fontsize=8, ncols=4, framealpha=0.9)
            axes.set_ylim(
                bottom=0,
                top=max(
                    float(rows[["scheduled", "erlang_required", "offered_load"]].max().max())
                    * 1.35,
                    1.0,
                ),
            )
        else:
            axes.fill_between(
                hours,
                rows["service_level_low"],
                rows["service_level_high"],
                step="post",
                alpha=0.3,
                color="C2",
                label="95% CI",
            )
            axes.step(hours, rows["service_level"], where="post", color="C2", label="achieved")
            if goal is not None:
                axes.axhline(goal, color="C3", linestyle=":", label=f"goal {goal:.0%}")
            axes.set_ylim(-0.02, 1.05)
            axes.set_ylabel(f"{pool}\nservice level")
            axes.legend(loc="lower left", fontsize=8, ncols=3, framealpha=0.9)
    last = axes_list[-1]
    span = float(intervals["day"].max()) * 24.0
    step = 6.0 if span <= 72 else 12.0 if span <= 168 else 24.0
    ticks = np.arange(0.0, span + 1e-9, step)
    last.set_xticks(ticks, [f"d{int(t // 24) + 1} {int(t % 24):02d}h" for t in ticks])
    last.set_xlabel("day and time of day")
    figure.suptitle(title)
    return figure


class _DecimalComma(Formatter):
    """A number formatter's labels with a decimal comma: ``2,5`` for ``2.5``.

    Wraps the axis's own :class:`~matplotlib.ticker.ScalarFormatter`, which writes no
    thousands separator, so swapping the point is safe and every other choice (offsets,
    precision) stays matplotlib's.
    """

    def __init__(self, inner: ScalarFormatter) -> None:
        super().__init__()
        self.inner = inner

    def set_axis(self, axis: object) -> None:
        super().set_axis(axis)  # type: ignore[arg-type]
        self.inner.set_axis(axis)  # type: ignore[arg-type]

    def set_locs(self, locs: object) -> None:
        self.inner.set_locs(locs)  # type: ignore[arg-type]

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.inner(x, pos).replace(".", ",")

    def get_offset(self) -> str:
        return self.inner.get_offset().replace(".", ",")


def decimal_comma(figure: Figure) -> Figure:
    """Number ticks written the Spanish way (decimal comma) on every axis of ``figure``.

    Titles and axis labels are already in the report's language; the tick numbers come from
    matplotlib, which writes a decimal point whatever the text around it says.
    """
    for axes in figure.get_axes():
        for axis in (axes.xaxis, axes.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, ScalarFormatter):
                axis.set_major_formatter(_DecimalComma(formatter))
    return figure
