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

import os

import matplotlib.pyplot as plt
import nengo

from nengo_lmu import LMU, Delay, nrmse

DT, DELAY, LEARN_UNTIL, DURATION = 0.001, 0.5, 40.0, 50.0


def main(out):
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(DURATION, high=2, rms=0.3))
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
        target = nengo.Node(Delay(DELAY))
        nengo.Connection(stim, target, synapse=None)

        # error = output - target, passed on only while learning is switched on
        error = nengo.Node(lambda t, e: e if t < LEARN_UNTIL else 0 * e, size_in=1)
        nengo.Connection(lmu.output, error, synapse=None)
        nengo.Connection(target, error, transform=-1, synapse=None)
        nengo.Connection(error, lmu.error, synapse=None)

        output_probe = nengo.Probe(lmu.output)
        target_probe = nengo.Probe(target)
    with nengo.Simulator(model, dt=DT) as sim:
        sim.run(DURATION)

    t, output, target = sim.trange(), sim.data[output_probe], sim.data[target_probe]
    tested = t >= LEARN_UNTIL
    error = nrmse(output[tested], target[tested]).item()
    print(f"NRMSE with learning off (last {DURATION - LEARN_UNTIL:.0f} s): {error:.3f}")

    fig, axes = plt.subplots(2, 1, figsize=(12, 6))
    for ax, (start, stop) in zip(axes, [(0, 5), (DURATION - 5, DURATION)]):
        shown = (t >= start) & (t < stop)
        ax.plot(t[shown], target[shown], label="target: u(t - 0.5 s)")
        ax.plot(t[shown], output[shown], label="LMU output")
        ax.set(xlabel="time (s)")
        ax.legend(loc="upper right")
    axes[0].set(title="Learning on: the first 5 s")
    axes[1].set(title=f"Learning off: the last 5 s (NRMSE {error:.3f})")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"Saved {out}")


# %%
# Run it: the script prints its measurements, and saves the figure as
# ``delay_learning.png`` (or where the environment variable ``NENGO_LMU_FIGURE`` says).

main(os.environ.get("NENGO_LMU_FIGURE", "delay_learning.png"))
