"""Reading trained KerasLMU layers as `LMU` arguments.

KerasLMU (``keras-lmu``) steps the same cell as `LMU`, with theta in steps and
weights stored input-major (``x @ kernel``). This module reads a trained layer's
options and weights and converts them to the `LMU` constructor's arguments in
nengo's layout; `LMU.from_keras` builds the network from them. It imports no
network (the dependency runs one way, networks to interop) and needs
``keras-lmu`` only when it is called.
"""

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu.validation import check_positive

# Keras activations and the non-spiking nengo neuron types that compute them
# exactly (nengo's Tanh and Sigmoid divide by tau_ref).
ACTIVATIONS = {
    "linear": nengo.Direct,
    "relu": nengo.RectifiedLinear,
    "tanh": lambda: nengo.Tanh(tau_ref=1.0),
    "sigmoid": lambda: nengo.Sigmoid(tau_ref=1.0),
}
KERAS_FUNCTIONS = {
    "linear": lambda J: J,
    "relu": lambda J: np.maximum(J, 0),
    "tanh": np.tanh,
    "sigmoid": lambda J: 1 / (1 + np.exp(-J)),
}
# Currents on which a neuron type's rates must match the activation.
CHECK_CURRENTS = np.linspace(-4, 4, 161)


def keras_lmu_arguments(layer, dt=0.001, neuron_type=None):
    """The `LMU` arguments that compute what a trained KerasLMU layer computes.

    `LMU.from_keras` builds the network from them, and documents the import.

    Parameters
    ----------
    layer : keras_lmu.LMUCell, keras_lmu.LMU, keras_lmu.LMUFeedforward or keras.layers.RNN
        A built KerasLMU layer, or a Keras ``RNN`` around an ``LMUCell``.
    dt : float, optional
        Simulator time step, in seconds, that one Keras step becomes (> 0).
    neuron_type : nengo.neurons.NeuronType, optional
        Neurons of the hidden layer (see `LMU.from_keras`).

    Returns
    -------
    dict
        Keyword arguments of `LMU`: ``theta``, ``order``, ``n_hidden``,
        ``size_in``, ``memory_d``, ``neuron_type``, the connection options,
        ``encoders``, ``kernels``, ``dt`` and ``discretizer``.
    """
    check_positive(dt, "dt")
    cell = _lmu_cell(layer)
    options = _options(cell)
    weights = _weights(cell, options)
    activation = weights.pop("activation")
    if neuron_type is None:
        neuron_type = ACTIVATIONS[activation]()
    scale = _current_scale(neuron_type, activation)
    for name in ("memory", "input", "hidden", "bias"):
        if name in weights["kernels"]:
            weights["kernels"][name] = weights["kernels"][name] * scale
    return dict(
        theta=options["theta"] * dt,
        order=options["order"],
        n_hidden=weights["n_hidden"],
        size_in=options["size_in"],
        memory_d=options["memory_d"],
        neuron_type=neuron_type,
        hidden_to_memory=options["hidden_to_memory"],
        memory_to_memory=options["memory_to_memory"],
        input_to_hidden=options["input_to_hidden"],
        hidden_to_hidden=weights["hidden_to_hidden"],
        encoders=weights["encoders"],
        kernels=weights["kernels"],
        dt=dt,
        discretizer=options["discretizer"],
    )


def _lmu_cell(layer):
    """The ``LMUCell`` or ``LMUFeedforward`` inside ``layer``."""
    try:
        import keras  # pylint: disable=import-outside-toplevel
        import keras_lmu  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise ValidationError(
            "must be a KerasLMU layer, and keras-lmu is not installed "
            "(pip install keras-lmu)",
            attr="layer",
        ) from None
    if isinstance(layer, keras_lmu.LMU) and layer.built:
        layer = layer.layer  # an RNN around an LMUCell, or an LMUFeedforward
    if isinstance(layer, keras.layers.RNN):
        if layer.go_backwards:
            raise ValidationError(
                "runs backwards in time (go_backwards=True), which a nengo "
                "simulation cannot",
                attr="layer.go_backwards",
            )
        layer = layer.cell
    if not isinstance(
        layer, (keras_lmu.LMUCell, keras_lmu.LMUFeedforward, keras_lmu.LMU)
    ):
        raise ValidationError(
            "must be a keras_lmu LMUCell, LMU or LMUFeedforward, or a keras RNN "
            f"around an LMUCell (got {type(layer).__name__})",
            attr="layer",
        )
    if not layer.built:
        raise ValidationError(
            "is not built: call it on data (or train it) first", attr="layer"
        )
    return layer


def _array(variable):
    """A Keras variable's value as a float64 array (on any Keras backend)."""
    value = getattr(variable, "value", variable)
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.array(value, dtype=float)


