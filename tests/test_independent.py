"""The pure math against computations that share no code with it.

Each test here compares a function of `nengo_lmu` with a second computation
written out independently (closed forms, scipy, numpy's Legendre series), or with
a bound that the math implies, so that a wrong sign, index or factor in the
library fails a test rather than being reproduced by it.
"""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from numpy.polynomial import Legendre
from scipy.linalg import solve_continuous_lyapunov
from scipy.signal import cont2discrete

from nengo_lmu import (
    discretize,
    euler_max_dt,
    evaluate_cell,
    evaluate_memory,
    legendre_delay,
    legendre_readout,
    synapse_mapping,
)
from nengo_lmu.discretize import lead_correction, loop_transfer_function
from nengo_lmu.evaluation import Delay, nrmse, periodic_delay
from nengo_lmu.realize import (
    balanced_realization,
    legendre_realization,
    realize,
    state_scaling,
)
from nengo_lmu.sequence import impulse_response


def closed_form_system(theta, order):
    """``(A, B)`` of the Legendre delay, written out entry by entry."""
    A = np.zeros((order, order))
    B = np.zeros((order, 1))
    for i in range(order):
        B[i, 0] = (2 * i + 1) * (-1) ** i / theta
        for j in range(order):
            A[i, j] = (2 * i + 1) * (-1 if i < j else (-1) ** (i - j + 1)) / theta
    return A, B


def scipy_discretization(theta, order, dt, method="zoh"):
    A, B = closed_form_system(theta, order)
    C, D = np.eye(order), np.zeros((order, 1))
    Ad, Bd, *_ = cont2discrete((A, B, C, D), dt, method=method)
    return Ad, Bd


def shifted_legendre_readout(order, r):
    """``P_i(2 r - 1)`` from numpy's Legendre series, one row per ``r``."""
    r = np.atleast_1d(r)
    return np.array([[Legendre.basis(i)(2 * x - 1) for i in range(order)] for x in r])


@pytest.mark.parametrize("order", [2, 4, 6, 16, 32])
def test_euler_refused_just_past_its_bound(order):
    """Euler is accepted just inside its stability bound and refused just past
    it, where the spectral radius exceeds 1 by only 1e-8 to 1e-6."""
    A, B = closed_form_system(1.0, order)
    max_dt = euler_max_dt(A)
    Ad, Bd = discretize(A, B, max_dt * (1 - 1e-6), method="euler")
    assert np.allclose(Ad, np.eye(order) + A * max_dt * (1 - 1e-6), rtol=0, atol=1e-15)
    with pytest.raises(ValidationError, match="dt"):
        discretize(A, B, max_dt * (1 + 1e-6), method="euler")


