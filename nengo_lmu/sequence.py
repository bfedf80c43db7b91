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

from collections.abc import Mapping

import numpy as np
import scipy.fft
import scipy.signal
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
        The impulse response, float32 if ``Ad`` and ``Bd`` are both float32 (or
        narrower) and float64 otherwise.

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
    order = len(Ad)
    if order * np.log2(n_steps) < n_steps:
        # Rows k .. 2k-1 are rows 0 .. k-1 advanced by Ad^k: one matrix product
        # per doubling, and one squaring (order^3) for the next power. In float64,
        # where the powers' rounding stays below float32's.
        response = np.empty((n_steps, order))
        response[0] = Bd[:, 0]
        done, power = 1, Ad.astype(np.float64)
        while done < n_steps:
            count = min(done, n_steps - done)
            np.matmul(response[:count], power.T, out=response[done : done + count])
            done += count
            if done < n_steps:
                power = power @ power
        return response.astype(Ad.dtype, copy=False)
    response = np.empty((n_steps, order), dtype=Ad.dtype)
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


def evaluate_cell(
    inputs,
    Ad,
    Bd,
    weights,
    activation,
    feedback=((1.0,), (1.0, 0.0)),
    memory_delay=0,
    method="fft",
):
    r"""The hidden states of an LMU cell over whole input sequences.

    The cell of `LMU`, one step per time step, with the memory's output seen
    ``memory_delay`` steps late (:math:`\tilde m[k] = m[k - \text{memory\_delay}]`)
    and the recurrent signals passed through the discrete filter ``feedback``
    (:math:`F`, a one-step delay by default):

    .. math::

        u[k] &= e_x x[k] + b_u + e_h (F h)[k] + e_m (F \tilde m)[k] \\
        m[k] &= A_d m[k-1] + B_d u[k] \\
        h[k] &= f(W_m \tilde m[k] + W_x x[k] + W_h (F h)[k] + b)

    When nothing feeds back into the memory (no :math:`e_h, e_m`) the memory is
    computed for all steps at once with `evaluate_memory` (``method``), and when
    the hidden layer has no recurrence either, so is :math:`h`.

    Parameters
    ----------
    inputs : (n_steps, size_in) or (batch, n_steps, size_in) array_like
        Input sequences, finite.
    Ad : (order, order) array_like
        Discrete state matrix of each memory channel.
    Bd : (order, 1) array_like
        Discrete input matrix of each memory channel.
    weights : dict
        ``"e_x"`` (memory_d, size_in) and ``"W_m"`` (n_hidden, memory_d * order)
        are required; ``"u_bias"`` (memory_d,), ``"e_h"`` (memory_d, n_hidden),
        ``"e_m"`` (memory_d, memory_d * order), ``"W_x"`` (n_hidden, size_in),
        ``"W_h"`` (n_hidden, n_hidden) and ``"bias"`` (n_hidden,) are optional
        (absent means zero).
    activation : callable
        :math:`f`, applied to currents of shape (..., n_hidden).
    feedback : (num, den), optional
        Transfer function :math:`F(z) = N(z) / D(z)` of the recurrent paths,
        coefficients highest power first, strictly proper (for a nengo synapse,
        `loop_transfer_function`).
    memory_delay : int, optional
        Steps by which the hidden layer sees the memory late (>= 0).
    method : {"fft", "recurrence"}, optional
        How `evaluate_memory` computes a memory that nothing feeds back into.

    Returns
    -------
    hidden : ndarray
        :math:`h`, of shape (batch, n_steps, n_hidden) (no batch axis if
        ``inputs`` had none).
    memory : ndarray
        :math:`\tilde m` as the hidden layer sees it, of shape
        (batch, n_steps, memory_d * order), channel-major.

    Examples
    --------
    With a linear activation and no feedback, the hidden state is a linear
    readout of the memory:

    >>> from nengo_lmu import discretize, legendre_delay
    >>> Ad, Bd = discretize(*legendre_delay(theta=10.0, order=4), dt=1.0)
    >>> weights = {"e_x": np.ones((1, 1)), "W_m": np.eye(4)}
    >>> inputs = np.random.default_rng(0).standard_normal((2, 30, 1))
    >>> hidden, memory = evaluate_cell(inputs, Ad, Bd, weights, lambda J: J)
    >>> np.allclose(hidden, evaluate_memory(inputs, Ad, Bd))
    True
    """
    Ad, Bd = _check_discrete_system(Ad, Bd)
    inputs = _check_inputs(inputs)
    batched = inputs.ndim == 3
    x = (inputs if batched else inputs[None]).astype(float)
    check_integer(memory_delay, "memory_delay", low=0)
    check_choice(method, "method", EVALUATE_METHODS)
    if not callable(activation):
        raise ValidationError(
            f"must be callable (got {describe(activation)})", attr="activation"
        )
    weights = _check_cell_weights(weights, x.shape[-1], len(Ad))
    num, den = _check_feedback(feedback)
    batch, n_steps, _ = x.shape
    n_hidden, memory_size = weights["W_m"].shape
    memory_d = memory_size // len(Ad)

    u_direct = x @ weights["e_x"].T + weights["u_bias"]
    currents_direct = np.broadcast_to(weights["bias"], (batch, n_steps, n_hidden))
    if "W_x" in weights:
        currents_direct = currents_direct + x @ weights["W_x"].T
    memory_feedback = "e_h" in weights or "e_m" in weights
    if not memory_feedback:
        memory = evaluate_memory(u_direct, Ad, Bd, method=method)
        memory = _delay_steps(memory, memory_delay)
        currents_direct = currents_direct + memory @ weights["W_m"].T
        if "W_h" not in weights:
            hidden = activation(currents_direct)
            return (hidden, memory) if batched else (hidden[0], memory[0])
    else:
        memory = np.zeros((batch, n_steps, memory_size))

    # Feedback filter as a state-space system s[k+1] = F_A s[k] + F_B v[k],
    # (F v)[k] = F_C s[k] (strictly proper: no direct term).
    F_A, F_B, F_C, _ = scipy.signal.tf2ss(num, den)
    F_B, F_C = F_B[:, 0], F_C[0]
    hidden_filter = np.zeros((batch, n_hidden, len(F_A)))
    memory_filter = np.zeros((batch, memory_size, len(F_A)))
    state = np.zeros((batch, memory_d, len(Ad)))
    pending = [np.zeros((batch, memory_size))] * memory_delay
    hidden = np.empty((batch, n_steps, n_hidden))
    for k in range(n_steps):
        hidden_fed_back = hidden_filter @ F_C
        currents = currents_direct[:, k]
        if memory_feedback:
            u = u_direct[:, k]
            if "e_h" in weights:
                u = u + hidden_fed_back @ weights["e_h"].T
            if "e_m" in weights:
                u = u + (memory_filter @ F_C) @ weights["e_m"].T
            state = state @ Ad.T + u[..., None] * Bd[:, 0]
            pending.append(state.reshape(batch, memory_size))
            memory[:, k] = pending.pop(0)
            currents = currents + memory[:, k] @ weights["W_m"].T
            memory_filter = memory_filter @ F_A.T + memory[:, k, :, None] * F_B
        if "W_h" in weights:
            currents = currents + hidden_fed_back @ weights["W_h"].T
        hidden[:, k] = activation(currents)
        hidden_filter = hidden_filter @ F_A.T + hidden[:, k, :, None] * F_B
    return (hidden, memory) if batched else (hidden[0], memory[0])


