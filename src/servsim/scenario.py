"""The scenario: a servuction system described in YAML, validated into frozen typed models.

The schema follows the domain (MODEL.md sections 1-4): customer segments and their arrivals, the
visible (front) and invisible (back) staff pools with their shifts, and the service cycle as an
ordered list of moments of truth. The contact level is a preset over the cycle;
:func:`resolve_scenario` fills every value the preset decides, so the model and the saved
"resolved scenario" never have to guess.

Errors are reported as :class:`ScenarioError`, naming the file, the field's path
(``staff.front[1].shifts[0].end``), what was given and what is allowed.
"""

from __future__ import annotations

import csv
import difflib
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from servsim.distributions import (
    AnyDistribution,
    Deterministic,
    DistributionSpec,
    Exponential,
    Lognormal,
)
from servsim.satisfaction_schema import Expectations, SatisfactionModel
from servsim.schema_types import (
    SECONDS_PER_DAY,
    ClockTime,
    Duration,
    Name,
    PositiveDuration,
    Probability,
    StrictModel,
    format_clock,
    parse_clock,
)
from servsim.training_schema import ProficiencyModel, Training

__all__ = [
    "CONTACT_PRESETS",
    "SECONDS_PER_DAY",
    "Arrivals",
    "ContactLevel",
    "PoolSide",
    "Precision",
    "Scenario",
    "ScenarioError",
    "Segment",
    "StaffPool",
    "Touchpoint",
    "load_scenario",
    "resolve_scenario",
    "validate_scenario",
]

ContactLevel = Literal["high", "medium", "low"]
PoolSide = Literal["front", "back"]
SHARE_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- contact levels


@dataclass(frozen=True)
class ContactPreset:
    """What a contact level (Chase) decides for a cycle, unless a touchpoint says otherwise.

    Attributes:
        contact_ratio: share of the service the customer lives in person (c in MODEL.md).
        back_office_coupled: whether the customer stays present while the back office works.
        status_inquiries: whether customers chase a late resolution with status inquiries.
    """

    contact_ratio: float
    back_office_coupled: bool
    status_inquiries: bool


CONTACT_PRESETS: dict[str, ContactPreset] = {
    "high": ContactPreset(contact_ratio=0.8, back_office_coupled=True, status_inquiries=False),
    "medium": ContactPreset(contact_ratio=0.4, back_office_coupled=False, status_inquiries=False),
    "low": ContactPreset(contact_ratio=0.1, back_office_coupled=False, status_inquiries=True),
}


# --------------------------------------------------------------------------- models


class Shift(StrictModel):
    """Headcount on the floor between two times of day; overlapping shifts add up."""

    start: ClockTime
    end: ClockTime
    headcount: Annotated[int, Field(ge=0, le=100_000)]
    days: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, description="days (1 = first) on which the shift runs; every day when omitted"
    )


class StaffPool(StrictModel):
    """A pool of interchangeable staff: front line (visible) or back office (invisible).

    Give either a constant ``headcount`` (on the floor round the clock) or ``shifts``.
    A server whose shift ends finishes the customer in hand before leaving.
    """

    name: Name
    headcount: Annotated[int, Field(ge=0, le=100_000)] | None = None
    shifts: list[Shift] = Field(default_factory=list)
    proficiency: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.8, description="skill level k in [0, 1] (MODEL.md section 6)"
    )
    empathy: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.5, description="base empathy e0 of the pool's staff (front line)"
    )
    cost_per_hour: Annotated[float, Field(ge=0.0)] = Field(
        default=0.0, description="cost of one staff member on the floor for one hour"
    )


class Staff(StrictModel):
    """The visible front line and the invisible back office."""

    front: list[StaffPool] = Field(default_factory=list)
    back: list[StaffPool] = Field(default_factory=list)

    def pools(self) -> list[tuple[PoolSide, StaffPool]]:
        """Every pool with its side, front first, in the order written."""
        return [("front", p) for p in self.front] + [("back", p) for p in self.back]


class Routing(StrictModel):
    """Skill-based routing: send request types or segments to their own pool.

    The request type's pool wins over the segment's; anything not listed goes to ``fallback``,
    and so does a customer whose chosen pool has nobody on the floor at that moment.
    """

    by_request_type: dict[str, Name] = Field(default_factory=dict)
    by_segment: dict[str, Name] = Field(default_factory=dict)
    fallback: Name