@pytest.mark.parametrize("method", ["zoh", "euler", "bilinear"])
def test_memory_steps_like_scipy_discretization(method, rng):
    """`evaluate_memory` of `discretize` equals a recurrence with scipy's matrices."""
    theta, order, dt = 0.1, 6, 0.001
    Ad, Bd = discretize(*legendre_delay(theta, order), dt, method=method)
    inputs = rng.standard_normal((300, 2))
    states = evaluate_memory(inputs, Ad, Bd)

    scipy_Ad, scipy_Bd = scipy_discretization(theta, order, dt, method)
    m = np.zeros((order, 2))
    expected = []
    for u in inputs:
        m = scipy_Ad @ m + scipy_Bd @ u[None, :]
        expected.append(m.T.ravel())
    assert np.allclose(states, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("order", [2, 3, 9])
def test_readout_is_shifted_legendre_series(order):
    r = np.linspace(0, 1, 11)
    assert np.allclose(
        legendre_readout(order, r),
        shifted_legendre_readout(order, r),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("order, theta_steps", [(6, 100), (12, 300)])
def test_memory_holds_a_delayed_sinusoid(order, theta_steps):
    """Readouts of a slow sinusoid match the sinusoid delayed by r theta (ZOH: half
    a step less), with the error that the order allows."""
    dt = 1.0
    theta = theta_steps * dt
    frequency = 0.5 / theta  # half a cycle per window
    t = np.arange(20 * theta_steps) * dt
    u = np.sin(2 * np.pi * frequency * t)[:, None]
    Ad, Bd = discretize(*legendre_delay(theta, order), dt)
    states = evaluate_memory(u, Ad, Bd)[-5 * theta_steps :]
    r = np.array([0.0, 0.3, 0.7, 1.0])
    decoded = states @ shifted_legendre_readout(order, r).T
    delayed = np.sin(
        2 * np.pi * frequency * (t[-5 * theta_steps :, None] - r * theta + dt / 2)
    )
    assert np.abs(decoded - delayed).max() < 0.01


@pytest.mark.parametrize("memory_delay", [0, 2, 5])
@pytest.mark.parametrize("method", ["fft", "recurrence"])
def test_feedforward_cell_delays_the_memory(memory_delay, method, rng):
    """With no feedback, the hidden layer sees the memory ``memory_delay`` steps
    late: written out with scipy's matrices and a list of past states."""
    theta, order, n_steps = 20.0, 4, 60
    Ad, Bd = scipy_discretization(theta, order, 1.0)
    weights = {
        "e_x": rng.standard_normal((2, 3)),
        "u_bias": rng.standard_normal(2),
        "W_m": rng.standard_normal((5, 2 * order)),
        "W_x": rng.standard_normal((5, 3)),
        "bias": rng.standard_normal(5),
    }
    inputs = rng.standard_normal((2, n_steps, 3))
    hidden, memory = evaluate_cell(
        inputs, Ad, Bd, weights, np.tanh, memory_delay=memory_delay, method=method
    )

    for x, h, seen in zip(inputs, hidden, memory):
        m = np.zeros((2, order))
        history = []
        for k in range(n_steps):
            u = weights["e_x"] @ x[k] + weights["u_bias"]
            m = m @ Ad.T + u[:, None] * Bd[:, 0]
            history.append(m.ravel())
            late = history[k - memory_delay] if k >= memory_delay else 0 * m.ravel()
            expected = np.tanh(
                weights["W_m"] @ late + weights["W_x"] @ x[k] + weights["bias"]
            )
            assert np.allclose(seen[k], late, atol=1e-9)
            assert np.allclose(h[k], expected, atol=1e-9)


# ---------------------------------------------------------------------------
# Edge cases found by mutation testing (see docs/development.rst)
# ---------------------------------------------------------------------------


def test_euler_max_dt_of_undamped_oscillator():
    """Eigenvalues on the imaginary axis (other than 0): Euler is never stable."""
    assert euler_max_dt(np.array([[0.0, 1.0], [-1.0, 0.0]])) == 0.0


def test_euler_message_names_the_legendre_bound():
    """The message gives the smallest stable theta / dt, and the one asked for."""
    A, B = legendre_delay(2.0, 16)
    with pytest.raises(
        ValidationError, match=r"theta / dt >= 59\.72 steps \(here 50\)"
    ):
        discretize(A, B, dt=2.0 / 50, method="euler")
    # not a Legendre memory: no such sentence
    not_legendre = A.copy()
    not_legendre[-1, 0] *= 1.1
    with pytest.raises(ValidationError, match="dt") as error:
        discretize(not_legendre, B, dt=2.0 / 25, method="euler")
    assert "Legendre" not in str(error.value)


def test_lead_correction_per_dimension():
    """One lead per state dimension: the closed form of `lead_correction`."""
    Ad, Bd = discretize(*legendre_delay(1.0, 3), 0.001)
    mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.1), 0.001)
    lead, tau = np.array([1e-3, 2e-3, 0.5e-3]), 0.1
    corrected = lead_correction(mapping, lead, tau)
    D = np.diag(lead)
    M = (mapping.recurrent_transform - np.eye(3)) / tau
    expected = mapping.recurrent_transform @ np.linalg.inv(np.eye(3) + D @ M)
    assert np.allclose(corrected.recurrent_transform, expected, atol=1e-12)
    (b0,), (b,) = mapping.input_transforms, corrected.input_transforms
    assert np.allclose(b, (tau * np.eye(3) - expected @ D) @ b0 / tau, atol=1e-12)
    with pytest.raises(ValidationError, match="lead"):
        lead_correction(mapping, tau, tau)


