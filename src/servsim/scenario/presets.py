"""Contact-level presets (Chase): what high, medium and low contact decide for a cycle.

:func:`resolve_scenario` fills every value the preset and the defaults decide, so the model and
the saved "resolved scenario" never have to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servsim.distributions import MIN_CV, AnyDistribution, Deterministic, Lognormal
from servsim.scenario.checks import first_front_pool, routing_pools
from servsim.scenario.components import Touchpoint
from servsim.scenario.schema import Scenario

__all__ = ["CONTACT_PRESETS", "ContactPreset", "customer_variability_cv", "resolve_scenario"]


@dataclass(frozen=True)
class ContactPreset:
    """What a contact level (Chase) decides for a cycle, unless a touchpoint says otherwise.

    Attributes:
        contact_ratio: share of the service the customer lives in person (c in MODEL.md).
        back_office_coupled: whether the customer stays present while the back office works.
        status_inquiries: whether customers chase a late resolution with status inquiries.
    """

    contact_ratio: float
    back_office_coupled: bool
    status_inquiries: bool


CONTACT_PRESETS: dict[str, ContactPreset] = {
    "high": ContactPreset(contact_ratio=0.8, back_office_coupled=True, status_inquiries=False),
    "medium": ContactPreset(contact_ratio=0.4, back_office_coupled=False, status_inquiries=False),
    "low": ContactPreset(contact_ratio=0.1, back_office_coupled=False, status_inquiries=True),
}



def customer_variability_cv(s: Scenario, present: bool) -> float:
    """CV the contact level gives a service time: 0.3 + 0.9·c where the customer is present."""
    ratio = s.variability.contact_ratio
    if ratio is None:
        ratio = CONTACT_PRESETS[s.contact_level].contact_ratio
    return s.variability.base_cv + (s.variability.per_contact * ratio if present else 0.0)


def _preset_presence(s: Scenario, index: int, tp: Touchpoint) -> bool:
    """Whether the contact level puts the customer at this touchpoint (MODEL.md section 2)."""
    pools = routing_pools(tp.served_by)
    is_back = bool(pools) and all(s.pool_side(p) == "back" for p in pools)
    if s.contact_level == "high":
        return True
    if s.contact_level == "medium":
        return not is_back
    return index in (0, len(s.service_cycle) - 1)



def resolve_scenario(s: Scenario) -> Scenario:
    """Fill every value the contact level and the defaults decide; idempotent.

    The result is what the model simulates and what a run saves as its resolved scenario.
    """
    preset = CONTACT_PRESETS[s.contact_level]
    last = len(s.service_cycle) - 1
    cycle = []
    for i, tp in enumerate(s.service_cycle):
        present = (
            tp.customer_present if tp.customer_present is not None else _preset_presence(s, i, tp)
        )
        update: dict[str, Any] = {
            "customer_present": present,
            "moment_of_truth": tp.moment_of_truth if tp.moment_of_truth is not None else present,
            "first_response": tp.first_response
            if tp.first_response is not None
            else (present and tp.served_by is not None),
            "resolution": _fill_per_type(tp.resolution, s.request_types, 1.0 if i == last else 0.0),
            "unresolved": tp.unresolved or ("recontact" if i == last else "next"),
            "recontact_from": tp.recontact_from or s.service_cycle[0].name,
            "service_time": _resolve_cv(tp.service_time, customer_variability_cv(s, present)),
            "service_time_by_request_type": {
                rt: _resolve_cv(d, customer_variability_cv(s, present))
                for rt, d in tp.service_time_by_request_type.items()
            },
        }
        cycle.append(tp.model_copy(update=update))
    inquiry = s.status_inquiry
    enabled = inquiry.enabled if inquiry.enabled is not None else preset.status_inquiries
    inquiry = inquiry.model_copy(
        update={
            "enabled": enabled,
            "served_by": inquiry.served_by or first_front_pool(s),
            "service_time": _resolve_cv(inquiry.service_time, customer_variability_cv(s, True)),
        }
    )
    variability = s.variability.model_copy(
        update={
            "contact_ratio": s.variability.contact_ratio
            if s.variability.contact_ratio is not None
            else preset.contact_ratio
        }
    )
    return s.model_copy(
        update={"service_cycle": cycle, "status_inquiry": inquiry, "variability": variability}
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


def _resolve_cv(spec: AnyDistribution, cv: float) -> AnyDistribution:
    if isinstance(spec, Lognormal) and spec.cv is None:
        if cv < MIN_CV:  # below the floor a time is as good as fixed
            return Deterministic(value=spec.mean)
        return spec.model_copy(update={"cv": cv})
    return spec
