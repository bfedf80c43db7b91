r"""State-space realisations that suit a memory represented by neurons.

A neural memory represents the state :math:`x` of :math:`\dot x = A x + B u` with
one population of neurons per dimension. In the Legendre basis the dimensions have
very different ranges (the higher coefficients of a typical input are small), so
populations of equal radius waste most of their range on some of them. The memory
can instead represent :math:`z = T^{-1} x`, that is the equivalent system

.. math:: \dot z = (T^{-1} A T) z + (T^{-1} B) u, \qquad y = (C T) z,

and report results in the original basis as :math:`x = T z`. The functions here
choose ``T``: `balanced_realization` spreads the input-output behaviour evenly over
the dimensions, `state_scaling` gives every dimension the same rms for the expected
input, and `realize` does one after the other.
"""

import functools
import hashlib
import pickle
from collections import OrderedDict

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from scipy.integrate import quad_vec
from scipy.linalg import (
    get_lapack_funcs,
    rsf2csf,
    schur,
    solve_banded,
    solve_triangular,
)

from nengo_lmu.discretize import _discretize
from nengo_lmu.legendre import legendre_delay, legendre_readout
from nengo_lmu.sequence import evaluate_memory
from nengo_lmu.validation import (
    as_real_array,
    check_bool,
    check_instance,
    check_integer,
    check_matrix,
    check_positive,
    check_system,
    describe,
)

# Gramians come from a Lyapunov solver accurate to about eps * |W|, so a Hankel
# singular value that is truly zero is computed as roughly sqrt(eps) * cond; below
# this ratio to the largest one it cannot be told apart from zero.
MIN_HANKEL_RATIO = 1e-5

# A state dimension whose rms is below this fraction of the largest is taken as not
# reached by the input, and keeps a scale of 1.
UNREACHED_RMS_RATIO = 1e-12

# The simulated estimate skips the time the slowest mode takes to decay by e^-14
# (about 1e-6), so that the zero initial state does not bias it.
TRANSIENT_DECAYS = 14.0
# Input rms values whose square, the input's variance, is a normal float64.
RMS_RANGE = (np.sqrt(np.finfo(float).tiny), np.sqrt(np.finfo(float).max))

# Realisations kept by `legendre_realization` (2 * order**2 floats each): this
# many orders for band-limited input, and this many sampled ones.
LEGENDRE_REALIZATION_CACHE_SIZE = 16

# Triangular Sylvester equations up to this size are solved by LAPACK's trsyl; larger
# ones are split in blocks whose coupling is a matrix product (level-3 BLAS).
SYLVESTER_BLOCK = 64

# Default simulated estimate: 1000 slowest time constants, within these bounds.
MIN_DEFAULT_STEPS = 100_000
MAX_DEFAULT_STEPS = 1_000_000


def balanced_realization(A, B, C):
    r"""The similarity transform that balances the stable system ``(A, B, C)``.

    With :math:`x = T z`, the system :math:`(T^{-1} A T, T^{-1} B, C T)` is
    balanced: its controllability Gramian :math:`W_c` and observability Gramian
    :math:`W_o`, the solutions of

    .. math::

        A W_c + W_c A^T + B B^T = 0, \qquad A^T W_o + W_o A + C^T C = 0,

    are equal and diagonal, and hold the Hankel singular values in decreasing
    order. Each balanced dimension is then as easy to reach from the input as it is
    to see in the output, and the dimensions are sorted by how much they matter to
    the output.

    The transform comes from the square-root algorithm: with Gramian factors
    :math:`W_c = L_c L_c^T`, :math:`W_o = L_o L_o^T` and the singular value
    decomposition :math:`L_o^T L_c = U \Sigma V^T`,

    .. math::

        T = L_c V \Sigma^{-1/2}, \qquad T^{-1} = \Sigma^{-1/2} U^T L_o^T.

    The sign of each balanced dimension is chosen so that the input drives it
    positively (the largest entry of its row of :math:`T^{-1} B` is positive).

    The output ``C`` says what the memory is read for. For a Legendre memory
    decoded over its whole window, pass readouts spread over the window, scaled so
    the output energy does not depend on how many there are, e.g.
    ``legendre_readout(order, np.linspace(0, 1, 2 * order + 1))`` divided by
    ``np.sqrt(2 * order + 1)``. For a memory read only at the full delay, pass
    ``C = np.ones((1, order))``.

    Parameters
    ----------
    A : (n, n) array_like
        Continuous-time state matrix; all its eigenvalues must have negative real
        parts.
    B : (n, k) or (n,) array_like
        Input matrix.
    C : (m, n) or (n,) array_like
        Output matrix; a 1-D ``C`` is one output row.

    Returns
    -------
    T : (n, n) ndarray
        Maps the balanced state to the original one: :math:`x = T z`.
    T_inv : (n, n) ndarray
        The inverse of ``T``: :math:`z = T^{-1} x`.

    Raises
    ------
    nengo.exceptions.ValidationError
        If ``A`` is unstable, the shapes do not match, or the system is not minimal
        to working precision (a Hankel singular value below ``MIN_HANKEL_RATIO`` (1e-5)
        times the largest: a state the input does not reach or ``C`` does not see).

    See Also
    --------
    state_scaling : scales each dimension to the same rms for the expected input.
    realize : balances, then scales.

    Examples
    --------
    Balance a Legendre memory decoded over its whole window; the Gramians of the
    balanced system hold the Hankel singular values:

    >>> from scipy.linalg import solve_continuous_lyapunov
    >>> from nengo_lmu.legendre import legendre_delay, legendre_readout
    >>> A, B = legendre_delay(theta=0.1, order=4)
    >>> C = legendre_readout(4, np.linspace(0, 1, 9)) / np.sqrt(9)
    >>> T, T_inv = balanced_realization(A, B, C)
    >>> Bz = T_inv @ B
    >>> Wc = solve_continuous_lyapunov(T_inv @ A @ T, -Bz @ Bz.T)
    >>> print(np.round(np.diag(Wc), 3))
    [0.786 0.572 0.356 0.131]
    """
    A, B = check_system(A, B)
    C = _check_readout(C, len(A))
    T, T_inv, _, _ = _balance(A, B, C)
    return T, T_inv


