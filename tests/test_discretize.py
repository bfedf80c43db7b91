import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from scipy.signal import cont2discrete

from nengo_lmu import discretize, euler_max_dt, legendre_delay, synapse_mapping
from nengo_lmu.discretize import (
    _discretize,
    lead_correction,
    legendre_discretization,
    loop_transfer_function,
    spectral_radius,
)
from nengo_lmu.evaluation import nrmse

# nengo_ocl runs a synapse as a transfer function with float32 coefficients: for a
# second-order synapse with both poles near 1 that rounding alone changes its gain
# (by 2.5e-5 for Alpha(0.1) at dt=1 ms, 4.7e-2 for [1, 2] / [1, 3, 1]), so a loop
# mapped for the exact synapse is no longer exact there.
OCL_SLOW_SECOND_ORDER = pytest.mark.unsupported_on(
    "nengo_ocl",
    reason="float32 transfer-function coefficients change this slow "
    "second-order synapse's gain",
)


@pytest.mark.parametrize("method", ["zoh", "euler", "bilinear"])
@pytest.mark.parametrize(
    "order, theta, dt", [(1, 0.1, 1e-3), (6, 0.1, 1e-3), (32, 1.0, 1e-3)]
)
def test_discretize_matches_scipy(method, order, theta, dt):
    A, B = legendre_delay(theta, order)
    if method == "euler" and dt > euler_max_dt(A):
        pytest.skip("Euler is unstable here")
    Ad, Bd = discretize(A, B, dt, method=method)
    C, D = np.eye(order), np.zeros((order, 1))
    scipy_Ad, scipy_Bd, *_ = cont2discrete((A, B, C, D), dt, method=method)
    assert np.allclose(Ad, scipy_Ad, rtol=1e-10, atol=1e-12)
    assert np.allclose(Bd, scipy_Bd, rtol=1e-10, atol=1e-12)


def test_discretize_accepts_1d_input_matrix():
    A, B = legendre_delay(0.1, 4)
    Ad, Bd = discretize(A, B.ravel(), 0.001)
    assert Bd.shape == (4, 1)
    assert np.allclose(Bd, discretize(A, B, 0.001)[1])


@pytest.mark.parametrize("order, bound", [(16, 59.7), (32, 197), (64, 639)])
def test_euler_stability_bound(order, bound):
    theta = 1.0
    A, B = legendre_delay(theta, order)
    assert theta / euler_max_dt(A) == pytest.approx(bound, rel=2e-3)

    Ad, _ = discretize(A, B, dt=theta / (1.01 * bound), method="euler")
    assert spectral_radius(Ad) <= 1

    with pytest.raises(ValidationError, match=r"dt.*theta / dt >= [0-9.]+ steps"):
        discretize(A, B, dt=theta / (0.99 * bound), method="euler")


def test_euler_max_dt_against_bisection():
    """The closed-form bound equals where the spectral radius crosses 1."""
    A, _ = legendre_delay(0.3, 10)
    low, high = 1e-6, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        stable = spectral_radius(np.eye(10) + A * mid) <= 1
        low, high = (mid, high) if stable else (low, mid)
    assert euler_max_dt(A) == pytest.approx(low, rel=1e-6)


def test_euler_max_dt_special_cases():
    assert euler_max_dt(np.zeros((2, 2))) == np.inf
    assert euler_max_dt(np.array([[0.5]])) == 0.0


def test_zoh_of_unstable_system_refused():
    with pytest.raises(ValidationError, match="continuous-time system A is itself"):
        discretize(np.array([[1.0]]), np.array([[1.0]]), 0.001)


@pytest.mark.parametrize("method", ["zoh", "euler", "bilinear"])
def test_legendre_discretization_cached(method):
    Ad, Bd = legendre_discretization(0.1, 6, 0.001, method=method)
    expected_Ad, expected_Bd = discretize(*legendre_delay(0.1, 6), 0.001, method)
    assert np.array_equal(Ad, expected_Ad) and np.array_equal(Bd, expected_Bd)
    assert not Ad.flags.writeable and not Bd.flags.writeable
    again = legendre_discretization(0.1, np.int64(6), np.float64(0.001), method)
    assert again[0] is Ad and again[1] is Bd

    # every argument is part of the key
    for theta, order, dt, other_method in [
        (0.2, 6, 0.001, method),
        (0.1, 7, 0.001, method),
        (0.1, 6, 0.002, method),
        (0.1, 6, np.float32(0.001), method),
        (0.1, 6, 0.001, "bilinear" if method == "zoh" else "zoh"),
    ]:
        other, _ = legendre_discretization(theta, order, dt, other_method)
        expected, _ = discretize(*legendre_delay(theta, order), dt, other_method)
        assert np.array_equal(other, expected)
        assert other.shape != Ad.shape or not np.array_equal(other, Ad)


