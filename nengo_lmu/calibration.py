r"""Build-time calibration of a spiking memory's lead (pure functions, memoised).

Spiking populations decode their input slightly early (see `lead_correction`),
which makes a recurrent memory run fast. Whether correcting that helps depends on
the neuron type, the rates, the synapse, the order and the window: the same
first-order correction that takes a 6th-order, 1 s memory from NRMSE 0.056 to
0.014 makes memories of order 24 or windows of 10 s several times worse, and a
neuron type that adapts (Izhikevich) is not leading at all.

`calibrate_lead` therefore measures and validates the correction together, and
with it the two choices that trade spike noise against distortion: the decoders'
regularisation and the ensembles' radius (a smaller radius spans the states with
more of each neuron's range, so spike noise is smaller relative to them, until
rare states saturate it):

1. Ensembles like the memory's, with each candidate radius, are driven open loop
   by the states ``z`` the memory will represent (those of the exact memory for
   the expected input), and the decoding error :math:`\epsilon = \hat z - z` of
   each, with the decoders of each candidate solver, is recorded. A
   least-squares fit of the smoothed decoded value to :math:`g (z + \delta \dot
   z)` gives the lead :math:`\delta` of each dimension.
2. For each candidate correction :math:`s \delta`, ``s`` in `LEAD_SCALES` (``s =
   0`` is the plain mapping), the closed loop is predicted by feeding the
   measured errors back through the loop the correction prescribes:

   .. math::

       p[k + 1] = a\, p[k] + (1 - a) \left(A' (p[k] + \epsilon[k - 1])
                  + B' u[k]\right),

   linear in the errors, so cheap (no further neuron simulation); with
   :math:`\epsilon = 0` and the plain mapping it is the exact memory.
3. The candidate (radius, solver, scale) whose prediction is closest to the
   exact memory over the whole window is kept, but only if it beats the plain
   memory (first radius, first solver, no correction) by `MIN_IMPROVEMENT` and
   keeps every state within `MAX_STATE_RMS_RATIO` of its design rms; otherwise
   the plain memory is built.

The result depends only on the arguments, so it is memoised (`CACHE_SIZE`
entries): identical memories built again share one calibration.
"""

import inspect
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

import nengo
import numpy as np
import scipy.linalg

from nengo_lmu.discretize import lead_correction, synapse_mapping

# Candidate corrections, as fractions of the measured lead (0: plain mapping).
LEAD_SCALES = (0.0, 0.25, 0.5, 0.75, 1.0)
# Candidate radii of the ensembles, as fractions of the memory's own (the first,
# 1, is the plain memory's): a memory's states have unit rms and its radius is 4,
# so these span 4 and 3 standard deviations of each state. (2.5 was chosen often
# and predicted best, but states beyond it, about 1% of the time, made single
# runs up to 2.4 times worse than the plain memory: 3 of 20 seeds at theta = 0.1
# s, tau = 0.1 s, even on 10 s tests; without it 1 of 20, by 1.12, and the
# noise-limited regime gains as much.)
RADIUS_FRACTIONS = (1.0, 0.75)
# ... tried only if the calibration's sample holds this many windows: a smaller
# radius saturates on the states' rare, long excursions, which a sample of a few
# windows does not hold (measured: 1 s windows calibrated on 5 s got 3 to 6
# times the error).
RADIUS_MIN_WINDOWS = 20
# A correction is kept only if its predicted NRMSE is this much lower (relative):
# the prediction is first order, and a correction that changes little only
# reshuffles the spike noise.
MIN_IMPROVEMENT = 0.1
# ... and if no predicted state's rms exceeds this multiple of its design rms.
MAX_STATE_RMS_RATIO = 2.0
# A lead at least this fraction of the synapse's tau cannot be a first-order
# effect (it is adaptation, or rates too low to follow the input): not trusted.
MAX_LEAD_FRACTION = 0.3
# The lead is fitted on decoded values smoothed with this time constant (s).
LEAD_FIT_TAU = 0.05
# Number of memoised calibrations.
CACHE_SIZE = 64

_cache = OrderedDict()


class LeadCalibrationWarning(UserWarning):
    """A spiking memory's lead could not be measured well enough to correct it."""


