"""
Window decoding: delays and nonlinear functions of the window
=============================================================

A `nengo_lmu.LegendreMemory` holds the last ``theta`` seconds of its input, so
anything that depends on that window can be read from its state.
`LegendreMemory.add_output` adds the readouts:

- ``add_output(r=[...])`` decodes the input at several points of the window,
  :math:`u(t - r\\theta)`: a linear readout of the state;
- ``add_output(function=f)`` decodes a function of the window: here its maximum
  (``np.max`` over 32 points spread over the window) and the product of two
  delays, :math:`u(t - \\theta/2)\\,u(t - \\theta)`.

This script builds the same readouts on an exact memory (Nodes; the function is
computed exactly from the decoded window) and on a neural one (spiking LIF
neurons; the function is decoded from an ensemble that represents the memory
state), prints the NRMSE of each against the ideal value computed from the input
itself, and plots them.

Run with ``python examples/window_decoding.py``.
"""

# %%
# The setup
# ---------
# A window of theta = 0.2 s held in an order-6 memory, driven by white noise
# band-limited to 4 Hz. The delays are read at a quarter, half and all of the
# window; the neural memory has 150 LIF neurons per state dimension, and the
# spiking output of its function readouts is smoothed by a 10 ms synapse.

import os

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, nrmse, periodic_delay

THETA, ORDER, DT, DURATION = 0.2, 6, 0.001, 6.0
HIGH, RMS = 4.0, 0.4
DELAYS = [0.25, 0.5, 1.0]
N_NEURONS = 150  # per state dimension of the neural memory
FUNCTION_SYNAPSE = 0.01  # filters the spiking output of the function ensembles

# %%
# The network
# -----------
# Both memories get the same input and the same three readouts. A readout with
# ``r`` is linear: a weighted sum of the Legendre state. A readout with a
# ``function`` first decodes the window at the points ``r`` (32 points spread
# over the window if no ``r`` is given), then applies the function to them; the
# neural memory decodes that function directly from an ensemble representing
# its state. ``input_process`` tells the neural memory what input to expect, so
# that its neurons are tuned to the range the state actually covers.


def product_of_delays(window):
    """u(t - theta / 2) * u(t - theta), from the window sampled at r = 0.5, 1."""
    return window[0] * window[1]


def build(seed=0):
    """The input, an exact and a neural memory, and their readouts."""
    stimulus = nengo.processes.WhiteSignal(DURATION, high=HIGH, rms=RMS, seed=seed)
    expected_input = nengo.processes.WhiteSignal(100.0, high=HIGH, rms=RMS)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(stimulus)
        exact = LegendreMemory(theta=THETA, order=ORDER, dt=DT, label="exact")
        neural = LegendreMemory(
            theta=THETA,
            order=ORDER,
            n_neurons=N_NEURONS,
            neuron_type=nengo.LIF(),
            dt=DT,
            input_process=expected_input,
            label="neural",
        )
        probes = {"input": nengo.Probe(stim)}
        for name, memory in (("exact", exact), ("neural", neural)):
            nengo.Connection(stim, memory.input, synapse=None)
            outputs = {
                "delays": memory.add_output(r=DELAYS),
                "max": memory.add_output(function=np.max, synapse=FUNCTION_SYNAPSE),
                "product": memory.add_output(
                    r=[0.5, 1.0], function=product_of_delays, synapse=FUNCTION_SYNAPSE
                ),
            }
            for key, node in outputs.items():
                probes[name, key] = nengo.Probe(node)
    return model, probes


model, probes = build()
with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
    sim.run(DURATION)
t = sim.trange()

# %%
# The ideal readouts
# ------------------
# What each readout should give is computed from the input itself: one period
# of the noise is simulated, so `nengo_lmu.periodic_delay` delays it exactly.
# The window's maximum is taken over the same 32 points as the readout.


