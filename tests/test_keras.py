"""Import of KerasLMU layers: the nengo network computes what the layer computes.

Runs where keras-lmu is installed (the ``keras`` extra; CI runs it in its own
virtual environment) and is skipped elsewhere.
"""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LMU

keras_lmu = pytest.importorskip("keras_lmu")
keras = pytest.importorskip("keras")

N_STEPS = 60
DT = 0.001


def randomise(layer, rng, scale=0.5):
    """Give every weight of ``layer`` random values (biases too)."""
    for weight in layer.weights:
        if "theta" in weight.name:
            weight.assign(np.asarray(weight.numpy()) * 0.8)
        else:
            shape = tuple(weight.shape)
            fan_in = shape[0] if len(shape) > 1 else 1
            weight.assign(scale * rng.standard_normal(shape) / np.sqrt(fan_in))


def rnn(**options):
    return keras.layers.RNN(keras_lmu.LMUCell(**options), return_sequences=True)


CONFIGURATIONS = {
    "feedforward LMU, Dense tanh": lambda: keras_lmu.LMU(
        memory_d=1,
        order=6,
        theta=20,
        hidden_cell=keras.layers.Dense(16, activation="tanh"),
        return_sequences=True,
    ),
    "all connections, SimpleRNN relu, bias": lambda: rnn(
        memory_d=2,
        order=4,
        theta=15,
        hidden_cell=keras.layers.SimpleRNNCell(12, activation="relu"),
        hidden_to_memory=True,
        memory_to_memory=True,
        input_to_hidden=True,
        use_bias=True,
    ),
    "euler, trained theta, Dense linear": lambda: rnn(
        memory_d=1,
        order=5,
        theta=40,
        hidden_cell=keras.layers.Dense(8),
        trainable_theta=True,
        discretizer="euler",
    ),
    "no hidden cell, input to hidden": lambda: keras_lmu.LMU(
        memory_d=2,
        order=3,
        theta=10,
        hidden_cell=None,
        input_to_hidden=True,
        return_sequences=True,
    ),
    "no input kernel, SimpleRNN tanh without bias": lambda: rnn(
        memory_d=3,
        order=4,
        theta=12,
        hidden_cell=keras.layers.SimpleRNNCell(10, use_bias=False),
        kernel_initializer=None,
        memory_to_memory=True,
    ),
    "zoh, trained theta, Dense sigmoid, hidden to memory": lambda: keras_lmu.LMU(
        memory_d=1,
        order=6,
        theta=25,
        hidden_cell=keras.layers.Dense(10, activation="sigmoid"),
        hidden_to_memory=True,
        trainable_theta=True,
        return_sequences=True,
    ),
}
SIZE_IN = {
    "all connections, SimpleRNN relu, bias": 3,
    "no input kernel, SimpleRNN tanh without bias": 3,
}


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_import_equivalence(present_sequence, name, rng, plt):
    size_in = SIZE_IN.get(name, 2)
    layer = CONFIGURATIONS[name]()
    inputs = rng.uniform(-1, 1, size=(1, N_STEPS, size_in)).astype(np.float32)
    layer(inputs)  # builds the layer
    randomise(layer, rng)
    expected = np.asarray(layer(inputs))[0]

    lmu = LMU.from_keras(layer, dt=DT, add_to_container=False)
    actual = present_sequence(lmu, inputs[0].astype(float))

    plt.plot(expected, "k")
    plt.plot(actual, "--")
    plt.title(name)
    scale = max(1.0, np.max(np.abs(expected)))
    assert np.max(np.abs(expected)) > 0.05  # a signal worth comparing
    assert np.max(np.abs(actual - expected)) <= 1e-4 * scale
    # the numpy reference computes the same thing
    assert np.allclose(lmu.predict(inputs)[0], expected, atol=1e-4 * scale)


def test_spiking_deployment(present_sequence, rng, plt):
    """A relu layer on spiking neurons: the same outputs, filtered, plus noise."""
    layer = keras_lmu.LMU(
        memory_d=1,
        order=6,
        theta=100,
        hidden_cell=keras.layers.Dense(200, activation="relu"),
        return_sequences=True,
    )
    t = np.arange(500) * DT
    inputs = np.sin(2 * np.pi * 4 * t)[None, :, None].astype(np.float32)
    layer(inputs)
    randomise(layer, rng, scale=1.0)
    expected = np.asarray(layer(inputs))[0]

    synapse = nengo.Lowpass(0.005)
    spiking = LMU.from_keras(
        layer,
        dt=DT,
        neuron_type=nengo.SpikingRectifiedLinear(amplitude=1 / 300),
        synapse=synapse,
        add_to_container=False,
    )
    actual = present_sequence(spiking, inputs[0].astype(float))
    rates = spiking.predict(inputs)[0]
    target = synapse.filt(expected, dt=DT, y0=0)

    plt.plot(target[:, :3], "k")
    plt.plot(actual[:, :3], "--")
    assert np.allclose(rates[1:], target[:-1], atol=1e-4 * np.max(target))
    error = np.sqrt(np.mean((actual - rates) ** 2)) / np.std(rates)
    assert error < 0.25


def test_bad_layers():
    with pytest.raises(ValidationError, match="must be a keras_lmu LMUCell"):
        LMU.from_keras(keras.layers.Dense(3))

    unbuilt = keras_lmu.LMU(1, 4, 10, hidden_cell=keras.layers.Dense(3))
    with pytest.raises(ValidationError, match="not built"):
        LMU.from_keras(unbuilt)

    inputs = np.zeros((1, 5, 1), dtype=np.float32)
    lstm = rnn(memory_d=1, order=4, theta=10, hidden_cell=keras.layers.LSTMCell(3))
    lstm(inputs)
    with pytest.raises(ValidationError, match="hidden_cell.*LSTMCell"):
        LMU.from_keras(lstm)

    elu = rnn(memory_d=1, order=4, theta=10, hidden_cell=keras.layers.Dense(3, "elu"))
    elu(inputs)
    with pytest.raises(ValidationError, match="activation.*'elu'"):
        LMU.from_keras(elu)
    with pytest.raises(ValidationError, match="backwards"):
        LMU.from_keras(
            keras.layers.RNN(elu.cell, go_backwards=True, return_sequences=True)
        )

    relu = rnn(memory_d=1, order=4, theta=10, hidden_cell=keras.layers.Dense(3, "relu"))
    relu(inputs)
    with pytest.raises(ValidationError, match="neuron_type.*LIF"):
        LMU.from_keras(relu, neuron_type=nengo.LIF())
    with pytest.raises(ValidationError, match="dt"):
        LMU.from_keras(relu, dt=0)
