r"""Whole-sequence evaluation of a discrete linear memory (pure numpy/scipy).

The memory of order :math:`d` steps as

.. math:: m[k] = A_d m[k-1] + B_d u[k], \qquad m[-1] = 0,

so the input of step :math:`k` enters the state in the same step (the convention
of `discretize`) and :math:`m[0] = B_d u[0]`. Unrolled, the state is the causal
convolution of the input with the impulse response :math:`H[j] = A_d^j B_d`:

.. math:: m[k] = \sum_{j=0}^{k} H[j]\, u[k - j].

`evaluate_memory` computes this for a whole sequence at once, either step by step
(``method="recurrence"``) or as a convolution by FFT (``method="fft"``, following
Chilkuri and Eliasmith, ICML 2021, "Parallelizing Legendre Memory Unit Training").

Each input channel drives its own memory with the same :math:`(A_d, B_d)`. The
output is channel-major: the :math:`d` coefficients of channel ``c`` are at
``[c * order:(c + 1) * order]`` of the last axis, the layout of the output Node
of the LMU networks.
"""

import numpy as np
import scipy.fft
from nengo.exceptions import ValidationError

from nengo_lmu.validation import (
    as_real_array,
    check_choice,
    check_integer,
    check_matrix,
    check_square,
    describe,
)

EVALUATE_METHODS = ("fft", "recurrence")

# Size of the spectrum products that the FFT method inverts at a time; small
# enough to stay in cache, large enough to give every FFT worker many transforms.
FFT_CHUNK_BYTES = 2 * 2**20


def impulse_response(Ad, Bd, n_steps):
    r"""The first ``n_steps`` steps of the impulse response of ``(Ad, Bd)``.

    Row ``k`` is :math:`H[k] = A_d^k B_d`: the state :math:`m[k]` of the memory
    :math:`m[k] = A_d m[k-1] + B_d u[k]` for a unit impulse :math:`u[0] = 1`.

    Parameters
    ----------
    Ad : (order, order) array_like
        Discrete state matrix (e.g. from `discretize`).
    Bd : (order, 1) array_like
        Discrete input matrix, with exactly one input column.
    n_steps : int
        Number of time steps (>= 1).

    Returns
    -------
    H : (n_steps, order) ndarray
        The impulse response, float32 if ``Ad`` and ``Bd`` are both float32 and
        float64 otherwise.

    Examples
    --------
    >>> impulse_response([[0.5]], [[1.0]], n_steps=4)
    array([[1.   ],
           [0.5  ],
           [0.25 ],
           [0.125]])
    """
    Ad, Bd = _check_discrete_system(Ad, Bd)
    n_steps = check_integer(n_steps, "n_steps", low=1)
    return _impulse_response(Ad, Bd, n_steps)


def _impulse_response(Ad, Bd, n_steps):
    response = np.empty((n_steps, len(Ad)), dtype=Ad.dtype)
    response[0] = Bd[:, 0]
    for k in range(1, n_steps):
        np.matmul(Ad, response[k - 1], out=response[k])
    return response


