"""The resolved scenario: the scenario as written with every value the presets decide filled in.

A :class:`ResolvedScenario` is what the model simulates and what a run saves. Its parts are
subclasses of the written ones with the optional fields narrowed: every touchpoint says whether
the customer is present, whether it is a moment of truth, what it resolves per request type and
where an unresolved customer goes; every lognormal has its CV (:class:`ResolvedLognormal`), so
the samplers never meet a missing value. Saved as YAML it is still a valid scenario, and
resolving it again gives it back unchanged.

Overrides belong to the scenario as written: :meth:`ResolvedScenario.with_overrides` applies
them to the scenario it was resolved from and resolves the result again, so an override of the
contact level re-derives everything the preset decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from servsim.distributions import (
    MIN_CV,
    AnyDistribution,
    Deterministic,
    Lognormal,
    ResolvedDistribution,
    ResolvedDistributionSpec,
    ResolvedLognormal,
)
from servsim.satisfaction_schema import Channel
from servsim.scenario.checks import first_front_pool
from servsim.scenario.components import (
    Recontact,
    Retry,
    Segment,
    StatusInquiry,
    Touchpoint,
    Variability,
)
from servsim.scenario.presets import (
    CONTACT_PRESETS,
    DEFAULT_DELAY_CV,
    contact_ratio,
    customer_variability_cv,
    preset_presence,
)
from servsim.scenario.schema import Scenario
from servsim.schema_types import Name, Probability

__all__ = [
    "ResolvedRecontact",
    "ResolvedRetry",
    "ResolvedScenario",
    "ResolvedSegment",
    "ResolvedStatusInquiry",
    "ResolvedTouchpoint",
    "ResolvedVariability",
    "default_channel",
    "resolve_scenario",
]

M = TypeVar("M", bound=BaseModel)


class ResolvedTouchpoint(Touchpoint):
    """A touchpoint with presence, moment of truth, outcomes and service-time shape decided."""

    service_time: ResolvedDistributionSpec
    service_time_by_request_type: Mapping[str, ResolvedDistributionSpec]
    customer_present: bool
    moment_of_truth: bool
    first_response: bool
    resolution: Probability | dict[str, Probability] = Field(
        description="overall, or per request type with every request type given"
    )
    unresolved: Literal["next", "recontact"]
    recontact_from: Name
    channel: Channel


class ResolvedRecontact(Recontact):
    """Re-contacts with the delay's shape known."""

    delay: ResolvedDistributionSpec


class ResolvedRetry(Retry):
    """Retries with the delay's shape known."""

    delay: ResolvedDistributionSpec


class ResolvedSegment(Segment):
    """A segment whose patience, retry and re-contact delays have their shapes known."""

    patience: ResolvedDistributionSpec | None
    recontact: ResolvedRecontact
    retry: ResolvedRetry


class ResolvedStatusInquiry(StatusInquiry):
    """Status inquiries switched on or off, with who answers and how long it takes.

    ``served_by`` is None only when inquiries are off and no front pool serves the cycle
    (the checks refuse inquiries that are on with nobody to answer them).
    """

    enabled: bool
    service_time: ResolvedDistributionSpec


class ResolvedVariability(Variability):
    """Customer-induced variability with the contact ratio c decided."""

    contact_ratio: Annotated[float, Field(ge=0.0, le=1.0)]


class ResolvedScenario(Scenario):
    """A scenario with nothing left for the model to guess; build with :func:`resolve_scenario`.

    Two resolved scenarios are equal when their fields are: the scenario each was resolved
    from does not count.
    """

    segments: Annotated[list[ResolvedSegment], Field(min_length=1)]
    service_cycle: Annotated[list[ResolvedTouchpoint], Field(min_length=1)]
    status_inquiry: ResolvedStatusInquiry
    variability: ResolvedVariability
    _written: Scenario | None = PrivateAttr(default=None)

    @property
    def written(self) -> Scenario:
        """The scenario as written that this was resolved from (itself, read back from a file)."""
        return self._written if self._written is not None else self

    def with_overrides(self, overrides: Mapping[str, Any]) -> ResolvedScenario:
        """The scenario as written with the overrides, resolved again.

        Raises:
            ScenarioError: when a path does not exist or the new value is not allowed.
        """
        return resolve_scenario(Scenario.with_overrides(self.written, overrides))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResolvedScenario) and self.__dict__ == other.__dict__

    __hash__ = Scenario.__hash__


