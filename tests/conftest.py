"""Shared test configuration.

The Simulator, seed, rng, plt and allclose fixtures come from the nengo,
pytest-rng, pytest-plt and pytest-allclose plugins.
"""

import nengo
import pytest

# Tests must not depend on (or contend for) the machine's shared decoder cache.
nengo.rc.set("decoder_cache", "enabled", "False")


@pytest.fixture
def present_sequence(Simulator):
    """Simulate a network for one input sequence, one row per time step.

    Returns a function ``(network, inputs) -> outputs`` that presents ``inputs``
    (n_steps, size_in) to ``network.input`` with ``synapse=None`` and returns what
    a probe on ``network.output`` records, at the network's ``dt``.
    """

    def present(network, inputs):
        with nengo.Network() as model:
            model.add(network)
            stimulus = nengo.Node(nengo.processes.PresentInput(inputs, network.dt))
            nengo.Connection(stimulus, network.input, synapse=None)
            probe = nengo.Probe(network.output, synapse=None)
        with Simulator(model, dt=network.dt, progress_bar=False) as sim:
            sim.run_steps(len(inputs))
        return sim.data[probe]

    return present
