"""Scenario settings for staff proficiency and training (docs/model.md section 6).

Proficiency k in [0, 1] drives handle time, first-contact resolution and (back office) errors.
The numbers a scenario writes on a touchpoint (service-time mean, resolution, failure) are those
of staff at the reference proficiency; a pool above or below it is faster or slower, resolves
more or less, errs less or more, by the formulas below [ASM, anchored on LIT: De Grip &
Sauermann 2012; learning curves, Wright / DeJong].
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from servsim.schema_types import (
    MAX_COST_PER_HOUR,
    MAX_DAYS,
    ClockTime,
    Interval,
    Name,
    PositiveDuration,
    Real,
    StrictModel,
    Whole,
)

MAX_STAFF = 100_000
"""The most staff a pool can hold (as a pool's headcount)."""
MIN_POLICY_PERIOD = 3600.0
"""The retraining policy is applied at most hourly: a shorter period has no meaning for training
and would flood the simulated clock with policy events."""

Proficiency = Annotated[Real, Field(ge=0.0, le=1.0)]


class ProficiencyModel(StrictModel):
    """How proficiency changes handle time, resolution and errors."""

    reference: Proficiency = Field(
        default=0.8, description="proficiency at which touchpoint numbers are written"
    )
    handle_time_ratio: Annotated[Real, Field(ge=1.0, le=10.0)] = Field(
        default=1.6, description="AHT0 / AHT_inf: a novice's handle time over an expert's"
    )
    resolution_base: Proficiency = Field(default=0.55, description="FCR = base + slope x k")
    resolution_slope: Annotated[Real, Field(ge=0.0, le=1.0)] = 0.30
    error_base: Proficiency = Field(default=0.10, description="error probability = base x (1 - k)")


class TrainingProgramme(StrictModel):
    """A training programme: groups of a pool's staff leave the floor for training, in turn.

    Starting on ``day`` at ``start``, groups of ``staff_at_a_time`` are off the floor for
    ``duration`` each, one group a day, until ``trainees`` staff are trained. Each trained
    member adds ``gain_per_hour`` x hours to the pool's proficiency share; the gain fades with
    the training half-life.
    """

    pool: Name
    day: Annotated[Whole, Field(ge=1, le=MAX_DAYS)] = 1
    start: ClockTime = 9 * 3600.0
    duration: PositiveDuration = 8 * 3600.0
    staff_at_a_time: Annotated[Whole, Field(ge=1, le=MAX_STAFF)] = 1
    trainees: Annotated[Whole, Field(ge=1, le=MAX_STAFF)] | None = Field(
        default=None,
        description="how many staff are trained; the pool's largest headcount when omitted",
    )
    gain_per_hour: Annotated[Real, Field(ge=0.0, le=0.2)] = Field(
        default=0.005,
        description="proficiency gained per training hour (40 h ~ +10% productivity, De Grip)",
    )
    cost_per_hour: Annotated[Real, Field(ge=0.0, le=MAX_COST_PER_HOUR)] = Field(
        default=0.0, description="cost per trainee-hour on top of wages (trainer, material)"
    )


class RetrainingPolicy(StrictModel):
    """Seed 000's rule: retrain each pool at a rate proportional to its contact frequency.

    Every ``every``, each pool's staff get ``hours_per_100_contacts`` hours of training per 100
    contacts a staff member handled in the period (at most ``max_duration``), in groups of
    ``staff_at_a_time``, starting the next day at ``start``.
    """

    every: Annotated[Interval, Field(ge=MIN_POLICY_PERIOD)] = Field(
        default=7 * 86400.0, description="how often the policy is applied: at least 1 h"
    )
    hours_per_100_contacts: Annotated[Real, Field(ge=0.0, le=1000.0)] = 1.0
    max_duration: PositiveDuration = 8 * 3600.0
    start: ClockTime = 9 * 3600.0
    staff_at_a_time: Annotated[Whole, Field(ge=1, le=MAX_STAFF)] = 1
    gain_per_hour: Annotated[Real, Field(ge=0.0, le=0.2)] = 0.005
    cost_per_hour: Annotated[Real, Field(ge=0.0, le=MAX_COST_PER_HOUR)] = 0.0


class Training(StrictModel):
    """Training programmes, the retraining policy, and how fast training is forgotten."""

    half_life: PositiveDuration = Field(
        default=28 * 86400.0, description="a training gain halves over this time (forgetting)"
    )
    programmes: list[TrainingProgramme] = Field(default_factory=list)
    policy: RetrainingPolicy | None = None
