"""Training the whole LMU by backpropagation (`LMU.train`, `nengo_lmu.training`)."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nengo
import numpy as np
import pytest
import scipy.signal
from nengo.exceptions import ValidationError

from nengo_lmu import LMU

jax = pytest.importorskip("jax")
pytest.importorskip("optax")
# pylint: disable=wrong-import-position
import jax.numpy as jnp  # noqa: E402

from nengo_lmu import training  # noqa: E402

# Every option of the cell: the connections, neuron types (rate and spiking,
# whose rates the forward pass computes), synapses, memories and discretisers.
NETWORKS = {
    "relu": dict(neuron_type=nengo.RectifiedLinear()),
    "all connections": dict(
        neuron_type=nengo.RectifiedLinear(),
        hidden_to_memory=True,
        memory_to_memory=True,
        input_to_hidden=True,
        hidden_to_hidden=True,
    ),
    "LIFRate, lowpass, memory feedback": dict(
        neuron_type=nengo.LIFRate(), synapse=0.005, hidden_to_memory=True
    ),
    "LIF (spiking), default synapse, input": dict(
        neuron_type=nengo.LIF(), input_to_hidden=True
    ),
    "linear hidden layer, recurrent": dict(
        neuron_type=nengo.Direct(), hidden_to_hidden=True
    ),
    "sigmoid, memory bias, two channels": dict(
        neuron_type=nengo.Sigmoid(),
        memory_d=2,
        size_in=2,
        encoders={"bias": [0.3, -0.2]},
    ),
    "tanh, alpha synapse, euler": dict(
        neuron_type=nengo.Tanh(),
        synapse=nengo.Alpha(0.003),
        discretizer="euler",
        memory_to_memory=True,
    ),
    "regular spiking relu, bilinear, two inputs": dict(
        neuron_type=nengo.RegularSpiking(nengo.RectifiedLinear()),
        size_in=2,
        discretizer="bilinear",
        hidden_to_hidden=True,
    ),
    "neural memory": dict(
        neuron_type=nengo.RectifiedLinear(), memory_neurons=30, input_to_hidden=True
    ),
}


def make_lmu(name, seed, rng, size_out=2, n_hidden=12, **extra):
    """An LMU with option set ``name`` and small random values in every path."""
    options = {**NETWORKS[name], **extra}
    common = dict(
        theta=0.02,
        order=4,
        n_hidden=n_hidden,
        size_out=size_out,
        seed=seed,
        add_to_container=False,
    )
    network = LMU(**common, **options)
    encoders, kernels = network.encoders, network.kernels
    # the activities are rates of up to a few hundred Hz, except for Direct
    rate = 1.0 if isinstance(options["neuron_type"], nengo.Direct) else 300.0
    if "memory" in encoders:
        encoders["memory"] = 0.01 * rng.standard_normal(encoders["memory"].shape)
    if "hidden" in encoders:
        encoders["hidden"] = (
            0.01 / rate * rng.standard_normal((len(encoders["hidden"]), n_hidden))
        )
    if "hidden" in kernels:
        kernels["hidden"] = 0.02 * rng.standard_normal(kernels["hidden"].shape)
    kernels["output"] = 0.3 / rate * rng.standard_normal(kernels["output"].shape)
    return LMU(**common, **{**options, "encoders": encoders, "kernels": kernels})


def simulation_rtol(simulated):
    """1e-7, or float32 rounding for simulators that compute in float32."""
    return 1e-7 if simulated.dtype == np.float64 else 2e-5


def assert_close_relative(actual, expected, rtol):
    """``actual`` equals ``expected`` to ``rtol`` of the largest expected value."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    scale = np.abs(expected).max()
    assert scale > 0
    error = np.abs(actual - expected).max() / scale
    assert error < rtol, f"relative error {error:.2g} >= {rtol}"


