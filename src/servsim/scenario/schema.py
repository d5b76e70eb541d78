"""The whole scenario: who comes, who serves, and the cycle customers go through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from servsim.satisfaction_schema import SatisfactionModel
from servsim.scenario.checks import consistency_problems
from servsim.scenario.components import (
    MAX_REPLICATIONS,
    Arrivals,
    ContactLevel,
    Horizon,
    PoolSide,
    Precision,
    Segment,
    ServiceLevelTarget,
    Staff,
    StaffPool,
    StatusInquiry,
    Touchpoint,
    Variability,
    replications_value,
)
from servsim.scenario.paths import set_path
from servsim.schema_types import Name, StrictModel, Whole
from servsim.training_schema import ProficiencyModel, Training

__all__ = ["Scenario"]


class Scenario(StrictModel):
    """A whole service system: who comes, who serves, and the cycle customers go through."""

    name: Name
    description: str = ""
    contact_level: ContactLevel
    horizon: Horizon = Field(default_factory=Horizon)
    replications: Annotated[
        Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] | Literal["auto"],
        BeforeValidator(replications_value),
    ] = Field(
        default=10,
        description=(
            "independent replications; 'auto' adds them until the confidence intervals named "
            "in `precision` are narrow enough"
        ),
    )
    precision: Precision = Field(default_factory=Precision)
    seed: Annotated[Whole, Field(ge=0, le=2**63 - 1)] = 1
    service_level: ServiceLevelTarget = Field(default_factory=ServiceLevelTarget)
    segments: Annotated[list[Segment], Field(min_length=1)]
    arrivals: Arrivals
    staff: Staff
    service_cycle: Annotated[list[Touchpoint], Field(min_length=1)]
    status_inquiry: StatusInquiry = Field(default_factory=StatusInquiry)
    variability: Variability = Field(default_factory=Variability)
    satisfaction: SatisfactionModel = Field(default_factory=SatisfactionModel)
    proficiency: ProficiencyModel = Field(default_factory=ProficiencyModel)
    training: Training = Field(default_factory=Training)
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "named variants of this scenario, each a mapping of dotted paths to new values, "
            "e.g. {plus_two: {staff.front.agents.headcount: 9}}; compared by `servsim compare`"
        ),
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Scenario:
        problems = list(consistency_problems(self))
        if problems:
            raise ValueError("\n".join(f"{path}: {message}" for path, message in problems))
        return self

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema editors use to check and complete scenario files.

        Unions are written ``anyOf``: a distribution without ``kind`` is lognormal, and it also
        fits the exponential branch's shape, so ``oneOf`` (exactly one) would reject it.
        """
        schema: dict[str, Any] = _one_of_to_any_of(cls.model_json_schema())
        return schema

    def pool(self, name: str) -> StaffPool:
        """The staff pool of that name (front or back)."""
        for _, pool in self.staff.pools():
            if pool.name == name:
                return pool
        raise KeyError(name)

    def pool_side(self, name: str) -> PoolSide:
        """Whether a pool is front line (visible) or back office (invisible)."""
        for side, pool in self.staff.pools():
            if pool.name == name:
                return side
        raise KeyError(name)

    @property
    def request_types(self) -> list[str]:
        """Every request type named by some segment, in first-seen order."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            for request_type in segment.request_mix:
                seen.setdefault(request_type)
        return list(seen)

    def variant_scenarios(self) -> list[Scenario]:
        """This scenario (without its variants) and each variant, named ``<name>.<variant>``."""
        base = self.model_copy(update={"variants": {}})
        out = [base]
        for variant, overrides in self.variants.items():
            out.append(base.with_overrides({**overrides, "name": f"{self.name}.{variant}"}))
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A re-validated copy with values replaced at dotted paths.

        Paths follow the YAML: ``staff.front[0].headcount``; a list of named items may also be
        indexed by name: ``staff.front.agents.headcount``, ``service_cycle.call.service_time.mean``.

        Raises:
            ScenarioError: when a path does not exist or the new value is not allowed.
        """
        from servsim.scenario.loading import (
            validate_scenario,  # cycle: removed with ResolvedScenario
        )

        data = self.model_dump(mode="json", exclude_none=True)
        for path, value in overrides.items():
            set_path(data, path, value)
        return validate_scenario(data, source=f"scenario '{self.name}' with overrides")



def _one_of_to_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            ("anyOf" if key == "oneOf" else key): _one_of_to_any_of(value)
            for key, value in node.items()
            if key != "discriminator"
        }
    if isinstance(node, list):
        return [_one_of_to_any_of(item) for item in node]
    return node