def _delay_steps(sequences, steps):
    """``sequences`` (batch, n_steps, n) delayed by ``steps``, zeros first."""
    if steps == 0:
        return sequences
    delayed = np.zeros_like(sequences)
    delayed[:, steps:] = sequences[:, :-steps]
    return delayed


CELL_WEIGHT_SHAPES = {
    "e_x": ("memory_d", "size_in"),
    "u_bias": ("memory_d",),
    "e_h": ("memory_d", "n_hidden"),
    "e_m": ("memory_d", "memory_size"),
    "W_m": ("n_hidden", "memory_size"),
    "W_x": ("n_hidden", "size_in"),
    "W_h": ("n_hidden", "n_hidden"),
    "bias": ("n_hidden",),
}


def _check_cell_weights(weights, size_in, order):
    """Return the cell's weights as float arrays of consistent shapes."""
    if not isinstance(weights, Mapping):
        raise ValidationError(
            f"must be a mapping of names to arrays (got {describe(weights)})",
            attr="weights",
        )
    unknown = set(weights) - set(CELL_WEIGHT_SHAPES)
    if unknown:
        raise ValidationError(
            f"has unknown keys {sorted(unknown)} (accepted: "
            f"{sorted(CELL_WEIGHT_SHAPES)})",
            attr="weights",
        )
    for required in ("e_x", "W_m"):
        if required not in weights:
            raise ValidationError(f"needs {required!r}", attr="weights")
    e_x = check_matrix(weights["e_x"], "weights['e_x']", (None, None))
    if e_x.shape[1] != size_in:
        raise ValidationError(
            f"must have one column per channel of inputs ({size_in}; got shape "
            f"{e_x.shape})",
            attr="weights['e_x']",
        )
    W_m = check_matrix(weights["W_m"], "weights['W_m']", (None, len(e_x) * order))
    sizes = dict(
        memory_d=len(e_x),
        size_in=size_in,
        n_hidden=len(W_m),
        memory_size=len(e_x) * order,
    )
    checked = {}
    for name, value in weights.items():
        shape = tuple(sizes[size] for size in CELL_WEIGHT_SHAPES[name])
        checked[name] = check_matrix(value, f"weights[{name!r}]", shape)
    checked.setdefault("u_bias", np.zeros(sizes["memory_d"]))
    checked.setdefault("bias", np.zeros(sizes["n_hidden"]))
    return checked


def _check_feedback(feedback):
    """Return ``(num, den)`` of a strictly proper transfer function."""
    try:
        num, den = (np.atleast_1d(np.asarray(c, dtype=float)) for c in feedback)
    except (TypeError, ValueError):
        raise ValidationError(
            f"must be a pair (num, den) of coefficient arrays (got {feedback!r})",
            attr="feedback",
        ) from None
    if not (np.all(np.isfinite(num)) and np.all(np.isfinite(den))):
        raise ValidationError(
            f"must have finite coefficients (got {feedback!r})", attr="feedback"
        )
    num = np.trim_zeros(num, "f")
    if num.ndim != 1 or den.ndim != 1 or den[0] == 0 or len(num) >= len(den):
        raise ValidationError(
            "must be a strictly proper transfer function (num, den), highest "
            f"power first, with len(num) < len(den) (got {feedback!r})",
            attr="feedback",
        )
    return num, den
