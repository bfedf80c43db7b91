"""The Legendre delay system and its readouts (pure numpy/scipy)."""

import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu.validation import as_real_array, check_integer, check_positive


def legendre_delay(theta, order):
    r"""The continuous-time Legendre Memory Unit system ``(A, B)``.

    The state :math:`m` of order :math:`d` holds a sliding window of length
    :math:`\theta` of the input :math:`u` as the coefficients of its expansion in
    shifted Legendre polynomials, by solving

    .. math:: \dot m(t) = A m(t) + B u(t)

    with (Voelker, Kajić and Eliasmith, 2019), for :math:`i, j = 0 \dots d-1`,

    .. math::

        \theta A_{ij} = (2i + 1) \begin{cases} -1 & i < j \\
                                               (-1)^{i - j + 1} & i \ge j
                                 \end{cases}, \qquad
        \theta B_i = (2i + 1) (-1)^i.

    This is the system of the NeurIPS 2019 LMU paper and of KerasLMU. Its transfer
    function from :math:`u` to the full-delay readout ``C = ones`` is the
    :math:`[d-1/d]` Padé approximant of :math:`e^{-\theta s}`.

    Parameters
    ----------
    theta : float
        Length of the window, in seconds (> 0).
    order : int
        Number of Legendre coefficients :math:`d` in the memory (>= 1).

    Returns
    -------
    A : (order, order) ndarray
        State matrix, with :math:`1/\theta` folded in.
    B : (order, 1) ndarray
        Input matrix, with :math:`1/\theta` folded in.

    See Also
    --------
    legendre_readout : decodes the window from the state.
    discretize : turns ``(A, B)`` into a discrete-time system.

    Examples
    --------
    An order-1 memory is a lowpass filter with time constant ``theta``:

    >>> A, B = legendre_delay(theta=0.5, order=1)
    >>> print(A, B)
    [[-2.]] [[2.]]
    """
    theta = check_positive(theta, "theta")
    order = check_integer(order, "order", low=1)
    i = np.arange(order)[:, None]
    j = np.arange(order)[None, :]
    scale = 2 * i + 1
    with np.errstate(over="ignore"):
        A = scale * np.where(i < j, -1.0, (-1.0) ** (i - j + 1)) / theta
        B = scale * (-1.0) ** i / theta
    if not np.all(np.isfinite(A)):
        raise ValidationError(
            f"is too small for order {order}: A = (2i + 1) / theta overflows "
            f"(got {theta!r})",
            attr="theta",
        )
    return A, B


def legendre_readout(order, r):
    r"""Weights that decode delayed input from the Legendre memory state.

    Row ``k`` decodes :math:`u(t - r_k \theta)` from the state:

    .. math:: u(t - r \theta) \approx \sum_{i=0}^{d-1} P_i(2r - 1)\, m_i(t),

    where :math:`P_i` are the Legendre polynomials. ``r = 1`` is the full delay
    (all ones), ``r = 0`` the current input (alternating signs).

    Parameters
    ----------
    order : int
        Number of Legendre coefficients in the memory (>= 1).
    r : float or array_like
        Relative delays, each in [0, 1]: fractions of the window length ``theta``.

    Returns
    -------
    readout : (len(r), order) ndarray
        ``readout @ m`` gives the delayed inputs for a state ``m``.

    Examples
    --------
    >>> legendre_readout(3, [0, 0.5, 1])
    array([[ 1. , -1. ,  1. ],
           [ 1. ,  0. , -0.5],
           [ 1. ,  1. ,  1. ]])
    """
    order = check_integer(order, "order", low=1)
    r = np.atleast_1d(as_real_array(r, "r"))
    if r.ndim != 1 or r.size == 0:
        raise ValidationError(
            f"must be a scalar or a non-empty 1-D array (got shape {r.shape})",
            attr="r",
        )
    if not np.all((r >= 0) & (r <= 1)):
        raise ValidationError(
            f"must be in [0, 1] (got values from {r.min()} to {r.max()})", attr="r"
        )
    # Bonnet's recurrence (n + 1) P_{n+1} = (2n + 1) x P_n - n P_{n-1}, all points
    # at once: O(order) array operations, and exact at x = +-1.
    x = 2 * r - 1
    readout = np.empty((len(r), order))
    readout[:, 0] = 1.0
    if order > 1:
        readout[:, 1] = x
    for n in range(1, order - 1):
        readout[:, n + 1] = (
            (2 * n + 1) * x * readout[:, n] - n * readout[:, n - 1]
        ) / (n + 1)
    return readout
