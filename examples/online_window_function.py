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

import os

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LMU, Delay, nrmse

DT, DELAY, LEARN_UNTIL, DURATION = 0.001, 0.5, 30.0, 40.0


def main(out):
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(DURATION, high=2, rms=0.3))
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
        past = nengo.Node(Delay(DELAY))
        nengo.Connection(stim, past, synapse=None)
        target = nengo.Node(lambda t, x: x[0] * x[1], size_in=2)
        nengo.Connection(stim, target[0], synapse=None)
        nengo.Connection(past, target[1], synapse=None)

        error = nengo.Node(lambda t, e: e if t < LEARN_UNTIL else 0 * e, size_in=1)
        nengo.Connection(lmu.output, error, synapse=None)
        nengo.Connection(target, error, transform=-1, synapse=None)
        nengo.Connection(error, lmu.error, synapse=None)

        output_probe = nengo.Probe(lmu.output)
        target_probe = nengo.Probe(target)
    with nengo.Simulator(model, dt=DT) as sim:
        sim.run(DURATION)

    t, output, target = sim.trange(), sim.data[output_probe], sim.data[target_probe]
    window = int(5.0 / DT)
    curve = [
        nrmse(output[k : k + window], target[k : k + window]).item()
        for k in range(0, len(t), window)
    ]
    tested = t >= LEARN_UNTIL
    error = nrmse(output[tested], target[tested]).item()
    print(f"NRMSE with learning off (last {DURATION - LEARN_UNTIL:.0f} s): {error:.3f}")

    fig, axes = plt.subplots(1, 2, figsize=(14, 4), width_ratios=[2, 1])
    shown = t >= DURATION - 5
    axes[0].plot(t[shown], target[shown], label="target: u(t) u(t - 0.5 s)")
    axes[0].plot(t[shown], output[shown], label="LMU output")
    axes[0].set(title=f"Learning off (NRMSE {error:.3f})", xlabel="time (s)")
    axes[0].legend(loc="upper right")
    axes[1].semilogy(5 * (np.arange(len(curve)) + 0.5), curve, "o-")
    axes[1].axvline(LEARN_UNTIL, color="k", ls=":", label="learning off")
    axes[1].set(title="Learning curve", xlabel="time (s)", ylabel="NRMSE over 5 s")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"Saved {out}")


# %%
# Run it: the script prints its measurements, and saves the figure as
# ``window_function.png`` (or where the environment variable ``NENGO_LMU_FIGURE`` says).

main(os.environ.get("NENGO_LMU_FIGURE", "window_function.png"))
