"""Legendre Memory Units for Nengo."""

from nengo_lmu.discretize import (
    SynapseMapping,
    discretize,
    euler_max_dt,
    lead_correction,
    synapse_mapping,
)
from nengo_lmu.evaluation import Delay, nrmse, periodic_delay
from nengo_lmu.legendre import legendre_delay, legendre_readout
from nengo_lmu.networks.lmu import LMU
from nengo_lmu.networks.memory import LegendreMemory
from nengo_lmu.realize import (
    balanced_realization,
    legendre_realization,
    realize,
    state_scaling,
)
from nengo_lmu.sequence import evaluate_cell, evaluate_memory, impulse_response
from nengo_lmu.version import version as __version__

__all__ = [
    "Delay",
    "LMU",
    "LegendreMemory",
    "SynapseMapping",
    "balanced_realization",
    "discretize",
    "euler_max_dt",
    "evaluate_cell",
    "evaluate_memory",
    "impulse_response",
    "lead_correction",
    "legendre_delay",
    "legendre_readout",
    "legendre_realization",
    "nrmse",
    "periodic_delay",
    "realize",
    "state_scaling",
    "synapse_mapping",
]
