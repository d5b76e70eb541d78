"""The simulated service system of one replication: environment, staffed queues, runtime cycle.

:class:`ServiceSystem` turns a :class:`~servsim.scenario.ResolvedScenario` into what the SimPy
processes in :mod:`servsim.model.journey` need: one :class:`StaffedQueue` per pool, the service
cycle with routing and outcome probabilities looked up once, and every first-contact draw made
up front in arrival order (so scenarios compared under one seed give each customer the same
segment, request type, patience, service times and outcome draws: common random numbers).
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import simpy

from servsim.distributions import ResolvedDistribution, quantile
from servsim.model.arrivals import arrival_days
from servsim.model.engine import Engine
from servsim.model.staffing import StaffedQueue, staff_shifts
from servsim.model.training import (
    PoolProficiency,
    error_factor,
    handle_time_factor,
    proficiency_decay,
    programme_sessions,
    resolution_factor,
    retraining_policy,
    training_session,
)
from servsim.records import (
    CODED_ROWS,
    IN_SYSTEM,
    KIND_CODES,
    OUTCOME_CODES,
    STATUS_INQUIRY,
    Codebook,
    CodedContactRow,
    CodedCustomerRow,
    CodedVisitRow,
    Recorder,
)
from servsim.scenario import (
    PoolSide,
    ResolvedScenario,
    ResolvedTouchpoint,
    Routing,
    default_channel,
)
from servsim.scenario.resolved import ResolvedSegment
from servsim.scenario.timetable import headcount_schedule, opening_times
from servsim.streams import CounterNoise, RandomStreams, UniformBuffer
from servsim.training_schema import ProficiencyModel


def outcome_probabilities(
    touchpoint: ResolvedTouchpoint,
    request_type: str,
    side: PoolSide | None,
    proficiency: float | None,
    model: ProficiencyModel,
) -> tuple[float, float]:
    """Probabilities that a visit fails, and that it resolves the issue.

    The one place that decides first-contact resolution: the touchpoint's numbers hold for
    staff at the reference proficiency; a more proficient pool resolves more (FCR = 0.55 +
    0.30 k) and, in the back office, errs less (0.10 (1 - k)). Self-service is as written.
    """
    failure = touchpoint.failure
    resolution = touchpoint.resolution
    p_fail = failure.get(request_type, 0.0) if isinstance(failure, dict) else failure
    p_resolve = resolution.get(request_type, 0.0) if isinstance(resolution, dict) else resolution
    if proficiency is not None:
        if side == "back":
            p_fail = min(1.0, p_fail * error_factor(model, proficiency))
        if p_resolve < 1.0:
            p_resolve = p_resolve * resolution_factor(model, proficiency)
        p_resolve = min(p_resolve, 1.0 - p_fail)
    return p_fail, p_resolve


@dataclass(slots=True)
class SegmentRuntime:
    """A segment's behaviour, with its random draws made as events happen."""

    name: str
    code: int  # position in the scenario's segments (the records' segment code)
    spec: ResolvedSegment
    patience: ResolvedDistribution | None
    decisions: UniformBuffer
    delays: UniformBuffer
    patience_draws: UniformBuffer
    in_process_factor: float  # patience multiplier once served in a contact; inf: no abandoning

    def draw(self, spec: ResolvedDistribution, buffer: UniformBuffer) -> float:
        """One value of ``spec`` from a buffered stream."""
        return float(quantile(spec, np.array([buffer.next()]))[0])

    def draw_patience(self) -> float:
        """Patience for a queue visit outside the first contact."""
        if self.patience is None:
            return math.inf
        return self.draw(self.patience, self.patience_draws)