class Touchpoint(StrictModel):
    """One moment of truth in the service cycle (Albrecht), in the order the customer lives it.

    Outcome of a visit: with probability ``failure`` it fails (an error: the customer must come
    back); with probability ``resolution`` the issue is resolved here and the cycle ends;
    otherwise the customer is handed on to the next touchpoint (``unresolved: next``) or leaves
    unresolved and re-contacts later (``unresolved: recontact``).
    """

    name: Name
    served_by: Name | Routing | None = Field(
        default=None,
        description="pool name, a routing, or nothing for self-service / physical support",
    )
    service_time: DistributionSpec
    service_time_by_request_type: dict[str, DistributionSpec] = Field(default_factory=dict)
    customer_present: bool | None = Field(
        default=None, description="whether the customer is there; set by the contact level"
    )
    moment_of_truth: bool | None = Field(
        default=None, description="whether the customer judges this step; set by the contact level"
    )
    first_response: bool | None = Field(
        default=None,
        description=(
            "whether the start of this visit answers the customer (first response time); "
            "staffed touchpoints where the customer is present do, when omitted; "
            "set true for an automated reply"
        ),
    )
    resolution: Probability | dict[str, Probability] | None = Field(
        default=None,
        description=(
            "probability that the issue is resolved here, overall or per request type; "
            "when omitted (or a type is left out): 0, but 1 on the last touchpoint"
        ),
    )
    failure: Probability | dict[str, Probability] = Field(
        default=0.0,
        description="probability that the visit fails (an error): the customer must come back",
    )
    unresolved: Literal["next", "recontact"] | None = Field(
        default=None,
        description="unresolved customers go on to the next touchpoint, or re-contact later",
    )
    recontact_from: Name | None = Field(
        default=None, description="touchpoint a re-contact starts from; the first one when omitted"
    )
    tangibles: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.7, description="quality of the physical support here (facilities, screens), 0-1"
    )
    importance: Annotated[float, Field(ge=0.0)] = Field(
        default=1.0, description="stated importance of this moment to customers (weight)"
    )
    informed_wait: bool = Field(
        default=False,
        description="customers waiting here are told their position or the wait (feels shorter)",
    )


class Recontact(StrictModel):
    """Customers left unresolved come back after a delay (MODEL.md section 3, step 4)."""

    probability: Probability = 0.8
    delay: DistributionSpec = Field(default_factory=lambda: Lognormal(mean=SECONDS_PER_DAY, cv=1.0))


class Retry(StrictModel):
    """Customers who abandon a queue may try again later: a repeat contact."""

    probability: Probability = 0.0
    delay: DistributionSpec = Field(default_factory=lambda: Exponential(mean=1800.0))


class Segment(StrictModel):
    """A group of customers with its own share of arrivals, patience and request mix."""

    name: Name
    share: Probability = 1.0
    patience: DistributionSpec | None = Field(
        default=None,
        description="how long a present customer waits in a queue before abandoning; none: forever",
    )
    request_mix: dict[str, Probability] = Field(default_factory=lambda: {"general": 1.0})
    expectations: Expectations = Field(default_factory=Expectations)
    recontact: Recontact = Field(default_factory=Recontact)
    retry: Retry = Field(default_factory=Retry)
    max_contacts: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=10, description="a customer gives up after this many contacts"
    )

    @field_validator("request_mix")
    @classmethod
    def _mix_sums_to_one(cls, mix: dict[str, float]) -> dict[str, float]:
        if not mix:
            raise ValueError("request_mix needs at least one request type")
        total = sum(mix.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"request type shares must sum to 1, they sum to {total:g}")
        return mix


class RatePeriod(StrictModel):
    """Arrivals per hour between two times of day (a piece of a piecewise-constant profile)."""

    start: ClockTime
    end: ClockTime
    per_hour: Annotated[float, Field(ge=0.0)]
    day: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description=(
            "only on this day (1 = first); every day when omitted. A day with periods of its "
            "own uses only those, not the every-day ones"
        ),
    )


