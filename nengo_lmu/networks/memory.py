"""The Legendre memory as a nengo network."""

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import NumberParam, StringParam

from nengo_lmu.discretize import discretize
from nengo_lmu.legendre import legendre_delay
from nengo_lmu.validation import IntegerParam, PositiveParam


class LegendreMemory(nengo.Network):
    r"""A sliding window of the input, held as Legendre coefficients.

    Each input channel :math:`u` drives its own memory of ``order`` coefficients
    :math:`m`, the zero-order-hold discretisation of the Legendre delay system
    (`legendre_delay`), stepped once per simulator time step:

    .. math:: m[k] = A_d m[k-1] + B_d u[k].

    The coefficients expand the last ``theta`` seconds of input in shifted Legendre
    polynomials: ``legendre_readout(order, r) @ m`` decodes :math:`u(t - r\theta)`
    for any :math:`r \in [0, 1]`. Under zero-order hold the window ends half a
    time step in the past, so the full-delay readout best matches the input
    delayed by ``theta / dt - 1/2`` steps.

    The memory is a loop of passthrough Nodes with a one-step delay
    (``synapse=0``), so ``output`` is exactly :math:`m[k]`, with no lag: the
    current input enters the memory in the same step (KerasLMU's update order).
    It is a non-neural reference, built only from passthrough Nodes and
    connections, which every nengo backend supports.

    The transforms are computed for ``dt``; a simulator with another time step is
    refused with a `~nengo.exceptions.ValidationError` when it is built.

    Parameters
    ----------
    theta : float
        Length of the window, in seconds (> 0).
    order : int
        Number of Legendre coefficients per channel (>= 1). Higher orders hold
        higher frequencies: about ``order / (2 theta)`` Hz.
    size_in : int, optional
        Number of input channels, each with an independent memory (>= 1).
    dt : float, optional
        Simulator time step the memory is built for, in seconds (> 0).
    **kwargs
        Passed to `nengo.Network` (``label``, ``seed``, ``add_to_container``).

    Attributes
    ----------
    input : nengo.Node
        Input, of size ``size_in``.
    output : nengo.Node
        The memory state, of size ``size_in * order``, channel-major: channel
        ``c``'s coefficients are ``output[c * order:(c + 1) * order]``.
    A, B : ndarray
        The continuous-time system (see `legendre_delay`).
    Ad, Bd : ndarray
        The discrete-time system the memory steps (see `discretize`).

    Examples
    --------
    Hold the last 0.1 s of a signal and decode the input from half a window ago:

    >>> import nengo
    >>> from nengo_lmu import LegendreMemory, legendre_readout
    >>> with nengo.Network() as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=10))
    ...     memory = LegendreMemory(theta=0.1, order=6)
    ...     _ = nengo.Connection(stim, memory.input, synapse=None)
    ...     delayed = nengo.Node(size_in=1)
    ...     _ = nengo.Connection(memory.output, delayed, synapse=None,
    ...                          transform=legendre_readout(6, 0.5))
    ...     probe = nengo.Probe(delayed)
    >>> with nengo.Simulator(model, progress_bar=False) as sim:
    ...     sim.run(0.5)
    >>> sim.data[probe].shape
    (500, 1)
    """

    theta = PositiveParam("theta")
    order = IntegerParam("order", low=1)
    size_in = IntegerParam("size_in", low=1)
    dt = PositiveParam("dt")

    def __init__(self, theta, order, size_in=1, dt=0.001, **kwargs):
        kwargs.setdefault("label", "LegendreMemory")
        super().__init__(**kwargs)
        self.theta = theta
        self.order = order
        self.size_in = size_in
        self.dt = dt

        self.A, self.B = legendre_delay(self.theta, self.order)
        self.Ad, self.Bd = discretize(self.A, self.B, self.dt)

        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.output = nengo.Node(size_in=self.size_in * self.order, label="output")
            for channel in range(self.size_in):
                state = self.output[channel * self.order : (channel + 1) * self.order]
                nengo.Connection(
                    self.input[channel], state, transform=self.Bd, synapse=None
                )
                nengo.Connection(state, state, transform=self.Ad, synapse=0)
            nengo.Node(SimulatorDtCheck(self.dt, str(self)), label="dt check")


class SimulatorDtCheck(nengo.Process):
    """Refuses a simulator whose time step differs from the one a network assumes.

    Networks that bake ``dt`` into their transforms include a Node with this
    process: nengo's builder passes the simulator's ``dt`` to ``make_state`` when
    the model is built (and backends pass it to ``make_step``), so a mismatch fails
    before the simulation starts, on every backend.

    Parameters
    ----------
    dt : float
        The time step the network was built for, in seconds.
    network : str
        Name of the network, for the error message.
    """

    dt = NumberParam("dt", low=0, low_open=True)
    network = StringParam("network")

    def __init__(self, dt, network):
        super().__init__(default_size_in=0, default_size_out=0)
        self.dt = dt
        self.network = network

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        self.check(dt)
        return {}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self.check(dt)
        no_output = np.zeros(0)
        return lambda t: no_output

    def check(self, dt):
        """Raise a `~nengo.exceptions.ValidationError` unless ``dt`` is ours."""
        if not np.isclose(dt, self.dt, rtol=1e-9, atol=0):
            raise ValidationError(
                f"the simulator's dt={dt:g} differs from the dt={self.dt:g} that "
                f"{self.network} was built for; create the network with dt={dt:g} "
                f"or simulate with dt={self.dt:g}",
                attr="dt",
            )
