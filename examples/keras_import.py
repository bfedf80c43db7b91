"""
KerasLMU import: train with backprop, run on neurons
====================================================

`LMU.from_keras` turns a trained KerasLMU layer into an `LMU` network that
computes the same function, one Keras step per nengo time step: theta in steps
becomes seconds, the memory is discretised as the layer's, and the weights move
into the network's encoders and kernels.

This script trains a small KerasLMU model (a memory of order 12 over 40 steps,
a Dense(60, relu) hidden cell and a linear readout) with backprop to output its
input delayed by 20 steps, imports the LMU layer, adds the readout as a nengo
connection, and runs the network in nengo on a new signal with rate neurons
(``RectifiedLinear``, the exact counterpart of ``relu``: same outputs to float32
rounding) and with spiking neurons (``SpikingRectifiedLinear(amplitude=1 /
2000)``: 2000 spikes per second per unit of activation, which 60 neurons need to
carry this signal, filtered by a 10-ms synapse; they are compared with the Keras
output through the same synapse).

It needs keras-lmu (``pip install -e ".[keras]"``, which brings TensorFlow);
without it, as in the documentation build, the script shows the figure of a
run where it is installed, committed with the documentation.

Run with ``python examples/keras_import.py``.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LMU, nrmse

DT, THETA_STEPS, DELAY_STEPS, N_STEPS = 0.001, 40, 20, 400
SPIKE_SYNAPSE = nengo.Lowpass(0.01)
# When docs/images/keras_import.png, from a run with keras-lmu, was committed.
FIGURE_MADE = "2026-11-30"


def signals(n, seed):
    """Band-limited noise, (n, N_STEPS, 1), and its delayed copy."""
    process = nengo.processes.WhiteSignal(N_STEPS * DT, high=15, rms=0.4, y0=0)
    rng = np.random.RandomState(seed)
    inputs = np.array([process.run_steps(N_STEPS, dt=DT, rng=rng) for _ in range(n)])
    targets = np.zeros_like(inputs)
    targets[:, DELAY_STEPS:] = inputs[:, :-DELAY_STEPS]
    return inputs.astype(np.float32), targets.astype(np.float32)


def show_committed_figure(name, made):
    """Show the figure of a run where keras-lmu was installed."""
    # the repository root, examples/, or docs/_gallery_source (the docs build)
    paths = [
        base / folder / name
        for base in (Path.cwd(), Path.cwd().parent)
        for folder in ("docs/images", "images")
    ]
    for path in paths:
        if path.is_file():
            fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
            ax.imshow(plt.imread(path))
            ax.set_axis_off()
            ax.set_title(f"Run with keras-lmu installed, committed {made}", fontsize=10)
            return fig
    return None


# %%
# KerasLMU is optional
# --------------------
# The import needs keras-lmu and TensorFlow. Where they are missing, as in the
# documentation build, the last step shows the figure of a run where they are
# installed instead of training here.

try:
    import keras
    import keras_lmu
except ImportError:
    keras = keras_lmu = None

# %%
# Train a KerasLMU model with backprop
# ------------------------------------
# A memory of order 12 over 40 steps, a ``Dense(60, relu)`` hidden cell and a
# linear readout learn, with Adam, to output their input delayed by 20 steps.


def train_keras_model():
    """The trained LMU layer and the readout's weights ``W``, ``b``."""
    keras.utils.set_random_seed(0)
    lmu_layer = keras_lmu.LMU(
        memory_d=1,
        order=12,
        theta=THETA_STEPS,
        hidden_cell=keras.layers.Dense(60, activation="relu"),
        return_sequences=True,
    )
    readout = keras.layers.Dense(1)
    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, readout(lmu_layer(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    train_inputs, train_targets = signals(200, seed=0)
    model.fit(train_inputs, train_targets, epochs=15, batch_size=20, verbose=0)
    W, b = (np.array(w) for w in readout.get_weights())
    return model, lmu_layer, W, b


# %%
# The same network in nengo
# -------------------------
# `LMU.from_keras` makes an `LMU` network from the trained layer; the readout
# becomes a plain nengo connection from its output. With ``neuron_type=None`` the
# hidden layer is ``RectifiedLinear``, the exact counterpart of ``relu``; spiking
# neurons need a synapse to smooth their spikes.


def run_in_nengo(lmu_layer, W, b, test_input, neuron_type):
    """The network's output for one test sequence, on ``neuron_type``."""
    with nengo.Network(seed=0) as net:
        stimulus = nengo.Node(nengo.processes.PresentInput(test_input, DT))
        lmu = LMU.from_keras(
            lmu_layer,
            dt=DT,
            neuron_type=neuron_type,
            synapse=None if neuron_type is None else SPIKE_SYNAPSE,
        )
        nengo.Connection(stimulus, lmu.input, synapse=None)
        output = nengo.Node(size_in=1)
        nengo.Connection(lmu.output, output, transform=W.T, synapse=None)
        nengo.Connection(nengo.Node(b), output, synapse=None)
        probe = nengo.Probe(output, synapse=None)
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run_steps(N_STEPS)
    return sim.data[probe]


# %%
# Compare Keras with nengo
# ------------------------
# The rate network should match Keras to float32 rounding. The spiking network's
# output passes through its synapse, one step late, so it is compared with the
# Keras output filtered the same way, once the memory has filled.


def compare(keras_output, outputs, test_target, out):
    """Print the errors and plot the outputs; save the figure as ``out``."""
    print(f"Keras NRMSE of the delay: {nrmse(keras_output, test_target).item():.3f}")
    difference = np.max(np.abs(outputs["rate"] - keras_output))
    print(f"nengo rate neurons vs Keras, max difference: {difference:.1e}")
    filtered = np.zeros_like(keras_output)
    filtered[1:] = SPIKE_SYNAPSE.filt(keras_output, dt=DT, y0=0)[:-1]
    settled = slice(THETA_STEPS, None)
    spiking_error = nrmse(outputs["spiking"][settled], filtered[settled]).item()
    print(f"nengo spiking neurons vs Keras (filtered), NRMSE: {spiking_error:.3f}")

    t = np.arange(1, N_STEPS + 1)
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    ax.plot(t, test_target, color="0.6", lw=3, label="input, 20 steps ago")
    ax.plot(t, keras_output, color="C0", lw=2, label="Keras")
    ax.plot(t, outputs["rate"], "--", color="C1", label="nengo, rate")
    ax.plot(t, outputs["spiking"], color="C3", lw=0.8, label="nengo, spiking")
    ax.set(
        title="A KerasLMU layer trained to delay, run in nengo",
        xlabel="time step (1 ms)",
        ylabel="output",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.savefig(out, dpi=150)
    print(f"saved {out}")


# %%
# Run it
# ------
# The script prints its measurements and saves the figure as
# ``keras_import.png`` (or where the environment variable ``NENGO_LMU_FIGURE``
# says); without keras-lmu it shows the committed figure of an earlier run.

if keras is None:
    print(
        "keras-lmu is not installed (pip install -e '.[keras]'), so this example "
        "does not train here. The figure below is from a run where it is "
        f"(keras-lmu 0.9.0, keras 3.15.1, TensorFlow 2.21.0), committed on "
        f"{FIGURE_MADE}: Keras NRMSE of the delay 0.048, nengo rate neurons vs "
        "Keras max difference 9.2e-07, spiking neurons NRMSE 0.098."
    )
    show_committed_figure("keras_import.png", FIGURE_MADE)
else:
    model, lmu_layer, W, b = train_keras_model()
    test_inputs, test_targets = signals(1, seed=1)
    keras_output = model.predict(test_inputs, verbose=0)[0]
    outputs = {
        name: run_in_nengo(lmu_layer, W, b, test_inputs[0], neuron_type)
        for name, neuron_type in [
            ("rate", None),
            ("spiking", nengo.SpikingRectifiedLinear(amplitude=1 / 2000)),
        ]
    }
    compare(
        keras_output,
        outputs,
        test_targets[0],
        os.environ.get("NENGO_LMU_FIGURE", "keras_import.png"),
    )
