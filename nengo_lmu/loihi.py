r"""Neural Legendre memories prepared for nengo_loihi (the Loihi chip and its emulator).

A neural `~nengo_lmu.LegendreMemory` maps its recurrence onto its ``Lowpass``
synapse for the loop nengo's reference simulator runs. nengo_loihi runs another
loop (read from nengo_loihi 1.1's builder and emulator, and measured: see
:doc:`/backend_loihi`):

- every decoded connection between ensembles passes through spiking *decode
  neurons*: the connection's ``Lowpass`` filters their input, and the target
  compartment filters their spikes again with ``Model.decode_tau`` (5 ms by
  default), one step later; input from the host arrives through the same
  filter. The loop therefore runs through a second filter and a few steps
  of delay that its mapping does not know of, which slows the memory down
  (its window stretches) and damps its highest dimensions, and the decode
  neurons' spikes, filtered only by ``decode_tau``, add noise to the loop;
- its neurons are nengo_loihi's discretised ones (`LoihiLIF`), which, at the
  100 to 120 Hz the chip is used at, decode their input about 3 to 5 ms early,
  as nengo's LIF does.

A memory made with `loihi_memory_kwargs` is prepared for a ``decode_tau``
suited to its synapse, window and order (`loihi_decode_tau`: the synapse less
5 ms, at most 20 ms and 0.24 theta / order, which filters the decode neurons'
spikes more), and its `LoihiLead` measures the
neurons' lead on the neuron model the chip runs (the lead calibration of
`~nengo_lmu.calibration.calibrate_lead`, with ``nengo_loihi.neurons.LoihiLIF``
or ``LoihiSpikingRectifiedLinear`` in the reference simulator), and corrects
the mapping for that lead and for the chip's ``Lowpass(decode_tau)`` and delay
(`chip_loop_correction`: the filter exactly, not as a lag). Nothing measured on
nengo's own neurons is used. `loihi_model` gives the nengo_loihi
model to simulate it with: that ``decode_tau`` and, at 5 ms, decode neurons
that carry each value with twice the spikes (`loihi_decode_neurons`), and, for
PES-learned connections, weights finer for larger ensembles
(`loihi_pes_wgt_exp`) but coarse enough for their traces (`fit_pes_traces`).
When the memory is built, it checks the model's
``decode_tau`` and that its weights fit Loihi's.

nengo_loihi is imported only when a memory is prepared or a model made.
"""

import copy
import functools
import warnings

import nengo
import numpy as np
import scipy.linalg
from nengo.exceptions import ValidationError

from nengo_lmu.calibration import LeadCalibration
from nengo_lmu.validation import check_nonnegative, check_positive

# nengo_loihi's default Model.decode_tau (s): the filter on decode neurons' spikes.
DECODE_TAU = 0.005
# The decode_tau a memory with a Lowpass(tau) synapse is prepared for: tau less
# DECODE_TAU_MARGIN (s), at most MAX_DECODE_TAU (s) and DECODE_TAU_PER_WINDOW of
# theta / order (but not below DECODE_TAU for that). A longer decode_tau filters
# the decode neurons' spikes more (less noise in the loop), and
# chip_loop_correction corrects the filter; measured on the emulator with
# benchmarks/loihi.py.
DECODE_TAU_MARGIN = 0.005
MAX_DECODE_TAU = 0.02
DECODE_TAU_PER_WINDOW = 0.24  # of theta / order
# loihi_model's decode neurons at decode_tau <= DECODE_TAU (fast synapses):
# nengo_loihi's Preset10DecodeNeurons at this many
# times their rates, so that twice the spikes carry each decoded value (less
# noise in the loop); their output scale is fitted to decoded values up to
# DECODE_FIT_RANGE of the target's radius, as the chip's neurons fire.
DECODE_RATE_FACTOR = 2.0
DECODE_FIT_RANGE = 0.6
# Steps the chip's decoded loop is delayed besides its Lowpass(decode_tau): one
# for the decode neurons' relay and about two for their spike timing (fitted on
# the emulator with `chip_loop_correction`, see docs/backend_loihi.rst).
CHIP_DELAY_STEPS = 3
# nengo_loihi's default Model.pes_wgt_exp: the exponent of PES-learned weights.
# loihi_pes_wgt_exp keeps it for pre ensembles of up to PES_REFERENCE_RATE
# spikes/s at their maximum rates (50 neurons at 110 Hz), and lowers it by one
# for each doubling beyond (measured on the emulator with loihi_delay.py).
PES_WGT_EXP = 4
PES_REFERENCE_RATE = 5500.0
# The largest value of nengo_loihi 1.1's 7-bit pre-synaptic learning traces.
TRACE_MAX = 127
# The learned weights' exponents nengo_loihi 1.1's synapses accept.
PES_WGT_EXP_RANGE = (-7, 7)
# The smallest coupling (entry of the recurrent transform) whose decode neurons'
# weights nengo_loihi 1.1 could discretise at 100 neurons, 100 to 120 Hz.
MIN_COUPLING = 0.05
# Neuron types the chip runs, and the nengo_loihi neuron model each runs as.
LOIHI_NEURON_TYPES = ("LIF", "SpikingRectifiedLinear")


