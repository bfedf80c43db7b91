"""
Spiking and rate memories against the exact memory
==================================================

The same delay task, a 1 s window of 1 Hz white noise held in a Legendre memory
of order 6, run by three `nengo_lmu.LegendreMemory` networks side by side:

- the exact memory (Nodes, no neurons): the limit set by the order alone;
- a rate memory: 166 ``LIFRate`` neurons per state dimension (about 1000);
- a spiking memory: 166 ``LIF`` neurons per state dimension.

All three decode the full delay :math:`u(t - \\theta)`. The neural memories map
the recurrence exactly onto their ``Lowpass(0.1)`` synapse, so what separates
them from the exact memory is the neurons' own error: the rate memory's is the
static distortion of its decoders, the spiking memory's adds spike noise.

Spiking LIF populations also decode their input about a millisecond early. In a
recurrent memory with a 0.1 s synapse that lead makes the memory run about 1%
fast per millisecond, which shows up as the "gain loss" of spiking delay
networks. `LegendreMemory` measures the lead of each dimension when it is built
and corrects the recurrent transforms for it; ``memory.lead`` holds what it
measured (zeros for rate neurons, which have none). To see the correction's
effect, the script also builds a spiking memory whose synapse is the same
filter written as a general ``nengo.LinearFilter``: the lead is measured only
for a ``nengo.Lowpass``, so that memory runs uncorrected.

Run with ``python examples/spiking_vs_rate.py``.
"""

import os

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, legendre_readout, nrmse
from nengo_lmu.evaluation import periodic_delay

THETA, ORDER, DT, DURATION = 1.0, 6, 0.001, 10.0
HIGH, RMS, N_NEURONS, TAU = 1.0, 0.4, 166, 0.1


def build(seed=0):
    """One input driving the exact, rate, spiking and uncorrected memories."""
    stimulus = nengo.processes.WhiteSignal(DURATION, high=HIGH, rms=RMS, seed=seed)
    # The statistics of the expected input (not the test signal itself) choose
    # the neural memories' basis and scaling.
    expected_input = nengo.processes.WhiteSignal(100.0, high=HIGH, rms=RMS)
    neural = dict(n_neurons=N_NEURONS, dt=DT, input_process=expected_input, synapse=TAU)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(stimulus)
        memories = {
            "exact": LegendreMemory(THETA, ORDER, dt=DT),
            "rate (LIFRate)": LegendreMemory(
                THETA, ORDER, neuron_type=nengo.LIFRate(), **neural
            ),
            "spiking (LIF)": LegendreMemory(
                THETA, ORDER, neuron_type=nengo.LIF(), **neural
            ),
            "spiking, no lead correction": LegendreMemory(
                THETA,
                ORDER,
                neuron_type=nengo.LIF(),
                **dict(neural, synapse=nengo.LinearFilter([1], [TAU, 1])),
            ),
        }
        probes = {"input": nengo.Probe(stim)}
        for name, memory in memories.items():
            nengo.Connection(stim, memory.input, synapse=None)
            probes[name] = nengo.Probe(memory.output)
    return model, memories, probes


# %%
# The lead
# --------
# Building the networks measures the lead of each spiking dimension (rate
# neurons have none), and corrects the recurrent transforms for it.

model, memories, probes = build()
for name, memory in memories.items():
    if memory.lead is not None:
        lead_ms = np.array2string(1e3 * memory.lead, precision=2)
        print(f"{name:<28} lead per dimension (ms): {lead_ms}")
spiking = memories["spiking (LIF)"]
speed = TAU / (TAU - spiking.lead)
print(
    "Uncorrected, each dimension would run tau / (tau - lead) times too fast:",
    np.array2string(speed, precision=3),
)

fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
ax.bar(np.arange(ORDER), 1e3 * spiking.lead)
ax.set(
    title="Measured lead of the spiking memory",
    xlabel="state dimension (balanced basis)",
    ylabel="lead (ms)",
)

# %%
# The delay
# ---------
# All memories run on the same 10 s of input; each decodes the full delay. The
# gain is the least-squares scale of the decoded signal on the target: a memory
# that runs fast loses gain.

with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
    sim.run(DURATION)
t = sim.trange()
u = sim.data[probes["input"]]
target = periodic_delay(u, THETA / DT - 0.5)[:, 0]
readout = legendre_readout(ORDER, 1.0)[0]
settled = t >= 2 * THETA

delayed = {}
print(f"NRMSE of u(t - theta), theta = {THETA} s, order {ORDER}, {HIGH} Hz:")
for name in memories:
    state = sim.data[probes[name]]
    if name != "exact":
        # Neural memories output the state one time step late.
        state = np.vstack([state[1:], state[-1:]])
    delayed[name] = state @ readout
    error = nrmse(delayed[name][settled], target[settled])
    gain = np.dot(delayed[name][settled], target[settled]) / np.dot(
        target[settled], target[settled]
    )
    print(f"{name:<28} NRMSE {error:.4f}   gain {gain:.3f}")

shown = (t > 3.0) & (t < 8.0)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.plot(t[shown], u[shown, 0], color="0.8", label="input u(t)")
ax.plot(t[shown], target[shown], color="k", lw=3, label="u(t - 1 s)")
ax.plot(t[shown], delayed["spiking (LIF)"][shown], lw=1, label="spiking memory")
ax.set(title="1 Hz noise delayed by 1 s", xlabel="time (s)", ylabel="signal")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)

# %%
# The error of each memory against the delayed input. The figure is saved as
# ``spiking_vs_rate.png`` (or where the environment variable
# ``NENGO_LMU_FIGURE`` says).

fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
for name, signal in delayed.items():
    ax.plot(t[shown], (signal - target)[shown], lw=1, label=name)
ax.set(
    title="Error of the delayed signal", xlabel="time (s)", ylabel="decoded - target"
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
out = os.environ.get("NENGO_LMU_FIGURE", "spiking_vs_rate.png")
fig.savefig(out, dpi=150)
print(f"Saved {out}")
