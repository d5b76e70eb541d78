"""The parts of a scenario: staff pools and shifts, touchpoints, segments, arrivals, horizon.

Frozen pydantic models that refuse unknown fields; each checks what it can alone. Checks across
parts (a touchpoint naming a pool that exists) live in :mod:`servsim.scenario.checks`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from servsim.catalogue import STANDARDS, family_names, lookup
from servsim.distributions import MIN_CV, DistributionSpec, Exponential, Lognormal
from servsim.satisfaction_schema import Channel, Expectations
from servsim.scenario.counts import read_counts_csv
from servsim.scenario.weekly import OpeningHours, Weekdays
from servsim.schema_types import (
    MAX_COST_PER_HOUR,
    MAX_DAYS,
    MAX_PER_HOUR,
    MAX_WEIGHT,
    SECONDS_PER_DAY,
    ClockTime,
    Duration,
    Interval,
    Name,
    PositiveDuration,
    Probability,
    Real,
    StrictModel,
    Whole,
)

ContactLevel = Literal["high", "medium", "low"]
PoolSide = Literal["front", "back"]
SHARE_TOLERANCE = 1e-6


class Shift(StrictModel):
    """Headcount on the floor between two times of day; overlapping shifts add up."""

    start: ClockTime
    end: ClockTime
    headcount: Annotated[Whole, Field(ge=0, le=100_000)]
    days: list[Annotated[Whole, Field(ge=1, le=MAX_DAYS)]] | None = Field(
        default=None, description="days (1 = first) on which the shift runs; every day when omitted"
    )
    weekdays: Weekdays | None = Field(
        default=None,
        description="weekdays on which the shift runs, e.g. mon-fri; every weekday when omitted",
    )


class StaffPool(StrictModel):
    """A pool of interchangeable staff: front line (visible) or back office (invisible).

    Give either a constant ``headcount`` (on the floor round the clock) or ``shifts``.
    A server whose shift ends finishes the customer in hand before leaving, and when the pool
    closes with customers still queuing in person, the leaving staff serve them first: both
    are paid overtime. Customers queue in person only while the pool is open: during its
    ``opening_hours``, or, without them, while someone is on shift (docs/model.md §9).
    """

    name: Name
    headcount: Annotated[Whole, Field(ge=0, le=100_000)] | None = None
    shifts: list[Shift] = Field(default_factory=list)
    proficiency: Annotated[Real, Field(ge=0.0, le=1.0)] = Field(
        default=0.8, description="skill level k in [0, 1] (docs/model.md §6)"
    )
    empathy: Annotated[Real, Field(ge=0.0, le=1.0)] = Field(
        default=0.5, description="base empathy e0 of the pool's staff (front line)"
    )
    cost_per_hour: Annotated[Real, Field(ge=0.0, le=MAX_COST_PER_HOUR)] = Field(
        default=0.0, description="cost of one staff member on the floor for one hour"
    )
    overtime_premium: Annotated[Real, Field(ge=1.0, le=10.0)] = Field(
        default=1.0,
        description="an overtime hour costs this many ordinary hours (1.5: time and a half)",
    )
    opening_hours: OpeningHours | None = None


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
    service_time_by_request_type: Mapping[str, DistributionSpec] = Field(default_factory=dict)
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
    tangibles: Annotated[Real, Field(ge=0.0, le=1.0)] = Field(
        default=0.7, description="quality of the physical support here (facilities, screens), 0-1"
    )
    importance: Annotated[Real, Field(ge=0.0, le=MAX_WEIGHT)] = Field(
        default=1.0, description="stated importance of this moment to customers (weight)"
    )
    informed_wait: bool = Field(
        default=False,
        description="customers waiting here are told their position or the wait (feels shorter)",
    )
    channel: Channel | None = Field(
        default=None,
        description=(
            "how customer and service meet here, which shifts what they weigh: face_to_face "
            "(empathy and assurance count more), remote (phone, video, a callback), written "
            "(chat, e-mail, web messages) or self_service (in writing and at self-service the "
            "interface and reliability count more); by default self_service without staff, "
            "face_to_face at high contact, written at low contact, else remote"
        ),
    )
    outbound: bool = Field(
        default=False,
        description=(
            "staff contact the customer (a callback): the customer does not wait in a queue, "
            "so cannot abandon and is left out of service level and abandonment, but lives "
            "the call as a moment of truth"
        ),
    )


class Recontact(StrictModel):
    """Customers left unresolved come back after a delay (docs/model.md §3, step 4)."""

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
    in_process_patience_factor: Annotated[Real, Field(ge=1.0, le=1000.0)] | None = Field(
        default=None,
        description=(
            "a present customer already served by staff in this contact waits at a later step "
            "this many times their patience; none: they wait to the end (an in-process wait is "
            "felt, not abandoned)"
        ),
    )
    request_mix: dict[str, Probability] = Field(default_factory=lambda: {"general": 1.0})
    expectations: Expectations = Field(default_factory=Expectations)
    recontact: Recontact = Field(default_factory=Recontact)
    retry: Retry = Field(default_factory=Retry)
    max_contacts: Annotated[Whole, Field(ge=1, le=1000)] = Field(
        default=10, description="a customer gives up after this many contacts"
    )

    @field_validator("request_mix")
    @classmethod
    def _mix_sums_to_one(cls, mix: dict[str, float]) -> dict[str, float]:
        if not mix:
            raise ValueError("request_mix needs at least one request type")
        total = sum(mix.values())
        if not abs(total - 1.0) <= SHARE_TOLERANCE:  # written so that NaN fails too
            raise ValueError(f"request type shares must sum to 1, they sum to {total:g}")
        return mix


class RatePeriod(StrictModel):
    """Arrivals per hour between two times of day (a piece of a piecewise-constant profile)."""

    start: ClockTime
    end: ClockTime
    per_hour: Annotated[Real, Field(ge=0.0, le=MAX_PER_HOUR)]
    day: Annotated[Whole, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description=(
            "only on this day (1 = first); every day when omitted. A day with periods of its "
            "own uses only those, not the weekday or every-day ones"
        ),
    )
    weekday: Weekdays | None = Field(
        default=None,
        description=(
            "only on these weekdays (mon, mon-fri, ...), every week. A weekday with periods of "
            "its own uses only those, not the every-day ones"
        ),
    )

    @model_validator(mode="after")
    def _day_or_weekday(self) -> RatePeriod:
        if self.day is not None and self.weekday is not None:
            raise ValueError("give a day or a weekday, not both")
        return self


class Arrivals(StrictModel):
    """Non-homogeneous Poisson arrivals by time of day.

    Give exactly one of: a constant ``per_hour`` rate, a ``profile`` of rate periods, or
    ``counts_csv``, a file of counts per interval (columns ``start,end,count`` and optionally
    ``day``: a day number, or a weekday such as ``mon`` for a weekly pattern) that is read into
    a profile when the scenario is loaded.
    """

    per_hour: Annotated[Real, Field(ge=0.0, le=MAX_PER_HOUR)] | None = None
    profile: list[RatePeriod] | None = None
    counts_csv: str | None = None
    day_multiplier_cv: Annotated[Real, Field(ge=0.0, le=2.0)] = Field(
        default=0.0,
        description=(
            f"CV of a gamma day-level rate multiplier (overdispersion); 0 = none, otherwise at "
            f"least {MIN_CV}"
        ),
    )

    @field_validator("day_multiplier_cv")
    @classmethod
    def _cv_floor(cls, cv: float) -> float:
        if 0.0 < cv < MIN_CV:
            raise ValueError(f"0 (no day-to-day variation) or at least {MIN_CV}")
        return cv

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

    days: Annotated[Real, Field(gt=0, le=MAX_DAYS)] = 1.0
    warm_up: Duration = 0.0

    @property
    def length(self) -> float:
        """Simulated seconds in one replication."""
        return self.days * SECONDS_PER_DAY


class Reporting(StrictModel):
    """How results are shown to a planner: the interval view's length and the currency of costs."""

    interval: Annotated[Duration, Field(ge=300.0)] = Field(
        default=1800.0,
        description=(
            "length of one interval in the interval view (per-interval tables per pool); "
            "it divides the day: 5min, 15min, 30min, 1h, ..."
        ),
    )

    currency: Annotated[str, Field(min_length=1, max_length=5, pattern=r"^\S+$")] = Field(
        default="EUR",
        description=(
            "what costs are written in (staff cost_per_hour and every cost servsim reports): "
            "an ISO code such as EUR, USD, MXN, or a symbol such as €"
        ),
    )

    @field_validator("interval")
    @classmethod
    def _divides_the_day(cls, interval: float) -> float:
        if not (SECONDS_PER_DAY / interval).is_integer():
            raise ValueError(
                f"{interval:g} s does not divide a day; use 5min, 10min, 15min, 30min, 1h, ..."
            )
        return interval


