"""
Training an LMU with NengoDL on permuted sequential digits
==========================================================

NengoDL simulates a nengo network in TensorFlow, so the network can be trained
with backpropagation through time (``sim.fit``) and then run again, with the
trained weights, in any nengo simulator. This example trains an `nengo_lmu.LMU`
on psDigits: scikit-learn's 8x8 handwritten digits (no download), pixels scaled
to [0, 1] and presented one per time step (64 steps) in a fixed random order,
classified from the output at the last step. 1200 images train, the other 597
test.

NengoDL needs its own environment (TensorFlow 2.12 pins numpy below 2): see the
NengoDL notes in the documentation. Where nengo_dl is not installed, as in the
documentation build, the script shows the figure of its last run in NengoDL's
environment, committed with the documentation, and the date it was made.

Run with ``python examples/nengo_dl_training.py``; the environment variable
``NENGO_LMU_QUICK=1`` trains 2 epochs and tests 100 images (for CI), and
``NENGO_LMU_FIGURE`` says where to save the figure (``nengo_dl_training.png``).
"""

# %%
# NengoDL, if it is installed
# ---------------------------
# The script imports NengoDL and TensorFlow where they are installed, and
# otherwise only shows the committed figure of a run where they were.

import os
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LMU

try:
    # TensorFlow's C++ start-up messages: keep warnings and errors only.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import nengo_dl
        import tensorflow as tf
    # NengoDL's note that TensorFlow will run on the CPU.
    warnings.filterwarnings("ignore", "No GPU support detected", UserWarning)
except ImportError:
    nengo_dl = None

# %%
# The settings
# ------------
# An exact Legendre memory of order 32, its window the 64 steps of a digit,
# feeds 200 ``RectifiedLinear`` hidden neurons and 10 outputs. The hidden
# neurons' small amplitude keeps their activities of order 1 rather than
# hundreds of hertz.

DT = 0.001
N_STEPS = 64
N_TRAIN = 1200
ORDER, N_HIDDEN, N_CLASSES = 32, 200, 10
AMPLITUDE = 0.01
LEARNING_RATE = 2e-2
EPOCHS = 8
# When docs/images/nengo_dl_training.png, from a run in NengoDL's environment,
# was committed.
FIGURE_MADE = "2026-11-23"

# %%
# The data
# --------
# Each image becomes a sequence of 64 pixels in a fixed random order, the same
# for every image: the class can only be read from the memory of the whole
# sequence.