def test_legendre_discretization_still_refuses_unstable_euler():
    with pytest.raises(ValidationError, match="theta / dt >= 59.7"):
        legendre_discretization(0.05, 16, 0.001, method="euler")
    # a system only declared stable is still checked under Euler
    A, B = legendre_delay(0.05, 16)
    with pytest.raises(ValidationError, match="Euler"):
        _discretize(A, B, 0.001, "euler", stable=True)


@pytest.mark.parametrize(
    "theta, order, dt, method, match",
    [
        (0, 4, 0.001, "zoh", "^theta: "),
        (0.1, 0, 0.001, "zoh", "^order: "),
        (0.1, 4, 0, "zoh", "^dt: "),
        (0.1, 4, 0.001, "rk4", "^method: "),
    ],
)
def test_legendre_discretization_invalid(theta, order, dt, method, match):
    with pytest.raises(ValidationError, match=match):
        legendre_discretization(theta, order, dt, method)


@pytest.mark.parametrize("order", [1, 3])
def test_legendre_discretization_default_is_zoh(order):
    """Against scipy's zero-order hold, for the smallest order too."""
    A, B = legendre_delay(0.1, order)
    Ad, Bd, *_ = cont2discrete((A, B, np.eye(order), 0), 0.001, method="zoh")
    actual_Ad, actual_Bd = legendre_discretization(0.1, order, 0.001)
    assert np.allclose(actual_Ad, Ad, rtol=1e-12, atol=1e-14)
    assert np.allclose(actual_Bd, Bd, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "A, B, dt, method, match",
    [
        (np.eye(2), np.ones((2, 1)), 0, "zoh", "dt"),
        (np.eye(2), np.ones((2, 1)), -0.1, "zoh", "dt"),
        (np.eye(2), np.ones((2, 1)), np.nan, "zoh", "dt"),
        (-np.eye(2), np.ones((2, 1)), 0.001, "rk4", "method"),
        (np.ones((2, 3)), np.ones((2, 1)), 0.001, "zoh", "A.*square"),
        (np.ones(3), np.ones((3, 1)), 0.001, "zoh", "A.*shape"),
        (-np.eye(2), np.ones((3, 1)), 0.001, "zoh", "B.*shape"),
        (-np.eye(2) * np.nan, np.ones((2, 1)), 0.001, "zoh", "A.*NaN"),
    ],
)
def test_discretize_invalid(A, B, dt, method, match):
    with pytest.raises(ValidationError, match=match):
        discretize(A, B, dt, method=method)


def test_lowpass_mapping_closed_form():
    """The discrete principle 3 for Lowpass: A' = (Ad - aI) / (1 - a)."""
    dt, tau = 0.001, 0.05
    Ad, Bd = discretize(*legendre_delay(0.2, 5), dt)
    mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(tau), dt)
    a = np.exp(-dt / tau)
    assert np.allclose(mapping.recurrent_transform, (Ad - a * np.eye(5)) / (1 - a))
    assert len(mapping.input_transforms) == 1
    assert np.allclose(mapping.input_transforms[0], Bd / (1 - a))
    assert mapping.input_synapses[0] == nengo.Lowpass(tau)

    delay = synapse_mapping(Ad, Bd, 0, dt)
    assert np.allclose(delay.recurrent_transform, Ad)
    assert np.allclose(delay.input_transforms[0], Bd)


@pytest.mark.parametrize(
    "synapse",
    [
        0,
        nengo.Lowpass(0.1),
        nengo.Lowpass(0.005),
        nengo.Lowpass(0.05, method="bilinear"),
        pytest.param(nengo.Alpha(0.1), marks=OCL_SLOW_SECOND_ORDER),
        nengo.Alpha(0.005),
        nengo.LinearFilter([1], [1, -1.2, 0.4], analog=False),
        pytest.param(
            nengo.LinearFilter([1, 2], [1, 3, 1]), marks=OCL_SLOW_SECOND_ORDER
        ),
    ],
)
def test_synapse_mapping_exact_in_simulation(Simulator, synapse, seed):
    """A loop through the synapse equals the recurrence, one step late."""
    theta, order, dt = 1.0, 6, 0.001
    Ad, Bd = discretize(*legendre_delay(theta, order), dt)
    mapping = synapse_mapping(Ad, Bd, synapse, dt)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=5, rms=0.3))
        state = nengo.Node(size_in=order)
        nengo.Connection(
            state, state, transform=mapping.recurrent_transform, synapse=synapse
        )
        for transform, input_synapse in zip(
            mapping.input_transforms, mapping.input_synapses
        ):
            nengo.Connection(stim, state, transform=transform, synapse=input_synapse)
        state_probe = nengo.Probe(state)
        stim_probe = nengo.Probe(stim)
    with Simulator(model, dt=dt) as sim:
        sim.run(1.0)

    memory = np.zeros((len(sim.data[stim_probe]), order))
    m = np.zeros(order)
    for k, uk in enumerate(sim.data[stim_probe]):
        m = Ad @ m + Bd @ uk
        memory[k] = m
    state = sim.data[state_probe]
    error = np.abs(state[1:] - memory[:-1]).max()
    rtol = 1e-9 if state.dtype == np.float64 else 2e-4  # float32: nengo_ocl
    assert error < rtol * np.abs(memory).max()