def evaluate_memory(inputs, Ad, Bd, method="fft"):
    r"""The states of a discrete linear memory over a whole input sequence.

    Each input channel drives its own memory

    .. math:: m[k] = A_d m[k-1] + B_d u[k], \qquad m[-1] = 0,

    so row ``k`` of the result is the state after the inputs ``0 .. k``.

    Parameters
    ----------
    inputs : (n_steps, channels) or (batch, n_steps, channels) array_like
        Input sequences: real and finite, with no dimension of size 0.
    Ad : (order, order) array_like
        Discrete state matrix (e.g. from `discretize`), shared by all channels.
    Bd : (order, 1) array_like
        Discrete input matrix, with exactly one input column.
    method : {"fft", "recurrence"}, optional
        ``"fft"`` convolves the inputs with the impulse response
        :math:`H[j] = A_d^j B_d` through real FFTs of length at least
        ``2 * n_steps - 1``: all time steps at once, at a cost of
        :math:`O(\log n_{steps})` per output value. ``"recurrence"`` steps the
        memory one time step at a time, all batches and channels in one matrix
        product per step: :math:`O(order)` per output value, but in BLAS. Both
        give the same states to rounding error. Neither checks that ``Ad`` is
        stable; the states of an unstable memory grow without bound.

    Returns
    -------
    states : ndarray
        The memory states, of shape (n_steps, channels * order) or (batch,
        n_steps, channels * order), channel-major: ``states[..., k, c * order + i]`` is
        coefficient ``i`` of the memory of channel ``c`` at step ``k``. float32 if
        ``inputs``, ``Ad`` and ``Bd`` are all float32 (or narrower), float64
        otherwise.

    Raises
    ------
    nengo.exceptions.ValidationError
        If an argument has the wrong shape, ``inputs`` is not finite or
        ``method`` is unknown; the error names the argument.

    Notes
    -----
    The FFT method computes the impulse response (``n_steps`` matrix-vector
    products) and its spectrum anew on each call. On a CPU the recurrence's
    matrix products run at BLAS speed, so the FFT pays off mainly for high orders:
    on 2 cores (OpenBLAS) with 784 steps, the recurrence was about 1.4 times
    faster at order 256 and batch 100 (``benchmarks/memory_fft.py``), and the FFT
    about twice as fast at order 1024 and batch 20.

    Examples
    --------
    A memory of order 1 that halves every step, fed a constant input:

    >>> print(evaluate_memory(np.ones((4, 1)), [[0.5]], [[1.0]]).ravel())
    [1.    1.5   1.75  1.875]

    A batch of 3 sequences of 2 channels each, into a Legendre memory of order 6;
    the two methods agree:

    >>> from nengo_lmu import discretize, legendre_delay
    >>> Ad, Bd = discretize(*legendre_delay(theta=100.0, order=6), dt=1.0)
    >>> inputs = np.random.default_rng(0).standard_normal((3, 200, 2))
    >>> states = evaluate_memory(inputs, Ad, Bd)
    >>> states.shape
    (3, 200, 12)
    >>> np.allclose(states, evaluate_memory(inputs, Ad, Bd, method="recurrence"))
    True
    """
    method = check_choice(method, "method", EVALUATE_METHODS)
    Ad, Bd = _check_discrete_system(Ad, Bd)
    inputs = _check_inputs(inputs)

    dtype = _float_dtype(inputs.dtype, Ad.dtype)
    Ad, Bd = Ad.astype(dtype, copy=False), Bd.astype(dtype, copy=False)
    batched = inputs.ndim == 3
    inputs = inputs.astype(dtype, copy=False)
    if not batched:
        inputs = inputs[None]

    if method == "fft":
        states = _memory_by_fft(inputs, Ad, Bd)
    else:
        states = _memory_by_recurrence(inputs, Ad, Bd)

    batch, n_steps, channels = inputs.shape
    states = states.reshape(batch, n_steps, channels * len(Ad))
    return states if batched else states[0]


def _memory_by_recurrence(inputs, Ad, Bd):
    """States ``(batch, n_steps, channels, order)`` of the memory, step by step."""
    batch, n_steps, channels = inputs.shape
    order = len(Ad)
    states = np.empty((batch, n_steps, channels, order), dtype=inputs.dtype)

    # Each step is one product [m[k-1], u[k]] @ [[Ad.T], [Bd.T]] over all batches
    # and channels; the current input sits in the last column of the operand.
    step_matrix = np.vstack([Ad.T, Bd.T])
    previous = np.zeros((batch * channels, order + 1), dtype=inputs.dtype)
    current = np.empty_like(previous)
    for k in range(n_steps):
        previous[:, order] = inputs[:, k].ravel()
        np.matmul(previous, step_matrix, out=current[:, :order])
        states[:, k] = current[:, :order].reshape(batch, channels, order)
        previous, current = current, previous
    return states