def test_nrmse_edge_cases():
    assert nrmse([3.0], [2.0]) == pytest.approx(0.5)
    assert nrmse(np.ones((2, 3)), 2 * np.ones((2, 3)), axis=-2) == pytest.approx(0.5)
    with pytest.raises(ValidationError, match="axis"):
        nrmse(np.ones((2, 3)), np.ones((2, 3)), axis=2)
    with pytest.raises(ValidationError, match="target.*zero"):
        nrmse([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValidationError, match="target"):
        nrmse(1.0, 1.0)


def test_periodic_delay_of_odd_length():
    x = np.cos(2 * np.pi * np.arange(9) / 9)
    assert np.allclose(periodic_delay(x, 2), np.roll(x, 2))


def test_delay_process_options():
    assert Delay(0.01, seed=3).seed == 3
    with pytest.raises(ValidationError, match="size"):
        Delay(0.01, size=0)


def test_orders_and_steps_at_least_one():
    with pytest.raises(ValidationError, match="order"):
        legendre_readout(0, [0.5])
    with pytest.raises(ValidationError, match="n_steps"):
        impulse_response([[0.5]], [[1.0]], n_steps=0)
    A, B = legendre_delay(0.1, 3)
    with pytest.raises(ValidationError, match="n_steps"):
        state_scaling(A, B, band_limit=None, input_process=WHITE, n_steps=0)


WHITE = nengo.processes.WhiteSignal(5.0, high=10, rms=0.3)


def test_realize_passes_the_expected_input_on():
    """`realize` with a process is the balanced system scaled with that process, at
    that dt, n_steps and rng."""
    A, B = legendre_delay(0.1, 3)
    C = legendre_readout(3, np.linspace(0, 1, 7))
    options = dict(input_process=WHITE, dt=0.002, n_steps=3000)
    T, _ = realize(A, B, C, rng=np.random.RandomState(1), **options)
    T_balanced, T_balanced_inv = balanced_realization(A, B, C)
    T_scale, _ = state_scaling(
        T_balanced_inv @ A @ T_balanced,
        T_balanced_inv @ B,
        rng=np.random.RandomState(1),
        **options,
    )
    assert np.allclose(T, T_balanced @ T_scale, rtol=1e-12)
    other_seed, _ = realize(A, B, C, rng=np.random.RandomState(2), **options)
    assert not np.allclose(other_seed, T, rtol=1e-3)
    other_dt, _ = realize(
        A, B, C, rng=np.random.RandomState(1), **{**options, "dt": 0.001}
    )
    assert not np.allclose(other_dt, T, rtol=1e-3)
    default_dt, _ = realize(
        A, B, C, input_process=WHITE, n_steps=3000, rng=np.random.RandomState(1)
    )
    assert np.allclose(default_dt, other_dt, rtol=1e-12)


def test_balanced_realization_of_large_gains():
    """A minimal system with large Hankel singular values is balanced, not refused."""
    A, B = legendre_delay(0.1, 4)
    T, T_inv = balanced_realization(A, 1e4 * B, 1e4 * np.ones((1, 4)))
    assert np.allclose(T @ T_inv, np.eye(4), atol=1e-8)


def refuses(attr, function, *args, **kwargs):
    """``function(*args, **kwargs)`` raises a ValidationError naming ``attr``."""
    with pytest.raises(ValidationError) as excinfo:
        function(*args, **kwargs)
    assert excinfo.value.attr == attr, str(excinfo.value)
    return excinfo.value


def test_legendre_errors_name_the_parameter():
    refuses("theta", legendre_delay, 0.0, 4)
    refuses("order", legendre_delay, 0.1, 0)
    refuses("order", legendre_readout, 0, [0.5])
    refuses("r", legendre_readout, 3, ["a"])


def test_legendre_delay_of_tiny_theta_is_refused_without_warnings():
    """``(2 i + 1) / theta`` overflows: refused, not warned about (warnings are
    errors in this suite)."""
    refuses("theta", legendre_delay, 1e-308, 4)


def test_readout_of_order_one_is_constant():
    assert np.array_equal(legendre_readout(1, [0.0, 0.3, 1.0]), np.ones((3, 1)))


def test_discretize_messages_name_cause_and_remedy():
    A, B = legendre_delay(2.0, 16)
    error = refuses("dt", discretize, A, B, dt=2.0 / 50, method="euler")
    assert "it needs dt <= 0.0334" in str(error)  # 2 / 59.72
    assert str(error).endswith("Use method='zoh', a smaller dt or a longer theta.")
    error = refuses("dt", discretize, [[0.5]], [[1.0]], dt=0.1)
    assert str(error).endswith("> 1). The continuous-time system A is itself unstable.")


@pytest.mark.parametrize(
    "A",
    [
        [[0.0, -1.0], [1.0, 0.0]],  # undamped: A[0, 0] = 0
        [[-1.0, 0.0], [0.0, -1.0]],  # A[0, 1] = 0
    ],
)
def test_euler_message_of_other_systems(A):
    """Systems that are not Legendre memories, with zeros where a Legendre memory
    has -1 / theta: no Legendre sentence (and no division by zero on the way)."""
    error = refuses("dt", discretize, A, [[1.0], [1.0]], dt=3.0, method="euler")
    assert "Legendre" not in str(error)


def test_lowpass_loop_of_an_integrator():
    """Ad = 1: A' = (Ad - a) / (1 - a) = 1 and B' = Bd / (1 - a), with
    a = exp(-dt / tau) (nengo's discrete Lowpass)."""
    dt, tau = 0.001, 0.01
    a = np.exp(-dt / tau)
    mapping = synapse_mapping([[1.0]], [[dt]], nengo.Lowpass(tau), dt)
    assert np.allclose(mapping.recurrent_transform, 1.0, rtol=1e-12)
    assert np.allclose(mapping.input_transforms[0], dt / (1 - a), rtol=1e-9)


def test_discretize_errors_name_the_parameter():
    refuses("A", euler_max_dt, np.ones((2, 3)))
    Ad, Bd = discretize(*legendre_delay(1.0, 3), dt=0.001)
    mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.1), dt=0.001)
    error = refuses("mapping", lead_correction, (Ad, Bd), 0.0, 0.1)
    assert "must be a SynapseMapping (see synapse_mapping)" in str(error)
    refuses("tau", lead_correction, mapping, 0.0, 0.0)
    refuses("lead", lead_correction, mapping, "a", 0.1)
    refuses("lead", lead_correction, mapping, [[0.001]], 0.1)
    error = refuses("lead", lead_correction, mapping, 0.25, 0.1)
    assert "got 0.25" in str(error)