@dataclass(slots=True)
class TouchpointRuntime:
    """A touchpoint as the customer process sees it: routes and probabilities already looked up."""

    name: str
    code: int  # the records' touchpoint code: the step in the cycle, status inquiries last
    step: int
    present: bool
    moment_of_truth: bool
    responds: bool
    routes: dict[tuple[str, str], tuple[StaffedQueue, StaffedQueue | None]] | None
    spec: ResolvedTouchpoint
    proficiency_model: ProficiencyModel
    outcomes: dict[tuple[str, str, float], tuple[float, float]]
    goes_on: bool
    recontact_from: int
    service_specs: dict[str, ResolvedDistribution]
    repeat_service: UniformBuffer
    repeat_outcome: UniformBuffer
    fixed: bool = field(init=False)
    """Every customer joins one queue (:attr:`queue`): no fallback, no routing by customer."""
    queue: StaffedQueue | None = field(init=False)
    """The queue every customer joins when :attr:`fixed` (None: self-service)."""

    def __post_init__(self) -> None:
        routes = self.routes
        if routes is None:
            self.fixed, self.queue = True, None
            return
        choices = set(routes.values())
        self.fixed = len(choices) == 1 and next(iter(choices))[1] is None
        self.queue = next(iter(choices))[0] if self.fixed else None

    def queue_for(self, segment: str, request_type: str) -> StaffedQueue | None:
        """The queue this customer joins: the routed pool, or the fallback if nobody is on it.

        A customer who comes in person goes to the fallback while the routed pool is closed.
        """
        if self.routes is None:
            return None
        primary, fallback = self.routes[(segment, request_type)]
        if fallback is not None:
            if self.present and not primary.is_open() and fallback.is_open():
                return fallback
            if primary.on_floor == 0 and fallback.on_floor > 0:
                return fallback
        return primary

    def next_opening(self, segment: str, request_type: str, now: float) -> float:
        """When the first of this customer's pools opens again (``inf``: not in this run)."""
        assert self.routes is not None
        primary, fallback = self.routes[(segment, request_type)]
        first = primary.hours.next_opening(now)
        if fallback is not None:
            first = min(first, fallback.hours.next_opening(now))
        return first

    def record(
        self,
        customer: int,
        contact: int,
        queue: StaffedQueue | None,
        queued: float,
        started: float,
        ended: float,
        outcome: int,
    ) -> CodedVisitRow:
        """The (coded) record of one visit to this touchpoint; ``outcome`` is a code."""
        pool = 0 if queue is None else queue.code
        return (customer, contact, self.code, pool, queued, started, ended, outcome)

    def outcome_for(self, request_type: str, queue: StaffedQueue | None) -> tuple[float, float]:
        """(P(fail), P(fail) + P(resolve)) for this visit, given who served it and how well."""
        if queue is None:
            key = (request_type, "", -1.0)
        else:
            key = (request_type, queue.name, queue.proficiency)
        cached = self.outcomes.get(key)
        if cached is None:
            side = None if queue is None else queue.side
            proficiency = None if queue is None else queue.proficiency
            p_fail, p_resolve = outcome_probabilities(
                self.spec, request_type, side, proficiency, self.proficiency_model
            )
            cached = self.outcomes[key] = (p_fail, p_fail + p_resolve)
        return cached

    def draw_service(self, request_type: str) -> float:
        """A service time for a visit outside the first contact."""
        spec = self.service_specs[request_type]
        return float(quantile(spec, np.array([self.repeat_service.next()]))[0])


@dataclass(slots=True)
class OpenVisit:
    """A status inquiry under way: what its record needs if the horizon comes before it ends.

    ``started`` is set in place when service begins (NaN until then). A visit of the journey
    itself is held in the customer's fields instead (:class:`Customer`), which spares the hot
    path an object per visit; :attr:`Customer.visit` shows it as one of these.
    """

    contact: int
    touchpoint: TouchpointRuntime
    queue: StaffedQueue | None
    queued: float
    started: float

    def record(self, customer: int, ended: float, outcome: int) -> CodedVisitRow:
        """The (coded) record of this visit, ended at ``ended`` with ``outcome`` (a code)."""
        return self.touchpoint.record(
            customer, self.contact, self.queue, self.queued, self.started, ended, outcome
        )


@dataclass(slots=True)
class OpenContact:
    """A contact under way: what its record needs if the horizon comes before it ends."""

    contact: int
    kind: int  # a code in records.KINDS
    started: float
    repeats_question: bool

    def record(self, customer: int, ended: float, outcome: int) -> CodedContactRow:
        """The (coded) record of this contact, ended at ``ended`` with ``outcome`` (a code)."""
        return (
            customer,
            self.contact,
            self.kind,
            self.started,
            ended,
            outcome,
            self.repeats_question,
        )