def loihi_neuron_type(neuron_type, obj=None):
    """The nengo_loihi neuron model that Loihi runs ``neuron_type`` as.

    Parameters
    ----------
    neuron_type : nengo.neurons.NeuronType
        ``nengo.LIF`` or ``nengo.SpikingRectifiedLinear`` (or nengo_loihi's
        ``LoihiLIF`` / ``LoihiSpikingRectifiedLinear``, returned as they are).
    obj : object, optional
        The object whose neuron type it is, named in errors.

    Returns
    -------
    nengo.neurons.NeuronType
        ``LoihiLIF`` or ``LoihiSpikingRectifiedLinear`` with the same parameters.

    Examples
    --------
    >>> loihi_neuron_type(nengo.LIF(tau_rc=0.03))  # doctest: +SKIP
    LoihiLIF(tau_rc=0.03)
    """
    from nengo_loihi.neurons import LoihiLIF, LoihiSpikingRectifiedLinear

    if isinstance(neuron_type, (LoihiLIF, LoihiSpikingRectifiedLinear)):
        return neuron_type
    if type(neuron_type) is nengo.LIF:
        return LoihiLIF(
            tau_rc=neuron_type.tau_rc,
            tau_ref=neuron_type.tau_ref,
            min_voltage=neuron_type.min_voltage,
            amplitude=neuron_type.amplitude,
        )
    if type(neuron_type) is nengo.SpikingRectifiedLinear:
        return LoihiSpikingRectifiedLinear(amplitude=neuron_type.amplitude)
    raise ValidationError(
        f"must be a neuron type Loihi runs, nengo.LIF or "
        f"nengo.SpikingRectifiedLinear (got {neuron_type}); Loihi has no rate "
        "neurons and no other spiking models",
        attr="neuron_type",
        obj=obj,
    )