@pytest.mark.parametrize("form", training.FORMS)
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_forward_pass_equals_predict(name, form, seed, rng):
    lmu = make_lmu(name, seed, rng)
    inputs = rng.uniform(-1, 1, size=(3, 60, lmu.size_in))
    expected = lmu.predict(inputs)
    assert np.std(expected) > 1e-3
    cell = training.Cell(lmu, form=form)
    x = jnp.asarray(inputs, jnp.float32)
    outputs = cell.outputs(cell.params, x)
    assert outputs.dtype == jnp.float32
    assert_close_relative(outputs, expected, rtol=1e-5)
    last = cell.outputs(cell.params, x, last_step_only=True)
    assert_close_relative(last, expected[:, -1], rtol=1e-5)


def test_parallel_forms_are_used(seed, rng):
    feedforward = training.Cell(make_lmu("relu", seed, rng))
    assert feedforward.uses_last_state_only(True)
    assert not feedforward.uses_last_state_only(False)
    for name in ("all connections", "LIF (spiking), default synapse, input"):
        assert not training.Cell(make_lmu(name, seed, rng)).uses_last_state_only(True)
    # the memory of a long sequence by FFT, against the scan
    lmu = LMU(
        1.0,
        64,
        20,
        size_out=3,
        neuron_type=nengo.RectifiedLinear(),
        kernels={"output": rng.standard_normal((3, 20)) / 300},
        seed=seed,
    )
    inputs = jnp.asarray(rng.uniform(-1, 1, size=(4, 784, 1)), jnp.float32)
    parallel, scan = training.Cell(lmu), training.Cell(lmu, form="scan")
    # with theta trained, the impulse response is computed by doubling
    trained_theta = training.Cell(lmu, train_theta=True)
    for last_step_only in (False, True):
        expected = scan.outputs(scan.params, inputs, last_step_only)
        for cell in (parallel, trained_theta):
            assert_close_relative(
                cell.outputs(cell.params, inputs, last_step_only), expected, rtol=1e-5
            )


@pytest.mark.parametrize(
    "name, last_step_only, train_theta",
    [
        ("all connections", False, False),
        ("sigmoid, memory bias, two channels", True, True),
        ("tanh, alpha synapse, euler", False, True),
        ("linear hidden layer, recurrent", True, False),
    ],
)
def test_gradients_match_finite_differences(
    name, last_step_only, train_theta, seed, rng
):
    lmu = make_lmu(name, seed, rng, neuron_type=nengo.Tanh(tau_ref=1.0))
    inputs = rng.uniform(-1, 1, size=(2, 30, lmu.size_in))
    targets = rng.standard_normal((2, 2) if last_step_only else (2, 30, 2))
    with jax.enable_x64(True):
        cell = training.Cell(lmu, train_theta=train_theta)
        params = {k: jnp.asarray(v, jnp.float64) for k, v in cell.params.items()}
        x, y = jnp.asarray(inputs), jnp.asarray(targets)

        @jax.jit
        def loss(params):
            outputs = cell.outputs(params, x, last_step_only)
            return jnp.sum((outputs - y) ** 2)

        gradient = jax.jit(jax.grad(loss))(params)
        assert set(gradient) == set(params)
        assert ("log_theta" in gradient) == train_theta
        for _ in range(3):
            direction = {
                k: jnp.asarray(rng.standard_normal(np.shape(v)))
                for k, v in params.items()
            }
            step = 1e-6
            plus = {k: params[k] + step * direction[k] for k in params}
            minus = {k: params[k] - step * direction[k] for k in params}
            numeric = (loss(plus) - loss(minus)) / (2 * step)
            analytic = sum(jnp.sum(gradient[k] * direction[k]) for k in params)
            assert np.isclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_lif_surrogate_gradient():
    rates = training.rate_function(nengo.LIFRate(amplitude=0.01), surrogate_width=0.05)
    gradient = jax.vmap(jax.grad(rates))
    currents = np.array([-1.0, 0.5, 1.0, 3.0, 10.0])
    exact = nengo.LIFRate(amplitude=0.01).rates(currents, 1, 0).ravel()
    assert np.allclose(rates(jnp.asarray(currents)), exact, rtol=1e-6)
    surrogate = np.asarray(gradient(jnp.asarray(currents)))
    # far above threshold the surrogate's gradient is the rate function's
    step = 1e-4
    numeric = (
        nengo.LIFRate(amplitude=0.01).rates(currents + step, 1, 0)
        - nengo.LIFRate(amplitude=0.01).rates(currents - step, 1, 0)
    ).ravel() / (2 * step)
    assert np.allclose(surrogate[3:], numeric[3:], rtol=1e-3)
    # below and at threshold it is finite and positive, where the exact one is
    # zero (below) or infinite (at)
    assert np.all(np.isfinite(surrogate)) and np.all(surrogate > 0)
    assert numeric[1] == 0


