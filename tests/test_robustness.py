"""Long runs, float32, pickling, determinism and non-finite input.

Figures quoted in comments were measured with the reference simulator.
"""

import copy
import pickle

import nengo
import numpy as np
import pytest

from nengo_lmu import (
    LMU,
    Delay,
    LegendreMemory,
    evaluate_memory,
    impulse_response,
    nrmse,
)

# nengo's Node.__setstate__ warns about every passthrough Node it unpickles
# ("size_out is being overwritten with size_in since output=None"), for any network.
IGNORE_NODE_COPY_WARNING = pytest.mark.filterwarnings(
    "ignore:'Node.size_out' is being overwritten:UserWarning"
)


def rounding_bound(Ad, Bd, state_max, input_max, eps):
    """Bound on the error of ``m[k] = Ad m[k-1] + Bd u[k]`` computed with ``eps``.

    One step rounds ``Ad``, ``Bd``, ``u`` and the dot products of ``order + 1``
    terms, an error of at most ``(order + 2) eps (|Ad| max|m| + |Bd| max|u|)``
    (the usual bound for a dot product, plus the operands' rounding). The stable
    recurrence passes each step's error on through ``Ad^k``, so over any number of
    steps the error is at most that times ``sum_k ||Ad^k||``.
    """
    gain, power = 0.0, np.eye(len(Ad))
    while np.abs(power).max() > 1e-20:
        gain += np.abs(power).sum(axis=1).max()
        power = Ad @ power
    step = (len(Ad) + 2) * eps
    step *= np.abs(Ad).sum(axis=1).max() * state_max + np.abs(Bd).max() * input_max
    return gain * step


def memory_model(memory, process, seed=0):
    """A model feeding ``process`` to ``memory``, with probes on both."""
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(process, size_out=memory.size_in)
        model.add(memory)
        nengo.Connection(stim, memory.input, synapse=None)
        model.stim_probe = nengo.Probe(stim)
        model.output_probe = nengo.Probe(memory.output)
    return model


def recurrence(inputs, Ad, Bd, initial=None):
    """States of ``m[k] = Ad m[k-1] + Bd u[k]`` from ``m[-1] = initial``, in numpy."""
    states = evaluate_memory(inputs, Ad, Bd, method="recurrence")
    if initial is not None:
        # plus the free response Ad^(k+1) initial, by linearity
        states += impulse_response(Ad, (Ad @ initial)[:, None], len(inputs))
    return states


@pytest.mark.unsupported_on(
    "nengo_ocl", reason="10^6 steps take over 10 minutes on a CPU OpenCL platform"
)
@pytest.mark.slow
def test_exact_memory_million_steps(Simulator, rng):
    """10^6 steps of the exact memory equal the numpy recurrence, and stay bounded.

    Measured: max |simulated - recurrence| 8.3e-16 over all 10^6 steps (states up
    to 0.44; tolerance 1.4e-11), from 6.7e-16 to 8.3e-16 in each 10^5 steps, with
    no trend; about 40 s on the reference simulator.
    """
    theta, order, n_steps, chunk = 0.5, 12, 1_000_000, 100_000
    inputs = rng.uniform(-1, 1, size=(n_steps, 1))
    memory = LegendreMemory(theta, order, add_to_container=False)
    model = memory_model(memory, nengo.processes.PresentInput(inputs, memory.dt))

    # |m_i[k]| <= max|u| sum_j |H_ji| for the impulse response H (its l1 norm;
    # H is below 1e-100 after 60 theta, and the margin covers rounding)
    response = impulse_response(memory.Ad, memory.Bd, int(60 * theta / memory.dt))
    bound = np.abs(response).sum(axis=0) * (1 + 1e-9)

    errors, state = [], None
    with Simulator(model, dt=memory.dt) as sim:
        # Checked in chunks, clearing the probes, so memory use stays small.
        for start in range(0, n_steps, chunk):
            sim.run_steps(chunk)
            rows = slice(start, start + chunk)
            if hasattr(sim, "clear_probes"):
                output = sim.data[model.output_probe]
                stim = sim.data[model.stim_probe]
                sim.clear_probes()
            else:
                output = sim.data[model.output_probe][rows]
                stim = sim.data[model.stim_probe][rows]
            # the recurrence gets the input the simulator presented (the same as
            # `inputs` in float64; nengo's PresentInput skips samples in float32)
            expected = recurrence(stim, memory.Ad, memory.Bd, state)
            state = expected[-1]
            assert np.all(np.abs(stim) <= 1)
            assert np.all(np.abs(output) <= bound)
            errors.append(np.abs(output - expected).max())
    tolerance = rounding_bound(
        memory.Ad, memory.Bd, bound.max(), 1.0, np.finfo(output.dtype).eps
    )
    assert max(errors) <= tolerance
    assert sim.n_steps == n_steps