def load_psdigits(seed=0):
    """Permuted sequential digits: (n, 64, 1) pixel sequences and labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.RandomState(seed)
    permutation = rng.permutation(N_STEPS)
    order = rng.permutation(len(digits.target))
    images = digits.data[order][:, permutation] / 16.0
    labels = digits.target[order]
    sequences = images[:, :, None]
    return (sequences[:N_TRAIN], labels[:N_TRAIN]), (
        sequences[N_TRAIN:],
        labels[N_TRAIN:],
    )


# %%
# The network
# -----------
# The hidden neurons also see the current pixel (``input_to_hidden``).
# ``configure_settings(trainable=False)`` fixes everything, then the hidden
# kernels (memory and input to hidden), the hidden biases and the output
# weights are marked trainable. The memory (its Node loop, ``A_d`` and
# ``B_d``, and its input encoder) stays the fixed linear system it is.


def build(seed=0):
    """The network and its parts: the LMU, the input Node and the probes."""
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        # Nothing trains but what is marked below (trainable=False); NengoDL
        # resets the state between examples (stateful=False) and keeps only the
        # last step of each probe (keep_history=False), all the loss needs.
        nengo_dl.configure_settings(trainable=False, stateful=False, keep_history=False)
        stim = nengo.Node(np.zeros(1), label="pixel")
        lmu = LMU(
            theta=N_STEPS * DT,
            order=ORDER,
            n_hidden=N_HIDDEN,
            size_out=N_CLASSES,
            # amplitude: activities of order 1 rather than hundreds of hertz
            neuron_type=nengo.RectifiedLinear(amplitude=AMPLITUDE),
            input_to_hidden=True,
            kernels=dict(
                output=rng.normal(
                    scale=1 / np.sqrt(N_HIDDEN), size=(N_CLASSES, N_HIDDEN)
                ),
            ),
            dt=DT,
        )
        nengo.Connection(stim, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output, label="logits")
        hidden_probe = nengo.Probe(lmu.hidden.neurons, label="hidden activity")

        # The kernels into the hidden neurons, their biases (through `neurons`:
        # the ensemble's encoders are unused) and the output weights train. The
        # memory (its input encoder e_x and its Node loop) stays fixed.
        trained = [lmu.weight_connections[name] for name in ("W_m", "W_x", "W_y")]
        for obj in [lmu.hidden.neurons, *trained]:
            net.config[obj].trainable = True
    return SimpleNamespace(
        net=net,
        stim=stim,
        probe=probe,
        hidden_probe=hidden_probe,
        lmu=lmu,
        trained=[lmu.hidden, *trained],
    )


# %%
# Training in NengoDL
# -------------------
# ``sim.fit`` trains by backpropagation through time, with the cross-entropy of
# the output at the last step. ``sim.freeze_params`` then writes the trained
# values into the network's objects: only the trained ones, since it would
# round the others to NengoDL's float32.


def train(model, train_data, test_data, epochs, seed=0):
    """Train with sim.fit; the loss by epoch and NengoDL's logits for the test set."""
    (x_train, y_train), (x_test, _) = train_data, test_data
    probe = model.probe
    with nengo_dl.Simulator(
        model.net,
        minibatch_size=100,
        unroll_simulation=16,
        seed=seed,
        progress_bar=False,
    ) as sim:
        tf.random.set_seed(seed)
        sim.compile(
            optimizer=tf.optimizers.Adam(LEARNING_RATE),
            loss={probe: tf.losses.SparseCategoricalCrossentropy(from_logits=True)},
            metrics={probe: "accuracy"},
        )
        history = sim.fit(
            {model.stim: x_train},
            {probe: y_train[:, None, None]},
            epochs=epochs,
            verbose=0,
        )
        # The test set's size need not be a multiple of the minibatch: pad it.
        n_test = len(x_test)
        padded = np.concatenate(
            [x_test, np.zeros((-n_test % sim.minibatch_size,) + x_test.shape[1:])]
        )
        logits = sim.predict({model.stim: padded}, verbose=0)[probe][:n_test, -1]
        # Only what trained: freezing the whole network would also round the
        # memory's transforms to float32.
        sim.freeze_params(model.trained)
    return history.history["loss"], logits


# %%
# Back in nengo
# -------------
# The reference ``nengo.Simulator`` classifies the test set again with the
# trained weights. With rate neurons the two simulators compute the same
# thing, so the accuracies agree (the predictions may differ on an image whose
# top two outputs are nearly tied, from float32 rounding in NengoDL).
#
# The same trained weights also run with ``SpikingRectifiedLinear`` hidden
# neurons, the output read from the spikes of the last step with no synapse.
# The classifier was trained on that exact step: any filtering of the output
# (even a 1 ms ``Lowpass``) mixes in earlier steps and costs most of the
# accuracy, unless the network is trained with it. At the trained firing rates
# 64 steps hold few spikes; scaling every hidden neuron's gain and bias by 10
# and its amplitude by 1/10 leaves the rate network unchanged but gives ten
# times the spikes, so the spiking network approaches the rate one.


def reference_logits(model, sequences, spiking=False, scale=1):
    """Logits at the last step of each sequence in the reference simulator.

    ``spiking`` swaps in ``SpikingRectifiedLinear`` hidden neurons; ``scale``
    multiplies their firing rates (gain and bias) and divides their amplitude,
    which leaves a rate network's output unchanged. Also returns the hidden
    neurons' mean number of spikes per step (None for rate neurons).
    """
    hidden = model.lmu.hidden
    neuron_type = nengo.SpikingRectifiedLinear if spiking else nengo.RectifiedLinear
    trained = hidden.neuron_type, hidden.gain, hidden.bias
    amplitude = trained[0].amplitude / scale
    hidden.neuron_type = neuron_type(amplitude=amplitude)
    hidden.gain, hidden.bias = trained[1] * scale, trained[2] * scale

    sequence = np.zeros((N_STEPS, 1))
    model.stim.output = lambda t: sequence[min(int(round(t / DT)) - 1, N_STEPS - 1)]
    logits = []
    spikes = []
    with nengo.Simulator(model.net, dt=DT, progress_bar=False) as sim:
        for sequence[:] in sequences:
            # A new example starts from rest, as in NengoDL (stateful=False).
            sim.reset()
            sim.run_steps(N_STEPS)
            logits.append(sim.data[model.probe][-1])
            spikes.append(np.mean(sim.data[model.hidden_probe]) * DT / amplitude)
    hidden.neuron_type, hidden.gain, hidden.bias = trained
    return np.array(logits), np.mean(spikes) if spiking else None


