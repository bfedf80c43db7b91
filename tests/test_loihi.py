"""A spiking LegendreMemory wired for Loihi runs on the nengo_loihi emulator.

Skipped unless nengo_loihi is installed (it needs numpy < 2, so it has its own
environment: see ``.ci/loihi.sh``). One network runs for ``DURATION`` seconds in
``nengo.Simulator`` and in the emulator (``nengo_loihi.Simulator(target="sim")``):
a neural memory with the direct loop (``loop="direct"``, weak couplings dropped;
on the emulator prepared for Loihi with `nengo_lmu.loihi.loihi_memory_kwargs`),
and one ensemble representing its state whose decoded output learns with PES to
delay the input by half the window, learning off for the last 3 s. Further
tests: a memory prepared for Loihi against the same memory plain on the
emulator, the lead it corrects, the options Loihi refuses, and an LMU prepared
with `nengo_lmu.loihi.prepare_lmu` learning on the emulator.

The bounds are measured values with a margin, not tolerances: the NRMSEs are
deterministic for a seed on both simulators (the emulator's stochastic rounding
is seeded), and were measured for seeds 0 to 4 (``MEASURED`` below, from this
module's ``measure`` function: ``python tests/test_loihi.py``). Each bound is the
worst of the five plus about a third, and stays well below 1, the NRMSE of a
memory or a readout that does nothing.
"""

import warnings

import nengo
import numpy as np
import pytest

from nengo_lmu import (
    LMU,
    Delay,
    LegendreMemory,
    evaluate_memory,
    legendre_readout,
    nrmse,
)
from nengo_lmu.loihi import (
    TRACE_MAX,
    LoihiLead,
    fit_pes_traces,
    loihi_decode_tau,
    loihi_memory_kwargs,
    loihi_model,
    loihi_neuron_type,
    loihi_pes_wgt_exp,
    pes_trace_peak,
    prepare_lmu,
)