class Arrivals(StrictModel):
    """Non-homogeneous Poisson arrivals by time of day.

    Give exactly one of: a constant ``per_hour`` rate, a ``profile`` of rate periods, or
    ``counts_csv``, a file of counts per interval (columns ``start,end,count`` and optionally
    ``day``) that is read into a profile when the scenario is loaded.
    """

    per_hour: Annotated[float, Field(ge=0.0)] | None = None
    profile: list[RatePeriod] | None = None
    counts_csv: str | None = None
    day_multiplier_cv: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        default=0.0,
        description="CV of a gamma day-level rate multiplier (overdispersion); 0 = none",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_counts_csv(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("counts_csv") is None:
            return data
        if data.get("profile") is not None or data.get("per_hour") is not None:
            return data  # reported by the exactly-one check below
        base = Path((info.context or {}).get("base_dir", "."))
        path = base / str(data["counts_csv"])
        profile = read_counts_csv(path)
        return {k: v for k, v in data.items() if k != "counts_csv"} | {"profile": profile}

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Arrivals:
        given = [k for k in ("per_hour", "profile", "counts_csv") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of per_hour, profile, counts_csv"
                + (f" (given: {', '.join(given)})" if given else "")
            )
        return self


class Horizon(StrictModel):
    """How long one replication lasts and how much of its start is discarded as warm-up."""

    days: Annotated[float, Field(gt=0, le=3660)] = 1.0
    warm_up: Duration = 0.0

    @property
    def length(self) -> float:
        """Simulated seconds in one replication."""
        return self.days * SECONDS_PER_DAY


class ServiceLevelTarget(StrictModel):
    """The service-level standard, e.g. 80% of first responses within 20 s."""

    target: Duration = 20.0
    goal: Probability = 0.8


class StatusInquiry(StrictModel):
    """Status inquiries ("where is my request?"): repeated questions that load the front line.

    A customer whose issue is with the back office while they are away, and whose resolution
    runs past their segment's expected resolution time, asks the front line for news, again
    every ``interval``, up to ``max_inquiries`` times.
    """

    enabled: bool | None = Field(default=None, description="on for low contact when omitted")
    served_by: Name | Routing | None = Field(
        default=None,
        description="pool that answers; the first front pool of the cycle when omitted",
    )
    service_time: DistributionSpec = Field(default_factory=lambda: Lognormal(mean=240.0, cv=0.6))
    interval: PositiveDuration = SECONDS_PER_DAY / 2
    max_inquiries: Annotated[int, Field(ge=0, le=100)] = 3


class Variability(StrictModel):
    """Customer-induced service-time variability: CV = base_cv + per_contact · c (MODEL.md §2)."""

    contact_ratio: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        default=None, description="c; set by the contact level when omitted (0.8, 0.4, 0.1)"
    )
    base_cv: Annotated[float, Field(ge=0.0, le=5.0)] = 0.3
    per_contact: Annotated[float, Field(ge=0.0, le=5.0)] = 0.9


REPLICATIONS_AUTO: Final = "auto"
MAX_REPLICATIONS = 100_000
TOUCHPOINT_METRICS = ("stellar", "bitter", "moment_utility")
"""Metric families written ``name[touchpoint]``; every pool metric is written ``name[pool]``."""


def known_metric_names() -> list[str]:
    """Every metric family a run can report, as a user would write it (``occupancy[<pool>]``).

    For error messages: the exact columns depend on the scenario's pools and touchpoints, and
    percentiles add ``_p50``, ``_p90``, ``_p95`` to the time standards.
    """
    from servsim.metrics import OTHER_METRICS, POOL_METRICS, SATISFACTION_METRICS, STANDARDS

    names = [*STANDARDS, *OTHER_METRICS]
    names += [f"{name}[<pool>]" for name in POOL_METRICS]
    names += [
        f"{name}[<touchpoint>]" if name in TOUCHPOINT_METRICS else name
        for name in SATISFACTION_METRICS
    ]
    return names


def _check_metric_name(name: str) -> str:
    """A metric the stopping rule can judge: a known family (columns are checked at run time)."""
    from servsim.metrics import describe

    if describe(name) is None:
        known = known_metric_names()
        hint = difflib.get_close_matches(name, known, n=1)
        raise ValueError(
            f"unknown metric '{name}'"
            + (f" (did you mean '{hint[0]}'?)" if hint else "")
            + f"; allowed: {', '.join(known)}"
        )
    return name


class Precision(StrictModel):
    """When ``replications: auto`` stops adding replications (ignored for a fixed number).

    A run starts with ``min_replications`` and adds batches until every chosen metric's 95%
    confidence interval is narrow enough, or ``max_replications`` is reached (then the run warns).
    A metric is precise enough when its half-width is at most ``relative_half_width`` x |mean|,
    or at most its ``absolute_half_width`` when one is given. The relative rule has no meaning
    for a mean near 0 (an NPS around 0, say): a half-width of 0 (every replication agrees, e.g.
    no question was ever repeated) is always precise enough, but any other spread around a mean
    of 0 can only be judged by an absolute half-width. A metric with no value in any replication
    (a scenario that never resolves an issue has no resolution time) is skipped and named in the
    run's stopping report.
    """

    metrics: Annotated[list[str], Field(min_length=1)] | None = Field(
        default=None,
        description=(
            "metric columns whose confidence interval must be narrow, e.g. "
            "[first_response_time, csat_mean, 'occupancy[agents]']; the five service standards "
            "when omitted (those the scenario does not produce are skipped)"
        ),
    )
    relative_half_width: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.05,
        description="target: 95% CI half-width at most this share of |mean| (0.05 = ±5%)",
    )
    absolute_half_width: dict[str, Annotated[float, Field(gt=0.0)]] = Field(
        default_factory=dict,
        description=(
            "per metric, a half-width in the metric's unit that is precise enough too; for "
            "metrics whose mean can be near 0, e.g. {nps: 0.02}"
        ),
    )
    min_replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = Field(
        default=5, description="replications run before the precision is first judged"
    )
    max_replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = Field(
        default=100, description="the cap: the run stops here, precise or not, and warns"
    )

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: list[str] | None) -> list[str] | None:
        if metrics is None:
            return None
        for name in metrics:
            _check_metric_name(name)
        duplicates = sorted({m for m in metrics if metrics.count(m) > 1})
        if duplicates:
            raise ValueError(f"metrics named twice: {', '.join(duplicates)}")
        return metrics

    @model_validator(mode="after")
    def _consistent(self) -> Precision:
        if self.min_replications > self.max_replications:
            raise ValueError(
                f"min_replications ({self.min_replications}) must not exceed "
                f"max_replications ({self.max_replications})"
            )
        judged = self.judged_metrics()
        stray = [name for name in self.absolute_half_width if name not in judged]
        if stray:
            raise ValueError(
                f"absolute_half_width names {', '.join(stray)}, which "
                f"{'is' if len(stray) == 1 else 'are'} not among the judged metrics "
                f"({', '.join(judged)})"
            )
        return self

    def judged_metrics(self) -> list[str]:
        """The metrics whose precision decides: those given, or the five service standards."""
        if self.metrics is not None:
            return list(self.metrics)
        from servsim.metrics import STANDARDS

        return list(STANDARDS)


