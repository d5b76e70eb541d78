"""The metric catalogue: the one place a metric is declared, and its columns built and parsed.

Every layer reads metrics from here: :mod:`servsim.metrics` names the columns it writes, the
experiment clips confidence intervals to a metric's valid range, a scenario's ``precision``
checks the metric names it is given, and the CLI and the report take units and labels from it.
A metric declared once cannot drift apart between those layers, so adding one means declaring
it in ``catalogue.toml`` (beside this module) and computing it in :mod:`servsim.metrics`.

A metric's column is its key (``service_level``), the key and a pool or touchpoint
(``occupancy[agents]``, ``stellar[reception]``) or, for the time standards, the key and a
percentile (``first_response_time_p90``). Pool and touchpoint names never hold ``[`` or ``]``
(:data:`servsim.schema_types.Name`), so a column parses back unambiguously.

This module imports only leaf modules of servsim (the satisfaction level names), so the
scenario package, the model's consumers and the presentation layer can all import it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Literal, get_args

from servsim.satisfaction_schema import LEVEL_NAMES

__all__ = [
    "CATALOGUE",
    "DAILY",
    "PERCENTILES",
    "STANDARDS",
    "Better",
    "Group",
    "Metric",
    "MetricColumn",
    "Scope",
    "Unit",
    "column",
    "family_names",
    "keys",
    "lookup",
    "markdown",
    "unit_of",
]

Scope = Literal["overall", "pool", "touchpoint", "day"]
"""What one value describes: the whole window, one staff pool, one touchpoint, one pool's day."""
Unit = Literal["seconds", "hours", "share", "count", "money", "score", "utility", "index"]
"""``share``: a fraction (shown in %); ``score``: a bounded rating; ``utility``: a signed
satisfaction scale with 0 at the adequate edge of the zone of tolerance; ``index``: a signed
difference of two shares that managers read as points from -100 to +100 (NPS), kept as the
fraction and shown times 100."""
Better = Literal["higher", "lower", "neither"]
Group = Literal["standard", "other", "pool", "satisfaction", "derived", "daily"]
"""Where a metric sits in tables: the five service standards first, then the others."""

PERCENTILES: Final = (50, 90, 95)
"""Percentiles written beside the mean of the time standards (``resolution_time_p90``)."""

UNBOUNDED: Final = (-math.inf, math.inf)
UNIT_RANGES: Final[dict[Unit, tuple[float, float]]] = {
    "seconds": (0.0, math.inf),
    "hours": (0.0, math.inf),
    "share": (0.0, 1.0),
    "count": (0.0, math.inf),
    "money": (0.0, math.inf),
    "score": (0.0, 1.0),
    "utility": UNBOUNDED,
    "index": (-1.0, 1.0),
}
"""The usual range of each unit; a metric may narrow or (NPS, a difference of shares) widen it."""


@dataclass(frozen=True)
class Metric:
    """One metric: what it means, its unit and valid range, and how tables label it.

    Attributes:
        key: the column's stem, e.g. ``occupancy``.
        scope: overall, per pool, per touchpoint or per pool and day.
        unit: how values are measured (and shown).
        valid: the smallest and largest value the metric can take; confidence intervals are
            cut there (a t interval is symmetric, a share near 1 is not).
        better: which direction is an improvement, ``neither`` when it depends.
        definition: one sentence saying what is measured.
        label_en: a short label for tables, in English.
        label_es: the same in Spanish, in the customer-service domain's terms.
        group: where the metric is listed.
        percentiles: the column has ``_p50``, ``_p90``, ``_p95`` siblings.
        definition_es: the definition in Spanish; empty where none is declared yet.
    """

    key: str
    scope: Scope
    unit: Unit
    valid: tuple[float, float]
    better: Better
    definition: str
    label_en: str
    label_es: str
    group: Group
    percentiles: bool = False
    definition_es: str = ""

    def label(self, language: Literal["en", "es"] = "en") -> str:
        """The short label in English or Spanish."""
        return self.label_es if language == "es" else self.label_en

    def definition_in(self, language: Literal["en", "es"] = "en") -> str:
        """The definition in English or Spanish (English where no Spanish one is declared)."""
        return self.definition_es if language == "es" and self.definition_es else self.definition

    @property
    def written(self) -> str:
        """The metric as a user writes it: ``occupancy[<pool>]``, ``service_level``."""
        return self.key if self.scope in ("overall", "day") else f"{self.key}[<{self.scope}>]"


