"""Staff proficiency over time: training takes staff off the floor, then lifts proficiency.

The effects of proficiency k (docs/model.md §6) are relative to the reference proficiency at
which a scenario's touchpoint numbers are written, so a pool at the reference behaves exactly
as written and the Erlang validation scenarios are unaffected.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from servsim.model.staffing import StaffedQueue
from servsim.records import TrainingRecord
from servsim.scenario import SECONDS_PER_DAY, Scenario
from servsim.training_schema import ProficiencyModel, RetrainingPolicy

DECAY_STEP = 3600.0  # proficiency is updated hourly while a training gain fades


def handle_time_factor(model: ProficiencyModel, proficiency: float) -> float:
    """Handle time at proficiency k relative to the reference: AHT_inf + (AHT0 - AHT_inf)(1 - k)."""

    def aht(k: float) -> float:
        return 1.0 + (model.handle_time_ratio - 1.0) * (1.0 - k)

    return aht(proficiency) / aht(model.reference)


def resolution_factor(model: ProficiencyModel, proficiency: float) -> float:
    """First-contact resolution at k relative to the reference: FCR = 0.55 + 0.30 k."""
    reference = model.resolution_base + model.resolution_slope * model.reference
    return (model.resolution_base + model.resolution_slope * proficiency) / reference


def error_factor(model: ProficiencyModel, proficiency: float) -> float:
    """Back-office error probability at k relative to the reference: 0.10 (1 - k)."""
    reference = model.error_base * (1.0 - model.reference)
    if reference <= 0:
        return 1.0
    return model.error_base * (1.0 - proficiency) / reference


@dataclass(frozen=True)
class TrainingSession:
    """One group of a pool's staff off the floor for training."""

    pool: str
    programme: str
    start: float
    end: float
    trainees: int
    gain: float  # proficiency points each trainee gains
    cost_per_hour: float


def programme_sessions(scenario: Scenario, pool_size: dict[str, int]) -> list[TrainingSession]:
    """The sessions of every programme: one group a day from the programme's first day."""
    sessions: list[TrainingSession] = []
    horizon = scenario.horizon.length
    for index, programme in enumerate(scenario.training.programmes):
        remaining = programme.trainees or pool_size[programme.pool]
        day = programme.day - 1
        while remaining > 0:
            start = day * SECONDS_PER_DAY + programme.start
            if start >= horizon:
                break
            group = min(programme.staff_at_a_time, remaining)
            sessions.append(
                TrainingSession(
                    pool=programme.pool,
                    programme=f"programme {index + 1}",
                    start=start,
                    end=start + programme.duration,
                    trainees=group,
                    gain=programme.gain_per_hour * programme.duration / 3600.0,
                    cost_per_hour=programme.cost_per_hour,
                )
            )
            remaining -= group
            day += 1
    return sessions


class PoolProficiency:
    """A pool's proficiency: its base plus the fading gains of finished training sessions."""

    def __init__(
        self, queue: StaffedQueue, base: float, size: int, model: ProficiencyModel, half_life: float
    ) -> None:
        self.queue = queue
        self.base = base
        self.size = max(size, 1)
        self.model = model
        self.half_life = half_life
        self.gains: list[tuple[float, float]] = []  # (time the gain was made, pool-level gain)

    def value(self, now: float) -> float:
        """Proficiency now: base + sum of gains x 2^(-age / half-life), at most 1."""
        total = self.base
        for made, gain in self.gains:
            total += gain * 0.5 ** ((now - made) / self.half_life)
        return min(1.0, total)

    def add_gain(self, now: float, trainees: int, gain_each: float) -> None:
        """Trainees finished a session: the pool's average proficiency rises by their share."""
        self.gains.append((now, gain_each * trainees / self.size))
        self.update(now)

    def update(self, now: float) -> None:
        """Push the current proficiency to the queue (handle time follows it)."""
        k = self.value(now)
        self.queue.set_proficiency(k, handle_time_factor(self.model, k))

    def fading(self, now: float) -> bool:
        """Whether any gain is still large enough to be worth updating hourly."""
        return any(
            gain * 0.5 ** ((now - made) / self.half_life) > 1e-4 for made, gain in self.gains
        )


def training_session(
    env: simpy.Environment,
    session: TrainingSession,
    proficiency: PoolProficiency,
    records: list[TrainingRecord],
) -> Generator[simpy.Event, Any, None]:
    """Process: a group leaves the floor, trains, comes back more proficient."""
    if session.start > env.now:
        yield env.timeout(session.start - env.now)
    queue = proficiency.queue
    queue.add_in_training(session.trainees)
    yield env.timeout(session.end - session.start)
    queue.add_in_training(-session.trainees)
    hours = (session.end - session.start) / 3600.0
    records.append(
        TrainingRecord(
            session.pool,
            session.programme,
            session.start,
            session.end,
            session.trainees,
            hours * session.trainees * session.cost_per_hour,
        )
    )
    proficiency.add_gain(env.now, session.trainees, session.gain)


def proficiency_decay(
    env: simpy.Environment, proficiency: PoolProficiency
) -> Generator[simpy.Event, Any, None]:
    """Process: while a training gain fades (forgetting), update the pool's proficiency hourly."""
    while True:
        yield env.timeout(DECAY_STEP)
        if proficiency.gains and proficiency.fading(env.now):
            proficiency.update(env.now)


def retraining_policy(
    env: simpy.Environment,
    policy: RetrainingPolicy,
    proficiency: PoolProficiency,
    records: list[TrainingRecord],
    horizon: float,
) -> Generator[simpy.Event, Any, None]:
    """Process: seed 000's rule, retraining proportional to each pool's contact frequency."""
    queue = proficiency.queue
    while env.now + policy.every < horizon:
        served_before = queue.served
        yield env.timeout(policy.every)
        per_staff = (queue.served - served_before) / proficiency.size
        hours = min(policy.max_duration / 3600.0, policy.hours_per_100_contacts * per_staff / 100.0)
        if hours <= 0:
            continue
        day = math.floor(env.now / SECONDS_PER_DAY) + 1
        for group_start in range(0, proficiency.size, policy.staff_at_a_time):
            start = (day + group_start // policy.staff_at_a_time) * SECONDS_PER_DAY + policy.start
            if start >= horizon:
                break
            trainees = min(policy.staff_at_a_time, proficiency.size - group_start)
            session = TrainingSession(
                pool=queue.name,
                programme="retraining policy",
                start=start,
                end=start + hours * 3600.0,
                trainees=trainees,
                gain=policy.gain_per_hour * hours,
                cost_per_hour=policy.cost_per_hour,
            )
            env.process(training_session(env, session, proficiency, records))