def _balance(A, B, C):
    """`balanced_realization` of checked arguments; also the real Schur form of
    A, ``(R, Z)``, and its controllability Gramian."""
    # One Schur decomposition gives the stability and both Gramians.
    schur_form = schur(A)
    _check_stable(A, np.diag(schur_form[0]))

    controllability = _gramian(A, B, schur_form)
    observability = _gramian(A, C.T, schur_form, transpose=True)
    controllability_factor = _gramian_factor(controllability)
    observability_factor = _gramian_factor(observability)
    U, hankel, Vt = np.linalg.svd(observability_factor.T @ controllability_factor)

    if hankel[-1] <= MIN_HANKEL_RATIO * hankel[0]:
        raise _not_minimal_error(hankel, controllability, observability)

    inv_sqrt_hankel = 1.0 / np.sqrt(hankel)
    T = controllability_factor @ Vt.T * inv_sqrt_hankel
    T_inv = inv_sqrt_hankel[:, None] * (U.T @ observability_factor.T)

    input_rows = T_inv @ B
    largest = input_rows[np.arange(len(A)), np.argmax(np.abs(input_rows), axis=1)]
    signs = np.where(largest < 0, -1.0, 1.0)
    return T * signs, signs[:, None] * T_inv, schur_form, controllability


def state_scaling(
    A,
    B,
    dt=0.001,
    input_process=None,
    band_limit=None,
    rms=1.0,
    n_steps=None,
    rng=None,
):
    r"""Diagonal transform that gives every state dimension unit rms.

    With :math:`x = T z` and ``T = diag(s)``, where :math:`s_i` is the rms
    (:math:`\sqrt{\overline{x_i^2}}`, about zero) of state dimension :math:`i` for
    the expected input, every dimension of :math:`z` has unit rms, so populations of
    neurons with radius 1 can represent it.

    Describe the expected input in one of two ways:

    ``input_process``
        A sample of the process is generated with ``input_process.run_steps`` and
        fed to the system discretised with zero-order hold at ``dt``, from a zero
        state. The first ``TRANSIENT_DECAYS`` (14) slowest time constants are skipped;
        the next ``n_steps`` give the rms. The estimate is only as good as the
        sample. A periodic signal gains nothing from more than one period, and
        states driven mostly by the top of the input band see few independent
        frequency components: with ``WhiteSignal(period=100, high=10)``, the rms
        of the highest coefficient of a Legendre memory of order 6 and
        ``theta=0.1`` varies by about 3.5% (standard deviation) from one
        realisation to the next, the lowest by about 2%.
    ``band_limit`` and ``rms``
        Computed rather than sampled, for input whose power spectrum is flat from
        0 to ``band_limit`` Hz, with variance ``rms**2`` in each (independent)
        input channel. The state covariance is

        .. math::

            \int_{-f_b}^{f_b} G(f)\, \frac{\mathrm{rms}^2}{2 f_b}\, G(f)^H df,
            \qquad G(f) = (2 \pi i f I - A)^{-1} B,

        integrated numerically (adaptive Gauss-Kronrod, relative accuracy about
        1e-10). This is the continuous-time system; it ignores ``dt``.

    A dimension with rms below ``UNREACHED_RMS_RATIO`` (1e-12) times the largest (one that
    the input does not reach) keeps a scale of 1; with zero input, ``T`` is the
    identity.

    Parameters
    ----------
    A : (n, n) array_like
        Continuous-time state matrix; all its eigenvalues must have negative real
        parts.
    B : (n, k) or (n,) array_like
        Input matrix.
    dt : float, optional
        Time step in seconds (> 0) of the simulation with ``input_process``.
    input_process : nengo.Process, optional
        Process without input and with ``default_size_out == k`` that generates
        the expected input. Give either this or ``band_limit``.
    band_limit : float, optional
        Highest frequency of the expected input, in Hz (> 0).
    rms : float, optional
        Rms of each channel of the band-limited input (> 0); used with
        ``band_limit`` only.
    n_steps : int, optional
        Number of time steps (>= 1) over which to measure the rms with
        ``input_process``. Default: 1000 slowest time constants of ``A``, at
        least 100,000 and at most 1,000,000 steps.
    rng : numpy.random.RandomState, optional
        Random number generator for ``input_process`` (unless the process has a
        seed), as nengo processes take it. Default: numpy's global one.

    Returns
    -------
    T : (n, n) ndarray
        Diagonal matrix of the state rms: :math:`x = T z`.
    T_inv : (n, n) ndarray
        Its inverse: :math:`z = T^{-1} x`.

    See Also
    --------
    balanced_realization : balances the system before it is scaled.
    realize : balances, then scales.

    Examples
    --------
    The rms of each Legendre coefficient for 10 Hz input of rms 0.3:

    >>> from nengo_lmu.legendre import legendre_delay
    >>> A, B = legendre_delay(theta=0.1, order=6)
    >>> T, T_inv = state_scaling(A, B, band_limit=10, rms=0.3)
    >>> print(np.round(np.diag(T), 3))
    [0.202 0.307 0.265 0.151 0.063 0.019]

    A sample of white noise with that spectrum gives about the same:

    >>> process = nengo.processes.WhiteSignal(period=100, high=10, rms=0.3)
    >>> T_sample, _ = state_scaling(
    ...     A, B, input_process=process, rng=np.random.RandomState(1))
    >>> np.allclose(np.diag(T_sample), np.diag(T), rtol=0.05)
    True
    """
    A, B = check_system(A, B)
    _check_stable(A)
    return _state_scaling(A, B, dt, input_process, band_limit, rms, n_steps, rng)


