import nengo
import numpy as np
import pytest

from nengo_lmu import (
    LegendreMemory,
    discretize,
    lead_correction,
    legendre_delay,
    legendre_readout,
    synapse_mapping,
)
from nengo_lmu.calibration import (
    MIN_IMPROVEMENT,
    calibrate_lead,
    clear_cache,
    fit_lead,
    predict_closed_loop,
)
from nengo_lmu.evaluation import nrmse
from nengo_lmu.sequence import evaluate_memory

DT, TAU = 0.001, 0.1


def system_and_states(theta=1.0, order=4, n_steps=3000, seed=0):
    Ad, Bd = discretize(*legendre_delay(theta, order), DT)
    inputs = nengo.processes.WhiteSignal(n_steps * DT, high=5, rms=0.5).run_steps(
        n_steps, d=1, dt=DT, rng=np.random.RandomState(seed)
    )
    return Ad, Bd, inputs, evaluate_memory(inputs, Ad, Bd)


def test_prediction_without_errors_is_the_exact_memory():
    Ad, Bd, inputs, states = system_and_states()
    plain = synapse_mapping(Ad, Bd, nengo.Lowpass(TAU), DT)
    corrected = lead_correction(plain, 0.002, TAU)
    plain_prediction, corrected_prediction = predict_closed_loop(
        [plain, corrected], TAU, DT, inputs, states, np.zeros_like(states)
    )
    assert np.allclose(plain_prediction, states, atol=1e-12)
    # the correction alone, with feedback that does not lead, runs slow
    assert nrmse(corrected_prediction, states, axis=None) > 0.01


def test_prediction_sees_a_lead_and_its_correction():
    """Feedback that leads by 2 ms: the plain loop drifts, the corrected one not."""
    lead = 0.002
    Ad, Bd, inputs, states = system_and_states()
    errors = lead * np.gradient(states, DT, axis=0)
    plain = synapse_mapping(Ad, Bd, nengo.Lowpass(TAU), DT)
    corrected = lead_correction(plain, lead, TAU)
    plain_prediction, corrected_prediction = predict_closed_loop(
        [plain, corrected], TAU, DT, inputs, states, errors
    )
    plain_error = nrmse(plain_prediction, states, axis=None)
    corrected_error = nrmse(corrected_prediction, states, axis=None)
    assert plain_error > 0.01
    assert corrected_error < 0.1 * plain_error


def test_fit_lead_recovers_a_known_lead():
    _, _, _, states = system_and_states(n_steps=4000)
    lead = np.array([0.001, 0.002, 0.0, 0.003])
    decoded = 0.9 * (states + lead * np.gradient(states, DT, axis=0))
    assert np.allclose(fit_lead(states, decoded, DT), lead, atol=1e-4)


def calibration_arguments(order, n_neurons, neuron_type, seed=0):
    memory = LegendreMemory(
        1.0, order, n_neurons=n_neurons, lead=None, add_to_container=False
    )
    Ad, Bd = discretize(memory.T_inv @ memory.A @ memory.T, memory.T_inv @ memory.B, DT)
    _, _, inputs, _ = system_and_states(order=order, n_steps=2000, seed=seed)
    inputs = inputs / 5  # band-limited near 1 / theta: slow
    return dict(
        Ad=Ad,
        Bd=Bd,
        window=legendre_readout(order, np.linspace(0, 1, 20)) @ memory.T,
        inputs=inputs,
        initial_state=np.zeros(order),
        tau=TAU,
        dt=DT,
        n_neurons=n_neurons,
        neuron_type=neuron_type,
        ensemble_args=dict(radius=4.0),
        solvers=(nengo.solvers.LstsqL2(reg=0.01), nengo.solvers.LstsqL2(reg=0.1)),
        seed=seed,
    )


