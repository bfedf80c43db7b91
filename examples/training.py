"""
Training a whole LMU with backprop: permuted sequential digits
==============================================================

`LMU.train` trains every weight of an LMU (the encoders into the memory, the
kernels into the hidden layer, its biases and the output weights) by
backpropagation through the same computation as `LMU.predict`, in JAX (the
``train`` extra: ``pip install nengo-lmu[train]``), and installs the trained
weights in the network, so that a nengo simulation reproduces them.

The task is psDigits: scikit-learn's 8x8 digits shown one pixel per time step (64
steps) in a fixed random order, classified at the last step. The LMU has an
exact memory of order 64 over the 64 steps and 100 ``LIFRate`` hidden neurons
(scaled by ``amplitude=1 / 400`` so that their activities are of order 1). Only
the last step is trained and nothing feeds back, so training needs only the
final memory state of each sequence: one product of the inputs with the
memory's reversed impulse response. The script compares the trained network with
`LMU.fit`, which solves only the output weights of the same network, checks the
trained network in a nengo simulation, and plots the training curve.

Run with ``python examples/training.py`` (needs scikit-learn, in the
``examples`` extra, and the ``train`` extra); it saves ``training.png``.
"""

import os
import time

import matplotlib.pyplot as plt
import nengo
import numpy as np
from sklearn.datasets import load_digits

from nengo_lmu import LMU

# %%
# The data: 1200 images train, 597 test, pixels in [0, 1], permuted.

digits = load_digits()
rng = np.random.RandomState(0)
order = rng.permutation(len(digits.images))
pixels = rng.permutation(64)
sequences = digits.images.reshape(-1, 64)[order][:, pixels, None] / 16.0
labels = digits.target[order]
train, test = sequences[:1200], sequences[1200:]
train_labels, test_labels = labels[:1200], labels[1200:]


def make_lmu():
    return LMU(
        theta=0.064,
        order=64,
        n_hidden=100,
        size_out=10,
        neuron_type=nengo.LIFRate(amplitude=1 / 400),
        seed=0,
    )


# %%
# Fit only the output weights (least squares), then train the whole network
# from the same initial weights (Adam, cross-entropy on the outputs as logits,
# 10% of the training images held out to keep the best epoch).

fitted = make_lmu()
fitted.fit(train, np.eye(10)[train_labels], solver=nengo.solvers.LstsqL2(reg=0.01))
fit_accuracy = np.mean(fitted.predict(test)[:, -1].argmax(-1) == test_labels)

lmu = make_lmu()
start = time.perf_counter()
history = lmu.train(
    train,
    np.eye(10)[train_labels],
    epochs=60,
    loss="crossentropy",
    learning_rate=3e-3,
    validation_split=0.1,
    patience=10,
    seed=0,
)
seconds = time.perf_counter() - start
trained_accuracy = np.mean(lmu.predict(test)[:, -1].argmax(-1) == test_labels)
print(f"output weights fitted: {100 * fit_accuracy:.1f}% of the test images")
print(
    f"whole network trained: {100 * trained_accuracy:.1f}% "
    f"({history['epochs']} epochs, {seconds:.0f} s)"
)

# %%
# The network holds the trained weights: a nengo simulation of a test image gives
# `predict`'s outputs.

with nengo.Network() as model:
    model.add(lmu)
    stimulus = nengo.Node(nengo.processes.PresentInput(test[0], 0.001))
    nengo.Connection(stimulus, lmu.input, synapse=None)
    probe = nengo.Probe(lmu.output, synapse=None)
with nengo.Simulator(model, progress_bar=False) as sim:
    sim.run_steps(64)
simulated = sim.data[probe]
print(
    "largest difference, simulation - predict:",
    np.abs(simulated - lmu.predict(test[:1])[0]).max(),
)

# %%
# The training curve beside the accuracy of the fitted output weights, and the
# trained network's outputs for one test image over its 64 steps. The figure is
# saved as ``training.png`` (or where the environment variable
# ``NENGO_LMU_FIGURE`` says).

fig, axes = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
axes[0].plot(100 * np.array(history["val_accuracy"]), label="trained (validation)")
axes[0].axhline(100 * fit_accuracy, color="gray", ls="--", label="fit (test)")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("accuracy (%)")
axes[0].legend()
axes[1].plot(np.arange(1, 65), simulated)
axes[1].set_xlabel("time step")
axes[1].set_ylabel("output (logits)")
axes[1].set_title(f"test image 0: a {test_labels[0]}")
out = os.environ.get("NENGO_LMU_FIGURE", "training.png")
fig.savefig(out, dpi=150)
print(f"Saved {out}")