def _state_scaling(
    A, B, dt, input_process, band_limit, rms, n_steps, rng, balanced=None
):
    """`state_scaling` of a checked, stable system. With ``balanced``, ``(A0, B0,
    T_inv, schur_form, controllability, inverse_A0)`` from `_balance` of a system
    ``(A0, B0)`` of which (A, B) is the balanced form (A may then be None for
    band-limited input), the band-limited rms is computed from the Schur form and
    Gramian of ``A0`` that balancing computed, and ``inverse_A0`` if not None."""
    dt = check_positive(dt, "dt")
    rms = check_positive(rms, "rms")
    if not RMS_RANGE[0] <= rms <= RMS_RANGE[1]:
        raise ValidationError(
            f"must be from {RMS_RANGE[0]:.3g} to {RMS_RANGE[1]:.3g}, so that its "
            f"square, the input's variance, is a float64 (got {rms:g})",
            attr="rms",
        )
    if n_steps is not None:
        n_steps = check_integer(n_steps, "n_steps", low=1)
    if rng is not None:
        check_instance(rng, "rng", np.random.RandomState, "a numpy.random.RandomState")
    if input_process is None and band_limit is None:
        raise ValidationError(
            "the expected input is needed: give either input_process (a "
            "nengo.Process) or band_limit (in Hz, with rms)",
            attr="input_process",
        )
    if input_process is not None and band_limit is not None:
        raise ValidationError(
            "give either input_process or band_limit, not both",
            attr="input_process",
        )

    if input_process is not None:
        check_input_process(input_process, B.shape[1])
        state_rms = _simulated_state_rms(A, B, dt, input_process, n_steps, rng)
    else:
        band_limit = check_positive(band_limit, "band_limit")
        if balanced is None:
            state_rms = _band_limited_state_rms(A, B, band_limit, rms)
        else:
            original_A, original_B, output, schur_form, controllability, inverse = (
                balanced
            )
            state_rms = _band_limited_state_rms(
                original_A,
                original_B,
                band_limit,
                rms,
                output=output,
                schur_form=schur_form,
                controllability=controllability,
                inverse_A=inverse,
            )

    reached = state_rms > UNREACHED_RMS_RATIO * np.max(state_rms)
    scale = np.where(reached, state_rms, 1.0)
    return np.diag(scale), np.diag(1.0 / scale)


