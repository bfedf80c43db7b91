"""
Delay memory
============

Hold the last 0.1 s of a signal in six Legendre coefficients.

A `nengo_lmu.LegendreMemory` of order 6 holds a sliding window of theta = 0.1 s of
10 Hz white noise. Its state decodes the input at any point of the window; this
script decodes the full delay u(t - theta), prints its NRMSE against the input
delayed by theta (half a step less, as zero-order hold puts the window's end),
and saves a figure: the Legendre basis, the delayed signal, and the whole window
reconstructed from the state at one instant.

Run with ``python examples/delay_memory.py [--out delay_memory.png]``.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nengo  # noqa: E402
import numpy as np  # noqa: E402

from nengo_lmu import LegendreMemory, legendre_readout  # noqa: E402
from nengo_lmu.evaluation import nrmse, periodic_delay  # noqa: E402

THETA, ORDER, DT, DURATION = 0.1, 6, 0.001, 10.0


def simulate(seed=0):
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(DURATION, high=10, rms=0.3))
        memory = LegendreMemory(theta=THETA, order=ORDER, dt=DT)
        nengo.Connection(stim, memory.input, synapse=None)
        stim_probe = nengo.Probe(stim)
        memory_probe = nengo.Probe(memory.output)
    with nengo.Simulator(model, dt=DT) as sim:
        sim.run(DURATION)
    return sim.trange(), sim.data[stim_probe], sim.data[memory_probe]


def main(out):
    t, u, state = simulate()
    delayed = state @ legendre_readout(ORDER, 1.0).T
    target = periodic_delay(u, THETA / DT - 0.5)
    settled = t >= 2 * THETA
    error = nrmse(delayed[settled], target[settled]).item()
    print(f"Delay NRMSE (order {ORDER}, theta {THETA} s, 10 Hz noise): {error:.4f}")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    r = np.linspace(0, 1, 200)
    axes[0].plot(r * THETA, legendre_readout(ORDER, r))
    axes[0].set(
        title=f"Legendre basis, order {ORDER}",
        xlabel="delay r * theta (s)",
        ylabel="P_i(2r - 1)",
    )

    shown = (t > 1.0) & (t < 2.0)
    axes[1].plot(t[shown], u[shown], color="0.7", label="input u(t)")
    axes[1].plot(t[shown], target[shown], label="u(t - theta)")
    axes[1].plot(t[shown], delayed[shown], "--", label=f"memory, NRMSE {error:.4f}")
    axes[1].set(title="Delay by theta = 0.1 s", xlabel="time (s)")
    axes[1].legend(loc="upper right", fontsize="small")

    step = np.flatnonzero(shown)[500]
    window = legendre_readout(ORDER, r) @ state[step]
    past = np.arange(step - int(THETA / DT), step + 1)
    axes[2].plot((t[step] - t[past]), u[past], color="0.7", label="input")
    axes[2].plot(r * THETA - DT / 2, window, "--", label="decoded from state")
    axes[2].set(
        title=f"The window at t = {t[step]:.3f} s",
        xlabel="time ago (s)",
    )
    axes[2].invert_xaxis()
    axes[2].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"Saved {out}")
    return error


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Delay a signal with a Legendre memory; save a figure."
    )
    parser.add_argument("--out", default="delay_memory.png", help="figure file")
    main(parser.parse_args().out)
