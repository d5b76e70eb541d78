"""The scenario: a servuction system described in YAML, validated into frozen typed models.

The schema follows the domain: customer segments and their arrivals, the visible (front) and
invisible (back) staff pools with their shifts, and the service cycle as an ordered list of
moments of truth. A file is read into the :class:`Scenario` as written; the contact level is a
preset over the cycle, and :func:`resolve_scenario` fills every value the preset decides into a
:class:`ResolvedScenario`, which the model runs and a run saves, so neither ever guesses.

The package's modules, lowest first (each imports only those before it): ``errors`` (located
problems), ``counts`` (arrival-count CSV files), ``paths`` (dotted-path overrides),
``components`` (the parts of a scenario), ``checks`` (cross-field checks), ``schema`` (the whole
:class:`Scenario`), ``presets`` (contact levels), ``resolved`` (:class:`ResolvedScenario`),
``loading`` (files and YAML). Errors are :class:`ScenarioError`, naming the file, the
field's path (``staff.front[1].shifts[0].end``), what was given and what is allowed.
"""

from servsim.scenario.checks import ScenarioParts, consistency_problems
from servsim.scenario.components import (
    MAX_REPLICATIONS,
    REPLICATIONS_AUTO,
    SHARE_TOLERANCE,
    Arrivals,
    ContactLevel,
    Horizon,
    PoolSide,
    Precision,
    RatePeriod,
    Recontact,
    Retry,
    Routing,
    Segment,
    ServiceLevelTarget,
    Shift,
    ShiftTemplateSpec,
    Staff,
    StaffPool,
    StatusInquiry,
    Touchpoint,
    Variability,
    known_metric_names,
)
from servsim.scenario.counts import CountsFileError, read_counts_csv
from servsim.scenario.errors import ScenarioError, format_path, format_validation_errors
from servsim.scenario.loading import load_scenario, parse_yaml, read_yaml_file, validate_scenario
from servsim.scenario.presets import (
    CONTACT_PRESETS,
    DEFAULT_DELAY_CV,
    ContactPreset,
    customer_variability_cv,
)
from servsim.scenario.resolved import (
    ResolvedScenario,
    ResolvedTouchpoint,
    default_channel,
    resolve_scenario,
)
from servsim.scenario.schema import Scenario
from servsim.schema_types import SECONDS_PER_DAY

__all__ = [
    "CONTACT_PRESETS",
    "DEFAULT_DELAY_CV",
    "MAX_REPLICATIONS",
    "REPLICATIONS_AUTO",
    "SECONDS_PER_DAY",
    "SHARE_TOLERANCE",
    "Arrivals",
    "ContactLevel",
    "ContactPreset",
    "CountsFileError",
    "Horizon",
    "PoolSide",
    "Precision",
    "RatePeriod",
    "Recontact",
    "ResolvedScenario",
    "ResolvedTouchpoint",
    "Retry",
    "Routing",
    "Scenario",
    "ScenarioError",
    "ScenarioParts",
    "Segment",
    "ServiceLevelTarget",
    "Shift",
    "ShiftTemplateSpec",
    "Staff",
    "StaffPool",
    "StatusInquiry",
    "Touchpoint",
    "Variability",
    "consistency_problems",
    "customer_variability_cv",
    "default_channel",
    "format_path",
    "format_validation_errors",
    "known_metric_names",
    "load_scenario",
    "parse_yaml",
    "read_counts_csv",
    "read_yaml_file",
    "resolve_scenario",
    "validate_scenario",
]
