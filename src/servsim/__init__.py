"""servsim: discrete-event simulation of customer-service systems.

Describe a service system in YAML (segments, arrivals, front and back staff pools, the service
cycle of moments of truth, the contact level), then simulate it and read the five service
standards with confidence intervals::

    import servsim
    scenario = servsim.load_scenario("scenarios/bank_account_high.yaml")
    result = servsim.simulate(scenario, replications=10, seed=1)
    print(result.summary)

Compare scenarios under common random numbers and sweep parameters::

    comparison = servsim.compare([scenario, scenario.with_overrides({...})], replications=20)
    comparison.differences          # paired difference to the first, with its 95% CI
    result = servsim.sweep("sweeps/staffing.yaml", workers=2, folder="results/sweeps/staffing")

``servsim.compare`` and ``servsim.sweep`` are the functions; their modules stay importable as
``from servsim.compare import ...`` and ``from servsim.sweep import ...``. Dask is imported
only when a :class:`DaskExecutor` is created, so ``import servsim`` stays as fast as before.
"""

import sys
import types
from typing import TYPE_CHECKING, Any

from servsim.version import __version__

if TYPE_CHECKING:
    from servsim import theory
    from servsim.analysis import (
        Archetype,
        classify_archetype,
        contact_level_comparison,
        importance_performance,
    )
    from servsim.compare import Comparison, compare
    from servsim.executors import DaskExecutor, ProcessExecutor, SerialExecutor
    from servsim.experiment import SimulationResult, StoppingReport, simulate
    from servsim.scenario import Scenario, ScenarioError, load_scenario, validate_scenario
    from servsim.staffing import StaffingPlan, check_staffing, staff
    from servsim.sweep import SweepResult, SweepSpec, load_sweep, sweep

# Public names and the module each lives in, imported on first use (PEP 562): ``import
# servsim`` and the CLI's light commands (--help, validate, schema) never load pandas, scipy
# or pyarrow, which take most of a second to import.
_PUBLIC = {
    "theory": "servsim.theory",
    "Archetype": "servsim.analysis",
    "classify_archetype": "servsim.analysis",
    "contact_level_comparison": "servsim.analysis",
    "importance_performance": "servsim.analysis",
    "Comparison": "servsim.compare",
    "compare": "servsim.compare",
    "DaskExecutor": "servsim.executors",
    "ProcessExecutor": "servsim.executors",
    "SerialExecutor": "servsim.executors",
    "SimulationResult": "servsim.experiment",
    "StoppingReport": "servsim.experiment",
    "simulate": "servsim.experiment",
    "Scenario": "servsim.scenario",
    "ScenarioError": "servsim.scenario",
    "load_scenario": "servsim.scenario",
    "validate_scenario": "servsim.scenario",
    "StaffingPlan": "servsim.staffing",
    "check_staffing": "servsim.staffing",
    "staff": "servsim.staffing",
    "SweepResult": "servsim.sweep",
    "SweepSpec": "servsim.sweep",
    "load_sweep": "servsim.sweep",
    "sweep": "servsim.sweep",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    import importlib

    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'servsim' has no attribute {name!r}")
    value = importlib.import_module(module)
    if name != "theory":
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


class _Package(types.ModuleType):
    """The package, whose ``compare`` and ``sweep`` stay the functions.

    Importing a submodule binds it as an attribute of its package; ``servsim.compare`` and
    ``servsim.sweep`` name functions, so their modules must not replace them.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("compare", "sweep") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Archetype",
    "Comparison",
    "DaskExecutor",
    "ProcessExecutor",
    "Scenario",
    "ScenarioError",
    "SerialExecutor",
    "SimulationResult",
    "StaffingPlan",
    "StoppingReport",
    "SweepResult",
    "SweepSpec",
    "__version__",
    "check_staffing",
    "classify_archetype",
    "compare",
    "contact_level_comparison",
    "importance_performance",
    "load_scenario",
    "load_sweep",
    "simulate",
    "staff",
    "sweep",
    "theory",
    "validate_scenario",
]