def _replications_value(value: Any) -> Any:
    """``auto`` or a whole number in range, with one clear message for anything else.

    Left to pydantic, a wrong value would fail both branches of the union and be reported twice.
    """
    if isinstance(value, str) and value.strip().lower() == REPLICATIONS_AUTO:
        return REPLICATIONS_AUTO
    number: Any = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValueError(f"a number of replications (e.g. 20) or 'auto', not {value!r}")
    if not 1 <= number <= MAX_REPLICATIONS:
        raise ValueError(f"between 1 and {MAX_REPLICATIONS:,} replications, or 'auto'")
    return number


class Scenario(StrictModel):
    """A whole service system: who comes, who serves, and the cycle customers go through."""

    name: Name
    description: str = ""
    contact_level: ContactLevel
    horizon: Horizon = Field(default_factory=Horizon)
    replications: Annotated[
        Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] | Literal["auto"],
        BeforeValidator(_replications_value),
    ] = Field(
        default=10,
        description=(
            "independent replications; 'auto' adds them until the confidence intervals named "
            "in `precision` are narrow enough"
        ),
    )
    precision: Precision = Field(default_factory=Precision)
    seed: Annotated[int, Field(ge=0)] = 1
    service_level: ServiceLevelTarget = Field(default_factory=ServiceLevelTarget)
    segments: Annotated[list[Segment], Field(min_length=1)]
    arrivals: Arrivals
    staff: Staff
    service_cycle: Annotated[list[Touchpoint], Field(min_length=1)]
    status_inquiry: StatusInquiry = Field(default_factory=StatusInquiry)
    variability: Variability = Field(default_factory=Variability)
    satisfaction: SatisfactionModel = Field(default_factory=SatisfactionModel)
    proficiency: ProficiencyModel = Field(default_factory=ProficiencyModel)
    training: Training = Field(default_factory=Training)
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "named variants of this scenario, each a mapping of dotted paths to new values, "
            "e.g. {plus_two: {staff.front.agents.headcount: 9}}; compared by `servsim compare`"
        ),
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Scenario:
        problems = list(consistency_problems(self))
        if problems:
            raise ValueError("\n".join(f"{path}: {message}" for path, message in problems))
        return self

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema editors use to check and complete scenario files.

        Unions are written ``anyOf``: a distribution without ``kind`` is lognormal, and it also
        fits the exponential branch's shape, so ``oneOf`` (exactly one) would reject it.
        """
        schema: dict[str, Any] = _one_of_to_any_of(cls.model_json_schema())
        return schema

    def pool(self, name: str) -> StaffPool:
        """The staff pool of that name (front or back)."""
        for _, pool in self.staff.pools():
            if pool.name == name:
                return pool
        raise KeyError(name)

    def pool_side(self, name: str) -> PoolSide:
        """Whether a pool is front line (visible) or back office (invisible)."""
        for side, pool in self.staff.pools():
            if pool.name == name:
                return side
        raise KeyError(name)

    @property
    def request_types(self) -> list[str]:
        """Every request type named by some segment, in first-seen order."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            for request_type in segment.request_mix:
                seen.setdefault(request_type)
        return list(seen)

    def variant_scenarios(self) -> list[Scenario]:
        """This scenario (without its variants) and each variant, named ``<name>.<variant>``."""
        base = self.model_copy(update={"variants": {}})
        out = [base]
        for variant, overrides in self.variants.items():
            out.append(base.with_overrides({**overrides, "name": f"{self.name}.{variant}"}))
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A re-validated copy with values replaced at dotted paths.

        Paths follow the YAML: ``staff.front[0].headcount``; a list of named items may also be
        indexed by name: ``staff.front.agents.headcount``, ``service_cycle.call.service_time.mean``.

        Raises:
            ScenarioError: when a path does not exist or the new value is not allowed.
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for path, value in overrides.items():
            _set_path(data, path, value)
        return validate_scenario(data, source=f"scenario '{self.name}' with overrides")