class Customer:
    """The state of one customer's issue while it is in the system.

    The contact and the visit under way are plain fields (``contact`` is None between
    contacts, ``visit_touchpoint`` None between visits), set by the customer process as it
    goes; they are read only at the horizon (:meth:`ServiceSystem.close_open_records`) and
    when records are settled.
    """

    __slots__ = (
        "arrived",
        "asked",
        "attempts",
        "away",
        "contact",
        "contact_kind",
        "contact_repeats",
        "contact_started",
        "contacts",
        "index",
        "inquiries",
        "inquiry",
        "request_type",
        "segment",
        "spell",
        "visit_queue",
        "visit_queued",
        "visit_started",
        "visit_touchpoint",
    )

    # set with ``contact`` / ``visit_touchpoint`` and read only while those are set
    contact_kind: int
    contact_started: float
    contact_repeats: bool
    visit_queue: StaffedQueue | None
    visit_queued: float
    visit_started: float

    def __init__(
        self, index: int, segment: SegmentRuntime, request_type: str, arrived: float
    ) -> None:
        self.index = index
        self.segment = segment
        self.request_type = request_type
        self.arrived = arrived
        self.contacts = 0  # every contact, status inquiries included
        self.attempts = 0  # contacts about the issue itself (first, re-contacts, retries)
        self.inquiries = 0
        self.asked = False  # has put the question to staff at least once
        self.away = False  # the issue is with the back office while the customer is away
        self.spell = 0  # bumps whenever the customer comes back or leaves, ends inquiry loops
        self.contact: int | None = None  # the contact under way, if any
        self.visit_touchpoint: TouchpointRuntime | None = None  # the visit under way, if any
        self.inquiry: OpenVisit | None = None  # a status inquiry under way (its own contact)

    @property
    def visit(self) -> OpenVisit | None:
        """The visit under way (of the contact under way), if any."""
        tp = self.visit_touchpoint
        if tp is None or self.contact is None:
            return None
        return OpenVisit(self.contact, tp, self.visit_queue, self.visit_queued, self.visit_started)

    def record(self, left: float, outcome: int, request_types: dict[str, int]) -> CodedCustomerRow:
        """The (coded) record of this customer, gone at ``left`` with ``outcome`` (a code)."""
        return (
            self.index,
            self.segment.code,
            request_types[self.request_type],
            self.arrived,
            left,
            outcome,
            self.contacts,
        )

    @property
    def open_contact(self) -> OpenContact | None:
        """The contact under way, if any."""
        if self.contact is None:
            return None
        return OpenContact(
            self.contact, self.contact_kind, self.contact_started, self.contact_repeats
        )


@dataclass
class FirstContactDraws:
    """Per-customer draws for the first contact of a block of customers, in arrival order.

    Held as typed arrays (8 bytes a value; a list would hold a Python float object each),
    read one value at a time by the customer process, which gets a plain float or int. Blocks
    are drawn as the run reaches them (:func:`first_contact_blocks`), and a block is let go
    once its last customer's journey ends, so a long run never holds every customer's draws.
    """

    start: int  # the number of the block's first customer
    times: array.array[float]
    segments: array.array[int]
    request_types: list[str]
    service: list[array.array[float]]  # [step][customer]
    outcome: list[array.array[float]]  # [step][customer]
    patience: list[array.array[float]]  # [step][customer]


@dataclass
class InquiryRuntime:
    """Status inquiries: who answers, how long it takes, how often customers ask."""

    routes: TouchpointRuntime
    interval: float
    max_inquiries: int
    deadlines: CounterNoise
    deadline_cv: float

    def deadline_factor(self, customer: int) -> float:
        """A customer's own deadline as a multiple of the expected resolution time (mean 1).

        Drawn from the customer's number (counter-based), so the same customer is as patient
        for news in every scenario compared under one seed, whatever else changed.
        """
        if self.deadline_cv <= 0.0:
            return 1.0
        from scipy.special import gammaincinv  # only runs with status inquiries load it

        shape = 1.0 / self.deadline_cv**2  # gamma with mean 1: scale = 1 / shape
        return float(gammaincinv(shape, self.deadlines.uniform(customer))) / shape


