"""Scenario settings for simulated satisfaction (docs/model.md section 5): zones and coefficients.

Every number here is a default a scenario may override. The shape of the model (zone of
tolerance, disconfirmation, asymmetric moment utility, peak-end cycle) is from the literature
[LIT]; the numbers are our modelling choices [ASM] unless a field says otherwise.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from servsim.schema_types import MAX_WEIGHT, Duration, PositiveDuration, Real, StrictModel

Dimension = Literal["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
DIMENSIONS: tuple[Dimension, ...] = (
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
)
Score = Annotated[Real, Field(ge=0.0, le=1.0)]
Weight = Annotated[Real, Field(ge=0.0, le=MAX_WEIGHT)]
Coordinate = Annotated[Real, Field(ge=-100.0, le=100.0)]
"""A point on the disconfirmation or latent-satisfaction scale (both of order 1)."""
LEVEL_NAMES = {1: "criminal", 2: "basic", 3: "expected", 4: "desired", 5: "amazing"}


class ZoneOfTolerance(StrictModel):
    """What a segment finds adequate (lowest acceptable) and desired, on a 0-1 performance scale."""

    adequate: Score
    desired: Score

    @model_validator(mode="after")
    def _ordered(self) -> ZoneOfTolerance:
        if not self.desired > self.adequate:  # written so that NaN fails too
            raise ValueError(
                f"desired ({self.desired:g}) must be above adequate ({self.adequate:g})"
            )
        return self


class WaitZone(StrictModel):
    """Waits a segment finds adequate (longest acceptable) and desired (what it hopes for)."""

    adequate: PositiveDuration = 300.0
    desired: Duration = 120.0

    @model_validator(mode="after")
    def _ordered(self) -> WaitZone:
        if not self.desired < self.adequate:  # written so that NaN fails too
            raise ValueError(
                f"the desired wait ({self.desired:g} s) must be shorter than the adequate wait "
                f"({self.adequate:g} s)"
            )
        return self


class Expectations(StrictModel):
    """A segment's expectations: zone of tolerance per SERVQUAL dimension and for waits.

    ``resolution_time`` is when a customer starts to find the resolution late: status
    inquiries start then, "on-time resolution" in the archetype counts against it, and the
    moment that resolves a late issue is judged late.

    The default zones [ASM] put "desired" below a flawless 1.0 (customers hope for very good,
    not perfect, service), so an excellent encounter lands above the zone of tolerance and can
    be stellar (x >= 1.5), while an ordinary good one sits inside it.
    """

    resolution_time: PositiveDuration = 86400.0
    wait: WaitZone = Field(default_factory=WaitZone)
    tangibles: ZoneOfTolerance = Field(
        default_factory=lambda: ZoneOfTolerance(adequate=0.5, desired=0.8)
    )
    reliability: ZoneOfTolerance = Field(
        default_factory=lambda: ZoneOfTolerance(adequate=0.6, desired=0.875)
    )
    assurance: ZoneOfTolerance = Field(
        default_factory=lambda: ZoneOfTolerance(adequate=0.5, desired=0.8)
    )
    empathy: ZoneOfTolerance = Field(
        default_factory=lambda: ZoneOfTolerance(adequate=0.4, desired=0.7)
    )


Channel = Literal["face_to_face", "remote", "written", "self_service"]
"""How customer and service meet at a touchpoint (docs/model.md §2b): in person, by voice
(phone, video, a callback), in writing (chat, e-mail, web messages) or with no staff at all."""


def _default_channel_weights() -> dict[Channel, dict[Dimension, float]]:
    return {
        "face_to_face": {"empathy": 1.5, "assurance": 1.5},
        "written": {"tangibles": 1.5, "reliability": 1.5},
        "self_service": {"tangibles": 1.5, "reliability": 1.5},
    }


def _default_social_presence() -> dict[Channel, float]:
    return {"face_to_face": 1.0, "remote": 0.8, "written": 0.5, "self_service": 0.0}


def _default_weights() -> dict[Dimension, float]:
    return {
        "reliability": 0.32,
        "responsiveness": 0.22,
        "assurance": 0.19,
        "empathy": 0.16,
        "tangibles": 0.11,
    }


class CycleWeights(StrictModel):
    """Weights of the whole-cycle satisfaction S (peak-end: Kahneman 1993; Verhoef 2004) [ASM]."""

    mean: Weight = 0.4
    worst: Weight = 0.3
    best: Weight = 0.15
    last: Weight = 0.15


class Delight(StrictModel):
    """When exceptional personal treatment makes a moment stellar (docs/model.md section 5).

    Satisfiers and dissatisfiers are asymmetric: delight comes mainly from interpersonal
    treatment (attentiveness, care, friendliness), dissatisfaction mainly from failures of
    reliability and responsiveness [LIT: Johnston 1995; Kano et al. 1984, "attractive
    quality"]. A served, staffed moment (face to face or remote) whose empathy reaches
    ``empathy``, whose assurance reaches ``assurance`` and whose reliability and
    responsiveness both reach ``dissatisfier_floor`` (all as disconfirmations x) is a
    delight: its x and utility are raised to those of the stellar threshold, so it is level 5.
    The thresholds are [ASM].
    """

    enabled: bool = Field(default=True, description="whether exceptional treatment can delight")
    empathy: Coordinate = Field(
        default=1.75,
        description=(
            "x_empathy at or above which treatment is exceptional (1.75: perceived empathy "
            "0.925 with the default zone 0.4-0.7, near its top) [ASM]"
        ),
    )
    assurance: Coordinate = Field(
        default=0.0,
        description="x_assurance the staff must also reach: at least adequate competence [ASM]",
    )
    dissatisfier_floor: Coordinate = Field(
        default=0.0,
        description=(
            "x_reliability and x_responsiveness must both reach this: no dissatisfier fails "
            "(0: at least adequate) [ASM]"
        ),
    )


class SatisfactionModel(StrictModel):
    """Coefficients of the satisfaction model; the defaults are docs/model.md section 5."""

    dimension_weights: dict[Dimension, Weight] = Field(
        default_factory=_default_weights,
        description="SERVQUAL-style weights of the five dimensions in a moment [ASM]",
    )
    channel_weights: dict[Channel, dict[Dimension, Annotated[Real, Field(ge=0, le=10)]]] = Field(
        default_factory=_default_channel_weights,
        description=(
            "how much more (or less) a dimension weighs at a moment of this channel, before "
            "the weights are renormalised: face to face, the person; self-service, the interface "
            "and that it works [ASM; Bitner 1990; Meuter et al. 2000]"
        ),
    )
    social_presence: dict[Channel, Score] = Field(
        default_factory=_default_social_presence,
        description=(
            "how much of the staff's personal treatment a moment of this channel carries to "
            "the customer (personal_reach): in person all of it, by voice 0.8 (the tone without "
            "the face), in writing half, self-service none [ASM; Short, Williams & Christie "
            "1976; Daft & Lengel 1986]; a channel left out keeps its default"
        ),
    )
    @field_validator("social_presence")
    @classmethod
    def _every_channel(cls, given: dict[Channel, float]) -> dict[Channel, float]:
        return {**_default_social_presence(), **given}

    alpha: Annotated[Real, Field(gt=0, le=1)] = Field(
        default=0.88, description="curvature of gains and losses (Kahneman & Tversky)"
    )
    loss_aversion: Annotated[Real, Field(ge=1, le=20)] = Field(
        default=2.25, description="lambda: a shortfall weighs this much more than a surplus"
    )
    zone_slope: Annotated[Real, Field(gt=0, le=1)] = Field(
        default=0.3, description="kappa: utility gained across the zone of tolerance (flat inside)"
    )
    level_thresholds: Annotated[list[Coordinate], Field(min_length=4, max_length=4)] = Field(
        default_factory=lambda: [-0.5, 0.5, 1.0, 1.5],
        description="disconfirmation x at which a moment moves up to level 2, 3, 4, 5",
    )
    idle_wait_factor: Annotated[Real, Field(ge=0.5, le=5)] = Field(
        default=1.36, description="a present customer's idle wait feels this much longer (Maister)"
    )
    informed_wait_factor: Annotated[Real, Field(ge=0.5, le=5)] = Field(
        default=1.0, description="perception factor of waits at touchpoints with informed_wait"
    )
    failure_disconfirmation: Annotated[Real, Field(ge=-10.0, le=0.0)] = Field(
        default=-1.0, description="x of a failed moment (abandonment, error): level 1, bitter"
    )
    repeat_reliability: Score = Field(
        default=0.6, description="reliability performance of a moment in a repeat contact"
    )
    unresolved_reliability: Score = Field(
        default=0.3, description="reliability performance of a visit that leaves the issue open"
    )
    cycle: CycleWeights = Field(default_factory=CycleWeights)
    delight: Delight = Field(
        default_factory=Delight,
        description=(
            "exceptional personal treatment with no failing dissatisfier makes a moment "
            "stellar [LIT: Johnston 1995; Kano et al. 1984]"
        ),
    )
    csat_noise: Annotated[Real, Field(ge=0, le=10)] = Field(
        default=0.25, description="scale of the logistic noise on latent satisfaction"
    )
    csat_cut_points: Annotated[list[Coordinate], Field(min_length=4, max_length=4)] = Field(
        default_factory=lambda: [-1.0, -0.35, 0.1, 0.45],
        description="latent satisfaction at which CSAT moves up to 2, 3, 4, 5",
    )
    recommend_scale: Annotated[Real, Field(gt=0, le=100)] = Field(
        default=4.0, description="would-recommend = 7 + scale x latent, clipped to 0-10"
    )
    empathy_per_proficiency: Annotated[Real, Field(ge=-5.0, le=5.0)] = Field(
        default=0.3, description="empathy = e0 + this x proficiency - ... (docs/model.md section 6)"
    )
    empathy_occupancy_threshold: Score = Field(
        default=0.85, description="empathy falls once the pool's occupancy stays above this"
    )
    empathy_occupancy_slope: Annotated[Real, Field(ge=0, le=10)] = Field(
        default=0.2, description="empathy lost per unit of occupancy above the threshold"
    )
    occupancy_window: PositiveDuration = Field(
        default=3600.0, description="occupancy that moves empathy is measured over this window"
    )
    self_service_assurance: Score = Field(
        default=0.7, description="assurance of a moment with no staff (clear screens, forms)"
    )
    perception_noise: Annotated[Real, Field(ge=0, le=0.5)] = Field(
        default=0.15,
        description=(
            "standard deviation of the moment-to-moment variation of perceived tangibles and "
            "assurance around the pool's level (who served, the customer's mood); empathy "
            "varies by empathy_spread and empathy_spread_per_contact"
        ),
    )

    empathy_spread: Annotated[Real, Field(ge=0, le=0.5)] = Field(
        default=0.05,
        description=(
            "standard deviation of perceived empathy from one moment to the next with no "
            "contact; it grows by empathy_spread_per_contact x the contact ratio"
        ),
    )
    empathy_spread_per_contact: Annotated[Real, Field(ge=0, le=0.5)] = Field(
        default=0.15,
        description=(
            "high-contact staff have more discretion, so empathy varies more between moments: "
            "sd = empathy_spread + this x contact ratio [ASM, seed 003]"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> SatisfactionModel:
        for name in ("level_thresholds", "csat_cut_points"):
            values = getattr(self, name)
            if not all(b > a for a, b in itertools.pairwise(values)):  # NaN fails too
                raise ValueError(f"{name} must increase, given {values}")
        return self