_LEVEL_NAMES_ES: Final = {1: "criminal", 2: "básico", 3: "esperado", 4: "deseado", 5: "asombroso"}
CATALOGUE_FILE: Final = "catalogue.toml"
"""The declarations, as data beside this module: one table per metric, nothing repeated."""


def _declared(entry: dict[str, Any]) -> Metric:
    """One declaration checked: a typo in the catalogue file fails at import, by name."""
    key = str(entry["key"])
    fields = {"key", "scope", "unit", "better", "definition", "en", "es", "group"}
    missing = fields - set(entry)
    if missing:
        raise ValueError(f"{CATALOGUE_FILE}: metric '{key}' lacks {', '.join(sorted(missing))}")
    unknown = set(entry) - fields - {"valid", "percentiles", "definition_es"}
    if unknown:
        raise ValueError(f"{CATALOGUE_FILE}: metric '{key}' has unknown {sorted(unknown)}")
    for field, allowed in (
        ("scope", get_args(Scope)),
        ("unit", get_args(Unit)),
        ("better", get_args(Better)),
        ("group", get_args(Group)),
    ):
        if entry[field] not in allowed:
            raise ValueError(f"{CATALOGUE_FILE}: metric '{key}': {field} not in {allowed}")
    unit: Unit = entry["unit"]
    low, high = entry.get("valid", UNIT_RANGES[unit])
    return Metric(
        key,
        entry["scope"],
        unit,
        (float(low), float(high)),
        entry["better"],
        str(entry["definition"]),
        str(entry["en"]),
        str(entry["es"]),
        entry["group"],
        bool(entry.get("percentiles", False)),
        str(entry.get("definition_es", "")),
    )