def realize(
    A,
    B,
    C,
    dt=0.001,
    input_process=None,
    band_limit=None,
    rms=1.0,
    balance=True,
    n_steps=None,
    rng=None,
):
    r"""Balance the system, then scale the balanced dimensions to unit rms.

    Returns the product of `balanced_realization` (if ``balance``) and of
    `state_scaling` applied to the balanced system: with :math:`x = T z`, the
    represented state :math:`z` of the system :math:`(T^{-1} A T, T^{-1} B, C T)`
    has balanced dimensions, each of unit rms for the expected input.

    Parameters
    ----------
    A : (n, n) array_like
        Continuous-time state matrix; all its eigenvalues must have negative real
        parts.
    B : (n, k) or (n,) array_like
        Input matrix.
    C : (m, n) or (n,) array_like
        Output matrix to balance for (see `balanced_realization`). Checked but not
        used if ``balance`` is False.
    dt, input_process, band_limit, rms, n_steps, rng
        The expected input, as in `state_scaling`.
    balance : bool, optional
        Whether to balance before scaling; if False, this is `state_scaling`.

    Returns
    -------
    T : (n, n) ndarray
        Maps the represented state to the original one: :math:`x = T z`.
    T_inv : (n, n) ndarray
        The inverse of ``T``: :math:`z = T^{-1} x`.

    Examples
    --------
    >>> from nengo_lmu.legendre import legendre_delay, legendre_readout
    >>> A, B = legendre_delay(theta=0.1, order=6)
    >>> C = legendre_readout(6, np.linspace(0, 1, 13)) / np.sqrt(13)
    >>> T, T_inv = realize(A, B, C, band_limit=10, rms=0.3)
    >>> A_z, B_z, C_z = T_inv @ A @ T, T_inv @ B, C @ T
    """
    A, B = check_system(A, B)
    C = _check_readout(C, len(A))
    if not check_bool(balance, "balance"):
        return state_scaling(
            A, B, dt, input_process, band_limit, rms, n_steps=n_steps, rng=rng
        )
    return _balanced_realize(A, B, C, dt, input_process, band_limit, rms, n_steps, rng)


def _balanced_realize(
    A, B, C, dt, input_process, band_limit, rms, n_steps, rng, inverse_A=None
):
    """`realize` with ``balance`` of checked arguments; ``inverse_A``, the banded
    form of a tridiagonal inverse of A, where known (see `_band_limited_state_rms`)."""
    T_balanced, T_balanced_inv, schur_form, controllability = _balance(A, B, C)
    # The balanced system is similar to A, so it is stable too. Its state matrix
    # is needed only to simulate a sample of the input.
    T_scale, _ = _state_scaling(
        None if input_process is None else T_balanced_inv @ A @ T_balanced,
        T_balanced_inv @ B,
        dt,
        input_process,
        band_limit,
        rms,
        n_steps,
        rng,
        balanced=(A, B, T_balanced_inv, schur_form, controllability, inverse_A),
    )
    scale = np.diag(T_scale)
    return T_balanced * scale, (1.0 / scale)[:, None] * T_balanced_inv


