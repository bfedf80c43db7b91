"""Argument checks shared by the math and the networks.

Each check raises `nengo.exceptions.ValidationError` naming the parameter, the value
it got and what it accepts, so that bad input fails where it is given.
"""

import numbers

import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import IntParam, NumberParam


def _finite_real(value):
    """``value`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def check_positive(value, attr, obj=None):
    """Return ``value`` as a float if it is finite and strictly positive."""
    number = _finite_real(value)
    if number is None or number <= 0:
        raise ValidationError(
            f"must be a finite number > 0 (got {describe(value)})", attr=attr, obj=obj
        )
    return number


def check_nonnegative(value, attr, obj=None):
    """Return ``value`` as a float if it is finite and >= 0."""
    number = _finite_real(value)
    if number is None or number < 0:
        raise ValidationError(
            f"must be a finite number >= 0 (got {describe(value)})", attr=attr, obj=obj
        )
    return number


def check_integer(value, attr, low=1, obj=None):
    """Return ``value`` as an int if it is an integer >= ``low``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        raise ValidationError(
            f"must be an integer >= {low} (got {describe(value)})", attr=attr, obj=obj
        )
    return int(value)


def check_real(value, attr, obj=None):
    """Return ``value`` as a float if it is a finite real number (not a bool)."""
    number = _finite_real(value)
    if number is None:
        raise ValidationError(
            f"must be a finite real number (got {describe(value)})", attr=attr, obj=obj
        )
    return number


def check_bool(value, attr, obj=None):
    """Return ``value`` as a bool if it is one (``True``, ``False``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(
            f"must be True or False (got {describe(value)})", attr=attr, obj=obj
        )
    return bool(value)


def check_choice(value, attr, choices, obj=None):
    """Return ``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(
            f"must be one of {tuple(choices)} (got {describe(value)})",
            attr=attr,
            obj=obj,
        )
    return value


def check_instance(value, attr, types, accepted, obj=None):
    """Return ``value`` if it is an instance of ``types``; ``accepted`` names them."""
    if not isinstance(value, types):
        raise ValidationError(
            f"must be {accepted} (got {describe(value)})", attr=attr, obj=obj
        )
    return value


def check_seed(value, attr="seed", obj=None):
    """Return ``value`` if it is None or a seed numpy accepts (0 to 2**32 - 1)."""
    if value is not None and (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or not 0 <= value < 2**32
    ):
        raise ValidationError(
            f"must be None or an integer from 0 to 2**32 - 1 (got {describe(value)})",
            attr=attr,
            obj=obj,
        )
    return value


def describe(value):
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray) and value.size > 6:
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_real_array(value, attr, obj=None):
    """Return ``value`` as a float array if it holds only real numbers.

    Strings, booleans, complex numbers and ragged nestings are refused, rather than
    converted (``"1"`` to 1.0, ``True`` to 1.0) or truncated (``1+2j`` to 1.0).
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is not None and array.dtype.kind == "O":
        # Python objects: numbers such as Fraction or int beyond 64 bits are real
        if all(
            isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))
            for x in array.flat
        ):
            try:
                array = array.astype(float)
            except (OverflowError, TypeError, ValueError):
                array = None
        else:
            array = None
    if array is None or array.dtype.kind not in "iuf":
        raise ValidationError(
            f"must be an array of real numbers (got {describe(value)})",
            attr=attr,
            obj=obj,
        )
    return array.astype(float, copy=False)


def check_matrix(value, attr, shape, obj=None):
    """Return ``value`` as a finite float array of the given shape.

    ``shape`` may contain ``None`` for a dimension of any size.
    """
    array = as_real_array(value, attr, obj=obj)
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


def check_square(value, attr, obj=None):
    """Return ``value`` as a finite, non-empty, square float matrix."""
    matrix = check_matrix(value, attr, (None, None), obj=obj)
    if matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValidationError(
            f"must be a non-empty square matrix (got shape {matrix.shape})",
            attr=attr,
            obj=obj,
        )
    return matrix


def check_system(A, B, names=("A", "B")):
    """Return ``(A, B)`` as float arrays if they form a state-space system.

    ``A`` must be square (n, n) and ``B`` must be (n, k) with k >= 1; a 1-D ``B`` is
    taken as one input column. ``names`` are the parameter names for the errors.
    """
    A_name, B_name = names
    A = check_square(A, A_name)
    B = as_real_array(B, B_name)
    B = check_matrix(B[:, None] if B.ndim == 1 else B, B_name, (None, None))
    if B.shape[0] != len(A) or B.shape[1] == 0:
        raise ValidationError(
            f"must have shape ({len(A)}, k) with k >= 1, one row per row of "
            f"{A_name} {A.shape} (got shape {B.shape})",
            attr=B_name,
        )
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
