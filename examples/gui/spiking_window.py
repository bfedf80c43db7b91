# A spiking Legendre memory with its window decoded live
#
# A LegendreMemory of order 6 holds the last theta = 1 s of its input in 600
# spiking LIF neurons (100 per Legendre coefficient). Linear readouts of its state
# decode the input as it was 0, 0.25, 0.5, 0.75 and 1 s ago, and a custom HTML
# plot draws the whole window it holds, next to the true recent input.
#
# What to watch:
# - "input" against "decoded delays": each decoded delay is the input shifted
#   right by r * 1 s (r = 0, 0.25, 0.5, 0.75, 1); the longer delays are smoother,
#   since six coefficients only hold about 3 Hz.
# - "u(t - 0.5): decoded vs exact": the spiking memory's half-second delay (blue)
#   against the input delayed exactly (orange).
# - "window" (HTML plot): the window decoded from the spikes (blue) over the last
#   second, over the true input (thick grey); "now" is at the right. The curve
#   scrolls to the left as time passes.
# - "output": the memory state itself, its six Legendre coefficients.
# - "m0[0]" (spike raster): spikes of the population holding the first
#   coefficient (in the balanced basis the memory represents).
#
# How to interact:
# - Drag the "noise level" slider to 0 to silence the white noise, then move the
#   "push" slider: the step you make travels through the window, reaching each
#   decoded delay r seconds later and leaving the window after 1 s.
#
# Run with: nengo examples/gui/spiking_window.py
# The demo opens paused: press the play button (bottom right) to start it.

import collections

import nengo
import numpy as np

from nengo_lmu import Delay, LegendreMemory, legendre_readout

THETA, ORDER, DT = 1.0, 6, 0.001
DELAYS = [0, 0.25, 0.5, 0.75, 1.0]
NOISE = dict(high=1.0, rms=0.3)


class WindowPlot:
    """Draws the decoded window and the true recent input as an SVG (nengo_gui).

    Its input is [u(t), m(t)]: the input and the memory state. nengo_gui shows
    ``_nengo_html_`` in an HTML plot (right-click the Node, "HTML").
    """

    def __init__(self, n_points=50, every=0.02):
        self.r = np.linspace(0, 1, n_points)
        self.readout = legendre_readout(ORDER, self.r)
        self.every = every
        self.history = collections.deque(maxlen=int(round(THETA / DT)))
        self.next_draw = 0.0
        self._nengo_html_ = ""

    def __call__(self, t, x):
        if t <= DT:  # a new run (or a reset in the GUI)
            self.history.clear()
            self.next_draw = 0.0
        self.history.appendleft(float(x[0]))
        if t >= self.next_draw:
            self.next_draw = t + self.every
            self._nengo_html_ = self.svg(self.readout @ x[1:])

    def svg(self, window):
        history = list(self.history)
        history += [0.0] * (self.history.maxlen - len(history))
        true = [
            history[min(int(round(r * THETA / DT)), len(history) - 1)] for r in self.r
        ]

        def line(values, colour, width):
            points = " ".join(
                f"{100 * (1 - r):.1f},{50 - 40 * np.clip(v, -1.2, 1.2):.1f}"
                for r, v in zip(self.r, values)
            )
            return (
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{width}"/>'
            )

        return (
            '<svg width="100%" height="100%" viewBox="-5 0 110 100">'
            '<line x1="0" y1="50" x2="100" y2="50" stroke="#ddd"/>'
            f'{line(true, "#bbb", 4)}{line(window, "#1f77b4", 1.5)}'
            '<text x="100" y="98" font-size="7" text-anchor="end">now</text>'
            f'<text x="0" y="98" font-size="7">-{THETA:g} s</text>'
            "</svg>"
        )


def times(t, x):
    return x[0] * x[1]


model = nengo.Network(label="Spiking Legendre memory", seed=0)
with model:
    noise = nengo.Node(nengo.processes.WhiteSignal(60.0, y0=0, **NOISE), label="noise")
    noise_level = nengo.Node(1.0, label="noise level")  # a slider in the GUI
    push = nengo.Node(0.0, label="push")  # a slider in the GUI
    stim = nengo.Node(size_in=1, label="input")
    scaled_noise = nengo.Node(times, size_in=2, label="scaled noise")
    nengo.Connection(noise, scaled_noise[0], synapse=None)
    nengo.Connection(noise_level, scaled_noise[1], synapse=None)
    nengo.Connection(scaled_noise, stim, synapse=None)
    nengo.Connection(push, stim, synapse=None)

    memory = LegendreMemory(
        theta=THETA,
        order=ORDER,
        n_neurons=100,
        neuron_type=nengo.LIF(),
        dt=DT,
        input_process=nengo.processes.WhiteSignal(100.0, **NOISE),
        label="memory",
    )
    nengo.Connection(stim, memory.input, synapse=None)
    delays = memory.add_output("decoded_delays", r=DELAYS)

    # the decoded half-second delay against the exact one
    exact = nengo.Node(Delay(0.5 * THETA), label="exact u(t - 0.5)")
    nengo.Connection(stim, exact, synapse=None)
    compare = nengo.Node(size_in=2, label="u(t - 0.5): decoded vs exact")
    nengo.Connection(delays[DELAYS.index(0.5)], compare[0], synapse=None)
    nengo.Connection(exact, compare[1], synapse=None)

    # the whole window, for nengo_gui's HTML plot
    window = nengo.Node(WindowPlot(), size_in=1 + ORDER, size_out=0, label="window")
    nengo.Connection(stim, window[0], synapse=None)
    nengo.Connection(memory.output, window[1:], synapse=None)