def legendre_realization(
    order, rms=0.5, input_process=None, theta=None, dt=0.001, n_steps=None, seed=0
):
    r"""`realize` for a Legendre memory read over its whole window, cached.

    The realisation of ``legendre_delay(theta, order)`` balanced for the readout
    ``legendre_readout(order, np.linspace(0, 1, 2 * order + 1))`` (scaled by
    ``1 / np.sqrt(2 * order + 1)``) and scaled for the expected input, either:

    - input of rms ``rms`` band-limited to ``1 / theta`` Hz (without
      ``input_process``). This realisation does not depend on ``theta``: the
      Gramians scale with :math:`\theta^{\mp 1}` and the band-limited state rms
      with :math:`\sqrt{\theta}`, which cancel, and it is proportional to
      ``rms``. So it is computed once per order (for ``theta=1`` and unit rms,
      in :math:`O(\text{order}^3)`; the inverse of the Legendre state matrix
      is tridiagonal, so each transfer function value the band-limited rms
      needs is an :math:`O(\text{order})` solve), and kept for the last
      ``LEGENDRE_REALIZATION_CACHE_SIZE`` (16) orders.
    - a sample of ``input_process`` (see `state_scaling`), run with
      ``numpy.random.RandomState(seed)`` unless the process has a seed of its
      own. The result is kept for the last ``LEGENDRE_REALIZATION_CACHE_SIZE``
      (16) argument sets, the process compared by value (all of its attributes,
      as pickle sees them; a process that cannot be pickled is not cached), so
      identical memories share one sample.

    Parameters
    ----------
    order : int
        Number of Legendre coefficients (>= 1).
    rms : float, optional
        Rms of the band-limited input (> 0); without ``input_process`` only.
    input_process : nengo.Process, optional
        A process without input and with one output, representative of the input.
    theta : float, optional
        Window length in seconds (> 0); needed with ``input_process`` only.
    dt, n_steps
        Time step and number of steps of the sample of ``input_process``, as in
        `state_scaling`.
    seed : int, optional
        Seed of the random number generator the process is run with.

    Returns
    -------
    T, T_inv : (order, order) ndarray
        As `realize` returns them (for any ``theta`` without ``input_process``).
        Read-only when cached.

    Examples
    --------
    >>> A, B = legendre_delay(theta=0.3, order=6)
    >>> C = legendre_readout(6, np.linspace(0, 1, 13)) / np.sqrt(13)
    >>> T, T_inv = legendre_realization(6, rms=0.5)
    >>> T_direct, _ = realize(A, B, C, band_limit=1 / 0.3, rms=0.5)
    >>> np.allclose(T, T_direct)
    True

    For sampled input, identical arguments share one computation:

    >>> process = nengo.processes.WhiteSignal(period=10, high=5, rms=0.3)
    >>> T, _ = legendre_realization(6, input_process=process, theta=0.3)
    >>> T_again, _ = legendre_realization(
    ...     6, input_process=nengo.processes.WhiteSignal(period=10, high=5, rms=0.3),
    ...     theta=0.3)
    >>> T_again is T
    True
    """
    order = check_integer(order, "order", low=1)
    if input_process is None:
        rms = check_positive(rms, "rms")
        T, T_inv = _unit_legendre_realization(order)
        return rms * T, T_inv / rms

    check_input_process(input_process, 1)
    if theta is None:
        raise ValidationError(
            "is needed with input_process: the state of a sampled input depends "
            "on the window length",
            attr="theta",
        )
    arguments = (
        order,
        check_positive(theta, "theta"),
        check_positive(dt, "dt"),
        None if n_steps is None else check_integer(n_steps, "n_steps", low=1),
        check_integer(seed, "seed", low=0),
    )
    key = _process_key(input_process)
    if key is None:
        return _sampled_legendre_realization(input_process, *arguments)
    key += arguments
    if key in _sampled_cache:
        _sampled_cache.move_to_end(key)
        return _sampled_cache[key]
    T, T_inv = _sampled_legendre_realization(input_process, *arguments)
    T.flags.writeable = T_inv.flags.writeable = False
    _sampled_cache[key] = T, T_inv
    while len(_sampled_cache) > LEGENDRE_REALIZATION_CACHE_SIZE:
        _sampled_cache.popitem(last=False)
    return T, T_inv


_sampled_cache = OrderedDict()