def test_synapse_mapping_errors_name_the_parameter():
    Ad, Bd = discretize(*legendre_delay(1.0, 3), dt=0.001)
    refuses("Ad", synapse_mapping, np.ones((3, 2)), Bd, 0.1, 0.001)
    refuses("Bd", synapse_mapping, Ad, np.ones((2, 1)), 0.1, 0.001)
    refuses("dt", synapse_mapping, Ad, Bd, 0.1, 0.0)
    # nengo's expm overflows: refused, without warnings on the way
    refuses("synapse", synapse_mapping, Ad, Bd, nengo.Lowpass(1e-70), 0.001)


def test_loop_transfer_function_of_a_discrete_filter_with_feedthrough():
    """nengo applies ``z / (z - 0.5)`` a step late in a loop: ``1 / (z - 0.5)``."""
    num, den = loop_transfer_function(
        nengo.LinearFilter([1, 0], [1, -0.5], analog=False), dt=0.001
    )
    z = np.array([2.0, -3.0, 0.5j + 1])
    assert np.allclose(np.polyval(num, z) / np.polyval(den, z), 1 / (z - 0.5))


def test_evaluation_errors_name_the_parameter():
    signal = np.ones((4, 2))
    refuses("target", nrmse, signal, "a")
    refuses("target", nrmse, signal, [[]])
    refuses("target", nrmse, signal, np.full((4, 2), np.nan))
    refuses("estimate", nrmse, "a", signal)
    refuses("estimate", nrmse, np.ones((2, 4)), signal)
    for axis in [True, 0.0, 2, -3]:
        refuses("axis", nrmse, signal, signal, axis=axis)
    refuses("target", nrmse, signal, np.zeros((4, 2)))
    refuses("signal", periodic_delay, "a", 1)
    refuses("steps", periodic_delay, signal, np.inf)
    refuses("delay", Delay, -0.001)
    refuses("size", Delay, 0.001, size=0)


