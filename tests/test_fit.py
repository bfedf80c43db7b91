"""The numpy reference of the LMU cell (`evaluate_cell`, `LMU.predict`) and
offline fitting of the output weights (`LMU.fit`)."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LMU, discretize, evaluate_cell, legendre_delay
from nengo_lmu.discretize import loop_transfer_function
from nengo_lmu.networks.lmu import (
    WHITENING_SAMPLES,
    data_normalisations,
    ridge_fit,
    spike_noise_variance,
    whitening,
)

DT = 0.001


def cell_by_loop(x, Ad, Bd, weights, f, lowpass_a, memory_delay):
    """The cell written out step by step, with a first-order feedback filter
    y[k] = a y[k-1] + (1 - a) v[k-1]."""
    n_steps = len(x)
    memory_d = len(weights["e_x"])
    n_hidden = len(weights["W_m"])
    m = np.zeros((memory_d, len(Ad)))
    seen = [np.zeros(m.size)] * (memory_delay + 1)
    h_filtered, m_filtered = np.zeros(n_hidden), np.zeros(m.size)
    h_previous, m_previous = np.zeros(n_hidden), np.zeros(m.size)
    hidden = []
    for k in range(n_steps):
        h_filtered = lowpass_a * h_filtered + (1 - lowpass_a) * h_previous
        m_filtered = lowpass_a * m_filtered + (1 - lowpass_a) * m_previous
        u = (
            weights["e_x"] @ x[k]
            + weights["u_bias"]
            + weights["e_h"] @ h_filtered
            + weights["e_m"] @ m_filtered
        )
        for c in range(memory_d):
            m[c] = Ad @ m[c] + Bd[:, 0] * u[c]
        seen.append(m.ravel().copy())
        m_seen = seen.pop(1) if memory_delay else seen[-1]
        h = f(
            weights["W_m"] @ m_seen
            + weights["W_x"] @ x[k]
            + weights["W_h"] @ h_filtered
            + weights["bias"]
        )
        hidden.append(h)
        h_previous, m_previous = h, m_seen
    return np.array(hidden)


@pytest.mark.parametrize("memory_delay", [0, 1])
def test_evaluate_cell_against_loop(memory_delay, rng):
    order, memory_d, size_in, n_hidden = 5, 2, 3, 7
    Ad, Bd = discretize(*legendre_delay(20.0, order), dt=1.0)
    shapes = dict(
        e_x=(memory_d, size_in),
        u_bias=(memory_d,),
        e_h=(memory_d, n_hidden),
        e_m=(memory_d, memory_d * order),
        W_m=(n_hidden, memory_d * order),
        W_x=(n_hidden, size_in),
        W_h=(n_hidden, n_hidden),
        bias=(n_hidden,),
    )
    weights = {name: 0.3 * rng.standard_normal(shape) for name, shape in shapes.items()}
    x = rng.standard_normal((2, 80, size_in))
    synapse = nengo.Lowpass(0.004)
    a = np.exp(-DT / synapse.tau)

    hidden, memory = evaluate_cell(
        x,
        Ad,
        Bd,
        weights,
        np.tanh,
        feedback=loop_transfer_function(synapse, DT),
        memory_delay=memory_delay,
    )
    for i in range(2):
        expected = cell_by_loop(x[i], Ad, Bd, weights, np.tanh, a, memory_delay)
        assert np.allclose(hidden[i], expected, atol=1e-12)
    assert memory.shape == (2, 80, memory_d * order)


def test_evaluate_cell_feedforward_paths_agree(rng):
    """Without feedback the memory comes from `evaluate_memory` (FFT or
    recurrence) and matches the step-by-step loop."""
    Ad, Bd = discretize(*legendre_delay(30.0, 8), dt=1.0)
    weights = dict(
        e_x=rng.standard_normal((2, 1)),
        W_m=rng.standard_normal((6, 16)) * 0.3,
        W_x=rng.standard_normal((6, 1)),
        bias=rng.standard_normal(6),
    )
    x = rng.standard_normal((3, 100, 1))
    relu = lambda J: np.maximum(J, 0)  # noqa: E731
    fft, _ = evaluate_cell(x, Ad, Bd, weights, relu, method="fft")
    recurrence, _ = evaluate_cell(x, Ad, Bd, weights, relu, method="recurrence")
    zero = {name: np.zeros((2, 6)) for name in ("e_h",)}
    looped, _ = evaluate_cell(x, Ad, Bd, {**weights, **zero}, relu)
    assert np.allclose(fft, recurrence, atol=1e-12)
    assert np.allclose(fft, looped, atol=1e-12)
    unbatched, _ = evaluate_cell(x[1], Ad, Bd, weights, relu)
    assert np.allclose(unbatched, fft[1])


def test_evaluate_cell_bad_input():
    Ad, Bd = discretize(*legendre_delay(10.0, 3), dt=1.0)
    good = dict(e_x=np.ones((1, 1)), W_m=np.ones((2, 3)))
    x = np.ones((5, 1))
    with pytest.raises(ValidationError, match="weights\\['W_m'\\]"):
        evaluate_cell(x, Ad, Bd, dict(good, W_m=np.ones((2, 4))), np.tanh)
    with pytest.raises(ValidationError, match="unknown keys"):
        evaluate_cell(x, Ad, Bd, dict(good, W_q=1), np.tanh)
    with pytest.raises(ValidationError, match="needs 'e_x'"):
        evaluate_cell(x, Ad, Bd, dict(W_m=good["W_m"]), np.tanh)
    with pytest.raises(ValidationError, match="strictly proper"):
        evaluate_cell(x, Ad, Bd, good, np.tanh, feedback=([1.0], [1.0]))
    with pytest.raises(ValidationError, match="inputs"):
        evaluate_cell(np.full((5, 1), np.nan), Ad, Bd, good, np.tanh)
    with pytest.raises(ValidationError, match="memory_delay"):
        evaluate_cell(x, Ad, Bd, good, np.tanh, memory_delay=-1)


NETWORKS = {
    "rate, exact memory": dict(neuron_type=nengo.RectifiedLinear()),
    "all connections": dict(
        neuron_type=nengo.RectifiedLinear(),
        hidden_to_memory=True,
        memory_to_memory=True,
        input_to_hidden=True,
        hidden_to_hidden=True,
    ),
    "LIFRate, lowpass synapses": dict(
        neuron_type=nengo.LIFRate(), synapse=0.005, hidden_to_memory=True
    ),
    "linear hidden layer": dict(neuron_type=nengo.Direct(), hidden_to_hidden=True),
    "memory bias, two channels": dict(
        neuron_type=nengo.Sigmoid(),
        memory_d=2,
        size_in=2,
        encoders={"bias": [0.3, -0.2]},
    ),
}


def simulation_tolerance(simulated, expected):
    """1e-10, or float32 rounding (1e-5 of the signal's range) for simulators
    that compute in float32 (nengo_ocl)."""
    if simulated.dtype == np.float64:
        return 1e-10
    return 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_predict_equals_simulation(present_sequence, name, seed, rng, allclose):
    options = dict(NETWORKS[name])
    size_in = options.pop("size_in", 1)
    network = LMU(
        0.03,
        5,
        25,
        size_in=size_in,
        size_out=2,
        seed=seed,
        **options,
        add_to_container=False,
    )
    # small random recurrent weights, so that every path carries signal
    encoders, kernels = network.encoders, network.kernels
    for key in ("hidden", "memory"):
        if key in encoders:
            encoders[key] = 0.01 * rng.standard_normal(encoders[key].shape)
    if "hidden" in kernels:
        kernels["hidden"] = 0.02 * rng.standard_normal(kernels["hidden"].shape)
    kernels["output"] = 0.01 * rng.standard_normal(kernels["output"].shape)
    lmu = LMU(
        0.03,
        5,
        25,
        size_in=size_in,
        size_out=2,
        seed=seed,
        **{**options, "encoders": encoders, "kernels": kernels},
        add_to_container=False,
    )
    inputs = rng.uniform(-1, 1, size=(1, 150, size_in))
    expected = lmu.predict(inputs)[0]
    assert np.std(expected) > 1e-3
    simulated = present_sequence(lmu, inputs[0])
    assert allclose(simulated, expected, atol=simulation_tolerance(simulated, expected))


def delay_task(rng, n_seqs=30, n_steps=200, delay=20):
    inputs = np.cumsum(rng.standard_normal((n_seqs, n_steps, 1)), axis=1) * 0.05
    targets = np.zeros_like(inputs)
    targets[:, delay:] = inputs[:, :-delay]
    return inputs, targets


def test_fit_reproduced_in_simulation(present_sequence, seed, rng, allclose):
    lmu = LMU(
        0.05,
        8,
        150,
        size_out=1,
        neuron_type=nengo.LIFRate(),
        seed=seed,
        add_to_container=False,
    )
    inputs, targets = delay_task(rng)
    info = lmu.fit(inputs, targets)
    predicted = lmu.predict(inputs)
    error = np.sqrt(np.mean((predicted - targets) ** 2)) / np.std(targets)
    assert error < 0.2  # the untrained (zero) output weights give 1.0
    assert np.allclose(info["rmses"], np.sqrt(np.mean((predicted - targets) ** 2)))
    assert allclose(lmu.kernels["output"], lmu.weight_connections["W_y"].transform.init)
    simulated = present_sequence(lmu, inputs[0])
    assert allclose(
        simulated, predicted[0], atol=simulation_tolerance(simulated, predicted[0])
    )


def test_refit_after_simulator_built(present_sequence, seed, rng, allclose):
    """Simulators built after a refit get the new weights (and the hidden layer
    drawn from the new data); one built before keeps the old ones."""
    lmu = LMU(0.05, 6, 60, size_out=1, neuron_type=nengo.RectifiedLinear(), seed=seed)
    inputs, targets = delay_task(rng, n_seqs=10, n_steps=100)
    lmu.fit(inputs, targets)
    before = lmu.predict(inputs[:1])[0]
    with nengo.Network() as model:
        model.add(lmu)
        stimulus = nengo.Node(nengo.processes.PresentInput(inputs[0], DT))
        nengo.Connection(stimulus, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output, synapse=None)
    with nengo.Simulator(model, progress_bar=False) as old:
        lmu.fit(2 * inputs, -targets, init="data")
        after = lmu.predict(inputs[:1])[0]
        old.run_steps(100)
    assert not np.allclose(before, after, atol=1e-3)
    assert allclose(old.data[probe], before, atol=1e-10)
    assert allclose(present_sequence(lmu, inputs[0]), after, atol=1e-8)


def test_fit_chooses_regularisation(rng):
    """The chosen ridge parameter is within the path, its held-out error the
    least, and the result within 15% of the best fixed LstsqL2 on new data."""
    inputs, targets = delay_task(rng, n_seqs=25, n_steps=150, delay=30)
    test_inputs, test_targets = delay_task(rng, n_seqs=10, n_steps=150, delay=30)

    def error(lmu):
        return np.sqrt(np.mean((lmu.predict(test_inputs) - test_targets) ** 2))

    def network():
        return LMU(0.05, 6, 150, size_out=1, neuron_type=nengo.LIFRate(), seed=2)

    lmu = network()
    info = lmu.fit(inputs, targets, init=None)
    assert info["reg"] in info["regs"]
    assert info["held_out_rmses"][list(info["regs"]).index(info["reg"])] == np.min(
        info["held_out_rmses"]
    )
    assert not np.any(info["spike_noise"])
    fixed = []
    for reg in 10.0 ** -np.arange(1, 7):
        baseline = network()
        baseline.fit(inputs, targets, solver=nengo.solvers.LstsqL2(reg=reg), init=None)
        fixed.append(error(baseline))
    assert error(lmu) <= 1.15 * min(fixed)


def test_ridge_fit_against_lstsq(rng):
    """On all rows, the final solve is nengo's LstsqL2 at the chosen reg."""
    activities = rng.uniform(0, 2, size=(300, 40))
    targets = activities @ rng.standard_normal((40, 2)) + 0.1 * rng.standard_normal(
        (300, 2)
    )
    held_out = np.arange(300) % 5 == 4
    weights, info = ridge_fit(activities, targets, held_out)
    expected, _ = nengo.solvers.LstsqL2(reg=info["reg"])(activities, targets)
    assert np.allclose(weights, expected, atol=1e-8)
    # the held-out errors of the path, solved one by one
    for reg, rmse in zip(info["regs"][::8], info["held_out_rmses"][::8]):
        one, _ = nengo.solvers.LstsqL2(reg=reg)(
            activities[~held_out], targets[~held_out]
        )
        direct = np.sqrt(np.mean((targets[held_out] - activities[held_out] @ one) ** 2))
        assert np.isclose(rmse, direct, rtol=1e-6)


@pytest.mark.parametrize("n_rows, n_neurons", [(40, 30), (30, 60)])
def test_ridge_fit_leave_one_out_against_lstsq(n_rows, n_neurons, rng):
    """Without held-out rows, each row's error is that of LstsqL2 fitted to all
    the other rows (solved one by one), and the weights are LstsqL2's on all
    rows at the chosen reg; with spike noise, the noise term is added."""
    activities = rng.uniform(0, 2, size=(n_rows, n_neurons))
    targets = activities @ rng.standard_normal((n_neurons, 2))
    targets += 0.3 * np.std(targets) * rng.standard_normal((n_rows, 2))
    weights, info = ridge_fit(activities, targets, None)
    expected, _ = nengo.solvers.LstsqL2(reg=info["reg"])(activities, targets)
    assert np.allclose(weights, expected, atol=1e-8)
    assert info["reg"] == info["regs"][np.argmin(info["held_out_rmses"])]
    assert 0 < np.argmin(info["held_out_rmses"]) < len(info["regs"]) - 1
    for reg, rmse in zip(info["regs"][::6], info["held_out_rmses"][::6]):
        # LstsqL2's ridge is relative to the row count and the largest activity:
        # this reg on the other rows is the same ridge as reg on all rows
        errors = []
        for row in range(n_rows):
            others = np.arange(n_rows) != row
            scale = np.max(activities) / np.max(activities[others])
            one, _ = nengo.solvers.LstsqL2(
                reg=reg * scale * np.sqrt(n_rows / (n_rows - 1))
            )(activities[others], targets[others])
            errors.append(targets[row] - activities[row] @ one)
        # with fewer rows than neurons, at reg 1e-6 the fits nearly interpolate
        # and 1 - leverage keeps only about 5 digits in float64
        rtol = 1e-3 if n_rows < n_neurons and reg < 1e-5 else 1e-6
        assert np.isclose(rmse, np.sqrt(np.mean(np.square(errors))), rtol=rtol)
    noise = rng.uniform(0, 0.05, size=n_neurons)
    weights, info = ridge_fit(activities, targets, None, noise)
    gram = activities.T @ activities + n_rows * np.diag(noise)
    gram += n_rows * (info["reg"] * np.max(activities)) ** 2 * np.eye(n_neurons)
    assert np.allclose(weights, np.linalg.solve(gram, activities.T @ targets))


@pytest.mark.parametrize("tau", [None, 0.002, 0.02])
def test_spike_noise_variance(tau, rng):
    """Against nengo's spiking neurons at constant rates, filtered by nengo."""
    dt = 0.001
    synapse = None if tau is None else nengo.Lowpass(tau)
    grid, variance = spike_noise_variance(synapse, dt)
    rates = np.array([3.0, 20.0, 90.0, 230.0, 740.0])
    neuron_type = nengo.SpikingRectifiedLinear()
    with nengo.Network(seed=0) as model:
        ensemble = nengo.Ensemble(
            len(rates), 1, neuron_type=neuron_type, gain=rates, bias=np.zeros(5)
        )
        one = nengo.Node(1.0)
        nengo.Connection(one, ensemble.neurons, transform=np.ones((5, 1)))
        probe = nengo.Probe(ensemble.neurons, synapse=synapse)
    with nengo.Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(8.0)
    measured = np.var(sim.data[probe][2000:], axis=0)
    assert np.allclose(np.mean(sim.data[probe][2000:], axis=0), rates, rtol=0.01)
    assert np.allclose(np.interp(rates, grid, variance), measured, rtol=0.05)


def test_fit_spiking_accounts_for_noise(rng):
    """With spiking neurons the solve adds each neuron's spike noise variance,
    and so regularises more than for the same neurons' rates."""
    inputs, targets = delay_task(rng, n_seqs=10, n_steps=100)
    options = dict(theta=0.05, order=6, n_hidden=80, size_out=1, seed=3)
    rate = LMU(neuron_type=nengo.RectifiedLinear(), synapse=0.01, **options)
    spiking = LMU(neuron_type=nengo.SpikingRectifiedLinear(), synapse=0.01, **options)
    rate.fit(inputs, targets)
    spiking_info = spiking.fit(inputs, targets)
    assert np.all(spiking_info["spike_noise"] >= 0)
    assert np.any(spiking_info["spike_noise"] > 0)
    assert np.linalg.norm(spiking.kernels["output"]) < np.linalg.norm(
        rate.kernels["output"]
    )


def test_data_init_equals_simulation(present_sequence, seed, rng, allclose):
    """A hidden layer drawn from data: `predict` and simulation stay equal,
    the hidden layer's inputs are spread over its neurons (none silent on all
    the data), and only the kernels the LMU drew are drawn again."""
    lmu = LMU(
        0.03,
        5,
        40,
        size_out=1,
        input_to_hidden=True,
        neuron_type=nengo.LIFRate(),
        seed=seed,
    )
    inputs = 3 + 0.2 * rng.standard_normal((8, 120, 1))  # far from the default
    targets = np.roll(inputs, 5, axis=1)
    assert not lmu.fit(inputs, targets)["init"]
    info = lmu.fit(inputs, targets, init="data")
    assert info["init"]
    activities = lmu._activities(inputs).reshape(-1, 40)
    assert np.all(activities.max(axis=0) > 0)
    simulated = present_sequence(lmu, inputs[0])
    expected = lmu.predict(inputs[:1])[0]
    # In float32 (nengo_ocl) the bias that removes the data's mean (3) cancels
    # most of the kernels' input: 7.6e-5 of the range was measured there.
    atol = 1e-8 if simulated.dtype == np.float64 else 5e-4 * np.abs(expected).max()
    assert allclose(simulated, expected, atol=atol)
    # a fit without init keeps the hidden layer
    kernels = lmu.kernels
    assert not lmu.fit(inputs, targets)["init"]
    assert np.array_equal(lmu.kernels["memory"], kernels["memory"])
    given = LMU(0.03, 5, 40, size_out=1, kernels={"bias": np.zeros(40)})
    with pytest.raises(ValidationError, match="init.*given"):
        given.fit(inputs, targets, init="data")
    linear = LMU(0.03, 5, 40, size_out=1, neuron_type=nengo.Direct())
    with pytest.raises(ValidationError, match="init.*Direct"):
        linear.fit(inputs, targets, init="data")


def test_whitening(rng):
    """Unit covariance, except that directions under the floor stay at it."""
    mixing = rng.standard_normal((4, 4)) * [1.0, 2.0, 0.5, 1e-4]
    samples = 3 + rng.standard_normal((5000, 4)) @ mixing.T
    mean, matrix = whitening(samples, floor=0)
    white = (samples - mean) @ matrix.T
    assert np.allclose(np.cov(white, rowvar=False, bias=True), np.eye(4), atol=1e-6)
    mean, matrix = whitening(samples, floor=1e-2)
    white = (samples - mean) @ matrix.T
    variances = np.linalg.eigvalsh(np.cov(white, rowvar=False, bias=True))
    assert np.allclose(variances[1:], 1, atol=1e-6)
    assert variances[0] < 1e-4


def test_data_normalisations_whiten_long_data(rng):
    """Data longer than WHITENING_SAMPLES rows is whitened from rows spread over
    all of it. The data's scale drifts along the rows, so the first rows alone
    would not do. Over 200 seeds the whitened covariance was within 0.0092 of the
    identity; whitened from 50 rows, at least 0.080 away."""
    n_rows = 3 * WHITENING_SAMPLES // 2
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    growth = np.linspace(0.5, 1.5, n_rows)[:, None]
    samples = 2 + growth * (
        rng.standard_normal((n_rows, 3)) @ (rotation * [2, 1, 0.5]).T
    )
    mean, (white, _) = data_normalisations(samples, np.eye(3), [2, 1])
    whitened = (samples - mean) @ white.T
    covariance = np.cov(whitened, rowvar=False, bias=True)
    assert np.abs(covariance - np.eye(3)).max() < 0.03


def test_data_normalisations_give_each_channel_unit_rms(rng):
    """The second normalisation is ``normalise`` with each channel (a block of
    dimensions) rescaled to unit rms per dimension."""
    samples = 1 + rng.standard_normal((2000, 3)) * [3.0, 0.2, 5.0]
    normalise = np.diag([0.5, 2.0, 0.1])
    mean, (_, matrix) = data_normalisations(samples, normalise, [2, 1])
    normalised = (samples - samples.mean(axis=0)) @ matrix.T
    assert np.allclose(mean, samples.mean(axis=0))
    assert np.mean(normalised[:, :2] ** 2) == pytest.approx(1, rel=1e-9)
    assert np.mean(normalised[:, 2] ** 2) == pytest.approx(1, rel=1e-9)
    # within a channel, the given normalisation's proportions are kept
    assert matrix[0, 0] / matrix[1, 1] == pytest.approx(0.25)


def test_ridge_fit_of_rank_deficient_activities(rng):
    """A silent neuron makes the Gram matrix singular (with no ridge); the
    weights are then the least-squares solution of least norm, as numpy's pinv
    gives it."""
    activities = rng.uniform(0, 100, (50, 6))
    activities[:, 2] = 0
    targets = rng.standard_normal((50, 2))
    weights, _ = ridge_fit(activities, targets, np.ones(50, bool), regs=[0.0])
    expected = np.linalg.pinv(activities) @ targets
    assert np.abs(weights - expected).max() < 1e-9 * np.abs(expected).max()


def test_seeds_follow_nengo():
    """Unseeded LMUs draw their kernels from the seed of the network around
    them: different LMUs differ, the same model seed repeats them."""

    def model(seed):
        with nengo.Network(seed=seed):
            with nengo.Network():
                first = LMU(0.1, 4, 10)
            second = LMU(0.1, 4, 10)
        return first.kernels["memory"], second.kernels["memory"]

    first, second = model(1)
    assert not np.allclose(first, second)
    again = model(1)
    assert np.array_equal(first, again[0]) and np.array_equal(second, again[1])
    other = model(2)
    assert not np.allclose(first, other[0])
    # unseeded models: different places differ, and every run is the same
    with nengo.Network():
        first, second = LMU(0.1, 4, 10), LMU(0.1, 4, 10)
    assert not np.allclose(first.kernels["memory"], second.kernels["memory"])
    with nengo.Network():
        again = LMU(0.1, 4, 10)
    assert np.array_equal(first.kernels["memory"], again.kernels["memory"])
    outside = LMU(0.1, 4, 10, add_to_container=False).kernels["memory"]
    assert np.array_equal(outside, LMU(0.1, 4, 10).kernels["memory"])
    assert np.array_equal(
        LMU(0.1, 4, 10, seed=7).kernels["memory"],
        LMU(0.1, 4, 10, seed=7).kernels["memory"],
    )


def test_fit_last_step_targets(rng):
    """Targets for the last step only: classify the sign of the mean input."""
    lmu = LMU(0.04, 8, 200, size_out=2, neuron_type=nengo.RectifiedLinear(), seed=1)
    inputs = rng.standard_normal((300, 40, 1)) + rng.choice([-0.3, 0.3], (300, 1, 1))
    labels = (inputs.mean(axis=(1, 2)) > 0).astype(int)
    lmu.fit(inputs, np.eye(2)[labels], solver=nengo.solvers.LstsqL2(reg=0.01))
    predicted = lmu.predict(inputs)[:, -1].argmax(axis=1)
    assert np.mean(predicted == labels) > 0.95
    # defaults: one independent row per sequence, so leave-one-out over all
    info = lmu.fit(inputs, np.eye(2)[labels])
    assert np.all(np.isfinite(info["held_out_rmses"]))
    assert info["reg"] == info["regs"][np.argmin(info["held_out_rmses"])]
    test = rng.standard_normal((200, 40, 1)) + rng.choice([-0.3, 0.3], (200, 1, 1))
    test_labels = (test.mean(axis=(1, 2)) > 0).astype(int)
    assert np.mean(lmu.predict(test)[:, -1].argmax(axis=1) == test_labels) > 0.9
    # one sequence: nothing to leave out, the path's median
    info = lmu.fit(inputs[:1], np.eye(2)[labels[:1]])
    assert info["reg"] == np.median(info["regs"])
    assert np.all(np.isnan(info["held_out_rmses"]))


def test_fit_bad_input(rng):
    lmu = LMU(0.02, 4, 10, size_out=1, neuron_type=nengo.RectifiedLinear())
    inputs = rng.standard_normal((3, 20, 1))
    with pytest.raises(ValidationError, match="inputs.*shape \\(any, any, 1\\)"):
        lmu.fit(inputs[0], np.zeros((20, 1)))
    with pytest.raises(ValidationError, match="inputs.*NaN"):
        lmu.fit(np.where(inputs > 1, np.nan, inputs), np.zeros((3, 1)))
    with pytest.raises(ValidationError, match="targets.*shape \\(3, 20, 1\\)"):
        lmu.fit(inputs, np.zeros((3, 21, 1)))
    with pytest.raises(ValidationError, match="targets.*shape \\(3, 1\\)"):
        lmu.fit(inputs, np.zeros((4, 1)))
    with pytest.raises(ValidationError, match="targets.*NaN"):
        lmu.fit(inputs, np.full((3, 1), np.inf))
    with pytest.raises(ValidationError, match="solver"):
        lmu.fit(inputs, np.zeros((3, 1)), solver=nengo.solvers.LstsqL2(weights=True))
    for empty in (np.zeros((0, 20, 1)), np.zeros((3, 0, 1))):
        for method in (lmu.predict, lambda x: lmu.fit(x, np.zeros((len(x), 1)))):
            with pytest.raises(ValidationError, match="inputs.*at least one"):
                method(empty)
    with pytest.raises(ValidationError, match="init"):
        lmu.fit(inputs, np.zeros((3, 1)), init="white")
    no_output = LMU(0.02, 4, 10, neuron_type=nengo.RectifiedLinear())
    with pytest.raises(ValidationError, match="size_out"):
        no_output.fit(inputs, np.zeros((3, 1)))
    with pytest.raises(ValidationError, match="learning_rule_type.*neurons"):
        LMU(
            0.02,
            4,
            10,
            size_out=1,
            neuron_type=nengo.Direct(),
            learning_rule_type=nengo.PES(),
        )
