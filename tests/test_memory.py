import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LegendreMemory, discretize, legendre_delay, legendre_readout
from nengo_lmu.evaluation import nrmse, periodic_delay


def simulate(Simulator, memory, process, duration, seed):
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(process, size_out=memory.size_in)
        model.add(memory)
        nengo.Connection(stim, memory.input, synapse=None)
        stim_probe = nengo.Probe(stim)
        memory_probe = nengo.Probe(memory.output)
    with Simulator(model, dt=memory.dt) as sim:
        sim.run(duration)
    return sim.data[stim_probe], sim.data[memory_probe]


@pytest.mark.parametrize("size_in", [1, 3])
def test_exact_memory_equals_recurrence(Simulator, seed, size_in):
    theta, order, dt = 0.05, 7, 0.001
    memory = LegendreMemory(
        theta, order, size_in=size_in, dt=dt, add_to_container=False
    )
    process = nengo.processes.WhiteSignal(0.5, high=20, rms=0.5)
    u, output = simulate(Simulator, memory, process, 0.5, seed)
    assert output.shape == (len(u), size_in * order)

    Ad, Bd = discretize(*legendre_delay(theta, order), dt)
    m = np.zeros((order, size_in))
    for k, uk in enumerate(u):
        m = Ad @ m + Bd @ uk[None, :]
        assert np.allclose(output[k], m.T.ravel(), rtol=0, atol=1e-10)


def test_channels_equal_stacked_memories(Simulator, seed):
    theta, order = 0.1, 5
    process = nengo.processes.WhiteSignal(0.3, high=10, rms=0.3)
    u, stacked = simulate(
        Simulator,
        LegendreMemory(theta, order, size_in=2, add_to_container=False),
        process,
        0.3,
        seed,
    )
    for channel in range(2):
        single = LegendreMemory(theta, order, add_to_container=False)
        with nengo.Network() as model:
            stim = nengo.Node(
                nengo.processes.PresentInput(u[:, channel : channel + 1], 0.001)
            )
            model.add(single)
            nengo.Connection(stim, single.input, synapse=None)
            probe = nengo.Probe(single.output)
        with Simulator(model) as sim:
            sim.run(0.3)
        columns = slice(channel * order, (channel + 1) * order)
        assert np.allclose(stacked[:, columns], sim.data[probe], atol=1e-12)


def test_delay_reconstruction(Simulator, seed, plt):
    """Order 6 holds 10 Hz noise over 0.1 s: the full delay has NRMSE <= 0.002."""
    theta, order, dt, duration = 0.1, 6, 0.001, 30.0
    process = nengo.processes.WhiteSignal(duration, high=10, rms=0.3)
    memory = LegendreMemory(theta, order, dt=dt, add_to_container=False)
    u, output = simulate(Simulator, memory, process, duration, seed)

    delayed = output @ legendre_readout(order, 1.0).T
    # zero-order hold: the window ends half a step back (duration is one period)
    target = periodic_delay(u, theta / dt - 0.5)
    settled = slice(int(2 * theta / dt), None)
    error = nrmse(delayed[settled], target[settled]).item()
    whole_step_error = nrmse(delayed[settled], periodic_delay(u, theta / dt)[settled])

    t = np.arange(len(u)) * dt
    shown = slice(0, int(1.0 / dt))
    plt.plot(t[shown], u[shown], label="input")
    plt.plot(t[shown], target[shown], label="input delayed by theta")
    plt.plot(t[shown], delayed[shown], "--", label=f"memory (NRMSE {error:.4f})")
    plt.legend()

    assert error <= 0.002
    assert whole_step_error > 5 * error


def test_simulator_dt_mismatch_refused(Simulator):
    with nengo.Network() as model:
        LegendreMemory(0.1, 4, dt=0.001, label="memory")
    with pytest.raises(ValidationError, match="dt=0.002 differs from the dt=0.001"):
        with Simulator(model, dt=0.002):
            pass


def test_network_structure():
    memory = LegendreMemory(0.2, 8, size_in=3, dt=0.002, label="mem")
    assert memory.input.size_out == 3
    assert memory.output.size_out == 24
    assert (memory.theta, memory.order, memory.size_in, memory.dt) == (0.2, 8, 3, 0.002)
    assert np.allclose(memory.Ad, discretize(memory.A, memory.B, 0.002)[0])
    assert memory.label == "mem"
    with pytest.raises(ValidationError, match="theta"):
        memory.theta = 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(theta=0), "theta.*> 0"),
        (dict(theta=-0.1), "theta.*> 0"),
        (dict(theta=np.nan), "theta.*> 0"),
        (dict(theta="1s"), "theta"),
        (dict(order=0), "order.*>= 1"),
        (dict(order=3.0), "order.*integer"),
        (dict(size_in=0), "size_in.*>= 1"),
        (dict(dt=0), "dt.*> 0"),
        (dict(dt=np.inf), "dt.*> 0"),
    ],
)
def test_invalid_arguments(kwargs, match):
    arguments = dict(theta=0.1, order=4, size_in=1, dt=0.001)
    arguments.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        LegendreMemory(**arguments)