class LoihiLead:
    """The ``lead`` of a neural `~nengo_lmu.LegendreMemory` that runs on nengo_loihi.

    Pass it as ``lead=LoihiLead()`` (or use `loihi_memory_kwargs`). When the memory
    is made, it checks that the memory can build on Loihi (a ``Lowpass``
    synapse, ``loop="direct"``, a spiking neuron type Loihi has) and raises a
    `~nengo.exceptions.ValidationError` naming the memory otherwise. It then
    measures the lead of the memory's ensembles as Loihi's neurons
    (`loihi_neuron_type`, stepped in the reference simulator: what the emulator
    computes), and corrects the memory's mapping for the loop the chip runs
    (`correct_mapping`, `chip_loop_correction`): that lead, and the decode
    neurons' ``Lowpass(decode_tau)`` and delay on every decoded connection
    (``chip_lag`` in all). The memory's ``lead`` is the net lead, that lead less
    ``chip_lag`` (what a first-order correction would correct).

    When it is built on nengo_loihi, the memory checks the simulator's
    ``decode_tau`` (`check_model`) and that Loihi can discretise the weights of
    its couplings (`check_built`).

    Parameters
    ----------
    decode_tau : float or "auto", optional
        nengo_loihi's ``Model.decode_tau`` (s) of the simulator that will run the
        memory (0.005 by default, as nengo_loihi's); ``"auto"`` (what
        `loihi_memory_kwargs` gives): `loihi_decode_tau` of the memory.
    chip_lag : float, optional
        Lag of the chip's decoded loop behind the mapping's (s): its
        ``Lowpass(decode_tau)`` and a delay of the rest; by default
        ``decode_tau + CHIP_DELAY_STEPS * dt`` (three steps). At least
        ``decode_tau``.

    Examples
    --------
    >>> from nengo_lmu import LegendreMemory
    >>> memory = LegendreMemory(  # doctest: +SKIP
    ...     0.5, 4, n_neurons=100, neuron_type=nengo.LIF(), synapse=0.05,
    ...     loop="direct", min_coupling=0.05, lead=LoihiLead(),
    ...     add_to_container=False)
    >>> memory.lead_calibration.reason  # doctest: +SKIP
    "lead of LoihiLIF() less the chip's lag of 8 ms (its Lowpass(decode_tau=0.005)
    corrected exactly)"
    """

    def __init__(self, decode_tau=DECODE_TAU, chip_lag=None):
        if not (isinstance(decode_tau, str) and decode_tau == "auto"):
            decode_tau = check_nonnegative(decode_tau, "decode_tau", obj=self)
        self.decode_tau = decode_tau
        self.chip_lag = (
            None if chip_lag is None else check_nonnegative(chip_lag, "chip_lag")
        )

    def __repr__(self):
        chip_lag = "" if self.chip_lag is None else f", chip_lag={self.chip_lag!r}"
        return f"LoihiLead(decode_tau={self.decode_tau!r}{chip_lag})"

    def lag(self, dt):
        """The chip's loop lag (s) for time step ``dt``."""
        if self.chip_lag is not None:
            return self.chip_lag
        return self.decode_tau + CHIP_DELAY_STEPS * dt

    def check_memory(self, memory, neuron_type, synapse):
        """Refuse a memory that cannot build on Loihi (before anything is built).

        Returns the lead to use: this one, or with ``decode_tau="auto"`` one with
        `loihi_decode_tau` of the memory.
        """
        if isinstance(self.decode_tau, str):  # "auto"
            decode_tau = DECODE_TAU
            if type(synapse) is nengo.Lowpass:  # others are refused below
                decode_tau = loihi_decode_tau(synapse, memory.theta, memory.order)
            resolved = LoihiLead(decode_tau=decode_tau, chip_lag=self.chip_lag)
            return resolved.check_memory(memory, neuron_type, synapse)
        if self.chip_lag is not None and self.chip_lag < self.decode_tau:
            raise ValidationError(
                f"must be at least decode_tau={self.decode_tau:g} s, the chip's "
                f"filter (got chip_lag={self.chip_lag:g} s)",
                attr="lead",
                obj=memory,
            )
        memory._loihi_lead = self  # what prepare_lmu and loihi_model check
        if memory.n_neurons is None:
            return self  # the exact memory runs on the host
        if neuron_type is nengo.params.Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        loihi_neuron_type(neuron_type, obj=memory)
        if type(synapse) is not nengo.Lowpass:
            raise ValidationError(
                f"must be a Lowpass on Loihi (got {synapse}): each Loihi "
                "compartment filters its input with one exponential; pass a time "
                "constant such as synapse=0.05",
                attr="synapse",
                obj=memory,
            )
        if synapse.tau <= self.lag(memory.dt):
            raise ValidationError(
                f"must be slower than the chip's loop lag of "
                f"{self.lag(memory.dt) * 1e3:.3g} ms on Loihi (got tau="
                f"{synapse.tau:g} s); use 0.01 s or more",
                attr="synapse",
                obj=memory,
            )
        if memory.loop != "direct":
            raise ValidationError(
                f"must be 'direct' on Loihi (got {memory.loop!r}): nengo_loihi "
                "replaces the state Node of loop='state' by a decoded connection "
                "for every pair of ensembles, whose weak couplings it cannot "
                "discretise",
                attr="loop",
                obj=memory,
            )
        return self

    def check_model(self, model, memory):
        """Refuse a nengo_loihi model whose ``decode_tau`` is not the memory's.

        Called when the memory is built; models without ``decode_tau`` (nengo's
        own) are not checked.
        """
        decode_tau = getattr(model, "decode_tau", None)
        if decode_tau is None or memory.n_neurons is None:
            return
        if not np.isclose(decode_tau, self.decode_tau, rtol=1e-9, atol=0):
            raise ValidationError(
                f"was prepared for nengo_loihi's decode_tau={self.decode_tau:g} s, "
                f"but the simulator's model has decode_tau={decode_tau:g} s; pass "
                "model=nengo_lmu.loihi.loihi_model(network) to nengo_loihi.Simulator",
                attr="lead",
                obj=memory,
            )

    def check_built(self, model, memory):
        """Refuse couplings whose weights no Loihi weight exponent fits.

        Called once the memory's connections are built on nengo_loihi: each
        decoded connection between its ensembles is discretised as nengo_loihi
        will do it at the end of the build (on a copy), so that a coupling too
        weak for the chip is named now, with what to change.
        """
        if getattr(model, "decode_tau", None) is None or memory.n_neurons is None:
            return
        from nengo.exceptions import BuildError
        from nengo_loihi.builder.discretize import discretize_compartment

        too_weak = []
        for connection in memory.connections:
            block = model.objs[connection].get("decoded")
            if block is None:
                continue
            weight = max(synapse.max_abs_weight() for synapse in block.synapses)
            try:
                discretize_compartment(copy.deepcopy(block.compartment), weight)
            except BuildError:
                coupling = np.abs(connection.transform.init).max()
                too_weak.append((coupling, connection, weight))
        if too_weak:
            coupling, connection, weight = max(too_weak, key=lambda weak: weak[0])
            raise ValidationError(
                f"is too small for Loihi ({memory.min_coupling:g}): "
                f"{len(too_weak)} couplings give their decode neurons weights too "
                f"small for any Loihi weight exponent, the strongest {coupling:.3g} "
                f"({connection}, weights at most {weight:.3g}); set min_coupling "
                f"above {coupling:.3g} (it drops weaker couplings)",
                attr="min_coupling",
                obj=memory,
            )

    def measure_lead(self, memory, Ad, Bd, tau):
        """Measure Loihi's neurons' lead and return the correction (a `LeadCalibration`)."""
        neuron_type = loihi_neuron_type(memory.neuron_type, obj=memory)
        solver = nengo.solvers.LstsqL2(reg=0.01)
        with warnings.catch_warnings():
            # nengo_loihi 1.1 warns that it was not tested with nengo 4
            warnings.filterwarnings("ignore", "This version of `nengo_loihi`")
            calibration = memory._measure_lead(
                Ad, Bd, tau, (solver,), neuron_type=neuron_type
            )
        measured = calibration.measured
        # to first order, the loop's net lead (what correct_mapping corrects exactly)
        lead = measured - self.lag(memory.dt)
        reason = (
            f"lead of {neuron_type} less the chip's lag of "
            f"{self.lag(memory.dt) * 1e3:.3g} ms (its Lowpass(decode_tau="
            f"{self.decode_tau:g}) corrected exactly)"
        )
        return LeadCalibration(
            lead=lead,
            measured=measured,
            scale=1.0,
            scales=(1.0,),
            predicted_nrmse=(float("nan"),),
            solver=solver,
            solvers=(solver,),
            predicted_by_solver=((float("nan"),),),
            reason=reason,
            radius=calibration.radius,
            radii=(calibration.radius,),
            predicted_by_radius=(((float("nan"),),),),
        )

    def correct_mapping(self, mapping, lead, tau, dt):
        """The memory's mapping corrected for the chip's loop (`chip_loop_correction`).

        ``lead`` is the net lead `measure_lead` gave (the neurons' lead less the
        chip's lag); ``dt`` the memory's time step.
        """
        lag = self.lag(dt)
        return chip_loop_correction(
            mapping,
            np.asarray(lead) + lag,
            tau,
            decode_tau=self.decode_tau,
            delay=lag - self.decode_tau,
        )