def _process_key(process):
    """The type and a digest of the pickled state of ``process``, or None."""
    try:
        state = pickle.dumps(process, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # pylint: disable=broad-except
        return None  # e.g. a process that holds a lambda
    return (type(process), hashlib.sha256(state).hexdigest())


# Process samples kept by `process_sample`.
PROCESS_SAMPLE_CACHE_SIZE = 64
_sample_cache = OrderedDict()


def process_sample(process, n_steps, dt, rng):
    """``process.run_steps(n_steps, d=1, dt=dt, rng=rng)``, memoised.

    Keyed by the process (as `legendre_realization` compares it), ``n_steps``,
    ``dt`` and the state of ``rng``; a repeated call returns the same read-only
    array and leaves ``rng`` in the state the first call left it in, so callers
    cannot tell the difference. A process that cannot be pickled is run every time.
    """
    key = _process_key(process)
    if key is None:
        return process.run_steps(n_steps, d=1, dt=dt, rng=rng)
    state = rng.get_state()
    key += (n_steps, dt, _rng_state_digest(state))
    if key in _sample_cache:
        _sample_cache.move_to_end(key)
        sample, final_state = _sample_cache[key]
        rng.set_state(final_state)
        return sample
    sample = process.run_steps(n_steps, d=1, dt=dt, rng=rng)
    sample.flags.writeable = False
    _sample_cache[key] = sample, rng.get_state()
    while len(_sample_cache) > PROCESS_SAMPLE_CACHE_SIZE:
        _sample_cache.popitem(last=False)
    return sample


def _rng_state_digest(state):
    name, keys, position, has_gauss, cached_gaussian = state
    return hashlib.sha256(
        keys.tobytes() + repr((name, position, has_gauss, cached_gaussian)).encode()
    ).hexdigest()


def clear_cache():
    """Forget every cached realisation (`legendre_realization`) and process sample
    (`process_sample`)."""
    _unit_legendre_realization.cache_clear()
    _sampled_cache.clear()
    _sample_cache.clear()


def _whole_window_readout(order):
    window = legendre_readout(order, np.linspace(0, 1, 2 * order + 1))
    return window / np.sqrt(len(window))


@functools.lru_cache(maxsize=LEGENDRE_REALIZATION_CACHE_SIZE)
def _unit_legendre_realization(order):
    A, B = legendre_delay(1.0, order)
    T, T_inv = _balanced_realize(
        A,
        B,
        _whole_window_readout(order),
        dt=0.001,
        input_process=None,
        band_limit=1.0,
        rms=1.0,
        n_steps=None,
        rng=None,
        inverse_A=_legendre_inverse(order),
    )
    T.flags.writeable = T_inv.flags.writeable = False
    return T, T_inv


def _legendre_inverse(order):
    r"""The inverse of ``legendre_delay(1, order)[0]``, tridiagonal, in the banded
    form of `scipy.linalg.solve_banded` (rows: above, on, below the diagonal).

    With :math:`D = \mathrm{diag}(2i + 1)` and :math:`J = \mathrm{diag}((-1)^i)`,
    the state matrix is :math:`A = -D K J`, where :math:`K_{ij} = (-1)^{\max(i,
    j)}` factors as :math:`K = U \mathrm{diag}(g) U^T`, with :math:`U` the upper
    triangular matrix of ones and :math:`g_i = (-1)^i (2 - [i = d - 1])`. So
    :math:`A^{-1} = -J U^{-T} \mathrm{diag}(1/g) U^{-1} D^{-1}`, a product of
    bidiagonal and diagonal matrices: with :math:`c_i = 1 / (2 (2i + 1))`, row
    :math:`i` holds :math:`-c_{i-1}` below the diagonal and :math:`c_{i+1}` above
    it, and the diagonal is zero but for :math:`-c_0` first and :math:`-c_{d-1}`
    last (which add up for order 1).
    """
    c = 1.0 / (2.0 * (2.0 * np.arange(order) + 1.0))
    banded = np.zeros((3, order))
    banded[0, 1:] = c[1:]
    banded[2, :-1] = -c[:-1]
    banded[1, 0] -= c[0]
    banded[1, -1] -= c[-1]
    return banded


def _sampled_legendre_realization(process, order, theta, dt, n_steps, seed):
    A, B = legendre_delay(theta, order)
    return realize(
        A,
        B,
        _whole_window_readout(order),
        dt=dt,
        input_process=process,
        n_steps=n_steps,
        rng=np.random.RandomState(seed),
    )


def _check_readout(C, n):
    C = as_real_array(C, "C")
    C = check_matrix(C[None, :] if C.ndim == 1 else C, "C", (None, n))
    if len(C) == 0:
        raise ValidationError(
            f"must have at least one row (got shape {C.shape})", attr="C"
        )
    return C


def _check_stable(A, real_parts=None):
    """Refuse an unstable A; ``real_parts`` of its eigenvalues, if known."""
    if real_parts is None:
        real_parts = np.linalg.eigvals(A).real
    if np.any(real_parts >= 0):
        raise ValidationError(
            "must be stable: every eigenvalue must have a negative real part (the "
            f"largest real part is {np.max(real_parts):.6g})",
            attr="A",
        )


def check_input_process(process, n_inputs):
    """Refuse anything but a nengo.Process without input and with n_inputs outputs."""
    if not isinstance(process, nengo.Process):
        raise ValidationError(
            f"must be a nengo.Process (got {describe(process)})", attr="input_process"
        )
    if process.default_size_in != 0:
        raise ValidationError(
            "must be a process without input (default_size_in 0; got "
            f"{process.default_size_in})",
            attr="input_process",
        )
    if process.default_size_out != n_inputs:
        raise ValidationError(
            f"must output one value per input of the system: default_size_out "
            f"must be {n_inputs} (got {process.default_size_out})",
            attr="input_process",
        )


def _gramian(A, B, schur_form=None, transpose=False):
    """Solution W of A W + W A^H + B B^H = 0 (A^H W + W A + B B^H = 0 with
    ``transpose``), made exactly Hermitian.

    Bartels-Stewart, from the Schur form ``(R, U)`` of A (``A = U R U^H``, real
    or complex), computed here unless given: the Schur form is most of the cost,
    and one serves both Gramians of a system.
    """
    R, U = schur(A) if schur_form is None else schur_form
    if transpose:
        # A^H = (U P) (P R^H P) (U P)^H with P the reversal permutation, and
        # P R^H P is upper (quasi-)triangular: a Schur form of A^H.
        R, U = R.conj().T[::-1, ::-1], U[:, ::-1]
    factor = U.conj().T @ B
    solution = _triangular_sylvester(R, R, -factor @ factor.conj().T)
    gramian = U @ solution @ U.conj().T
    return (gramian + gramian.conj().T) / 2


def _triangular_sylvester(R, S, C):
    """X with R X + X S^H = C, for upper (quasi-)triangular Schur forms R and S.

    Recursive blocked Bartels-Stewart (Jonsson and Kagstrom, ACM TOMS 28(4),
    2002): split the larger of R and S in two, solve the half that does not
    depend on the other, and move its coupling to the right-hand side with one
    matrix product; LAPACK's trsyl solves blocks of up to ``SYLVESTER_BLOCK``.
    Nearly all the work is then in matrix products, about 15 times faster than
    trsyl alone at order 512, with the same residual.
    """
    m, n = C.shape
    if m <= SYLVESTER_BLOCK and n <= SYLVESTER_BLOCK:
        (trsyl,) = get_lapack_funcs(("trsyl",), (R, S, C))
        adjoint = "C" if np.iscomplexobj(S) else "T"
        solution, scale, info = trsyl(R, S, C, tranb=adjoint)
        if info < 0:
            raise np.linalg.LinAlgError(f"trsyl: argument {-info} is invalid")
        return solution / scale
    if m >= n:
        k = _block_split(R)
        lower = _triangular_sylvester(R[k:, k:], S, C[k:])
        upper = _triangular_sylvester(R[:k, :k], S, C[:k] - R[:k, k:] @ lower)
        return np.vstack([upper, lower])
    k = _block_split(S)
    right = _triangular_sylvester(R, S[k:, k:], C[:, k:])
    left = _triangular_sylvester(R, S[:k, :k], C[:, :k] - right @ S[:k, k:].conj().T)
    return np.hstack([left, right])


def _block_split(R):
    """A row near the middle of the Schur form R that splits no 2 x 2 block."""
    k = len(R) // 2
    return k + 1 if R[k, k - 1] != 0 else k


def _gramian_factor(gramian):
    """A factor L with L L^T equal to the symmetric positive semi-definite gramian."""
    try:
        return np.linalg.cholesky(gramian)
    except np.linalg.LinAlgError:
        # Numerically semi-definite: rounding left eigenvalues slightly negative.
        eigenvalues, eigenvectors = np.linalg.eigh(gramian)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))


