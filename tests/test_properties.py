"""Property-based tests of the arguments of everything in ``nengo_lmu.__all__``.

Each parameter is given values it does not accept (drawn by hypothesis), the other
parameters valid ones: the call must raise nengo's ``ValidationError`` naming the
parameter, and the value if it is a scalar. Never another exception (TypeError,
ValueError, numpy's errors), never a network built from a wrong value. Valid
values of any magnitude give finite results or a ``ValidationError``.
"""

import math
import numbers
import re

import nengo
import numpy as np
from scipy.signal import cont2discrete
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import (
    LMU,
    Delay,
    LegendreMemory,
    SynapseMapping,
    balanced_realization,
    discretize,
    euler_max_dt,
    evaluate_cell,
    evaluate_memory,
    impulse_response,
    lead_correction,
    legendre_delay,
    legendre_readout,
    legendre_realization,
    nrmse,
    periodic_delay,
    realize,
    state_scaling,
    synapse_mapping,
)

SETTINGS = settings(max_examples=25, deadline=None)

# ---------------------------------------------------------------------------
# Strategies for invalid values
# ---------------------------------------------------------------------------

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan")])
NOT_NUMBERS = st.one_of(
    st.booleans(),
    st.just(np.bool_(True)),
    st.text(max_size=4),
    st.none(),
    st.lists(st.floats(-1, 1), min_size=1, max_size=3),
    st.just(np.array([0.5, 1.5])),
    st.complex_numbers(min_magnitude=0.5, max_magnitude=2).filter(
        lambda z: z.imag != 0
    ),
    st.just(object()),
    st.just({"value": 1.0}),
)
NOT_NUMBERS_OR_NONE = NOT_NUMBERS.filter(lambda value: value is not None)


def not_positive():
    return st.one_of(
        st.floats(max_value=0.0),
        st.integers(max_value=0),
        NON_FINITE,
        NOT_NUMBERS,
    )


def negative():
    return st.one_of(
        st.floats(max_value=-1e-300), st.integers(max_value=-1), NON_FINITE, NOT_NUMBERS
    )


def not_integer(low=1, optional=False):
    """Values that are not integers >= ``low`` (None is valid if ``optional``)."""
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=-(2**63), max_value=low - 1).map(np.int64),
        st.floats(allow_nan=True),  # 3.0 included: floats are not integers
        st.just(np.float64(2.0)),
        NON_FINITE,
        NOT_NUMBERS_OR_NONE if optional else NOT_NUMBERS,
    )


def not_bool():
    return st.one_of(
        st.integers(0, 1),
        st.text(max_size=3),
        st.none(),
        st.floats(0, 1),
        st.just([True]),
    )


def not_choice(choices):
    return st.one_of(
        st.text(max_size=8).filter(lambda text: text not in choices),
        st.just(choices[0].upper()),
        st.just([choices[0]]),
        st.just(np.array([choices[0], "x"])),
        st.integers(),
        st.none(),
    )


def not_arrays(shape):
    """Values that are not finite real arrays of ``shape`` (other shapes are not
    drawn here: see `wrong_shapes`)."""
    size = int(np.prod(shape))

    def with_bad_entry(bad):
        array = np.full(shape, 0.5)
        array.flat[size // 2] = bad
        return array

    return st.one_of(
        NON_FINITE.map(with_bad_entry),
        st.just(np.full(shape, "1.0")),
        st.just(np.ones(shape, dtype=bool)),
        st.just(np.full(shape, 1 + 1j)),
        st.just(np.full(shape, None)),
        st.just([[1.0], [1.0, 2.0]]),  # ragged
        st.none(),
        st.text(max_size=4),
        st.just(object()),
    )


def wrong_shapes(valid):
    """Finite arrays of shapes for which ``valid(shape)`` is False."""
    return hnp.arrays(
        float,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4).filter(
            lambda shape: not valid(shape)
        ),
        elements=st.floats(-1, 1),
    )


def bad_array(shape, valid=None):
    valid = (lambda s: s == tuple(shape)) if valid is None else valid
    return st.one_of(not_arrays(shape), wrong_shapes(valid))


