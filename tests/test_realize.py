import copy
import importlib

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from scipy.linalg import (
    block_diag,
    logm,
    schur,
    solve_continuous_lyapunov,
    solve_sylvester,
)
from scipy.signal import lfilter

from nengo_lmu.discretize import discretize
from nengo_lmu.legendre import legendre_delay, legendre_readout
from nengo_lmu.realize import (
    LEGENDRE_REALIZATION_CACHE_SIZE,
    PROCESS_SAMPLE_CACHE_SIZE,
    RMS_RANGE,
    SYLVESTER_BLOCK,
    _band_limited_state_rms,
    _gramian,
    _gramian_factor,
    _legendre_inverse,
    _schur_eigenvalues,
    _triangular_sylvester,
    _unit_legendre_realization,
    balanced_realization,
    clear_cache,
    legendre_realization,
    process_sample,
    realize,
    state_scaling,
)

# The module (the package's namespace holds the function `realize`).
realize_module = importlib.import_module("nengo_lmu.realize")


def whole_window_readout(order):
    r = np.linspace(0, 1, 2 * order + 1)
    return legendre_readout(order, r) / np.sqrt(len(r))


def gramians(A, B, C):
    controllability = solve_continuous_lyapunov(A, -B @ B.T)
    observability = solve_continuous_lyapunov(A.T, -C.T @ C)
    return controllability, observability


def transfer_function(A, B, C, s):
    return C @ np.linalg.solve(s * np.eye(len(A)) - A, B)


def random_stable_system(rng, n, k, m):
    A = rng.randn(n, n)
    A -= (np.max(np.linalg.eigvals(A).real) + 0.5) * np.eye(n)
    return A, rng.randn(n, k), rng.randn(m, n)


def band_limited_variance(A, B, band_limit, rms):
    """Closed-form frequency-limited Gramian (Gawronski and Juang, 1990)."""
    return np.diag(band_limited_covariance(A, B, band_limit, rms))


def band_limited_covariance(A, B, band_limit, rms):
    """Closed-form frequency-limited Gramian (Gawronski and Juang, 1990)."""
    omega = 2 * np.pi * band_limit
    identity = np.eye(len(A))
    ratio = (A + 1j * omega * identity) @ np.linalg.inv(A - 1j * omega * identity)
    S = 1j / (2 * np.pi) * logm(ratio)
    gramian = solve_continuous_lyapunov(A, -B @ B.T)
    limited = (S @ gramian + gramian @ S.conj().T).real
    return rms**2 / (2 * band_limit) * limited


def simulated_rms(A, B, inputs, dt, n_skip):
    """Plain-loop ZOH simulation, independent of the code under test."""
    Ad, Bd = discretize(A, B, dt)
    state = np.zeros(len(A))
    sum_squares = np.zeros(len(A))
    for step, u in enumerate(inputs):
        state = Ad @ state + Bd @ u
        if step >= n_skip:
            sum_squares += state**2
    return np.sqrt(sum_squares / (len(inputs) - n_skip))


@pytest.mark.parametrize(
    "order, readout", [(6, "window"), (12, "window"), (12, "delay"), (3, "random")]
)
def test_balanced_gramians_equal_diagonal_decreasing(order, readout, rng):
    if readout == "random":
        A, B, C = random_stable_system(rng, order, 2, 2)
    else:
        A, B = legendre_delay(0.1, order)
        C = whole_window_readout(order) if readout == "window" else np.ones(order)
    T, T_inv = balanced_realization(A, B, C)

    assert np.allclose(T @ T_inv, np.eye(order), atol=1e-10)
    Wc, Wo = gramians(T_inv @ A @ T, T_inv @ B, np.atleast_2d(C) @ T)
    hankel = np.diag(Wc)
    assert np.allclose(Wc, np.diag(hankel), atol=1e-10 * hankel[0])
    assert np.allclose(Wo, Wc, atol=1e-10 * hankel[0])
    assert np.all(np.diff(hankel) < 0)
    assert np.all(hankel > 0)
    # The input drives every balanced dimension positively.
    Bz = T_inv @ B
    assert np.all(Bz[np.arange(order), np.argmax(np.abs(Bz), axis=1)] > 0)


def test_balanced_preserves_transfer_function(rng):
    A, B, C = random_stable_system(rng, 5, 2, 3)
    T, T_inv = balanced_realization(A, B, C)
    for s in [0.0, 0.3 + 2j, 5j, -0.1 + 40j]:
        assert np.allclose(
            transfer_function(T_inv @ A @ T, T_inv @ B, C @ T, s),
            transfer_function(A, B, C, s),
            rtol=1e-10,
            atol=1e-12,
        )