# --------------------------------------------------------------------------- consistency


def _one_of_to_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            ("anyOf" if key == "oneOf" else key): _one_of_to_any_of(value)
            for key, value in node.items()
            if key != "discriminator"
        }
    if isinstance(node, list):
        return [_one_of_to_any_of(item) for item in node]
    return node


def _routing_pools(served_by: str | Routing | None) -> list[str]:
    if served_by is None:
        return []
    if isinstance(served_by, str):
        return [served_by]
    return [*served_by.by_request_type.values(), *served_by.by_segment.values(), served_by.fallback]


def _check_shares(path: str, shares: Iterable[float]) -> Iterable[tuple[str, str]]:
    total = sum(shares)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        yield path, f"segment shares must sum to 1, they sum to {total:g}"


def consistency_problems(s: Scenario) -> Iterable[tuple[str, str]]:
    """Cross-field checks pydantic's per-field rules cannot express, each with its field path."""
    yield from _check_shares("segments", (seg.share for seg in s.segments))
    yield from _unique("segments", [seg.name for seg in s.segments])
    pool_names = [p.name for _, p in s.staff.pools()]
    yield from _unique("staff", pool_names)
    tp_names = [tp.name for tp in s.service_cycle]
    yield from _unique("service_cycle", tp_names)
    request_types = set(s.request_types)
    segment_names = {seg.name for seg in s.segments}

    for side, pools in (("front", s.staff.front), ("back", s.staff.back)):
        for i, pool in enumerate(pools):
            path = f"staff.{side}[{i}]"
            if pool.headcount is None and not pool.shifts:
                yield path, "give a constant headcount or a list of shifts"
            if pool.headcount is not None and pool.shifts:
                yield path, "give a constant headcount or shifts, not both"
            for j, shift in enumerate(pool.shifts):
                if shift.end <= shift.start:
                    yield (
                        f"{path}.shifts[{j}].end",
                        f"given {format_clock(shift.end)}; a shift must end after it starts "
                        f"({format_clock(shift.start)}); split a night shift in two",
                    )

    if s.arrivals.profile is not None:
        yield from _check_profile(s.arrivals.profile)

    reachable: set[str] = set()
    for i, tp in enumerate(s.service_cycle):
        path = f"service_cycle[{i}]"
        for pool_name in _routing_pools(tp.served_by):
            reachable.add(pool_name)
            if pool_name not in pool_names:
                yield f"{path}.served_by", _unknown("pool", pool_name, pool_names)
        if isinstance(tp.served_by, Routing):
            for rt in tp.served_by.by_request_type:
                if rt not in request_types:
                    yield (
                        f"{path}.served_by.by_request_type.{rt}",
                        _unknown("request type", rt, request_types),
                    )
            for seg in tp.served_by.by_segment:
                if seg not in segment_names:
                    yield (
                        f"{path}.served_by.by_segment.{seg}",
                        _unknown("segment", seg, segment_names),
                    )
        for field in ("resolution", "failure"):
            value = getattr(tp, field)
            if isinstance(value, dict):
                for rt in value:
                    if rt not in request_types:
                        yield f"{path}.{field}.{rt}", _unknown("request type", rt, request_types)
        for rt in tp.service_time_by_request_type:
            if rt not in request_types:
                yield (
                    f"{path}.service_time_by_request_type.{rt}",
                    _unknown("request type", rt, request_types),
                )
        if tp.recontact_from is not None and tp.recontact_from not in tp_names:
            yield f"{path}.recontact_from", _unknown("touchpoint", tp.recontact_from, tp_names)
        for rt in request_types:
            total = _probability(tp.failure, rt, 0.0) + _probability(tp.resolution, rt, 0.0)
            if total > 1.0 + SHARE_TOLERANCE:
                yield (
                    path,
                    f"failure + resolution for request type '{rt}' is {total:g}, more than 1",
                )

    inquiry = s.status_inquiry
    for pool_name in _routing_pools(inquiry.served_by):
        reachable.add(pool_name)
        if pool_name not in pool_names:
            yield "status_inquiry.served_by", _unknown("pool", pool_name, pool_names)
    if inquiry.enabled and inquiry.served_by is None and _first_front_pool(s) is None:
        yield (
            "status_inquiry.served_by",
            "status inquiries are on but no front pool serves the cycle; name one",
        )

    unknown_pools = reachable - set(pool_names)
    for side, pools in (("front", s.staff.front), ("back", s.staff.back)):
        for i, pool in enumerate(pools):
            if pool.name not in reachable and not unknown_pools:
                yield (
                    f"staff.{side}[{i}].name",
                    f"pool '{pool.name}' serves no touchpoint; name it in a touchpoint's served_by "
                    "or remove it",
                )

    for i, programme in enumerate(s.training.programmes):
        if programme.pool not in pool_names:
            yield f"training.programmes[{i}].pool", _unknown("pool", programme.pool, pool_names)

    if s.variants:
        base = s.model_copy(update={"variants": {}})
        for variant, overrides in s.variants.items():
            try:
                base.with_overrides(overrides)
            except ScenarioError as exc:
                for problem in exc.problems:
                    yield f"variants.{variant}", problem

    if s.horizon.warm_up >= s.horizon.length:
        yield (
            "horizon.warm_up",
            (
                f"given {s.horizon.warm_up:g} s; the warm-up must be shorter than the horizon "
                f"({s.horizon.length:g} s)"
            ),
        )