@pytest.mark.parametrize("method", ["zoh", "euler", "bilinear"])
def test_discretize_an_integrator(method):
    """A = 0: every method gives Ad = 1 and Bd = dt (spectral radius 1 exactly)."""
    Ad, Bd = discretize([[0.0]], [[1.0]], dt=0.01, method=method)
    assert np.allclose(Ad, 1.0, rtol=1e-14) and np.allclose(Bd, 0.01, rtol=1e-14)


def test_discretize_overflow_is_refused():
    """Bd alone overflows (B dt = 1e309); the message gives the norm of A dt."""
    error = refuses("dt", discretize, [[-1e-3]], [[1e308]], 10.0, method="euler")
    assert "overflows (A dt has norm 0.01)" in str(error)
    A, B = legendre_delay(1.0, 4)
    refuses("dt", discretize, A, B, 1e306, method="euler")  # Ad overflows too
    refuses("dt", discretize, A, B, 0.0)
    refuses("method", discretize, A, B, 0.001, method="exact")


def test_synapse_errors_name_the_synapse():
    Ad, Bd = discretize(*legendre_delay(1.0, 3), dt=0.001)
    error = refuses(
        "synapse", synapse_mapping, [[1.0]], [[0.001]], nengo.Alpha(0.01), 0.001
    )
    assert str(error).startswith("synapse: Alpha(tau=0.01) would make the loop")
    error = refuses(
        "synapse", synapse_mapping, Ad, Bd, nengo.LinearFilter([1], [np.inf, 1]), 0.001
    )
    assert "must have finite coefficients" in str(error)


def test_delay_default_size_in_a_model():
    """``Delay(delay)`` delays one dimension by ``round(delay / dt)`` steps."""
    with nengo.Network() as model:
        ramp = nengo.Node(lambda t: t)
        delayed = nengo.Node(Delay(0.003))
        nengo.Connection(ramp, delayed, synapse=None)
        probe = nengo.Probe(delayed)
    with nengo.Simulator(model, progress_bar=False) as sim:
        sim.run_steps(10)
    t = sim.trange()
    assert np.allclose(sim.data[probe][:, 0], np.where(t > 0.003, t - 0.003, 0))


@pytest.mark.parametrize("bits", ["32", "64"])
def test_delay_state_has_the_simulator_dtype(bits):
    """The buffer and position take the given dtype, else nengo's float dtype."""
    dtype = {"32": np.float32, "64": np.float64}[bits]
    state = Delay(0.002).make_state((2,), (2,), 0.001, dtype=dtype)
    assert state["buffer"].dtype == dtype and state["position"].dtype == dtype
    old = nengo.rc["precision"]["bits"]
    nengo.rc["precision"]["bits"] = bits
    try:
        state = Delay(0.002).make_state((2,), (2,), 0.001)
    finally:
        nengo.rc["precision"]["bits"] = old
    assert state["buffer"].dtype == dtype and state["position"].dtype == dtype


def hankel_singular_values(A, B, C):
    """By scipy's Lyapunov solver: sqrt(eig(Wc Wo)), largest first."""
    Wc = solve_continuous_lyapunov(A, -B @ B.T)
    Wo = solve_continuous_lyapunov(A.T, -C.T @ C)
    return np.sort(np.sqrt(np.abs(np.linalg.eigvals(Wc @ Wo))))[::-1]