def chip_loop_correction(mapping, lead, tau, decode_tau=0.0, delay=0.0):
    r"""Correct a ``Lowpass(tau)`` `~nengo_lmu.synapse_mapping` for the loop Loihi runs.

    On nengo_loihi a memory's decoded feedback leads its state by ``lead`` (the
    neurons, per state dimension, as in `~nengo_lmu.lead_correction`), and its
    decode neurons then filter it with ``Lowpass(decode_tau)`` and delay it by
    ``delay``; the input, relayed from the host, is filtered and delayed the same
    way. The loop the chip runs is therefore

    .. math::

        (\tau s + 1)\, r = A' K(s) r + B' u, \qquad
        K(s) = (I + s D)\, f(s), \quad f(s) = \frac{e^{-s T}}{\tau_d s + 1}

    (:math:`r` the value the memory's readout decodes, :math:`D =
    \mathrm{diag}(\delta)`, :math:`\tau_d` = ``decode_tau``, :math:`T` =
    ``delay``), where the mapping assumed :math:`K = I`. For a state that follows
    the intended dynamics :math:`\dot r = M r + N u` (:math:`M = (A'_0 - I) /
    \tau`, :math:`N = B'_0 / \tau`), :math:`K(s) r = K(M) r` plus terms in the
    input, so the recurrent transform :math:`A' = A'_0 K(M)^{-1}` restores the
    loop (the filter is not approximated by a lag, which a first-order
    correction must do: at the memory's frequencies it also attenuates, most in
    the highest dimensions). The input terms, :math:`A'_0 K(M)^{-1} (K(s) -
    K(M)) (sI - M)^{-1} N u`, are cancelled to first order in :math:`s`: a
    constant one in the input transform through ``Lowpass(tau)``, and one in
    :math:`s u` through a second input connection with the synapse :math:`s /
    (\tau s + 1)`. The divided differences of :math:`f` are read from
    :math:`f` of one block matrix. With ``decode_tau = delay = 0`` this is
    `~nengo_lmu.lead_correction` (and a second input connection of zeros).

    Parameters
    ----------
    mapping : SynapseMapping
        The exact mapping for a ``Lowpass(tau)`` loop (see `synapse_mapping`).
    lead : float or (n,) array_like
        Lead of the neurons' decoded feedback of each state dimension (s).
    tau : float
        Time constant of the loop's ``Lowpass`` synapse (s, > 0).
    decode_tau : float, optional
        Time constant of the ``Lowpass`` after it (s), nengo_loihi's
        ``Model.decode_tau``.
    delay : float, optional
        Further delay of the feedback and the input (s).

    Returns
    -------
    SynapseMapping
        The corrected mapping: the recurrent transform, and two input
        connections (through ``Lowpass(tau)`` and through ``s / (tau s + 1)``).

    Examples
    --------
    >>> from nengo_lmu import discretize, legendre_delay, synapse_mapping
    >>> Ad, Bd = discretize(*legendre_delay(theta=0.5, order=4), dt=0.001)
    >>> mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.05), dt=0.001)
    >>> corrected = chip_loop_correction(mapping, 0.004, 0.05, decode_tau=0.02,
    ...                                  delay=0.001)
    >>> corrected.input_synapses[1]
    LinearFilter(num=array([1., 0.]), den=array([0.05, 1.  ]))
    """
    from nengo_lmu.discretize import SynapseMapping, lead_correction

    tau = check_positive(tau, "tau")
    decode_tau = check_nonnegative(decode_tau, "decode_tau")
    delay = check_nonnegative(delay, "delay")
    lead_correction(mapping, lead, tau)  # checks the mapping and the lead
    if len(mapping.input_transforms) != 1:
        raise ValidationError(
            "must be the mapping of a Lowpass loop, with one input connection "
            f"(got {len(mapping.input_transforms)})",
            attr="mapping",
        )
    n = len(mapping.recurrent_transform)
    identity, zeros = np.eye(n), np.zeros((n, n))
    drift = (mapping.recurrent_transform - identity) / tau
    lead = np.diag(np.broadcast_to(np.asarray(lead, dtype=float), (n,)))
    # f of [[M, I, 0], [0, 0, I], [0, 0, 0]] holds f(M) and the divided
    # differences f[M, 0] and f[M, 0, 0] in its first block row; s f(s) likewise
    blocks = np.block(
        [[drift, identity, zeros], [zeros, zeros, identity], [zeros, zeros, zeros]]
    )
    filtered = np.linalg.solve(
        np.eye(3 * n) + decode_tau * blocks, scipy.linalg.expm(-delay * blocks)
    )
    f = np.split(filtered[:n], 3, axis=1)
    s_f = np.split((blocks @ filtered)[:n], 3, axis=1)
    feedback = (identity + lead @ drift) @ f[0]  # K(M)
    recurrent = np.linalg.solve(feedback.T, mapping.recurrent_transform.T).T
    (input_transform,) = mapping.input_transforms
    rate = input_transform / tau  # N
    constant = recurrent @ (f[1] + lead @ s_f[1]) @ rate
    derivative = recurrent @ (f[2] + lead @ s_f[2]) @ rate
    return SynapseMapping(
        recurrent,
        (input_transform - constant, -derivative),
        (*mapping.input_synapses, nengo.LinearFilter([1, 0], [tau, 1])),
    )