def test_calibration_is_memoised():
    clear_cache()
    arguments = calibration_arguments(3, 30, nengo.LIF())
    first = calibrate_lead(**arguments)
    assert calibrate_lead(**dict(arguments)) is first
    changed = dict(arguments, inputs=arguments["inputs"].copy())
    changed["inputs"][0] += 1e-9
    assert calibrate_lead(**changed) is not first
    clear_cache()
    assert calibrate_lead(**arguments) is not first


@pytest.mark.parametrize(
    "order, neuron_type",
    [(4, nengo.LIF()), (24, nengo.LIF()), (4, nengo.SpikingRectifiedLinear())],
)
def test_chosen_correction_is_the_best_predicted(order, neuron_type):
    """The choice is the best predicted (radius, solver, scale), unless that beats
    the plain memory (first radius and solver, no correction) by less than
    MIN_IMPROVEMENT."""
    arguments = calibration_arguments(order, 50, neuron_type)
    calibration = calibrate_lead(**arguments, radii=(4.0, 3.0))
    assert calibration.radii == (4.0, 3.0)
    predicted = np.array(calibration.predicted_by_radius)
    assert predicted.shape == (2, 2, len(calibration.scales))
    radius = calibration.radii.index(calibration.radius)
    solver = calibration.solvers.index(calibration.solver)
    chosen = predicted[radius, solver, calibration.scales.index(calibration.scale)]
    baseline = predicted[0, 0, 0]
    if (radius, solver, calibration.scale) == (0, 0, 0.0):
        assert np.min(predicted) > (1 - MIN_IMPROVEMENT) * baseline
    else:
        assert chosen == np.min(predicted)
        assert chosen <= (1 - MIN_IMPROVEMENT) * baseline
    assert np.array_equal(calibration.predicted_by_solver, predicted[radius])
    assert np.array_equal(calibration.predicted_nrmse, predicted[radius, solver])
    assert np.allclose(calibration.lead, calibration.scale * calibration.measured)
    # the first radius alone is the default, and the same measurement
    alone = calibrate_lead(**arguments)
    assert alone.radii == (4.0,)
    assert np.allclose(alone.predicted_by_radius[0], predicted[0], rtol=1e-9)


def test_seeded_memories_calibrate_their_own_ensembles():
    """A seeded memory's ensembles are seeded, the same with lead=None, and its
    calibration measures them: the same seeds give the same measurement."""
    kwargs = dict(n_neurons=20, neuron_type=nengo.LIF(), seed=3)
    auto = LegendreMemory(0.2, 3, add_to_container=False, **kwargs)
    plain = LegendreMemory(0.2, 3, lead=None, add_to_container=False, **kwargs)
    seeds = [ensemble.seed for ensemble in auto.ensembles]
    assert None not in seeds and len(set(seeds)) == 3
    assert seeds == [ensemble.seed for ensemble in plain.ensembles]
    # the radius is chosen among the candidates, for these neurons
    calibration = auto.lead_calibration
    assert calibration.radii == (4.0, 3.0) and calibration.radius in (4, 3)
    assert all(ensemble.radius == calibration.radius for ensemble in auto.ensembles)
    assert all(ensemble.radius == 4.0 for ensemble in plain.ensembles)
    unseeded = LegendreMemory(0.2, 3, n_neurons=20, add_to_container=False)
    assert all(ensemble.seed is None for ensemble in unseeded.ensembles)
    arguments = dict(calibration_arguments(3, 20, nengo.LIF()), ensemble_seeds=seeds)
    first = calibrate_lead(**arguments)
    clear_cache()
    again = calibrate_lead(**dict(arguments, seed=arguments["seed"] + 1))
    assert np.array_equal(first.measured, again.measured)
    other = calibrate_lead(**dict(arguments, ensemble_seeds=[s + 1 for s in seeds]))
    assert not np.array_equal(first.measured, other.measured)