def _not_minimal_error(hankel, controllability, observability):
    def conditioning(gramian):
        eigenvalues = np.linalg.eigvalsh(gramian)
        return eigenvalues[0] / eigenvalues[-1]

    unreached = conditioning(controllability) <= conditioning(observability)
    return ValidationError(
        "the system is not minimal: its smallest Hankel singular value is "
        f"{hankel[-1] / hankel[0]:.3g} times its largest (limit "
        f"{MIN_HANKEL_RATIO:g}), so some state is "
        + (
            "(nearly) unreachable from the input"
            if unreached
            else "(nearly) invisible in the output C"
        )
        + ". Remove that state, or choose a C that sees every state.",
        attr="B" if unreached else "C",
    )


def _slowest_time_constant(A):
    return 1.0 / np.min(-np.linalg.eigvals(A).real)


def _band_limited_state_rms(
    A,
    B,
    band_limit,
    rms,
    output=None,
    schur_form=None,
    controllability=None,
    inverse_A=None,
):
    """Rms of each state, or of each entry of ``output @ x``, for input of flat
    spectrum up to band_limit Hz; ``schur_form`` (real or complex) and the
    ``controllability`` Gramian of (A, B), where known, are not recomputed.

    With ``inverse_A``, the banded form (as `scipy.linalg.solve_banded` takes it)
    of a tridiagonal inverse of A, and both ``schur_form`` and ``controllability``
    given, each transfer function value is a tridiagonal solve,
    :math:`(sI - A)^{-1} B = (s A^{-1} - I)^{-1} A^{-1} B`, in O(n)."""
    if inverse_A is not None and schur_form is not None and controllability is not None:
        eigenvalues = _schur_eigenvalues(schur_form[0])
        inverse_B = _banded_product(inverse_A, B).astype(complex)
        identity = np.zeros_like(inverse_A)
        identity[1] = 1.0

        def transfer(frequency):
            matrix = 2j * np.pi * frequency * inverse_A - identity
            return _product(output, solve_banded((1, 1), matrix, inverse_B))

    else:
        # In the complex Schur form A = Z R Z^H each transfer function value is a
        # triangular solve, O(n^2) rather than O(n^3).
        if schur_form is None:
            R, Z = schur(A, output="complex")
        elif np.iscomplexobj(schur_form[0]):
            R, Z = schur_form
        else:
            R, Z = rsf2csf(*schur_form)
        eigenvalues = np.diag(R)
        input_factor = Z.conj().T @ B
        to_output = Z if output is None else _product(output, Z)
        shifted = -R

        def transfer(frequency):
            np.fill_diagonal(shifted, 2j * np.pi * frequency - eigenvalues)
            return to_output @ solve_triangular(shifted, input_factor)

    def power(frequency):
        return np.sum(np.abs(transfer(frequency)) ** 2, axis=1)

    # Over all frequencies, the integral is the controllability Gramian: it sets
    # the absolute accuracy, and the input reaches no state if it is zero.
    if controllability is None:
        controllability = _gramian(A, B, (R, Z))
    if output is None:
        whole_band = np.diag(controllability).real / 2
    else:  # the diagonal of output @ controllability @ output^H
        product = _product(output, controllability)
        whole_band = np.sum(product * output.conj(), axis=1).real / 2
    if np.max(whole_band) == 0:
        return np.zeros(len(whole_band))

    # The spectrum is even, so integrate over positive frequencies and double; the
    # resonant frequencies of A are breakpoints for the adaptive quadrature.
    resonances = np.abs(eigenvalues.imag) / (2 * np.pi)
    integral, _ = quad_vec(
        power,
        0.0,
        band_limit,
        epsabs=1e-13 * np.max(whole_band),
        epsrel=1e-10,
        norm="max",
        points=resonances[(resonances > 0) & (resonances < band_limit)],
    )
    variance = rms**2 / band_limit * integral
    return np.sqrt(variance)


