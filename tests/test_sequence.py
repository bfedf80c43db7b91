import numpy as np
import pytest
import scipy.fft
from nengo.exceptions import ValidationError
from scipy.signal import dlsim

from nengo_lmu import discretize, legendre_delay
from nengo_lmu import sequence
from nengo_lmu.sequence import evaluate_memory, impulse_response

METHODS = ["fft", "recurrence"]


def legendre_system(order, theta_steps, dt=1.0):
    """ZOH-discretised Legendre memory with a window of ``theta_steps`` steps."""
    A, B = legendre_delay(theta_steps * dt, order)
    return discretize(A, B, dt)


def explicit_memory(inputs, Ad, Bd):
    """m[k] = Ad m[k-1] + Bd u[k] for one (n_steps,) input, one step at a time."""
    state = np.zeros(len(Ad))
    states = []
    for u in inputs:
        state = Ad @ state + Bd[:, 0] * u
        states.append(state)
    return np.array(states)


def relative_difference(actual, expected):
    return np.max(np.abs(actual - expected)) / np.max(np.abs(expected))


@pytest.mark.parametrize("order, theta_steps", [(1, 10), (5, 20), (32, 100)])
def test_impulse_response_matches_matrix_powers(order, theta_steps):
    Ad, Bd = legendre_system(order, theta_steps)
    n_steps = 3 * theta_steps
    response = impulse_response(Ad, Bd, n_steps)

    powers = np.array(
        [np.linalg.matrix_power(Ad, k) @ Bd[:, 0] for k in range(n_steps)]
    )
    assert response.shape == (n_steps, order)
    assert np.allclose(response, powers, rtol=1e-10, atol=1e-13)

    # With state x[k] = m[k-1], the memory is y[k] = Ad x[k] + Bd u[k].
    impulse = np.zeros(n_steps)
    impulse[0] = 1
    _, dlsim_response, _ = dlsim((Ad, Bd, Ad, Bd, 1.0), impulse)
    assert np.allclose(response, dlsim_response, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 2), (9, 1), (9, 3), (1, 9, 2), (4, 1, 3), (4, 9, 3)]
)
def test_evaluate_memory_matches_explicit_loop(method, shape, rng):
    order = 4
    Ad, Bd = legendre_system(order, theta_steps=5)
    inputs = rng.uniform(-1, 1, size=shape)
    states = evaluate_memory(inputs, Ad, Bd, method=method)

    batched = inputs if inputs.ndim == 3 else inputs[None]
    batch, n_steps, channels = batched.shape
    assert states.shape == shape[:-1] + (channels * order,)
    batched_states = states if states.ndim == 3 else states[None]
    for b in range(batch):
        for c in range(channels):
            expected = explicit_memory(batched[b, :, c], Ad, Bd)
            channel_states = batched_states[b, :, c * order : (c + 1) * order]
            assert np.allclose(channel_states, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_channel_equals_single_channel_run(method, rng):
    order, channels = 6, 3
    Ad, Bd = legendre_system(order, theta_steps=30)
    inputs = rng.standard_normal((2, 50, channels))
    states = evaluate_memory(inputs, Ad, Bd, method=method)
    for c in range(channels):
        single = evaluate_memory(inputs[:, :, c : c + 1], Ad, Bd, method=method)
        assert np.array_equal(states[:, :, c * order : (c + 1) * order], single)


@pytest.mark.parametrize(
    "order, theta_steps, dt, shape",
    [
        (1, 50, 1.0, (100, 1)),
        (6, 50, 1e-3, (100, 300, 2)),
        (6, 784, 1.0, (3, 1000, 4)),
        (64, 100, 1e-3, (8, 400, 3)),
        (64, 784, 1.0, (4, 784, 1)),
        (256, 784, 1.0, (10, 1000, 1)),
        (256, 50, 1.0, (2, 700, 2)),
    ],
)
def test_fft_matches_recurrence(order, theta_steps, dt, shape, rng):
    Ad, Bd = legendre_system(order, theta_steps, dt)
    inputs = rng.standard_normal(shape)
    by_fft = evaluate_memory(inputs, Ad, Bd, method="fft")
    by_recurrence = evaluate_memory(inputs, Ad, Bd, method="recurrence")
    assert by_fft.dtype == by_recurrence.dtype == np.float64
    assert relative_difference(by_fft, by_recurrence) < 1e-10


def test_fft_is_the_default(rng):
    Ad, Bd = legendre_system(8, theta_steps=40)
    inputs = rng.standard_normal((100, 2))
    assert np.array_equal(
        evaluate_memory(inputs, Ad, Bd), evaluate_memory(inputs, Ad, Bd, "fft")
    )


@pytest.mark.parametrize("method", METHODS)
def test_order_one_step_response_closed_form(method, allclose):
    theta, dt, n_steps = 0.2, 1e-3, 1000
    Ad, Bd = discretize(*legendre_delay(theta, order=1), dt)
    states = evaluate_memory(np.ones((n_steps, 1)), Ad, Bd, method=method)
    expected = 1 - np.exp(-np.arange(1, n_steps + 1) * dt / theta)
    assert allclose(states[:, 0], expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_accepts_lists_and_non_contiguous_inputs(method, rng):
    Ad, Bd = legendre_system(3, theta_steps=10)
    inputs = rng.standard_normal((3, 20))
    expected = evaluate_memory(np.ascontiguousarray(inputs.T), Ad, Bd, method)
    assert np.allclose(evaluate_memory(inputs.T, Ad, Bd, method), expected)
    assert np.allclose(
        evaluate_memory(inputs.T.tolist(), Ad.tolist(), Bd.tolist(), method),
        expected,
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "input_dtype, system_dtype, expected_dtype",
    [
        (np.float32, np.float32, np.float32),
        (np.float32, np.float64, np.float64),
        (np.float64, np.float32, np.float64),
        (np.int64, np.float32, np.float64),
        (np.int64, np.float64, np.float64),
        (np.float16, np.float16, np.float32),
        (np.int8, np.float16, np.float32),
    ],
)
def test_dtype(method, input_dtype, system_dtype, expected_dtype, rng):
    Ad, Bd = legendre_system(5, theta_steps=20)
    inputs = rng.randint(-3, 4, size=(2, 60, 2))
    states = evaluate_memory(
        inputs.astype(input_dtype),
        Ad.astype(system_dtype),
        Bd.astype(system_dtype),
        method=method,
    )
    assert states.dtype == expected_dtype
    # in float64, of the system as rounded to system_dtype
    rounded = [matrix.astype(system_dtype).astype(np.float64) for matrix in (Ad, Bd)]
    reference = evaluate_memory(inputs.astype(np.float64), *rounded, "recurrence")
    tolerance = 1e-5 if expected_dtype == np.float32 else 1e-7
    assert relative_difference(states, reference) < tolerance


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order, n_steps", [(6, 20_000), (64, 3000), (200, 300)])
def test_impulse_response_long_matches_steps(order, n_steps, dtype):
    """Long responses (computed by doubling) equal the step-by-step recurrence."""
    Ad, Bd = legendre_system(order, 100)
    expected = np.empty((n_steps, order))
    expected[0] = Bd[:, 0]
    for k in range(1, n_steps):
        expected[k] = Ad @ expected[k - 1]
    response = impulse_response(Ad.astype(dtype), Bd.astype(dtype), n_steps)
    assert response.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert relative_difference(response, expected) < tolerance


def test_impulse_response_dtype():
    Ad, Bd = legendre_system(3, theta_steps=10)
    assert impulse_response(Ad, Bd, 5).dtype == np.float64
    float32 = impulse_response(Ad.astype(np.float32), Bd.astype(np.float32), 5)
    assert float32.dtype == np.float32
    assert np.allclose(float32, impulse_response(Ad, Bd, 5), rtol=1e-5, atol=1e-6)
    # float32 only if both are
    for mixed in ((Ad.astype(np.float32), Bd), (Ad, Bd.astype(np.float32))):
        assert impulse_response(*mixed, 5).dtype == np.float64


def test_float32_recurrence_stays_close_to_float64(rng):
    order, theta_steps = 1024, 784
    Ad, Bd = legendre_system(order, theta_steps)
    inputs = rng.standard_normal((3 * theta_steps, 1))

    exact = evaluate_memory(inputs, Ad, Bd, method="fft")
    states = evaluate_memory(
        inputs.astype(np.float32),
        Ad.astype(np.float32),
        Bd.astype(np.float32),
        method="recurrence",
    )
    assert states.dtype == np.float32
    assert np.all(np.isfinite(states))
    assert relative_difference(states, exact) < 1e-4


VALID_Ad, VALID_Bd = legendre_system(3, theta_steps=10)


@pytest.mark.parametrize(
    "inputs, Ad, Bd, method, match",
    [
        (np.ones(5), VALID_Ad, VALID_Bd, "fft", r"inputs: must be a 2-D .* \(5,\)"),
        (np.ones((1, 2, 3, 1)), VALID_Ad, VALID_Bd, "fft", r"inputs: .*\(1, 2, 3, 1\)"),
        (np.ones((0, 1)), VALID_Ad, VALID_Bd, "fft", r"inputs: .*size 0"),
        (np.ones((2, 5, 0)), VALID_Ad, VALID_Bd, "fft", r"inputs: .*size 0"),
        ([[1.0], [np.nan]], VALID_Ad, VALID_Bd, "fft", r"inputs: must be finite"),
        ([[1.0], [np.inf]], VALID_Ad, VALID_Bd, "fft", r"inputs: .*index \(1, 0\)"),
        ([["a"], ["b"]], VALID_Ad, VALID_Bd, "fft", r"inputs: must be .*numeric"),
        ([[1.0], [1.0, 2.0]], VALID_Ad, VALID_Bd, "fft", r"inputs: must be .*numeric"),
        (np.ones((5, 1)), np.ones((3, 2)), VALID_Bd, "fft", r"Ad: .*square.*\(3, 2\)"),
        (np.ones((5, 1)), np.ones(3), VALID_Bd, "fft", r"Ad: .*shape \(3,\)"),
        (np.ones((5, 1)), VALID_Ad * np.nan, VALID_Bd, "fft", r"Ad: .*NaN"),
        (np.ones((5, 1)), VALID_Ad, np.ones(3), "fft", r"Bd: .*\(3, 1\).*\(3,\)"),
        (np.ones((5, 1)), VALID_Ad, np.ones((3, 2)), "fft", r"Bd: .*\(3, 2\)"),
        (np.ones((5, 1)), VALID_Ad, np.ones((4, 1)), "fft", r"Bd: .*\(4, 1\)"),
        (np.ones((5, 1)), VALID_Ad, VALID_Bd * np.nan, "fft", r"^Bd: .*NaN"),
        (np.ones((5, 1)), VALID_Ad, VALID_Bd * 1j, "fft", r"^Bd: .*real"),
        (np.ones((5, 1)), VALID_Ad, VALID_Bd, "FFT", r"method: .*'FFT'"),
        (np.ones((5, 1)), VALID_Ad, VALID_Bd, "zoh", r"method: .*'recurrence'"),
    ],
)
def test_evaluate_memory_validation(inputs, Ad, Bd, method, match):
    with pytest.raises(ValidationError, match=match):
        evaluate_memory(inputs, Ad, Bd, method=method)


@pytest.mark.parametrize(
    "Ad, Bd, n_steps, match",
    [
        (VALID_Ad, VALID_Bd, 0, r"n_steps: must be an integer >= 1 \(got 0\)"),
        (VALID_Ad, VALID_Bd, 2.0, r"n_steps: .*2\.0"),
        (VALID_Ad, np.ones((3, 2)), 5, r"Bd: .*\(3, 2\)"),
        (np.ones((2, 3)), VALID_Bd, 5, r"Ad: .*square"),
    ],
)
def test_impulse_response_validation(Ad, Bd, n_steps, match):
    with pytest.raises(ValidationError, match=match):
        impulse_response(Ad, Bd, n_steps)


@pytest.mark.parametrize(
    "chunk_sequences, shape",
    [
        (2, (2, 40, 3)),  # channels in chunks of 2: the last chunk is shorter
        (3, (2, 40, 3)),  # one chunk of channels per batch
        (6, (3, 40, 3)),  # batches in chunks of 2: the last chunk is shorter
        (100, (3, 40, 3)),  # everything in one chunk
    ],
)
def test_fft_chunks_cover_every_sequence(chunk_sequences, shape, monkeypatch, rng):
    """The FFT method inverts its spectra in chunks of FFT_CHUNK_BYTES; any
    chunking gives the states of the step-by-step loop."""
    order = 5
    Ad, Bd = legendre_system(order, theta_steps=15)
    inputs = rng.standard_normal(shape)
    n_frequencies = scipy.fft.next_fast_len(2 * shape[1] - 1, real=True) // 2 + 1
    sequence_bytes = order * n_frequencies * np.dtype(complex).itemsize
    monkeypatch.setattr(sequence, "FFT_CHUNK_BYTES", chunk_sequences * sequence_bytes)
    states = evaluate_memory(inputs, Ad, Bd, method="fft")
    for b in range(shape[0]):
        for c in range(shape[2]):
            expected = explicit_memory(inputs[b, :, c], Ad, Bd)
            channel_states = states[b, :, c * order : (c + 1) * order]
            assert np.allclose(channel_states, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_method_chooses_the_algorithm(method, monkeypatch, rng):
    calls = []
    for name in ("_memory_by_fft", "_memory_by_recurrence"):
        original = getattr(sequence, name)

        def spy(*args, name=name, original=original):
            calls.append(name)
            return original(*args)

        monkeypatch.setattr(sequence, name, spy)
    Ad, Bd = legendre_system(3, theta_steps=10)
    evaluate_memory(rng.standard_normal((20, 1)), Ad, Bd, method=method)
    assert calls == [f"_memory_by_{method}"]
