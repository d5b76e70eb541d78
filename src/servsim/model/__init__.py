"""The SimPy model of a service system; it emits records and computes no KPI."""

from servsim.model.system import ServiceSystem, outcome_probabilities, simulate_replication

__all__ = ["ServiceSystem", "outcome_probabilities", "simulate_replication"]