class LeadCalibration(NamedTuple):
    """What `calibrate_lead` measured and chose.

    Attributes
    ----------
    lead : (order,) ndarray
        The lead to correct, in seconds: ``scale * measured`` (zeros if the plain
        mapping was kept).
    measured : (order,) ndarray
        Lead of each dimension's decoded value, fitted open loop (seconds).
    scale : float
        The chosen fraction of the measured lead (0: plain mapping).
    scales : tuple of float
        The candidate fractions.
    predicted_nrmse : tuple of float
        Predicted full-window NRMSE of the closed loop for each candidate scale,
        with the chosen solver (inf for a candidate that was not admissible).
    solver : nengo.solvers.Solver
        The chosen solver of the recurrent decoders.
    solvers : tuple of nengo.solvers.Solver
        The candidate solvers.
    predicted_by_solver : tuple of tuple of float
        ``predicted_nrmse`` for each candidate solver, with the chosen radius.
    radius : float
        The chosen radius of the ensembles.
    radii : tuple of float
        The candidate radii (the first is the plain memory's).
    predicted_by_radius : tuple
        ``predicted_by_solver`` for each candidate radius.
    reason : str
        Why this scale was chosen, in words.
    """

    lead: np.ndarray
    measured: np.ndarray
    scale: float
    scales: tuple
    predicted_nrmse: tuple
    solver: nengo.solvers.Solver
    solvers: tuple
    predicted_by_solver: tuple
    radius: float
    radii: tuple
    predicted_by_radius: tuple
    reason: str


def memory_ensemble(n_neurons, neuron_type, ensemble_args, label=None, seed=None):
    """One state dimension of a neural memory: a 1-D ensemble with further
    `nengo.Ensemble` arguments ``ensemble_args`` (a mapping)."""
    return nengo.Ensemble(
        n_neurons, 1, neuron_type=neuron_type, label=label, seed=seed, **ensemble_args
    )


def _key(value):
    if isinstance(value, np.ndarray):
        return (value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, Mapping):
        return tuple(sorted((name, _key(item)) for name, item in value.items()))
    try:
        hash(value)
    except TypeError:
        return repr(value)  # nengo's distributions: their parameters
    return value


def calibrate_lead(
    Ad,
    Bd,
    window,
    inputs,
    initial_state,
    tau,
    dt,
    n_neurons,
    neuron_type,
    ensemble_args,
    solvers,
    seed,
    radii=None,
    ensemble_seeds=None,
):
    """Measure the lead of a spiking memory and choose the correction that helps,
    with the decoders' solver and the ensembles' radius.

    See the module's description. Memoised: the same arguments (compared by
    value, arrays included) return the same `LeadCalibration` without simulating.

    Parameters
    ----------
    Ad : (order, order) ndarray
        The discrete system in the represented basis (``T_inv A T``, discretised).
    Bd : (order, 1) ndarray
        Its input matrix.
    window : (n, order) ndarray
        Readouts from the represented state to the window (``readout @ T``); the
        prediction's error is measured on them.
    inputs : (n_steps, 1) ndarray
        A sample of the expected input, at ``dt``.
    initial_state : (order,) ndarray
        Represented state when ``inputs`` begins (a state the memory visits).
    tau : float
        Time constant of the loop's ``Lowpass`` synapse (s).
    dt : float
        Simulator time step (s).
    n_neurons : int
        Neurons per state dimension.
    neuron_type : nengo.neurons.NeuronType
        A spiking neuron type.
    ensemble_args : mapping
        Further `nengo.Ensemble` arguments of each dimension's ensemble (its
        ``radius``, ``max_rates``, ...), as the memory gives them.
    solvers : tuple of nengo.solvers.Solver
        Candidate solvers of the recurrent decoders; the first, with no
        correction, is the plain memory every other choice must beat. Each is
        applied to the same spikes.
    seed : int
        Seed of the calibration network.
    radii : sequence of float, optional
        Candidate radii of the ensembles, the plain memory's first (it replaces
        ``ensemble_args["radius"]``); by default only ``ensemble_args["radius"]``.
        The ensembles of every radius have the same neurons otherwise.
    ensemble_seeds : (order,) array_like of int, optional
        Seeds of the ensembles, so that they are the memory's own; by default
        drawn from ``seed``.

    Returns
    -------
    LeadCalibration

    Examples
    --------
    A spiking `~nengo_lmu.LegendreMemory` calls it when it is built:

    >>> from nengo_lmu import LegendreMemory
    >>> memory = LegendreMemory(1.0, 3, n_neurons=50, neuron_type=nengo.LIF(),
    ...                         add_to_container=False)
    >>> calibration = memory.lead_calibration
    >>> bool(np.all(memory.lead == calibration.scale * calibration.measured))
    True
    """
    if radii is None:
        radii = (ensemble_args.get("radius", nengo.Ensemble.radius.default),)
    arguments = (
        Ad, Bd, window, inputs, initial_state, tau, dt, n_neurons, neuron_type,
        ensemble_args, tuple(solvers), seed, tuple(float(r) for r in radii),
        None if ensemble_seeds is None else tuple(int(s) for s in ensemble_seeds),
    )  # fmt: skip
    key = tuple(_key(argument) for argument in arguments)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    result = _calibrate_lead(*arguments)
    _cache[key] = result
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return result