def loihi_decode_tau(synapse, theta=None, order=None):
    """The nengo_loihi ``decode_tau`` (s) for a memory with this ``Lowpass`` synapse.

    The synapse's time constant less ``DECODE_TAU_MARGIN`` (5 ms; at least half
    of it), at most ``MAX_DECODE_TAU`` (20 ms) and, given the memory's ``theta``
    and ``order``, at most ``DECODE_TAU_PER_WINDOW`` (0.24) of ``theta / order``
    but not below nengo_loihi's 5 ms for that. Chosen on the emulator over the memories of
    ``benchmarks/loihi.py`` (orders 3 to 6, windows 0.1 to 1 s, synapses of 10 to
    100 ms): a longer ``decode_tau`` filters the decode neurons' spikes better,
    and `chip_loop_correction` corrects the loop for it, but the chip's loop must
    stay slower than its filter and delay (`LoihiLead` refuses a synapse no
    slower than them).

    Parameters
    ----------
    synapse : nengo.Lowpass or float
        The memory's synapse (or its time constant, in seconds).
    theta : float, optional
        The memory's window (s).
    order : int, optional
        The memory's order.

    Returns
    -------
    float

    Examples
    --------
    >>> loihi_decode_tau(nengo.Lowpass(0.05))
    0.02
    >>> loihi_decode_tau(0.05, theta=0.25, order=4)
    0.015
    >>> loihi_decode_tau(0.01, theta=0.1, order=3)
    0.005
    """
    tau = synapse.tau if isinstance(synapse, nengo.Lowpass) else synapse
    tau = check_nonnegative(tau, "synapse")
    longest = MAX_DECODE_TAU
    if theta is not None and order is not None:
        per_window = DECODE_TAU_PER_WINDOW * theta / order
        longest = max(DECODE_TAU, min(longest, per_window))
    return float(min(max(tau - DECODE_TAU_MARGIN, tau / 2), longest))


def loihi_pes_wgt_exp(network):
    """The exponent of a network's PES-learned weights on Loihi (``Model.pes_wgt_exp``).

    nengo_loihi learns with PES on 8-bit weights at one exponent,
    ``Model.pes_wgt_exp`` (4 by default), for all learned connections. It fixes
    the chip's learning rate at 2^-7 and puts the rest of the rate into the
    increment of the 7-bit pre-synaptic traces, in proportion to
    ``learning_rate * 2**-pes_wgt_exp / (n * pes_error_scale)`` for ``n`` pre
    neurons; weights and traces are stochastically rounded. The decoders of an
    ensemble of ``n`` neurons at a mean maximum rate ``r`` are about ``1 / (n
    r)`` for a function of unit size, so in units of the exponent the weights,
    and the traces' increments, shrink as the ensemble grows: at 400 neurons and
    PES 1e-3 the default's increment is 1.7 per spike, and rounding noise
    dominated what the emulator learned. This is the default less one for each
    doubling of ``n r`` beyond ``PES_REFERENCE_RATE`` (50 neurons at 110 Hz),
    rounded, for the smallest ``n r`` (the coarsest exponent) among the
    network's PES-learned connections from ensembles, and the default if it has
    none. Measured on the emulator with ``benchmarks/loihi_delay.py``
    (:doc:`/backend_loihi`): for readouts of 100 to 1600 neurons it was the
    finest exponent tried whose learned weights did not clip, and the best of
    those. A faster learning rule makes larger trace increments: `loihi_model`
    coarsens the exponent of each learned connection whose traces would clip.

    Parameters
    ----------
    network : nengo.Network
        The network to simulate.

    Returns
    -------
    int

    Examples
    --------
    >>> with nengo.Network() as model:
    ...     pre = nengo.Ensemble(400, 1, max_rates=nengo.dists.Uniform(100, 120))
    ...     post = nengo.Node(size_in=1)
    ...     learned = nengo.Connection(pre, post, learning_rule_type=nengo.PES())
    >>> loihi_pes_wgt_exp(model)
    1
    """
    rates = [max_rates.sum() for max_rates in _pes_pre_max_rates(network)]
    if not rates:
        return PES_WGT_EXP
    doublings = int(np.round(np.log2(min(rates) / PES_REFERENCE_RATE)))
    return int(np.clip(PES_WGT_EXP - max(doublings, 0), *PES_WGT_EXP_RANGE))


def _pes_pre_max_rates(network):
    """The maximum rates of the pre neurons of each PES-learned connection."""
    return [
        nengo.dists.get_samples(
            connection.pre_obj.max_rates,
            connection.pre_obj.n_neurons,
            rng=np.random.RandomState(0),
        )
        for connection in network.all_connections
        if isinstance(connection.learning_rule_type, nengo.PES)
        and isinstance(connection.pre_obj, nengo.Ensemble)
    ]


def pes_trace_peak(increment, tracing_tau, rate, dt=0.001):
    """The largest value a PES pre-synaptic trace on Loihi reaches.

    nengo_loihi adds ``increment`` to a pre neuron's trace for its spikes in
    each training epoch of 2 steps, and the trace decays by ``exp(-1 /
    tracing_tau)`` a step; a neuron firing regularly at ``rate`` settles to
    ``increment / (1 - exp(-T / tracing_tau))`` just after each spike, with
    ``T`` steps between its spikes (at least the epoch).

    Parameters
    ----------
    increment : float
        The trace's increment per spike (the discretised synapse's
        ``tracing_mag``).
    tracing_tau : int
        The trace's time constant in steps.
    rate : float
        The pre neuron's firing rate (Hz).
    dt : float, optional
        The simulator's time step (s).

    Returns
    -------
    float

    Examples
    --------
    >>> round(pes_trace_peak(10.0, 5, 100.0), 2)
    11.57
    """
    increment = check_nonnegative(increment, "increment")
    tracing_tau = check_positive(tracing_tau, "tracing_tau")
    steps = max(1.0 / (check_positive(rate, "rate") * check_positive(dt, "dt")), 2.0)
    return float(increment / -np.expm1(-steps / tracing_tau))


