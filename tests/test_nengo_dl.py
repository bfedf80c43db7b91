"""NengoDL simulates the networks as the reference simulator does.

Skipped unless nengo_dl is installed (it needs its own environment: see
``.ci/nengo_dl.sh``). Each network runs in ``nengo.Simulator`` and in
``nengo_dl.Simulator`` on the same input; rate networks must agree to a relative
tolerance (max abs difference over the signal's max abs), spiking ones in their
statistics.

NengoDL computes in float32 by default, and the tests use that default: it is
what users get. Measured over 13 seeds (float32 against the float64 reference),
the exact and rate memories and every LMU output agree to 6e-5 relative or
better (ReLU networks to 4e-6), within ``RTOL``. Only the activities of LIFRate
hidden neurons just above threshold, where the rate curve is steepest, differ
by up to 2.3e-4 of the peak rate (a few hundredths of a hertz); their weighted
sums, the outputs, stay within ``RTOL``. In float64 everything agrees to about
1e-13: the differences are rounding only.
"""

import warnings

import nengo
import numpy as np
import pytest

with warnings.catch_warnings():
    # TensorFlow 2.12 imports the deprecated sre_constants module, and NengoDL
    # 3.6 warns that it was not tested with nengo 4: neither is ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", "This version of NengoDL has not been tested")
    nengo_dl = pytest.importorskip("nengo_dl")

from nengo_lmu import LMU, LegendreMemory, legendre_readout, nrmse  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:No GPU support detected:UserWarning")

DT = 0.001
# Agreement required of rate networks in float32, relative to the signal's scale.
RTOL = 1e-4
# LIFRate activities near threshold (see the module docstring).
RTOL_LIF_ACTIVITY = 1e-3
# What float64 must reach: rounding only.
RTOL64 = 1e-10


def white_input(n_steps, d, seed, high=5.0, rms=0.3):
    """The same input array for both simulators."""
    process = nengo.processes.WhiteSignal(n_steps * DT, high=high, rms=rms)
    return process.run_steps(n_steps, d=d, dt=DT, rng=np.random.RandomState(seed))


def run_both(model, n_steps, probes, dtype=None):
    """Probed data from nengo.Simulator and from nengo_dl.Simulator."""
    if dtype is not None:
        with model:
            nengo_dl.configure_settings(dtype=dtype)
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run_steps(n_steps)
        reference = {name: sim.data[probe] for name, probe in probes.items()}
    with nengo_dl.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run_steps(n_steps)
        dl = {name: sim.data[probe] for name, probe in probes.items()}
    return reference, dl


def relative_difference(reference, other):
    assert reference.shape == other.shape
    scale = np.abs(reference).max()
    assert scale > 0
    return np.abs(np.asarray(other, dtype=float) - reference).max() / scale


def lmu_model(seed, neuron_type, options, n_steps=1000):
    """An LMU with exact memory, given weights for every included connection."""
    size_in, memory_d, order, n_hidden, size_out = 2, 2, 6, 40, 3
    rng = np.random.RandomState(seed)
    encoders, kernels = {}, {}
    if options.get("hidden_to_memory"):
        encoders["hidden"] = rng.normal(scale=1e-4, size=(memory_d, n_hidden))
    if options.get("memory_to_memory"):
        encoders["memory"] = rng.normal(scale=0.05, size=(memory_d, memory_d * order))
    if options.get("hidden_to_hidden"):
        kernels["hidden"] = rng.normal(scale=1e-4, size=(n_hidden, n_hidden))
    kernels["output"] = rng.normal(scale=0.01, size=(size_out, n_hidden))
    x = white_input(n_steps, size_in, seed)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.PresentInput(x, DT))
        lmu = LMU(
            0.1,
            order,
            n_hidden,
            size_in=size_in,
            memory_d=memory_d,
            size_out=size_out,
            neuron_type=neuron_type,
            encoders=encoders,
            kernels=kernels,
            **options,
        )
        nengo.Connection(stim, lmu.input, synapse=None)
        probes = dict(
            output=nengo.Probe(lmu.output),
            hidden=nengo.Probe(lmu.hidden.neurons),
            memory=nengo.Probe(lmu.memory.output),
        )
    return model, probes


ALL_OPTIONS = dict(
    hidden_to_memory=True,
    memory_to_memory=True,
    input_to_hidden=True,
    hidden_to_hidden=True,
)
LMU_CASES = [
    pytest.param(nengo.RectifiedLinear(), {}, id="relu"),
    pytest.param(nengo.RectifiedLinear(), ALL_OPTIONS, id="relu-all"),
    pytest.param(nengo.LIFRate(), {}, id="lifrate"),
    pytest.param(nengo.LIFRate(), ALL_OPTIONS, id="lifrate-all"),
    pytest.param(nengo.LIFRate(), dict(hidden_to_hidden=True), id="lifrate-h2h"),
]


@pytest.mark.parametrize("neuron_type, options", LMU_CASES)
def test_rate_lmu_matches_reference(seed, neuron_type, options):
    model, probes = lmu_model(seed, neuron_type, options)
    reference, dl = run_both(model, 1000, probes)
    # the hidden layer is in its working range, not silent or saturated
    assert 20 < reference["hidden"].mean() < 400
    for name in probes:
        rtol = RTOL
        if name == "hidden" and isinstance(neuron_type, nengo.LIFRate):
            rtol = RTOL_LIF_ACTIVITY
        assert relative_difference(reference[name], dl[name]) < rtol, name


