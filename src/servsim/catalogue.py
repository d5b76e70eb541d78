"""The metric catalogue: the one place a metric is declared, and its columns built and parsed.

Every layer reads metrics from here: :mod:`servsim.metrics` names the columns it writes, the
experiment clips confidence intervals to a metric's valid range, a scenario's ``precision``
checks the metric names it is given, and the CLI and the report take units and labels from it.
A metric declared here once cannot drift apart between those layers, so adding one means
declaring it here and computing it in :mod:`servsim.metrics`.

A metric's column is its key (``service_level``), the key and a pool or touchpoint
(``occupancy[agents]``, ``stellar[reception]``) or, for the time standards, the key and a
percentile (``first_response_time_p90``). Pool and touchpoint names never hold ``[`` or ``]``
(:data:`servsim.schema_types.Name`), so a column parses back unambiguously.

This module imports only leaf modules of servsim (the satisfaction level names), so the
scenario package, the model's consumers and the presentation layer can all import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

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
Unit = Literal["seconds", "hours", "share", "count", "money", "score", "utility"]
"""``share``: a fraction (shown in %); ``score``: a bounded rating; ``utility``: a signed
satisfaction scale with 0 at the adequate edge of the zone of tolerance."""
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

    def label(self, language: Literal["en", "es"] = "en") -> str:
        """The short label in English or Spanish."""
        return self.label_es if language == "es" else self.label_en

    @property
    def written(self) -> str:
        """The metric as a user writes it: ``occupancy[<pool>]``, ``service_level``."""
        return self.key if self.scope in ("overall", "day") else f"{self.key}[<{self.scope}>]"


def _metric(
    key: str,
    scope: Scope,
    unit: Unit,
    better: Better,
    definition: str,
    en: str,
    es: str,
    group: Group,
    *,
    valid: tuple[float, float] | None = None,
    percentiles: bool = False,
) -> Metric:
    """A catalogue entry whose valid range is its unit's unless given."""
    bounds = UNIT_RANGES[unit] if valid is None else valid
    return Metric(key, scope, unit, bounds, better, definition, en, es, group, percentiles)


_LEVEL_NAMES_ES: Final = {1: "criminal", 2: "básico", 3: "esperado", 4: "deseado", 5: "asombroso"}
_LEVEL_BETTER: Final[dict[int, Better]] = {
    1: "lower",
    2: "lower",
    3: "neither",
    4: "higher",
    5: "higher",
}

