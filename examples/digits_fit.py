"""
Offline training: permuted sequential digits with ``fit``
=========================================================

`LMU.fit` solves an LMU's output weights by least squares from whole input
sequences: it computes the hidden activities with the network's numpy reference
(`LMU.predict`), chooses the regularisation on held-out sequences, and installs
the weights in the output connection.

The task is psDigits, scikit-learn's 8x8 digits shown one pixel per time step
(64 steps) in a fixed random order, classified at the last step. The LMU has an
exact memory of order 32 over the 64 steps and 1000 rate neurons
(``RectifiedLinear``); only the output weights are trained, on 1200 images,
with ``fit``'s defaults. The script prints the test accuracy of the numpy
reference on all 597 test images, checks it against a nengo simulation of the
first few, then runs the same weights on spiking neurons and plots the outputs
over time. The spiking neurons (``SpikingRectifiedLinear(amplitude=0.1)``) get
the kernels times 10: they fire ten times faster with spikes a tenth as large,
the same mean output, and enough spikes in the 64 ms of a digit (at the 200 to
400 Hz of the default kernels, too few reach the last step to classify from);
their output weights are fitted again on the spiking network, which makes `fit`
account for the spike noise. ``benchmarks/sequence_digits.py`` simulates every test image.

Run with ``python examples/digits_fit.py`` (needs
scikit-learn, in the ``examples`` extra).
"""

import os
import time

import matplotlib.pyplot as plt
import nengo
import numpy as np
from sklearn.datasets import load_digits

from nengo_lmu import LMU

DT, N_STEPS, N_TRAIN, N_SIMULATED = 0.001, 64, 1200, 40
SYNAPSE = nengo.Lowpass(0.005)  # smooths the spikes of the spiking version


def simulate(lmu, sequences):
    """Probed outputs (n, 64, 10) of ``lmu`` for each sequence, in nengo."""
    current = [sequences[0]]
    with nengo.Network() as model:
        model.add(lmu)
        pixel = nengo.Node(lambda t: current[0][int(round(t / DT)) - 1])
        nengo.Connection(pixel, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output, synapse=None)
    outputs = []
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        for sequence in sequences:
            current[0] = sequence
            sim.reset()
            sim.run_steps(N_STEPS)
            outputs.append(sim.data[probe].copy())
    return np.array(outputs)


def main(out):
    digits = load_digits()
    rng = np.random.RandomState(0)
    shuffle, permutation = rng.permutation(len(digits.target)), rng.permutation(64)
    images = digits.images.reshape(-1, 64)[shuffle][:, permutation] / 16.0
    labels = digits.target[shuffle]
    sequences = images[:, :, None]  # (n_images, 64 steps, 1 input)
    train, test = slice(0, N_TRAIN), slice(N_TRAIN, None)

    options = dict(theta=N_STEPS * DT, order=32, n_hidden=1000, size_out=10)
    lmu = LMU(**options, neuron_type=nengo.RectifiedLinear(), synapse=SYNAPSE, seed=0)
    start = time.perf_counter()
    info = lmu.fit(sequences[train], np.eye(10)[labels[train]])
    print(
        f"fit on {N_TRAIN} sequences in {time.perf_counter() - start:.1f} s "
        f"(chosen LstsqL2 reg: {info['reg']:.1e})"
    )

    predicted = lmu.predict(sequences[test])
    accuracy = np.mean(predicted[:, -1].argmax(axis=1) == labels[test])
    print(f"test accuracy (numpy reference, 597 images): {100 * accuracy:.1f}%")

    few = sequences[test][:N_SIMULATED]
    rate_outputs = simulate(lmu, few)
    difference = np.max(np.abs(rate_outputs - predicted[:N_SIMULATED]))
    print(f"nengo simulation vs reference ({N_SIMULATED} images): {difference:.1e}")

    kernels = lmu.kernels
    kernels["memory"], kernels["bias"] = 10 * kernels["memory"], 10 * kernels["bias"]
    spiking = LMU(
        **options,
        neuron_type=nengo.SpikingRectifiedLinear(amplitude=0.1),
        synapse=SYNAPSE,
        encoders=lmu.encoders,
        kernels=kernels,
        seed=0,
    )
    spiking.fit(sequences[train], np.eye(10)[labels[train]])
    spiking_outputs = simulate(spiking, few)
    for name, outputs in [("rate", rate_outputs), ("spiking", spiking_outputs)]:
        correct = np.mean(outputs[:, -1].argmax(axis=1) == labels[test][:N_SIMULATED])
        print(f"{name} neurons in nengo, {N_SIMULATED} images: {100 * correct:.1f}%")

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    axes[0].imshow(images[test][0][np.argsort(permutation)].reshape(8, 8), "gray_r")
    axes[0].set_title(f"test image 0 (label {labels[test][0]})")
    axes[0].axis("off")
    t = np.arange(1, N_STEPS + 1)
    for ax, name, outputs in [
        (axes[1], "rate", rate_outputs),
        (axes[2], "spiking", spiking_outputs),
    ]:
        ax.plot(t, outputs[0], lw=1)
        ax.plot(t, outputs[0][:, labels[test][0]], "k", lw=2, label="true class")
        ax.set_title(f"{name} neurons: the 10 outputs")
        ax.set_xlabel("time step (pixel)")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"saved {out}")


# %%
# Run it: the script prints its measurements, and saves the figure as
# ``digits_fit.png`` (or where the environment variable ``NENGO_LMU_FIGURE`` says).

main(os.environ.get("NENGO_LMU_FIGURE", "digits_fit.png"))
