"""Discrete-time LMU systems and their mapping onto nengo synapses (pure math)."""

import functools
from typing import NamedTuple

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.utils.filter_design import cont2discrete, ss2tf, tf2ss
from scipy.linalg import expm

from nengo_lmu.legendre import legendre_delay
from nengo_lmu.validation import (
    as_real_array,
    check_choice,
    check_instance,
    check_integer,
    check_matrix,
    check_positive,
    check_square,
    check_system,
    describe,
)

DISCRETIZE_METHODS = ("zoh", "euler", "bilinear")
MAX_SYNAPSE_ORDER = 2
# Methods that map every stable continuous system to a stable discrete one (ZOH:
# e^{A dt} has spectral radius e^{max Re(eig(A)) dt}; Tustin maps the left half-plane
# into the unit disc), so a system known to be stable needs no eigenvalue check.
STABILITY_PRESERVING_METHODS = ("zoh", "bilinear")
# Discretised Legendre systems kept by `legendre_discretization`
# (order * (order + 1) floats each).
LEGENDRE_DISCRETIZATION_CACHE_SIZE = 32


def discretize(A, B, dt, method="zoh"):
    r"""Discretise the continuous-time system ``(A, B)`` with time step ``dt``.

    The discrete system steps as :math:`m[k] = A_d m[k-1] + B_d u[k]`: the current
    input enters the memory in the same step (KerasLMU's update order).

    ``method`` chooses how:

    ``"zoh"``
        Zero-order hold, exact for input that is constant over each step:
        :math:`A_d = e^{A\,dt}`, :math:`B_d = A^{-1}(A_d - I) B`, computed as one
        matrix exponential of the block matrix ``[[A, B], [0, 0]] * dt``. Stable
        for every stable ``(A, B)`` and ``dt``; the right default.
    ``"euler"``
        Forward Euler: :math:`A_d = I + A\,dt`, :math:`B_d = B\,dt`. Stable only
        if ``dt <= min(-2 Re(e) / |e|^2)`` over the eigenvalues ``e`` of ``A``: for
        a Legendre memory of order 16, 32, 64 and 256 that is ``theta / dt`` of at
        least 59.7, 197, 639 and 6542 steps (not "theta > 4 order").
    ``"bilinear"``
        Tustin's method (the HiPPO default):
        :math:`A_d = (I - A\,dt/2)^{-1}(I + A\,dt/2)`,
        :math:`B_d = (I - A\,dt/2)^{-1} B\,dt`.

    Parameters
    ----------
    A : (n, n) array_like
        Continuous-time state matrix.
    B : (n, k) or (n,) array_like
        Continuous-time input matrix.
    dt : float
        Time step in seconds (> 0).
    method : {"zoh", "euler", "bilinear"}, optional
        Discretisation method.

    Returns
    -------
    Ad : (n, n) ndarray
        Discrete state matrix.
    Bd : (n, k) ndarray
        Discrete input matrix.

    Raises
    ------
    nengo.exceptions.ValidationError
        If the discrete system is unstable (spectral radius of ``Ad`` above 1).
        For Euler the message names the largest stable ``dt`` and, for a Legendre
        memory, the smallest stable ``theta / dt``.

    Examples
    --------
    >>> A, B = legendre_delay(theta=0.1, order=6)
    >>> Ad, Bd = discretize(A, B, dt=0.001)
    >>> Ad.shape, Bd.shape
    ((6, 6), (6, 1))

    Euler at too coarse a step is refused with the bound it needs:

    >>> A, B = legendre_delay(theta=0.05, order=16)
    >>> discretize(A, B, dt=0.001, method="euler")
    Traceback (most recent call last):
    ...
    nengo.exceptions.ValidationError: dt: Euler discretisation is unstable ...
    """
    A, B = check_system(A, B)
    dt = check_positive(dt, "dt")
    method = check_choice(method, "method", DISCRETIZE_METHODS)
    return _discretize(A, B, dt, method)


