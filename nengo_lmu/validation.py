"""Argument checks shared by the math and the networks.

Each check raises `nengo.exceptions.ValidationError` naming the parameter, the value
it got and what it accepts, so that bad input fails where it is given.
"""

import numbers

import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import IntParam, NumberParam


def check_positive(value, attr, obj=None):
    """Return ``value`` as a float if it is finite and strictly positive."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(
            f"must be a finite number > 0 (got {value!r})", attr=attr, obj=obj
        )
    return float(value)


def check_nonnegative(value, attr, obj=None):
    """Return ``value`` as a float if it is finite and >= 0."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValidationError(
            f"must be a finite number >= 0 (got {value!r})", attr=attr, obj=obj
        )
    return float(value)


def check_integer(value, attr, low=1, obj=None):
    """Return ``value`` as an int if it is an integer >= ``low``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        raise ValidationError(
            f"must be an integer >= {low} (got {value!r})", attr=attr, obj=obj
        )
    return int(value)


def check_matrix(value, attr, shape, obj=None):
    """Return ``value`` as a finite float array of the given shape.

    ``shape`` may contain ``None`` for a dimension of any size.
    """
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"must be a numeric array (got {value!r})", attr=attr, obj=obj
        ) from None
    expected = ", ".join("any" if n is None else str(n) for n in shape)
    expected = f"({expected},)" if len(shape) == 1 else f"({expected})"
    if array.ndim != len(shape) or any(
        n is not None and n != m for n, m in zip(shape, array.shape)
    ):
        raise ValidationError(
            f"must have shape {expected} (got shape {array.shape})",
            attr=attr,
            obj=obj,
        )
    if not np.all(np.isfinite(array)):
        raise ValidationError("must not contain NaN or inf", attr=attr, obj=obj)
    return array


def check_system(A, B):
    """Return ``(A, B)`` as float arrays if they form a state-space system.

    ``A`` must be square (n, n) and ``B`` must be (n, k); a 1-D ``B`` is taken as
    one input column.
    """
    A = check_matrix(A, "A", (None, None))
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValidationError(
            f"must be a non-empty square matrix (got shape {A.shape})", attr="A"
        )
    if np.ndim(B) == 1:
        B = np.reshape(B, (-1, 1))
    B = check_matrix(B, "B", (A.shape[0], None))
    return A, B


class _PicklableParam:
    """Keeps a parameter's value in the instance's ``__dict__`` as well.

    Nengo's parameters store their values in the descriptor, keyed by instance.
    ``nengo.Network`` pickles and copies only its ``__dict__`` (nengo objects also
    save their ``params``), so without this copy a pickled or deep-copied network
    loses them. Unpickling sets the value again, through the descriptor.
    """

    def __set__(self, instance, value):
        super().__set__(instance, value)
        instance.__dict__[self.name] = self.data[instance]

    def __delete__(self, instance):
        super().__delete__(instance)
        instance.__dict__.pop(self.name, None)


class PositiveParam(_PicklableParam, NumberParam):
    """A readonly network parameter that must be a finite number > 0."""

    def __init__(self, name, readonly=True):
        super().__init__(name, low=0, low_open=True, readonly=readonly)

    def coerce(self, instance, value):
        value = check_positive(value, self.name, obj=instance)
        return super().coerce(instance, value)


class IntegerParam(_PicklableParam, IntParam):
    """A readonly network parameter that must be an integer >= ``low``."""

    def __init__(self, name, low=1, optional=False, readonly=True):
        super().__init__(name, low=low, optional=optional, readonly=readonly)

    def coerce(self, instance, value):
        if not (value is None and self.optional):
            value = check_integer(value, self.name, low=self.low, obj=instance)
        return super().coerce(instance, value)