@pytest.mark.parametrize(
    "name",
    [
        "all connections",
        "linear hidden layer, recurrent",
        "sigmoid, memory bias, two channels",
        "LIFRate, lowpass, memory feedback",
    ],
)
def test_trained_network_simulates_its_outputs(name, present_sequence, seed, rng):
    lmu = make_lmu(name, seed, rng, n_hidden=10)
    inputs = rng.uniform(-1, 1, size=(24, 40, lmu.size_in))
    targets = np.stack([inputs[..., 0], -np.roll(inputs[..., -1], 5, axis=1)], -1)
    before_training = present_sequence(lmu, inputs[0])
    untrained = dict(lmu._cell_weights)
    history = lmu.train(
        inputs,
        targets,
        epochs=3,
        batch_size=8,
        learning_rate=1e-3,
        seed=seed,
        progress_bar=False,
    )
    assert history["epochs"] == 3 and len(history["loss"]) == 3
    for key, value in untrained.items():
        if key != "W_y" or name != "linear hidden layer, recurrent":
            assert not np.allclose(lmu._cell_weights[key], value), key
    expected = lmu.predict(inputs)
    cell = training.Cell(lmu)
    assert_close_relative(
        cell.outputs(cell.params, jnp.asarray(inputs, jnp.float32)), expected, 1e-5
    )
    # a simulator built after training has the trained weights (one built
    # before kept its own)
    simulated = present_sequence(lmu, inputs[0])
    assert_close_relative(simulated, expected[0], simulation_rtol(simulated))
    assert not np.allclose(simulated, before_training)


def test_train_theta(present_sequence, seed, rng):
    lmu = LMU(
        0.02,
        6,
        20,
        size_out=1,
        neuron_type=nengo.RectifiedLinear(),
        seed=seed,
        add_to_container=False,
    )
    inputs = rng.uniform(-1, 1, size=(32, 60, 1))
    targets = np.zeros_like(inputs)
    targets[:, 30:] = inputs[:, :-30]  # a delay longer than the window
    history = lmu.train(
        inputs,
        targets,
        epochs=30,
        batch_size=8,
        learning_rate=0.01,
        train_theta=True,
        seed=seed,
        progress_bar=False,
    )
    assert history["loss"][-1] < history["loss"][0]
    assert lmu.theta != 0.02 and lmu.memory.theta == lmu.theta
    expected = lmu.predict(inputs)
    simulated = present_sequence(lmu, inputs[0])
    assert_close_relative(simulated, expected[0], simulation_rtol(simulated))
    neural = LMU(0.02, 4, 10, size_out=1, memory_neurons=20, seed=seed)
    with pytest.raises(ValidationError, match="train_theta"):
        neural.train(inputs, targets, epochs=1, train_theta=True, progress_bar=False)