def bad_square(n):
    return bad_array((n, n), valid=lambda shape: len(shape) == 2 and shape[0] == n)


def bad_input_matrix(n, columns=None):
    """Not an (n, k) input matrix (or an (n,) vector), k = ``columns`` if given."""

    def valid(shape):
        if columns is None:
            return shape == (n,) or (len(shape) == 2 and shape[0] == n and shape[1] > 0)
        return shape == (n, columns)

    return bad_array((n, 1), valid=valid)


def bad_synapse():
    return st.one_of(
        st.none(),
        st.floats(max_value=-1e-300),
        NON_FINITE,
        st.booleans(),
        st.text(max_size=4),
        st.just(nengo.synapses.Triangle(0.1)),
        st.just(nengo.LinearFilter([1], [1e-6, 3e-4, 0.03, 1])),  # order 3
        st.just(nengo.LinearFilter([math.nan], [0.1, 1])),
        st.just(nengo.LinearFilter([0], [0.1, 1])),  # no output at all
        st.just(object()),
    )


def bad_process():
    return st.one_of(
        st.just("noise"),
        st.just(nengo.processes.WhiteSignal(1.0, high=5, default_size_out=2)),
        st.just(Delay(0.01)),  # a process with an input
        st.just(lambda t: 0.0),
        st.just(np.zeros(10)),
    )


def bad_rng():
    return st.one_of(
        st.integers(0, 10),
        st.just(np.random.default_rng(0)),  # a Generator, not a RandomState
        st.text(max_size=3),
        st.booleans(),
    )


def bad_seed():
    return st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=2**32, max_value=2**70),
        st.floats(allow_nan=True),
        st.text(max_size=3),
    )


# ---------------------------------------------------------------------------
# Valid calls, and the invalid values of each parameter
# ---------------------------------------------------------------------------

N = 3
A, B = legendre_delay(1.0, N)
AD, BD = discretize(A, B, 0.001)
MAPPING = synapse_mapping(AD, BD, nengo.Lowpass(0.1), 0.001)
UNSTABLE = np.diag([1.0, -1.0, -2.0])


def build(cls):
    """Call ``cls`` with add_to_container=False (networks need a context)."""

    def call(**kwargs):
        return cls(**kwargs, add_to_container=False)

    call.__name__ = cls.__name__
    return call


def add_output(**kwargs):
    memory = LegendreMemory(0.1, 4, add_to_container=False)
    return memory.add_output(**kwargs)


def visited_states(**kwargs):
    memory = LegendreMemory(0.1, 4, add_to_container=False)
    return memory.visited_states(**kwargs)