def _check_profile(profile: list[RatePeriod]) -> Iterable[tuple[str, str]]:
    by_day: dict[int | None, list[tuple[int, RatePeriod]]] = {}
    for i, period in enumerate(profile):
        if period.end <= period.start:
            yield (
                f"arrivals.profile[{i}].end",
                f"given {format_clock(period.end)}; a period must end after it starts "
                f"({format_clock(period.start)})",
            )
        by_day.setdefault(period.day, []).append((i, period))
    for periods in by_day.values():
        ordered = sorted(periods, key=lambda ip: ip[1].start)
        for (_, a), (j, b) in itertools.pairwise(ordered):
            if b.start < a.end:
                yield (
                    f"arrivals.profile[{j}].start",
                    f"period {format_clock(b.start)}-{format_clock(b.end)} overlaps "
                    f"{format_clock(a.start)}-{format_clock(a.end)}",
                )


def _unique(path: str, names: list[str]) -> Iterable[tuple[str, str]]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            yield path, f"the name '{name}' is used twice; names must be unique"
        seen.add(name)


def _unknown(what: str, given: str, allowed: Iterable[str]) -> str:
    allowed = sorted(allowed)
    hint = difflib.get_close_matches(given, allowed, n=1)
    return f"unknown {what} '{given}'; allowed: {', '.join(allowed) or '(none defined)'}" + (
        f" (did you mean '{hint[0]}'?)" if hint else ""
    )


def _probability(
    value: float | dict[str, float] | None, request_type: str, default: float
) -> float:
    if value is None:
        return default
    if isinstance(value, dict):
        return value.get(request_type, default)
    return value


def _first_front_pool(s: Scenario) -> str | None:
    front = {p.name for p in s.staff.front}
    for tp in s.service_cycle:
        for pool in _routing_pools(tp.served_by):
            if pool in front:
                return pool
    return None


# --------------------------------------------------------------------------- resolution


def customer_variability_cv(s: Scenario, present: bool) -> float:
    """CV the contact level gives a service time: 0.3 + 0.9·c where the customer is present."""
    ratio = s.variability.contact_ratio
    if ratio is None:
        ratio = CONTACT_PRESETS[s.contact_level].contact_ratio
    return s.variability.base_cv + (s.variability.per_contact * ratio if present else 0.0)


def _preset_presence(s: Scenario, index: int, tp: Touchpoint) -> bool:
    """Whether the contact level puts the customer at this touchpoint (MODEL.md section 2)."""
    pools = _routing_pools(tp.served_by)
    is_back = bool(pools) and all(s.pool_side(p) == "back" for p in pools)
    if s.contact_level == "high":
        return True
    if s.contact_level == "medium":
        return not is_back
    return index in (0, len(s.service_cycle) - 1)


def fixed_replications(scenario: Scenario, given: int | None, purpose: str) -> int:
    """The replications of a comparison or a sweep: ``given``, else the scenario's own number.

    Common random numbers pair replication i of every scenario or point, so all need the same
    count; ``replications: auto`` decides per run and cannot be honoured there.

    Raises:
        ValueError: neither ``given`` nor the scenario names a number (it says ``auto``).
    """
    count = given if given is not None else scenario.replications
    if isinstance(count, int):
        return count
    raise ValueError(
        f"replications: auto is for `servsim run`; {purpose} needs the same number of "
        f"replications everywhere: give one (--replications N, or replications: N) for "
        f"'{scenario.name}'"
    )