def test_loop_transfer_function_forms():
    dt, tau = 0.001, 0.02
    a = np.exp(-dt / tau)
    num, den = loop_transfer_function(nengo.Lowpass(tau), dt)
    assert np.allclose(num, [1 - a]) and np.allclose(den, [1, -a])
    # direct feedthrough costs one more step in a loop
    num, den = loop_transfer_function(nengo.LinearFilter([1, 0], [1, 0.5]), dt)
    assert len(den) == 3 and den[-1] == 0


@pytest.mark.parametrize(
    "synapse, match",
    [
        (None, "synapse.*synapse=None"),
        (-0.1, "synapse.*>= 0"),
        (nengo.synapses.Triangle(0.01), "synapse.*LinearFilter"),
        ("lowpass", "synapse.*LinearFilter"),
        (nengo.LinearFilter([1], [1, 3, 3, 1]), "synapse.*order <= 2.*order 3"),
        (nengo.Alpha(0.1), "synapse.*unstable.*hidden"),
    ],
)
def test_synapse_mapping_invalid(synapse, match):
    Ad, Bd = discretize(*legendre_delay(0.1, 6), 0.001)
    with pytest.raises(ValidationError, match=match):
        synapse_mapping(Ad, Bd, synapse, 0.001)


def test_lead_correction_restores_leading_loop(Simulator, seed):
    """A loop whose feedback leads by delta implements the system once corrected."""
    theta, order, dt, tau, lead = 1.0, 4, 0.001, 0.1, 0.002
    Ad, Bd = discretize(*legendre_delay(theta, order), dt)
    exact = synapse_mapping(Ad, Bd, nengo.Lowpass(tau), dt)
    errors = {}
    for name, mapping in [
        ("uncorrected", exact),
        ("corrected", lead_correction(exact, lead, tau)),
    ]:
        with nengo.Network(seed=seed) as model:
            stim = nengo.Node(nengo.processes.WhiteSignal(5.0, high=1, rms=0.4))
            state = nengo.Node(size_in=order)
            leading = nengo.Node(LeadingCopy(lead, dt), size_in=order)
            nengo.Connection(state, leading, synapse=None)
            nengo.Connection(
                leading,
                state,
                transform=mapping.recurrent_transform,
                synapse=nengo.Lowpass(tau),
            )
            for transform, synapse in zip(
                mapping.input_transforms, mapping.input_synapses
            ):
                nengo.Connection(stim, state, transform=transform, synapse=synapse)
            state_probe, stim_probe = nengo.Probe(state), nengo.Probe(stim)
        with Simulator(model, dt=dt) as sim:
            sim.run(5.0)
        memory = np.zeros((len(sim.data[stim_probe]), order))
        m = np.zeros(order)
        for k, uk in enumerate(sim.data[stim_probe]):
            m = Ad @ m + Bd @ uk
            memory[k] = m
        errors[name] = nrmse(sim.data[state_probe][1:], memory[:-1], axis=None)
    assert errors["uncorrected"] > 0.02
    assert errors["corrected"] < errors["uncorrected"] / 10


class LeadingCopy:
    """x + lead * dx/dt, by a backward difference: feedback that runs ahead."""

    def __init__(self, lead, dt):
        self.gain, self.previous = lead / dt, None

    def __call__(self, t, x):
        previous = x if self.previous is None else self.previous
        self.previous = x.copy()
        return x + self.gain * (x - previous)


def test_lead_correction_invalid():
    Ad, Bd = discretize(*legendre_delay(0.1, 3), 0.001)
    mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.05), 0.001)
    with pytest.raises(ValidationError, match="lead.*one per state dimension"):
        lead_correction(mapping, [0.001, 0.002], 0.05)
    with pytest.raises(ValidationError, match="lead.*smaller than tau"):
        lead_correction(mapping, 0.06, 0.05)
    with pytest.raises(ValidationError, match="tau"):
        lead_correction(mapping, 0.001, 0)