@dataclass
class ServiceSystem:
    """Everything one replication runs on; build with :meth:`build`, then :meth:`run`."""

    scenario: ResolvedScenario
    streams: RandomStreams
    env: Engine
    recorder: Recorder
    queues: dict[str, StaffedQueue]
    cycle: list[TouchpointRuntime]
    segments: list[SegmentRuntime]
    draws: Iterator[FirstContactDraws]
    inquiry: InquiryRuntime | None
    active: dict[int, Customer] = field(default_factory=dict)
    inquiring: dict[int, Customer] = field(default_factory=dict)

    closes: bool = False
    """Whether some pool ever closes (with none, nobody is ever deferred); set by build."""
    request_type_codes: dict[str, int] = field(default_factory=dict)
    """The records' code of each request type; set by build."""

    def __post_init__(self) -> None:
        self.closes = not all(queue.always_open for queue in self.queues.values())
        self.request_type_codes = {
            name: code for code, name in enumerate(self.scenario.request_types)
        }

    @classmethod
    def build(
        cls, scenario: ResolvedScenario, streams: RandomStreams, recorder: Recorder | None = None
    ) -> ServiceSystem:
        """Assemble the system for a resolved scenario and one replication's streams.

        ``recorder`` receives the records (a new one that keeps them all when omitted).
        """
        env = Engine()
        recorder = recorder if recorder is not None else Recorder()
        horizon = scenario.horizon.length
        calendar = scenario.calendar
        queues = {
            pool.name: StaffedQueue(
                env,
                pool.name,
                side,
                recorder,
                pool.proficiency,
                handle_time_factor(scenario.proficiency, pool.proficiency),
                opening_times(pool, calendar, horizon),
            )
            for side, pool in scenario.staff.pools()
        }
        for code, queue in enumerate(queues.values(), start=1):
            queue.code = code  # the records' pool code; 0 is no staff
        schedules = {
            pool.name: headcount_schedule(pool, calendar, horizon)
            for _, pool in scenario.staff.pools()
        }
        for name, schedule in schedules.items():
            env.process(staff_shifts(env, queues[name], schedule))
        _start_training(scenario, env, queues, schedules, recorder)
        segments = [
            SegmentRuntime(
                name=seg.name,
                code=code,
                spec=seg,
                patience=seg.patience,
                decisions=streams.buffer(f"decisions:{seg.name}"),
                delays=streams.buffer(f"delays:{seg.name}"),
                patience_draws=streams.buffer(f"patience:{seg.name}"),
                in_process_factor=(
                    math.inf
                    if seg.in_process_patience_factor is None
                    else seg.in_process_patience_factor
                ),
            )
            for code, seg in enumerate(scenario.segments)
        ]
        cycle = [
            _touchpoint_runtime(scenario, i, tp, queues, streams)
            for i, tp in enumerate(scenario.service_cycle)
        ]
        inquiry = None
        if scenario.status_inquiry.enabled:
            spec = scenario.status_inquiry
            inquiry_tp = ResolvedTouchpoint(
                name=STATUS_INQUIRY,
                served_by=spec.served_by,
                service_time=spec.service_time,
                service_time_by_request_type={},
                customer_present=True,
                moment_of_truth=True,
                first_response=spec.served_by is not None,
                resolution=0.0,
                unresolved="recontact",
                recontact_from=scenario.service_cycle[0].name,
                channel=default_channel(scenario.contact_level, True, spec.served_by is not None),
            )
            inquiry = InquiryRuntime(
                routes=_touchpoint_runtime(
                    scenario, -1, inquiry_tp, queues, streams, code=len(cycle)
                ),
                interval=spec.interval,
                max_inquiries=spec.max_inquiries,
                deadlines=streams.counter("inquiry_deadline"),
                deadline_cv=spec.deadline_cv,
            )
        draws = first_contact_blocks(scenario, streams, horizon)
        touchpoints = cycle + ([inquiry.routes] if inquiry is not None else [])
        recorder.codebook = Codebook(
            touchpoints=tuple(
                (tp.name, tp.step, tp.present, tp.moment_of_truth, tp.responds)
                for tp in touchpoints
            ),
            pools=("", *queues),
            segments=tuple(seg.name for seg in segments),
            request_types=tuple(scenario.request_types),
        )
        return cls(scenario, streams, env, recorder, queues, cycle, segments, draws, inquiry)

    def settle(self, final: bool = False) -> None:
        """Pass the records of customers who are done on (see :meth:`Recorder.settle`).

        Nothing that started before the earliest service still under way can change any
        more: customers who left by then, with no status inquiry in progress, are done.
        """
        if self.recorder.on_batch is None:  # no consumer: the rows only become columns
            self.recorder.compact()
            return
        starts = [c.visit_started for c in self.active.values() if c.visit_touchpoint is not None]
        starts += [c.inquiry.started for c in self.inquiring.values() if c.inquiry is not None]
        open_since = min([self.env.now, *(s for s in starts if not math.isnan(s))])
        self.recorder.settle(open_since, self.inquiring, final)

    def close_open_records(self) -> None:
        """Emit records for customers still in the system at the horizon: kept, never dropped.

        A status inquiry can still be under way after its customer's issue was resolved, so
        open inquiries are closed for every customer, not only those still inside.
        """
        nan = math.nan
        rec = self.recorder
        inside = OUTCOME_CODES[IN_SYSTEM]
        request_types = self.request_type_codes
        pack_visit = CODED_ROWS["visits"].pack
        pack_contact = CODED_ROWS["contacts"].pack
        pack_customer = CODED_ROWS["customers"].pack
        for customer in self.active.values():
            index = customer.index
            visit = customer.visit
            if visit is not None:
                rec.coded_visits += pack_visit(*visit.record(index, nan, inside))
            contact = customer.open_contact
            if contact is not None:
                rec.coded_contacts += pack_contact(*contact.record(index, nan, inside))
            rec.coded_customers += pack_customer(*customer.record(nan, inside, request_types))
        for customer in self.inquiring.values():
            inquiry = customer.inquiry
            if inquiry is None:
                continue
            rec.coded_visits += pack_visit(*inquiry.record(customer.index, nan, inside))
            rec.coded_contacts += pack_contact(
                *inquiry_contact(inquiry).record(customer.index, nan, inside)
            )
        self.active.clear()
        self.inquiring.clear()


