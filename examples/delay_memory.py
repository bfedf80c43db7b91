"""
Delay memory
============

Hold the last 0.1 s of a signal in six Legendre coefficients, and read the
signal back from any point of that window.

Run it with ``python examples/delay_memory.py``: it prints the error of the
delay and saves the delay figure as ``delay_memory.png``.
"""

# %%
# A `nengo_lmu.LegendreMemory` of order 6 over a window of theta = 0.1 s, driven
# by white noise band-limited to 10 Hz. Without neurons the memory is exact: a
# loop of Nodes that steps the discretised Legendre system once per time step.

import matplotlib.pyplot as plt
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, legendre_readout, nrmse, periodic_delay

theta, order, dt, duration = 0.1, 6, 0.001, 10.0

with nengo.Network(seed=0) as model:
    stim = nengo.Node(nengo.processes.WhiteSignal(duration, high=10, rms=0.3))
    memory = LegendreMemory(theta=theta, order=order, dt=dt)
    nengo.Connection(stim, memory.input, synapse=None)
    input_probe = nengo.Probe(stim)
    state_probe = nengo.Probe(memory.output)  # the 6 Legendre coefficients

with nengo.Simulator(model, dt=dt) as sim:
    sim.run(duration)
t, u, state = sim.trange(), sim.data[input_probe][:, 0], sim.data[state_probe]

# %%
# The basis
# ---------
# The state is the window's expansion in shifted Legendre polynomials:
# ``legendre_readout(order, r)`` evaluates them at the relative delays ``r``
# (0 is now, 1 is theta ago), so a weighted sum of the state gives the input at
# any point of the window.

r = np.linspace(0, 1, 200)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.plot(r * theta * 1000, legendre_readout(order, r))
ax.set(
    title=f"The {order} Legendre polynomials of the window",
    xlabel="delay (ms)",
    ylabel="weight of each coefficient",
)

# %%
# The delay
# ---------
# The last point of the window, ``r = 1``, is the input delayed by theta. Under
# zero-order hold the window ends half a time step in the past, so the target
# is the input delayed by ``theta / dt - 0.5`` steps (one period of the noise is
# simulated, so `nengo_lmu.periodic_delay` delays it exactly).

delayed = state @ legendre_readout(order, 1.0)[0]
target = periodic_delay(u, theta / dt - 0.5)
settled = t >= 2 * theta
error = nrmse(delayed[settled], target[settled])
print(f"Delay NRMSE (order {order}, theta {theta} s, 10 Hz noise): {error:.4f}")

shown = (t > 1.0) & (t < 1.6)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.plot(t[shown], u[shown], color="0.7", label="input u(t)")
ax.plot(t[shown], target[shown], color="C0", label="u(t - 0.1 s)")
ax.plot(t[shown], delayed[shown], "--", color="C1", label="decoded from memory")
ax.set(
    title=f"10 Hz noise delayed by 0.1 s: NRMSE {error:.4f}",
    xlabel="time (s)",
    ylabel="signal",
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
fig.savefig("delay_memory.png", dpi=150)
print("Saved delay_memory.png")

# %%
# The whole window
# ----------------
# At one instant, the six coefficients hold the whole last 0.1 s of input: all
# 200 points of the window are decoded from the same state.

step = np.flatnonzero(shown)[300]
past = np.arange(step - int(theta / dt), step + 1)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
ax.plot((t[step] - t[past]) * 1000, u[past], color="0.7", lw=3, label="input")
window = legendre_readout(order, r) @ state[step]
ax.plot((r * theta - dt / 2) * 1000, window, "--", color="C1", label="decoded")
ax.set(
    title=f"The window held at t = {t[step]:.2f} s",
    xlabel="time ago (ms)",
    ylabel="signal",
)
ax.invert_xaxis()
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
