"""How metric values, intervals and differences are written, for the terminal and the report.

``servsim run``, ``compare``, ``contact-levels`` and the HTML report all format numbers here,
so a number in the report can be found again in the terminal output of the run. Units and
labels come from :mod:`servsim.catalogue`.

An interval is written in one unit, the one that suits its mean: ``6.1 min [3.2 min .. 9.0
min]``, never ``106.7 min .. 2.1 h``, whose bounds a reader would have to convert to compare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

from servsim.catalogue import Unit, lookup, unit_of
from servsim.language import Language

__all__ = [
    "SATISFACTION_SHOWN",
    "TOUCHPOINT_SHOWN",
    "archetype_scores",
    "difference_cell",
    "exact_of",
    "format_duration",
    "format_interval",
    "format_number",
    "format_share",
    "format_value",
    "formatter",
    "is_exact",
    "localised",
    "mean_cell",
    "metric_definition",
    "metric_label",
    "metric_value",
    "parse_number",
]

EXACT_TOLERANCE: Final = 1e-9
"""An interval narrower than this (relative to the difference, or absolute below 1) is
rounding noise on a quantity that did not vary between replications."""
TIME_SCALES: Final = ((600.0, 1.0, "s"), (7200.0, 60.0, "min"), (math.inf, 3600.0, "h"))
"""(below this many seconds, divide by, suffix): seconds up to 10 min, minutes up to 2 h."""

SATISFACTION_SHOWN: Final = (
    "csat_mean",
    "csat_top2_share",
    "nps",
    "satisfaction_mean",
    "stellar_moments",
    "bitter_moments",
    "empathy_mean",
    "assurance_mean",
    "on_time_resolution",
)
"""What ``servsim run`` and the report show of satisfaction, in order."""
TOUCHPOINT_SHOWN: Final = ("stellar", "bitter", "moment_utility")
"""The columns of the moments-of-truth table, per judged touchpoint."""


def localised(number: str, language: Language = "en") -> str:
    """An English-formatted number (``1,234.50``) written the way ``language`` writes it.

    Spanish (``es``) takes the decimal comma and the thousands point: ``1.234,50``. The decimal
    comma is what the RAE's *Ortografía* (2010) and ISO 80000-1 give for Spanish. For thousands
    the RAE prefers a thin space, but issue 13 asks for the point (``1.234,50 EUR``), the usage
    of Spain's banks and administration that planners read every day, so servsim writes the
    point; the percent sign is separated by a space (``84,4 %``), as both the RAE and ISO
    80000-1 prescribe. Only what a person reads is localised: saved CSV and Parquet files keep
    machine-readable numbers.
    """
    if language == "en":
        return number
    return number.translate(_SPANISH)


_SPANISH: Final = str.maketrans({",": ".", ".": ","})


def parse_number(written: str, language: Language = "en") -> float:
    """The value of a number :func:`formatter` wrote in ``language`` (no unit or sign of %).

    The inverse of :func:`localised`, so a test can check a Spanish cell against its value.
    """
    grouping, decimal = (".", ",") if language == "es" else (",", ".")
    return float(written.strip().replace(grouping, "").replace(decimal, "."))


def formatter(
    reference: float,
    unit: Unit | None,
    signed: bool = False,
    currency: str | None = None,
    language: Language = "en",
) -> Callable[[float], str]:
    """One format for a value and what is shown beside it, chosen from ``reference``.

    Times take seconds, minutes or hours by the size of ``reference`` (a mean), so a mean and
    its bounds share one unit; counts below 10 keep two decimals. ``signed`` writes
    differences: with their sign, and differences of shares in percentage points. Money is
    followed by ``currency`` when one is given (``1,234.50 EUR``). NaN is ``-``. Numbers are
    written as ``language`` writes them (:func:`localised`: ``1.234,50 EUR``, ``84,4 %``).
    """
    sign = "+" if signed else ""
    size = 0.0 if math.isnan(reference) else abs(reference)
    spanish = language == "es"

    def number(value: float, spec: str) -> str:
        return localised(format(value, sign + spec), language)

    show: Callable[[float], str]
    if unit == "seconds":
        scale, suffix = next((s, x) for limit, s, x in TIME_SCALES if size < limit)

        def show(value: float) -> str:
            return f"{number(value / scale, '.1f')} {suffix}"

    elif unit == "share":
        percent = " %" if spanish else "%"
        points = " p. p." if spanish else " pp"

        def show(value: float) -> str:
            return number(value * 100, ".1f") + (points if signed else percent)

    elif unit == "index":  # NPS: points from -100 to +100, always signed, as managers read it

        def show(value: float) -> str:
            return localised(format(value * 100, "+.1f"), language)

    elif unit == "hours":

        def show(value: float) -> str:
            return f"{number(value, ',.1f')} h"

    elif unit == "money" and currency:

        def show(value: float) -> str:
            return f"{number(value, ',.2f')} {currency}"

    else:
        decimals = 1 if unit == "count" and size >= 10 else 2

        def show(value: float) -> str:
            return number(value, f",.{decimals}f")

    return lambda value: "-" if math.isnan(value) else show(value)


def format_value(
    value: float, unit: Unit | None, currency: str | None = None, language: Language = "en"
) -> str:
    """A value alone, in the unit that suits it: ``257.6 s``, ``3.6 h``, ``80.5%``."""
    return formatter(value, unit, currency=currency, language=language)(value)


def format_duration(seconds: float, language: Language = "en") -> str:
    """A set duration (a service-level target): ``20 s``, ``1.5 min``, ``2 h``, no idle ``.0``.

    A measured time keeps its decimal (:func:`format_value`); a target someone chose is
    written as they would say it, so ``80% within 20 s`` rather than ``within 20.0 s``.
    """
    written = format_value(seconds, "seconds", language=language)
    idle = ",0 " if language == "es" else ".0 "
    return written.replace(idle, " ", 1) if idle in written else written


def format_share(value: float, language: Language = "en", decimals: int = 0) -> str:
    """A share as a percentage with ``decimals`` (``80%``, ``80 %`` in Spanish): goals, spans."""
    if math.isnan(value):
        return "-"
    written = localised(f"{value * 100:,.{decimals}f}", language)
    return written + (" %" if language == "es" else "%")


def format_number(value: float, spec: str, language: Language = "en") -> str:
    """A plain number with a format ``spec`` (``,.0f``, ``.2f``), written as ``language`` does."""
    return "-" if math.isnan(value) else localised(format(value, spec), language)


def format_interval(
    mean: float,
    low: float,
    high: float,
    unit: Unit | None,
    currency: str | None = None,
    language: Language = "en",
) -> str:
    """``low .. high`` in the unit that suits the mean; ``-`` when there is no interval."""
    if math.isnan(low) or math.isnan(high):
        return "-"
    show = formatter(mean, unit, currency=currency, language=language)
    return f"{show(low)} .. {show(high)}"


def mean_cell(
    mean: float,
    low: float,
    high: float,
    unit: Unit | None,
    currency: str | None = None,
    language: Language = "en",
) -> str:
    """``mean [low .. high]`` in one unit; the mean alone without an interval, ``-`` without it."""
    if math.isnan(mean):
        return "-"
    show = formatter(mean, unit, currency=currency, language=language)
    if math.isnan(low) or math.isnan(high):
        return show(mean)
    return f"{show(mean)} [{show(low)} .. {show(high)}]"


def difference_cell(
    difference: float,
    low: float,
    high: float,
    unit: Unit | None,
    currency: str | None = None,
    language: Language = "en",
) -> str:
    """A paired difference and its interval, signed: ``+1.2 min [+0.8 min .. +1.6 min]``.

    The unit suits the largest of the three, not the difference alone: a difference near 0
    with a wide interval reads ``-8.6 min [-83.5 min .. +66.4 min]``, not ``-514.0 s
    [-5009.5 s .. +3981.5 s]``.
    """
    sizes = [abs(v) for v in (difference, low, high) if not math.isnan(v)]
    reference = max(sizes) if sizes else difference
    show = formatter(reference, unit, signed=True, currency=currency, language=language)
    text = show(difference)
    if not (math.isnan(difference) or math.isnan(low) or math.isnan(high)):
        text += f" [{show(low)} .. {show(high)}]"
    return text


def is_exact(difference: float, low: float, high: float) -> bool:
    """A paired difference the same in every replication: an interval of zero width.

    Staff cost under fixed staffing is such a quantity: the difference is deterministic, so
    no test applies and it is neither significant nor uncertain, only exact.
    """
    if math.isnan(difference) or math.isnan(low) or math.isnan(high):
        return False
    return high - low <= EXACT_TOLERANCE * max(1.0, abs(difference))


def exact_of(row: Mapping[Hashable, Any]) -> bool:
    """Whether a saved difference row is exact: its ``exact`` column, else from its interval.

    Comparisons save ``exact`` beside ``significant``; folders written before it was saved
    (and tables that never had it, such as the contact-level sensitivities) are judged by
    :func:`is_exact` on their saved ``difference``, ``ci_low`` and ``ci_high``.
    """
    saved = row.get("exact")
    if saved is not None and not (isinstance(saved, float) and math.isnan(saved)):
        if isinstance(saved, str):
            return saved.strip().lower() in ("true", "1", "1.0")
        return bool(saved)
    return is_exact(*(_number(row.get(k)) for k in ("difference", "ci_low", "ci_high")))


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def metric_value(column: str, value: float, language: Language = "en") -> str:
    """A value of a metric column, in the metric's unit (plain when the column is unknown)."""
    return format_value(value, unit_of(column), language=language)