def targets(u):
    """The ideal readouts, computed from the input signal itself."""
    # Zero-order hold puts the end of the window half a step in the past.
    delayed = {r: periodic_delay(u, r * THETA / DT - 0.5)[:, 0] for r in DELAYS}
    points = np.linspace(0, 1, 32)
    window = np.column_stack([periodic_delay(u, r * THETA / DT - 0.5) for r in points])
    return {
        "delays": np.column_stack([delayed[r] for r in DELAYS]),
        "max": window.max(axis=1, keepdims=True),
        "product": (delayed[0.5] * delayed[1.0])[:, None],
    }


ideal = targets(sim.data[probes["input"]])

# %%
# The errors
# ----------
# The NRMSE of each readout, once the window has filled (after 2 theta). The
# neural memory's state is one step late, and the function outputs of both
# memories pass through the 10 ms synapse, so they are compared with the ideal
# value filtered the same way: what is measured is the error of the memory, not
# of the delay the synapse adds.

smoothing = nengo.Lowpass(FUNCTION_SYNAPSE)
settled = t >= 2 * THETA
results = {}
print(f"NRMSE against the ideal readout (theta {THETA} s, order {ORDER}):")
print(f"{'readout':<22}{'exact':>8}{'neural':>8}")
for key in ("delays", "max", "product"):
    target = ideal[key]
    errors = []
    for name in ("exact", "neural"):
        estimate = sim.data[probes[name, key]]
        # The neural memory's state is one time step late; the function
        # outputs are filtered by FUNCTION_SYNAPSE.
        if name == "neural":
            estimate = np.vstack([estimate[1:], estimate[-1:]])
        goal = target
        if key != "delays":
            goal = smoothing.filt(target, dt=DT, y0=0)
        results[name, key] = estimate
        errors.append(nrmse(estimate[settled], goal[settled]))
    labels = [f"u(t - {r} theta)" for r in DELAYS] if key == "delays" else [key]
    for i, label in enumerate(labels):
        print(f"{label:<22}{errors[0][i]:>8.4f}{errors[1][i]:>8.4f}")

# %%
# Delays from the neural memory
# -----------------------------
# One second of the three delays decoded from the spiking memory (thin) over
# the ideal delayed input (thick, pale). The longest delay, the end of the
# window, is the hardest to read back.

shown = (t > 2.0) & (t < 3.0)
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for i, r in enumerate(DELAYS):
    color = f"C{i}"
    ax.plot(t[shown], ideal["delays"][shown, i], color=color, lw=4, alpha=0.3)
    ax.plot(
        t[shown],
        results["neural", "delays"][shown, i],
        color=color,
        lw=1,
        label=f"u(t - {r * THETA * 1000:.0f} ms)",
    )
ax.set(
    title="Delays decoded from the neural memory (pale: ideal)",
    xlabel="time (s)",
    ylabel="signal",
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)

# %%
# The maximum of the window
# -------------------------
# ``np.max`` of the window is a nonlinear function of the state: the exact
# memory computes it from the decoded window, the neural memory decodes it
# from its neurons. Two seconds of it:

shown = (t > 2.0) & (t < 4.0)
window_ms, half_ms = THETA * 1000, THETA * 500
titles = {
    "max": f"Maximum of the last {window_ms:.0f} ms of input",
    "product": f"Product u(t - {half_ms:.0f} ms) u(t - {window_ms:.0f} ms)",
}
ylabels = {"max": "maximum of the window", "product": "product"}


def plot_function(key):
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.plot(t[shown], ideal[key][shown], color="0.6", lw=4, label="ideal")
    ax.plot(t[shown], results["exact", key][shown], "--", label="exact memory")
    ax.plot(t[shown], results["neural", key][shown], lw=1, label="neural memory")
    ax.set(title=titles[key], xlabel="time (s)", ylabel=ylabels[key])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


plot_function("max")

# %%
# The product of two delays
# -------------------------
# The product of the input half a window and a whole window ago, decoded the
# same way from the two points ``r = [0.5, 1]``. The figure is saved as
# ``window_decoding.png`` (or where the environment variable
# ``NENGO_LMU_FIGURE`` says).

fig = plot_function("product")
out = os.environ.get("NENGO_LMU_FIGURE", "window_decoding.png")
fig.savefig(out, dpi=150)
print(f"Saved {out}")
