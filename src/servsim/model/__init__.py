"""The SimPy model of a service system; it emits records and computes no KPI."""

from servsim.model.journey import run, simulate_replication
from servsim.model.system import ServiceSystem, outcome_probabilities

__all__ = ["ServiceSystem", "outcome_probabilities", "run", "simulate_replication"]
