"""The SimPy processes: arrivals, the customer journey through the service cycle, status inquiries.

A customer lives the cycle in order: at each touchpoint they queue for the pool that serves it
(or use self-service), may abandon if present and out of patience (once served by staff in a
contact, a later wait in it is in process: patience × the segment's factor), are served, and
the visit fails, resolves the issue, or hands them on to the next touchpoint. Unresolved customers
re-contact later; abandoners may retry. While the issue sits with the back office and the
customer is away, a late resolution prompts status inquiries to the front line.

These processes only append records; they compute no KPI. :func:`run` starts them on a built
:class:`~servsim.model.system.ServiceSystem` (the system knows nothing of its processes, so data
flows one way: system -> journey).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Generator
from typing import Any

import simpy

from servsim.model.engine import Process, QuietProcess
from servsim.model.staffing import StaffedQueue
from servsim.model.system import (
    Customer,
    FirstContactDraws,
    OpenVisit,
    ServiceSystem,
    TouchpointRuntime,
    inquiry_contact,
)
from servsim.records import (
    ABANDONED,
    ANSWERED,
    CODED_ROWS,
    COMPACT_EVERY,
    FAILED,
    KIND_CODES,
    NEXT,
    OUTCOME_CODES,
    RESOLVED,
    UNRESOLVED,
    BatchConsumer,
    Recorder,
    RecordTables,
)
from servsim.scenario import ResolvedScenario
from servsim.streams import RandomStreams

INFINITY = math.inf


def run(system: ServiceSystem) -> RecordTables:
    """Run a built system to the horizon; customers still inside are recorded ``in_system``.

    The cyclic garbage collector is paused while the model runs: the model makes next to no
    cyclic garbage, yet the collector would scan every record and every waiting customer over
    and over (about a sixth of the run time). The processes still waiting at the horizon form
    cycles with the system (a customer's generator holds the system, whose queues hold the
    customer's ticket); every object of the run is still in the youngest generation, so the
    first collection after the run (a cheap one) frees the finished model.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        QuietProcess(system.env, arrivals(system))
        system.env.run(until=system.scenario.horizon.length)
        system.close_open_records()
        system.settle(final=True)
        return system.recorder.tables()
    finally:
        if collecting:
            gc.enable()


def simulate_replication(
    scenario: ResolvedScenario,
    seed: int,
    replication: int,
    on_batch: BatchConsumer | None = None,
    keep: bool = True,
) -> RecordTables:
    """Run one replication of a resolved scenario and return its records.

    With ``on_batch``, the records of customers who are done go to it in batches as the run
    goes (:class:`~servsim.records.RecordBatch`), and are returned at the end only if
    ``keep`` (else the tables returned are empty).
    """
    recorder = Recorder(on_batch, keep)
    return run(ServiceSystem.build(scenario, RandomStreams(seed, replication), recorder))


def arrivals(system: ServiceSystem) -> Process:
    """Process: release each customer at their first-arrival time.

    Customers who arrive at once when this process starts (an urgent event) get a start
    event of their own, as processes started by ``env.process`` do. From the first arrival
    after that on, arrivals are timeouts with a callback (:class:`_ArrivalStream`), not steps
    of this process: the same events in the same order, without a process resumed per
    customer.
    """
    stream = _ArrivalStream(system)
    env = system.env
    while stream.draws is not None and stream.time <= env._now:
        QuietProcess(env, stream.release())
    stream.wait()
    return
    yield  # a generator, to be started as a process


class _ArrivalStream:
    """The customers still to arrive, in order, and the callback that releases them.

    Each arrival's timeout calls :meth:`arrive`, which creates the customers of that time,
    schedules the next arrival, then starts their journeys within the step
    (:meth:`QuietProcess.now`): the next arrival is scheduled before anything the journeys
    schedule, as it was when arrivals were a process and each journey a process started by
    an event of its own.
    """

    __slots__ = ("_arrive", "blocks", "draws", "env", "offset", "system", "time")

    def __init__(self, system: ServiceSystem) -> None:
        self.system = system
        self.env = system.env
        self.blocks = iter(system.draws)
        self.draws: FirstContactDraws | None = None
        self.offset = 0
        self.time = INFINITY  # the arrival time of the next customer (``draws`` at ``offset``)
        self._arrive = self.arrive  # one bound method for every timeout
        self._advance()

    def _advance(self) -> None:
        """Move to the next customer's draws (``draws`` None once every customer arrived)."""
        draws = self.draws
        offset = self.offset + 1 if draws is not None else 0
        while draws is None or offset >= len(draws.times):
            draws = next(self.blocks, None)
            offset = 0
            if draws is None:
                self.draws = None
                return
        self.draws, self.offset, self.time = draws, offset, draws.times[offset]

    def release(self) -> Process:
        """The next customer arrives now: their record of state and their journey."""
        system = self.system
        draws = self.draws
        assert draws is not None
        offset = self.offset
        index = draws.start + offset
        if not index % COMPACT_EVERY:
            system.settle()  # rows so far into column arrays or on: memory stays small
        customer = Customer(
            index,
            system.segments[draws.segments[offset]],
            draws.request_types[offset],
            self.env._now,
        )
        system.active[index] = customer
        journey = customer_journey(system, customer, draws, offset)
        self._advance()
        return journey

    def wait(self) -> None:
        """Schedule the next arrival, if any customer is still to arrive."""
        if self.draws is not None:
            env = self.env
            env.delay(self.time - env._now).callbacks.append(self._arrive)

    def arrive(self, _: object) -> None:
        """Callback of an arrival's timeout: release this time's customers, in order."""
        env = self.env
        start = QuietProcess.now
        journey = self.release()
        if self.draws is None or self.time > env._now:  # the usual case: one customer
            self.wait()
            start(env, journey)
            return
        journeys = [journey]
        while self.draws is not None and self.time <= env._now:
            journeys.append(self.release())
        self.wait()
        for journey in journeys:
            start(env, journey)


# outcome and kind codes of the records (servsim.records.Codebook)
_RESOLVED = OUTCOME_CODES[RESOLVED]
_UNRESOLVED = OUTCOME_CODES[UNRESOLVED]
_ABANDONED = OUTCOME_CODES[ABANDONED]
_FAILED = OUTCOME_CODES[FAILED]
_NEXT = OUTCOME_CODES[NEXT]
_ANSWERED = OUTCOME_CODES[ANSWERED]
_FIRST = KIND_CODES["first"]
_RETRY = KIND_CODES["retry"]
_RECONTACT = KIND_CODES["recontact"]
_PACK_VISIT = CODED_ROWS["visits"].pack
_PACK_CONTACT = CODED_ROWS["contacts"].pack
_PACK_CUSTOMER = CODED_ROWS["customers"].pack


def customer_journey(
    system: ServiceSystem, customer: Customer, draws: FirstContactDraws, offset: int
) -> Process:
    """Process: one customer's contacts until their issue is resolved or they give up.

    ``draws`` holds the first contact's draws of the customer's block, at ``offset``. The
    records are coded rows (:class:`~servsim.records.Codebook`: numbers only) built from
    locals; the contact and visit under way are kept in the customer's fields for the horizon.
    """
    env = system.env
    pause = env.delay  # env.timeout, cheaper
    rec = system.recorder
    visits = rec.coded_visits  # packed coded rows (servsim.records.CODED_ROWS)
    pack_visit = _PACK_VISIT
    cycle = system.cycle
    segment = customer.segment
    segment_name = segment.name
    index = customer.index
    request_type = customer.request_type
    inquiries_on = system.inquiry is not None
    closes = system.closes  # some pool has hours: check before queueing in person
    nan = math.nan
    kind = _FIRST
    step = 0
    first = True
    while True:
        tp = cycle[step]
        if closes and tp.present and tp.routes is not None:  # a contact starts at an open pool
            queue = tp.queue_for(segment_name, request_type)
            if queue is not None and not queue.is_open():
                yield from _until_open(system, tp, segment_name, request_type)
        contact = customer.contacts
        customer.contacts = contact + 1
        customer.attempts += 1
        contact_started = env._now
        repeats = customer.asked
        customer.contact = contact
        customer.contact_kind = kind
        customer.contact_started = contact_started
        customer.contact_repeats = repeats
        in_process = False  # served by staff earlier in this contact (Maister: in-process wait)
        while True:
            tp = cycle[step]
            present = tp.present
            queue = tp.queue if tp.fixed else tp.queue_for(segment_name, request_type)
            if closes and present and queue is not None and not queue.is_open():
                queue = yield from _until_open(system, tp, segment_name, request_type)
            if present:
                if customer.away:
                    customer.away = False
                    customer.spell += 1
            elif inquiries_on and not customer.away:
                customer.away = True
                customer.spell += 1
                QuietProcess(env, status_inquiries(system, customer, customer.spell))
            if first:
                service = draws.service[step][offset]
                u = draws.outcome[step][offset]
                patience = draws.patience[step][offset] if present else INFINITY
            else:
                service = tp.draw_service(request_type)
                u = tp.repeat_outcome.next()
                patience = segment.draw_patience() if present else INFINITY
            if in_process and present:
                patience *= segment.in_process_factor  # inf: felt, never abandoned
            queued = env._now
            customer.visit_touchpoint = tp  # the visit under way, for the horizon
            customer.visit_queue = queue
            customer.visit_queued = queued
            if queue is None:
                customer.visit_started = queued
                yield pause(service)
                started = queued
                pool = 0
                key = (request_type, "", -1.0)
            else:
                pool = queue.code
                customer.visit_started = nan
                ticket = queue.request(patience, present)
                if ticket is not None:
                    served = yield ticket
                    if not served:
                        now = env._now
                        visits += pack_visit(
                            index, contact, tp.code, pool, queued, nan, now, _ABANDONED
                        )
                        customer.visit_touchpoint = None  # recorded: not open awaiting a retry
                        outcome = _ABANDONED
                        break
                started = customer.visit_started = env._now
                customer.asked = True
                in_process = True
                yield pause(service * queue.handle_factor)
                queue.release()
                key = (request_type, queue.name, queue.proficiency)
            probabilities = tp.outcomes.get(key)
            if probabilities is None:
                probabilities = tp.outcome_for(request_type, queue)
            if u < probabilities[0]:
                outcome = _FAILED
            elif u < probabilities[1]:
                outcome = _RESOLVED
            elif tp.goes_on:
                outcome = _NEXT
            else:
                outcome = _UNRESOLVED
            now = env._now
            visits += pack_visit(index, contact, tp.code, pool, queued, started, now, outcome)
            customer.visit_touchpoint = None
            if outcome != _NEXT:
                break
            step += 1
        if customer.away:
            customer.away = False
            customer.spell += 1
        rec.coded_contacts += _PACK_CONTACT(
            index, contact, kind, contact_started, now, outcome, repeats
        )
        customer.contact = None
        first = False
        if outcome == _RESOLVED:  # leaves for good (as _leave, inlined on the common path)
            customer.spell += 1
            del system.active[index]
            rec.coded_customers += _PACK_CUSTOMER(
                index,
                segment.code,
                system.request_type_codes[request_type],
                customer.arrived,
                now,
                _RESOLVED,
                customer.contacts,
            )
            return
        spec = segment.spec
        if outcome == _ABANDONED:
            probability, delay, kind, step = spec.retry.probability, spec.retry.delay, _RETRY, 0
            final = _ABANDONED
        else:
            probability, delay, kind = spec.recontact.probability, spec.recontact.delay, _RECONTACT
            step = tp.recontact_from
            final = _UNRESOLVED
        if customer.attempts >= spec.max_contacts or segment.decisions.next() >= probability:
            _leave(system, customer, final)
            return
        yield pause(segment.draw(delay, segment.delays))


def _until_open(
    system: ServiceSystem, tp: TouchpointRuntime, segment: str, request_type: str
) -> Generator[simpy.Event, Any, StaffedQueue]:
    """Wait, away, until one of the customer's pools opens; the queue to join then.

    Nobody queues in person at a closed pool: a customer who would comes back at the next
    opening. When no pool opens again before the horizon, the customer is still waiting then.
    """
    env = system.env
    while True:
        queue = tp.queue_for(segment, request_type)
        assert queue is not None
        if queue.is_open():
            return queue
        reopen = tp.next_opening(segment, request_type, env.now)
        if reopen == INFINITY:  # past the horizon: the run ends first
            reopen = system.scenario.horizon.length + 1.0
        yield env.timeout(reopen - env.now)


def _leave(system: ServiceSystem, customer: Customer, outcome: int) -> None:
    """The customer leaves for good (``outcome``: a code): record them, stop status inquiries."""
    customer.spell += 1
    del system.active[customer.index]
    system.recorder.coded_customers += _PACK_CUSTOMER(
        *customer.record(system.env.now, outcome, system.request_type_codes)
    )


def status_inquiries(system: ServiceSystem, customer: Customer, spell: int) -> Process:
    """Process: a customer away while the back office works asks for news once it runs late."""
    inquiry = system.inquiry
    assert inquiry is not None
    env = system.env
    rec = system.recorder
    segment = customer.segment
    tp = inquiry.routes
    expected = segment.spec.expectations.resolution_time * inquiry.deadline_factor(customer.index)
    due = customer.arrived + expected - env.now
    if due > 0:
        yield env.timeout(due)
    while customer.spell == spell and customer.inquiries < inquiry.max_inquiries:
        queue = tp.queue_for(segment.name, customer.request_type)
        if queue is not None and not queue.is_open():
            queue = yield from _until_open(system, tp, segment.name, customer.request_type)
            if customer.spell != spell:  # came back or left while the front line was closed
                return
        customer.inquiries += 1
        contact = customer.contacts
        customer.contacts += 1
        queued = env.now
        service = tp.draw_service(customer.request_type)
        served = True
        visit = customer.inquiry = OpenVisit(contact, tp, queue, queued, math.nan)
        system.inquiring[customer.index] = customer
        if queue is not None:
            ticket = queue.request(segment.draw_patience())
            if ticket is not None:
                served = yield ticket
        if served:
            visit.started = env.now
            if queue is not None:
                yield env.timeout(service * queue.handle_factor)
                queue.release()
            else:
                yield env.timeout(service)
        outcome = _ANSWERED if served else _ABANDONED
        rec.coded_visits += _PACK_VISIT(*visit.record(customer.index, env.now, outcome))
        rec.coded_contacts += _PACK_CONTACT(
            *inquiry_contact(visit).record(customer.index, env.now, outcome)
        )
        customer.inquiry = None
        del system.inquiring[customer.index]
        yield env.timeout(inquiry.interval)