def _memory_by_fft(inputs, Ad, Bd):
    """States ``(batch, n_steps, channels, order)`` of the memory, by FFT."""
    batch, n_steps, channels = inputs.shape
    order = len(Ad)
    n_fft = scipy.fft.next_fast_len(2 * n_steps - 1, real=True)

    response_spectrum = scipy.fft.rfft(
        _impulse_response(Ad, Bd, n_steps), n=n_fft, axis=0, workers=-1
    ).T.copy()
    input_spectra = scipy.fft.rfft(inputs, n=n_fft, axis=1, workers=-1)
    input_spectra = input_spectra.transpose(0, 2, 1).copy()
    n_frequencies = response_spectrum.shape[1]

    sequence_bytes = order * n_frequencies * response_spectrum.itemsize
    channels_per_chunk = int(np.clip(FFT_CHUNK_BYTES // sequence_bytes, 1, channels))
    batch_per_chunk = 1
    if channels_per_chunk == channels:
        batch_per_chunk = int(
            np.clip(FFT_CHUNK_BYTES // (channels * sequence_bytes), 1, batch)
        )
    products = np.empty(
        (batch_per_chunk, channels_per_chunk, order, n_frequencies),
        dtype=response_spectrum.dtype,
    )

    # The inverse FFTs run along the contiguous last axis, which is faster than
    # along the time axis of the output; the assignment transposes them into place.
    states = np.empty((batch, n_steps, channels, order), dtype=inputs.dtype)
    for b in range(0, batch, batch_per_chunk):
        b_stop = min(b + batch_per_chunk, batch)
        for c in range(0, channels, channels_per_chunk):
            c_stop = min(c + channels_per_chunk, channels)
            chunk = products[: b_stop - b, : c_stop - c]
            np.multiply(
                input_spectra[b:b_stop, c:c_stop, None, :],
                response_spectrum,
                out=chunk,
            )
            convolved = scipy.fft.irfft(
                chunk, n=n_fft, axis=-1, workers=-1, overwrite_x=True
            )
            states[b:b_stop, :, c:c_stop] = convolved[..., :n_steps].transpose(
                0, 3, 1, 2
            )
    return states


def _check_discrete_system(Ad, Bd):
    """Return ``(Ad, Bd)`` as arrays of one float dtype if they form a memory.

    ``Ad`` must be square ``(order, order)`` and ``Bd`` must be ``(order, 1)``. The
    dtype is float32 if both are float32 (or narrower), float64 otherwise.
    """
    checked_Ad = check_square(Ad, "Ad")
    order = len(checked_Ad)
    if np.shape(as_real_array(Bd, "Bd")) != (order, 1):
        raise ValidationError(
            f"must have shape ({order}, 1): one input column, one row per row of Ad "
            f"{checked_Ad.shape} (got shape {np.shape(Bd)})",
            attr="Bd",
        )
    checked_Bd = check_matrix(Bd, "Bd", (order, 1))
    dtype = _float_dtype(np.asarray(Ad).dtype, np.asarray(Bd).dtype)
    return checked_Ad.astype(dtype, copy=False), checked_Bd.astype(dtype, copy=False)


def _float_dtype(*dtypes):
    """float32 if all ``dtypes`` fit in float32 without loss, float64 otherwise."""
    if np.result_type(*dtypes, np.float32) == np.float32:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _check_inputs(inputs):
    """Return ``inputs`` as a finite real array of shape (n_steps, channels) or
    (batch, n_steps, channels), with no empty dimension."""
    try:
        array = np.asarray(inputs)
    except (TypeError, ValueError):
        raise ValidationError(
            f"must be a real numeric array (got {describe(inputs)})", attr="inputs"
        ) from None
    if array.dtype.kind not in "biuf":
        raise ValidationError(
            f"must be a real numeric array (got {describe(inputs)}, dtype "
            f"{array.dtype})",
            attr="inputs",
        )
    if array.ndim not in (2, 3):
        raise ValidationError(
            "must be a 2-D (n_steps, channels) or 3-D (batch, n_steps, channels) "
            f"array (got shape {array.shape})",
            attr="inputs",
        )
    if array.size == 0:
        raise ValidationError(
            f"must have no dimension of size 0 (got shape {array.shape})",
            attr="inputs",
        )
    finite = np.isfinite(array)
    if not np.all(finite):
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValidationError(
            f"must be finite (got {np.count_nonzero(~finite)} NaN or inf values, "
            f"the first at index {first}: {array[first]})",
            attr="inputs",
        )
    return array