# Each entry: name -> (callable, valid keyword arguments, {parameter: strategy}).
CASES = {
    "legendre_delay": (
        legendre_delay,
        dict(theta=0.1, order=4),
        dict(theta=not_positive(), order=not_integer(1)),
    ),
    "legendre_readout": (
        legendre_readout,
        dict(order=4, r=[0.0, 0.5, 1.0]),
        dict(
            order=not_integer(1),
            r=st.one_of(
                st.floats().filter(lambda r: not 0 <= r <= 1),
                NON_FINITE,
                NOT_NUMBERS.filter(
                    lambda r: not isinstance(r, (list, np.ndarray))
                    or not np.all((np.asarray(r) >= 0) & (np.asarray(r) <= 1))
                ),
                st.just([]),
                st.just([[0.5]]),
                st.just(np.zeros((2, 2))),
            ),
        ),
    ),
    "discretize": (
        discretize,
        dict(A=A, B=B, dt=0.001, method="zoh"),
        dict(
            A=st.one_of(bad_square(N), st.just(UNSTABLE)),
            B=bad_input_matrix(N),
            dt=not_positive(),
            method=not_choice(("zoh", "euler", "bilinear")),
        ),
    ),
    "euler_max_dt": (
        euler_max_dt,
        dict(A=A),
        dict(
            A=bad_array(
                (N, N),
                valid=lambda shape: len(shape) == 2 and shape[0] == shape[1] > 0,
            )
        ),
    ),
    "synapse_mapping": (
        synapse_mapping,
        dict(Ad=AD, Bd=BD, synapse=0.1, dt=0.001),
        dict(
            Ad=bad_square(N),
            Bd=bad_input_matrix(N),
            synapse=bad_synapse(),
            dt=not_positive(),
        ),
    ),
    "SynapseMapping": (
        SynapseMapping,
        dict(MAPPING._asdict()),
        dict(
            recurrent_transform=bad_square(N),
            input_transforms=st.one_of(
                st.just(()),
                st.just(np.ones((N, 1))),  # an array, not a tuple of them
                bad_input_matrix(N).map(lambda matrix: (matrix,)),
                st.just((np.ones((N, 1)), np.ones((N, 2)))),
                NOT_NUMBERS,
            ),
            input_synapses=st.one_of(
                st.just(()),
                st.just((nengo.Lowpass(0.1), nengo.Lowpass(0.1))),
                st.just((0.1,)),
                st.just(nengo.Lowpass(0.1)),
                NOT_NUMBERS,
            ),
        ),
    ),
    "lead_correction": (
        lead_correction,
        dict(mapping=MAPPING, lead=0.001, tau=0.1),
        dict(
            mapping=st.one_of(
                st.just(tuple(MAPPING)), st.just(MAPPING._asdict()), NOT_NUMBERS
            ),
            lead=st.one_of(
                st.floats(min_value=0.1),
                st.floats(max_value=-0.1),
                NON_FINITE,
                NOT_NUMBERS.filter(
                    lambda x: not isinstance(x, (list, np.ndarray))
                    or np.size(x) not in (1, N)
                ),
                st.just(np.zeros(N + 1)),
                st.just(np.zeros((N, 1))),
            ),
            tau=not_positive(),
        ),
    ),
    "evaluate_memory": (
        evaluate_memory,
        dict(inputs=np.ones((5, 2)), Ad=AD, Bd=BD, method="fft"),
        dict(
            inputs=st.one_of(
                not_arrays((5, 2)).filter(
                    lambda x: not (isinstance(x, np.ndarray) and x.dtype == bool)
                ),
                wrong_shapes(lambda shape: len(shape) in (2, 3) and 0 not in shape),
            ),
            Ad=bad_square(N),
            Bd=bad_input_matrix(N, columns=1),
            method=not_choice(("fft", "recurrence")),
        ),
    ),
    "evaluate_cell": (
        evaluate_cell,
        dict(
            inputs=np.ones((5, 2)),
            Ad=AD,
            Bd=BD,
            weights=dict(e_x=np.ones((1, 2)), W_m=np.ones((4, N)), e_h=np.ones((1, 4))),
            activation=np.tanh,
        ),
        dict(
            inputs=st.one_of(
                not_arrays((5, 2)).filter(
                    lambda x: not (isinstance(x, np.ndarray) and x.dtype == bool)
                ),
                wrong_shapes(
                    lambda shape: len(shape) in (2, 3)
                    and 0 not in shape
                    and shape[-1] == 2
                ),
            ),
            Ad=bad_square(N),
            Bd=bad_input_matrix(N, columns=1),
            weights=st.one_of(
                NOT_NUMBERS,
                st.just(dict(e_x=np.ones((1, 2)))),  # no W_m
                st.just(dict(e_x=np.ones((1, 3)), W_m=np.ones((4, N)))),
                st.just(dict(e_x=np.ones((1, 2)), W_m=np.ones((4, N)), W_y=1.0)),
                bad_array((4, N)).map(lambda W_m: dict(e_x=np.ones((1, 2)), W_m=W_m)),
            ),
            activation=st.one_of(st.just("tanh"), st.integers(), st.none()),
            feedback=st.one_of(
                st.just(((1.0,), (1.0,))),  # not strictly proper
                st.just(((1.0,), (0.0, 1.0))),
                st.just(((math.nan,), (1.0, 0.0))),
                st.just(((1.0,), (1.0, math.inf))),
                st.just("lowpass"),
                st.just(0.1),
                NOT_NUMBERS,
            ),
            memory_delay=not_integer(0),
            method=not_choice(("fft", "recurrence")),
        ),
    ),
    "impulse_response": (
        impulse_response,
        dict(Ad=AD, Bd=BD, n_steps=10),
        dict(
            Ad=bad_square(N), Bd=bad_input_matrix(N, columns=1), n_steps=not_integer(1)
        ),
    ),
    "balanced_realization": (
        balanced_realization,
        dict(A=A, B=B, C=np.ones((1, N))),
        dict(
            A=st.one_of(bad_square(N), st.just(UNSTABLE)),
            B=bad_input_matrix(N),
            C=bad_array(
                (1, N),
                valid=lambda shape: shape == (N,)
                or (len(shape) == 2 and shape[1] == N and shape[0] > 0),
            ),
        ),
    ),
    "state_scaling": (
        state_scaling,
        dict(A=A, B=B, dt=0.001, band_limit=1.0, rms=0.5),
        dict(
            A=st.one_of(bad_square(N), st.just(UNSTABLE)),
            B=bad_input_matrix(N),
            dt=not_positive(),
            band_limit=not_positive().filter(lambda x: x is not None),
            rms=not_positive(),
            n_steps=not_integer(1, optional=True),
            rng=bad_rng(),
        ),
    ),
    "state_scaling with input_process": (
        state_scaling,
        dict(A=A, B=B, dt=0.001, n_steps=100),
        dict(input_process=bad_process()),
    ),
    "realize": (
        realize,
        dict(A=A, B=B, C=np.ones((1, N)), band_limit=1.0),
        dict(
            C=bad_array(
                (1, N),
                valid=lambda shape: shape == (N,)
                or (len(shape) == 2 and shape[1] == N and shape[0] > 0),
            ),
            balance=not_bool(),
            rng=bad_rng(),
            dt=not_positive(),
        ),
    ),
    "legendre_realization": (
        legendre_realization,
        dict(order=4, rms=0.5),
        dict(order=not_integer(1), rms=not_positive()),
    ),
    "nrmse": (
        nrmse,
        dict(estimate=np.ones((4, 2)), target=np.full((4, 2), 2.0), axis=0),
        dict(
            estimate=bad_array((4, 2)),
            target=st.one_of(
                bad_array((4, 2)),
                st.just(np.zeros((4, 2))),
                st.just(np.array([[0.0, 1.0]] * 4)),  # zero along axis 0
            ),
            axis=st.one_of(
                st.integers().filter(lambda axis: not -2 <= axis < 2),
                st.floats(),
                st.text(max_size=2),
                st.booleans(),
                st.just((0, 1, 2)),
            ),
        ),
    ),
    "periodic_delay": (
        periodic_delay,
        dict(signal=np.ones((8, 2)), steps=1.5),
        dict(
            signal=st.one_of(
                not_arrays((8, 2)).filter(lambda x: not isinstance(x, list)),
                st.just([]),
                st.just(np.zeros((0, 2))),
                st.just(3.0),
            ),
            steps=st.one_of(NON_FINITE, NOT_NUMBERS),
        ),
    ),
    "Delay": (
        Delay,
        dict(delay=0.01, size=1),
        dict(delay=negative(), size=not_integer(1)),
    ),
    "LegendreMemory": (
        build(LegendreMemory),
        dict(theta=0.1, order=4, n_neurons=10, neuron_type=nengo.LIFRate()),
        dict(
            theta=not_positive(),
            order=not_integer(1),
            size_in=not_integer(1),
            n_neurons=not_integer(1, optional=True),
            neuron_type=st.one_of(
                st.just("LIF"), st.just(nengo.LIF), st.none(), st.integers()
            ),
            synapse=bad_synapse(),
            dt=not_positive(),
            input_process=bad_process(),
            radius=not_positive(),
            solver=st.one_of(
                st.just("lstsq"), st.just(nengo.solvers.LstsqL2), st.none()
            ),
            seed=bad_seed(),
            label=st.integers(),
            loop=not_choice(("state", "direct")),
            min_coupling=negative(),
            ens_kwargs=st.one_of(
                st.just([("max_rates", 100)]),
                st.just("max_rates"),
                st.just({"n_neurons": 10}),
                st.just({"neuron_type": nengo.LIF()}),
                st.just({"unknown": 1}),
            ),
        ),
    ),
    "LegendreMemory exact": (
        # the neural options are checked even though the exact memory ignores them
        build(LegendreMemory),
        dict(theta=0.1, order=4),
        dict(
            neuron_type=st.one_of(st.just("LIF"), st.just(nengo.LIF)),
            synapse=bad_synapse(),
            input_process=bad_process(),
            solver=st.just("lstsq"),
            seed=bad_seed(),
        ),
    ),
    "LegendreMemory.add_output": (
        add_output,
        dict(r=[0.5], function=None),
        dict(
            r=st.one_of(st.floats().filter(lambda r: not 0 <= r <= 1), NON_FINITE),
            function=st.one_of(st.text(max_size=3), st.integers()),
            n_neurons=not_integer(1, optional=True),
            synapse=st.one_of(
                st.floats(max_value=-1e-300), NON_FINITE, st.text(max_size=3)
            ),
            label=st.integers(),
        ),
    ),
    "LegendreMemory.visited_states": (
        visited_states,
        dict(n_samples=10),
        dict(n_samples=not_integer(1), rng=bad_rng()),
    ),
}