def fit_pes_traces(model, rate):
    """Coarsen the exponent of PES-learned synapses whose traces would clip.

    For each learned synapse of a nengo_loihi model built but not yet
    discretised, raises its weights' exponent (``learning_wgt_exp``) until the
    trace of a pre neuron firing at ``rate`` stays within nengo_loihi's 7-bit
    range (`pes_trace_peak` at most ``TRACE_MAX``). The increment each
    exponent gives is nengo_loihi's own discretisation of the synapse, on a
    copy.

    Parameters
    ----------
    model : nengo_loihi.builder.Model
        Built with ``discretize=False``; changed in place.
    rate : float
        The fastest firing rate (Hz) of the learned connections' pre neurons.

    Returns
    -------
    list of int
        The exponents of the learned synapses, in the model's order.

    Examples
    --------
    `loihi_model` applies it when it builds. By hand, for a network with a PES
    rate of 1e-2 from 400 neurons at 100 to 120 Hz:

    >>> from nengo_loihi.builder import Model  # doctest: +SKIP
    >>> model = Model(dt=0.001)  # doctest: +SKIP
    >>> model.pes_wgt_exp = loihi_pes_wgt_exp(network)  # doctest: +SKIP
    >>> model.build(network, discretize=False)  # doctest: +SKIP
    >>> model.pes_wgt_exp, fit_pes_traces(model, rate=120.0)  # doctest: +SKIP
    (1, [2])
    """
    from nengo_loihi.builder.discretize import (
        discretize_compartment,
        discretize_synapse,
    )

    rate = check_positive(rate, "rate")
    exponents = []
    for block in model.blocks:
        learned = [synapse for synapse in block.synapses if synapse.learning]
        if not learned:
            continue
        if any(hasattr(synapse, "_lr_int") for synapse in learned):
            raise ValidationError(
                "is already discretised: its learned synapses' exponents are "
                "fixed; build it with discretize=False, then fit it",
                attr="model",
                obj=model,
            )
        weight = max(synapse.max_abs_weight() for synapse in block.synapses)
        info = discretize_compartment(copy.deepcopy(block.compartment), weight)
        for synapse in learned:
            while synapse.learning_wgt_exp < PES_WGT_EXP_RANGE[1]:
                trial = copy.deepcopy(synapse)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # an increment clipped at 127
                    discretize_synapse(trial, weight, info["w_scale"], info["w_exp"])
                peak = pes_trace_peak(
                    trial.tracing_mag, trial.tracing_tau, rate, model.dt
                )
                if peak <= TRACE_MAX:
                    break
                synapse.learning_wgt_exp += 1
            exponents.append(synapse.learning_wgt_exp)
    return exponents


def loihi_memory_kwargs(decode_tau=None, min_coupling=MIN_COUPLING, **kwargs):
    """Options of a `~nengo_lmu.LegendreMemory` (or an LMU's ``memory_kwargs``) for Loihi.

    ``loop="direct"``, ``min_coupling`` and ``lead=LoihiLead(decode_tau)``; any
    other memory options in ``kwargs`` are passed on (``synapse``,
    ``neuron_type``, ...). The memory checks them against Loihi when it is made,
    and checks the simulator's ``decode_tau`` and its weights when it is built:
    run it with ``model=loihi_model(network)``.

    Parameters
    ----------
    decode_tau : float, optional
        nengo_loihi's ``Model.decode_tau`` (s) to prepare the memory for. By
        default (``"auto"``), `loihi_decode_tau` of the memory's synapse, theta
        and order, chosen when the memory is made.
    min_coupling : float, optional
        Couplings below this are dropped (see `~nengo_lmu.LegendreMemory`):
        nengo_loihi 1.1 cannot discretise weaker ones at 100 neurons per
        dimension and 100 to 120 Hz.
    **kwargs
        Further `~nengo_lmu.LegendreMemory` options.

    Returns
    -------
    dict

    Examples
    --------
    >>> import nengo
    >>> from nengo_lmu import LegendreMemory
    >>> with nengo.Network() as model:  # doctest: +SKIP
    ...     model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
    ...     memory = LegendreMemory(
    ...         0.5, 4, n_neurons=100, neuron_type=nengo.LIF(),
    ...         **loihi_memory_kwargs(synapse=0.05))
    >>> with nengo_loihi.Simulator(  # doctest: +SKIP
    ...         model, target="sim", model=loihi_model(model)) as sim:
    ...     sim.run(1.0)
    """
    if decode_tau is None:
        decode_tau = "auto"  # LoihiLead chooses it for the memory
    options = dict(
        loop="direct", min_coupling=min_coupling, lead=LoihiLead(decode_tau=decode_tau)
    )
    options.update(kwargs)
    return options


def loihi_decode_neurons(rate_factor=DECODE_RATE_FACTOR, dt=0.001):
    """nengo_loihi decode neurons that carry each decoded value with more spikes.

    nengo_loihi relays every decoded connection between ensembles through
    *decode neurons*: by default ten heterogeneous on/off pairs per dimension
    (``Preset10DecodeNeurons``) that fire about one spike per step in all for a
    value of the target's radius. Those spikes, filtered by ``decode_tau``, are
    most of the noise a memory's loop has on Loihi. These are the same pairs at
    ``rate_factor`` times their rates (at most about 340 Hz at the default 2),
    whose output scale is fitted (least squares, on the discretised rates Loihi's
    neurons fire at) to decoded values up to ``DECODE_FIT_RANGE`` of the radius.

    Parameters
    ----------
    rate_factor : float, optional
        Multiplies the decode neurons' gains and biases (so their rates).
    dt : float, optional
        The simulator's time step (s).

    Returns
    -------
    nengo_loihi.decode_neurons.Preset10DecodeNeurons
    """
    from nengo_loihi.decode_neurons import Preset10DecodeNeurons

    rate_factor = check_nonnegative(rate_factor, "rate_factor")
    neurons = Preset10DecodeNeurons(dt=dt)
    neurons.gain = neurons.gain * rate_factor
    neurons.bias = neurons.bias * rate_factor
    gain, bias = neurons.gain[::2], neurons.bias[::2]  # one of each on/off pair

    def rates(values):
        currents = values[:, None] * np.ones_like(gain)
        return neurons.neuron_type.rates(currents, gain, bias, dt=dt).sum(axis=1)

    values = np.linspace(0, DECODE_FIT_RANGE, 61)[1:]
    decoded = (rates(values) - rates(-values)) * dt
    neurons.scale = float(values @ values / (values @ decoded))
    return neurons