@pytest.mark.parametrize("weak", ["B", "C"])
def test_not_minimal_with_large_gains(weak):
    """A third state nearly unreachable (weak B) or nearly invisible (weak C), with
    gains of 1000: refused, naming B or C and the ratio of the Hankel singular
    values (6e-8: below the limit 1e-5, far above 1e-5 / 1000**2)."""
    A = np.diag([-1.0, -2.0, -3.0])
    B = 1e3 * np.array([[1.0], [1.0], [1e-5 if weak == "B" else 1.0]])
    C = 1e3 * np.array([[1.0, -1.0, 1e-5 if weak == "C" else 1.0]])
    hankel = hankel_singular_values(A, B, C)
    assert 1e-9 < hankel[-1] / hankel[0] < 1e-5 and hankel[0] > 1e4
    error = refuses(weak, balanced_realization, A, B, C)
    part = "unreachable from the input" if weak == "B" else "invisible in the output C"
    assert str(error) == (
        f"{weak}: the system is not minimal: its smallest Hankel singular value is "
        f"{hankel[-1] / hankel[0]:.3g} times its largest (limit 1e-05), so some "
        f"state is (nearly) {part}. Remove that state, or choose a C that sees "
        "every state."
    )


def test_realize_errors_name_the_parameter():
    A, B = legendre_delay(0.1, 3)
    C = legendre_readout(3, [0.0, 1.0])
    refuses("C", realize, A, B, "a")
    refuses("C", realize, A, B, np.ones((2, 4)))
    refuses("balance", realize, A, B, C, balance="yes")
    refuses("order", legendre_realization, 0)
    refuses("rms", legendre_realization, 4, rms=0.0)


def test_legendre_realization_default_rms():
    """The default input rms is 0.5: T scales with it, T_inv inversely."""
    T, T_inv = legendre_realization(4)
    T_unit, T_inv_unit = legendre_realization(4, rms=1.0)
    assert np.allclose(T, 0.5 * T_unit) and np.allclose(T_inv, 2 * T_inv_unit)


def cell_step_by_step(x, Ad, Bd, weights, activation, feedback, memory_delay):
    """The cell equations of `evaluate_cell`, one step at a time, for one sequence;
    the feedback filter by its difference equation."""
    num, den = (np.asarray(c, dtype=float) for c in feedback)
    num = np.concatenate([np.zeros(len(den) - len(num)), num])
    order, memory_d = len(Ad), len(weights["e_x"])
    n_hidden = len(weights["W_m"])
    get = lambda name, shape: weights.get(name, np.zeros(shape))  # noqa: E731
    e_h, e_m = get("e_h", (memory_d, n_hidden)), get(
        "e_m", (memory_d, memory_d * order)
    )
    W_x, W_h = get("W_x", (n_hidden, x.shape[1])), get("W_h", (n_hidden, n_hidden))
    u_bias, bias = get("u_bias", (memory_d,)), get("bias", (n_hidden,))

    def filtered(inputs, outputs):  # (F v)[k] from v[<k] and (F v)[<k]
        k = len(outputs)
        value = sum(num[j] * inputs[k - j] for j in range(1, len(num)) if k - j >= 0)
        value -= sum(den[j] * outputs[k - j] for j in range(1, len(den)) if k - j >= 0)
        return value / den[0]

    state = np.zeros((memory_d, order))
    hidden, seen, h_fed, m_fed, states = [], [], [], [], []
    for k in range(len(x)):
        h_fed.append(filtered(hidden, h_fed) if k else np.zeros(n_hidden))
        m_fed.append(filtered(seen, m_fed) if k else np.zeros(memory_d * order))
        u = weights["e_x"] @ x[k] + u_bias + e_h @ h_fed[k] + e_m @ m_fed[k]
        state = state @ Ad.T + u[:, None] * Bd[:, 0]
        states.append(state.ravel())
        seen.append(states[k - memory_delay] if k >= memory_delay else 0 * states[0])
        currents = weights["W_m"] @ seen[k] + W_x @ x[k] + W_h @ h_fed[k] + bias
        hidden.append(activation(currents))
    return np.array(hidden), np.array(seen)