# Values the LMU once took without complaint, each with how it went wrong; they are
# checked one by one below, in addition to the drawn values.
LMU_REGRESSIONS = {
    "neuron_type": (
        "AttributeError/TypeError on a type, not an instance",
        ["LIF", nengo.LIF],
    ),
    "encoders": ("TypeError/ValueError from dict() of a non-mapping", [[1.0, 2.0]]),
    "kernels": ("TypeError/ValueError from dict() of a non-mapping", ["memory"]),
    "hidden_to_memory": ("a non-bool taken for its truth value", ["no", 0]),
    "memory_to_memory": ("a non-bool taken for its truth value", ["no", 1]),
    "input_to_hidden": ("a non-bool taken for its truth value", ["no", 1]),
    "hidden_to_hidden": ("a non-bool taken for its truth value", ["no", 1]),
    "seed": ("ValueError from numpy.random.RandomState(seed) for seed < 0", [-1]),
    "synapse": (
        "True/False taken as synapses; NaN raised TypeError",
        [True, False, math.nan],
    ),
    "memory_neurons": (
        "checked by LegendreMemory, the error named n_neurons",
        [2.0, 0],
    ),
}

CASES["LMU"] = (
    build(LMU),
    dict(theta=0.1, order=4, n_hidden=10, size_out=1),
    dict(
        theta=not_positive(),
        order=not_integer(1),
        n_hidden=not_integer(1),
        size_in=not_integer(1),
        memory_d=not_integer(1),
        size_out=not_integer(1, optional=True),
        neuron_type=st.one_of(st.just("LIF"), st.just(nengo.LIF), st.integers()),
        memory_neurons=not_integer(1, optional=True),
        hidden_to_memory=not_bool(),
        memory_to_memory=not_bool(),
        input_to_hidden=not_bool(),
        hidden_to_hidden=not_bool(),
        learning_rule_type=st.one_of(st.just("PES"), st.integers(), st.just(nengo.PES)),
        encoders=st.one_of(
            st.just([1.0, 2.0]),
            st.just("input"),
            st.just(dict(input=np.full((1, 1), np.nan))),
            st.just(dict(input=np.ones((2, 2)))),
            st.just(dict(input="1")),
            st.just(dict(weights=np.ones((1, 1)))),
        ),
        kernels=st.one_of(
            st.just([1.0, 2.0]),
            st.just("memory"),
            st.just(dict(memory=np.ones((10, 3)))),
            st.just(dict(output=np.full((1, 10), np.inf))),
            st.just(dict(bias=np.ones(10, dtype=complex))),
        ),
        radius=not_positive(),
        synapse=st.one_of(
            st.floats(max_value=-1e-300), NON_FINITE, st.text(max_size=3), st.booleans()
        ),
        dt=not_positive(),
        seed=bad_seed(),
        memory_kwargs=st.one_of(
            st.just(dict(theta=1.0)),
            st.just(dict(n_neurons=10)),
            st.just(dict(add_to_container=False)),
            st.just(dict(loops="direct")),
            st.just([("loop", "direct")]),
            st.text(max_size=3),
        ),
    ),
)