def metric_label(column: str, language: Language = "en") -> str:
    """A column's short label, with its pool or touchpoint: ``occupancy (agents)``."""
    found = lookup(column)
    if found is None:
        return column
    label = found.metric.label(language)
    if found.percentile is not None:
        label += f" p{found.percentile}"
    return label if found.subject is None else f"{label} ({found.subject})"


def metric_definition(column: str) -> str:
    """What a column measures, one sentence; empty for an unknown column."""
    found = lookup(column)
    return found.metric.definition if found is not None else ""


def archetype_scores(procedural: float, personal: float, threshold: float) -> str:
    """``procedural 0.87, personal 0.76; high from 0.60``: the archetype's grounds."""
    return (
        f"procedural {format_value(procedural, 'score')}, personal "
        f"{format_value(personal, 'score')}; high from {threshold:.2f}"
    )


def goal_verdict(low: float, high: float, goal: float) -> str:
    """The service-level goal judged on a 95% CI: met, missed, or uncertain (it straddles)."""
    if low >= goal:
        return "met"
    if high < goal:
        return "missed"
    return "uncertain (the 95% CI straddles the goal)"


def goal_statement(
    goal: float, target: float, exclude: bool, mean: float, low: float, high: float
) -> tuple[str, str]:
    """What was promised and what was reached, as a planner reports it, and the verdict.

    ``exclude``: abandons within the target are left out of the count (else they are misses).
    """
    convention = (
        "abandons within the target left out"
        if exclude
        else "abandons within the target count as misses"
    )
    reached = f"{format_value(mean, 'share')} [{format_interval(mean, low, high, 'share')}]"
    text = (
        f"service-level goal {goal:.0%} within {format_value(target, 'seconds')} per offered "
        f"contact ({convention}): {reached}: "
    )
    return text, goal_verdict(low, high, goal)
