"""servsim: discrete-event simulation of customer-service systems.

Describe a service system in YAML (segments, arrivals, front and back staff pools, the service
cycle of moments of truth, the contact level), then simulate it and read the five service
standards with confidence intervals::

    import servsim
    scenario = servsim.load_scenario("scenarios/bank_account_high.yaml")
    result = servsim.simulate(scenario, replications=10, seed=1)
    print(result.summary)
"""

from servsim import theory
from servsim.experiment import SimulationResult, simulate
from servsim.scenario import Scenario, ScenarioError, load_scenario, validate_scenario

__version__ = "0.1.0"

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "load_scenario",
    "simulate",
    "theory",
    "validate_scenario",
]
