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
from servsim.sweep import SweepResult, SweepSpec, load_sweep, sweep
from servsim.version import __version__

__all__ = [
    "Archetype",
    "Comparison",
    "DaskExecutor",
    "ProcessExecutor",
    "Scenario",
    "ScenarioError",
    "SerialExecutor",
    "SimulationResult",
    "StoppingReport",
    "SweepResult",
    "SweepSpec",
    "__version__",
    "classify_archetype",
    "compare",
    "contact_level_comparison",
    "importance_performance",
    "load_scenario",
    "load_sweep",
    "simulate",
    "sweep",
    "theory",
    "validate_scenario",
]
