"""Measuring memories: error metrics and exactly delayed targets."""

import numbers

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu.validation import (
    as_real_array,
    check_integer,
    check_nonnegative,
    check_real,
    describe,
)


def nrmse(estimate, target, axis=0):
    r"""Normalised root-mean-square error, :math:`RMS(x - y) / RMS(y)`.

    Parameters
    ----------
    estimate : array_like
        The estimate :math:`x`: finite real numbers.
    target : array_like
        The target :math:`y`, finite, of the same shape, and not zero throughout
        along ``axis``.
    axis : int or None, optional
        Axis over which the RMS is taken; None for all elements.

    Returns
    -------
    float or ndarray
        The NRMSE, one per remaining index if ``axis`` is not None.

    Raises
    ------
    nengo.exceptions.ValidationError
        If an argument is not finite, the shapes differ, ``axis`` is not an axis
        of them, or the target is zero (its rms would divide by zero).

    Examples
    --------
    >>> print(f"{nrmse([1.1, -0.9], [1.0, -1.0]):.3f}")
    0.100
    """
    target = _check_signal(target, "target")
    estimate = _check_signal(estimate, "estimate")
    if estimate.shape != target.shape:
        raise ValidationError(
            f"must have the shape of target {target.shape} (got {estimate.shape})",
            attr="estimate",
        )
    if axis is not None and (
        isinstance(axis, (bool, np.bool_))
        or not isinstance(axis, numbers.Integral)
        or not -target.ndim <= axis < target.ndim
    ):
        raise ValidationError(
            f"must be None or an axis of the {target.ndim}-D arrays (got "
            f"{describe(axis)})",
            attr="axis",
        )
    target_rms = np.sqrt(np.mean(target**2, axis=axis))
    if np.any(target_rms == 0):
        raise ValidationError(
            "must not be zero throughout (along axis): its rms normalises the error",
            attr="target",
        )
    rms_error = np.sqrt(np.mean((estimate - target) ** 2, axis=axis))
    return rms_error / target_rms


def periodic_delay(signal, steps):
    """Delay a periodic, band-limited sampled signal by any number of steps.

    The samples are taken to be one period of a signal band-limited below the
    Nyquist frequency (such as `nengo.processes.WhiteSignal` over one period), so
    a delay by a fraction of a step is exact: a phase shift of its Fourier series.

    Parameters
    ----------
    signal : (n_steps, ...) array_like
        One period of the signal, sampled along the first axis (finite).
    steps : float
        The delay in time steps (finite); need not be an integer.

    Returns
    -------
    (n_steps, ...) ndarray
        ``delayed[k] = signal(k - steps)``, wrapping around the period.

    Examples
    --------
    A whole-step delay is a roll; a half step interpolates exactly:

    >>> x = np.sin(2 * np.pi * np.arange(8) / 8)
    >>> np.allclose(periodic_delay(x, 1), np.roll(x, 1))
    True
    >>> np.allclose(periodic_delay(x, 0.5), np.sin(2 * np.pi * (np.arange(8) - 0.5) / 8))
    True
    """
    signal = _check_signal(signal, "signal")
    steps = check_real(steps, "steps")
    n_steps = signal.shape[0]
    frequencies = np.fft.rfftfreq(n_steps)
    phase = np.exp(-2j * np.pi * frequencies * steps)
    phase = phase.reshape((-1,) + (1,) * (signal.ndim - 1))
    return np.fft.irfft(np.fft.rfft(signal, axis=0) * phase, n=n_steps, axis=0)


def _check_signal(value, attr):
    """Return ``value`` as a finite float array with at least one dimension."""
    array = as_real_array(value, attr)
    if array.ndim == 0 or array.size == 0:
        raise ValidationError(
            "must be a non-empty array with at least one dimension (got "
            f"{describe(value)}, shape {array.shape})",
            attr=attr,
        )
    if not np.all(np.isfinite(array)):
        raise ValidationError("must not contain NaN or inf", attr=attr)
    return array


class Delay(nengo.Process):
    """The input delayed by a whole number of time steps: a target for learning.

    ``output[k] = input[k - round(delay / dt)]`` (zero before that), with the
    input's current value included in the same step.

    Parameters
    ----------
    delay : float
        The delay in seconds (>= 0); rounded to whole time steps.
    size : int, optional
        Dimensions of the input and output.

    Examples
    --------
    >>> import nengo
    >>> with nengo.Network() as model:
    ...     stim = nengo.Node(lambda t: t)
    ...     delayed = nengo.Node(Delay(0.003), size_in=1)
    ...     _ = nengo.Connection(stim, delayed, synapse=None)
    ...     probe = nengo.Probe(delayed)
    >>> with nengo.Simulator(model, progress_bar=False) as sim:
    ...     sim.run_steps(5)
    >>> print(sim.data[probe].ravel())
    [0.    0.    0.    0.001 0.002]
    """

    delay = nengo.params.NumberParam("delay", low=0)

    def __init__(self, delay, size=1, **kwargs):
        delay = check_nonnegative(delay, "delay")
        size = check_integer(size, "size", low=1)
        super().__init__(default_size_in=size, default_size_out=size, **kwargs)
        self.delay = delay

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        # The buffer and the position in it are simulator state (signals), so that
        # they are reset with the simulator and saved when it is pickled. The
        # position is counted rather than computed from t, which float32 rounds.
        n_slots = int(round(self.delay / dt)) + 1
        dtype = nengo.rc.float_dtype if dtype is None else dtype
        return {
            "buffer": np.zeros((n_slots,) + tuple(shape_in), dtype=dtype),
            "position": np.zeros(1, dtype=dtype),
        }

    def make_step(self, shape_in, shape_out, dt, rng, state):
        buffer, position = state["buffer"], state["position"]
        n_slots = len(buffer)

        def step(t, x):
            # Write the input, then move to (and read) the oldest slot.
            current = int(position[0])
            buffer[current] = x
            position[0] = (current + 1) % n_slots
            return buffer[(current + 1) % n_slots]

        return step