def loihi_model(network, dt=0.001, pes_wgt_exp=None):
    """The nengo_loihi ``Model`` to simulate a network with memories prepared for Loihi.

    Its ``decode_tau`` is the one the network's memories were prepared for
    (`loihi_memory_kwargs`). With a ``decode_tau`` of 5 ms or less (synapses of
    10 ms), its decode neurons are `loihi_decode_neurons`, which carry each
    value with twice the spikes: measured on the emulator, they helped there
    (whole-window NRMSE 0.26 against 0.34, order 3, theta = 0.1 s) but not with
    the longer ``decode_tau`` of slower synapses, which filters their spikes
    better (0.15 against 0.11 at 20 ms, order 4, theta = 0.5 s);
    pass it as ``nengo_loihi.Simulator(network, dt=dt, model=loihi_model(network,
    dt))``. nengo_loihi has one ``decode_tau`` per model, so the memories must
    share it. Its PES-learned weights have the exponent `loihi_pes_wgt_exp` of
    the network, finer than nengo_loihi's default for large ensembles, coarsened
    for each learned connection whose traces would otherwise clip
    (`fit_pes_traces`, applied when the model is built).

    Parameters
    ----------
    network : nengo.Network
        The network to simulate.
    dt : float, optional
        The simulator's time step (s).
    pes_wgt_exp : int, optional
        The exponent of all PES-learned weights (``Model.pes_wgt_exp``, -7 to
        7), as given. None: `loihi_pes_wgt_exp` of the network, fitted to each
        connection's traces.

    Returns
    -------
    nengo_loihi.builder.Model
    """
    trace_rate = None
    if pes_wgt_exp is None:
        pes_wgt_exp = loihi_pes_wgt_exp(network)
        trace_rate = max(
            (rates.max() for rates in _pes_pre_max_rates(network)), default=None
        )
    elif not (
        isinstance(pes_wgt_exp, (int, np.integer))
        and not isinstance(pes_wgt_exp, bool)
        and PES_WGT_EXP_RANGE[0] <= pes_wgt_exp <= PES_WGT_EXP_RANGE[1]
    ):
        raise ValidationError(
            f"must be an integer from {PES_WGT_EXP_RANGE[0]} to "
            f"{PES_WGT_EXP_RANGE[1]} (got {pes_wgt_exp!r})",
            attr="pes_wgt_exp",
        )
    networks = [network, *network.all_networks]
    leads = [getattr(net, "_loihi_lead", None) for net in networks]
    decode_taus = sorted(
        {
            lead.decode_tau
            for lead, net in zip(leads, networks)
            if lead is not None and net.n_neurons is not None  # exact: on the host
        }
    )
    if len(decode_taus) > 1:
        raise ValidationError(
            f"holds memories prepared for different decode_tau ({decode_taus} s); "
            "nengo_loihi has one per model: pass the same decode_tau to "
            "loihi_memory_kwargs for all",
            attr="network",
            obj=network,
        )
    model = _loihi_model_type()(dt=dt)
    model.pes_wgt_exp = int(pes_wgt_exp)
    model.pes_trace_rate = trace_rate
    if decode_taus:
        model.decode_tau = decode_taus[0]
    if model.decode_tau <= DECODE_TAU:
        # where the loop's lag leaves no room for a longer decode_tau
        model.decode_neurons = loihi_decode_neurons(dt=dt)
    return model


@functools.cache
def _loihi_model_type():
    """nengo_loihi's ``Model``, fitting PES traces (`fit_pes_traces`) as it builds."""
    from nengo_loihi.builder import Model
    from nengo_loihi.builder.discretize import discretize_model
    from nengo_loihi.builder.validate import validate_model

    class LoihiModel(Model):
        pes_trace_rate = None

        def build(self, obj, *args, **kwargs):
            fit = (
                isinstance(obj, nengo.Network)
                and self.toplevel is None
                and self.pes_trace_rate is not None
                and kwargs.get("discretize", True)
            )
            if fit:
                kwargs["discretize"] = False
            built = super().build(obj, *args, **kwargs)
            if fit:
                fit_pes_traces(self, self.pes_trace_rate)
                discretize_model(self)
                validate_model(self)
            return built

    return LoihiModel