@pytest.mark.parametrize("discretizer", ["zoh", "euler", "bilinear"])
def test_trained_theta_uses_the_discretizer(discretizer, seed, rng):
    """The memory a trained theta installs is discretised by the memory's
    method: against scipy's ``cont2discrete`` of the continuous Legendre
    system (``A_ij = (2i + 1) / theta * (-1 or (-1)^(i - j + 1))``)."""
    lmu = LMU(
        0.05,
        4,
        10,
        size_out=1,
        neuron_type=nengo.RectifiedLinear(),
        discretizer=discretizer,
        seed=seed,
        add_to_container=False,
    )
    inputs = rng.uniform(-1, 1, size=(8, 40, 1))
    lmu.train(
        inputs,
        inputs,
        epochs=2,
        learning_rate=0.05,
        train_theta=True,
        seed=seed,
        progress_bar=False,
    )
    assert lmu.theta != 0.05
    i, j = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    A = (2 * i + 1) * np.where(i < j, -1.0, (-1.0) ** (i - j + 1))
    B = (2 * np.arange(4) + 1)[:, None] * (-1.0) ** np.arange(4)[:, None]
    Ad, Bd, *_ = scipy.signal.cont2discrete(
        (A / lmu.theta, B / lmu.theta, np.eye(4), 0), lmu.dt, method=discretizer
    )
    assert np.allclose(lmu.memory.Ad, Ad, rtol=1e-9, atol=1e-12)
    assert np.allclose(lmu.memory.Bd, Bd, rtol=1e-9, atol=1e-12)
    exact_connections = [
        c for c in lmu.memory.connections if c.pre_obj is lmu.memory.output
    ]
    assert all(np.array_equal(c.transform.init, Ad) for c in exact_connections)


def test_validation_and_early_stopping(seed, rng):
    lmu = LMU(0.02, 4, 20, size_out=2, neuron_type=nengo.RectifiedLinear(), seed=seed)
    inputs = rng.standard_normal((100, 20, 1))
    labels = (inputs.sum(axis=(1, 2)) > 0).astype(int)
    history = lmu.train(
        inputs,
        np.eye(2)[labels],
        epochs=200,
        loss="crossentropy",
        learning_rate=0.05,
        validation_split=0.2,
        patience=2,
        seed=seed,
        progress_bar=False,
    )
    assert history["epochs"] < 200  # stopped early
    assert len(history["val_loss"]) == history["epochs"]
    best = history["best_epoch"]
    assert history["val_loss"][best] == min(history["val_loss"])
    # the network holds the best epoch's weights
    outputs = lmu.predict(inputs[80:])[:, -1]
    assert np.mean(outputs.argmax(-1) == labels[80:]) == pytest.approx(
        history["val_accuracy"][best]
    )


def test_schedule_and_weight_decay(seed, rng):
    """Each update is Adam's step scaled by the schedule, minus the decay."""
    inputs = rng.standard_normal((16, 10, 1))
    targets = rng.standard_normal((16, 2))
    learning_rate, weight_decay = 0.01, 0.3

    def trained(epochs, **options):
        lmu = LMU(0.02, 4, 8, size_out=2, neuron_type=nengo.Tanh(), seed=seed)
        # one update per epoch: the whole set is one minibatch
        lmu.train(
            inputs,
            targets,
            epochs=epochs,
            batch_size=len(inputs),
            learning_rate=learning_rate,
            seed=seed,
            progress_bar=False,
            **options,
        )
        return np.concatenate([np.ravel(k) for k in lmu.kernels.values()])

    initial = LMU(0.02, 4, 8, size_out=2, neuron_type=nengo.Tanh(), seed=seed)
    initial = np.concatenate([np.ravel(k) for k in initial.kernels.values()])
    first = trained(1)
    decayed = trained(1, weight_decay=weight_decay)
    assert not np.allclose(first, initial)
    assert np.allclose(
        decayed - first, -learning_rate * weight_decay * initial, atol=1e-7
    )
    # cosine over 2 updates: the first at the full rate, the second at half
    constant, cosine = trained(2), trained(2, schedule="cosine")
    assert trained(1, schedule="cosine") == pytest.approx(first, abs=1e-7)
    assert np.allclose(cosine - first, 0.5 * (constant - first), atol=1e-6)
    assert not np.allclose(cosine, constant, atol=1e-5)


def test_train_without_jax(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)
    monkeypatch.delitem(sys.modules, "nengo_lmu.training")
    lmu = LMU(0.02, 4, 10, size_out=1)
    with pytest.raises(ValidationError, match=r"pip install nengo-lmu\[train\]"):
        lmu.train(np.zeros((2, 5, 1)), np.zeros((2, 1)), epochs=1)