@pytest.mark.slow
def test_neural_memory_does_not_drift(Simulator, seed, plt, allclose):
    """10^5 steps of a spiking memory: the same error in the last 10 s as the first.

    The input is periodic (10 s), so every period should look the same. Measured
    (seed 3): NRMSE against the exact memory 0.228 in the first period and 0.227 in
    the last, rms per dimension within 1%; about 20 s.
    """
    period, n_periods, dt = 10.0, 10, 0.001
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(period, high=5, rms=0.3))
        exact = LegendreMemory(0.1, 4)
        neural = LegendreMemory(0.1, 4, n_neurons=100, neuron_type=nengo.LIF())
        nengo.Connection(stim, exact.input, synapse=None)
        nengo.Connection(stim, neural.input, synapse=None)
        exact_probe = nengo.Probe(exact.output)
        neural_probe = nengo.Probe(neural.output)
    with Simulator(model, dt=dt) as sim:
        sim.run_steps(int(round(n_periods * period / dt)))
    # the neural memory's output is its synaptic state: one step late
    expected, actual = sim.data[exact_probe][:-1], sim.data[neural_probe][1:]
    assert np.all(np.isfinite(actual))

    steps = int(round(period / dt))
    errors, rms = [], []
    for i in range(n_periods):
        rows = slice(i * steps, (i + 1) * steps - 1)
        errors.append(nrmse(actual[rows], expected[rows], axis=None))
        rms.append(np.sqrt(np.mean(actual[rows] ** 2, axis=0)))
    errors, rms = np.array(errors), np.array(rms)
    exact_rms = np.sqrt(np.mean(expected[:steps] ** 2, axis=0))
    plt.plot(errors, "o-")
    plt.xlabel("period")
    plt.ylabel("NRMSE against the exact memory")

    assert errors.max() < 0.35
    assert errors[-1] < 1.1 * errors[0]
    # no trend: the last period is like the first, in every dimension
    assert allclose(rms[-1], rms[0], rtol=0.05)
    # and the well-represented dimensions have the exact memory's rms
    assert allclose(rms[-1][:3], exact_rms[:3], rtol=0.1)


def run_in_precision(Simulator, make_model, duration, bits):
    """Probed data of ``make_model()`` simulated with nengo's precision ``bits``.

    The precision (an rc setting read when a simulator is built) is restored
    afterwards, also when the run fails.
    """
    previous = nengo.rc.get("precision", "bits")
    nengo.rc.set("precision", "bits", bits)
    try:
        model, probes = make_model()
        with Simulator(model) as sim:
            sim.run(duration)
        return [sim.data[probe] for probe in probes]
    finally:
        nengo.rc.set("precision", "bits", previous)