def mentions(message, value):
    """Whether an error message shows a scalar ``value`` (arrays are not checked)."""
    if isinstance(value, (np.ndarray, list, tuple, dict)) or not (
        value is None or isinstance(value, (str, numbers.Number, np.bool_))
    ):
        return True
    texts = {repr(value), str(value)}
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        texts.add(f"{float(value):g}")
    return any(text in message for text in texts)


# Parameters whose errors come from nengo's own parameter checks, which name the
# parameter and the type of the value but not the value itself.
NENGO_CHECKED = {"label", "learning_rule_type", "seed"}


def case_ids():
    for name, (_, _, strategies) in CASES.items():
        for parameter in strategies:
            yield pytest.param(name, parameter, id=f"{name}-{parameter}")


@pytest.mark.filterwarnings("ignore:Extra state has been modified:UserWarning")
@pytest.mark.parametrize("name, parameter", list(case_ids()))
@SETTINGS
@given(data=st.data())
def test_invalid_argument_raises_validation_error(name, parameter, data):
    function, valid, strategies = CASES[name]
    value = data.draw(strategies[parameter], label=parameter)
    arguments = dict(valid, **{parameter: value})
    with pytest.raises(ValidationError) as info:
        function(**arguments)
    message = str(info.value)
    assert re.search(rf"(?<!\w){parameter}(?!\w)", message), message
    if parameter not in NENGO_CHECKED:
        assert mentions(message, value), message


