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


def main(out):
    model, probes = build()
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run(DURATION)
    t = sim.trange()
    ideal = targets(sim.data[probes["input"]])
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
            # The neural memory's state is one time step late; its function
            # outputs are also filtered by FUNCTION_SYNAPSE.
            if name == "neural":
                estimate = np.vstack([estimate[1:], estimate[-1:]])
            goal = target
            if key != "delays" and name == "neural":
                goal = smoothing.filt(target, dt=DT, y0=0)
            results[name, key] = estimate
            errors.append(nrmse(estimate[settled], goal[settled]))
        labels = [f"u(t - {r} theta)" for r in DELAYS] if key == "delays" else [key]
        for i, label in enumerate(labels):
            print(f"{label:<22}{errors[0][i]:>8.4f}{errors[1][i]:>8.4f}")

    shown = (t > 2.0) & (t < 4.0)
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    for i, r in enumerate(DELAYS):
        color = f"C{i}"
        axes[0].plot(t[shown], ideal["delays"][shown, i], color=color, lw=3, alpha=0.3)
        axes[0].plot(
            t[shown],
            results["neural", "delays"][shown, i],
            color=color,
            lw=1,
            label=f"u(t - {r} theta)",
        )
    axes[0].set(title="Delays decoded from the neural memory (thick: ideal)")
    axes[0].legend(loc="upper right", fontsize="small", ncol=3)
    titles = {
        "max": "Maximum of the window",
        "product": "Product u(t - theta/2) u(t - theta)",
    }
    for ax, key in zip(axes[1:], ("max", "product")):
        ax.plot(t[shown], ideal[key][shown], color="0.6", lw=3, label="ideal")
        ax.plot(t[shown], results["exact", key][shown], "--", label="exact memory")
        ax.plot(t[shown], results["neural", key][shown], label="neural memory")
        ax.set(title=titles[key])
        ax.legend(loc="upper right", fontsize="small", ncol=3)
    axes[-1].set(xlabel="time (s)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"Saved {out}")


# %%
# Run it: the script prints its measurements, and saves the figure as
# ``window_decoding.png`` (or where the environment variable ``NENGO_LMU_FIGURE`` says).

main(os.environ.get("NENGO_LMU_FIGURE", "window_decoding.png"))