def resolve_scenario(s: Scenario) -> ResolvedScenario:
    """Fill every value the contact level and the defaults decide; a resolved scenario passes.

    The result is what the model simulates and what a run saves as its resolved scenario.
    """
    if isinstance(s, ResolvedScenario):
        return s
    preset = CONTACT_PRESETS[s.contact_level]
    inquiry = s.status_inquiry
    resolved = _narrow(
        ResolvedScenario,
        s,
        segments=[_resolve_segment(seg) for seg in s.segments],
        service_cycle=[_resolve_touchpoint(s, i, tp) for i, tp in enumerate(s.service_cycle)],
        status_inquiry=_narrow(
            ResolvedStatusInquiry,
            inquiry,
            enabled=inquiry.enabled if inquiry.enabled is not None else preset.status_inquiries,
            served_by=inquiry.served_by or first_front_pool(s.staff, s.service_cycle),
            service_time=_resolve_cv(inquiry.service_time, customer_variability_cv(s, True)),
        ),
        variability=_narrow(ResolvedVariability, s.variability, contact_ratio=contact_ratio(s)),
    )
    resolved._written = s
    return resolved


def _narrow(cls: type[M], model: BaseModel, **resolved: Any) -> M:
    """``model`` as its resolved subclass ``cls``, with the resolved values replacing its own."""
    return cls.model_validate({**dict(model), **resolved})


def default_channel(contact_level: str, present: bool, staffed: bool) -> Channel:
    """The channel a touchpoint has unless it says: how customer and service meet there.

    Self-service without staff; face to face where a present customer meets staff at high
    contact; in writing (chat, e-mail, web) at low contact, where Chase's low-contact systems
    reach the customer by mail and the internet; otherwise remote (phone, a callback).
    """
    if not staffed:
        return "self_service"
    if contact_level == "high" and present:
        return "face_to_face"
    return "written" if contact_level == "low" else "remote"


def _resolve_touchpoint(s: Scenario, index: int, tp: Touchpoint) -> ResolvedTouchpoint:
    last = index == len(s.service_cycle) - 1
    present = preset_presence(s, index)
    cv = customer_variability_cv(s, present)
    return _narrow(
        ResolvedTouchpoint,
        tp,
        customer_present=present,
        moment_of_truth=tp.moment_of_truth
        if tp.moment_of_truth is not None
        else (present or tp.outbound),
        first_response=tp.first_response
        if tp.first_response is not None
        else (present and tp.served_by is not None),
        resolution=_fill_per_type(tp.resolution, s.request_types, 1.0 if last else 0.0),
        unresolved=tp.unresolved or ("recontact" if last else "next"),
        recontact_from=tp.recontact_from or s.service_cycle[0].name,
        channel=tp.channel or default_channel(s.contact_level, present, tp.served_by is not None),
        service_time=_resolve_cv(tp.service_time, cv),
        service_time_by_request_type={
            rt: _resolve_cv(d, cv) for rt, d in tp.service_time_by_request_type.items()
        },
    )


def _resolve_segment(seg: Segment) -> ResolvedSegment:
    patience = seg.patience
    return _narrow(
        ResolvedSegment,
        seg,
        patience=None if patience is None else _resolve_cv(patience, DEFAULT_DELAY_CV),
        recontact=_narrow(
            ResolvedRecontact,
            seg.recontact,
            delay=_resolve_cv(seg.recontact.delay, DEFAULT_DELAY_CV),
        ),
        retry=_narrow(
            ResolvedRetry, seg.retry, delay=_resolve_cv(seg.retry.delay, DEFAULT_DELAY_CV)
        ),
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


def _resolve_cv(spec: AnyDistribution, cv: float) -> ResolvedDistribution:
    """The distribution with its shape known: a lognormal without CV takes ``cv``."""
    if not isinstance(spec, Lognormal):
        return spec
    if spec.cv is not None:
        return ResolvedLognormal(mean=spec.mean, cv=spec.cv)
    if cv < MIN_CV:  # below the floor a time is as good as fixed
        return Deterministic(value=spec.mean)
    return ResolvedLognormal(mean=spec.mean, cv=cv)