@pytest.mark.parametrize("a, b, c", [(2.0, 3.0, 0.5), (0.1, -1.0, 4.0)])
def test_balanced_one_dimensional_closed_form(a, b, c):
    T, T_inv = balanced_realization([[-a]], [[b]], [[c]])
    # Wc = b^2 / 2a and Wo = c^2 / 2a become equal at T^2 = |b / c|.
    assert T[0, 0] == pytest.approx(np.sign(b) * np.sqrt(abs(b / c)))
    assert T_inv[0, 0] == pytest.approx(1 / T[0, 0])
    Wc, _ = gramians(np.array([[-a]]), T_inv @ [[b]], np.array([[c]]) @ T)
    assert Wc[0, 0] == pytest.approx(abs(b * c) / (2 * a))


def test_balanced_decoupled_system_closed_form():
    """Decoupled 1-D systems balance one by one, sorted by |b c| / 2a."""
    a, b, c = np.array([1.0, 3.0, 0.5]), np.array([2.0, -4.0, 0.1]), np.ones(3)
    T, T_inv = balanced_realization(-np.diag(a), np.diag(b), np.diag(c))
    hankel = np.abs(b * c) / (2 * a)
    order = np.argsort(-hankel)
    Wc, _ = gramians(-np.diag(a), T_inv @ np.diag(b), np.diag(c) @ T)
    assert np.allclose(Wc, np.diag(hankel[order]), atol=1e-12)
    expected_T = np.zeros((3, 3))
    expected_T[order, np.arange(3)] = (np.sign(b) * np.sqrt(np.abs(b / c)))[order]
    assert np.allclose(T, expected_T, atol=1e-12)


def test_gramian_factor_of_semidefinite_matrix(rng):
    vector = rng.randn(4, 1)
    semidefinite = vector @ vector.T
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(semidefinite)
    factor = _gramian_factor(semidefinite)
    assert np.allclose(factor @ factor.T, semidefinite, atol=1e-12)


@pytest.mark.parametrize(
    "tau, band_limit, rms",
    # tau=0.25: the whole-band state variance is exactly 1
    [(0.01, 10.0, 0.3), (1.0, 2.0, 1.5), (0.25, 1.0, 1.0)],
)
def test_band_limited_lowpass_closed_form(tau, band_limit, rms):
    T, T_inv = state_scaling([[-1 / tau]], [[1 / tau]], band_limit=band_limit, rms=rms)
    variance = (
        rms**2
        / band_limit
        / (2 * np.pi * tau)
        * np.arctan(2 * np.pi * tau * band_limit)
    )
    assert T[0, 0] ** 2 == pytest.approx(variance, rel=1e-9)
    assert T_inv[0, 0] == pytest.approx(1 / T[0, 0])


@pytest.mark.parametrize("order, theta, band_limit", [(6, 0.1, 10.0), (12, 1.0, 3.0)])
def test_band_limited_legendre_against_frequency_limited_gramian(
    order, theta, band_limit
):
    A, B = legendre_delay(theta, order)
    T, _ = state_scaling(A, B, band_limit=band_limit, rms=0.3)
    assert np.allclose(
        np.diag(T) ** 2, band_limited_variance(A, B, band_limit, 0.3), rtol=1e-8
    )


def test_band_limited_sharp_resonance():
    """The adaptive quadrature resolves a peak far narrower than the band."""
    frequency, damping = 2 * np.pi * 5.0, 1e-3
    A = np.array([[0, 1], [-(frequency**2), -2 * damping * frequency]])
    B = np.array([[0.0], [1.0]])
    T, _ = state_scaling(A, B, band_limit=10.0, rms=1.0)
    assert np.allclose(
        np.diag(T) ** 2, band_limited_variance(A, B, 10.0, 1.0), rtol=1e-7
    )


def test_band_limited_legendre_values():
    A, B = legendre_delay(0.1, 6)
    T, _ = state_scaling(A, B, band_limit=10, rms=0.3)
    assert np.allclose(
        np.diag(T), [0.2016, 0.3074, 0.2650, 0.1514, 0.0629, 0.0189], atol=1e-4
    )


def test_process_estimate_is_rms_of_sample():
    """Over whole periods of a periodic input, the steady-state rms is exact."""
    dt, period = 0.001, 2.0
    A, B = legendre_delay(0.1, 6)
    process = nengo.processes.WhiteSignal(period, high=20, rms=0.5, seed=2)
    T, T_inv = state_scaling(
        A, B, dt=dt, input_process=process, n_steps=int(2 * period / dt)
    )
    inputs = process.run_steps(int(3 * period / dt), d=1, dt=dt)
    expected = simulated_rms(A, B, inputs, dt, n_skip=int(period / dt))
    assert np.allclose(np.diag(T), expected, rtol=1e-5)
    assert np.allclose(T @ T_inv, np.eye(6))