@pytest.mark.unsupported_on(
    "nengo_ocl", reason="it computes in float32 whatever nengo's precision setting"
)
def test_exact_memory_float32(Simulator, rng):
    """In float32 the exact memory stays within the rounding bound of float64.

    Each run is compared with the float64 recurrence on the input it was given.
    Measured: 3.8e-7 in float32 (states up to 0.64), against a bound of 1.4e-4;
    3.9e-16 in float64, against 2.1e-13.
    """
    inputs = rng.uniform(-1, 1, size=(5000, 1))

    def make_model():
        memory = LegendreMemory(0.1, 6, add_to_container=False)
        model = memory_model(memory, nengo.processes.PresentInput(inputs, 0.001))
        make_model.memory = memory
        return model, [model.stim_probe, model.output_probe]

    errors = {}
    for bits in ("64", "32"):
        stim, output = run_in_precision(Simulator, make_model, 5.0, bits)
        memory = make_model.memory
        assert output.dtype == np.dtype(f"float{bits}")
        expected = recurrence(stim.astype(float), memory.Ad, memory.Bd)
        errors[bits] = np.abs(output - expected).max()
        tolerance = rounding_bound(
            memory.Ad,
            memory.Bd,
            np.abs(expected).max(),
            1.0,
            np.finfo(output.dtype).eps,
        )
        assert errors[bits] <= tolerance
    # float32 is rounding, not a different memory: about 1e9 times the float64 error
    assert errors["32"] > errors["64"]
    assert nengo.rc.float_dtype == np.float64  # restored


def neural_pair(neuron_type, seed):
    def make_model():
        with nengo.Network(seed=seed) as model:
            stim = nengo.Node(nengo.processes.WhiteSignal(2.0, high=5, rms=0.3))
            exact = LegendreMemory(0.1, 4)
            neural = LegendreMemory(0.1, 4, n_neurons=100, neuron_type=neuron_type)
            nengo.Connection(stim, exact.input, synapse=None)
            nengo.Connection(stim, neural.input, synapse=None)
            probes = [nengo.Probe(exact.output), nengo.Probe(neural.output)]
        return model, probes

    return make_model


def test_neural_memory_float32_rate(Simulator, seed):
    """Rate neurons in float32 give the float64 output to rounding error.

    The memory's own error (its decoders) is about 5e-3 NRMSE; float32 rounding
    (eps 6e-8), amplified by the recurrence's gain (about 120 for this memory), is
    below 1e-5. Measured: 8e-7 to 1e-6 (own error 3e-3 to 7e-3). A tolerance of
    1e-4 is far above rounding, and below a tenth of the memory's own error.
    """
    make_model = neural_pair(nengo.LIFRate(), seed)
    exact64, neural64 = run_in_precision(Simulator, make_model, 2.0, "64")
    exact32, neural32 = run_in_precision(Simulator, make_model, 2.0, "32")
    assert neural32.dtype == np.float32
    settled = slice(300, None)
    own_error = nrmse(neural64[1:][settled], exact64[:-1][settled], axis=None)
    change = nrmse(neural32[settled], neural64[settled], axis=None)
    assert change < min(1e-4, own_error / 10)


def test_neural_memory_float32_spiking(Simulator, seed):
    """Spiking neurons in float32 are as accurate as in float64.

    Rounding moves spikes by a step now and then, so the two runs differ by spike
    noise (measured NRMSE 0.18 between them); their errors against the exact
    memory agree (measured 0.196 and 0.194; with another seed 0.143 and 0.139).
    """
    make_model = neural_pair(nengo.LIF(), seed)
    errors = []
    for bits in ("64", "32"):
        exact, neural = run_in_precision(Simulator, make_model, 2.0, bits)
        assert np.all(np.isfinite(neural))
        errors.append(nrmse(neural[1:][300:], exact[:-1][300:], axis=None))
    assert errors[1] == pytest.approx(errors[0], rel=0.25)


def learning_lmu_model(neuron_type, seed, duration):
    """An LMU learning a delay with PES, and its probes."""
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(duration, high=5, rms=0.3))
        lmu = LMU(
            0.5,
            6,
            100,
            size_out=1,
            neuron_type=neuron_type,
            learning_rule_type=nengo.PES(1e-3),
            radius=0.6,
        )
        target = nengo.Node(Delay(0.25))
        nengo.Connection(stim, lmu.input, synapse=None)
        nengo.Connection(stim, target, synapse=None)
        nengo.Connection(lmu.output, lmu.error, synapse=None)
        nengo.Connection(target, lmu.error, transform=-1, synapse=None)
        probes = [nengo.Probe(lmu.output), nengo.Probe(target)]
    return model, probes


