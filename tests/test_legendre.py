from fractions import Fraction

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError
from numpy.polynomial import legendre as npleg
from scipy.special import eval_legendre, factorial

from nengo_lmu import discretize, legendre_delay, legendre_readout


def transfer_function(A, B, C, s):
    """C (sI - A)^-1 B at each complex frequency s."""
    return np.array([C @ np.linalg.solve(si * np.eye(len(A)) - A, B) for si in s])


@pytest.mark.parametrize("order", [1, 2, 5, 9])
def test_legendre_delay_matches_closed_form(order):
    theta = 0.37
    A, B = legendre_delay(theta, order)
    assert A.shape == (order, order) and B.shape == (order, 1)
    for i in range(order):
        assert B[i, 0] == pytest.approx((2 * i + 1) * (-1) ** i / theta)
        for j in range(order):
            sign = -1 if i < j else (-1) ** (i - j + 1)
            assert A[i, j] == pytest.approx((2 * i + 1) * sign / theta)


def pade_delay(x, numerator_degree, denominator_degree):
    """Closed-form [m/n] Pade approximant of exp(-x)."""
    m, n = numerator_degree, denominator_degree
    k = np.arange(max(m, n) + 1)[:, None]
    weights = factorial(m + n - k) / (factorial(m + n) * factorial(k))
    p = (weights * factorial(m) / factorial(np.maximum(m - k, 0)))[: m + 1]
    q = (weights * factorial(n) / factorial(np.maximum(n - k, 0)))[: n + 1]
    p = np.sum(p * (-x[None, :]) ** k[: m + 1], axis=0)
    q = np.sum(q * x[None, :] ** k[: n + 1], axis=0)
    return p / q


@pytest.mark.parametrize("order", [1, 3, 6, 10])
def test_full_delay_is_pade_approximant(order):
    theta = 0.2
    A, B = legendre_delay(theta, order)
    s = 2j * np.pi * np.array([0.1, 0.7, 2.0, 5.0]) / theta
    expected = pade_delay(s * theta, order - 1, order)
    actual = transfer_function(A, B, np.ones((1, order)), s).ravel()
    assert np.allclose(actual, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("order, error", [(5, 0.0669), (6, 0.0070), (7, 0.0005)])
def test_full_delay_error_at_one_cycle_per_window(order, error):
    theta = 1.0
    A, B = legendre_delay(theta, order)
    s = np.array([2j * np.pi / theta])
    actual = transfer_function(A, B, np.ones((1, order)), s).item()
    assert abs(actual - np.exp(-s[0] * theta)) == pytest.approx(error, abs=6e-5)


def test_order_one_is_lowpass():
    theta = 0.05
    A, B = legendre_delay(theta, 1)
    frequencies = np.array([0.5, 3.0, 20.0, 100.0])
    lowpass = nengo.Lowpass(theta).evaluate(frequencies)
    actual = transfer_function(A, B, np.ones((1, 1)), 2j * np.pi * frequencies)
    assert np.allclose(actual.ravel(), lowpass)


def test_readout_matches_legendre_polynomials():
    order = 8
    r = np.linspace(0, 1, 17)
    readout = legendre_readout(order, r)
    assert readout.shape == (len(r), order)
    assert np.allclose(readout, npleg.legvander(2 * r - 1, order - 1))
    assert np.allclose(readout[0], (-1.0) ** np.arange(order))
    assert np.allclose(readout[-1], 1.0)
    assert legendre_readout(order, 0.25).shape == (1, order)


def test_readout_at_high_order():
    """Exact at the ends of the window, and within rounding of scipy's values and
    of the exact rational recurrence (at one point) up to order 1000."""
    order = 1000
    r = np.linspace(0, 1, 41)
    readout = legendre_readout(order, r)
    assert np.array_equal(readout[0], (-1.0) ** np.arange(order))
    assert np.array_equal(readout[-1], np.ones(order))
    scipy_values = eval_legendre(np.arange(order)[None, :], 2 * r[:, None] - 1)
    assert np.allclose(readout, scipy_values, rtol=0, atol=1e-11)
    x = Fraction(2 * r[13] - 1)
    previous, current = Fraction(1), x
    for n in range(1, order - 1):
        previous, current = current, ((2 * n + 1) * x * current - n * previous) / (
            n + 1
        )
    assert abs(readout[13, -1] - float(current)) < 1e-14


def test_readout_reconstructs_window():
    """The state of a slow sinusoid holds the window: u(t - r theta) for all r."""
    theta, order, dt = 0.5, 8, 0.001
    Ad, Bd = discretize(*legendre_delay(theta, order), dt)
    t = np.arange(int(3 * theta / dt)) * dt
    u = np.sin(2 * np.pi * 0.8 * t)
    m = np.zeros(order)
    for uk in u:
        m = Ad @ m + Bd[:, 0] * uk
    r = np.linspace(0, 1, 11)
    # under zero-order hold the window ends half a step before the last sample
    delayed = np.sin(2 * np.pi * 0.8 * (t[-1] + dt / 2 - r * theta))
    assert np.allclose(legendre_readout(order, r) @ m, delayed, atol=2e-4)


@pytest.mark.parametrize(
    "theta, order, attr",
    [
        (0, 4, "theta"),
        (-1.0, 4, "theta"),
        (np.nan, 4, "theta"),
        (np.inf, 4, "theta"),
        ("1", 4, "theta"),
        (True, 4, "theta"),
        (0.1, 0, "order"),
        (0.1, 2.5, "order"),
        (0.1, -3, "order"),
        (0.1, None, "order"),
    ],
)
def test_legendre_delay_invalid(theta, order, attr):
    with pytest.raises(ValidationError, match=attr):
        legendre_delay(theta, order)


@pytest.mark.parametrize(
    "order, r, match",
    [
        (0, [0.5], "order"),
        (4, [-0.1, 0.5], "r.*in \\[0, 1\\]"),
        (4, [1.01], "r.*in \\[0, 1\\]"),
        (4, [[0.1, 0.2]], "r.*1-D"),
        (4, [np.nan], "r.*in \\[0, 1\\]"),
        (4, "half", "r"),
    ],
)
def test_legendre_readout_invalid(order, r, match):
    with pytest.raises(ValidationError, match=match):
        legendre_readout(order, r)