def _options(cell):
    """The layer's options, in the `LMU` constructor's terms."""
    feedforward = not hasattr(cell, "memory_to_memory")
    options = dict(
        memory_d=cell.memory_d,
        order=cell.order,
        theta=float(cell.theta),
        discretizer=cell.discretizer,
        hidden_to_memory=False if feedforward else bool(cell.hidden_to_memory),
        memory_to_memory=False if feedforward else bool(cell.memory_to_memory),
        input_to_hidden=bool(cell.input_to_hidden),
    )
    hidden_size = _hidden_size(cell)
    n_inputs = cell.memory_d if cell.kernel is None else cell.kernel.shape[0]
    options["size_in"] = n_inputs - (hidden_size if options["hidden_to_memory"] else 0)
    return options


def _hidden_size(cell):
    hidden_cell = cell.hidden_cell
    if hidden_cell is None:
        return None
    return hidden_cell.units


def _weights(cell, options):
    """Encoders and kernels in nengo's layout (rows: destinations)."""
    size_in, memory_d = options["size_in"], options["memory_d"]
    memory_size = memory_d * options["order"]
    if cell.kernel is None:
        kernel = np.eye(memory_d)
    else:
        kernel = _array(cell.kernel)
    encoders = {"input": kernel[:size_in].T}
    if options["hidden_to_memory"]:
        encoders["hidden"] = kernel[size_in:].T
    if cell.bias is not None:
        encoders["bias"] = _array(cell.bias)
    if options["memory_to_memory"]:
        encoders["memory"] = _array(cell.recurrent_kernel).T

    hidden_cell = cell.hidden_cell
    n_hidden_in = memory_size + (size_in if options["input_to_hidden"] else 0)
    weights = dict(encoders=encoders, hidden_to_hidden=False)
    if hidden_cell is None:
        identity = np.eye(n_hidden_in)
        kernels = {"memory": identity[:, :memory_size], "bias": np.zeros(n_hidden_in)}
        if options["input_to_hidden"]:
            kernels["input"] = identity[:, memory_size:]
        weights.update(n_hidden=n_hidden_in, kernels=kernels, activation="linear")
        return weights

    import keras  # pylint: disable=import-outside-toplevel

    if not isinstance(hidden_cell, (keras.layers.Dense, keras.layers.SimpleRNNCell)):
        raise ValidationError(
            "must be a keras.layers.Dense or keras.layers.SimpleRNNCell, or None "
            f"(got {type(hidden_cell).__name__}, which has no nengo counterpart)",
            attr="hidden_cell",
        )
    activation = getattr(hidden_cell.activation, "__name__", None)
    if activation not in ACTIVATIONS:
        raise ValidationError(
            f"must be one of {sorted(ACTIVATIONS)} (got {activation!r})",
            attr="hidden_cell.activation",
        )
    hidden_kernel = _array(hidden_cell.kernel)
    n_hidden = hidden_kernel.shape[1]
    kernels = {"memory": hidden_kernel[:memory_size].T}
    if options["input_to_hidden"]:
        kernels["input"] = hidden_kernel[memory_size:].T
    kernels["bias"] = (
        np.zeros(n_hidden) if hidden_cell.bias is None else _array(hidden_cell.bias)
    )
    if isinstance(hidden_cell, keras.layers.SimpleRNNCell):
        kernels["hidden"] = _array(hidden_cell.recurrent_kernel).T
        weights["hidden_to_hidden"] = True
    weights.update(n_hidden=n_hidden, kernels=kernels, activation=activation)
    return weights


def _current_scale(neuron_type, activation):
    """The factor on the input currents with which ``neuron_type``'s mean output
    equals ``activation``, or a ValidationError if there is none."""
    if not isinstance(neuron_type, nengo.neurons.NeuronType):
        raise ValidationError(
            f"must be a nengo NeuronType or None (got {neuron_type!r})",
            attr="neuron_type",
        )

    def rates(currents):
        n = len(currents)
        return neuron_type.rates(currents[None], np.ones(n), np.zeros(n))[0]

    scale = 1.0
    if activation == "relu":
        unit_rate = rates(np.ones(1))[0]
        scale = 1.0 / unit_rate if unit_rate > 0 else 1.0
    expected = KERAS_FUNCTIONS[activation](CHECK_CURRENTS)
    error = np.max(np.abs(rates(scale * CHECK_CURRENTS) - expected))
    if not error <= 1e-6 * (1 + np.max(np.abs(expected))):
        raise ValidationError(
            f"must fire at mean rates proportional to the layer's {activation!r} "
            f"activation, but {neuron_type} differs from it by up to {error:.3g} "
            f"(for example {ACTIVATIONS[activation]()} computes it exactly"
            + (
                "; SpikingRectifiedLinear(amplitude=1 / max_rate) deploys it on "
                "spiking neurons)"
                if activation == "relu"
                else ")"
            ),
            attr="neuron_type",
        )
    return scale