def clear_cache():
    """Forget every memoised calibration."""
    _cache.clear()


def _calibrate_lead(
    Ad,
    Bd,
    window,
    inputs,
    initial_state,
    tau,
    dt,
    n_neurons,
    neuron_type,
    ensemble_args,
    solvers,
    seed,
    radii,
    ensemble_seeds,
):
    order = len(Ad)
    states = _states_from(Ad, Bd, inputs, initial_state)
    if ensemble_seeds is None:
        ensemble_seeds = np.random.RandomState(seed).randint(2**31, size=order)
    decoded = _decode_open_loop(
        states,
        dt,
        n_neurons,
        neuron_type,
        ensemble_args,
        radii,
        solvers,
        seed,
        ensemble_seeds,
    )  # (radii, solvers, n_steps, order)
    plain = synapse_mapping(Ad, Bd, nengo.Lowpass(tau), dt)
    # The represented states have unit rms by design (see `realize`); a short
    # sample of a long window may hold less.
    design_rms = np.maximum(np.sqrt(np.mean(states**2, axis=0)), 1.0)
    reference = states @ window.T
    scale_of_reference = np.sqrt(np.mean(reference**2))

    measured = fit_lead(states, decoded, dt)  # (radii, solvers, order)
    predicted = np.full(decoded.shape[:2] + (len(LEAD_SCALES),), np.inf)
    for index in np.ndindex(*decoded.shape[:2]):
        lead = measured[index]
        admissible = [
            scale
            for scale in LEAD_SCALES
            if np.all(np.abs(scale * lead) < MAX_LEAD_FRACTION * tau)
        ]
        mappings = [
            plain if scale == 0 else lead_correction(plain, scale * lead, tau)
            for scale in admissible
        ]
        predictions = predict_closed_loop(
            mappings, tau, dt, inputs, states, decoded[index] - states
        )
        for scale, prediction in zip(admissible, predictions):
            rms = np.sqrt(np.mean(prediction**2, axis=0))
            if not (
                np.all(np.isfinite(prediction))
                and np.all(rms <= MAX_STATE_RMS_RATIO * design_rms + 1e-12)
            ):
                continue
            error = np.sqrt(np.mean((prediction @ window.T - reference) ** 2))
            predicted[index + (LEAD_SCALES.index(scale),)] = error / scale_of_reference

    best_radius, best_solver, best = np.unravel_index(
        np.argmin(predicted), predicted.shape
    )
    baseline = predicted[0, 0, 0]
    if predicted[best_radius, best_solver, best] > (1 - MIN_IMPROVEMENT) * baseline:
        best_radius, best_solver, best = 0, 0, 0
        reason = "no correction predicted to help enough"
    else:
        reason = (
            f"{LEAD_SCALES[best]:g} of the measured lead, decoders of "
            f"{solvers[best_solver]}, radius {radii[best_radius]:g}, predicted to "
            "help most"
        )
    lead = measured[best_radius, best_solver]
    if not np.all(np.abs(lead) < MAX_LEAD_FRACTION * tau):
        reason += (
            f" (measured lead up to {np.max(np.abs(lead)) * 1e3:.3g} ms, not a "
            f"small fraction of tau={tau:g} s)"
        )
        if (best_radius, best_solver, best) == (0, 0, 0):
            warnings.warn(
                LeadCalibrationWarning(
                    f"the spiking lead measured for this memory (up to "
                    f"{np.max(np.abs(lead)) * 1e3:.3g} ms) is not a small fraction "
                    f"of the synapse's tau={tau:g} s, so it cannot be trusted: the "
                    "memory is built without a lead correction (lead=None)"
                )
            )
    if not np.isfinite(predicted[best_radius, best_solver, best]):
        warnings.warn(
            LeadCalibrationWarning(
                "the lead calibration predicts that the states of this spiking memory "
                f"exceed {MAX_STATE_RMS_RATIO:g} times their design rms even without a "
                f"correction (order {order}, {n_neurons} neurons per dimension): it is "
                "built with the plain mapping; consider more neurons or a slower synapse"
            )
        )
    scale = LEAD_SCALES[best]

    def floats(array):
        return (
            tuple(floats(a) for a in array)
            if array.ndim > 1
            else tuple(float(p) for p in array)
        )

    return LeadCalibration(
        lead=scale * lead,
        measured=lead,
        scale=float(scale),
        scales=LEAD_SCALES,
        predicted_nrmse=floats(predicted[best_radius, best_solver]),
        solver=solvers[best_solver],
        solvers=tuple(solvers),
        predicted_by_solver=floats(predicted[best_radius]),
        radius=float(radii[best_radius]),
        radii=tuple(radii),
        predicted_by_radius=floats(predicted),
        reason=reason,
    )