def test_lmu_float32(Simulator, seed):
    """A learning rate LMU in float32 gives the float64 output to rounding error.

    Measured: NRMSE 4e-6 between them after 2 s of PES learning.
    """
    make_model = lambda: learning_lmu_model(nengo.RectifiedLinear(), seed, 2.0)
    output64, target64 = run_in_precision(Simulator, make_model, 2.0, "64")
    output32, target32 = run_in_precision(Simulator, make_model, 2.0, "32")
    assert output32.dtype == np.float32
    assert np.abs(output64).max() > 0.01
    assert nrmse(output32, output64, axis=None) < 1e-4
    assert np.allclose(target32, target64, atol=1e-6)


def networks():
    """One network of each kind, for copying and pickling."""
    return {
        "exact": lambda: LegendreMemory(
            0.1, 4, size_in=2, label="exact", add_to_container=False
        ),
        "neural": lambda: LegendreMemory(
            0.1,
            4,
            n_neurons=30,
            neuron_type=nengo.LIF(),
            label="neural",
            add_to_container=False,
        ),
        "lmu": lambda: LMU(
            0.1,
            4,
            30,
            size_out=1,
            learning_rule_type=nengo.PES(1e-3),
            memory_neurons=20,
            label="lmu",
            add_to_container=False,
        ),
    }


COPIES = {
    "deepcopy": copy.deepcopy,
    "copy method": lambda network: network.copy(add_to_container=False),
    "pickle": lambda network: pickle.loads(pickle.dumps(network)),
}


def simulate_network(Simulator, network, seed, duration=0.2, **simulator_kwargs):
    """Outputs of ``network`` fed white noise (and its error fed the output)."""
    size_in = network.input.size_out
    with nengo.Network(seed=seed) as model:
        # the input has its own seed: only the network depends on the model's
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=5, rms=0.3, seed=1))
        model.add(network)
        for i in range(size_in):
            nengo.Connection(stim, network.input[i], synapse=None)
        if getattr(network, "error", None) is not None:
            nengo.Connection(network.output, network.error, synapse=None)
            nengo.Connection(stim, network.error, transform=-1, synapse=None)
        probe = nengo.Probe(network.output)
    with Simulator(model, **simulator_kwargs) as sim:
        sim.run(duration)
    return sim.data[probe]


# Nengo's optimiser merges operators in an order that varies from build to build,
# so signals that sum several connections (a neural memory's state) can differ by
# rounding (measured 1.7e-16) between two builds of the same model, whatever the
# seed; without the optimiser, two builds compute bit for bit the same.
BUILD_ROUNDING = 1e-12


def build_rounding(result):
    """`BUILD_ROUNDING`, or float32 rounding (1e-5 of the range) for simulators
    that compute in float32 (nengo_ocl, whose kernels may also sum in another
    order from build to build)."""
    if result.dtype == np.float64:
        return BUILD_ROUNDING
    return 1e-5 * max(np.abs(result).max(), 1.0)


