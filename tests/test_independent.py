"""The pure math against computations that share no code with it.

Each test here compares a function of `nengo_lmu` with a second computation
written out independently (closed forms, scipy, numpy's Legendre series), or with
a bound that the math implies, so that a wrong sign, index or factor in the
library fails a test rather than being reproduced by it.
"""

import numpy as np
import pytest
from nengo.exceptions import ValidationError
from numpy.polynomial import Legendre
from scipy.signal import cont2discrete

from nengo_lmu import (
    discretize,
    euler_max_dt,
    evaluate_cell,
    evaluate_memory,
    legendre_delay,
    legendre_readout,
)


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


def test_readout_is_shifted_legendre_series():
    r = np.linspace(0, 1, 11)
    assert np.allclose(
        legendre_readout(9, r), shifted_legendre_readout(9, r), rtol=0, atol=1e-12
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