class ShiftBreak(StrictModel):
    """An unpaid break inside a shift, starting anywhere in a window from the shift's start."""

    length: PositiveDuration
    earliest: Duration = Field(description="the break starts at least this long into the shift")
    latest: Duration = Field(description="and at most this long into it")

    @model_validator(mode="after")
    def _window(self) -> ShiftBreak:
        if self.latest < self.earliest:
            raise ValueError("latest must not come before earliest")
        return self


class ShiftTemplateSpec(StrictModel):
    """A kind of shift staffing may choose: its length, its allowed starts, its break.

    ``servsim staff`` chooses how many staff to put on each allowed start at least cost
    covering every interval's requirement.
    """

    name: Name
    length: Annotated[PositiveDuration, Field(le=SECONDS_PER_DAY)]
    first_start: ClockTime = Field(default=0.0, description="the earliest start, HH:MM")
    last_start: ClockTime | None = Field(
        default=None, description="the latest start, HH:MM; the first start alone when omitted"
    )
    every: Annotated[Duration, Field(ge=300.0)] = Field(
        default=1800.0, description="allowed starts between the first and the last"
    )
    unpaid_break: ShiftBreak | None = None
    weekdays: Weekdays | None = Field(
        default=None, description="weekdays it may run on, e.g. mon-fri; every day when omitted"
    )
    pools: list[Name] | None = Field(
        default=None, description="pools that work it; every pool when omitted"
    )
    cost_per_hour: Annotated[Real, Field(ge=0.0, le=MAX_COST_PER_HOUR)] | None = Field(
        default=None, description="paid hour's cost; the pool's cost_per_hour when omitted"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ShiftTemplateSpec:
        if self.last_start is not None and self.last_start < self.first_start:
            raise ValueError("last_start must not come before first_start")
        if self.unpaid_break is not None and (
            self.unpaid_break.latest + self.unpaid_break.length > self.length
        ):
            raise ValueError("the break must end before the shift does")
        return self


class StaffingSettings(StrictModel):
    """What ``servsim staff`` may schedule: the shift templates a roster is built from."""

    shift_templates: list[ShiftTemplateSpec] = Field(default_factory=list)


class ServiceLevelTarget(StrictModel):
    """The service-level standard, e.g. 80% of contacts answered within 20 s (80/20).

    Service level is counted per offered contact where customers wait in person. Planners
    count a customer who abandons within the target two ways: as a miss, or left out of the
    count (the common switch convention); both are reported and ``abandons_within_target``
    chooses the one judged against ``goal`` (docs/model.md §9).
    """

    target: Duration = 20.0
    goal: Probability = 0.8
    abandons_within_target: Literal["miss", "exclude"] = Field(
        default="miss",
        description=(
            "how the headline service level counts a customer who abandons within the target: "
            "as a miss, or left out of the count"
        ),
    )


class StatusInquiry(StrictModel):
    """Status inquiries ("where is my request?"): repeated questions that load the front line.

    A customer whose issue is with the back office while they are away, and whose resolution
    runs past their own deadline, asks the front line for news, again every ``interval``, up to
    ``max_inquiries`` times. Deadlines differ between customers around the segment's expected
    resolution time (``deadline_cv``): some ask early, most near the expectation. Without that
    spread every customer would wait the full expectation, and a back office slower by hours
    would cause no inquiry at all until it crossed that line, which is not what planners see.
    """

    enabled: bool | None = Field(default=None, description="on for low contact when omitted")
    served_by: Name | Routing | None = Field(
        default=None,
        description="pool that answers; the first front pool of the cycle when omitted",
    )
    service_time: DistributionSpec = Field(default_factory=lambda: Lognormal(mean=240.0, cv=0.6))
    interval: Interval = SECONDS_PER_DAY / 2
    max_inquiries: Annotated[Whole, Field(ge=0, le=100)] = 3
    deadline_cv: Annotated[Real, Field(ge=0.0, le=3.0)] = Field(
        default=1.0,
        description=(
            "spread of when customers first ask: each customer's own deadline is drawn around "
            "the segment's expected resolution time (gamma, this CV; 0 = everyone asks exactly "
            "when the expectation runs out)"
        ),
    )


class Variability(StrictModel):
    """Service-time CV the customer induces: base_cv + per_contact · c (docs/model.md §2)."""

    contact_ratio: Annotated[Real, Field(ge=0.0, le=1.0)] | None = Field(
        default=None, description="c; set by the contact level when omitted (0.8, 0.4, 0.1)"
    )
    base_cv: Annotated[Real, Field(ge=0.0, le=5.0)] = 0.3
    per_contact: Annotated[Real, Field(ge=0.0, le=5.0)] = 0.9


REPLICATIONS_AUTO: Final = "auto"
MAX_REPLICATIONS = 100_000


def known_metric_names() -> list[str]:
    """Every metric a run can report, as a user would write it (``occupancy[<pool>]``).

    For error messages: the exact columns depend on the scenario's pools and touchpoints. The
    list is :func:`servsim.catalogue.family_names`.
    """
    return family_names()


def _check_metric_name(name: str) -> str:
    """A metric the stopping rule can judge: a declared column (pools are checked at run time)."""
    if lookup(name) is None:
        known = family_names()
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
    relative_half_width: Annotated[Real, Field(gt=0.0, lt=1.0)] = Field(
        default=0.05,
        description="target: 95% CI half-width at most this share of |mean| (0.05 = ±5%)",
    )
    absolute_half_width: dict[str, Annotated[Real, Field(gt=0.0, le=1e12)]] = Field(
        default_factory=dict,
        description=(
            "per metric, a half-width in the metric's unit that is precise enough too; for "
            "metrics whose mean can be near 0, e.g. {nps: 0.02}"
        ),
    )
    min_replications: Annotated[Whole, Field(ge=2, le=MAX_REPLICATIONS)] = Field(
        default=5, description="replications run before the precision is first judged"
    )
    max_replications: Annotated[Whole, Field(ge=2, le=MAX_REPLICATIONS)] = Field(
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
        return list(STANDARDS)


def replications_value(value: Any) -> Any:
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