@IGNORE_NODE_COPY_WARNING
@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("kind", list(networks()))
def test_network_copies(Simulator, seed, allclose, kind, how):
    """Copies keep every parameter and array, and simulate exactly like originals."""
    original = networks()[kind]()
    duplicate = COPIES[how](original)
    for name in ("theta", "order", "dt", "label", "seed"):
        assert getattr(duplicate, name) == getattr(original, name)
    memory = original.memory if kind == "lmu" else original
    memory_copy = duplicate.memory if kind == "lmu" else duplicate
    for name in ("size_in", "n_neurons", "radius"):
        assert getattr(memory_copy, name) == getattr(memory, name)
    for name in ("Ad", "Bd", "T", "T_inv"):
        assert np.array_equal(getattr(memory_copy, name), getattr(memory, name))
    assert len(duplicate.all_objects) == len(original.all_objects)
    if kind == "lmu":
        assert duplicate.error is not None
        assert duplicate.error in duplicate.all_nodes
        assert np.array_equal(
            duplicate.weight_connections["W_m"].transform.init,
            original.weight_connections["W_m"].transform.init,
        )
    # the copy is readonly like the original
    with pytest.raises(nengo.exceptions.ReadonlyError):
        duplicate.theta = 1.0

    expected = simulate_network(Simulator, original, seed)
    actual = simulate_network(Simulator, duplicate, seed)
    assert np.abs(expected).max() > 0
    assert allclose(actual, expected, rtol=0, atol=build_rounding(expected))
    if Simulator is nengo.Simulator:
        expected = simulate_network(Simulator, original, seed, optimize=False)
        actual = simulate_network(Simulator, duplicate, seed, optimize=False)
        assert np.array_equal(actual, expected)


@IGNORE_NODE_COPY_WARNING
@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("neuron_type", [nengo.Direct(), nengo.RectifiedLinear()])
def test_fitted_lmu_copies(Simulator, present_sequence, rng, neuron_type, how):
    """A copy keeps fitted weights and the hidden layer's kind; its ``predict`` and
    simulation equal the original's."""
    lmu = LMU(
        0.05,
        4,
        20,
        size_out=1,
        neuron_type=neuron_type,
        hidden_to_memory=True,
        seed=1,
        add_to_container=False,
    )
    inputs = rng.uniform(-1, 1, size=(8, 30, 1))
    lmu.fit(inputs, inputs[:, -1] ** 2)
    duplicate = COPIES[how](lmu)
    assert duplicate.linear_hidden == lmu.linear_hidden
    assert duplicate.memory.lag == lmu.memory.lag
    for group in ("encoders", "kernels"):
        original, copied = getattr(lmu, group), getattr(duplicate, group)
        assert original.keys() == copied.keys()
        for name in original:
            assert np.array_equal(copied[name], original[name])
    sequence = rng.uniform(-1, 1, size=(1, 30, 1))
    expected = lmu.predict(sequence)
    assert np.abs(expected).max() > 0
    assert np.array_equal(duplicate.predict(sequence), expected)
    simulated = present_sequence(duplicate, sequence[0])
    atol = 1e-10 if simulated.dtype == np.float64 else 1e-5 * np.abs(expected).max()
    assert np.allclose(simulated, expected[0], rtol=0, atol=atol)


@pytest.mark.parametrize("kind", list(networks()))
def test_same_seed_same_result(Simulator, seed, allclose, kind):
    """The same seed gives the same output; another seed changes neural networks."""
    first = simulate_network(Simulator, networks()[kind](), seed)
    second = simulate_network(Simulator, networks()[kind](), seed)
    assert allclose(first, second, rtol=0, atol=build_rounding(first))
    if Simulator is nengo.Simulator:
        first = simulate_network(Simulator, networks()[kind](), seed, optimize=False)
        second = simulate_network(Simulator, networks()[kind](), seed, optimize=False)
        assert np.array_equal(first, second)
    other = simulate_network(Simulator, networks()[kind](), seed + 1)
    if kind == "exact":
        assert allclose(other, first, rtol=0, atol=build_rounding(first))  # not random
    else:
        assert not np.allclose(other, first, atol=1e-3)