def _states_from(Ad, Bd, inputs, initial_state):
    """States of m[k] = Ad m[k-1] + Bd u[k] from m[-1] = initial_state."""
    states = np.empty((len(inputs), len(Ad)))
    state = np.asarray(initial_state, dtype=float)
    drive = inputs @ Bd.T
    for k in range(len(inputs)):
        state = Ad @ state + drive[k]
        states[k] = state
    return states


def _decode_open_loop(
    states, dt, n_neurons, neuron_type, ensemble_args, radii, solvers, seed, seeds
):
    """Decoded values of ensembles like the memory's, each driven by its state,
    for each radius and with the decoders of each solver: shape ``(len(radii),
    len(solvers)) + states.shape``. The ensembles of one dimension differ only in
    their radius.

    The ensembles are built by nengo's builder, and their decoders solved as it
    solves them; the neurons are then stepped here, all ensembles at once (what the reference simulator does for
    this network, without its per-step overhead).
    """
    order = states.shape[1]
    with nengo.Network(seed=seed, add_to_container=False) as calibration:
        ensembles = [
            memory_ensemble(
                n_neurons,
                neuron_type,
                {**ensemble_args, "radius": radius},
                label=f"calibration {i}, radius {radius:g}",
                seed=seeds[i],
            )
            for radius in radii
            for i in range(order)
        ]
    shape = (len(radii), len(solvers)) + states.shape
    drive = np.tile(states, (1, len(radii)))  # one column per ensemble
    if isinstance(neuron_type, nengo.neurons.RatesToSpikesNeuronType):
        # Built as two operators (rates, then spikes): let the simulator run it.
        with calibration:
            sinks = [nengo.Node(size_in=order) for _ in radii for _ in solvers]
            for r, i in np.ndindex(len(radii), order):
                for sink, solver in zip(sinks[r * len(solvers) :], solvers):
                    nengo.Connection(
                        ensembles[r * order + i], sink[i], solver=solver, synapse=None
                    )
            stimulus = nengo.Node(nengo.processes.PresentInput(drive, dt))
            for i, ensemble in enumerate(ensembles):
                nengo.Connection(stimulus[i], ensemble, synapse=None)
            probes = [nengo.Probe(sink, synapse=None) for sink in sinks]
        # The reference simulator class itself: nengo_gui replaces nengo.Simulator
        # (and refuses to run it) while it executes a model script.
        with nengo.simulator.Simulator(
            calibration, dt=dt, progress_bar=False, optimize=False
        ) as sim:
            sim.run_steps(len(states))
        return np.array([sim.data[probe] for probe in probes]).reshape(shape)
    model = nengo.builder.Model(dt=dt)
    model.build(calibration)
    built = [model.params[ensemble] for ensemble in ensembles]
    encoders = np.array([b.scaled_encoders[:, 0] for b in built])  # (ensembles, n)
    bias = np.array([b.bias for b in built])
    # The decoders nengo's builder solves for a connection of the represented
    # value (its eval points, their rates), one rate computation per ensemble.
    decoders = np.empty((len(radii), len(solvers), order, n_neurons))
    for e, (ensemble, b) in enumerate(zip(ensembles, built)):
        x = b.eval_points @ b.encoders.T / ensemble.radius
        rates = neuron_type.rates(x, b.gain, b.bias)
        for s, solver in enumerate(solvers):
            decoders[e // order, s, e % order] = solver(rates, b.eval_points)[0][:, 0]
    state = {
        name: np.concatenate(
            [model.sig[ensemble.neurons][name].initial_value for ensemble in ensembles]
        )
        for name in neuron_type.state
    }
    if "rng" in inspect.signature(neuron_type.step).parameters:
        state["rng"] = np.random.RandomState(seed)  # e.g. PoissonSpiking
    decoded = np.empty(shape)
    # Spikes are kept for a block of steps at a time, then decoded by products.
    block = max(1, min(len(states), 2**20 // (len(ensembles) * n_neurons)))
    spikes = np.zeros((block, len(radii), order, n_neurons))
    for start in range(0, len(states), block):
        steps = range(start, min(start + block, len(states)))
        currents = encoders * drive[steps.start : steps.stop, :, None] + bias
        for k, current in zip(range(len(steps)), currents):
            neuron_type.step(dt, current.ravel(), spikes[k].reshape(-1), **state)
        for r, i in np.ndindex(len(radii), order):
            decoded[r, :, steps.start : steps.stop, i] = (
                decoders[r, :, i] @ spikes[: len(steps), r, i].T
            )
    return decoded


def fit_lead(states, decoded, dt):
    r"""Lead of each decoded dimension: least squares of :math:`g (z + \delta \dot z)`.

    Both signals are smoothed by ``Lowpass(LEAD_FIT_TAU)`` first; the first five
    time constants are skipped.

    Parameters
    ----------
    states : (n_steps, order) ndarray
        The represented states.
    decoded : (..., n_steps, order) ndarray
        Their decoded values (any number of sets of them).
    dt : float
        Time step (s).

    Returns
    -------
    (..., order) ndarray
        The lead :math:`\delta` of each dimension, in seconds.
    """
    smoothing = nengo.Lowpass(LEAD_FIT_TAU)
    settled = slice(int(round(5 * LEAD_FIT_TAU / dt)), None)
    targets = smoothing.filt(states, dt=dt)
    slopes = np.gradient(targets, dt, axis=0)
    decoded = np.asarray(decoded)
    sets = decoded.reshape((-1,) + states.shape)
    # One filter pass for every set: the time axis first.
    smoothed = smoothing.filt(np.moveaxis(sets, 1, 0), dt=dt, axis=0)
    lead = np.zeros((len(sets), states.shape[1]))
    for i in range(states.shape[1]):
        regressors = np.column_stack(
            [targets[:, i], slopes[:, i], np.ones(len(targets))]
        )
        solution, *_ = np.linalg.lstsq(
            regressors[settled], smoothed[settled, :, i], rcond=None
        )
        gain, gain_times_lead = solution[:2]
        with np.errstate(divide="ignore", invalid="ignore"):
            lead[:, i] = np.where(gain != 0, gain_times_lead / gain, np.inf)
    return lead.reshape(decoded.shape[:-2] + (states.shape[1],))


def predict_closed_loop(mappings, tau, dt, inputs, states, errors):
    r"""States of ``Lowpass`` loops whose feedback carries the given errors.

    The loop of a neural memory with each of ``mappings``, whose decoded feedback
    is the represented value plus ``errors`` (measured open loop on ``states``), to
    first order in the errors. The loop's state at step ``k + 1`` estimates
    ``states[k]``; the result is aligned with ``states``.

    Parameters
    ----------
    mappings : sequence of SynapseMapping
        Transforms for a ``Lowpass(tau)`` loop (one input connection each).
    tau, dt : float
        The synapse's time constant and the time step (s).
    inputs : (n_steps, 1) ndarray
        The input.
    states : (n_steps, order) ndarray
        The exact states for ``inputs``; ``states[0]`` starts the prediction.
    errors : (n_steps, order) ndarray
        Decoding error of the feedback when it represents ``states``.

    Returns
    -------
    (len(mappings), n_steps, order) ndarray
    """
    a = np.exp(-dt / tau)
    order = states.shape[1]
    recurrent = np.array([(1 - a) * m.recurrent_transform for m in mappings])
    feedback = a * np.eye(order) + recurrent
    drive = np.array([(1 - a) * inputs @ m.input_transforms[0].T for m in mappings])
    drive[:, 1:] += np.einsum("cij,kj->cki", recurrent, errors[:-1])
    # One block-diagonal loop for all mappings: one matrix product per step.
    feedback = scipy.linalg.block_diag(*feedback)
    drive = drive.transpose(1, 0, 2).reshape(len(states), -1)
    prediction = np.empty((len(states), len(mappings) * order))
    prediction[0] = state = np.tile(states[0], len(mappings))
    with np.errstate(all="ignore"):
        for k in range(1, len(states)):
            state = feedback @ state + drive[k]
            prediction[k] = state
    prediction = prediction.reshape(len(states), len(mappings), order)
    prediction = prediction.transpose(1, 0, 2)
    return prediction
