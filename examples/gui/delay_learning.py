# LMU learning a delay online, with a learning switch
#
# An LMU (a Legendre memory of order 8 over the last theta = 1 s, feeding 500
# spiking hidden neurons) learns, online with PES, to output its input as it was
# half a second ago: y(t) = u(t - 0.5 s), for 2 Hz white noise. The output
# weights start at zero; the error (output - target) is multiplied by the
# "learning" switch before it reaches the learning rule.
#
# What to watch:
# - "output vs target": the output (blue) starts flat and, within a minute or so
#   of simulated time, follows the target, the input delayed by 0.5 s (compare
#   with the "input" plot, which leads it by half a second).
# - "error": output - target shrinks as the weights are learned.
# - "hidden" (spike raster): the hidden neurons respond to the whole window held
#   in the memory, not just to the current input.
#
# How to interact:
# - Drag the "learning" slider to 0 to switch learning off (the gated error that
#   drives PES drops to zero) and check that the output keeps tracking the delayed
#   input: the network has learned a delay, not memorised this signal. Drag it
#   back to 1 to resume learning.
# - Reset the simulation to start again from zero weights.
#
# Run with: nengo examples/gui/delay_learning.py
# The demo opens paused: press the play button (bottom right) to start it.


import nengo

from nengo_lmu import Delay, LMU

THETA, ORDER, DELAY = 1.0, 8, 0.5


def gate(t, x):
    """The error x[0] while the switch x[1] is on (1), nothing when off (0)."""
    return x[:1] * x[1]


model = nengo.Network(label="LMU learns a delay", seed=0)
with model:
    stim = nengo.Node(
        nengo.processes.WhiteSignal(60.0, high=2, rms=0.3, y0=0), label="input"
    )
    target = nengo.Node(Delay(DELAY), label="target u(t - 0.5)")
    nengo.Connection(stim, target, synapse=None)

    lmu = LMU(
        theta=THETA,
        order=ORDER,
        n_hidden=500,
        size_out=1,
        neuron_type=nengo.SpikingRectifiedLinear(),
        learning_rule_type=nengo.PES(learning_rate=2e-4),
        radius=0.6,
    )
    nengo.Connection(stim, lmu.input, synapse=None)

    # error = output - target (nengo's convention), gated by the switch
    error = nengo.Node(size_in=1, label="error")
    nengo.Connection(lmu.output, error, synapse=None)
    nengo.Connection(target, error, transform=-1, synapse=None)
    learning = nengo.Node(1, label="learning")  # a slider in the GUI: 1 on, 0 off
    gated_error = nengo.Node(gate, size_in=2, label="gated error")
    nengo.Connection(error, gated_error[0], synapse=None)
    nengo.Connection(learning, gated_error[1], synapse=None)
    nengo.Connection(gated_error, lmu.error, synapse=None)

    # output and target in one plot
    compare = nengo.Node(size_in=2, label="output vs target")
    nengo.Connection(lmu.output, compare[0], synapse=None)
    nengo.Connection(target, compare[1], synapse=None)