@IGNORE_NODE_COPY_WARNING
@pytest.mark.unsupported_on("nengo_ocl", reason="its simulators cannot be pickled")
def test_simulator_pickle_continues(Simulator, seed, allclose):
    """A pickled simulator continues as the original does.

    The exact memory, the Delay target and the LMU learning from it continue
    bit for bit; a spiking memory continues to 1e-15, because nengo rebuilds an
    unpickled simulator's step functions without its optimiser (``optimize=False``),
    which sums some terms in another order.
    """
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=5, rms=0.3))
        exact = LegendreMemory(0.1, 4)
        neural = LegendreMemory(0.1, 4, n_neurons=50, neuron_type=nengo.LIF())
        lmu = LMU(0.1, 4, 50, size_out=1, learning_rule_type=nengo.PES(1e-3))
        target = nengo.Node(Delay(0.05))
        for network in (exact, neural, lmu):
            nengo.Connection(stim, network.input, synapse=None)
        nengo.Connection(stim, target, synapse=None)
        nengo.Connection(lmu.output, lmu.error, synapse=None)
        nengo.Connection(target, lmu.error, transform=-1, synapse=None)
        outputs = (exact.output, target, lmu.output, neural.output)
        probes = [nengo.Probe(output) for output in outputs]
    with Simulator(model) as sim:
        sim.run(0.3)
        saved = pickle.dumps(sim)
        sim.run(0.3)
        expected = [sim.data[probe] for probe in probes]
    with pickle.loads(saved) as restored:
        restored.run(0.3)
        assert restored.n_steps == 600
        # the unpickled probes are copies: find them by their place in the model
        actual = [
            restored.data[restored.model.probes[sim.model.probes.index(probe)]]
            for probe in probes
        ]
    for output, result in zip(expected, actual):
        assert result.shape == output.shape == (600, output.shape[1])
    exact_out, delay_out, lmu_out, neural_out = zip(expected, actual)
    assert np.array_equal(*exact_out)
    assert np.array_equal(*delay_out)
    assert np.array_equal(*lmu_out)
    assert np.abs(lmu_out[0]).max() > 0
    assert allclose(*neural_out, rtol=0, atol=BUILD_ROUNDING)


@pytest.mark.unsupported_on(
    "nengo_ocl", reason="reset() keeps the state of processes run on the host"
)
def test_delay_state_is_reset(Simulator):
    """The Delay's buffer is simulator state: ``reset`` empties it."""
    with nengo.Network() as model:
        stim = nengo.Node(lambda t: 1.0 + t)
        delayed = nengo.Node(Delay(0.005))
        nengo.Connection(stim, delayed, synapse=None)
        probe = nengo.Probe(delayed)
    with Simulator(model) as sim:
        sim.run_steps(20)
        first = sim.data[probe].copy()
        sim.reset()
        sim.run_steps(20)
    assert np.all(first[:5] == 0)
    assert np.array_equal(sim.data[probe], first)


def non_finite_model(network, bad_value, bad_step, n_steps):
    """A model that feeds ``network`` 0.5, and ``bad_value`` at one step."""
    inputs = np.full((n_steps, 1), 0.5)
    inputs[bad_step] = bad_value
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(nengo.processes.PresentInput(inputs, 0.001))
        model.add(network)
        nengo.Connection(stim, network.input, synapse=None)
        memory = network.memory if isinstance(network, LMU) else network
        model.memory_probe = nengo.Probe(memory.output)
        model.output_probe = nengo.Probe(network.output)
        if isinstance(network, LMU):
            model.hidden_probe = nengo.Probe(network.hidden.neurons)
    return model


NON_FINITE_NETWORKS = {
    # name: (network, step at which the memory state first holds the bad input)
    "exact": (lambda: LegendreMemory(0.1, 4, add_to_container=False), 0),
    "LIF": (
        lambda: LegendreMemory(
            0.1, 4, n_neurons=20, neuron_type=nengo.LIF(), add_to_container=False
        ),
        1,
    ),
    "LIFRate": (
        lambda: LegendreMemory(
            0.1, 4, n_neurons=20, neuron_type=nengo.LIFRate(), add_to_container=False
        ),
        1,
    ),
}