def test_process_scaled_state_has_unit_rms_on_fresh_sample(rng):
    dt = 0.001
    # A short window and a wide input band put thousands of independent frequency
    # components in each state's band, so two samples agree to about 1%.
    A, B = legendre_delay(0.01, 6)
    process = nengo.processes.WhiteSignal(period=50, high=400, rms=0.3)
    T, T_inv = state_scaling(A, B, dt=dt, input_process=process, rng=rng)
    fresh = process.run_steps(50000, d=1, dt=dt, rng=rng)
    z_rms = simulated_rms(T_inv @ A @ T, T_inv @ B, fresh, dt, n_skip=100)
    assert np.allclose(z_rms, 1, rtol=0.04)


def test_process_and_band_limited_agree(rng):
    A, B = legendre_delay(0.1, 6)
    process = nengo.processes.WhiteSignal(period=100, high=10, rms=0.3)
    T_process, _ = state_scaling(A, B, input_process=process, rng=rng)
    T_analytic, _ = state_scaling(A, B, band_limit=10, rms=0.3)
    # One realisation of 1000 frequency components: a few percent of sampling
    # error, most in the high coefficients, which depend on the top of the band.
    assert np.allclose(np.diag(T_process), np.diag(T_analytic), rtol=0.1)


def test_multiple_inputs_add_variance():
    A, B = legendre_delay(0.1, 4)
    T_one, _ = state_scaling(A, B, band_limit=10)
    T_two, _ = state_scaling(A, np.hstack([B, 2 * B]), band_limit=10)
    assert np.allclose(np.diag(T_two) ** 2, 5 * np.diag(T_one) ** 2)


@pytest.mark.parametrize("route", ["band_limit", "process"])
def test_unreached_dimension_keeps_unit_scale(route):
    A = np.diag([-10.0, -20.0, -5.0])
    B = np.array([[1.0], [0.0], [2.0]])
    if route == "band_limit":
        kwargs = dict(band_limit=5.0)
    else:
        kwargs = dict(
            input_process=nengo.processes.WhiteSignal(10, high=5, seed=0),
            n_steps=5000,
        )
    T, T_inv = state_scaling(A, B, **kwargs)
    assert np.all(np.isfinite(T)) and np.all(np.isfinite(T_inv))
    assert T[1, 1] == T_inv[1, 1] == 1
    assert 0 < T[0, 0] < T[2, 2] < 1


def test_zero_input_gives_identity():
    T, T_inv = state_scaling(-np.eye(2), np.zeros((2, 1)), band_limit=5.0)
    assert np.array_equal(T, np.eye(2)) and np.array_equal(T_inv, np.eye(2))


def test_realize_balanced_and_unit_rms():
    order = 6
    A, B = legendre_delay(0.1, order)
    C = whole_window_readout(order)
    T, T_inv = realize(A, B, C, band_limit=10, rms=0.3)
    A_z, B_z, C_z = T_inv @ A @ T, T_inv @ B, C @ T

    assert np.allclose(T @ T_inv, np.eye(order), atol=1e-10)
    T_check, _ = state_scaling(A_z, B_z, band_limit=10, rms=0.3)
    assert np.allclose(T_check, np.eye(order), atol=1e-8)
    # A diagonal scaling of a balanced system keeps both Gramians diagonal.
    for gramian in gramians(A_z, B_z, C_z):
        off_diagonal = gramian - np.diag(np.diag(gramian))
        assert np.allclose(off_diagonal, 0, atol=1e-9 * np.max(np.abs(gramian)))
    assert np.allclose(
        transfer_function(A_z, B_z, C_z, 7j), transfer_function(A, B, C, 7j)
    )


def test_realize_without_balance_is_state_scaling():
    A, B = legendre_delay(0.1, 4)
    T, T_inv = realize(A, B, np.ones(4), band_limit=10, balance=False)
    expected_T, expected_T_inv = state_scaling(A, B, band_limit=10)
    assert np.allclose(T, expected_T) and np.allclose(T_inv, expected_T_inv)


class SizedProcess(nengo.Process):
    def __init__(self, size_in, size_out):
        super().__init__(default_size_in=size_in, default_size_out=size_out)


STABLE_A, STABLE_B = legendre_delay(0.1, 3)
STABLE_C = np.ones((1, 3))


@pytest.mark.parametrize(
    "A, B, C, match",
    [
        (np.diag([-1.0, 0.0]), np.ones((2, 1)), np.ones((1, 2)), "^A: must be stable"),
        (np.diag([-1.0, 2.0]), np.ones((2, 1)), np.ones((1, 2)), "^A: must be stable"),
        (np.ones((2, 3)), np.ones((2, 1)), np.ones((1, 3)), "^A: .*square"),
        (STABLE_A, np.ones((2, 1)), STABLE_C, "^B: .*shape"),
        (STABLE_A, STABLE_B, np.ones((1, 2)), "^C: .*shape"),
        (STABLE_A, STABLE_B, np.ones((1, 3, 1)), "^C: .*shape"),
        (STABLE_A, STABLE_B, [[np.nan, 1, 1]], "^C: .*NaN"),
    ],
)
def test_balanced_invalid(A, B, C, match):
    with pytest.raises(ValidationError, match=match):
        balanced_realization(A, B, C)
    with pytest.raises(ValidationError, match=match):
        realize(A, B, C, band_limit=1.0)