# %%
# The figure
# ----------
# The training loss by epoch, and the test accuracy of the trained network in
# each simulator. Where NengoDL is not installed, the figure of the last run
# in its environment is shown instead.


def plot(losses, accuracies, path):
    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(np.arange(1, len(losses) + 1), losses, "o-")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (cross-entropy)")
    ax_loss.set_title("sim.fit in NengoDL")
    names = list(accuracies)
    bars = ax_accuracy.bar(range(len(names)), [100 * accuracies[n] for n in names])
    ax_accuracy.bar_label(bars, fmt="%.1f%%")
    ax_accuracy.set_xticks(range(len(names)), names, fontsize=8)
    ax_accuracy.set_ylim(0, 105)
    ax_accuracy.set_ylabel("psDigits test accuracy (%)")
    ax_accuracy.set_title("the trained network in each simulator")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return fig


def show_committed_figure(name, made):
    """Show the figure of a run where the backend was installed."""
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
            ax.set_title(f"Run in NengoDL's environment, committed {made}", fontsize=10)
            return fig
    return None


# %%
# The whole experiment
# --------------------
# Train, test in NengoDL and in nengo (rate, then spiking at the trained rates
# and at ten times them), print the accuracies, the spike counts, how well the
# two simulators agree and how long each step took, and save the figure. The
# script fails if nengo and NengoDL disagree on more than 2% of the images.


def main(quick=False, out="nengo_dl_training.png"):
    if nengo_dl is None:
        print(
            "nengo_dl is not installed, so this example does not train here. It "
            "needs NengoDL's own environment (tensorflow-cpu 2.12.1, keras 2.12.0, "
            "numpy 1.24.3, nengo-dl 3.6.0, scikit-learn): see the NengoDL notes in "
            "the documentation, or run .ci/nengo_dl.sh. The figure below is from "
            f"a run there, committed on {FIGURE_MADE}."
        )
        show_committed_figure("nengo_dl_training.png", FIGURE_MADE)
        return None

    train_data, test_data = load_psdigits()
    epochs = 2 if quick else EPOCHS
    if quick:
        test_data = (test_data[0][:100], test_data[1][:100])
    labels = test_data[1]
    model = build()

    start = time.perf_counter()
    losses, dl_logits = train(model, train_data, test_data, epochs)
    timings = {"NengoDL fit and predict": time.perf_counter() - start}
    accuracies = {"NengoDL\n(rate)": np.mean(dl_logits.argmax(axis=1) == labels)}

    start = time.perf_counter()
    logits, _ = reference_logits(model, test_data[0])
    timings["nengo, rate"] = time.perf_counter() - start
    accuracies["nengo\n(rate)"] = np.mean(logits.argmax(axis=1) == labels)
    agreement = np.mean(logits.argmax(axis=1) == dl_logits.argmax(axis=1))
    difference = np.abs(logits - dl_logits).max() / np.abs(logits).max()
    spikes = {}
    for scale in [1, 10]:
        start = time.perf_counter()
        spiking, spikes[scale] = reference_logits(
            model, test_data[0], spiking=True, scale=scale
        )
        timings[f"nengo, spiking x{scale}"] = time.perf_counter() - start
        name = f"nengo spiking\n(rates x{scale})"
        accuracies[name] = np.mean(spiking.argmax(axis=1) == labels)

    print(
        f"psDigits: {N_TRAIN} training and {len(labels)} test images, {epochs} epochs"
    )
    print("training loss by epoch: " + ", ".join(f"{loss:.3f}" for loss in losses))
    for name, accuracy in accuracies.items():
        name = name.replace("\n", " ")
        print(f"test accuracy, {name}: {100 * accuracy:.1f}%")
    for scale, count in spikes.items():
        print(f"spiking x{scale}: {count:.3f} spikes per hidden neuron per step")
    print(
        f"nengo and NengoDL predict the same class for {100 * agreement:.1f}% of "
        f"the test images; their logits differ by {difference:.1e} (max, relative)"
    )
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    plot(losses, accuracies, out)
    if agreement < 0.98:
        sys.exit("the reference simulator disagrees with NengoDL after freeze_params")
    return accuracies


# %%
# Run it: train in NengoDL, then test in nengo's reference simulator, with rate
# and spiking neurons.

main(
    quick=os.environ.get("NENGO_LMU_QUICK") == "1",
    out=os.environ.get("NENGO_LMU_FIGURE", "nengo_dl_training.png"),
)