@pytest.mark.parametrize("kind", list(NON_FINITE_NETWORKS))
def test_nan_input_stays_in_memory(Simulator, kind):
    """A NaN input makes the memory state NaN from then on (docs/robustness.rst).

    The exact memory holds it from the step it arrives, a neural memory (whose
    output is its synaptic state) one step later; finite input afterwards does not
    clear it, since NaN times anything is NaN.
    """
    make, lag = NON_FINITE_NETWORKS[kind]
    bad_step, n_steps = 10, 100
    model = non_finite_model(make(), np.nan, bad_step, n_steps)
    with Simulator(model) as sim:
        sim.run_steps(n_steps)
    memory = sim.data[model.memory_probe]
    assert np.all(np.isfinite(memory[: bad_step + lag]))
    assert np.all(np.isnan(memory[bad_step + lag :]))


@pytest.mark.parametrize("kind", list(NON_FINITE_NETWORKS))
def test_inf_input(Simulator, kind):
    """An infinite input stops nengo's simulator with FloatingPointError.

    Nengo's reference simulator raises on invalid operations; once the memory
    state holds +inf and -inf (the input matrix has both signs), the recurrent
    transform computes inf - inf. That happens in the step the inf reaches the
    state, before its probes are recorded. A backend that does not trap
    floating-point errors gets NaN from then on instead.
    """
    make, lag = NON_FINITE_NETWORKS[kind]
    bad_step, n_steps = 10, 100
    model = non_finite_model(make(), np.inf, bad_step, n_steps)
    with Simulator(model) as sim:
        try:
            sim.run_steps(n_steps)
        except FloatingPointError as error:
            assert "invalid value" in str(error)
            raised = True
        else:
            raised = False
        memory = sim.data[model.memory_probe]
    if Simulator is nengo.Simulator:
        assert raised
    if raised:
        assert len(memory) == bad_step + lag
        assert np.all(np.isfinite(memory))
    else:
        assert np.all(np.isfinite(memory[: bad_step + lag]))
        assert not np.any(np.isfinite(memory[bad_step + lag + 1 :]))


@pytest.mark.unsupported_on(
    "nengo_ocl", reason="reset() fails on this model (a strides assertion)"
)
def test_nan_memory_recovers_after_reset(Simulator):
    """``sim.reset()`` clears a memory that NaN input has filled."""
    model = non_finite_model(
        LegendreMemory(0.1, 4, add_to_container=False), np.nan, 10, 20
    )
    with Simulator(model) as sim:
        sim.run_steps(20)
        first = sim.data[model.memory_probe].copy()
        assert np.all(np.isnan(first[-1]))
        sim.reset()
        sim.run_steps(10)  # up to the NaN again
        assert np.array_equal(sim.data[model.memory_probe], first[:10])


@pytest.mark.parametrize(
    "neuron_type, hidden_nan",
    [
        pytest.param(
            nengo.RectifiedLinear(),
            True,
            marks=pytest.mark.unsupported_on(
                "nengo_ocl", reason="its RectifiedLinear outputs 0 for a NaN current"
            ),
        ),
        (nengo.LIF(), False),
    ],
)
def test_lmu_nan_input(Simulator, neuron_type, hidden_nan):
    """In an LMU, NaN fills the memory; the output depends on the neuron type.

    Neuron types whose rates propagate NaN (RectifiedLinear, Tanh) make the output
    NaN. Nengo's LIF and LIFRate go silent on NaN current instead, so the output
    decays to zero and stays finite: check the memory, not the output.
    """
    lmu = LMU(
        0.1,
        4,
        20,
        size_out=1,
        neuron_type=neuron_type,
        kernels=dict(output=np.ones((1, 20))),
        add_to_container=False,
    )
    model = non_finite_model(lmu, np.nan, 10, 100)
    with Simulator(model) as sim:
        sim.run_steps(100)
    assert np.all(np.isnan(sim.data[model.memory_probe][10:]))
    output, hidden = sim.data[model.output_probe], sim.data[model.hidden_probe]
    assert np.all(np.isfinite(output[:10]))
    if hidden_nan:
        assert np.all(np.isnan(output[10:]))
    else:
        assert np.all(np.isfinite(output))
        assert np.all(hidden[12:] == 0)
        assert np.abs(output[-1]).max() < 1e-3 * np.abs(output[:10]).max()