@pytest.mark.parametrize("missing", ["jax", "jaxlib", "optax", "other"])
def test_train_names_the_missing_extra(missing, monkeypatch):
    """A missing JAX, jaxlib or optax asks for the [train] extra; any other
    import error is the user's to see as it is."""
    import_module = importlib.import_module

    def failing_import(name, *args):
        if name == "nengo_lmu.training":
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
        return import_module(name, *args)

    monkeypatch.setattr(importlib, "import_module", failing_import)
    lmu = LMU(0.02, 4, 10, size_out=1)
    arguments = (np.zeros((2, 5, 1)), np.zeros((2, 1)))
    if missing == "other":
        with pytest.raises(ModuleNotFoundError, match="'other'"):
            lmu.train(*arguments, epochs=1)
    else:
        with pytest.raises(ValidationError, match=r"train: needs JAX.*\[train\]"):
            lmu.train(*arguments, epochs=1)


def test_train_bad_input(rng):
    lmu = LMU(0.02, 4, 10, size_out=2, neuron_type=nengo.RectifiedLinear())
    x, y = rng.standard_normal((4, 10, 1)), np.eye(2)[[0, 1, 1, 0]]
    fine = dict(epochs=1, progress_bar=False)
    cases = [
        (dict(inputs=x[..., 0]), "inputs"),
        (dict(inputs=np.full_like(x, np.nan)), "inputs"),
        (dict(targets=y[:3]), "targets"),
        (dict(targets=np.full_like(y, np.nan)), "targets"),
        (dict(targets=np.ones((4, 3))), "targets"),
        (dict(loss="hinge"), "loss"),
        (dict(loss="crossentropy", targets=y * 0.5), "targets"),
        (dict(epochs=0), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(schedule="linear"), "schedule"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(validation_split=1.0), "validation_split"),
        (dict(validation_split=0.1), "validation_split"),  # no sequence left
        (dict(patience=3), "patience"),
        (dict(train_theta="yes"), "train_theta"),
        (dict(noise=-1.0), "noise"),
    ]
    for change, attr in cases:
        arguments = {"inputs": x, "targets": y, **fine, **change}
        with pytest.raises(ValidationError, match=attr):
            lmu.train(**arguments)
    with pytest.raises(ValidationError, match="size_out"):
        LMU(0.02, 4, 10).train(x, rng.standard_normal((4, 10, 10)), epochs=1)

    class Custom(nengo.RectifiedLinear):
        pass

    custom = LMU(0.02, 4, 10, size_out=2, neuron_type=Custom())
    with pytest.raises(ValidationError, match="Custom"):
        custom.train(x, y, epochs=1)
    for neuron_type in (nengo.AdaptiveLIFRate(), nengo.Izhikevich()):
        network = LMU(0.02, 4, 10, size_out=2, neuron_type=neuron_type)
        with pytest.raises(ValidationError, match=type(neuron_type).__name__):
            network.train(x, y, epochs=1)


BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


@pytest.mark.parametrize(
    "script, arguments, needs, written",
    [
        ("mackey_glass_train.py", [], None, "mackey_glass_train_quick.json"),
        ("train_lmu.py", ["--tasks", "psdigits"], "sklearn", "train_lmu_quick.json"),
    ],
)
def test_benchmark_quick_mode(script, arguments, needs, written, tmp_path):
    """The benchmarks' ``--quick`` smoke tests run end to end and write results."""
    if needs is not None:
        pytest.importorskip(needs)
    environment = dict(os.environ, MPLBACKEND="Agg")
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(BENCHMARKS.parent), environment.get("PYTHONPATH", "")]
    )
    subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(tmp_path)]
        + arguments,
        check=True,
        cwd=tmp_path,
        env=environment,
        capture_output=True,
    )
    result = json.loads((tmp_path / written).read_text())
    assert result, f"{written} is empty"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [written] + ([written.replace(".json", ".png")] if "lmu" in written else [])
    )
