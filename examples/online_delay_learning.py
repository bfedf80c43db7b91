"""
Online delay learning
=====================

An `nengo_lmu.LMU` learns, online, to delay its input by half a second.

Its memory holds the last second of 2 Hz white noise in 8 Legendre coefficients;
1000 spiking hidden neurons see that memory, and the output weights from them are
learned with PES from the error *output - target*, where the target is the input
delayed by 0.5 s. Learning is switched off after 40 s by gating the error: the
last 10 s show what the network has learned, not what it tracks.

Run with ``python examples/online_delay_learning.py``.
"""

# %%
# The network
# -----------
# An `nengo_lmu.LMU` with a memory of order 8 over theta = 1 s and 1000 spiking
# hidden neurons, whose output weights start at zero and learn with PES. The
# target is the input delayed by 0.5 s (`nengo_lmu.Delay`). The error, *output -
# target* (nengo's convention), reaches the learning rule only until
# ``learn_until``: after that the weights are frozen.

import os

import matplotlib.pyplot as plt
import nengo

from nengo_lmu import LMU, Delay, nrmse

dt, delay, learn_until, duration = 0.001, 0.5, 40.0, 50.0

with nengo.Network(seed=0) as model:
    stim = nengo.Node(nengo.processes.WhiteSignal(duration, high=2, rms=0.3))
    lmu = LMU(
        theta=1.0,
        order=8,
        n_hidden=1000,
        size_out=1,
        neuron_type=nengo.SpikingRectifiedLinear(),
        learning_rule_type=nengo.PES(2e-4),
        radius=0.6,
    )
    nengo.Connection(stim, lmu.input, synapse=None)
    target = nengo.Node(Delay(delay))
    nengo.Connection(stim, target, synapse=None)

    # error = output - target, passed on only while learning is switched on
    error = nengo.Node(lambda t, e: e if t < learn_until else 0 * e, size_in=1)
    nengo.Connection(lmu.output, error, synapse=None)
    nengo.Connection(target, error, transform=-1, synapse=None)
    nengo.Connection(error, lmu.error, synapse=None)

    output_probe = nengo.Probe(lmu.output)
    target_probe = nengo.Probe(target)

# %%
# Learning, then testing
# ----------------------
# 40 s of learning, then 10 s with the weights frozen: the error over those last
# 10 s measures what the network learned, on input it has not seen.

with nengo.Simulator(model, dt=dt) as sim:
    sim.run(duration)

t, output, target = sim.trange(), sim.data[output_probe], sim.data[target_probe]
tested = t >= learn_until
error = nrmse(output[tested], target[tested]).item()
print(f"NRMSE with learning off (last {duration - learn_until:.0f} s): {error:.3f}")

# %%
# The output starts at zero and, once learned, follows the delayed input with
# learning off. The figure is saved as ``delay_learning.png`` (or where the
# environment variable ``NENGO_LMU_FIGURE`` says).

fig, axes = plt.subplots(2, 1, figsize=(7, 5), sharey=True, layout="constrained")
for ax, (start, stop) in zip(axes, [(0, 5), (duration - 5, duration)]):
    shown = (t >= start) & (t < stop)
    ax.plot(t[shown], target[shown], color="0.6", lw=2, label="target u(t - 0.5 s)")
    ax.plot(t[shown], output[shown], color="C0", label="LMU output")
    ax.set(xlabel="time (s)", ylabel="signal")
axes[0].set_title("Learning on: the first 5 s")
axes[1].set_title(f"Learning off: the last 5 s (NRMSE {error:.3f})")
axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
out = os.environ.get("NENGO_LMU_FIGURE", "delay_learning.png")
fig.savefig(out, dpi=150)
print(f"Saved {out}")
