"""The event loop: SimPy's environment and processes with the per-event overhead trimmed.

A servsim customer costs about two SimPy events, and at that rate the Python calls SimPy
makes around each event (``step`` for every event, ``Timeout.__init__`` and ``schedule`` for
every delay, ``Process._resume`` for every resumption, the ``now`` property) are a large part
of a run's time. Everything here does what SimPy 4.1 does, in the same order, with fewer
calls, so a model gives the same events in the same order, hence the same records, on this
loop as on SimPy's own (``tests/test_model.py`` runs both). :meth:`Engine.resume` is the
one thing SimPy has no call for: it resumes an event's waiters within the current step
instead of scheduling the event, which the queue uses to start a waiting customer's service.
"""

from __future__ import annotations

from collections.abc import Generator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT, Event, Timeout

Process = Generator[simpy.Event, Any, None]


class Engine(simpy.Environment):
    """A ``simpy.Environment`` with a tight ``run`` loop and a cheap :meth:`delay`.

    ``run(until=number)``, the only form the model uses, processes events in a loop of its
    own instead of a ``step()`` call per event; any other form is SimPy's.
    """

    def delay(self, seconds: float) -> Timeout:
        """``timeout(seconds)`` without SimPy's two Python calls per timeout.

        The event is built and scheduled exactly as ``Timeout.__init__`` and ``schedule``
        do (same fields, same priority, the next event id), only inline.
        """
        if seconds < 0:
            raise ValueError(f"Negative delay {seconds}")
        event = object.__new__(Timeout)
        event.env = self
        event.callbacks = []
        event._value = None
        event._delay = seconds
        event._ok = True
        heappush(self._queue, (self._now + seconds, NORMAL, next(self._eid), event))
        return event

    def pending(self) -> Event:
        """``event()``: a new event not triggered yet, without ``Event.__init__``'s call."""
        event = object.__new__(Event)
        event.env = self
        event.callbacks = []
        return event

    def resume(self, event: Event, value: Any) -> None:
        """Trigger ``event`` with ``value`` and run its callbacks now, within the current step.

        ``event.succeed(value)`` would schedule the event, so whoever waits on it would
        resume in a step of its own, a heap push and pop later. When the waiter's resumption
        only starts something (a service that begins: it records the time and schedules the
        service's end), doing it at once is cheaper and gives the same records, except where
        other events fall at the very same instant: they may now come after it rather than
        before. The callbacks run as they would in the event's own step; the active process
        is restored after them, since this may be called from within another process's step.
        """
        event._ok = True
        event._value = value
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        active = self._active_proc
        for callback in callbacks:
            callback(event)
        self._active_proc = active

    def run(self, until: float | Event | None = None) -> Any:
        """Process events until the time ``until``; see ``simpy.Environment.run``.

        With a number, the stop event is scheduled as SimPy schedules it (urgent, at
        ``until``), and the loop is ``step`` inlined: pop the next event, set the clock, call
        its callbacks, crash on a failure nobody defused.
        """
        if until is None or isinstance(until, Event):
            return super().run(until)
        at = float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, URGENT, at - self._now)
        queue = self._queue
        while True:  # the stop event is in the queue until it is popped
            self._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            if event is stop:
                return None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                failure = event._value
                error = type(failure)(*failure.args)
                error.__cause__ = failure
                raise error


class QuietProcess(simpy.Process):
    """A SimPy process whose end is an event only when something waits for it.

    SimPy schedules every process that finishes as an event of its own, to resume whoever
    waits for it. Nothing waits for a customer's process, so that event would only be popped
    off the queue again with nothing to do: one event in five of a customer's journey. This
    process ends without it unless a callback is registered, which removes no-op events only
    and so keeps the order of every other event (and every result) as it was. The rest is
    SimPy's own ``Process._resume`` (SimPy 4.1, MIT licence).
    """

    def _resume(self, event: simpy.Event) -> None:
        env = self.env
        env._active_proc = self
        while True:
            try:
                if event._ok:
                    event = self._generator.send(event._value)
                else:  # the process has to handle the failed event, or fail itself
                    event._defused = True
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    event = self._generator.throw(exc)
            except StopIteration as stop:
                self._ok = True
                self._value = stop.args[0] if stop.args else None
                if self.callbacks:
                    env.schedule(self)
                else:  # nobody waits: processed already, as far as anyone can tell
                    self.callbacks = None  # type: ignore[assignment]
                break
            except BaseException as error:
                self._ok = False
                self._value = error
                env.schedule(self)
                break
            try:
                if event.callbacks is not None:  # not triggered yet: resume on it
                    event.callbacks.append(self._resume)
                    break
            except AttributeError:
                raise RuntimeError(f'Invalid yield value "{event}"') from None
        self._target = event
        env._active_proc = None

    @classmethod
    def now(cls, env: simpy.Environment, generator: Process) -> QuietProcess:
        """A process started at once, within the current step, instead of by an event.

        ``env.process`` schedules an urgent event that starts the generator. When it is
        created in a step that processes a normal event of time ``now``, no other urgent
        event of that time is left in the queue, so that start event would be the very next
        one processed: starting the generator at the end of the step, after everything the
        step schedules, is the same, one event fewer.
        """
        process = cls.__new__(cls)
        process.env = env
        process.callbacks = []
        process._generator = generator
        active = env._active_proc
        process._resume(_START)
        env._active_proc = active
        return process


_START = simpy.Event.__new__(simpy.Event)
"""What a process started by :meth:`QuietProcess.now` resumes on, as SimPy's start event."""
_START._ok = True
_START._value = None
