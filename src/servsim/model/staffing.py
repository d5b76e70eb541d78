"""Staff on the floor: the queue a pool serves, and the shift schedule that sets its headcount."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from functools import partial
from typing import Any

import simpy

from servsim.records import Recorder, StaffingRecord
from servsim.scenario import SECONDS_PER_DAY, PoolSide, StaffPool

SERVED = True
ABANDONED = False


class StaffedQueue:
    """A first-come-first-served queue in front of a pool whose headcount changes with shifts.

    Unlike ``simpy.Resource`` it lets capacity drop while everyone is busy (a leaving server
    finishes the customer in hand, nobody new is started until ``busy < on_floor``), and it
    runs abandonment itself: the ticket of a customer whose patience runs out is triggered
    with ``ABANDONED``, so the customer process waits on one event instead of a condition.
    """

    __slots__ = (
        "_waiting",
        "busy",
        "env",
        "handle_factor",
        "in_training",
        "name",
        "on_floor",
        "proficiency",
        "recorder",
        "rostered",
        "served",
        "side",
        "waiting",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        side: PoolSide,
        recorder: Recorder,
        proficiency: float = 0.8,
        handle_factor: float = 1.0,
    ) -> None:
        self.env = env
        self.name = name
        self.side = side
        self.recorder = recorder
        self.rostered = 0  # on shift
        self.in_training = 0  # on shift or not, off the floor for training
        self.on_floor = 0  # rostered - in training: who can serve
        self.busy = 0
        self.waiting = 0
        self.served = 0  # services started, for the retraining policy
        self.proficiency = proficiency
        self.handle_factor = handle_factor  # handle time at this proficiency / at the reference
        self._waiting: deque[simpy.Event] = deque()

    def request(self, patience: float) -> simpy.Event | None:
        """Join the queue; ``None`` means a server was free and service starts now.

        Otherwise the returned event fires with ``SERVED`` when a server takes the customer,
        or with ``ABANDONED`` once ``patience`` seconds have passed in the queue.
        """
        if self.busy < self.on_floor and not self.waiting:
            self.busy += 1
            self.served += 1
            return None
        ticket = self.env.event()
        self._waiting.append(ticket)
        self.waiting += 1
        if patience != math.inf:
            self.env.timeout(patience).callbacks.append(partial(self._abandon, ticket))
        return ticket

    def _abandon(self, ticket: simpy.Event, _: Any) -> None:
        if not ticket.triggered:
            self.waiting -= 1
            ticket.succeed(ABANDONED)

    def release(self) -> None:
        """A server finished a service: take the next customer if the shift allows."""
        self.busy -= 1
        if self.waiting:
            self._dispatch()

    def _dispatch(self) -> None:
        waiting = self._waiting
        while self.waiting and self.busy < self.on_floor:
            ticket = waiting.popleft()
            if ticket.triggered:  # abandoned earlier, left in place to keep abandoning O(1)
                continue
            self.waiting -= 1
            self.busy += 1
            self.served += 1
            ticket.succeed(SERVED)

    def _changed(self) -> None:
        self.on_floor = max(0, self.rostered - self.in_training)
        self.recorder.staffing.append(
            StaffingRecord(
                self.name, self.env.now, self.on_floor, self.in_training, self.proficiency
            )
        )
        if self.waiting:
            self._dispatch()

    def set_rostered(self, headcount: int) -> None:
        """Change the headcount on shift (a shift starts or ends)."""
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


def headcount_schedule(pool: StaffPool, horizon: float) -> list[tuple[float, int]]:
    """Times at which a pool's headcount changes, and the headcount from then on.

    Overlapping shifts add up; a shift listing ``days`` runs only on those days (1 = first).
    """
    if pool.headcount is not None:
        return [(0.0, pool.headcount)]
    changes: dict[float, int] = {0.0: 0}
    days = math.ceil(horizon / SECONDS_PER_DAY)
    for day in range(days):
        offset = day * SECONDS_PER_DAY
        for shift in pool.shifts:
            if shift.days is not None and day + 1 not in shift.days:
                continue
            start, end = offset + shift.start, offset + shift.end
            if start >= horizon:
                continue
            changes[start] = changes.get(start, 0) + shift.headcount
            if end < horizon:
                changes[end] = changes.get(end, 0) - shift.headcount
    schedule: list[tuple[float, int]] = []
    level = 0
    for time in sorted(changes):
        level += changes[time]
        if not schedule or schedule[-1][1] != level:
            schedule.append((time, level))
    return schedule


def staff_shifts(
    env: simpy.Environment, queue: StaffedQueue, schedule: list[tuple[float, int]]
) -> Generator[simpy.Event, Any, None]:
    """Process: put the scheduled headcount on the floor as shifts start and end."""
    for time, headcount in schedule:
        if time > env.now:
            yield env.timeout(time - env.now)
        queue.set_rostered(headcount)
