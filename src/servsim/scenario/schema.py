"""The whole scenario as written: who comes, who serves, and the cycle customers go through.

:func:`validate_data` turns raw data into a :class:`Scenario` or one :class:`ScenarioError`
with every problem: field problems and cross-field problems of the parts that are valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, model_validator

from servsim.satisfaction_schema import SatisfactionModel
from servsim.scenario.checks import ScenarioParts, consistency_problems, request_types_of
from servsim.scenario.components import (
    MAX_REPLICATIONS,
    Arrivals,
    ContactLevel,
    Horizon,
    PoolSide,
    Precision,
    Reporting,
    Segment,
    ServiceLevelTarget,
    Staff,
    StaffingSettings,
    StaffPool,
    StatusInquiry,
    Touchpoint,
    Variability,
    replications_value,
)
from servsim.scenario.counts import CountsFileError
from servsim.scenario.errors import ScenarioError, format_validation_errors
from servsim.scenario.paths import set_path
from servsim.scenario.weekly import Calendar
from servsim.schema_types import Name, StrictModel, Whole
from servsim.training_schema import ProficiencyModel, Training

__all__ = ["Scenario", "validate_data"]


class Scenario(StrictModel):
    """A whole service system as written: who comes, who serves, the cycle customers live.

    Values the contact level decides may be left out: they are filled in when the scenario runs.
    """

    name: Name
    description: str = ""
    contact_level: ContactLevel
    horizon: Horizon = Field(default_factory=Horizon)
    calendar: Calendar = Field(default_factory=Calendar)
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
    reporting: Reporting = Field(default_factory=Reporting)
    staffing: StaffingSettings = Field(default_factory=StaffingSettings)
    records: Literal["full", "summary"] = Field(
        default="full",
        description=(
            "what a replication keeps: 'full' keeps every record (record, moment and "
            "satisfaction tables, figures, exact percentiles); 'summary' keeps only the sums "
            "its measures and interval view are built from, so memory stays flat however many "
            "customers run (percentiles from histograms, within 1%)"
        ),
    )
    segments: Annotated[Sequence[Segment], Field(min_length=1)]
    arrivals: Arrivals
    staff: Staff
    service_cycle: Annotated[Sequence[Touchpoint], Field(min_length=1)]
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
        problems = [*consistency_problems(self.parts()), *self._variant_problems()]
        if problems:
            raise ValueError("\n".join(f"{path}: {message}" for path, message in problems))
        return self

    def _variant_problems(self) -> list[tuple[str, str]]:
        problems = []
        if self.variants:
            base = self.model_copy(update={"variants": {}})
            for variant, overrides in self.variants.items():
                try:
                    base.with_overrides(overrides)
                except ScenarioError as exc:
                    problems += [(f"variants.{variant}", problem) for problem in exc.problems]
        return problems

    def parts(self) -> ScenarioParts:
        """The parts the cross-field checks read."""
        return ScenarioParts(
            segments=self.segments,
            staff=self.staff,
            arrivals=self.arrivals,
            service_cycle=self.service_cycle,
            status_inquiry=self.status_inquiry,
            training=self.training,
            horizon=self.horizon,
            calendar=self.calendar,
            contact_level=self.contact_level,
            staffing=self.staffing,
        )

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
        return request_types_of(self.segments)

    def variant_scenarios(self) -> list[Scenario]:
        """This scenario (without its variants) and each variant, named ``<name>.<variant>``."""
        base = self.model_copy(update={"variants": {}})
        out = [base]
        for variant, overrides in self.variants.items():
            out.append(base.with_overrides({**overrides, "name": f"{self.name}.{variant}"}))
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A re-validated copy of the scenario as written, with values replaced at dotted paths.

        Paths follow the YAML: ``staff.front[0].headcount``; a list of named items may also be
        indexed by name: ``staff.front.agents.headcount``, ``service_cycle.call.service_time.mean``.
        Values the contact level decides stay unset, so an override of ``contact_level`` (or
        of anything else a preset reads) changes them as writing it in the file would.

        Raises:
            ScenarioError: when a path does not exist or the new value is not allowed.
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for path, value in overrides.items():
            set_path(data, path, value)
        return validate_data(data, source=f"scenario '{self.name}' with overrides")


def validate_data(data: Any, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """Validate raw scenario data (a mapping) into the scenario as written.

    When some fields are invalid, the cross-field checks still run on the parts that are
    valid, so a file with both kinds of problem reports both at once.

    Raises:
        ScenarioError: with one located problem per error.
    """
    context = {"base_dir": str(base_dir) if base_dir else "."}
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        problems = format_validation_errors(exc, Scenario)
        if any(error["loc"] for error in exc.errors()):  # a field failed: checks did not run
            parts = _valid_parts(data, context)
            problems += [f"{path}: {message}" for path, message in consistency_problems(parts)]
        raise ScenarioError(source, problems) from None
    except CountsFileError as exc:
        raise ScenarioError(source, [f"arrivals.counts_csv: {exc}"]) from None


def _valid_parts(data: Any, context: dict[str, str]) -> ScenarioParts:
    """The parts of raw data that validate on their own (defaults for those left out)."""
    if not isinstance(data, dict):
        return ScenarioParts()
    valid: dict[str, Any] = {}
    for name in ScenarioParts.__dataclass_fields__:
        field = Scenario.model_fields[name]
        if name in data:
            try:
                valid[name] = _part_adapter(name).validate_python(data[name], context=context)
            except (ValidationError, CountsFileError):
                continue
        elif not field.is_required():
            valid[name] = field.get_default(call_default_factory=True)
    return ScenarioParts(**valid)


def _part_adapter(name: str) -> TypeAdapter[Any]:
    """A validator for one field of :class:`Scenario` alone, with its constraints."""
    field = Scenario.model_fields[name]
    # typed Any: pydantic's stubs for a runtime-built type form differ between its versions
    form: Any = field.annotation
    if field.metadata:
        form = Annotated[(form, *field.metadata)]
    return TypeAdapter(form)


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
