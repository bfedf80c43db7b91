"""The parts of the preparation for nengo_loihi that need no nengo_loihi.

The exponent of PES-learned weights (`nengo_lmu.loihi.loihi_pes_wgt_exp`) is
checked against its rule written out for each network, the peak of a PES trace
(`nengo_lmu.loihi.pes_trace_peak`) against the trace's update iterated as
nengo_loihi's emulator does it, and the correction of a
memory's loop for the loop nengo_loihi runs,
`nengo_lmu.loihi.chip_loop_correction`, is checked against a second computation:
the chip's loop simulated as a linear system (the memory's ``Lowpass`` synapse,
then the decode neurons' ``Lowpass(decode_tau)`` and a one-step relay, with no
spikes), driven by white noise and compared with the exact memory.
"""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import (
    discretize,
    evaluate_memory,
    lead_correction,
    legendre_delay,
    legendre_readout,
    nrmse,
    synapse_mapping,
)
from nengo_lmu.loihi import chip_loop_correction, loihi_pes_wgt_exp, pes_trace_peak

DT = 0.001


def mapping_for(theta, order, tau):
    Ad, Bd = discretize(*legendre_delay(theta, order), dt=DT)
    return Ad, Bd, synapse_mapping(Ad, Bd, nengo.Lowpass(tau), dt=DT)


def run_chip_loop(mapping, inputs, tau, decode_tau, delay_steps):
    """The value the memory's readout decodes, on the chip's loop (linear).

    The readout is the recurrent connections through the memory's synapse plus
    the input connections; the ensembles represent it filtered by
    ``Lowpass(decode_tau)`` and ``delay_steps`` steps late.
    """
    a, a_decode = np.exp(-DT / tau), np.exp(-DT / decode_tau)
    recurrent = mapping.recurrent_transform
    input_terms = sum(
        synapse.filt(inputs, dt=DT, y0=0) @ transform.T
        for transform, synapse in zip(mapping.input_transforms, mapping.input_synapses)
    )
    synapse = np.zeros(len(recurrent))
    represented = [np.zeros(len(recurrent))] * (delay_steps + 1)
    readouts = []
    for input_term in input_terms:
        synapse = a * synapse + (1 - a) * recurrent @ represented[-1 - delay_steps]
        readouts.append(synapse + input_term)
        represented.append(a_decode * represented[-1] + (1 - a_decode) * readouts[-1])
    return np.array(readouts)


def window_error(states, exact, theta, order):
    """Whole-window NRMSE after the first window (the memory's state one step
    late, as the memory's readout is)."""
    window = legendre_readout(order, np.linspace(0, 1, 50))
    start = int(round(theta / DT))
    return nrmse(
        (states[start + 1 :] @ window.T).ravel(),
        (exact[start : len(exact) - 1] @ window.T).ravel(),
    ).item()


@pytest.mark.parametrize(
    "theta, order, tau, decode_tau",
    [
        (0.1, 3, 0.01, 0.005),
        (0.2, 3, 0.02, 0.01),
        (0.5, 4, 0.05, 0.02),
        (1, 6, 0.1, 0.02),
    ],
)
def test_restores_the_chip_loop(theta, order, tau, decode_tau):
    """Corrected for the chip's filter, the chip's loop is closer to the memory
    than corrected for a lag (to first order), and far closer than uncorrected."""
    Ad, Bd, mapping = mapping_for(theta, order, tau)
    inputs = nengo.processes.WhiteSignal(
        10 * theta, high=1 / theta, rms=0.5, seed=0
    ).run(10 * theta, dt=DT)
    exact = evaluate_memory(inputs, Ad, Bd)
    lag = decode_tau + DT
    errors = {
        name: window_error(
            run_chip_loop(corrected, inputs, tau, decode_tau, 1), exact, theta, order
        )
        for name, corrected in (
            ("none", mapping),
            ("lag", lead_correction(mapping, -lag, tau)),
            ("exact", chip_loop_correction(mapping, 0.0, tau, decode_tau, DT)),
        )
    }
    # measured: none 0.50, 0.53, 0.64, 0.38; lag 0.124, 0.092, 0.068, 0.024;
    # exact 0.086, 0.046, 0.020, 0.010
    assert errors["none"] > 0.3
    assert errors["exact"] < 0.1
    assert errors["exact"] < 0.75 * errors["lag"]


def test_is_lead_correction_without_filter():
    _, _, mapping = mapping_for(0.5, 4, 0.05)
    lead = [0.004, 0.003, 0.005, 0.002]
    corrected = chip_loop_correction(mapping, lead, 0.05)
    expected = lead_correction(mapping, lead, 0.05)
    assert np.allclose(corrected.recurrent_transform, expected.recurrent_transform)
    assert np.allclose(corrected.input_transforms[0], expected.input_transforms[0])
    assert np.all(corrected.input_transforms[1] == 0)  # no term in s