def lmu_regression_cases():
    for parameter, (_, values) in LMU_REGRESSIONS.items():
        for value in values:
            yield pytest.param(parameter, value, id=f"{parameter}={value!r}")


@pytest.mark.parametrize("parameter, value", list(lmu_regression_cases()))
def test_lmu_refuses_values_it_once_took(parameter, value):
    with pytest.raises(ValidationError, match=rf"(?<!\w){parameter}(?!\w)"):
        LMU(0.1, 4, 10, size_out=1, add_to_container=False, **{parameter: value})


def test_every_public_name_is_covered():
    """Each name in ``__all__`` has invalid-argument cases above."""
    covered = {function.__name__ for function, _, _ in CASES.values()}
    assert set(nengo_lmu.__all__) <= covered | {"__version__"}


# ---------------------------------------------------------------------------
# Valid values of any magnitude: finite results or a ValidationError
# ---------------------------------------------------------------------------

POSITIVE = st.floats(min_value=5e-324, max_value=1e300)


@SETTINGS
@given(theta=POSITIVE, order=st.integers(1, 40))
def test_legendre_delay_is_finite_or_refused(theta, order):
    try:
        A, B = legendre_delay(theta, order)
    except ValidationError as error:
        assert "theta" in str(error)
        return
    assert A.shape == (order, order) and B.shape == (order, 1)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(B))
    # the closed form: theta A = (2i + 1) (-1 if i < j else (-1)^(i - j + 1)), and
    # theta B = (2i + 1) (-1)^i, up to rounding of the division by theta
    i, j = np.meshgrid(np.arange(order), np.arange(order), indexing="ij")
    scale = 2 * i + 1
    assert np.all(np.sign(A) == np.where(i < j, -1, (-1.0) ** (i - j + 1)))
    assert np.allclose(A * theta, scale * np.sign(A), rtol=1e-12, atol=0)
    assert np.allclose(B[:, 0] * theta, scale[:, 0] * (-1.0) ** i[:, 0], rtol=1e-12)