@pytest.mark.parametrize(
    "feedback_weights, feedback, memory_delay",
    [
        (("e_h",), ((1.0,), (1.0, 0.0)), 0),
        (("e_m",), ((1.0,), (1.0, 0.0)), 2),
        (("W_h",), ((0.3,), (1.0, -0.7)), 1),
        (("e_h", "e_m", "W_h"), ((0.1,), (1.0, -1.1, 0.3)), 0),
        (("W_h",), ((1.0, 0.0), (1.0, -0.5, 0.0)), 0),  # z / (z^2 - z / 2)
    ],
)
def test_cell_against_the_step_by_step_equations(
    feedback_weights, feedback, memory_delay, rng
):
    """Each feedback weight alone, first- and second-order feedback filters, and
    an unbatched sequence: the same hidden states and memory."""
    order, memory_d, size_in, n_hidden = 4, 2, 2, 5
    Ad, Bd = discretize(*legendre_delay(12.0, order), dt=1.0)
    shapes = dict(
        e_x=(memory_d, size_in),
        e_h=(memory_d, n_hidden),
        e_m=(memory_d, memory_d * order),
        W_m=(n_hidden, memory_d * order),
        W_h=(n_hidden, n_hidden),
        bias=(n_hidden,),
    )
    names = ("e_x", "W_m", "bias") + feedback_weights
    weights = {name: 0.4 * rng.standard_normal(shapes[name]) for name in names}
    x = rng.standard_normal((40, size_in))
    hidden, memory = evaluate_cell(
        x, Ad, Bd, weights, np.tanh, feedback=feedback, memory_delay=memory_delay
    )
    expected_hidden, expected_memory = cell_step_by_step(
        x, Ad, Bd, weights, np.tanh, feedback, memory_delay
    )
    assert hidden.shape == (40, n_hidden) and memory.shape == (40, memory_d * order)
    assert np.allclose(hidden, expected_hidden, atol=1e-12)
    assert np.allclose(memory, expected_memory, atol=1e-12)


def test_cell_defaults(rng):
    """No memory delay and a one-step feedback delay by default."""
    Ad, Bd = discretize(*legendre_delay(12.0, 3), dt=1.0)
    weights = dict(e_x=rng.standard_normal((1, 1)), W_m=rng.standard_normal((2, 3)))
    x = rng.standard_normal((20, 1))
    hidden, memory = evaluate_cell(x, Ad, Bd, weights, np.tanh)
    assert hidden.shape == (20, 2) and memory.shape == (20, 3)
    expected, _ = cell_step_by_step(
        x, Ad, Bd, weights, np.tanh, ((1.0,), (1.0, 0.0)), 0
    )
    assert np.allclose(hidden, expected, atol=1e-12)


def test_cell_errors_name_the_parameter():
    Ad, Bd = discretize(*legendre_delay(12.0, 3), dt=1.0)
    weights = dict(e_x=np.ones((1, 1)), W_m=np.ones((2, 3)))
    x = np.ones((5, 1))
    refuses("memory_delay", evaluate_cell, x, Ad, Bd, weights, np.tanh, memory_delay=-1)
    refuses("method", evaluate_cell, x, Ad, Bd, weights, np.tanh, method="exact")
    for name, value in [
        ("e_x", "a"),
        ("W_m", np.ones((2, 4))),
        ("W_x", np.ones((2, 2))),
        ("e_m", np.ones((1, 4))),
        ("W_h", np.ones((2, 3))),
    ]:
        refuses(
            f"weights[{name!r}]",
            evaluate_cell,
            x,
            Ad,
            Bd,
            {**weights, name: value},
            np.tanh,
        )


@pytest.mark.parametrize(
    "feedback",
    [
        ((1.0,), (0.0, 1.0, 0.0)),  # leading zero in den
        ([[1.0]], [1.0, 0.0]),  # 2-D num
        ((1.0,), (1.0, np.inf)),
        ((1.0, 0.0), (1.0, 0.0)),  # not strictly proper
    ],
)
def test_cell_refuses_bad_feedback(feedback):
    Ad, Bd = discretize(*legendre_delay(12.0, 3), dt=1.0)
    weights = dict(e_x=np.ones((1, 1)), W_m=np.ones((2, 3)), W_h=np.eye(2))
    refuses(
        "feedback", evaluate_cell, np.ones((5, 1)), Ad, Bd, weights, np.tanh, feedback
    )
