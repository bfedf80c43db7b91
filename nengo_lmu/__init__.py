"""Legendre Memory Units for Nengo."""

from nengo_lmu.discretize import (
    SynapseMapping,
    discretize,
    euler_max_dt,
    synapse_mapping,
)
from nengo_lmu.legendre import legendre_delay, legendre_readout
from nengo_lmu.networks.memory import LegendreMemory
from nengo_lmu.version import version as __version__

__all__ = [
    "LegendreMemory",
    "SynapseMapping",
    "discretize",
    "euler_max_dt",
    "legendre_delay",
    "legendre_readout",
    "synapse_mapping",
]