def closed_loop_errors(Simulator, seed, **kwargs):
    """Full-window NRMSE of the auto and plain memories against the exact one."""
    theta, order = kwargs["theta"], kwargs["order"]
    process = nengo.processes.WhiteSignal(2.0, high=1.0 / theta, rms=0.5, seed=seed)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(process)
        exact = LegendreMemory(theta, order)
        nengo.Connection(stim, exact.input, synapse=None)
        probes = [nengo.Probe(exact.output)]
        memories = []
        for lead in ("auto", None):
            memory = LegendreMemory(lead=lead, seed=seed, **kwargs)
            nengo.Connection(stim, memory.input, synapse=None)
            probes.append(nengo.Probe(memory.output))
            memories.append(memory)
    with Simulator(model) as sim:
        sim.run(2.0)
    readout = legendre_readout(order, np.linspace(0, 1, 50))
    scored = slice(int(theta / DT), None)
    target = (sim.data[probes[0]][:-1] @ readout.T)[scored]
    errors = [
        nrmse((sim.data[p][1:] @ readout.T)[scored], target, axis=None)
        for p in probes[1:]
    ]
    return memories[0].lead_calibration, errors


def test_correction_kept_where_it_helps(Simulator, seed):
    """A 4th-order LIF memory: the correction is kept, and helps in closed loop."""
    calibration, (auto, plain) = closed_loop_errors(
        Simulator, seed, theta=0.5, order=4, n_neurons=100, neuron_type=nengo.LIF()
    )
    assert calibration.scale > 0
    assert auto < 0.9 * plain


def test_correction_dropped_where_it_hurts():
    """Order 24: the first-order correction would hurt; the memory is plain."""
    memories = [
        LegendreMemory(
            1.0,
            24,
            n_neurons=30,
            neuron_type=nengo.LIF(),
            lead=lead,
            seed=1,
            add_to_container=False,
        )
        for lead in ("auto", None)
    ]
    calibration = memories[0].lead_calibration
    assert calibration.scale == 0 and np.all(memories[0].lead == 0)
    assert calibration.predicted_nrmse[-1] > calibration.predicted_nrmse[0]
    transforms = [
        [getattr(c.transform, "init", 0) for c in memory.all_connections]
        for memory in memories
    ]
    assert all(np.array_equal(a, b) for a, b in zip(*transforms))


def test_open_loop_decoding_is_nengos():
    """The calibration's own stepping and decoders give what nengo's simulator
    gives for the same ensembles (seeded) and connections, for every radius."""
    from nengo_lmu.calibration import _decode_open_loop  # noqa: PLC0415

    _, _, _, states = system_and_states(order=2, n_steps=300)
    radii, seeds = (4.0, 2.5), (11, 12)
    solvers = (nengo.solvers.LstsqL2(reg=0.01), nengo.solvers.LstsqL2(reg=0.1))
    decoded = _decode_open_loop(
        states, DT, 20, nengo.LIF(), {}, radii, solvers, 0, seeds
    )
    with nengo.Network() as model:
        stimulus = nengo.Node(nengo.processes.PresentInput(states, DT))
        probes = np.empty((len(radii), len(solvers), 2), dtype=object)
        for r, i in np.ndindex(len(radii), len(seeds)):
            ensemble = nengo.Ensemble(20, 1, radius=radii[r], seed=seeds[i])
            nengo.Connection(stimulus[i], ensemble, synapse=None)
            for s, solver in enumerate(solvers):
                sink = nengo.Node(size_in=1)
                nengo.Connection(ensemble, sink, solver=solver, synapse=None)
                probes[r, s, i] = nengo.Probe(sink, synapse=None)
    with nengo.Simulator(model, dt=DT, progress_bar=False, optimize=False) as sim:
        sim.run_steps(len(states))
    simulated = np.array(
        [[[sim.data[p][:, 0] for p in row] for row in grid] for grid in probes]
    ).transpose(0, 1, 3, 2)
    assert np.allclose(decoded, simulated, atol=1e-9)