def _expanded(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """An entry as written, or one entry per satisfaction level for a ``levels`` template."""
    if not entry.get("levels"):
        return [entry]
    template = {k: v for k, v in entry.items() if k not in ("levels", "better_by_level")}
    out = []
    for level, name in LEVEL_NAMES.items():
        names = {"k": level, "name": name, "name_es": _LEVEL_NAMES_ES[level]}
        filled = {k: v.format(**names) if isinstance(v, str) else v for k, v in template.items()}
        out.append(filled | {"better": entry["better_by_level"][level - 1]})
    return out


def _read_catalogue(table: str) -> tuple[Metric, ...]:
    text = resources.files("servsim").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    entries = tomllib.loads(text)[table]
    return tuple(_declared(e) for entry in entries for e in _expanded(entry))


_ENTRIES: Final = _read_catalogue("metric")
_DAILY_ENTRIES: Final = _read_catalogue("daily")

CATALOGUE: Final[dict[str, Metric]] = {m.key: m for m in _ENTRIES}
"""Every metric of a replication (and of the analyses), by key, in the order tables show them."""
DAILY: Final[dict[str, Metric]] = {m.key: m for m in _DAILY_ENTRIES}
"""The columns of :func:`servsim.metrics.daily_metrics`, one row per day and pool."""
STANDARDS: Final = tuple(m.key for m in _ENTRIES if m.group == "standard")  # = keys("standard")
"""The five service standards, in order."""


@dataclass(frozen=True)
class MetricColumn:
    """One column of a replication's metrics: a metric, and its pool, touchpoint or percentile.

    Build columns with :func:`column` (or this class) and read them with :meth:`parse`; no other
    module writes or splits ``name[subject]`` by hand.
    """

    metric: Metric
    subject: str | None = None
    percentile: int | None = None

    def __post_init__(self) -> None:
        scoped = self.metric.scope in ("pool", "touchpoint")
        if scoped != (self.subject is not None):
            need = f"a {self.metric.scope}" if scoped else "no pool or touchpoint"
            raise ValueError(f"metric '{self.metric.key}' takes {need}")
        if self.subject is not None and ("[" in self.subject or "]" in self.subject):
            raise ValueError(f"a {self.metric.scope} name cannot hold brackets: {self.subject!r}")
        if self.percentile is not None and (
            not self.metric.percentiles or self.percentile not in PERCENTILES
        ):
            raise ValueError(f"metric '{self.metric.key}' has no percentile {self.percentile}")

    @property
    def key(self) -> str:
        """The metric's key."""
        return self.metric.key

    @property
    def column(self) -> str:
        """The column name: ``key``, ``key_p90`` or ``key[subject]``."""
        name = self.metric.key
        if self.percentile is not None:
            name += f"_p{self.percentile}"
        return name if self.subject is None else f"{name}[{self.subject}]"

    @classmethod
    def parse(cls, name: str) -> MetricColumn:
        """The column ``name`` names; ValueError for anything the catalogue does not declare."""
        subject: str | None = None
        stem = name
        if name.endswith("]") and "[" in name:
            stem, subject = name[:-1].split("[", 1)
        found = CATALOGUE.get(stem)
        if found is not None:
            return cls(found, subject)
        base, _, suffix = stem.rpartition("_p")
        found = CATALOGUE.get(base)
        if found is not None and suffix.isdigit():
            return cls(found, subject, int(suffix))
        raise ValueError(f"unknown metric '{name}'")


def keys(group: Group) -> tuple[str, ...]:
    """The keys of one group's metrics, in catalogue order (``keys("standard")``)."""
    return tuple(m.key for m in _ENTRIES if m.group == group)


def column(key: str, subject: str | None = None, percentile: int | None = None) -> str:
    """The column of a declared metric: ``column("occupancy", "agents")`` is ``occupancy[agents]``.

    Raises:
        KeyError: the key is not in the catalogue (declare the metric first).
        ValueError: a pool or touchpoint missing or given where none belongs.
    """
    return MetricColumn(CATALOGUE[key], subject, percentile).column


def lookup(name: str) -> MetricColumn | None:
    """The parsed column, or None when ``name`` is no declared metric's column."""
    try:
        return MetricColumn.parse(name)
    except ValueError:
        return None


def unit_of(name: str) -> Unit | None:
    """The unit of a column (``occupancy[agents]`` is a share); None for an unknown column."""
    found = lookup(name)
    return found.metric.unit if found is not None else None


def family_names() -> list[str]:
    """Every metric a run can report, as a user writes it, percentiles included.

    For error messages: the exact columns depend on the scenario's pools and touchpoints.
    """
    names: list[str] = []
    for metric in _ENTRIES:
        if metric.group == "derived":
            continue
        names.append(metric.written)
        if metric.percentiles:
            names += [f"{metric.key}_p{p}" for p in PERCENTILES]
    return names


def _bound(value: float) -> str:
    return ("∞" if value > 0 else "-∞") if math.isinf(value) else f"{value:g}"


REGENERATE: Final = (
    "python -c 'import servsim.catalogue as c; print(c.markdown(), end=\"\")' > docs/metrics.md"
)
"""The command that rewrites ``docs/metrics.md``."""


def markdown() -> str:
    """The catalogue as a Markdown page (``docs/metrics.md`` is this text, and a test says so)."""
    lines = [
        "# Metrics",
        "",
        f"Generated from `src/servsim/catalogue.py` by `{REGENERATE}`; do not edit by hand.",
        "",
        "A column is the key (`service_level`), the key and a pool or touchpoint "
        "(`occupancy[agents]`, `stellar[reception]`), or for the time standards the key and a "
        f"percentile (`first_response_time_p90`; percentiles {', '.join(map(str, PERCENTILES))}). "
        "The valid range cuts confidence intervals.",
        "",
    ]
    titles: dict[Group, str] = {
        "standard": "Service standards",
        "other": "Other measures",
        "pool": "Per staff pool",
        "satisfaction": "Simulated satisfaction",
        "derived": "Derived by analyses",
        "daily": "Per day and pool (`daily_metrics`)",
    }
    for group, title in titles.items():
        members = [m for m in (*_ENTRIES, *_DAILY_ENTRIES) if m.group == group]
        lines += [
            f"## {title}",
            "",
            "| column | unit | range | better | label | etiqueta | definition |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in members:
            low, high = m.valid
            written = f"`{m.written}`" + (" (+ `_p50`, `_p90`, `_p95`)" if m.percentiles else "")
            lines.append(
                f"| {written} | {m.unit} | {_bound(low)} .. {_bound(high)} | {m.better} | "
                f"{m.label_en} | {m.label_es} | {m.definition} |"
            )
        lines.append("")
    return "\n".join(lines)