def resolve_scenario(s: Scenario) -> Scenario:
    """Fill every value the contact level and the defaults decide; idempotent.

    The result is what the model simulates and what a run saves as its resolved scenario.
    """
    preset = CONTACT_PRESETS[s.contact_level]
    last = len(s.service_cycle) - 1
    cycle = []
    for i, tp in enumerate(s.service_cycle):
        present = (
            tp.customer_present if tp.customer_present is not None else _preset_presence(s, i, tp)
        )
        update: dict[str, Any] = {
            "customer_present": present,
            "moment_of_truth": tp.moment_of_truth if tp.moment_of_truth is not None else present,
            "first_response": tp.first_response
            if tp.first_response is not None
            else (present and tp.served_by is not None),
            "resolution": _fill_per_type(tp.resolution, s.request_types, 1.0 if i == last else 0.0),
            "unresolved": tp.unresolved or ("recontact" if i == last else "next"),
            "recontact_from": tp.recontact_from or s.service_cycle[0].name,
            "service_time": _resolve_cv(tp.service_time, customer_variability_cv(s, present)),
            "service_time_by_request_type": {
                rt: _resolve_cv(d, customer_variability_cv(s, present))
                for rt, d in tp.service_time_by_request_type.items()
            },
        }
        cycle.append(tp.model_copy(update=update))
    inquiry = s.status_inquiry
    enabled = inquiry.enabled if inquiry.enabled is not None else preset.status_inquiries
    inquiry = inquiry.model_copy(
        update={
            "enabled": enabled,
            "served_by": inquiry.served_by or _first_front_pool(s),
            "service_time": _resolve_cv(inquiry.service_time, customer_variability_cv(s, True)),
        }
    )
    variability = s.variability.model_copy(
        update={
            "contact_ratio": s.variability.contact_ratio
            if s.variability.contact_ratio is not None
            else preset.contact_ratio
        }
    )
    return s.model_copy(
        update={"service_cycle": cycle, "status_inquiry": inquiry, "variability": variability}
    )


def _fill_per_type(
    value: float | dict[str, float] | None, request_types: list[str], default: float
) -> float | dict[str, float]:
    """A probability per request type, every type given (the default where left out)."""
    if value is None:
        return default
    if isinstance(value, dict):
        return {rt: value.get(rt, default) for rt in request_types}
    return value


def _resolve_cv(spec: AnyDistribution, cv: float) -> AnyDistribution:
    if isinstance(spec, Lognormal) and spec.cv is None:
        if cv <= 0:
            return Deterministic(value=spec.mean)
        return spec.model_copy(update={"cv": cv})
    return spec


# --------------------------------------------------------------------------- loading and errors


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem located by file and field path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        header = f"{source}: invalid scenario ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  - {p}" for p in problems)]))


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario file.

    YAML is read with the safe loader only: a tag that would construct a Python object is an
    error. A scenario without a ``name`` takes the file's stem.

    Raises:
        ScenarioError: the file is missing, empty, not YAML, or not a valid scenario.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, ["file not found"])
    if path.is_dir():
        raise ScenarioError(source, ["is a folder, not a scenario file"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(source, ["not a text file (expected YAML in UTF-8)"]) from None
    except OSError as exc:
        raise ScenarioError(source, [f"cannot be read: {exc.strerror}"]) from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [_yaml_problem(exc)]) from None
    if data is None:
        raise ScenarioError(
            source, ["the file is empty; a scenario is a YAML mapping (see `servsim schema`)"]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [f"the top level must be a mapping of fields, not a {type(data).__name__}"]
        )
    data.setdefault("name", re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem) or "scenario")
    return validate_scenario(data, source=source, base_dir=path.parent)


def validate_scenario(
    data: Any, source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate raw scenario data (a mapping) and return it resolved.

    Raises:
        ScenarioError: with one located problem per error.
    """
    try:
        scenario = Scenario.model_validate(
            data, context={"base_dir": str(base_dir) if base_dir else "."}
        )
    except ValidationError as exc:
        raise ScenarioError(source, format_validation_errors(exc)) from None
    except CountsFileError as exc:
        raise ScenarioError(source, [f"arrivals.counts_csv: {exc}"]) from None
    return resolve_scenario(scenario)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice: YAML would silently keep only the last."""


class _StrictSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no object construction) that also refuses duplicated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(
                    None, None, f"the key '{key}' appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """Parse YAML safely (no object construction) and refuse duplicated keys.

    Raises:
        yaml.YAMLError: the text is not valid YAML, or a key appears twice.
    """
    return yaml.load(text, Loader=_StrictSafeLoader)  # a SafeLoader: constructs no objects


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, DuplicateKeyError):
        return f"{where}{problem}; give each field once"
    if isinstance(exc, yaml.constructor.ConstructorError):
        return f"{where}YAML tags that construct objects are not allowed ({problem})"
    return f"{where}not valid YAML: {problem}"


def format_path(loc: tuple[int | str, ...]) -> str:
    """``('staff', 'front', 1, 'shifts', 0, 'end')`` -> ``staff.front[1].shifts[0].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_MODEL_TAGS = {
    "exponential",
    "lognormal",
    "gamma",
    "weibull",
    "deterministic",
    "empirical",
    "Routing",
}
_UNION_TAGS = _MODEL_TAGS | {
    "str",
    "float",
    "bool",
    "dict[str,float]",
    "dict[str,constrained-float]",
    "constrained-str",
    "constrained-float",
}


def format_validation_errors(exc: ValidationError) -> list[str]:
    """One readable line per pydantic error: path, what was given, what is allowed."""
    problems: list[str] = []
    seen: set[str] = set()
    errors = exc.errors(include_url=False)
    # a mapping given where a union allows a scalar or a model: the scalar branch's complaint
    # ("should be a valid string") is noise next to what the model branch says
    model_branch_paths = {
        format_path(_strip_tags(e["loc"][:i]))
        for e in errors
        for i, part in enumerate(e["loc"])
        if isinstance(part, str) and part in _MODEL_TAGS
    }
    for error in errors:
        raw_loc = error["loc"]
        loc = _strip_tags(raw_loc)
        if (
            raw_loc
            and isinstance(raw_loc[-1], str)
            and _is_union_tag(raw_loc[-1])
            and raw_loc[-1] not in _MODEL_TAGS
            and format_path(loc) in model_branch_paths
        ):
            continue
        path = format_path(loc)
        kind = error["type"]
        if kind == "value_error" and not path:
            for line in str(error["msg"]).removeprefix("Value error, ").splitlines():
                problems.append(line)
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        given = error.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(raw_loc[:-1])
            field = str(loc[-1])
            hint = difflib.get_close_matches(field, allowed, n=1)
            message = (
                f"unknown field '{field}'"
                + (f"; allowed: {', '.join(allowed)}" if allowed else "")
                + (f" (did you mean '{hint[0]}'?)" if hint else "")
            )
            line = f"{path}: {message}"
        elif kind == "missing":
            line = f"{path}: required field is missing"
        else:
            line = f"{path or '(top level)'}: {message} (given: {_short(given)})"
        if line not in seen:
            seen.add(line)
            problems.append(line)
    return problems


def _strip_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and _is_union_tag(p)))