@pytest.mark.parametrize(
    "neuron_type, options",
    [LMU_CASES[1], LMU_CASES[3]],
)
def test_rate_lmu_float64_is_rounding_only(seed, neuron_type, options):
    model, probes = lmu_model(seed, neuron_type, options, n_steps=300)
    reference, dl = run_both(model, 300, probes, dtype="float64")
    for name in probes:
        assert relative_difference(reference[name], dl[name]) < RTOL64, name


def memory_model(seed, n_steps, **memory_options):
    """A two-channel LegendreMemory and a readout of its whole window."""
    order = 6
    x = white_input(n_steps, 2, seed, high=3.0)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.PresentInput(x, DT))
        memory = LegendreMemory(0.2, order, size_in=2, dt=DT, **memory_options)
        nengo.Connection(stim, memory.input, synapse=None)
        delayed = nengo.Node(size_in=2)
        nengo.Connection(
            memory.output,
            delayed,
            transform=np.kron(np.eye(2), legendre_readout(order, 1.0)),
            synapse=None,
        )
        probes = dict(state=nengo.Probe(memory.output), delayed=nengo.Probe(delayed))
    return model, probes, x, memory


@pytest.mark.parametrize(
    "memory_options",
    [
        pytest.param({}, id="exact"),
        pytest.param(dict(n_neurons=100, neuron_type=nengo.LIFRate()), id="lifrate"),
        pytest.param(
            dict(n_neurons=100, neuron_type=nengo.RectifiedLinear()), id="relu"
        ),
    ],
)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_memory_matches_reference(seed, memory_options, dtype):
    model, probes, _, _ = memory_model(seed, 1000, **memory_options)
    reference, dl = run_both(model, 1000, probes, dtype=dtype)
    rtol = RTOL if dtype is None else RTOL64
    for name in probes:
        assert relative_difference(reference[name], dl[name]) < rtol, name


def test_spiking_statistics_match(seed):
    """Spiking LIF memory and hidden layer: same rates and delay accuracy.

    Spike times depend on rounding, so the two simulators' spike trains part
    after a while; what must agree is what they compute.
    """
    n_steps = 3000
    model, probes, x, memory = memory_model(
        seed, n_steps, n_neurons=100, neuron_type=nengo.LIF()
    )
    with model:
        lmu = LMU(0.2, 6, 100, size_in=2, memory_d=2, neuron_type=nengo.LIF())
        nengo.Connection(memory.input, lmu.input, synapse=None)
        probes["spikes"] = nengo.Probe(lmu.hidden.neurons)
        probes["memory_spikes"] = nengo.Probe(memory.ensembles[0].neurons)
    reference, dl = run_both(model, n_steps, probes)

    settled = slice(int(0.4 / DT), None)
    target = np.roll(x, int(0.2 / DT), axis=0)[settled]
    errors = {
        name: nrmse(data["delayed"][settled], target, axis=None)
        for name, data in [("nengo", reference), ("nengo_dl", dl)]
    }
    # a spiking order-6 memory of 600 neurons per channel: NRMSE ~0.2-0.3
    assert errors["nengo"] < 0.5 and errors["nengo_dl"] < 0.5
    assert abs(errors["nengo"] - errors["nengo_dl"]) < 0.02

    for name in ["spikes", "memory_spikes"]:
        rate_reference = reference[name].mean(axis=0)
        rate_dl = dl[name].mean(axis=0)
        assert rate_reference.mean() > 10
        assert abs(rate_dl.mean() / rate_reference.mean() - 1) < 0.02, name
        # per neuron, the rates agree to a few spikes over the run
        assert np.abs(rate_dl - rate_reference).max() < 5 / (n_steps * DT), name


@pytest.mark.parametrize(
    "memory_options",
    [pytest.param({}, id="exact"), pytest.param(dict(n_neurons=20), id="lif")],
)
@pytest.mark.parametrize("simulator_dt", [0.002, 0.0011, DT * (1 + 1e-5)])
def test_other_dt_refused(memory_options, simulator_dt):
    with nengo.Network() as model:
        LegendreMemory(0.1, 4, dt=DT, label="memory", **memory_options)
    # NengoDL sets nengo's precision to 32 bits while it builds, and leaves it
    # there when building fails.
    precision = nengo.rc.get("precision", "bits")
    try:
        with pytest.raises(nengo.exceptions.ValidationError) as error:
            nengo_dl.Simulator(model, dt=simulator_dt, progress_bar=False)
    finally:
        nengo.rc.set("precision", "bits", precision)
    assert f"the simulator's dt={simulator_dt!r} differs from the dt=0.001 " in str(
        error.value
    )


def test_float32_dt_runs(seed):
    x = white_input(200, 1, seed)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.PresentInput(x, DT))
        memory = LegendreMemory(0.1, 4, dt=np.float32(DT))
        nengo.Connection(stim, memory.input, synapse=None)
        probes = dict(state=nengo.Probe(memory.output))
    reference, dl = run_both(model, 200, probes)
    assert relative_difference(reference["state"], dl["state"]) < RTOL
