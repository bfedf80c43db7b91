"""The Legendre memory as a nengo network."""

import contextlib
import functools
import inspect
import sys
from collections.abc import Mapping

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import Default

from nengo_lmu.calibration import (
    RADIUS_FRACTIONS,
    RADIUS_MIN_WINDOWS,
    calibrate_lead,
    memory_ensemble,
)
from nengo_lmu.discretize import (
    DISCRETIZE_METHODS,
    _discretize,
    as_loop_synapse,
    lead_correction,
    legendre_discretization,
    synapse_mapping,
)
from nengo_lmu.legendre import legendre_delay, legendre_readout
from nengo_lmu.realize import (
    RMS_RANGE,
    check_input_process,
    legendre_realization,
    process_sample,
)
from nengo_lmu.sequence import evaluate_memory
from nengo_lmu.validation import (
    IntegerParam,
    as_real_array,
    PositiveParam,
    check_choice,
    check_instance,
    check_integer,
    check_nonnegative,
    check_seed,
    describe,
)

LOOPS = ("state", "direct")

# Each ensemble's radius spans 1 / STATE_RMS standard deviations of its state.
STATE_RMS = 0.25
# The nengo.Ensemble arguments a memory's ensembles take from ``ens_kwargs``.
ENSEMBLE_ARGS = set(inspect.signature(nengo.Ensemble.__init__).parameters) - {
    "self",
    "n_neurons",
    "dimensions",
    "neuron_type",
    "label",
    "seed",
}
# Spiking leads are measured and validated over this much simulated time (s).
LEAD_CALIBRATION_TIME = 5.0
# A simulator dt within this relative difference of the memory's is the same time
# step: float32 rounding (a relative 6e-8) passes, and the window it changes by at
# most this fraction.
DT_RTOL = 1e-6
# Input samples that choose the basis, the scaling and evaluation points are
# taken at least this many per window, but no finer than dt: long windows are
# sampled coarsely, so their cost does not grow with theta.
SAMPLES_PER_THETA = 1000
# Besides reg=0.01, the default solver of a calibrated spiking memory may be
# LstsqL2 with one of these regularisations, where that is predicted to help
# (more regularisation decodes less spike noise, at some distortion).
SPIKING_REGULARIZATIONS = (0.03, 0.1)


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

    With ``n_neurons=None`` the memory is exact: a loop of passthrough Nodes with
    a one-step delay (``synapse=0``), so ``output`` is exactly :math:`m[k]`, with
    no lag (the current input enters in the same step, as in KerasLMU). It is built
    only from Nodes and connections, which every nengo backend supports.

    With ``n_neurons`` set, populations of neurons represent the memory:

    - **Basis.** They represent :math:`z = T^{-1} m`, where ``T`` balances the
      system for a readout over the whole window and scales each dimension to the
      same rms for the expected input (`realize`): from ``input_process`` when
      given, otherwise from input of rms ``radius / 2`` band-limited to
      ``1 / theta`` Hz. Each dimension of each channel is one ensemble of
      ``n_neurons`` neurons, whose radius is ``1 / STATE_RMS`` (4) standard
      deviations of its state, so that rare excursions do not saturate it, or the
      smaller radius (3) the lead calibration of a seeded memory predicts
      best, which spans the states with more of each neuron's range
      (``ens_kwargs`` can set it, and any other `nengo.Ensemble` argument). A
      seeded memory seeds its ensembles, so that it and its calibration have the
      same neurons; an unseeded one, or one whose window is longer than
      ``LEAD_CALIBRATION_TIME / RADIUS_MIN_WINDOWS`` (0.25 s), keeps radius 4,
      since whether a smaller one saturates too often depends on the neurons and
      on rare excursions of the states that a short sample does not hold.
    - **Recurrence.** The ensembles feed back through ``synapse`` with the
      transforms of `synapse_mapping`: exact for that synapse in discrete time,
      so the only error is the neurons' own. The input enters through the
      filters the mapping prescribes. Decoders are solved with ``solver``
      (``LstsqL2(reg=0.01)`` for spiking neurons, or the regularisation the
      lead calibration predicts best; ``reg=0.001`` for rate).
    - **Spiking lead.** Spiking LIF populations decode their input about a
      millisecond early, which makes a recurrent memory run fast (the "gain
      loss" seen in spiking delay networks is this phase error). With
      ``lead="auto"``, a ``Lowpass`` synapse and a spiking neuron type, the lead
      of each dimension is measured when the network is built, by driving
      ensembles like the memory's with the states they will represent for
      ``LEAD_CALIBRATION_TIME`` (5) seconds, and the correction
      (`lead_correction`) is validated: the loop is predicted from the measured
      decoding errors with several fractions of the correction and with none (for
      each candidate radius and regularisation), and the best is kept, a change
      only where it is predicted to help
      (`~nengo_lmu.calibration.calibrate_lead`; about a second of build time,
      shared by identical memories). High orders and neuron types that adapt
      rather than lead get the plain mapping or a partial correction this way.
      Windows longer than ``LEAD_CALIBRATION_TIME`` get the plain mapping
      without a calibration: a shorter sample cannot predict the error over the
      window. The lead applied is stored in ``lead``, the calibration in
      ``lead_calibration``.
    - **Output.** ``state`` sums every synaptic input the ensembles receive: it is
      the synaptically filtered estimate of :math:`z`, and ``output`` is
      :math:`T z`, the estimate of :math:`m` one time step late. No further
      filtering is needed, even with spiking neurons.

    The transforms are computed for ``dt``; a simulator with another time step
    (by more than a relative ``DT_RTOL``, 1e-6) is refused with a
    `~nengo.exceptions.ValidationError` when it builds the memory, on every
    backend, at no cost per step.

    Parameters
    ----------
    theta : float
        Length of the window, in seconds (longer than one time step, ``dt``).
    order : int
        Number of Legendre coefficients per channel (>= 1). Higher orders hold
        higher frequencies: about ``order / (2 theta)`` Hz.
    size_in : int, optional
        Number of input channels, each with an independent memory (>= 1).
    n_neurons : int or None, optional
        Neurons per state dimension (>= 1), or None for the exact, non-neural
        memory.
    neuron_type : nengo.neurons.NeuronType, optional
        Neuron type of the ensembles, rate or spiking (nengo's default: LIF).
    synapse : nengo.LinearFilter or float, optional
        Synapse of the recurrent connections: a ``Lowpass`` time constant, or any
        synapse `synapse_mapping` accepts. Spiking neurons need one with a time
        constant (``0``, a one-step delay, passes raw spikes round the loop and is
        refused); rate neurons and ``Direct`` ensembles work with ``0`` too.
    dt : float, optional
        Simulator time step the memory is built for, in seconds (> 0).
    input_process : nengo.Process, optional
        A process representative of one input channel (no input,
        ``default_size_out`` 1), used to choose the state basis and scaling.
    radius : float, optional
        Expected magnitude of the input, used when ``input_process`` is None
        (about 3e-154 to 2.7e154, so that its variance is a float64).
    solver : nengo.solvers.Solver, optional
        Solver for the recurrent decoders (default ``LstsqL2`` with ``reg=0.01``
        for spiking neurons, ``reg=0.001`` for rate neurons). A spiking memory
        calibrated with ``lead="auto"`` and the default solver also considers
        ``reg`` of 0.03 and 0.1 (``SPIKING_REGULARIZATIONS``), and uses the one
        its calibration predicts best (``lead_calibration.solver``).
    discretizer : {"zoh", "euler", "bilinear"}, optional
        How the memory is discretised (see `discretize`): zero-order hold, the
        most accurate, by default; ``"euler"`` reproduces KerasLMU's Euler
        memories and is refused where it is unstable.
    loop : {"state", "direct"}, optional
        How a neural memory's ensembles feed back. ``"state"`` (the default):
        through the ``state`` Node, one decoded connection per ensemble.
        ``"direct"``: from ensemble to ensemble, one connection per nonzero
        coupling, plus the input straight into each ensemble; the same
        computation, with ``state`` kept for reading. Hardware that removes
        passthrough Nodes (nengo_loihi) needs it.
    min_coupling : float, optional
        Couplings between ensembles (entries of the recurrent transform) smaller
        than this in magnitude are dropped (>= 0; 0 keeps all). Loihi cannot
        discretise the weights of a connection that carries only a weak
        coupling; dropping them changes the memory slightly (measure it).
    lead : "auto", None, float, (order,) array_like or LoihiLead, optional
        Lead of the spiking ensembles' decoded feedback to correct, in seconds.
        ``"auto"`` (the default) measures it and corrects only as much as is
        predicted to help, choosing the ensembles' radius and the decoders'
        regularisation with it (see above; nothing for rate neurons or other
        synapses); None uses the plain mapping, radius and solver; numbers (one,
        or one per state dimension, each smaller than the ``Lowpass`` tau in
        magnitude) are corrected as given, for spiking neurons and a ``Lowpass``
        synapse only. `nengo_lmu.loihi.LoihiLead` measures it for the
        nengo_loihi emulator and chip instead (see
        `~nengo_lmu.loihi.loihi_memory_kwargs`).
    ens_kwargs : dict, optional
        Further arguments of every ensemble of a neural memory, as
        `nengo.Ensemble` takes them (``max_rates``, ``intercepts``, ``radius`` in
        units of the state's rms, ...), except those the memory sets
        (``n_neurons``, ``dimensions``, ``neuron_type``, ``label``, ``seed``).
        They apply to the ensembles the lead is calibrated on too. A parent
        network's config applies where they are not given.
    **kwargs
        Passed to `nengo.Network` (``label``, ``seed``, ``add_to_container``).

    Attributes
    ----------
    input : nengo.Node
        Input, of size ``size_in``.
    output : nengo.Node
        The memory state in the Legendre basis, of size ``size_in * order``,
        channel-major: channel ``c``'s coefficients are
        ``output[c * order:(c + 1) * order]``.
    state : nengo.Node
        The represented state :math:`z` (``output`` itself for the exact memory).
    ensembles : list of nengo.Ensemble
        (From `nengo.Network`.) The ensembles of the memory, one per state
        dimension, channel-major; empty for the exact memory.
    A, B : ndarray
        The continuous-time system (see `legendre_delay`).
    Ad, Bd : ndarray
        The discrete-time system in the Legendre basis (see `discretize`);
        read-only, shared by memories with the same ``theta``, ``order``, ``dt``
        and ``discretizer``.
    T, T_inv : ndarray
        The realisation: :math:`m = T z` (identities for the exact memory); see
        `realization`.
    neuron_type : nengo.neurons.NeuronType or None
        Neuron type of the ensembles (None for the exact memory).
    lead : ndarray or None
        The lead of each dimension's decoded feedback corrected in the recurrent
        transforms, in seconds (zeros if none is; None for the exact memory; with
        `~nengo_lmu.loihi.LoihiLead`, the neurons' lead less the chip's lag, both
        corrected by `~nengo_lmu.loihi.chip_loop_correction`).
    lead_calibration : nengo_lmu.calibration.LeadCalibration or None
        With ``lead="auto"`` on a spiking memory with a ``Lowpass`` synapse: the
        measured lead, the predicted error of each candidate correction and the
        reason for the choice (with `~nengo_lmu.loihi.LoihiLead`: the lead of
        Loihi's neurons and the correction for the chip); otherwise None.
    lag : int
        Steps by which ``output`` trails the exact state :math:`m[k]`: 0 for the
        exact memory, 1 for the neural memory (its output is the synaptic estimate
        of the state, which is one step late). `LMU.predict` models it.
    loop : str
        ``"state"`` or ``"direct"``, as given.
    min_coupling : float
        As given.
    dropped_couplings : ndarray or None
        The couplings ``min_coupling`` dropped, as ``(row, column, value)`` rows
        of the recurrent transform (None for the exact memory).

    Notes
    -----
    The input is not checked while the network runs. A NaN input makes the
    state NaN from then on (from its step for the exact memory, one step later
    for a neural one), whatever follows, since the memory is a linear
    recurrence; ``sim.reset()`` clears it. An infinite input gives a state with
    both signs of infinity, and nengo's reference simulator stops with
    ``FloatingPointError`` (it traps invalid operations) in the step it reaches
    the state; other backends give NaN. See :doc:`/robustness`.

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

    The same memory in 1000 spiking neurons:

    >>> spiking = LegendreMemory(theta=0.1, order=6, n_neurons=166,
    ...                          neuron_type=nengo.LIF(), add_to_container=False)
    >>> len(spiking.ensembles), spiking.output.size_out
    (6, 6)
    """

    theta = PositiveParam("theta")
    order = IntegerParam("order", low=1)
    size_in = IntegerParam("size_in", low=1)
    n_neurons = IntegerParam("n_neurons", low=1, optional=True)
    dt = PositiveParam("dt")
    radius = PositiveParam("radius")

    def __init__(
        self,
        theta,
        order,
        size_in=1,
        n_neurons=None,
        neuron_type=Default,
        synapse=0.1,
        dt=0.001,
        input_process=None,
        radius=1.0,
        solver=Default,
        discretizer="zoh",
        loop="state",
        min_coupling=0.0,
        lead="auto",
        ens_kwargs=None,
        **kwargs,
    ):
        kwargs.setdefault("label", "LegendreMemory")
        super().__init__(**kwargs)
        check_seed(self.seed, obj=self)
        self.theta = theta
        self.order = order
        self.size_in = size_in
        self.n_neurons = n_neurons
        self.dt = dt
        self.radius = radius
        if self.theta <= self.dt:
            raise ValidationError(
                f"must be longer than one time step, dt={self.dt:g}: a window of "
                f"theta={self.theta:g} s holds no past input",
                attr="theta",
                obj=self,
            )
        if not RMS_RANGE[0] <= self.radius / 2 <= RMS_RANGE[1]:
            raise ValidationError(
                f"must be from {2 * RMS_RANGE[0]:.3g} to {2 * RMS_RANGE[1]:.3g}, so "
                "that the expected input's variance is a float64 "
                f"(got {self.radius:g})",
                attr="radius",
                obj=self,
            )
        # The neural options are checked for the exact memory too, which ignores
        # them, so that a mistake in them is not silently accepted.
        if neuron_type is not Default:
            check_instance(
                neuron_type,
                "neuron_type",
                nengo.neurons.NeuronType,
                "a nengo NeuronType",
                obj=self,
            )
        synapse = as_loop_synapse(synapse)
        if n_neurons is not None:
            self._check_spiking_synapse(neuron_type, synapse)
        if input_process is not None:
            check_input_process(input_process, 1)
        if solver is not Default:
            check_instance(
                solver, "solver", nengo.solvers.Solver, "a nengo Solver", obj=self
            )
        self.loop = check_choice(loop, "loop", LOOPS, obj=self)
        self.min_coupling = check_nonnegative(min_coupling, "min_coupling", obj=self)
        lead = self._check_lead(lead, neuron_type, synapse)
        self.ens_kwargs = self._check_ens_kwargs(ens_kwargs)
        self.input_process = input_process
        self.neuron_type = None
        self.lead = None
        self.lead_calibration = None
        self.dropped_couplings = None

        self.A, self.B = legendre_delay(self.theta, self.order)
        if discretizer not in DISCRETIZE_METHODS:
            raise ValidationError(
                f"must be one of {DISCRETIZE_METHODS} (got {discretizer!r})",
                attr="discretizer",
                obj=self,
            )
        self.discretizer = discretizer
        self.Ad, self.Bd = legendre_discretization(
            self.theta, self.order, self.dt, method=discretizer
        )
        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.lag = 0 if self.n_neurons is None else 1
            if self.n_neurons is None:
                self.T = self.T_inv = np.eye(self.order)
                self._build_exact()
            else:
                self._build_neural(neuron_type, synapse, input_process, solver, lead)
        register_builders()

    def _check_spiking_synapse(self, neuron_type, synapse):
        if neuron_type is Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        if neuron_type.spiking and len(np.trim_zeros(synapse.den, "f")) == 1:
            raise ValidationError(
                f"must have a time constant for spiking neurons (got {synapse}): "
                "the recurrence would carry raw spikes; use a Lowpass time "
                "constant such as 0.1 (the default), or rate neurons",
                attr="synapse",
                obj=self,
            )

    def _check_ens_kwargs(self, ens_kwargs):
        ens_kwargs = {} if ens_kwargs is None else ens_kwargs
        check_instance(
            ens_kwargs,
            "ens_kwargs",
            Mapping,
            "None or a mapping of nengo.Ensemble arguments",
            obj=self,
        )
        accepted = ENSEMBLE_ARGS
        refused = sorted(set(ens_kwargs) - accepted, key=str)
        if refused:
            raise ValidationError(
                f"has keys {refused} that the memory sets itself or nengo.Ensemble "
                f"does not take (accepted: {sorted(accepted)})",
                attr="ens_kwargs",
                obj=self,
            )
        if ens_kwargs and self.n_neurons is None:
            raise ValidationError(
                "is for a neural memory's ensembles; the exact memory "
                "(n_neurons=None) has none",
                attr="ens_kwargs",
                obj=self,
            )
        return dict(ens_kwargs)

    def _channel(self, channel):
        return slice(channel * self.order, (channel + 1) * self.order)

    def _build_exact(self):
        self.output = nengo.Node(size_in=self.size_in * self.order, label="output")
        self.state = self.output
        for channel in range(self.size_in):
            # Whole Nodes rather than slices where they are the same: nengo's
            # optimiser merges the operators of many memories only then.
            source, state = self.input, self.output
            if self.size_in > 1:
                source, state = self.input[channel], self.output[self._channel(channel)]
            nengo.Connection(source, state, transform=self.Bd, synapse=None)
            nengo.Connection(state, state, transform=self.Ad, synapse=0)

    def _check_lead(self, lead, neuron_type, synapse):
        """The ``lead`` argument: "auto", None, or seconds per state dimension."""
        if lead is None or (isinstance(lead, str) and lead == "auto"):
            return lead
        if hasattr(lead, "measure_lead"):
            # A rule for another backend's neurons (e.g. nengo_lmu.loihi.LoihiLead);
            # it may resolve itself for this memory
            return lead.check_memory(self, neuron_type, synapse) or lead
        if isinstance(lead, str):
            raise ValidationError(
                f"must be 'auto', None or leads in seconds (got {lead!r})",
                attr="lead",
                obj=self,
            )
        given = lead
        lead = as_real_array(lead, "lead", obj=self)
        if lead.ndim > 1 or lead.size not in (1, self.order):
            raise ValidationError(
                f"must be a number or one lead per state dimension ({self.order}); "
                f"got shape {lead.shape}",
                attr="lead",
                obj=self,
            )
        if self.n_neurons is None:
            raise ValidationError(
                "corrects a neural memory; the exact memory (n_neurons=None) has "
                "no lead: leave lead='auto' or None",
                attr="lead",
                obj=self,
            )
        if neuron_type is Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        if not neuron_type.spiking:
            raise ValidationError(
                f"corrects spiking neurons only; {neuron_type} is a rate neuron "
                "type: leave lead='auto' or None",
                attr="lead",
                obj=self,
            )
        if not isinstance(synapse, nengo.Lowpass):
            raise ValidationError(
                f"can only be corrected with a Lowpass synapse (got {synapse}): "
                "leave lead='auto' or None",
                attr="lead",
                obj=self,
            )
        if not np.all(np.isfinite(lead)) or np.any(np.abs(lead) >= synapse.tau):
            raise ValidationError(
                f"must be finite and smaller than the synapse's tau={synapse.tau:g} "
                f"in magnitude (got {describe(given)})",
                attr="lead",
                obj=self,
            )
        return np.broadcast_to(lead, (self.order,)).astype(float)

    def _build_neural(self, neuron_type, synapse, input_process, solver, lead):
        if neuron_type is Default:
            neuron_type = nengo.Config.default(nengo.Ensemble, "neuron_type")
        self.neuron_type = neuron_type
        solvers = (solver,)
        if solver is Default:
            solver = nengo.solvers.LstsqL2(reg=0.01 if neuron_type.spiking else 0.001)
            solvers = (solver,) + tuple(
                nengo.solvers.LstsqL2(reg=reg) for reg in SPIKING_REGULARIZATIONS
            )
        self.T, self.T_inv = self.realization(input_process)
        # Similar to the Legendre system, whose stability discretising it checked.
        Ad, Bd = _discretize(
            self.T_inv @ self.A @ self.T,
            self.T_inv @ self.B,
            self.dt,
            self.discretizer,
            stable=True,
        )
        mapping = synapse_mapping(Ad, Bd, synapse, self.dt)
        self.lead = np.zeros(self.order)
        ensemble_args = self._ensemble_args
        # A seeded memory's ensembles are seeded, so that its calibration measures
        # them (those of the first channel) and not others like them.
        seeds = np.full((self.size_in, self.order), None)
        if self.seed is not None:
            seeds = np.random.RandomState([self.seed, 1]).randint(
                2**31, size=seeds.shape
            )
        correctable = neuron_type.spiking and isinstance(synapse, nengo.Lowpass)
        correct = lead_correction
        # The calibration predicts the error over a whole window from its sample:
        # a sample shorter than the window cannot (measured: corrections of 10 s
        # and 30 s windows made 2 to 4 of 10 seeds worse, by up to 2x).
        if (
            isinstance(lead, str)
            and correctable
            and self.theta <= LEAD_CALIBRATION_TIME
        ):
            self.lead_calibration = self._measure_lead(
                Ad, Bd, synapse.tau, solvers, None if self.seed is None else seeds[0]
            )
            self.lead = self.lead_calibration.lead
            solver = self.lead_calibration.solver
            ensemble_args["radius"] = self.lead_calibration.radius
        elif isinstance(lead, np.ndarray):
            self.lead = lead
        elif lead is not None and not isinstance(lead, str):
            # a backend's rule (nengo_lmu.loihi.LoihiLead) measures and corrects
            self.lead_calibration = lead.measure_lead(self, Ad, Bd, synapse.tau)
            self.lead = self.lead_calibration.lead
            solver = self.lead_calibration.solver
            correct = functools.partial(lead.correct_mapping, dt=self.dt)
        if np.any(self.lead != 0) or correct is not lead_correction:
            mapping = correct(mapping, self.lead, synapse.tau)

        recurrent = mapping.recurrent_transform.copy()
        weak = (np.abs(recurrent) < self.min_coupling) & (recurrent != 0)
        self.dropped_couplings = np.column_stack([*np.nonzero(weak), recurrent[weak]])
        recurrent[weak] = 0

        size = self.size_in * self.order
        self.state = nengo.Node(size_in=size, label="state")
        self.output = nengo.Node(size_in=size, label="output")
        for channel in range(self.size_in):
            ensembles = [
                memory_ensemble(
                    self.n_neurons,
                    neuron_type,
                    ensemble_args,
                    f"m{channel}[{i}]",
                    seed=seeds[channel, i],
                )
                for i in range(self.order)
            ]
            state = self.state[self._channel(channel)]
            for transform, input_synapse in zip(
                mapping.input_transforms, mapping.input_synapses
            ):
                nengo.Connection(
                    self.input[channel],
                    state,
                    transform=transform,
                    synapse=input_synapse,
                )
                if self.loop == "direct":
                    for i, ensemble in enumerate(ensembles):
                        nengo.Connection(
                            self.input[channel],
                            ensemble,
                            transform=transform[[i]],
                            synapse=input_synapse,
                        )
            for j, ensemble in enumerate(ensembles):
                nengo.Connection(
                    ensemble,
                    state,
                    transform=recurrent[:, [j]],
                    synapse=synapse,
                    solver=solver,
                )
                if self.loop == "state":
                    nengo.Connection(
                        self.state[channel * self.order + j], ensemble, synapse=None
                    )
                    continue
                for i, target in enumerate(ensembles):
                    if recurrent[i, j] != 0:
                        nengo.Connection(
                            ensemble,
                            target,
                            transform=recurrent[i, j],
                            synapse=synapse,
                            solver=solver,
                        )
            nengo.Connection(
                state,
                self.output[self._channel(channel)],
                transform=self.T,
                synapse=None,
            )

    @property
    def _ensemble_args(self):
        # Every argument explicit, a parent config's included, so that the
        # calibration is cached by all of them.
        configured = {
            name: nengo.Config.default(nengo.Ensemble, name) for name in ENSEMBLE_ARGS
        }
        return {**configured, "radius": 1.0 / STATE_RMS, **self.ens_kwargs}

    def _measure_lead(
        self, Ad, Bd, tau, solvers, ensemble_seeds=None, neuron_type=None
    ):
        """Measure the lead and choose the correction that helps (`calibrate_lead`).

        Ensembles like the memory's are driven by the states they will represent
        for the expected input over ``LEAD_CALIBRATION_TIME`` seconds, from a
        state the memory visits; the loop is predicted with each candidate
        correction and with none, and the best is kept.
        """
        rng = self._sampling_rng()
        initial_state = self._expected_states(self.theta, rng)[-1] @ self.T_inv.T
        n_steps = int(round(LEAD_CALIBRATION_TIME / self.dt))
        inputs = self._expected_input(n_steps, self.dt, rng)
        window = legendre_readout(self.order, np.linspace(0, 1, 100)) @ self.T
        radius = self._ensemble_args["radius"]
        radii = (radius,)
        # A smaller radius is tried only on the memory's own neurons (a seeded
        # memory) and a sample of many windows: whether it saturates them too
        # often depends on both. The user's radius is kept.
        if (
            "radius" not in self.ens_kwargs
            and ensemble_seeds is not None
            and LEAD_CALIBRATION_TIME >= RADIUS_MIN_WINDOWS * self.theta
        ):
            radii = tuple(fraction * radius for fraction in RADIUS_FRACTIONS)
        return calibrate_lead(
            Ad,
            Bd,
            window,
            inputs,
            initial_state,
            tau=tau,
            dt=self.dt,
            n_neurons=self.n_neurons,
            neuron_type=self.neuron_type if neuron_type is None else neuron_type,
            ensemble_args=self._ensemble_args,
            solvers=solvers,
            seed=rng.randint(2**31),
            radii=radii,
            ensemble_seeds=ensemble_seeds,
        )

    def add_output(
        self, name=None, r=None, function=None, n_neurons=None, synapse=None, **kwargs
    ):
        r"""Add a Node that outputs points of the window, or a function of them.

        The window is the input over the last ``theta`` seconds, sampled at the
        relative delays ``r``: :math:`w_k = u(t - r_k \theta)`, decoded from the
        memory state by `legendre_readout`. Without ``function`` the new Node
        outputs :math:`w` itself, a linear readout of ``output``.

        With ``function``, the Node outputs ``function(w)``. For the exact memory a
        Node computes it exactly. For a neural memory an ensemble of ``n_neurons``
        neurons per channel represents the window samples :math:`w`, or the whole
        state of the channel if that has fewer dimensions, with evaluation points
        drawn from the states the memory visits for its expected input
        (``input_process``, or the band-limited input assumed by the realisation),
        and decodes ``function`` of the window reconstructed from each of them:
        nonlinear functions such as the window's maximum, or the product of two
        delays, come out of the neurons. ``nengo.Direct()`` ensembles compute it
        exactly instead.

        The function is evaluated on those states (on the exact memory too) when
        the output is added, and must be finite on all of them. An output that
        cannot be added raises a `~nengo.exceptions.ValidationError` and leaves
        the network as it was.

        Parameters
        ----------
        name : str, optional
            Name of the output: the new Node's label, and an attribute of the memory
            that holds it (a Python identifier that is not already an attribute).
            Without a name the Node is labelled ``"window"``.
        r : array_like, optional
            Relative delays in [0, 1]; default 32 points evenly spread over the
            window when ``function`` is given. Required without ``function``.
        function : callable, optional
            Maps the window samples, a 1-D array of ``len(r)``, to a scalar or
            1-D array; applied to each channel.
        n_neurons : int, optional
            Neurons per channel in the function's ensemble (default ``n_neurons *
            order`` of the memory). Only with ``function``; the exact memory, which
            computes the function in a Node, ignores it, so that the same script
            runs with either memory.
        synapse : nengo.synapses.Synapse or float, optional
            Synapse of the connection into the new Node, for every kind of output.
            None (the default) leaves it unfiltered, which for a spiking memory's
            function output is a spike train.
        **kwargs
            Further arguments of the connection that decodes ``function`` from
            neurons (for example ``solver``). Only with ``function``; ignored,
            like ``n_neurons``, by the exact memory.

        Returns
        -------
        nengo.Node
            The output, of size ``size_in * len(r)`` or ``size_in *`` the size of
            ``function``'s result, channel-major.

        Examples
        --------
        >>> import nengo
        >>> with nengo.Network() as model:
        ...     memory = LegendreMemory(theta=0.5, order=8)
        ...     delays = memory.add_output("delays", r=[0.25, 0.5, 1.0])
        ...     peak = memory.add_output("peak", function=np.max)
        >>> memory.delays is delays, delays.label, delays.size_out, peak.size_out
        (True, 'delays', 3, 1)
        """
        if name is not None:
            check_instance(name, "name", str, "a string or None", obj=self)
            if not name.isidentifier() or hasattr(self, name):
                raise ValidationError(
                    f"must be a Python identifier that is not already an attribute "
                    f"of the memory (got {name!r})",
                    attr="name",
                    obj=self,
                )
        if function is None and r is None:
            raise ValidationError(
                "is needed when there is no function: which points of the window "
                "should the output hold?",
                attr="r",
                obj=self,
            )
        r = np.linspace(0, 1, 32) if r is None else r
        readout = legendre_readout(self.order, r)
        if function is not None and not callable(function):
            raise ValidationError(
                f"must be callable (got {describe(function)})",
                attr="function",
                obj=self,
            )
        if n_neurons is not None:
            check_integer(n_neurons, "n_neurons", low=1, obj=self)
        if synapse is not None and not isinstance(synapse, nengo.synapses.Synapse):
            check_nonnegative(synapse, "synapse", obj=self)
        reserved = {"function", "transform", "eval_points", "scale_eval_points"}
        for attr, given in [("n_neurons", n_neurons), *kwargs.items()]:
            if attr in reserved:
                raise ValidationError(
                    "is set by add_output itself", attr=attr, obj=self
                )
            if function is None and given is not None:
                raise ValidationError(
                    f"applies to neurons that decode a function, and an output "
                    f"without function is a linear readout of the state (got "
                    f"{attr}={describe(given)})",
                    attr=attr,
                    obj=self,
                )

        label = "window" if name is None else name
        with self, _removed_on_error(self):
            if function is None:
                node = nengo.Node(size_in=self.size_in * len(readout), label=label)
                nengo.Connection(
                    self.output,
                    node,
                    transform=np.kron(np.eye(self.size_in), readout),
                    synapse=synapse,
                )
            else:
                states = self.visited_states() @ self.T_inv.T
                targets = self._function_targets(
                    function, states @ (readout @ self.T).T
                )
                node = nengo.Node(size_in=self.size_in * targets.shape[1], label=label)
                if self.n_neurons is None:
                    self._add_exact_function(node, readout, function, synapse)
                else:
                    self._add_neural_function(
                        node,
                        readout,
                        function,
                        states,
                        targets,
                        n_neurons,
                        synapse,
                        kwargs,
                    )
        if name is not None:
            setattr(self, name, node)
        return node

    def _function_targets(self, function, windows):
        """``function`` of each window, checked to be finite and of one size."""
        try:
            with np.errstate(all="ignore"):  # non-finite values are refused below
                targets = np.array(
                    [np.ravel(np.asarray(function(w), dtype=float)) for w in windows]
                )
        except (TypeError, ValueError) as error:
            raise ValidationError(
                "must map a window (a 1-D array) to a number or a 1-D array of "
                f"numbers, of one size for every window ({error})",
                attr="function",
                obj=self,
            ) from error
        if targets.shape[1] == 0:
            raise ValidationError(
                "must return at least one number (got an empty result)",
                attr="function",
                obj=self,
            )
        n_bad = np.count_nonzero(~np.all(np.isfinite(targets), axis=1))
        if n_bad:
            raise ValidationError(
                f"must be finite on the windows the memory visits for its expected "
                f"input, but is not on {n_bad} of {len(windows)} sampled windows",
                attr="function",
                obj=self,
            )
        return targets

    def _add_exact_function(self, node, readout, function, synapse):
        def window_function(t, state):
            windows = state.reshape(self.size_in, self.order) @ readout.T
            return np.concatenate([np.ravel(function(w)) for w in windows])

        evaluate = nengo.Node(
            window_function,
            size_in=self.size_in * self.order,
            size_out=node.size_in,
            label="window function",
        )
        nengo.Connection(self.output, evaluate, synapse=None)
        nengo.Connection(evaluate, node, synapse=synapse)

    def _add_neural_function(
        self, node, readout, function, states, targets, n_neurons, synapse, kwargs
    ):
        n_neurons = self.n_neurons * self.order if n_neurons is None else n_neurons
        size_out = targets.shape[1]
        window_of_state = readout @ self.T

        # Represent whichever is smaller: the window samples or the whole state.
        if len(readout) < self.order:
            projection, window_of_point = window_of_state, np.eye(len(readout))
        else:
            projection, window_of_point = np.eye(self.order), window_of_state
        points = states @ projection.T
        radius = np.percentile(np.linalg.norm(points, axis=1), 99)
        for channel in range(self.size_in):
            ensemble = nengo.Ensemble(
                n_neurons,
                len(projection),
                neuron_type=self.neuron_type,
                radius=radius,
                eval_points=points / radius,
                label=f"{node.label} function {channel}",
            )
            nengo.Connection(
                self.state[self._channel(channel)],
                ensemble,
                transform=projection,
                synapse=None,
            )
            if isinstance(self.neuron_type, nengo.Direct):
                # Direct ensembles compute the function itself, from the point.
                decoded = dict(
                    function=lambda x: np.ravel(function(window_of_point @ x))
                )
            else:
                decoded = dict(
                    function=targets, eval_points=points, scale_eval_points=False
                )
            nengo.Connection(
                ensemble,
                node[channel * size_out : (channel + 1) * size_out],
                synapse=synapse,
                **decoded,
                **kwargs,
            )

    def visited_states(self, n_samples=2000, rng=None):
        """Memory states (Legendre basis) the memory visits for its expected input.

        Samples of the exact memory's state driven by ``input_process``, or by
        white noise band-limited to ``1 / theta`` Hz with rms ``radius / 2``, after
        its initial transient.

        Parameters
        ----------
        n_samples : int, optional
            Number of states to return.
        rng : numpy.random.RandomState, optional
            Random number generator for the input and the sampling; by default one
            seeded from the network's seed (or 0).

        Returns
        -------
        (n_samples, order) ndarray
        """
        n_samples = check_integer(n_samples, "n_samples", low=1, obj=self)
        if rng is None:
            rng = self._sampling_rng()
        check_instance(
            rng, "rng", np.random.RandomState, "a numpy.random.RandomState", obj=self
        )
        states = self._expected_states(max(20 * self.theta, 10.0), rng)
        return states[rng.choice(len(states), size=n_samples)]

    def _sampling_dt(self):
        return max(self.dt, self.theta / SAMPLES_PER_THETA)

    def _expected_input(self, n_steps, dt, rng):
        process = self.input_process
        if process is None:
            # At least a few windows per period, so that the band is not empty.
            period = max(n_steps * dt, 4 * self.theta)
            process = nengo.processes.WhiteSignal(
                period, high=1.0 / self.theta, rms=self.radius / 2
            )
        return process_sample(process, n_steps, dt, rng)

    def _expected_states(self, duration, rng):
        """Time series of the exact memory's states for the expected input.

        Sampled every `_sampling_dt` (``dt``, or ``theta / SAMPLES_PER_THETA``
        for long windows), after a transient of two windows.
        """
        dt = self._sampling_dt()
        Ad, Bd = self.Ad, self.Bd
        if dt != self.dt:
            Ad, Bd = legendre_discretization(
                self.theta, self.order, dt, method=self.discretizer
            )
        transient = int(round(2 * self.theta / dt))
        n_steps = max(int(round(duration / dt)), 1) + transient
        inputs = self._expected_input(n_steps, dt, rng)
        return evaluate_memory(inputs, Ad, Bd)[transient:]

    def realization(self, input_process=None):
        """The basis in which neurons represent this memory's state.

        The balanced realisation for a readout over the whole window, with each
        dimension scaled to unit rms for the expected input (`realize`): from
        ``input_process`` when given, otherwise from input of rms ``radius / 2``
        band-limited to ``1 / theta`` Hz. Computed by `legendre_realization`, so
        memories with the same ``order``, ``theta``, ``dt``, ``seed`` and an equal
        ``input_process`` share one (read-only) result.

        Parameters
        ----------
        input_process : nengo.Process, optional
            A process representative of one input channel.

        Returns
        -------
        T, T_inv : (order, order) ndarray
            The state is :math:`m = T z`, with :math:`z` the represented state.

        Examples
        --------
        >>> memory = LegendreMemory(theta=0.1, order=4, add_to_container=False)
        >>> T, T_inv = memory.realization()
        >>> np.allclose(T @ T_inv, np.eye(4))
        True
        """
        if input_process is None:
            return legendre_realization(self.order, rms=self.radius / 2)
        return legendre_realization(
            self.order,
            input_process=input_process,
            theta=self.theta,
            dt=self._sampling_dt(),
            n_steps=int(round(max(100 * self.theta, 20.0) / self._sampling_dt())),
            seed=self._sampling_seed(),
        )

    def _sampling_seed(self):
        # Input samples choose a basis and evaluation points, not model randomness:
        # the same samples whenever the memory has the same (or no) seed.
        return 0 if self.seed is None else self.seed

    def _sampling_rng(self):
        return np.random.RandomState(self._sampling_seed())


def check_simulator_dt(dt, memory):
    """Refuse a simulator time step ``dt`` that differs from the memory's."""
    if not np.isclose(dt, memory.dt, rtol=DT_RTOL, atol=0):
        # repr gives the shortest digits that tell two floats apart.
        simulator_dt, memory_dt = repr(float(dt)), repr(float(memory.dt))
        raise ValidationError(
            f"the simulator's dt={simulator_dt} differs from the dt={memory_dt} "
            f"that {memory} was built for; create the network with "
            f"dt={simulator_dt} or simulate with dt={memory_dt}",
            attr="dt",
            obj=memory,
        )


def build_legendre_memory(builder):
    """The build function of `LegendreMemory` in ``builder``'s table.

    It checks the simulator's ``dt`` (``model.dt``) before building anything, then
    builds the memory as the table builds any network, so the check adds no
    operator to the simulation. A memory prepared for nengo_loihi
    (`nengo_lmu.loihi.LoihiLead`) also checks the model's ``decode_tau`` before,
    and its weights after.
    """

    def build(model, memory, *args, **kwargs):
        check_simulator_dt(model.dt, memory)
        # a memory prepared for a backend (nengo_lmu.loihi.LoihiLead) checks it
        backend = getattr(memory, "_loihi_lead", None)
        if backend is not None:
            backend.check_model(model, memory)
        mro = type(memory).__mro__
        for cls in mro[mro.index(LegendreMemory) + 1 :]:
            if cls in builder.builders:
                built = builder.builders[cls](model, memory, *args, **kwargs)
                if backend is not None:
                    backend.check_built(model, memory)
                return built
        raise nengo.exceptions.BuildError(
            f"{builder.__name__} cannot build a nengo.Network"
        )

    return build


# Backends that build networks with a builder table of their own, not nengo's:
# (module, name of the Builder class in it).
BACKEND_BUILDERS = (("nengo_loihi.builder.builder", "Builder"),)


def register_builders():
    """Register `build_legendre_memory` with nengo's builder and the backends'.

    nengo's reference simulator, nengo_ocl and NengoDL build networks with
    nengo's own table; nengo_loihi with one of its own, in which the memory is
    registered once nengo_loihi is imported (checked whenever a memory is made).
    """
    builders = [nengo.builder.Builder]
    for module, name in BACKEND_BUILDERS:
        if module in sys.modules:
            builders.append(getattr(sys.modules[module], name))
    for builder in builders:
        if LegendreMemory not in builder.builders:
            builder.register(LegendreMemory)(build_legendre_memory(builder))


register_builders()


@contextlib.contextmanager
def _removed_on_error(network):
    """Removes the objects added to ``network`` inside the block if it raises."""
    kinds = ("ensembles", "nodes", "connections", "networks", "probes")
    counts = {kind: len(getattr(network, kind)) for kind in kinds}
    try:
        yield
    except BaseException:
        for kind, count in counts.items():
            del getattr(network, kind)[count:]
        raise