def _product(matrix, other):
    """``matrix @ other`` (``other`` itself if ``matrix`` is None), without
    converting a real ``matrix`` to complex for a complex ``other``."""
    if matrix is None:
        return other
    if np.iscomplexobj(other) and not np.iscomplexobj(matrix):
        return matrix @ other.real + 1j * (matrix @ other.imag)
    return matrix @ other


def _banded_product(banded, X):
    """The tridiagonal matrix in `scipy.linalg.solve_banded` form times X."""
    product = banded[1][:, None] * X
    product[:-1] += banded[0, 1:, None] * X[1:]
    product[1:] += banded[2, :-1, None] * X[:-1]
    return product


def _schur_eigenvalues(R):
    """The eigenvalues on the (quasi-)triangular Schur form R, in its order."""
    if np.iscomplexobj(R):
        return np.diag(R)
    eigenvalues = np.diag(R).astype(complex)
    k = np.flatnonzero(np.diag(R, -1))  # the 2 x 2 blocks, from their first row
    half_difference = (R[k, k] - R[k + 1, k + 1]) / 2
    root = np.sqrt(half_difference**2 + R[k, k + 1] * R[k + 1, k] + 0j)
    mean = (R[k, k] + R[k + 1, k + 1]) / 2
    eigenvalues[k], eigenvalues[k + 1] = mean + root, mean - root
    return eigenvalues


def _simulated_state_rms(A, B, dt, process, n_steps, rng):
    """Rms of each state of the ZOH-discretised stable system driven by a process
    sample."""
    Ad, Bd = _discretize(A, B, dt, "zoh", stable=True)
    slowest = _slowest_time_constant(A)
    n_skip = int(np.ceil(TRANSIENT_DECAYS * slowest / dt))
    if n_steps is None:
        n_steps = int(
            np.clip(np.ceil(1000 * slowest / dt), MIN_DEFAULT_STEPS, MAX_DEFAULT_STEPS)
        )
    inputs = process.run_steps(
        n_skip + n_steps, d=B.shape[1], dt=dt, rng=np.random if rng is None else rng
    )
    if not np.all(np.isfinite(inputs)):
        raise ValidationError("generated NaN or inf", attr="input_process")
    states = sum(
        evaluate_memory(inputs[:, [column]], Ad, Bd[:, [column]])
        for column in range(B.shape[1])
    )
    return np.sqrt(np.mean(states[n_skip:] ** 2, axis=0))