def _discretize(A, B, dt, method, stable=False):
    """`discretize` of checked arguments; ``stable``: A is known to be stable, so
    a stability-preserving method needs no eigenvalue check."""
    n, k = B.shape
    # A dt so large that the result overflows is refused below, not warned about.
    with np.errstate(all="ignore"):
        if method == "zoh":
            block = np.zeros((n + k, n + k))
            block[:n, :n] = A * dt
            block[:n, n:] = B * dt
            exp_block = expm(block)
            Ad, Bd = exp_block[:n, :n], exp_block[:n, n:]
        elif method == "euler":
            Ad, Bd = np.eye(n) + A * dt, B * dt
        else:
            lhs = np.eye(n) - A * (dt / 2)
            try:
                Ad = np.linalg.solve(lhs, np.eye(n) + A * (dt / 2))
                Bd = np.linalg.solve(lhs, B * dt)
            except np.linalg.LinAlgError:
                # I - A dt / 2 is singular: A has the eigenvalue 2 / dt > 0.
                raise ValidationError(
                    _instability_message(A, dt, method, np.inf), attr="dt"
                ) from None
        overflow = not (np.all(np.isfinite(Ad)) and np.all(np.isfinite(Bd)))
        norm = np.linalg.norm(A) * dt

    if overflow:
        raise ValidationError(
            f"{method!r} discretisation with dt={dt:g} overflows (A dt has norm "
            f"{norm:.3g}); use a smaller dt",
            attr="dt",
        )
    if stable and method in STABILITY_PRESERVING_METHODS:
        return Ad, Bd
    radius = spectral_radius(Ad)
    if radius > 1 + 1e-12:
        raise ValidationError(_instability_message(A, dt, method, radius), attr="dt")
    return Ad, Bd


def legendre_discretization(theta, order, dt, method="zoh"):
    """`discretize` of ``legendre_delay(theta, order)``, cached.

    The Legendre delay system is stable at every order, so zero-order hold and
    the bilinear method need no eigenvalue check (Euler is still checked). The
    results for the last ``LEGENDRE_DISCRETIZATION_CACHE_SIZE`` (32) arguments are
    kept, as read-only arrays shared by every caller.

    Parameters
    ----------
    theta : float
        Window length in seconds (> 0).
    order : int
        Number of Legendre coefficients (>= 1).
    dt : float
        Time step in seconds (> 0).
    method : {"zoh", "euler", "bilinear"}, optional
        Discretisation method (see `discretize`).

    Returns
    -------
    Ad : (order, order) ndarray
        Discrete state matrix (read-only).
    Bd : (order, 1) ndarray
        Discrete input matrix (read-only).

    Examples
    --------
    >>> Ad, Bd = legendre_discretization(0.1, 6, dt=0.001)
    >>> np.array_equal(Ad, discretize(*legendre_delay(0.1, 6), dt=0.001)[0])
    True
    """
    order = check_integer(order, "order", low=1)
    theta, dt = check_positive(theta, "theta"), check_positive(dt, "dt")
    method = check_choice(method, "method", DISCRETIZE_METHODS)
    return _cached_legendre_discretization(theta, order, dt, method)


@functools.lru_cache(maxsize=LEGENDRE_DISCRETIZATION_CACHE_SIZE)
def _cached_legendre_discretization(theta, order, dt, method):
    A, B = legendre_delay(theta, order)
    Ad, Bd = _discretize(A, B, dt, method, stable=True)
    Ad.flags.writeable = Bd.flags.writeable = False
    return Ad, Bd


