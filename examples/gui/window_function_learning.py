# LMU learning a nonlinear function of its window online
#
# The LMU's hidden layer sees the whole window of the last theta = 1 s, so its
# output can learn functions of several points of the past at once. Here it
# learns, online with PES, the product of the current input and the input half a
# window ago: y(t) = u(t) * u(t - 0.5 s), for 2 Hz white noise. No single delay
# line computes this; the spiking hidden neurons (500) have to mix the memory's
# coefficients nonlinearly. As in delay_learning.py, the error (output - target)
# is multiplied by the "learning" switch before it reaches the learning rule.
#
# What to watch:
# - "output vs target": the output (blue) starts flat and gradually follows the
#   product (orange); it is positive when u(t) and u(t - 0.5) have the same sign.
# - "input" and "delayed input": the two factors of the product.
# - "error": output - target, shrinking as the output weights are learned.
# - "hidden" (spike raster): the hidden neurons' spikes.
#
# How to interact:
# - Drag the "learning" slider to 0 to switch learning off and see how well the
#   learned weights generalise to new input; drag it back to 1 to resume.
# - Reset the simulation to start again from zero weights.
#
# Run with: nengo examples/gui/window_function_learning.py
# The demo opens paused: press the play button (bottom right) to start it.


import nengo

from nengo_lmu import Delay, LMU

THETA, ORDER, DELAY = 1.0, 8, 0.5


def product(t, x):
    """u(t) * u(t - theta / 2), from x = [u(t), u(t - theta / 2)]."""
    return x[0] * x[1]


def gate(t, x):
    """The error x[0] while the switch x[1] is on (1), nothing when off (0)."""
    return x[:1] * x[1]


model = nengo.Network(label="LMU learns u(t) u(t - theta/2)", seed=0)
with model:
    stim = nengo.Node(
        nengo.processes.WhiteSignal(60.0, high=2, rms=0.3, y0=0), label="input"
    )
    delayed = nengo.Node(Delay(DELAY), label="delayed input")
    nengo.Connection(stim, delayed, synapse=None)
    target = nengo.Node(product, size_in=2, label="target u(t) u(t - 0.5)")
    nengo.Connection(stim, target[0], synapse=None)
    nengo.Connection(delayed, target[1], synapse=None)

    lmu = LMU(
        theta=THETA,
        order=ORDER,
        n_hidden=500,
        size_out=1,
        neuron_type=nengo.SpikingRectifiedLinear(),
        learning_rule_type=nengo.PES(learning_rate=3e-4),
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