def inquiry_contact(inquiry: OpenVisit) -> OpenContact:
    """The contact a status inquiry is: one visit, started when the customer queued to ask."""
    return OpenContact(inquiry.contact, KIND_CODES[STATUS_INQUIRY], inquiry.queued, True)


def _start_training(
    scenario: ResolvedScenario,
    env: simpy.Environment,
    queues: dict[str, StaffedQueue],
    schedules: dict[str, list[tuple[float, int]]],
    recorder: Recorder,
) -> None:
    """Start training sessions, the retraining policy and forgetting, where a scenario has them."""
    training = scenario.training
    sizes = {
        name: max((level for _, level in schedule), default=0)
        for name, schedule in schedules.items()
    }
    sessions = programme_sessions(scenario, sizes)
    trained_pools = {s.pool for s in sessions} | (set(queues) if training.policy else set())
    proficiencies = {
        name: PoolProficiency(
            queues[name],
            scenario.pool(name).proficiency,
            sizes[name],
            scenario.proficiency,
            training.half_life,
        )
        for name in trained_pools
    }
    for session in sessions:
        env.process(training_session(env, session, proficiencies[session.pool], recorder.training))
    for proficiency in proficiencies.values():
        env.process(proficiency_decay(env, proficiency))
        if training.policy is not None:
            env.process(
                retraining_policy(
                    env, training.policy, proficiency, recorder.training, scenario.horizon.length
                )
            )


def _touchpoint_runtime(
    scenario: ResolvedScenario,
    step: int,
    tp: ResolvedTouchpoint,
    queues: dict[str, StaffedQueue],
    streams: RandomStreams,
    code: int | None = None,
) -> TouchpointRuntime:
    request_types = scenario.request_types
    routes: dict[tuple[str, str], tuple[StaffedQueue, StaffedQueue | None]] | None = None
    served_by = tp.served_by
    if served_by is not None:
        routes = {}
        for seg in scenario.segments:
            for rt in request_types:
                if isinstance(served_by, Routing):
                    chosen = served_by.by_request_type.get(rt) or served_by.by_segment.get(seg.name)
                    primary = queues[chosen or served_by.fallback]
                    fallback = queues[served_by.fallback] if chosen else None
                else:
                    primary, fallback = queues[served_by], None
                routes[(seg.name, rt)] = (primary, fallback)
    names = [t.name for t in scenario.service_cycle]
    return TouchpointRuntime(
        name=tp.name,
        code=step if code is None else code,
        step=step,
        present=tp.customer_present,
        moment_of_truth=tp.moment_of_truth,
        responds=tp.first_response,
        routes=routes,
        spec=tp,
        proficiency_model=scenario.proficiency,
        outcomes={},
        goes_on=tp.unresolved == "next" and 0 <= step < len(names) - 1,
        recontact_from=names.index(tp.recontact_from),
        service_specs={
            rt: tp.service_time_by_request_type.get(rt, tp.service_time) for rt in request_types
        },
        repeat_service=streams.buffer(f"service-repeat:{tp.name}"),
        repeat_outcome=streams.buffer(f"outcome-repeat:{tp.name}"),
    )