@SETTINGS
@given(
    theta=st.floats(1e-6, 1e6),
    order=st.integers(1, 20),
    dt=POSITIVE,
    method=st.sampled_from(["zoh", "euler", "bilinear"]),
)
def test_discretize_is_stable_or_refused(theta, order, dt, method):
    A, B = legendre_delay(theta, order)
    try:
        Ad, Bd = discretize(A, B, dt, method=method)
    except ValidationError as error:
        assert error.attr == "dt"
        return
    assert np.all(np.isfinite(Ad)) and np.all(np.isfinite(Bd))
    assert np.max(np.abs(np.linalg.eigvals(Ad))) <= 1 + 1e-12
    # and it is the discretisation asked for (scipy's, where scipy's is finite)
    with np.errstate(all="ignore"):
        scipy_Ad, scipy_Bd, *_ = cont2discrete((A, B, np.eye(order), 0 * B), dt, method)
    if np.all(np.isfinite(scipy_Ad)) and np.all(np.isfinite(scipy_Bd)):
        scale = max(1.0, np.abs(scipy_Ad).max(), np.abs(scipy_Bd).max())
        assert np.allclose(Ad, scipy_Ad, rtol=1e-6, atol=1e-9 * scale)
        assert np.allclose(Bd, scipy_Bd, rtol=1e-6, atol=1e-9 * scale)


@SETTINGS
@given(tau=st.floats(0, 10), dt=st.floats(1e-5, 1e-1), theta=st.floats(1e-2, 10))
def test_synapse_mapping_is_finite_or_refused(tau, dt, theta):
    Ad, Bd = discretize(*legendre_delay(theta, 4), dt)
    try:
        mapping = synapse_mapping(Ad, Bd, tau, dt)
    except ValidationError as error:
        assert error.attr == "synapse"
        return
    assert np.all(np.isfinite(mapping.recurrent_transform))
    assert all(np.all(np.isfinite(b)) for b in mapping.input_transforms)
    # a Lowpass loop x[k+1] = a x[k] + (1 - a) (A' x[k] + B' u[k]) is the memory
    a = np.exp(-dt / tau) if tau > 0 else 0.0
    (input_transform,) = mapping.input_transforms
    loop = a * np.eye(4) + (1 - a) * mapping.recurrent_transform
    # (to rounding of the loop's O(1) terms: Ad itself may have decayed to ~0)
    assert np.allclose(loop, Ad, rtol=1e-6, atol=1e-9)
    assert np.allclose(
        (1 - a) * input_transform, Bd, rtol=1e-6, atol=1e-9 * max(1, np.abs(Bd).max())
    )


@SETTINGS
@given(
    r=st.lists(st.floats(0, 1), min_size=1, max_size=5),
    order=st.integers(1, 30),
)
def test_legendre_readout_is_finite(r, order):
    readout = legendre_readout(order, r)
    assert readout.shape == (len(r), order)
    assert np.all(np.isfinite(readout)) and np.all(np.abs(readout) <= 1 + 1e-12)


@SETTINGS
@given(
    theta=st.floats(1e-3, 10),
    order=st.integers(1, 12),
    size_in=st.integers(1, 3),
    dt=st.floats(1e-4, 1e-2),
)
def test_exact_memory_is_what_was_asked(theta, order, size_in, dt):
    if theta <= dt:  # no window: refused
        with pytest.raises(ValidationError, match="theta.*longer than one time"):
            LegendreMemory(theta, order, dt=dt, add_to_container=False)
        return
    memory = LegendreMemory(
        theta, order, size_in=size_in, dt=dt, add_to_container=False
    )
    assert (memory.theta, memory.order, memory.size_in, memory.dt) == (
        theta,
        order,
        size_in,
        dt,
    )
    assert memory.output.size_out == size_in * order
    assert np.allclose(memory.Ad, discretize(*legendre_delay(theta, order), dt)[0])
    assert np.max(np.abs(np.linalg.eigvals(memory.Ad))) <= 1 + 1e-12
