"""Contact-level presets (Chase): what high, medium and low contact decide for a cycle.

These are the decisions only; :func:`servsim.scenario.resolve_scenario` applies them to a
scenario as written and returns the resolved scenario the model runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from servsim.scenario.checks import presence
from servsim.scenario.schema import Scenario

__all__ = [
    "CONTACT_PRESETS",
    "DEFAULT_DELAY_CV",
    "ContactPreset",
    "contact_ratio",
    "customer_variability_cv",
    "preset_presence",
]

DEFAULT_DELAY_CV = 1.0
"""CV of a lognormal patience, retry or re-contact delay written without one [ASM].

The contact level shapes service times only; for how long customers wait or stay away
nothing is known but the mean, and a CV of 1 spreads like the exponential (Erlang A's
patience) while keeping the lognormal's right skew.
"""


@dataclass(frozen=True)
class ContactPreset:
    """What a contact level (Chase) decides for a cycle, unless a touchpoint says otherwise.

    Attributes:
        contact_ratio: share of the service the customer lives in person (c in docs/model.md).
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


def contact_ratio(s: Scenario) -> float:
    """The contact ratio c: as written, else the contact level's."""
    ratio = s.variability.contact_ratio
    return ratio if ratio is not None else CONTACT_PRESETS[s.contact_level].contact_ratio


def customer_variability_cv(s: Scenario, present: bool) -> float:
    """CV the contact level gives a service time: 0.3 + 0.9·c where the customer is present."""
    variability = s.variability
    return variability.base_cv + (variability.per_contact * contact_ratio(s) if present else 0.0)


def preset_presence(s: Scenario, index: int) -> bool:
    """Whether the customer is at this touchpoint (docs/model.md section 2)."""
    return presence(s.contact_level, s.staff, s.service_cycle, index)