DRAW_BLOCK = 16_384
"""Customers (whole days of arrivals, at least this many) whose draws are made at once."""


def first_contact_blocks(
    scenario: ResolvedScenario, streams: RandomStreams, horizon: float
) -> Iterator[FirstContactDraws]:
    """The first-contact draws of every customer, a block of whole days at a time.

    Each source is drawn in sequence from its own stream, so a customer's draws are the same
    whatever the blocks (``random(a)`` then ``random(b)`` is ``random(a + b)``).
    """
    days = arrival_days(
        scenario.arrivals, scenario.calendar, horizon, streams.generator("arrivals")
    )
    start, pending, count = 0, [], 0
    for times in days:
        pending.append(times)
        count += len(times)
        if count >= DRAW_BLOCK:
            yield _first_contact_draws(scenario, streams, np.concatenate(pending), start)
            start, pending, count = start + count, [], 0
    if count:
        yield _first_contact_draws(scenario, streams, np.concatenate(pending), start)


def _first_contact_draws(
    scenario: ResolvedScenario,
    streams: RandomStreams,
    times: npt.NDArray[np.float64],
    start: int,
) -> FirstContactDraws:
    n = len(times)
    shares = np.cumsum([seg.share for seg in scenario.segments])
    segment_index = np.minimum(
        np.searchsorted(shares, streams.uniforms("segment", n) * shares[-1], side="right"),
        len(scenario.segments) - 1,
    )
    u_request = streams.uniforms("request_type", n)
    request_types = np.empty(n, dtype=object)
    for s, seg in enumerate(scenario.segments):
        mask = segment_index == s
        names = list(seg.request_mix)
        cumulative = np.cumsum(list(seg.request_mix.values()))
        picks = np.minimum(
            np.searchsorted(cumulative, u_request[mask] * cumulative[-1], side="right"),
            len(names) - 1,
        )
        request_types[mask] = np.asarray(names, dtype=object)[picks]
    steps = len(scenario.service_cycle)
    service = np.empty((steps, n))
    patience = np.full((steps, n), math.inf)
    outcome = np.empty((steps, n))
    for k, tp in enumerate(scenario.service_cycle):
        u = streams.uniforms(f"service:{tp.name}", n)
        for rt in scenario.request_types:
            mask = request_types == rt
            if mask.any():
                service[k, mask] = quantile(
                    tp.service_time_by_request_type.get(rt, tp.service_time), u[mask]
                )
        outcome[k] = streams.uniforms(f"outcome:{tp.name}", n)
        u_patience = streams.uniforms(f"patience:{tp.name}", n)
        for s, seg in enumerate(scenario.segments):
            if seg.patience is not None:
                mask = segment_index == s
                patience[k, mask] = quantile(seg.patience, u_patience[mask])
    return FirstContactDraws(
        start=start,
        times=_floats(times),
        segments=array.array("q", segment_index.astype(np.int64).tobytes()),
        request_types=request_types.tolist(),
        service=[_floats(row) for row in service],
        outcome=[_floats(row) for row in outcome],
        patience=[_floats(row) for row in patience],
    )


def _floats(values: np.ndarray) -> array.array[float]:
    """A numpy row as a typed array of doubles (no Python object per value)."""
    return array.array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


__all__ = [
    "Customer",
    "OpenContact",
    "OpenVisit",
    "ServiceSystem",
    "TouchpointRuntime",
    "outcome_probabilities",
]