def _is_union_tag(part: str) -> bool:
    return part in _UNION_TAGS or part.startswith(("constrained-", "function-", "dict[", "list["))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at a location, found by walking the models (best effort)."""
    model: Any = Scenario
    for part in loc:
        model = _descend(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _descend(annotation: Any, part: int | str) -> Any:
    candidates = _model_candidates(annotation)
    if isinstance(part, str) and _is_union_tag(part):
        for candidate in candidates:  # a union member named by pydantic: kind tag or class name
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                kind = candidate.model_fields.get("kind")
                if candidate.__name__ == part or (kind is not None and kind.default == part):
                    return candidate
        return annotation
    for candidate in candidates:
        if isinstance(part, int):
            if get_origin(candidate) is list:
                return _unwrap(get_args(candidate)[0])
            continue
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(part)
            if field is not None:
                return _unwrap(field.annotation)
        if get_origin(candidate) is dict:
            return _unwrap(get_args(candidate)[1])
    return None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _model_candidates(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    args = get_args(annotation)
    if args and get_origin(annotation) not in (list, dict):
        out: list[Any] = []
        for arg in args:
            out.extend(_model_candidates(arg))
        return out
    return [annotation]


class CountsFileError(ValueError):
    """The arrival-counts CSV cannot be read or has wrong columns."""


def read_counts_csv(path: Path) -> list[dict[str, Any]]:
    """Read arrival counts per interval into rate periods (count / interval length, per hour).

    Columns: ``start`` and ``end`` (HH:MM or seconds since midnight), ``count``, and optionally
    ``day`` (1 = first day) for a multi-day trace.
    """
    if not path.exists():
        raise CountsFileError(f"file not found: {path}")
    periods: list[dict[str, Any]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        missing = {"start", "end", "count"} - columns
        if missing:
            raise CountsFileError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                "expected start,end,count[,day]"
            )
        for row_number, row in enumerate(reader, start=2):
            try:
                start = float(parse_clock(row["start"].strip()))
                end = float(parse_clock(row["end"].strip()))
                count = float(row["count"])
            except (ValueError, AttributeError) as exc:
                raise CountsFileError(f"{path}, line {row_number}: {exc}") from None
            if end <= start or count < 0 or not math.isfinite(count):
                raise CountsFileError(
                    f"{path}, line {row_number}: need end after start and a count >= 0"
                )
            period: dict[str, Any] = {
                "start": start,
                "end": end,
                "per_hour": count * 3600.0 / (end - start),
            }
            if row.get("day"):
                period["day"] = int(row["day"])
            periods.append(period)
    if not periods:
        raise CountsFileError(f"{path}: no rows")
    return periods


def _set_path(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in plain data; list items by index or by ``name``."""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    if not parts:
        raise ScenarioError("overrides", [f"empty path '{path}'"])
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, path)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = {}
                node = node[part]
        else:
            raise ScenarioError("overrides", [f"{path}: '{part}' is below a plain value"])


def _list_index(node: list[Any], part: str, path: str) -> int:
    if part.isdigit():
        index = int(part)
        if index >= len(node):
            raise ScenarioError(
                "overrides", [f"{path}: index {index} out of range ({len(node)} items)"]
            )
        return index
    names = [item.get("name") for item in node if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    raise ScenarioError("overrides", [f"{path}: {_unknown('item', part, [str(n) for n in names])}"])
