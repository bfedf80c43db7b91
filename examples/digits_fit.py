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
account for the spike noise. ``benchmarks/sequence_digits.py`` simulates every
test image.

Run with ``python examples/digits_fit.py`` (needs
scikit-learn, in the ``examples`` extra).
"""

# %%
# The data
# --------
# Each 8x8 image becomes a sequence of 64 pixels, one per 1 ms step, in a fixed
# random order (the same for every image), so the digit can only be recognised
# from the memory of the whole sequence: at the last step the LMU's window must
# still hold the first pixel. 1200 images train, the other 597 test.

import os
import time

import matplotlib.pyplot as plt
import nengo
import numpy as np
from sklearn.datasets import load_digits

from nengo_lmu import LMU

DT, N_STEPS, N_TRAIN, N_SIMULATED = 0.001, 64, 1200, 40
SYNAPSE = nengo.Lowpass(0.005)  # smooths the spikes of the spiking version

digits = load_digits()
rng = np.random.RandomState(0)
shuffle, permutation = rng.permutation(len(digits.target)), rng.permutation(64)
images = digits.images.reshape(-1, 64)[shuffle][:, permutation] / 16.0
labels = digits.target[shuffle]
sequences = images[:, :, None]  # (n_images, 64 steps, 1 input)
train, test = slice(0, N_TRAIN), slice(N_TRAIN, None)

# %%
# Fitting the output weights
# --------------------------
# The memory's window, theta, spans the 64 steps, and its 32 Legendre
# coefficients feed 1000 hidden neurons through fixed random kernels. `LMU.fit`
# runs the training sequences through the numpy reference, and solves the
# weights from the hidden activities to the 10 outputs (one-hot targets) by
# regularised least squares, choosing the regularisation on held-out sequences.

options = dict(theta=N_STEPS * DT, order=32, n_hidden=1000, size_out=10)
lmu = LMU(**options, neuron_type=nengo.RectifiedLinear(), synapse=SYNAPSE, seed=0)
start = time.perf_counter()
info = lmu.fit(sequences[train], np.eye(10)[labels[train]])
print(
    f"fit on {N_TRAIN} sequences in {time.perf_counter() - start:.1f} s "
    f"(chosen LstsqL2 reg: {info['reg']:.1e})"
)

# %%
# Testing with the numpy reference
# --------------------------------
# `LMU.predict` computes the outputs at every step of every sequence; the class
# is the largest output at the last step.

predicted = lmu.predict(sequences[test])
accuracy = np.mean(predicted[:, -1].argmax(axis=1) == labels[test])
print(f"test accuracy (numpy reference, 597 images): {100 * accuracy:.1f}%")

# %%
# The same network in nengo
# -------------------------
# The fitted LMU is an ordinary `nengo.Network`: add it to a model, feed it the
# pixels from a Node, and probe its output. Each image starts from rest
# (``sim.reset``). With rate neurons nengo computes what the reference does.


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


few = sequences[test][:N_SIMULATED]
rate_outputs = simulate(lmu, few)
difference = np.max(np.abs(rate_outputs - predicted[:N_SIMULATED]))
print(f"nengo simulation vs reference ({N_SIMULATED} images): {difference:.1e}")

# %%
# Spiking neurons
# ---------------
# The same memory, encoders and kernels, on spiking neurons that fire ten times
# faster with spikes a tenth as large. Their output weights are fitted again on
# the spiking network, so that `fit` accounts for the spike noise; then both
# networks classify the first 40 test images in nengo.

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

# %%
# One test image
# --------------
# The first test image, in its usual pixel order (the network sees it
# permuted).

label = labels[test][0]
fig, ax = plt.subplots(figsize=(3, 3), layout="constrained")
ax.imshow(images[test][0][np.argsort(permutation)].reshape(8, 8), "gray_r")
ax.set_title(f"test image 0 (label {label})")
ax.axis("off")

# %%
# Its outputs over time
# ---------------------
# The 10 outputs of the rate and spiking networks while the pixels of that
# image arrive. Only the last step was trained: before it the outputs mean
# little, and at it the output of the true class (black) stands clear of the
# other nine (grey), in both networks. The figure is saved as
# ``digits_fit.png`` (or where the environment variable ``NENGO_LMU_FIGURE``
# says).

t = np.arange(1, N_STEPS + 1)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5), sharey=True, layout="constrained")
for ax, name, outputs in [
    (axes[0], "rate", rate_outputs),
    (axes[1], "spiking", spiking_outputs),
]:
    others = np.delete(outputs[0], label, axis=1)
    ax.plot(t, others, lw=1, color="0.7")[0].set_label("other classes")
    ax.plot(t, outputs[0][:, label], "k", lw=2, label=f"class {label} (true)")
    ax.set_title(f"{name} neurons")
    ax.set_xlabel("time step (pixel)")
axes[0].set_ylabel("output (10 classes)")
axes[1].legend(loc="upper left", frameon=False)
out = os.environ.get("NENGO_LMU_FIGURE", "digits_fit.png")
fig.savefig(out, dpi=150)
print(f"saved {out}")