_ENTRIES: Final = (
    # ------------------------------------------------------------- the five service standards
    _metric(
        "first_response_time", "overall", "seconds", "lower",
        "Time from a customer's first arrival to the start of the first response (staff or an "
        "automated reply), over customers who got one.",
        "first response time", "tiempo de primera respuesta", "standard", percentiles=True,
    ),
    _metric(
        "average_response_time", "overall", "seconds", "lower",
        "Mean wait for each response from staff over all contacts, from joining the queue to "
        "the start of service.",
        "average response time", "tiempo medio de respuesta", "standard", percentiles=True,
    ),
    _metric(
        "first_contact_resolution", "overall", "share", "higher",
        "Share of customers whose issue was resolved in their first contact, with no repeat "
        "contact, among those whose first contact's fate is known.",
        "first contact resolution", "tasa de resolución en el primer contacto", "standard",
    ),
    _metric(
        "first_touch_resolution", "overall", "share", "higher",
        "Share of customers resolved in their first front-line interaction itself: no hand-off "
        "to the back office, no callback, no repeat contact (the agent's view many centres "
        "quote as FCR; first_contact_resolution is the customer's view).",
        "first-touch resolution", "resolución en el primer toque", "other",
    ),
    _metric(
        "resolution_time", "overall", "seconds", "lower",
        "Time from a customer's first arrival to the resolution of the issue, over resolved "
        "customers.",
        "resolution time", "tiempo de resolución", "standard", percentiles=True,
    ),
    _metric(
        "repeated_questions_share", "overall", "share", "lower",
        "Share of contacts in which the customer puts to staff a question already asked.",
        "repeated questions", "proporción de preguntas repetidas", "standard",
    ),
    # ------------------------------------------------------------- other overall measures
    _metric(
        "service_level_offered", "overall", "share", "higher",
        "Share of contacts offered where customers wait in person (every queue visit, repeat "
        "contacts included) answered within the target; an abandon within the target is "
        "counted as a miss.",
        "service level per offered contact", "nivel de servicio por contacto ofrecido", "other",
    ),
    _metric(
        "service_level_offered_excluding", "overall", "share", "higher",
        "As service_level_offered, but contacts abandoned within the target are left out of "
        "the count (the common switch convention).",
        "service level, short abandons excluded",
        "nivel de servicio sin abandonos cortos", "other",
    ),
    _metric(
        "goal_met", "overall", "share", "higher",
        "Share of replications whose headline service level (the scenario's convention, "
        "per offered contact) reached the service-level goal.",
        "service-level goal met", "objetivo de nivel de servicio cumplido", "other",
    ),
    _metric(
        "service_level", "overall", "share", "higher",
        "Share of customers whose first response started within the target (a customer's "
        "first wait only; see service_level_offered for every contact).",
        "first-response service level", "nivel de servicio de la primera respuesta", "other",
    ),
    _metric(
        "average_speed_of_answer", "overall", "seconds", "lower",
        "Mean wait of answered contacts for their first answer from staff.",
        "average speed of answer", "velocidad media de respuesta", "other",
    ),
    _metric(
        "abandonment", "overall", "share", "lower",
        "Share of contacts offered where customers wait in person (staffed, customer present) "
        "that ended in abandonment, among those that ended; back-office work cannot be "
        "abandoned and is not counted.",
        "abandonment", "abandono", "other",
    ),
    _metric(
        "abandoned_before_response", "overall", "share", "lower",
        "Share of customers who left without any response, among customers who left.",
        "abandoned before any response", "abandono antes de la primera respuesta", "other",
    ),
    _metric(
        "staff_cost", "overall", "money", "lower",
        "Staff paid over the window (on the floor or in training) times their cost per hour.",
        "staff cost", "coste de personal", "other",
    ),
    _metric(
        "training_cost", "overall", "money", "neither",
        "Cost of the training sessions started in the window, beyond the trainees' wages.",
        "training cost", "coste de formación", "other",
    ),
    _metric(
        "cost_per_resolved_issue", "overall", "money", "lower",
        "Staff and training cost divided by the number of issues resolved.",
        "cost per resolved issue", "coste por caso resuelto", "other",
    ),
    _metric(
        "arrivals", "overall", "count", "neither",
        "Customers who first arrived in the window (after the warm-up).",
        "arrivals", "llegadas", "other",
    ),
    _metric(
        "contacts_per_issue", "overall", "count", "lower",
        "Mean number of contacts per customer (first contact, re-contacts, retries, inquiries).",
        "contacts per issue", "contactos por caso", "other",
    ),
    _metric(
        "resolved_share", "overall", "share", "higher",
        "Share of customers whose issue was resolved.",
        "resolved", "casos resueltos", "other",
    ),
    _metric(
        "unresolved_share", "overall", "share", "lower",
        "Share of customers who gave up with their issue unresolved.",
        "unresolved", "casos no resueltos", "other",
    ),
    _metric(
        "abandoned_share", "overall", "share", "lower",
        "Share of customers who left after abandoning a queue.",
        "abandoned customers", "clientes que abandonan", "other",
    ),
    _metric(
        "in_system_at_end", "overall", "count", "neither",
        "Customers of the window still in the system at the horizon.",
        "in the system at the end", "clientes en el sistema al final", "other",
    ),
    # ------------------------------------------------------------- per staff pool
    _metric(
        "occupancy", "pool", "share", "neither",
        "Busy staff time divided by the staff time on the floor.",
        "occupancy", "ocupación", "pool",
    ),
    _metric(
        "queue_length", "pool", "count", "lower",
        "Time-averaged number of customers waiting for the pool.",
        "queue length", "longitud media de la cola", "pool",
    ),
    _metric(
        "wait_mean", "pool", "seconds", "lower",
        "Mean time in the pool's queue per visit; abandoners count until they left.",
        "mean wait", "espera media", "pool",
    ),
    _metric(
        "wait_probability", "pool", "share", "lower",
        "Share of the pool's visits that had to wait.",
        "probability of waiting", "probabilidad de espera", "pool",
    ),
    _metric(
        "pool_service_level", "pool", "share", "higher",
        "Share of the pool's offered contacts where customers wait in person answered within "
        "the target, by the scenario's convention for abandons within the target.",
        "service level at the pool", "nivel de servicio en el grupo", "pool",
    ),
    _metric(
        "pool_abandonment", "pool", "share", "lower",
        "Share of the pool's visits that were abandoned.",
        "abandonment at the pool", "abandono en el grupo", "pool",
    ),
    _metric(
        "handle_time_mean", "pool", "seconds", "neither",
        "Mean service time of the pool's finished visits, from the start of service to its end.",
        "mean handle time", "tiempo medio de operación", "pool",
    ),
    _metric(
        "staff_hours", "pool", "hours", "neither",
        "Staff hours on the floor over the window.",
        "staff hours", "horas de personal", "pool",
    ),
    _metric(
        "training_hours", "pool", "hours", "neither",
        "Staff hours off the floor in training over the window.",
        "training hours", "horas de formación", "pool",
    ),
    # ------------------------------------------------------------- simulated satisfaction
    _metric(
        "csat_mean", "overall", "score", "higher",
        "Mean CSAT (1-5) of the customers who left.",
        "CSAT (1-5)", "satisfacción (CSAT 1-5)", "satisfaction", valid=(1.0, 5.0),
    ),
    _metric(
        "csat_top2_share", "overall", "share", "higher",
        "Share of the customers who left that gave a CSAT of 4 or 5.",
        "CSAT top-2-box (4-5)", "clientes satisfechos (CSAT 4-5)", "satisfaction",
    ),
    _metric(
        "nps", "overall", "share", "higher",
        "Share of promoters (9-10) minus share of detractors (0-6) among customers who left.",
        "NPS (promoters - detractors)", "índice de recomendación neta (NPS)", "satisfaction",
        valid=(-1.0, 1.0),
    ),
    _metric(
        "satisfaction_mean", "overall", "utility", "higher",
        "Mean cycle satisfaction S (peak-end of the moments' utilities) of customers who left.",
        "cycle satisfaction S", "satisfacción del ciclo S", "satisfaction",
    ),
    _metric(
        "surveyed", "overall", "count", "neither",
        "Customers who left with at least one moment of truth (the survey's respondents).",
        "customers surveyed", "clientes encuestados", "satisfaction",
    ),
    *(
        _metric(
            f"level_share_{k}", "overall", "share", _LEVEL_BETTER[k],
            f"Share of the window customers' moments of truth at level {k} ({name}).",
            f"moments at level {k} ({name})",
            f"momentos de nivel {k} ({_LEVEL_NAMES_ES[k]})", "satisfaction",
        )
        for k, name in LEVEL_NAMES.items()
    ),
    _metric(
        "stellar_moments", "overall", "count", "higher",
        "Stellar moments (level 5) per customer with at least one moment of truth.",
        "stellar moments per customer", "momentos estelares por cliente", "satisfaction",
    ),
    _metric(
        "bitter_moments", "overall", "count", "lower",
        "Bitter moments (level 1) per customer with at least one moment of truth.",
        "bitter moments per customer", "momentos amargos por cliente", "satisfaction",
    ),
    _metric(
        "stellar", "touchpoint", "count", "higher",
        "Stellar moments (level 5) lived at this touchpoint in one replication.",
        "stellar", "momentos estelares", "satisfaction",
    ),
    _metric(
        "bitter", "touchpoint", "count", "lower",
        "Bitter moments (level 1) lived at this touchpoint in one replication.",
        "bitter", "momentos amargos", "satisfaction",
    ),
    _metric(
        "moment_utility", "touchpoint", "utility", "higher",
        "Mean utility v of this touchpoint's moments of truth (0 = adequate).",
        "mean utility v", "utilidad media v del momento", "satisfaction",
    ),
    _metric(
        "empathy_mean", "overall", "score", "higher",
        "Mean empathy (0-1) over staffed moments where the customer was served.",
        "empathy (staffed moments)", "empatía (momentos atendidos)", "satisfaction",
    ),
    _metric(
        "assurance_mean", "overall", "score", "higher",
        "Mean assurance (0-1) over staffed moments where the customer was served.",
        "assurance (staffed moments)", "seguridad (momentos atendidos)", "satisfaction",
    ),
    _metric(
        "on_time_resolution", "overall", "share", "higher",
        "Share of customers resolved within their segment's expected resolution time, among "
        "those whose fate is known.",
        "on-time resolution", "resolución en plazo", "satisfaction",
    ),
    _metric(
        "procedural_score", "overall", "score", "higher",
        "Mean of service level, 1 - abandonment, first contact resolution and on-time "
        "resolution (the archetype's procedural axis).",
        "procedural score", "puntuación procedimental", "satisfaction",
    ),
    _metric(
        "personal_score", "overall", "score", "higher",
        "Mean of empathy and assurance (the archetype's personal axis).",
        "personal score", "puntuación personal", "satisfaction",
    ),
    # ------------------------------------------------------------- derived by analyses
    _metric(
        "occupancy_mean", "overall", "share", "neither",
        "Per replication, the mean of the pools' occupancies (the contact-level comparison).",
        "mean occupancy", "ocupación media", "derived",
    ),
)  # fmt: skip

_DAILY_ENTRIES: Final = (
    _metric(
        "visits", "day", "count", "neither",
        "Staffed visits that queued on the day (per replication).",
        "visits", "visitas", "daily",
    ),
    _metric(
        "wait_mean", "day", "seconds", "lower",
        "Mean wait of the day's staffed visits; abandoners count until they left.",
        "mean wait", "espera media", "daily",
    ),
    _metric(
        "handle_time_mean", "day", "seconds", "neither",
        "Mean service time of the day's staffed visits.",
        "mean handle time", "tiempo medio de operación", "daily",
    ),
    _metric(
        "abandonment", "day", "share", "lower",
        "Share of the day's staffed visits that were abandoned.",
        "abandonment", "abandono", "daily",
    ),
    _metric(
        "staff_hours", "day", "hours", "neither",
        "Staff hours on the floor on the day.",
        "staff hours", "horas de personal", "daily",
    ),
    _metric(
        "training_hours", "day", "hours", "neither",
        "Staff hours off the floor in training on the day.",
        "training hours", "horas de formación", "daily",
    ),
    _metric(
        "proficiency", "day", "score", "higher",
        "The pool's proficiency k at the end of the day.",
        "proficiency", "competencia", "daily",
    ),
)  # fmt: skip

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