def test_balanced_refuses_non_minimal_system():
    A, B = legendre_delay(0.1, 4)
    A_extended = block_diag(A, [[-30.0]])
    B_unreached = np.vstack([B, [[0.0]]])
    C_sees_all = np.ones((1, 5))
    with pytest.raises(ValidationError, match="^B: .*not minimal.*unreachable"):
        balanced_realization(A_extended, B_unreached, C_sees_all)

    B_reaches_all = np.vstack([B, [[1.0]]])
    C_blind = np.hstack([np.ones((1, 4)), [[0.0]]])
    with pytest.raises(ValidationError, match="^C: .*not minimal.*invisible"):
        balanced_realization(A_extended, B_reaches_all, C_blind)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(), "^input_process: .*either input_process .* or band_limit"),
        (
            dict(band_limit=1.0, input_process=nengo.processes.WhiteSignal(1, 5)),
            "^input_process: .*not both",
        ),
        (dict(band_limit=0.0), "^band_limit: .*> 0"),
        (dict(band_limit=-3.0), "^band_limit: .*> 0"),
        (dict(band_limit=np.inf), "^band_limit: .*> 0"),
        (dict(band_limit=1.0, rms=0), "^rms: .*> 0"),
        (dict(band_limit=1.0, dt=0), "^dt: .*> 0"),
        (dict(band_limit=1.0, dt="0.001"), "^dt: .*> 0"),
        (dict(band_limit=1.0, n_steps=0), "^n_steps: .*>= 1"),
        (dict(band_limit=1.0, n_steps=10.0), "^n_steps: .*integer"),
        (dict(input_process=lambda t: t), "^input_process: .*nengo.Process"),
        (
            dict(input_process=SizedProcess(0, 2)),
            "^input_process: .*default_size_out must be 1 .got 2",
        ),
        (dict(input_process=SizedProcess(1, 1)), "^input_process: .*without input"),
        (dict(input_process=nengo.Lowpass(0.1)), "^input_process: .*without input"),
        (
            dict(input_process=nengo.processes.WhiteSignal(1, 5), rng=0),
            "^rng: .*RandomState",
        ),
    ],
)
def test_state_scaling_invalid(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        state_scaling(STABLE_A, STABLE_B, **kwargs)


def test_state_scaling_refuses_unstable():
    with pytest.raises(ValidationError, match="^A: must be stable"):
        state_scaling(np.diag([-1.0, 1e-9]), np.ones((2, 1)), band_limit=1.0)


@pytest.mark.parametrize("rms", [1e160, 1e-160])
def test_state_scaling_rms_out_of_float_range(rms):
    A, B = legendre_delay(1.0, 4)
    with pytest.raises(ValidationError, match="rms.*float64"):
        state_scaling(A, B, band_limit=1.0, rms=rms)
    # the ends of the range still give a finite scaling, proportional to rms
    for edge in RMS_RANGE:
        T, T_inv = state_scaling(A, B, band_limit=1.0, rms=edge)
        unit, _ = state_scaling(A, B, band_limit=1.0, rms=1.0)
        assert np.allclose(np.diag(T) / edge, np.diag(unit), rtol=1e-6)


@pytest.mark.parametrize("order", [1, 5, 12])
@pytest.mark.parametrize("theta, rms", [(0.1, 0.5), (2.0, 1.5)])
def test_legendre_realization_equals_realize(order, theta, rms):
    A, B = legendre_delay(theta, order)
    T, T_inv = realize(A, B, whole_window_readout(order), band_limit=1 / theta, rms=rms)
    T_cached, T_inv_cached = legendre_realization(order, rms=rms)
    assert np.allclose(T_cached, T, rtol=1e-7, atol=1e-12 * np.abs(T).max())
    assert np.allclose(T_inv_cached, T_inv, rtol=1e-7, atol=1e-9 * np.abs(T_inv).max())
    T_cached[0, 0] = 0  # a copy: the cache is untouched
    assert legendre_realization(order, rms=rms)[0][0, 0] != 0


@pytest.mark.parametrize("order", [1, 2, 3, 8, 64])
def test_legendre_inverse_is_tridiagonal_inverse(order):
    A, _ = legendre_delay(1.0, order)
    banded = _legendre_inverse(order)
    inverse = (
        np.diag(banded[1]) + np.diag(banded[0, 1:], 1) + np.diag(banded[2, :-1], -1)
    )
    assert np.allclose(inverse, np.linalg.inv(A), rtol=0, atol=1e-12)
    assert np.allclose(inverse @ A, np.eye(order), rtol=0, atol=1e-13)


def refuse(*args, **kwargs):
    raise AssertionError("called where it should not be")


@pytest.mark.parametrize("order", [1, 2, 6, 33, 96])
def test_legendre_realization_by_tridiagonal_solves_equals_schur(order, monkeypatch):
    """The cached realisation (transfer functions by tridiagonal solves, never by
    triangular ones) equals `realize` (by the complex Schur form) to rounding."""
    _unit_legendre_realization.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(realize_module, "solve_triangular", refuse)
        T, T_inv = _unit_legendre_realization(order)
    A, B = legendre_delay(1.0, order)
    T_schur, T_inv_schur = realize(A, B, whole_window_readout(order), band_limit=1.0)
    assert np.abs(T - T_schur).max() < 1e-10 * np.abs(T_schur).max()
    assert np.abs(T_inv - T_inv_schur).max() < 1e-10 * np.abs(T_inv_schur).max()


@pytest.mark.parametrize("output", ["real", "complex", "rotated"])
def test_schur_eigenvalues(output, rng):
    A, _ = legendre_delay(1.0, 9)
    A = A + 0.1 * rng.standard_normal(A.shape)
    R, _ = schur(A, output="real" if output == "rotated" else output)
    if output == "rotated":
        # LAPACK's 2 x 2 blocks have equal diagonal entries; rotated, they do not,
        # and R stays quasi-triangular with the same eigenvalues.
        blocks = np.flatnonzero(np.diag(R, -1))
        rotation = np.eye(len(R))
        for k in blocks:
            rotation[k : k + 2, k : k + 2] = [[0.8, -0.6], [0.6, 0.8]]
        R = rotation.T @ R @ rotation
        assert np.array_equal(np.flatnonzero(np.diag(R, -1)), blocks)
        assert np.all(np.abs(R[blocks, blocks] - R[blocks + 1, blocks + 1]) > 0.1)
    distances = np.abs(_schur_eigenvalues(R)[:, None] - np.linalg.eigvals(A))
    # each eigenvalue matched, both ways (pairs are conjugates, so distinct)
    assert distances.min(axis=0).max() < 1e-10 * np.abs(A).max()
    assert distances.min(axis=1).max() < 1e-10 * np.abs(A).max()


def count_calls(monkeypatch, owner, name):
    calls = []
    function = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_one_schur_decomposition_per_realization(monkeypatch):
    """The Schur decomposition, most of the cost, is done once: it gives
    `realize` the stability, both Gramians and the band-limited rms, and
    `state_scaling` the rms and the Gramian; no eigenvalues are computed apart."""
    A, B = legendre_delay(1.0, 7)
    C = whole_window_readout(7)
    T_expected, _ = realize(A, B, C, band_limit=1.0)
    scale_expected, _ = state_scaling(A, B, band_limit=1.0)
    schurs = count_calls(monkeypatch, realize_module, "schur")
    eigenvalue_calls = count_calls(monkeypatch, np.linalg, "eigvals")
    T, _ = realize(A, B, C, band_limit=1.0)
    assert len(schurs) == 1 and len(eigenvalue_calls) == 0
    scale, _ = state_scaling(A, B, band_limit=1.0)
    assert len(schurs) == 2 and len(eigenvalue_calls) == 1  # its stability check
    assert np.array_equal(T, T_expected) and np.array_equal(scale, scale_expected)


@pytest.mark.parametrize("order, theta", [(6, 0.1), (12, 1.0)])
def test_legendre_realization_normalises_band_limited_state(order, theta):
    """Independently: the frequency-limited Gramian, whitened, has unit diagonal
    and the controllability Gramian of the balanced part is diagonal."""
    rms = 0.4
    A, B = legendre_delay(theta, order)
    T, T_inv = legendre_realization(order, rms=rms)
    covariance = band_limited_covariance(A, B, 1 / theta, rms)
    assert np.allclose(np.diag(T_inv @ covariance @ T_inv.T), 1, rtol=1e-7)
    controllability, observability = gramians(A, B, whole_window_readout(order))
    z_controllability = T_inv @ controllability @ T_inv.T
    off_diagonal = z_controllability - np.diag(np.diag(z_controllability))
    assert np.abs(off_diagonal).max() < 1e-8 * np.abs(z_controllability).max()


@pytest.mark.parametrize(
    "kwargs, match", [(dict(order=0), "order"), (dict(order=4, rms=0), "rms")]
)
def test_legendre_realization_invalid(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        legendre_realization(**kwargs)


def real_schur_form(m, rng):
    """A random real Schur form: 1 x 1 blocks in rows 0 and 1, then 2 x 2 blocks
    (complex pairs of eigenvalues, real parts 40 to 50), 1 x 1 in the last row
    if ``m`` is odd."""
    R = np.triu(rng.randn(m, m), 1)
    R[np.diag_indices(m)] = rng.uniform(40, 50, size=m)
    for i in range(2, m - 1, 2):
        R[i + 1, i + 1] = R[i, i]
        R[i, i + 1], R[i + 1, i] = rng.uniform(1, 5), -rng.uniform(1, 5)
    return R


@pytest.mark.parametrize("output", ["real", "complex"])
@pytest.mark.parametrize("m, n", [(135, 135), (150, 70), (40, 140)])
def test_triangular_sylvester_against_scipy(output, m, n, rng):
    """The blocked solver (blocks split in half above SYLVESTER_BLOCK) gives
    scipy's solution of R X + X S^H = C, for real Schur forms whose middle row
    falls inside a 2 x 2 block too."""
    assert max(m, n) > 2 * SYLVESTER_BLOCK
    R, _ = schur(legendre_delay(1.0, m)[0], output=output)
    S, _ = schur(rng.randn(n, n), output=output)
    if output == "real" and m == 135:
        # where LAPACK's ordering of the delay's eigenvalues puts a 1 x 1 block
        # there, a real Schur form whose 2 x 2 blocks start at even rows from 2
        R = real_schur_form(m, rng)
        assert R[m // 2, m // 2 - 1] != 0  # the split moves past a 2 x 2 block
    C = rng.randn(m, n) + (1j * rng.randn(m, n) if output == "complex" else 0)
    X = _triangular_sylvester(R, S, C)
    expected = solve_sylvester(R, S.conj().T, C)
    assert np.allclose(X, expected, rtol=1e-9, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("order", [6, 200])
def test_gramians_against_scipy_lyapunov(order):
    A, B = legendre_delay(1.0, order)
    C = whole_window_readout(order)
    expected = gramians(A, B, C)
    for transpose, rhs, want in zip((False, True), (B, C.T), expected):
        for form in ("real", "complex"):
            gramian = _gramian(A, rhs, schur(A, output=form), transpose=transpose)
            assert np.allclose(gramian, want, atol=1e-9 * np.abs(want).max())
            assert np.array_equal(gramian, gramian.conj().T)


@pytest.mark.parametrize("order", [7, 140])
def test_realize_equals_balancing_then_scaling(order):
    """realize reuses the balancing's Schur form and Gramian for the scaling; the
    result is that of scaling the balanced system from scratch."""
    A, B = legendre_delay(0.5, order)
    C = whole_window_readout(order)
    T, T_inv = realize(A, B, C, band_limit=2.0, rms=0.3)
    T_balanced, T_balanced_inv = balanced_realization(A, B, C)
    T_scale, _ = state_scaling(
        T_balanced_inv @ A @ T_balanced, T_balanced_inv @ B, band_limit=2.0, rms=0.3
    )
    assert np.allclose(T, T_balanced @ T_scale, rtol=1e-8, atol=1e-10 * np.abs(T).max())
    assert np.allclose(T_inv @ T, np.eye(order), atol=1e-8)


def sampled_realization(order, process, theta=0.3, dt=0.001, n_steps=5000, seed=0):
    """The uncached computation `legendre_realization` stands for."""
    A, B = legendre_delay(theta, order)
    return realize(
        A,
        B,
        whole_window_readout(order),
        dt=dt,
        input_process=process,
        n_steps=n_steps,
        rng=np.random.RandomState(seed),
    )


def white(**kwargs):
    return nengo.processes.WhiteSignal(**{"period": 5.0, "high": 5.0, **kwargs})


class LambdaProcess(nengo.Process):
    """A process that pickle cannot save (it holds a lambda)."""

    def __init__(self, function):
        self.function = function
        super().__init__(default_size_in=0, default_size_out=1)

    def make_step(self, shape_in, shape_out, dt, rng, state):
        noise = rng.randn
        return lambda t: self.function(t) + 0.1 * noise(1)


def test_sampled_legendre_realization_cached():
    arguments = dict(theta=0.3, dt=0.001, n_steps=5000, seed=0)
    T, T_inv = legendre_realization(4, input_process=white(), **arguments)
    expected_T, expected_T_inv = sampled_realization(4, white())
    assert np.array_equal(T, expected_T) and np.array_equal(T_inv, expected_T_inv)
    assert not T.flags.writeable and not T_inv.flags.writeable
    # an equal process, made again, shares the computation
    again = legendre_realization(4, input_process=white(), **arguments)
    assert again[0] is T and again[1] is T_inv

    # anything the sample depends on is part of the key
    changes = [
        dict(order=5),
        dict(theta=0.4),
        dict(dt=0.002),
        dict(n_steps=4000),
        dict(seed=1),
        dict(process=white(seed=3)),
        dict(process=white(high=4.0)),
    ]
    for change in changes:
        order = change.pop("order", 4)
        process = change.pop("process", white())
        kwargs = {**arguments, **change}
        other, _ = legendre_realization(order, input_process=process, **kwargs)
        assert np.array_equal(other, sampled_realization(order, process, **kwargs)[0])
        assert other.shape != T.shape or not np.allclose(other, T), change


def test_sampled_legendre_realization_of_unpicklable_process():
    process = LambdaProcess(lambda t: np.sin(10 * t))
    T, _ = legendre_realization(3, input_process=process, theta=0.3, n_steps=5000)
    again, _ = legendre_realization(3, input_process=process, theta=0.3, n_steps=5000)
    assert again is not T and np.array_equal(again, T)
    assert np.array_equal(T, sampled_realization(3, process)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_process=white()), "^theta: "),
        (dict(input_process=white(), theta=0), "^theta: "),
        (dict(input_process=white(), theta=0.1, dt=-1), "^dt: "),
        (dict(input_process=white(), theta=0.1, n_steps=0), "^n_steps: "),
        (dict(input_process=white(), theta=0.1, seed=-1), "^seed: "),
        (dict(input_process=lambda t: t, theta=0.1), "^input_process: "),
    ],
)
def test_sampled_legendre_realization_invalid(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        legendre_realization(4, **kwargs)


def test_process_sample_cached_like_run_steps():
    process = white()
    rng, fresh = np.random.RandomState(5), np.random.RandomState(5)
    sample = process_sample(process, 300, 0.001, rng)
    expected = process.run_steps(300, d=1, dt=0.001, rng=fresh)
    assert np.array_equal(sample, expected) and not sample.flags.writeable
    # the next draw continues where the first left the generator
    following = process_sample(process, 300, 0.001, rng)
    assert np.array_equal(following, process.run_steps(300, d=1, dt=0.001, rng=fresh))
    assert not np.array_equal(following, sample)

    repeat_rng = np.random.RandomState(5)
    assert process_sample(process, 300, 0.001, repeat_rng) is sample
    # a hit leaves the generator as running the process would have
    once = np.random.RandomState(5)
    process.run_steps(300, d=1, dt=0.001, rng=once)
    assert repeat_rng.randint(2**31) == once.randint(2**31)

    other_dt = process_sample(process, 300, 0.002, np.random.RandomState(5))
    assert np.array_equal(
        other_dt, process.run_steps(300, d=1, dt=0.002, rng=np.random.RandomState(5))
    )
    assert not np.allclose(other_dt, sample)
    other_process = process_sample(white(seed=1), 300, 0.001, np.random.RandomState(5))
    assert not np.allclose(other_process, sample)


# ---------------------------------------------------------------------------
# Found by mutation testing (see docs/development.rst)
# ---------------------------------------------------------------------------


class RampProcess(nengo.Process):
    """Input ``1 + k / 1000`` at step ``k``; records each ``run_steps`` call."""

    def __init__(self):
        super().__init__(default_size_in=0, default_size_out=1)
        self.calls = []

    def run_steps(self, n_steps, d=None, dt=None, rng=np.random, state=None):
        self.calls.append(dict(n_steps=n_steps, d=d, dt=dt, rng=rng))
        return 1 + np.arange(n_steps, dtype=float)[:, None] / 1000


@pytest.mark.parametrize(
    "tau, dt, n_steps, expected_steps",
    [
        (0.5, 0.001, 3000, 3000),
        (0.5, 0.001, None, 500_000),  # 1000 slowest time constants
        (0.01, 0.001, None, 100_000),  # at least 100,000
        (3.0, 0.002, None, 1_000_000),  # at most 1,000,000
    ],
)
def test_process_sample_skips_the_transient(tau, dt, n_steps, expected_steps):
    """The sample is the documented 14 slowest time constants, then ``n_steps``
    (by default 1000 slowest time constants, clipped to [1e5, 1e6]) whose rms is
    the estimate: against scipy's lfilter on each decoupled mode."""
    rates = np.array([1 / tau, 3 / tau])  # the slowest time constant is tau
    A, B = -np.diag(rates), rates[:, None]
    process = RampProcess()
    T, _ = state_scaling(A, B, dt=dt, input_process=process, n_steps=n_steps)

    n_skip = int(np.ceil(14 * tau / dt))
    (call,) = process.calls
    assert call["n_steps"] == n_skip + expected_steps
    assert call["dt"] == dt and call["rng"] is np.random  # numpy's global generator
    inputs = process.run_steps(n_skip + expected_steps)[:, 0]
    decay = np.exp(-rates * dt)  # ZOH of each mode: x[k] = a x[k-1] + (1 - a) u[k]
    expected = [
        np.sqrt(np.mean(lfilter([1 - a], [1, -a], inputs)[n_skip:] ** 2)) for a in decay
    ]
    assert np.allclose(np.diag(T), expected, rtol=1e-9)


def test_realize_without_balance_passes_the_expected_input_on():
    A, B = legendre_delay(0.1, 4)
    C = np.ones(4)
    process = nengo.processes.WhiteSignal(period=2.0, high=10.0)  # unseeded
    options = dict(dt=0.002, input_process=process, n_steps=3000)
    T, T_inv = realize(A, B, C, balance=False, rng=np.random.RandomState(1), **options)
    expected = state_scaling(A, B, rng=np.random.RandomState(1), **options)
    assert np.array_equal(T, expected[0]) and np.array_equal(T_inv, expected[1])
    other_seed, _ = realize(
        A, B, C, balance=False, rng=np.random.RandomState(2), **options
    )
    assert not np.allclose(other_seed, T, rtol=1e-3)

    band_limited, _ = realize(A, B, C, band_limit=10.0, rms=0.3, balance=False)
    T_unit, _ = state_scaling(A, B, band_limit=10.0)
    assert np.allclose(band_limited, 0.3 * T_unit, rtol=1e-9)


def test_rng_error_names_the_accepted_type():
    with pytest.raises(ValidationError, match=r"^rng: must be a numpy\.random\.Rand"):
        state_scaling(STABLE_A, STABLE_B, band_limit=1.0, rng=0)


@pytest.mark.parametrize("transpose", [False, True])
def test_gramian_computes_its_own_schur_form(transpose, rng):
    A, B, C = random_stable_system(rng, 5, 2, 3)
    rhs = C.T if transpose else B
    expected = solve_continuous_lyapunov(A.T if transpose else A, -rhs @ rhs.T)
    gramian = _gramian(A, rhs, transpose=transpose)
    assert np.allclose(
        gramian, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max()
    )


def test_process_sample_of_unpicklable_process():
    """A process that cannot be a cache key is run as run_steps would run it."""
    process = LambdaProcess(lambda t: np.sin(10 * t))
    rng, fresh = np.random.RandomState(3), np.random.RandomState(3)
    sample = process_sample(process, 200, 0.002, rng)
    assert np.array_equal(sample, process.run_steps(200, d=1, dt=0.002, rng=fresh))
    assert rng.randint(2**31) == fresh.randint(2**31)


def test_process_sample_key_is_the_whole_generator_state():
    """Two generators with the same key array at different positions draw
    different samples."""
    process = white()
    first, second = np.random.RandomState(5), np.random.RandomState(5)
    first.rand()
    second.rand(2)
    assert np.array_equal(first.get_state()[1], second.get_state()[1])
    expected = process.run_steps(100, d=1, dt=0.001, rng=copy.deepcopy(second))
    sample = process_sample(process, 100, 0.001, first)
    assert np.array_equal(process_sample(process, 100, 0.001, second), expected)
    assert not np.allclose(sample, expected)


def test_process_samples_kept_are_the_most_recent():
    clear_cache()
    process = white()

    def sample(seed):
        return process_sample(process, 10, 0.001, np.random.RandomState(seed))

    samples = [sample(seed) for seed in range(PROCESS_SAMPLE_CACHE_SIZE + 1)]
    # the first was dropped for the last; the others are kept
    assert sample(PROCESS_SAMPLE_CACHE_SIZE) is samples[-1]
    assert sample(1) is samples[1]
    assert sample(0) is not samples[0] and np.array_equal(sample(0), samples[0])


def test_sampled_legendre_realizations_kept_are_the_most_recent():
    clear_cache()
    arguments = dict(input_process=white(), theta=0.3, n_steps=10)

    def realization(seed):
        return legendre_realization(2, seed=seed, **arguments)[0]

    kept = [realization(seed) for seed in range(LEGENDRE_REALIZATION_CACHE_SIZE + 1)]
    assert realization(LEGENDRE_REALIZATION_CACHE_SIZE) is kept[-1]
    assert realization(1) is kept[1]
    assert realization(0) is not kept[0] and np.array_equal(realization(0), kept[0])


def test_sampled_legendre_realization_of_one_step():
    T, _ = legendre_realization(3, input_process=white(), theta=0.3, n_steps=1)
    assert np.array_equal(T, sampled_realization(3, white(), n_steps=1)[0])


@pytest.mark.parametrize("form", [None, "real", "complex"])
def test_band_limited_rms_from_a_given_schur_form(form):
    A, B = legendre_delay(0.1, 6)
    schur_form = None if form is None else schur(A, output=form)
    state_rms = _band_limited_state_rms(A, B, 10.0, 0.3, schur_form=schur_form)
    assert np.allclose(state_rms**2, band_limited_variance(A, B, 10.0, 0.3), rtol=1e-8)