with warnings.catch_warnings():
    # nengo_loihi 1.1 warns that it was not tested with nengo 4
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`", UserWarning)
    nengo_loihi = pytest.importorskip("nengo_loihi")

pytestmark = [
    # Loihi's 8-bit weights lose precision: what the bounds below measure.
    pytest.mark.filterwarnings("ignore:Lost .* extra bits in weight rounding"),
    # nengo_loihi fills an integer array with NaN before setting it
    pytest.mark.filterwarnings("ignore:invalid value encountered in cast"),
]

DT = 0.001
# benchmarks/loihi_delay.py at a quarter of its time scale: the readout learns
# from 20 windows in 5 s
THETA, ORDER, N_NEURONS, TAU = 0.25, 4, 100, 0.05
HIGH, RMS = 4.0, 0.4
DELAY = 0.5
MIN_COUPLING = 0.05
LEARNING_RATE = 6e-3
DURATION = 8.0
LEARN_UNTIL = 5.0
SETTLED = 1.0  # the memory is compared after its first windows
SEED = 0

# NRMSEs measured for seeds 0 to 4 (``python tests/test_loihi.py``, the
# emulator's memory prepared for Loihi and run with loihi_model): of the
# learned delay over the last 3 s (learning off), of the memory's own readout of
# the delay after its first second, and of the emulator's memory readout against
# the reference simulator's. With the chip's lag corrected to first order (the
# previous version, decode_tau 10 ms) the emulator measured 0.2852, 0.2562,
# 0.2621, 0.2051 and 0.254 learned, 0.2112, 0.1672, 0.2608, 0.256 and 0.2147
# for the memory, and 0.1231, 0.1201, 0.1271, 0.1348 and 0.1115 against the
# reference. With nengo_loihi's default exponent of learned weights (4) the
# emulator learned 0.3002, 0.2597, 0.2009, 0.1953 and 0.2422, and with 2 (the
# previous loihi_pes_wgt_exp) 0.3045, 0.2319, 0.216, 0.1887 and 0.2447; now
# loihi_model chooses 1 for the readout's 400 neurons.
MEASURED = {
    "reference learned": [0.184, 0.2141, 0.3187, 0.199, 0.3086],
    "reference memory": [0.1456, 0.1106, 0.2006, 0.2009, 0.1663],
    "emulator learned": [0.3064, 0.2396, 0.2233, 0.1988, 0.2568],
    "emulator memory": [0.1535, 0.1276, 0.1997, 0.2046, 0.1661],
    "emulator error": [0.1006, 0.1046, 0.1078, 0.1134, 0.1027],
}
# The worst of the seeds plus a third, rounded: what a test asserts.
BOUNDS = {
    "reference learned": 0.43,
    "reference memory": 0.27,
    "emulator learned": 0.41,
    "emulator memory": 0.27,
    "emulator error": 0.15,
}


def build(seed, simulator="reference"):
    """The network and its probes; the memory prepared for the emulator there."""
    options = dict(loop="direct", min_coupling=MIN_COUPLING)
    if simulator == "emulator":
        options = loihi_memory_kwargs(
            min_coupling=MIN_COUPLING, decode_tau=loihi_decode_tau(TAU, THETA, ORDER)
        )
    with nengo.Network(seed=seed) as model:
        # Loihi's neurons spike at most once per step: rates as set_defaults()
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(DURATION, high=HIGH, rms=RMS, seed=seed)
        )
        memory = LegendreMemory(
            THETA,
            ORDER,
            n_neurons=N_NEURONS,
            synapse=TAU,
            dt=DT,
            input_process=nengo.processes.WhiteSignal(100.0, high=HIGH, rms=RMS),
            **options,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        target = nengo.Node(Delay(DELAY * THETA))
        nengo.Connection(stim, target, synapse=None)

        # The state has unit rms per dimension: radius and intercepts as the LMU's
        # hidden layer
        readout = nengo.Ensemble(
            400, ORDER, radius=2.5, intercepts=nengo.dists.Uniform(-0.5, 0.5)
        )
        nengo.Connection(memory.state, readout, synapse=None)
        output = nengo.Node(size_in=1)
        learned = nengo.Connection(
            readout,
            output,
            function=lambda z: 0,
            learning_rule_type=nengo.PES(LEARNING_RATE),
            synapse=0.03,
        )
        error = nengo.Node(lambda t, e: e if t < LEARN_UNTIL else 0 * e, size_in=1)
        nengo.Connection(output, error, synapse=None)
        nengo.Connection(target, error, transform=-1, synapse=None)
        nengo.Connection(error, learned.learning_rule, synapse=None)

        # nengo_loihi reads values decoded from the chip through a Node that is
        # not a passthrough (a probe on a passthrough Node reads zeros there)
        learned_delay = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(output, learned_delay, synapse=None)
        memory_delay = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(
            memory.output,
            memory_delay,
            transform=legendre_readout(ORDER, DELAY),
            synapse=None,
        )
        probes = dict(
            learned=nengo.Probe(learned_delay),
            memory=nengo.Probe(memory_delay),
            target=nengo.Probe(target),
        )
    return model, probes


def simulate(simulator, seed):
    """The memory's decoded delay, and the NRMSEs of the delays (learning off)."""
    model, probes = build(seed, simulator)
    if simulator == "emulator":
        sim = nengo_loihi.Simulator(
            model, dt=DT, target="sim", progress_bar=False, model=loihi_model(model)
        )
    else:
        sim = nengo.Simulator(model, dt=DT, progress_bar=False)
    with sim:
        sim.run(DURATION)
    target = sim.data[probes["target"]]
    learned, memory = (
        sim.data[probes[name]][int(round(start / DT)) :]
        for name, start in (("learned", LEARN_UNTIL), ("memory", SETTLED))
    )
    return dict(
        memory_delay=memory,
        learned=nrmse(learned, target[-len(learned) :]).item(),
        memory=nrmse(memory, target[-len(memory) :]).item(),
    )


def emulator_error(results):
    """NRMSE of the emulator's decoded delay against the reference simulator's."""
    return nrmse(
        results["emulator"]["memory_delay"], results["reference"]["memory_delay"]
    ).item()


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        # The memory's neurons start at random voltages; Loihi's at 0
        warnings.filterwarnings("ignore", "NengoLoihi does not support initial")
        return {name: simulate(name, SEED) for name in ("reference", "emulator")}


@pytest.mark.parametrize("simulator", ["reference", "emulator"])
def test_learned_delay(results, simulator):
    """PES learns the delay from the memory's state, within the measured bound."""
    assert results[simulator]["learned"] < BOUNDS[f"{simulator} learned"]


@pytest.mark.parametrize("simulator", ["reference", "emulator"])
def test_memory_delay(results, simulator):
    """The memory's own readout of the delay, on each simulator."""
    assert results[simulator]["memory"] < BOUNDS[f"{simulator} memory"]


def test_emulator_close_to_reference(results):
    """The emulator's memory follows the reference simulator's."""
    assert emulator_error(results) < BOUNDS["emulator error"]


def loihi_memory(dt):
    """A spiking memory wired for Loihi, built for ``dt``, and a probe on it."""
    with nengo.Network(seed=SEED) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=HIGH, rms=RMS))
        memory = LegendreMemory(
            THETA,
            ORDER,
            n_neurons=20,
            synapse=TAU,
            dt=dt,
            loop="direct",
            min_coupling=MIN_COUPLING,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        readout = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(
            memory.output,
            readout,
            transform=legendre_readout(ORDER, 0.5),
            synapse=None,
        )
        probe = nengo.Probe(readout)
    return model, probe


@pytest.mark.parametrize("simulator_dt", [0.002, 0.0011, DT * (1 + 1e-5)])
def test_emulator_refuses_other_dt(simulator_dt):
    """The memory's build function checks dt in nengo_loihi's builder too."""
    model, _ = loihi_memory(DT)
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        nengo_loihi.Simulator(model, dt=simulator_dt, target="sim")
    assert f"the simulator's dt={simulator_dt!r} differs from the dt=0.001 " in str(
        error.value
    )


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
def test_emulator_runs_float32_dt():
    """A memory built for float32(dt) runs in the emulator at dt."""
    model, probe = loihi_memory(np.float32(DT))
    with nengo_loihi.Simulator(model, dt=DT, target="sim", progress_bar=False) as sim:
        sim.run_steps(100)
    assert np.all(np.isfinite(sim.data[probe]))
    assert np.ptp(sim.data[probe]) > 0


def measure(seeds=range(5)):
    """Print the NRMSEs for several seeds (to set the bounds)."""
    nengo.rc.set("decoder_cache", "enabled", "False")
    warnings.simplefilter("ignore")
    for seed in seeds:
        results = {name: simulate(name, seed) for name in ("reference", "emulator")}
        row = {
            f"{name} {key}": round(values[key], 4)
            for name, values in results.items()
            for key in ("learned", "memory")
        }
        row["emulator error"] = round(emulator_error(results), 4)
        print(seed, row, flush=True)


def measure_memory(seeds=range(5)):
    """Print the memory NRMSEs for several seeds (to set MEMORY_BOUND)."""
    nengo.rc.set("decoder_cache", "enabled", "False")
    warnings.simplefilter("ignore")
    for seed in seeds:
        prepared = memory_nrmse(seed, PREPARED_OPTIONS)
        plain = memory_nrmse(seed, PLAIN_OPTIONS)
        print(
            seed, dict(prepared=round(prepared, 4), plain=round(plain, 4)), flush=True
        )


# Whole-window NRMSE of a memory (order 4, theta = 0.25 s, Lowpass(0.05), 100
# neurons per dimension at 100 to 120 Hz, 2 s of 4 Hz white noise after its first
# window) on the emulator, prepared for Loihi (decode_tau 15 ms, loihi_model,
# chip_loop_correction) and plain (lead=None, nengo_loihi's model), measured for
# seeds 0 to 4 (``python tests/test_loihi.py memory``). Corrected for the chip's
# lag to first order (the previous version, decode_tau 10 ms) it measured 0.1313,
# 0.1318, 0.1082, 0.1556 and 0.1494; prepared for nengo_loihi's 5 ms, 0.1531,
# 0.1519, 0.1356, 0.1645 and 0.1709.
MEMORY_MEASURED = {
    "prepared": [0.0946, 0.0854, 0.0839, 0.1139, 0.1285],
    "plain": [0.248, 0.3368, 0.2662, 0.2783, 0.3225],
}
# The worst of the five plus a third, rounded; and prepared / plain measured at
# most 0.41, asserted below 0.6.
MEMORY_BOUND = 0.17


def memory_nrmse(seed, options, duration=THETA + 2.0):
    """Whole-window NRMSE of a spiking memory on the emulator."""
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=1 / THETA, rms=0.5, seed=seed)
        )
        memory = LegendreMemory(
            THETA,
            ORDER,
            n_neurons=N_NEURONS,
            neuron_type=nengo.LIF(),
            synapse=TAU,
            dt=DT,
            **options,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        output = nengo.Node(lambda t, x: x, size_in=ORDER)
        nengo.Connection(memory.output, output, synapse=None)
        probes = nengo.Probe(output), nengo.Probe(stim)
    prepared = isinstance(options.get("lead"), LoihiLead)
    with nengo_loihi.Simulator(
        model,
        dt=DT,
        target="sim",
        progress_bar=False,
        model=loihi_model(model) if prepared else None,
    ) as sim:
        sim.run(duration)
    estimate, inputs = (sim.data[probe] for probe in probes)
    exact = evaluate_memory(inputs, memory.Ad, memory.Bd)
    window = legendre_readout(ORDER, np.linspace(0, 1, 100))
    tested = slice(int(round(THETA / DT)), None)
    estimate = (estimate[memory.lag :] @ window.T)[tested]
    exact = (exact[: len(exact) - memory.lag] @ window.T)[tested]
    return nrmse(estimate.ravel(), exact.ravel()).item()


PLAIN_OPTIONS = dict(loop="direct", min_coupling=MIN_COUPLING, lead=None)
PREPARED_OPTIONS = loihi_memory_kwargs(decode_tau=loihi_decode_tau(TAU, THETA, ORDER))


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
def test_prepared_memory_beats_plain():
    """The memory prepared for Loihi is more accurate on the emulator than plain."""
    prepared = memory_nrmse(SEED, PREPARED_OPTIONS)
    plain = memory_nrmse(SEED, PLAIN_OPTIONS)
    assert prepared < MEMORY_BOUND
    assert prepared < 0.6 * plain


def test_lead_measured_on_loihi_neurons():
    """LoihiLead corrects the lead of Loihi's neurons less the chip's lag."""
    memory = LegendreMemory(
        THETA,
        ORDER,
        n_neurons=N_NEURONS,
        neuron_type=nengo.LIF(),
        synapse=TAU,
        ens_kwargs=dict(max_rates=nengo.dists.Uniform(100, 120)),
        add_to_container=False,
        **loihi_memory_kwargs(),
    )
    calibration = memory.lead_calibration
    # the memory's decode_tau: 15 ms for this memory (loihi_decode_tau)
    lead = LoihiLead(decode_tau=loihi_decode_tau(TAU, THETA, ORDER))
    assert np.allclose(calibration.lead, calibration.measured - lead.lag(DT))
    assert "LoihiLIF" in calibration.reason
    # Loihi's neurons lead their input (a few ms at these rates)
    assert np.all((calibration.measured > 0.002) & (calibration.measured < 0.008))
    # and what is corrected is not the lead of nengo's LIF
    nengo_lif = LegendreMemory(
        THETA,
        ORDER,
        n_neurons=N_NEURONS,
        neuron_type=nengo.LIF(),
        synapse=TAU,
        ens_kwargs=dict(max_rates=nengo.dists.Uniform(100, 120)),
        add_to_container=False,
        loop="direct",
        min_coupling=MIN_COUPLING,
    )
    assert not np.allclose(calibration.measured, nengo_lif.lead_calibration.measured)
    assert np.all(memory.lead < 0)
    # the chip's filter is corrected with a second input connection, in s
    synapses = [
        connection.synapse
        for connection in memory.connections
        if connection.pre_obj is memory.input and connection.post_obj is memory.state
    ]
    assert synapses[0] == nengo.Lowpass(TAU)
    assert type(synapses[1]) is nengo.LinearFilter
    assert np.allclose(synapses[1].num, [1, 0]) and np.allclose(
        synapses[1].den, [TAU, 1]
    )


def test_memory_refuses_chip_lag_below_decode_tau():
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        LegendreMemory(
            THETA, ORDER, n_neurons=10, neuron_type=nengo.LIF(), synapse=TAU,
            loop="direct", lead=LoihiLead(decode_tau=0.01, chip_lag=0.005),
            add_to_container=False,
        )  # fmt: skip
    assert error.value.attr == "lead"
    assert "at least decode_tau" in str(error.value)


@pytest.mark.parametrize(
    "options, attr",
    [
        (dict(synapse=nengo.Alpha(0.05)), "synapse"),
        (dict(synapse=0.005), "synapse"),
        (dict(loop="state"), "loop"),
        (dict(neuron_type=nengo.LIFRate()), "neuron_type"),
        (dict(neuron_type=nengo.AdaptiveLIF()), "neuron_type"),
        (dict(neuron_type=nengo.Izhikevich()), "neuron_type"),
    ],
)
def test_memory_refuses_what_loihi_lacks(options, attr):
    """Options Loihi cannot run are refused when the memory is made."""
    options = {"neuron_type": nengo.LIF(), "synapse": TAU, **options}
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        LegendreMemory(
            THETA, ORDER, n_neurons=10, add_to_container=False,
            **loihi_memory_kwargs(**options),
        )  # fmt: skip
    assert error.value.attr == attr
    assert isinstance(error.value.obj, LegendreMemory)


def prepared_memory(theta=THETA, **options):
    """A network holding a small memory prepared for Loihi, and the memory."""
    with nengo.Network(seed=SEED) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        memory = LegendreMemory(
            theta,
            ORDER,
            n_neurons=20,
            neuron_type=nengo.LIF(),
            **loihi_memory_kwargs(**{"synapse": TAU, **options}),
        )
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=HIGH, rms=RMS))
        nengo.Connection(stim, memory.input, synapse=None)
    return model, memory


def test_loihi_model_has_the_memories_decode_tau():
    """loihi_model gives the simulator the decode_tau the memory was prepared for."""
    model, memory = prepared_memory()
    assert memory.lead_calibration is not None
    assert loihi_model(model).decode_tau == loihi_decode_tau(TAU, THETA, ORDER) == 0.015
    default_gain = nengo_loihi.builder.Model().decode_neurons.gain
    assert np.all(loihi_model(model).decode_neurons.gain == default_gain)
    # at a 10 ms synapse: nengo_loihi's decode_tau, and denser decode neurons
    fast, _ = prepared_memory(synapse=0.01)
    assert loihi_model(fast).decode_tau == 0.005
    assert np.allclose(loihi_model(fast).decode_neurons.gain, 2 * default_gain)
    with model:
        LegendreMemory(
            THETA, ORDER, n_neurons=20, neuron_type=nengo.LIF(),
            **loihi_memory_kwargs(synapse=TAU, decode_tau=0.02),
        )  # fmt: skip
    with pytest.raises(nengo.exceptions.ValidationError, match="different decode_tau"):
        loihi_model(model)


def test_loihi_model_pes_wgt_exp():
    """loihi_model's learned weights' exponent: the network's, or the one given."""
    model, memory = prepared_memory()
    assert loihi_model(model).pes_wgt_exp == 4  # nothing learned: nengo_loihi's
    with model:
        readout = nengo.Ensemble(800, 1)  # 100 to 120 Hz, as the network's
        nengo.Connection(readout, nengo.Node(size_in=1), learning_rule_type=nengo.PES())
    assert loihi_model(model).pes_wgt_exp == loihi_pes_wgt_exp(model) == 0
    assert loihi_model(model, pes_wgt_exp=3).pes_wgt_exp == 3
    for value in (8, -8, 2.0, True, "2"):
        with pytest.raises(nengo.exceptions.ValidationError) as error:
            loihi_model(model, pes_wgt_exp=value)
        assert error.value.attr == "pes_wgt_exp"
        assert "-7 to 7" in str(error.value)


def learned_readout(learning_rate, seed=SEED):
    """A 400-neuron readout learning a sine with PES, as the LMU benchmark's."""
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        pre = nengo.Ensemble(400, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, pre)
        learned = nengo.Connection(
            pre,
            out,
            function=lambda x: 0,
            learning_rule_type=nengo.PES(learning_rate=learning_rate),
        )
        nengo.Connection(out, learned.learning_rule)
        nengo.Connection(stim, learned.learning_rule, transform=-1)
    return model


def learned_synapse(simulator):
    (synapse,) = [
        synapse
        for block in simulator.model.blocks
        for synapse in block.synapses
        if synapse.learning
    ]
    return synapse


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
@pytest.mark.parametrize("learning_rate, exponent", [(1e-3, 1), (1e-2, 2), (4e-2, 4)])
def test_loihi_model_fits_pes_traces(learning_rate, exponent):
    """A learned synapse gets the coarsest of the network's exponent and the
    finest at which its pre neurons' traces stay within 7 bits."""
    model = learned_readout(learning_rate)
    loihi = loihi_model(model)
    assert loihi.pes_wgt_exp == 1  # 400 neurons at 110 Hz
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with nengo_loihi.Simulator(model, dt=DT, target="sim", model=loihi) as sim:
            sim.run(1.0)
    assert not [w for w in caught if "Clipping" in str(w.message)]
    synapse = learned_synapse(sim)
    assert synapse.learning_wgt_exp == exponent
    # nengo_loihi's increment, discretised at the fitted exponent, fits at 120 Hz
    peak = pes_trace_peak(synapse.tracing_mag, synapse.tracing_tau, 120.0, DT)
    assert peak <= TRACE_MAX
    if exponent == loihi.pes_wgt_exp:
        return
    # and one step finer, as given, it would not: nengo_loihi clips the traces
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with nengo_loihi.Simulator(
            model,
            dt=DT,
            target="sim",
            model=loihi_model(model, pes_wgt_exp=exponent - 1),
        ) as sim:
            sim.run(1.0)
    assert learned_synapse(sim).learning_wgt_exp == exponent - 1
    clipped = ("Trace increment exceeds upper limit", "Clipping synapse trace")
    assert any(str(w.message).startswith(clipped) for w in caught)
    assert 2 * peak > TRACE_MAX


@pytest.mark.parametrize("rate", [0.0, -120.0, np.nan, "120"])
def test_fit_pes_traces_refuses_rate(rate):
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        fit_pes_traces(nengo_loihi.builder.Model(dt=DT), rate)
    assert error.value.attr == "rate"


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
def test_fit_pes_traces_refuses_a_discretised_model():
    """Once discretised, a model's exponents are fixed: refused, not ignored."""
    model = learned_readout(1e-2)
    loihi = loihi_model(model)
    loihi.build(model)  # fitted, then discretised
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        fit_pes_traces(loihi, 120.0)
    assert error.value.attr == "model"
    assert "discretize=False" in str(error.value)


def test_emulator_refuses_other_decode_tau():
    """A memory prepared for one decode_tau is refused by a model with another."""
    model, memory = prepared_memory()
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        nengo_loihi.Simulator(model, dt=DT, target="sim")  # decode_tau 0.005
    assert error.value.obj is memory
    assert "loihi_model" in str(error.value)


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
# nengo_loihi warns that the simulator whose build failed was not closed
@pytest.mark.filterwarnings("ignore:Simulator with model")
def test_emulator_refuses_weak_couplings():
    """Couplings no weight exponent fits are named with the option to change."""
    # theta = 1 s, order 4, Lowpass(0.1): couplings of 8e-4 and -0.015
    model, memory = prepared_memory(theta=1.0, synapse=0.1, min_coupling=0)
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        nengo_loihi.Simulator(model, dt=DT, target="sim", model=loihi_model(model))
    assert error.value.attr == "min_coupling"
    assert error.value.obj is memory
    assert "set min_coupling above" in str(error.value)
    # with the weak couplings dropped it builds
    model, memory = prepared_memory(theta=1.0, synapse=0.1, min_coupling=MIN_COUPLING)
    with nengo_loihi.Simulator(model, dt=DT, target="sim", model=loihi_model(model)):
        pass


def test_loihi_neuron_type():
    """nengo's types map to nengo_loihi's with the same parameters."""
    lif = loihi_neuron_type(nengo.LIF(tau_rc=0.03, tau_ref=0.001))
    assert isinstance(lif, nengo_loihi.neurons.LoihiLIF)
    assert (lif.tau_rc, lif.tau_ref) == (0.03, 0.001)
    relu = loihi_neuron_type(nengo.SpikingRectifiedLinear(amplitude=0.5))
    assert isinstance(relu, nengo_loihi.neurons.LoihiSpikingRectifiedLinear)
    assert relu.amplitude == 0.5


def lmu_network(seed, learning_rule_type=nengo.PES(1e-2), memory_kwargs=None, **kwargs):
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(nengo.processes.WhiteSignal(2.0, high=HIGH, rms=RMS))
        lmu = LMU(
            THETA,
            ORDER,
            100,
            size_out=1,
            neuron_type=nengo.LIF(),
            memory_neurons=20,
            learning_rule_type=learning_rule_type,
            memory_kwargs=(
                loihi_memory_kwargs(synapse=TAU)
                if memory_kwargs is None
                else memory_kwargs
            ),
            **kwargs,
        )
        nengo.Connection(stim, lmu.input, synapse=None)
    return model, lmu, stim


@pytest.mark.filterwarnings("ignore:NengoLoihi does not support initial")
# intended: the hidden compartments filter the input's share with the memory's tau
@pytest.mark.filterwarnings("ignore:tau_s is already set to 0.05")
def test_prepared_lmu_learns_on_emulator():
    """A prepared LMU builds on the emulator and PES changes its output."""
    model, lmu, stim = lmu_network(SEED)
    with model:
        prepare_lmu(lmu)
        target = nengo.Node(size_in=1)
        nengo.Connection(stim, target, synapse=None)
        nengo.Connection(lmu.output, lmu.error, synapse=None)
        nengo.Connection(target, lmu.error, transform=-1, synapse=None)
        output = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(lmu.output, output, synapse=None)
        probe = nengo.Probe(output)
    with nengo_loihi.Simulator(
        model, dt=DT, target="sim", progress_bar=False, model=loihi_model(model)
    ) as sim:
        sim.run(1.0)
    # the output starts at 0 and learns to follow the input
    assert np.all(np.isfinite(sim.data[probe]))
    assert np.std(sim.data[probe][500:]) > 0.01


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        (dict(memory_kwargs=dict(loop="direct", min_coupling=0.05)), "memory_kwargs"),
        (dict(input_to_hidden=True), "input_to_hidden"),
        (dict(learning_rule_type=nengo.RLS()), "learning_rule_type"),
    ],
)
def test_prepare_lmu_refuses(kwargs, attr):
    """prepare_lmu names what Loihi cannot run."""
    _, lmu, _ = lmu_network(SEED, **kwargs)
    with pytest.raises(nengo.exceptions.ValidationError) as error:
        prepare_lmu(lmu)
    assert error.value.attr == attr
    assert error.value.obj is lmu


if __name__ == "__main__":
    import sys

    measure_memory() if sys.argv[1:] == ["memory"] else measure()