def test_is_a_lag_correction_to_first_order():
    """A short filter and delay act as a lag: the two corrections agree to
    second order in it."""
    _, _, mapping = mapping_for(0.5, 4, 0.05)

    def difference(lag):
        exact = chip_loop_correction(mapping, 0.0, 0.05, lag / 2, lag / 2)
        first_order = lead_correction(mapping, -lag, 0.05)
        return np.abs(exact.recurrent_transform - first_order.recurrent_transform).max()

    assert difference(1e-3) / difference(1e-4) == pytest.approx(100, rel=0.05)


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        (dict(decode_tau=-0.01), "decode_tau"),
        (dict(delay=-0.001), "delay"),
        (dict(tau=0), "tau"),
        (dict(lead=[0.001, 0.002]), "lead"),
    ],
)
def test_refuses(kwargs, attr):
    _, _, mapping = mapping_for(0.5, 4, 0.05)
    arguments = {**dict(mapping=mapping, lead=0.0, tau=0.05), **kwargs}
    with pytest.raises(ValidationError) as error:
        chip_loop_correction(**arguments)
    assert error.value.attr == attr


def learning_network(*pres, rule=nengo.PES()):
    """A network with a PES-learned connection from an ensemble of each
    ``(n_neurons, max_rates)``."""
    with nengo.Network() as model:
        for n_neurons, max_rates in pres:
            pre = nengo.Ensemble(n_neurons, 1, max_rates=max_rates)
            nengo.Connection(pre, nengo.Node(size_in=1), learning_rule_type=rule)
    return model


@pytest.mark.parametrize(
    "pres, expected",
    [
        # n * mean rate: 5500 * 2**k spikes/s is nengo_loihi's exponent 4 less k
        ([(100, nengo.dists.Uniform(100, 120))], 3),
        ([(400, nengo.dists.Uniform(100, 120))], 1),
        ([(800, nengo.dists.Choice([110]))], 0),
        ([(1600, nengo.dists.Uniform(200, 240))], -2),
        ([(400, np.full(400, 220.0))], 0),
        # rounded in log2: 2**2.4 and 2**2.6 times
        ([(264, nengo.dists.Choice([110]))], 2),
        ([(303, nengo.dists.Choice([110]))], 1),
        # smaller ensembles keep nengo_loihi's default; the coarsest one counts
        ([(25, nengo.dists.Choice([110]))], 4),
        ([(400, nengo.dists.Choice([110])), (1600, nengo.dists.Choice([110]))], 1),
        # no finer than nengo_loihi accepts
        ([(100 * 2**12, nengo.dists.Choice([110]))], -7),
        # no PES-learned connection from an ensemble
        ([], 4),
    ],
)
def test_pes_wgt_exp(pres, expected):
    assert loihi_pes_wgt_exp(learning_network(*pres)) == expected


def test_pes_wgt_exp_counts_only_pes_from_ensembles():
    # the small ensemble's connections would give nengo_loihi's 4 if counted
    model = learning_network((100, nengo.dists.Choice([110])), rule=None)
    with model:
        small = nengo.Ensemble(100, 1, max_rates=nengo.dists.Choice([110]))
        nengo.Connection(
            small.neurons, small.neurons, transform=0.0, learning_rule_type=nengo.BCM()
        )
        nengo.Connection(
            small.neurons,
            nengo.Node(size_in=1),
            transform=np.zeros((1, 100)),
            learning_rule_type=nengo.PES(),
        )
        with nengo.Network():  # in a subnetwork
            learner = nengo.Ensemble(800, 1, max_rates=nengo.dists.Choice([110]))
            nengo.Connection(learner, small, learning_rule_type=nengo.PES())
    assert loihi_pes_wgt_exp(model) == 0


@pytest.mark.parametrize(
    "increment, tracing_tau, rate",
    [(10.0, 5, 100.0), (69.1, 5, 120.0), (13.8, 20, 110.0), (5.0, 5, 500.0)],
)
def test_pes_trace_peak(increment, tracing_tau, rate):
    # nengo_loihi's emulator: every 2-step epoch, the trace decays by
    # exp(-2 / tau) and gains the increment if its neuron spiked in the epoch
    steps = 20000
    spikes = np.diff(np.floor(np.arange(steps + 1) * rate * DT)) > 0
    trace, peak = 0.0, 0.0
    for epoch in range(steps // 2):
        trace = (
            trace * np.exp(-2 / tracing_tau)
            + increment * spikes[2 * epoch : 2 * epoch + 2].any()
        )
        peak = max(peak, trace)
    # the spikes fall on a step grid: the closed form's period is their mean
    assert np.isclose(pes_trace_peak(increment, tracing_tau, rate, DT), peak, rtol=0.03)


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        (dict(increment=-1.0), "increment"),
        (dict(tracing_tau=0), "tracing_tau"),
        (dict(rate=0.0), "rate"),
        (dict(rate=np.nan), "rate"),
        (dict(dt=-0.001), "dt"),
    ],
)
def test_pes_trace_peak_refuses(kwargs, attr):
    arguments = {**dict(increment=10.0, tracing_tau=5, rate=100.0, dt=DT), **kwargs}
    with pytest.raises(ValidationError) as error:
        pes_trace_peak(**arguments)
    assert error.value.attr == attr
