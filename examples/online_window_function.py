"""
Online learning of a window function
====================================

An `nengo_lmu.LMU` learns, online, a nonlinear function of the window it
remembers: the product :math:`u(t) \\, u(t - 0.5\\,\\mathrm{s})`.

A product of the present and the past is not in the memory itself, which is
linear: the hidden neurons provide the nonlinearity (they also see the input
itself, ``input_to_hidden=True``), and the output weights from them are learned
with recursive least squares (``nengo.RLS``), which converges in seconds where
PES needs minutes. 300 rate neurons keep RLS's cost (quadratic in the number of
neurons) small. Learning is switched off after 30 s; the last 10 s show what was
learned. Random hidden features need many distinct windows to generalise a
quadratic function: 30 s of 2 Hz noise is not many, so expect a rough result
(longer learning does better).

Run with ``python examples/online_window_function.py``.
"""

# %%
# The network
# -----------
# 300 rate hidden neurons see the memory (order 8 over theta = 1 s) and the
# input itself; their output weights learn with RLS from *output - target*,
# passed on until ``learn_until``.

import os

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LMU, Delay, nrmse

dt, delay, learn_until, duration = 0.001, 0.5, 30.0, 40.0

with nengo.Network(seed=0) as model:
    stim = nengo.Node(nengo.processes.WhiteSignal(duration, high=2, rms=0.3))
    lmu = LMU(
        theta=1.0,
        order=8,
        n_hidden=300,
        size_out=1,
        neuron_type=nengo.RectifiedLinear(),
        learning_rule_type=nengo.RLS(),
        input_to_hidden=True,
        radius=0.6,
    )
    nengo.Connection(stim, lmu.input, synapse=None)

    # the target: the present input times the input half a second ago
    past = nengo.Node(Delay(delay))
    nengo.Connection(stim, past, synapse=None)
    target = nengo.Node(lambda t, x: x[0] * x[1], size_in=2)
    nengo.Connection(stim, target[0], synapse=None)
    nengo.Connection(past, target[1], synapse=None)

    error = nengo.Node(lambda t, e: e if t < learn_until else 0 * e, size_in=1)
    nengo.Connection(lmu.output, error, synapse=None)
    nengo.Connection(target, error, transform=-1, synapse=None)
    nengo.Connection(error, lmu.error, synapse=None)

    output_probe = nengo.Probe(lmu.output)
    target_probe = nengo.Probe(target)

# %%
# Learning, then testing
# ----------------------
# 30 s of learning, then 10 s with the weights frozen.

with nengo.Simulator(model, dt=dt) as sim:
    sim.run(duration)

t, output, target = sim.trange(), sim.data[output_probe], sim.data[target_probe]
tested = t >= learn_until
error = nrmse(output[tested], target[tested]).item()
print(f"NRMSE with learning off (last {duration - learn_until:.0f} s): {error:.3f}")

# %%
# The learning curve
# ------------------
# The NRMSE over successive 5 s stretches: RLS converges within the first
# seconds; after learning stops, the error is that of generalisation.

window = int(5.0 / dt)
curve = [
    nrmse(output[k : k + window], target[k : k + window]).item()
    for k in range(0, len(t), window)
]
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.semilogy(5 * (np.arange(len(curve)) + 0.5), curve, "o-", label="LMU output")
ax.axvline(learn_until, color="k", ls=":", label="learning switched off")
ax.set(
    title="The output's error, learning on then off",
    xlabel="time (s)",
    ylabel="NRMSE over 5 s",
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)

# %%
# The output with learning off, over the last 5 s. The figure is saved as
# ``window_function.png`` (or where the environment variable
# ``NENGO_LMU_FIGURE`` says).

shown = t >= duration - 5
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.plot(t[shown], target[shown], color="0.6", lw=2, label="target u(t) u(t - 0.5 s)")
ax.plot(t[shown], output[shown], color="C0", label="LMU output")
ax.set(title=f"Learning off: NRMSE {error:.3f}", xlabel="time (s)", ylabel="signal")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
out = os.environ.get("NENGO_LMU_FIGURE", "window_function.png")
fig.savefig(out, dpi=150)
print(f"Saved {out}")