def spectral_radius(matrix):
    """Largest absolute eigenvalue of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def euler_max_dt(A):
    """Largest ``dt`` at which the Euler discretisation of ``A`` is stable.

    Parameters
    ----------
    A : (n, n) array_like
        Continuous-time state matrix, with all eigenvalues in the left half-plane.

    Returns
    -------
    float
        ``min(-2 Re(e) / |e|^2)`` over the eigenvalues ``e`` of ``A``; 0 if ``A``
        has an eigenvalue with non-negative real part other than 0 itself, and
        inf if all eigenvalues are 0.

    Examples
    --------
    The smallest stable ``theta / dt`` of a Legendre memory of order 16:

    >>> A, _ = legendre_delay(theta=1.0, order=16)
    >>> print(f"{1.0 / euler_max_dt(A):.1f}")
    59.7
    """
    eigenvalues = np.linalg.eigvals(check_square(A, "A"))
    eigenvalues = eigenvalues[eigenvalues != 0]
    if len(eigenvalues) == 0:
        return np.inf
    if np.any(eigenvalues.real >= 0):
        return 0.0
    return float(np.min(-2 * eigenvalues.real / np.abs(eigenvalues) ** 2))


def _legendre_theta(A):
    """The ``theta`` of the Legendre memory whose state matrix is ``A``, or None."""
    if not A[0, 0] < 0:
        return None
    theta = -1.0 / A[0, 0]
    try:
        legendre_A, _ = legendre_delay(theta, len(A))
    except ValidationError:
        return None
    return theta if np.allclose(A, legendre_A) else None


def _instability_message(A, dt, method, radius):
    message = (
        f"{method!r} discretisation with dt={dt:g} gives an unstable system "
        f"(spectral radius {radius:.6g} > 1). "
    )
    if method != "euler":
        return message + "The continuous-time system A is itself unstable."

    max_dt = euler_max_dt(A)
    message = (
        f"Euler discretisation is unstable at dt={dt:g} (spectral radius "
        f"{radius:.6g} > 1); it needs dt <= {max_dt:.6g}. "
    )
    theta = _legendre_theta(A)
    if theta is not None:
        message += (
            f"A Legendre memory of order {len(A)} is stable under Euler only for "
            f"theta / dt >= {theta / max_dt:.4g} steps (here {theta / dt:.4g}). "
        )
    return message + "Use method='zoh', a smaller dt or a longer theta."


class _SynapseMappingFields(NamedTuple):
    recurrent_transform: np.ndarray
    input_transforms: tuple
    input_synapses: tuple


class SynapseMapping(_SynapseMappingFields):
    """Connection transforms and synapses that implement a discrete system in a loop.

    See `synapse_mapping`. The arguments are checked, and stored as float arrays
    and tuples.

    Attributes
    ----------
    recurrent_transform : (n, n) ndarray
        Transform on the recurrent connection, which goes through the loop synapse.
    input_transforms : tuple of (n, k) ndarray
        One transform per input connection.
    input_synapses : tuple of nengo.LinearFilter
        The synapse of each input connection, in the same order.
    """

    __slots__ = ()

    def __new__(cls, recurrent_transform, input_transforms, input_synapses):
        recurrent_transform = check_square(recurrent_transform, "recurrent_transform")
        n = len(recurrent_transform)
        if not isinstance(input_transforms, (tuple, list)) or not input_transforms:
            raise ValidationError(
                "must be a non-empty tuple of (n, k) transforms (got "
                f"{describe(input_transforms)})",
                attr="input_transforms",
            )
        input_transforms = tuple(
            check_matrix(transform, "input_transforms", (None, None))
            for transform in input_transforms
        )
        if any(len(transform) != n for transform in input_transforms):
            raise ValidationError(
                f"must each have {n} rows, one per row of recurrent_transform "
                f"(got shapes {[transform.shape for transform in input_transforms]})",
                attr="input_transforms",
            )
        if len({transform.shape for transform in input_transforms}) > 1:
            raise ValidationError(
                "must all have the same shape (got shapes "
                f"{[transform.shape for transform in input_transforms]})",
                attr="input_transforms",
            )
        if not isinstance(input_synapses, (tuple, list)) or not all(
            isinstance(synapse, nengo.LinearFilter) for synapse in input_synapses
        ):
            raise ValidationError(
                "must be a tuple of nengo LinearFilters (got "
                f"{describe(input_synapses)})",
                attr="input_synapses",
            )
        if len(input_synapses) != len(input_transforms):
            raise ValidationError(
                f"must hold one synapse per input transform ({len(input_transforms)}; "
                f"got {len(input_synapses)})",
                attr="input_synapses",
            )
        return super().__new__(
            cls, recurrent_transform, input_transforms, tuple(input_synapses)
        )


def synapse_mapping(Ad, Bd, synapse, dt):
    r"""Transforms that make a loop through ``synapse`` implement ``(Ad, Bd)`` exactly.

    This is NEF principle 3 in discrete time, exact for the synapse as nengo
    simulates it. A state :math:`x` that feeds back to itself through ``synapse``
    with ``recurrent_transform`` and receives the input :math:`u` through each
    ``(input_transforms[j], input_synapses[j])`` connection obeys

    .. math:: x[k + 1] = A_d x[k] + B_d u[k],

    that is, :math:`x` equals the memory :math:`m[k] = A_d m[k-1] + B_d u[k]` one
    time step late, with no approximation error.

    In a loop, nengo applies a synapse with discrete transfer function
    :math:`H(z) = N(z) / D(z)` (``D`` monic of degree :math:`n`, ``N`` of lower
    degree; the simulator's one-step delay included). The loop implements the
    system exactly when

    .. math:: A' = N(A_d)^{-1} D(A_d),

    and the input enters as :math:`R(z) B_d u / D(z)`, where the matrix polynomial
    :math:`R(z) = \sum_j R_j z^j = (D(z) I - N(z) A') / (zI - A_d)`. Each term is
    one input connection with transform :math:`R_j B_d` and the discrete filter
    :math:`z^j / D(z)`. For ``Lowpass(tau)``, with :math:`a = e^{-dt/\tau}`, this is
    the familiar :math:`A' = (A_d - aI) / (1 - a)` and an input transform
    :math:`B_d / (1 - a)` through the same ``Lowpass``; for ``synapse=0`` (a pure
    one-step delay) it is :math:`A' = A_d` and :math:`B_d`.

    For synapses of order 2 (``Alpha``), :math:`R(z)` also has roots: hidden
    modes of the loop that the input does not excite but noise on the recurrent
    connection (spikes) does. A synapse whose hidden modes would be unstable is
    refused.

    Parameters
    ----------
    Ad : (n, n) array_like
        Discrete state matrix (e.g. from `discretize`).
    Bd : (n, k) array_like
        Discrete input matrix.
    synapse : nengo.LinearFilter or float
        The synapse of the recurrent loop: ``Lowpass``, ``Alpha``, any nengo
        ``LinearFilter`` of order at most 2 (analog or digital), or a number
        ``tau`` meaning ``Lowpass(tau)``, as nengo reads it. ``0`` is a one-step
        delay.
    dt : float
        Time step of the simulator, in seconds (> 0).

    Returns
    -------
    SynapseMapping
        ``(recurrent_transform, input_transforms, input_synapses)``.

    Examples
    --------
    A loop through a ``Lowpass(0.1)`` synapse:

    >>> A, B = legendre_delay(theta=1.0, order=4)
    >>> Ad, Bd = discretize(A, B, dt=0.001)
    >>> mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.1), dt=0.001)
    >>> with nengo.Network() as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(10, high=1))
    ...     state = nengo.Node(size_in=4)
    ...     conn = nengo.Connection(
    ...         state, state, transform=mapping.recurrent_transform,
    ...         synapse=nengo.Lowpass(0.1))
    ...     for transform, synapse in zip(
    ...             mapping.input_transforms, mapping.input_synapses):
    ...         _ = nengo.Connection(
    ...             stim, state, transform=transform, synapse=synapse)
    """
    Ad, Bd = check_system(Ad, Bd, names=("Ad", "Bd"))
    dt = check_positive(dt, "dt")
    synapse = as_loop_synapse(synapse)
    try:
        with np.errstate(all="ignore"):
            num, den = loop_transfer_function(synapse, dt)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, OverflowError):
        # e.g. nengo's expm overflows for a time constant below about 1e-60 dt
        num = den = np.array([np.nan])
    if not (np.all(np.isfinite(num)) and np.all(np.isfinite(den))) or len(num) == 0:
        raise ValidationError(
            f"{synapse} has no finite, non-zero discrete transfer function at "
            f"dt={dt:g}; choose another synapse",
            attr="synapse",
        )
    order = len(den) - 1
    identity = np.eye(len(Ad))

    numerator_at_Ad = _polyval_matrix(num, Ad)
    if np.linalg.cond(numerator_at_Ad) > 1e12:
        raise ValidationError(
            f"{synapse} has a zero that coincides with a pole of the system, so no "
            "recurrent transform can implement it; choose another synapse",
            attr="synapse",
        )
    recurrent = np.linalg.solve(numerator_at_Ad, _polyval_matrix(den, Ad))

    # P(z) = D(z) I - N(z) A' has coefficients P[j] of z^j; divide by (zI - Ad).
    padded_num = np.concatenate([np.zeros(order + 1 - len(num)), num])
    P = [
        den[order - j] * identity - padded_num[order - j] * recurrent
        for j in range(order + 1)
    ]
    R = [None] * order
    R[order - 1] = P[order]
    for j in range(order - 1, 0, -1):
        R[j - 1] = P[j] + Ad @ R[j]
    remainder = P[0] + Ad @ R[0]
    assert np.allclose(remainder, 0, atol=1e-6 * max(1, np.abs(P[0]).max()))

    _check_hidden_modes(Ad, num, den, synapse)

    if len(num) == 1 and order == 1:
        # The input filter 1 / D(z) is the synapse itself up to the gain N.
        return SynapseMapping(recurrent, (R[0] @ Bd / num[0],), (synapse,))
    input_synapses = tuple(
        nengo.LinearFilter([1.0] + [0.0] * j, den, analog=False) for j in range(order)
    )
    return SynapseMapping(
        recurrent, tuple(R[j] @ Bd for j in range(order)), input_synapses
    )


def loop_transfer_function(synapse, dt):
    r"""The discrete transfer function of ``synapse`` in a nengo loop.

    Nengo discretises an analog ``LinearFilter`` with its ``method`` (ZOH by
    default) at build time. A strictly proper filter is stepped one sample ahead
    and the simulator applies synapses after the other operators of a step, so
    in a loop it acts as its plain discrete transfer function :math:`H_d(z)`; a
    filter with direct feedthrough acts as :math:`z^{-1} H_d(z)`.

    Parameters
    ----------
    synapse : nengo.LinearFilter
        The synapse.
    dt : float
        Time step in seconds.

    Returns
    -------
    num, den : ndarray
        Coefficients of :math:`N(z)` and :math:`D(z)`, highest power first, with
        ``den`` monic and ``len(num) < len(den)``.

    Examples
    --------
    ``synapse=0`` is a pure one-step delay, :math:`1 / z`:

    >>> loop_transfer_function(nengo.Lowpass(0), dt=0.001)
    (array([1.]), array([1., 0.]))
    """
    A, B, C, D = tf2ss(synapse.num, synapse.den)
    if synapse.analog and len(A) > 0:
        A, B, C, D, _ = cont2discrete((A, B, C, D), dt, method=synapse.method)
    if len(A) == 0:
        num, den = np.atleast_1d(D).ravel(), np.ones(1)
    else:
        num, den = ss2tf(A, B, C, D)
        num = np.atleast_2d(num)[0]
    if len(A) == 0 or np.any(D != 0):
        den = np.append(den, 0.0)
    num = np.trim_zeros(np.asarray(num, dtype=float), "f")
    num, den = num / den[0], den / den[0]
    return num, den


def as_loop_synapse(synapse):
    """The synapse as the nengo ``LinearFilter`` a loop can map (see `synapse_mapping`)."""
    if synapse is None:
        raise ValidationError(
            "must delay the signal: a recurrent loop with synapse=None has no time "
            "step to act in (use 0 for a one-step delay, or a Lowpass time "
            "constant)",
            attr="synapse",
        )
    if isinstance(synapse, (int, float, np.number)) and not isinstance(
        synapse, (bool, np.bool_)
    ):
        if not np.isfinite(synapse) or synapse < 0:
            raise ValidationError(
                f"a Lowpass time constant must be finite and >= 0 (got {synapse})",
                attr="synapse",
            )
        return nengo.Lowpass(synapse)
    if not isinstance(synapse, nengo.LinearFilter):
        raise ValidationError(
            "must be a nengo LinearFilter (Lowpass, Alpha, or LinearFilter of "
            f"order <= {MAX_SYNAPSE_ORDER}) or a Lowpass time constant "
            f"(got {synapse!r})",
            attr="synapse",
        )
    num = np.atleast_1d(synapse.num).ravel()
    den = np.atleast_1d(synapse.den).ravel()
    if not (np.all(np.isfinite(num)) and np.all(np.isfinite(den))):
        raise ValidationError(
            f"must have finite coefficients (got {synapse})", attr="synapse"
        )
    if not np.any(num):
        raise ValidationError(
            f"must pass the signal on: its numerator is zero (got {synapse})",
            attr="synapse",
        )
    filter_order = len(np.trim_zeros(np.atleast_1d(synapse.den), "f")) - 1
    if filter_order > MAX_SYNAPSE_ORDER:
        raise ValidationError(
            f"must be a LinearFilter of order <= {MAX_SYNAPSE_ORDER} (got order "
            f"{filter_order}: {synapse})",
            attr="synapse",
        )
    return synapse


def _polyval_matrix(coefficients, matrix):
    """Evaluate a polynomial (highest power first) at a square matrix (Horner)."""
    result = np.zeros_like(matrix)
    for coefficient in coefficients:
        result = result @ matrix + coefficient * np.eye(len(matrix))
    return result


def _check_hidden_modes(Ad, num, den, synapse):
    """Refuse a loop whose closed-loop poles (other than those of Ad) are unstable."""
    if len(den) <= 2:
        return
    padded_num = np.concatenate([np.zeros(len(den) - len(num)), num])
    largest = 0.0
    for eigenvalue in np.linalg.eigvals(Ad):
        gain = np.polyval(den, eigenvalue) / np.polyval(num, eigenvalue)
        poles = np.roots(den - gain * padded_num)
        largest = max(largest, np.max(np.abs(poles)))
    if largest >= 1:
        raise ValidationError(
            f"{synapse} would make the loop unstable (a hidden closed-loop pole has "
            f"magnitude {largest:.6g} >= 1); use a Lowpass synapse, a shorter "
            "time constant or a longer theta",
            attr="synapse",
        )


def lead_correction(mapping, lead, tau):
    r"""Correct a first-order `synapse_mapping` for feedback that leads the state.

    Spiking LIF populations decode their input slightly ahead of time: the
    decoded value is about :math:`\hat x = x + \delta \dot x`, with a lead
    :math:`\delta` of about a millisecond (their membrane potentials crowd just
    below threshold, so a rising input makes many cross at once). In a loop with
    :math:`A' \approx I + \tau A` that lead makes the memory run
    :math:`\tau / (\tau - \delta)` times too fast. With
    :math:`M = (A'_0 - I) / \tau` and :math:`D = \mathrm{diag}(\delta)`, the
    transforms

    .. math::

        A' = A'_0 (I + D M)^{-1}, \qquad
        B'_j = (\tau I - A' D) B'_{0,j} / \tau

    make :math:`\tau \dot x + x = A' \hat x + \sum_j B'_j u` the intended system
    again, to first order in :math:`\delta`.

    Parameters
    ----------
    mapping : SynapseMapping
        The exact mapping for a ``Lowpass(tau)`` loop (see `synapse_mapping`).
    lead : float or (n,) array_like
        Lead :math:`\delta` of the decoded feedback of each state dimension, in
        seconds (0 for rate neurons).
    tau : float
        Time constant of the loop's ``Lowpass`` synapse, in seconds (> 0).

    Returns
    -------
    SynapseMapping
        The corrected mapping; the input synapses are unchanged.

    Examples
    --------
    A lead of zero changes nothing:

    >>> Ad, Bd = discretize(*legendre_delay(theta=1.0, order=3), dt=0.001)
    >>> mapping = synapse_mapping(Ad, Bd, nengo.Lowpass(0.1), dt=0.001)
    >>> corrected = lead_correction(mapping, lead=0.0, tau=0.1)
    >>> np.allclose(corrected.recurrent_transform, mapping.recurrent_transform)
    True
    """
    check_instance(
        mapping, "mapping", SynapseMapping, "a SynapseMapping (see synapse_mapping)"
    )
    tau = check_positive(tau, "tau")
    identity = np.eye(len(mapping.recurrent_transform))
    given = lead
    lead = as_real_array(lead, "lead")
    if lead.ndim > 1 or lead.size not in (1, len(identity)):
        raise ValidationError(
            f"must be a number or one per state dimension ({len(identity)}); got "
            f"shape {lead.shape}",
            attr="lead",
        )
    lead = np.broadcast_to(lead, (len(identity),))
    if not np.all(np.isfinite(lead)) or np.any(np.abs(lead) >= tau):
        raise ValidationError(
            f"must be finite and smaller than tau={tau:g} in magnitude (got "
            f"{describe(given)})",
            attr="lead",
        )
    D = np.diag(lead)
    drift = (mapping.recurrent_transform - identity) / tau
    recurrent = np.linalg.solve(
        (identity + D @ drift).T, mapping.recurrent_transform.T
    ).T
    input_scale = (tau * identity - recurrent @ D) / tau
    return SynapseMapping(
        recurrent,
        tuple(input_scale @ transform for transform in mapping.input_transforms),
        mapping.input_synapses,
    )
