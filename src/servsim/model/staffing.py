"""Staff on the floor: the queue a pool serves, and the shift schedule that sets its headcount."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from functools import partial
from typing import Any

import simpy
from simpy.events import PENDING

from servsim.model.engine import Engine
from servsim.records import Recorder, StaffingRecord
from servsim.scenario import PoolSide
from servsim.scenario.timetable import OpeningTimes

ALWAYS_OPEN = OpeningTimes(((0.0, math.inf),))

SERVED = True
ABANDONED = False


class StaffedQueue:
    """A first-come-first-served queue in front of a pool whose headcount changes with shifts.

    Unlike ``simpy.Resource`` it lets capacity drop while everyone is busy (a leaving server
    finishes the customer in hand, nobody new is started until ``busy < on_floor``), and it
    runs abandonment itself: the ticket of a customer whose patience runs out is triggered
    with ``ABANDONED``, so the customer process waits on one event instead of a condition.

    When staff leave while the pool is closed and customers still queue in person, the
    leaving staff stay to serve them (``kept``): nobody is left waiting in person overnight.
    Staff serving past their shift are on overtime; every change of that count is recorded.
    """

    __slots__ = (
        "_waiting",
        "always_open",
        "busy",
        "code",
        "env",
        "handle_factor",
        "hours",
        "in_training",
        "kept",
        "name",
        "on_floor",
        "overtime",
        "proficiency",
        "recorder",
        "rostered",
        "served",
        "side",
        "waiting",
        "waiting_present",
    )

    def __init__(
        self,
        env: Engine,
        name: str,
        side: PoolSide,
        recorder: Recorder,
        proficiency: float = 0.8,
        handle_factor: float = 1.0,
        hours: OpeningTimes = ALWAYS_OPEN,
    ) -> None:
        self.env = env
        self.name = name
        self.code = 0  # the records' code of the pool (set by the system that owns it)
        self.side = side
        self.recorder = recorder
        self.hours = hours  # when customers may queue in person
        self.always_open = hours.always
        self.rostered = 0  # on shift
        self.in_training = 0  # on shift or not, off the floor for training
        self.on_floor = 0  # rostered - in training: who can serve
        self.kept = 0  # staff past their shift kept to serve those queuing at closing
        self.busy = 0
        self.overtime = 0  # max(0, busy - on_floor): staff serving past their shift
        self.waiting = 0
        self.waiting_present = 0  # of those waiting, customers queuing in person
        self.served = 0  # services started, for the retraining policy
        self.proficiency = proficiency
        self.handle_factor = handle_factor  # handle time at this proficiency / at the reference
        self._waiting: deque[tuple[simpy.Event, bool]] = deque()

    def is_open(self) -> bool:
        """Whether customers may queue here in person now."""
        return self.always_open or self.hours.is_open(self.env._now)

    def request(self, patience: float, present: bool = True) -> simpy.Event | None:
        """Join the queue; ``None`` means a server was free and service starts now.

        Otherwise the returned event fires with ``SERVED`` when a server takes the customer,
        or with ``ABANDONED`` once ``patience`` seconds have passed in the queue. Either way
        the customer resumes within the step that decides it (no event of its own), so the
        process waiting on it must only start something then (schedule a service's end,
        record the abandonment), never call back into this queue before its next ``yield``.
        """
        if self.busy < self.on_floor and not self.waiting:
            self.busy += 1
            self.served += 1
            return None
        env = self.env
        ticket = env.pending()
        self._waiting.append((ticket, present))
        self.waiting += 1
        self.waiting_present += present
        if patience != math.inf:
            env.delay(patience).callbacks.append(partial(self._abandon, ticket))
        return ticket

    def _abandon(self, ticket: simpy.Event, _: Any) -> None:
        """Patience ran out: the customer leaves the queue, within the patience timer's step."""
        if ticket._value is PENDING:  # not served yet
            self.waiting -= 1
            self.waiting_present -= 1  # only customers queuing in person run out of patience
            if not self.waiting_present:
                self.kept = 0
            self.env.resume(ticket, ABANDONED)

    def release(self) -> None:
        """A server finished a service: take the next customer if the shift allows."""
        self.busy -= 1
        if self.overtime:
            self._record()
        if self.waiting:
            self._dispatch()

    def _dispatch(self) -> None:
        """Start the service of as many waiting customers as there are free servers, FIFO.

        Each is resumed at once, within the step that freed the server or changed the
        headcount (:meth:`Engine.resume`), not by a ticket event of its own: a waiting
        customer's service starts in the same step as the release that allows it. The
        queue's counts are settled for all of them before the first one resumes.
        """
        waiting = self._waiting
        capacity = self.on_floor + self.kept
        started: list[simpy.Event] = []
        while self.waiting and self.busy < capacity:
            ticket, present = waiting.popleft()
            if ticket._value is not PENDING:  # abandoned earlier, left in place: O(1) abandoning
                continue
            self.waiting -= 1
            self.waiting_present -= present
            self.busy += 1
            self.served += 1
            ticket._value = SERVED  # taken: a patience timer of this instant finds it served
            started.append(ticket)
        if not self.waiting_present:
            self.kept = 0
        if started and self.busy > self.on_floor:
            self._record()
        resume = self.env.resume
        for ticket in started:
            resume(ticket, SERVED)

    def _record(self) -> None:
        """Append the pool's state from now on (only when something a record holds changed)."""
        overtime = max(0, self.busy - self.on_floor)
        self.overtime = overtime
        self.recorder.staffing.append(
            StaffingRecord(
                self.name,
                self.env.now,
                self.on_floor,
                self.in_training,
                self.proficiency,
                overtime,
            )
        )

    def _changed(self) -> None:
        self.on_floor = max(0, self.rostered - self.in_training)
        self._record()
        if self.waiting:
            self._dispatch()

    def set_rostered(self, headcount: int) -> None:
        """Change the headcount on shift (a shift starts or ends).

        Staff leaving a closed pool while customers still queue in person stay to serve them.
        """
        leaving = self.rostered - headcount
        if leaving > 0 and self.waiting_present and not self.is_open():
            self.kept += min(leaving, self.on_floor)
        self.rostered = headcount
        self._changed()

    def add_in_training(self, trainees: int) -> None:
        """Take staff off the floor for training (negative: they come back)."""
        self.in_training += trainees
        self._changed()

    def set_proficiency(self, proficiency: float, handle_factor: float) -> None:
        """The pool's proficiency changed (training, forgetting): new handle-time factor."""
        self.proficiency = proficiency
        self.handle_factor = handle_factor
        self._changed()


def staff_shifts(
    env: simpy.Environment, queue: StaffedQueue, schedule: list[tuple[float, int]]
) -> Generator[simpy.Event, Any, None]:
    """Process: put the scheduled headcount on the floor as shifts start and end."""
    for time, headcount in schedule:
        if time > env.now:
            yield env.timeout(time - env.now)
        queue.set_rostered(headcount)
