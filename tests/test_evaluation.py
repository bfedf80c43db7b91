import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import Delay, nrmse, periodic_delay


def test_nrmse_closed_form(rng):
    target = rng.normal(size=(1000, 2))
    error = rng.normal(size=(1000, 2))
    expected = np.sqrt(np.mean(error**2, axis=0) / np.mean(target**2, axis=0))
    assert np.allclose(nrmse(target + error, target), expected)
    assert nrmse(target, target, axis=None) == 0
    with pytest.raises(ValidationError, match="estimate.*shape"):
        nrmse(target[:, :1], target)


def test_periodic_delay_of_sinusoids():
    n = 400
    k = np.arange(n)
    signal = np.column_stack(
        [np.sin(2 * np.pi * 3 * k / n), np.cos(2 * np.pi * 7 * k / n)]
    )
    delayed = periodic_delay(signal, 12.25)
    expected = np.column_stack(
        [
            np.sin(2 * np.pi * 3 * (k - 12.25) / n),
            np.cos(2 * np.pi * 7 * (k - 12.25) / n),
        ]
    )
    assert np.allclose(delayed, expected, atol=1e-12)


@pytest.mark.parametrize("delay, size", [(0.0, 1), (0.005, 1), (0.0104, 3)])
def test_delay_process(Simulator, seed, delay, size):
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(0.1, high=50), size_out=size)
        delayed = nengo.Node(Delay(delay, size=size))
        nengo.Connection(stim, delayed, synapse=None)
        stim_probe, delayed_probe = nengo.Probe(stim), nengo.Probe(delayed)
    with Simulator(model) as sim:
        sim.run(0.1)
    steps = int(round(delay / 0.001))
    u, y = sim.data[stim_probe], sim.data[delayed_probe]
    assert np.allclose(y[steps:], u[: len(u) - steps])
    assert np.all(y[:steps] == 0)