def prepare_lmu(lmu):
    """Rewire an `~nengo_lmu.LMU` for nengo_loihi, in place; returns it.

    Two of the LMU's connections change, computing the same thing:

    - **The memory's input to the hidden layer** (``W_m``, from the memory's
      ``output``) becomes one connection from each memory ensemble (through the
      memory's synapse, as before) and one from the memory's input with no
      synapse. On Loihi every compartment filters all its input with one time
      constant, the largest asked for: the hidden neurons filter everything by
      the memory's synapse, so the input's share, already filtered on the host,
      would be filtered twice. Now each share is filtered once (nengo_loihi
      warns ``tau_s is already set to ...``: the hidden compartments keep the
      memory's time constant for the input's share too, as intended).
    - **The learned output** (``W_y``, from the hidden neurons) becomes a decoded
      connection from the hidden ensemble with the same weights as decoders
      (`nengo.solvers.NoSolver`): nengo_loihi learns with PES only on decoded
      connections from an ensemble. ``error`` feeds its rule.

    Prepare the LMU last: after `~nengo_lmu.LMU.fit` or training, whose weights
    it reads (``weight_connections`` no longer holds ``"W_m"`` and ``"W_y"``).

    Parameters
    ----------
    lmu : nengo_lmu.LMU
        A spiking LMU whose neural memory was made with `loihi_memory_kwargs`
        (``memory_kwargs=loihi_memory_kwargs(...)``), or with the exact memory;
        without ``input_to_hidden`` and ``hidden_to_hidden`` (the hidden
        compartments would filter those inputs by the memory's synapse too).

    Returns
    -------
    nengo_lmu.LMU

    Examples
    --------
    >>> import nengo
    >>> from nengo_lmu import LMU
    >>> with nengo.Network() as model:  # doctest: +SKIP
    ...     lmu = LMU(0.25, 4, 400, size_out=1, neuron_type=nengo.LIF(),
    ...               memory_neurons=100, learning_rule_type=nengo.PES(1e-4),
    ...               memory_kwargs=loihi_memory_kwargs(synapse=0.05))
    ...     prepare_lmu(lmu)
    """
    from nengo_lmu.networks.lmu import LMU

    if not isinstance(lmu, LMU):
        raise ValidationError(
            f"must be an nengo_lmu.LMU (got {lmu!r})", attr="lmu", obj=lmu
        )
    if "W_m" not in lmu.weight_connections or "W_y" not in lmu.weight_connections:
        raise ValidationError(
            "is already prepared for Loihi, or has no learned output (size_out=None)",
            attr="weight_connections",
            obj=lmu,
        )
    loihi_neuron_type(lmu.neuron_type, obj=lmu)
    for name, option in (("W_x", "input_to_hidden"), ("W_h", "hidden_to_hidden")):
        if name in lmu.weight_connections:
            raise ValidationError(
                "must be False on Loihi: the hidden compartments filter all their "
                "input with the memory's synapse",
                attr=option,
                obj=lmu,
            )
    if lmu.synapse is not None and type(lmu.synapse) is not nengo.Lowpass:
        raise ValidationError(
            f"must be a Lowpass on Loihi (got {lmu.synapse})", attr="synapse", obj=lmu
        )
    memory = lmu.memory
    if memory.n_neurons is not None and not isinstance(
        getattr(memory, "_loihi_lead", None), LoihiLead
    ):
        raise ValidationError(
            "must be made with memory_kwargs=loihi_memory_kwargs(...) on Loihi: "
            "its mapping and lead are for the reference simulator's loop",
            attr="memory_kwargs",
            obj=lmu,
        )
    rule = lmu.weight_connections["W_y"].learning_rule_type
    if rule is not None and not isinstance(rule, nengo.PES):
        raise ValidationError(
            f"must be nengo.PES or None on Loihi, which learns with PES only (got "
            f"{rule})",
            attr="learning_rule_type",
            obj=lmu,
        )
    memory_input = lmu.weight_connections.pop("W_m")
    output = lmu.weight_connections.pop("W_y")
    kernel = np.asarray(memory_input.transform.init, dtype=float)
    with lmu:
        lmu.connections.remove(memory_input)
        if memory.n_neurons is None:
            nengo.Connection(
                memory.output, memory_input.post, transform=kernel, synapse=None
            )
        else:
            # output = T state (per channel); state sums the connections into it
            state_to_output = kernel @ np.kron(np.eye(memory.size_in), memory.T)
            for connection in memory.connections:
                if connection.post_obj is not memory.state:
                    continue
                into_state = np.eye(memory.state.size_in)[:, connection.post_slice]
                transform = (
                    state_to_output
                    @ into_state
                    @ np.atleast_2d(connection.transform.init)
                )
                from_input = connection.pre_obj is memory.input
                synapse = connection.synapse
                if from_input:
                    # the hidden compartments filter by the memory's Lowpass:
                    # the input's share comes unfiltered, and the term in s / (tau
                    # s + 1) of chip_loop_correction as s (smoothed over a step)
                    synapse = (
                        None
                        if type(synapse) is nengo.Lowpass
                        else nengo.LinearFilter([1, 0], [memory.dt, 1])
                    )
                nengo.Connection(
                    connection.pre,
                    memory_input.post,
                    transform=transform,
                    synapse=synapse,
                    **({} if from_input else dict(solver=connection.solver)),
                )
        lmu.connections.remove(output)
        weights = np.asarray(output.transform.init, dtype=float)
        learned = nengo.Connection(
            lmu.hidden,
            lmu.output,
            function=lambda x, size=lmu.size_out: np.zeros(size),
            solver=nengo.solvers.NoSolver(weights.T),
            synapse=output.synapse,
            learning_rule_type=output.learning_rule_type,
        )
        if output.learning_rule_type is not None:
            for connection in list(lmu.connections):
                rule = connection.post_obj
                if isinstance(rule, nengo.connection.LearningRule) and (
                    rule.connection is output
                ):
                    lmu.connections.remove(connection)
            nengo.Connection(lmu.error, learned.learning_rule, synapse=None)
    lmu.loihi_connections = dict(output=learned)
    return lmu
