"""Sequential and permuted-sequential digits (benchmarks.md, B4).

scikit-learn's 8x8 digits (1797 images, shipped with the package) are shown one
pixel per time step (64 steps of 1 ms, pixels scaled to [0, 1]), in reading
order ("sequential") or through a fixed random permutation ("permuted",
psDigits), and classified at the last step. 1200 shuffled images train, the
other 597 test. Every accuracy below is measured on the test images by
simulating the network in `nengo.Simulator`, one sequence at a time
(``sim.reset()`` between sequences):

- ``fit``: `LMU` (exact memory of order 64 over theta = 64 steps, 2000
  RectifiedLinear hidden neurons, nengo-lmu's default kernels) with its output
  weights solved by `LMU.fit` (``LstsqL2(reg=0.01)``);
- ``fit-spiking``: the same weights on SpikingRectifiedLinear neurons that fire
  ``SPIKE_SCALE`` (10) times faster (2000 to 4000 Hz at the top of their range)
  with spikes ``1 / SPIKE_SCALE`` as large: the kernels and biases are multiplied
  by 10 and ``amplitude=0.1``, so the mean output is unchanged. At the 200 to 400
  Hz of the default kernels a 64-ms sequence gives each neuron too few spikes to
  classify from at its last step (35% on 40 test images);
- ``keras``: a KerasLMU layer (order 64, theta 64, Dense(200, relu) hidden cell)
  and a Dense(10) classifier trained with backprop (Adam), imported with
  `LMU.from_keras`, with the classifier as a nengo connection. The classifier
  reads the hidden state through the output synapse (a fixed weighting of the
  last steps, its impulse response), in Keras as in nengo, so that the spiking
  version can smooth its spikes;
- ``keras-spiking``: the same import on SpikingRectifiedLinear neurons
  (``amplitude=1 / MAX_RATE``: 2000 spikes per second per unit of activation).

- ``defaults``: the issue-13 network, `LMU` with an exact memory of order 32
  over the 64 steps and 1000 RectifiedLinear neurons, fitted by ``fit(train,
  targets)`` with no other arguments (regularisation chosen by leave-one-out
  over the training sequences; default synapse, None). For reference, ``defaults-fixed`` gives the
  accuracy (`LMU.predict`) of every fixed ``LstsqL2(reg)``, reg in 1e-1 .. 1e-6,
  and ``defaults-data`` that of ``fit(..., init="data")``;
- ``defaults-spiking``: that network's kernels times ``SPIKE_SCALE``
  on SpikingRectifiedLinear neurons (``amplitude=1 / SPIKE_SCALE``), read through
  ``Lowpass(SPIKE_TAU)``, with output weights from ``fit()`` on the spiking
  network (which accounts for the spike noise); ``defaults_spiking_rate_hz`` is
  the hidden neurons' mean firing rate in nengo.

Both spiking versions read their output through ``Lowpass(SPIKE_TAU)``, and their
rate versions are fitted (``fit``) or simulated (``keras``) with the same
synapse so that the only difference is the spikes. It also reports how long
`LMU.fit` takes for the 1200 training sequences and the FFT path's speed-up over
the recurrence in `evaluate_cell`. The Keras part needs keras-lmu (the ``keras``
extra) and is skipped without it.

Writes ``sequence_digits.json`` and ``sequence_digits.png``. From the repository
root::

    python benchmarks/sequence_digits.py --out benchmarks/results
"""

import argparse
import importlib.util
import json
import time
from pathlib import Path

import matplotlib
import nengo
import numpy as np
import scipy.signal
from sklearn.datasets import load_digits

from nengo_lmu import LMU, evaluate_cell
from nengo_lmu.discretize import loop_transfer_function

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
N_STEPS = 64
N_TRAIN = 1200
ORDER, N_HIDDEN, KERAS_HIDDEN = 64, 2000, 200
DEFAULTS_ORDER, DEFAULTS_HIDDEN = 32, 1000
SPIKE_TAU = 0.005
SPIKE_SCALE = 10
MAX_RATE = 2000  # Hz, of the imported Keras layer's spiking neurons per unit


def digit_sequences(permuted, seed=0):
    """Train and test sequences (n, 64, 1) and labels."""
    digits = load_digits()
    images = digits.images.reshape(-1, N_STEPS) / 16.0
    order = np.random.RandomState(seed).permutation(len(images))
    images, labels = images[order], digits.target[order]
    if permuted:
        images = images[:, np.random.RandomState(seed + 1).permutation(N_STEPS)]
    sequences = images[:, :, None]
    return (
        (sequences[:N_TRAIN], labels[:N_TRAIN]),
        (sequences[N_TRAIN:], labels[N_TRAIN:]),
    )


def simulate_last_step(network, output, sequences, seed=0, rate_of=None):
    """The probed ``output`` at the last step of each sequence, in nengo (and
    with ``rate_of``, an LMU, also its hidden neurons' mean firing rate)."""
    current = {"sequence": sequences[0]}

    def present(t):
        step = int(round(t / DT)) - 1
        return current["sequence"][min(step, N_STEPS - 1)]

    with nengo.Network(seed=seed) as model:
        model.add(network)
        stimulus = nengo.Node(present, size_out=sequences.shape[-1])
        nengo.Connection(stimulus, network.input, synapse=None)
        probe = nengo.Probe(output, synapse=None)
        if rate_of is not None:
            spikes = nengo.Probe(rate_of.hidden.neurons, synapse=None)
    last, rates = [], []
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        for sequence in sequences:
            current["sequence"] = sequence
            sim.reset()
            sim.run_steps(N_STEPS)
            last.append(sim.data[probe][-1].copy())
            if rate_of is not None:
                amplitude = rate_of.neuron_type.amplitude
                rates.append(np.mean(sim.data[spikes]) / amplitude)
    if rate_of is not None:
        return np.array(last), float(np.mean(rates))
    return np.array(last)


def spiking_copy(rate, options):
    """``rate`` (an LMU of RectifiedLinear neurons) on spiking neurons firing
    ``SPIKE_SCALE`` times faster, each spike ``1 / SPIKE_SCALE`` as large."""
    kernels = rate.kernels
    for name in ("memory", "bias"):
        kernels[name] = kernels[name] * SPIKE_SCALE
    return LMU(
        neuron_type=nengo.SpikingRectifiedLinear(amplitude=1 / SPIKE_SCALE),
        encoders=rate.encoders,
        kernels=kernels,
        **options,
    )


def defaults_task(permuted, seed):
    """Accuracy of `LMU.fit` with its defaults (order 32, 1000 neurons), rate
    and spiking, in nengo; fixed regularisations for reference."""
    (train, train_labels), (test, test_labels) = digit_sequences(permuted, seed)
    targets = np.eye(10)[train_labels]
    options = dict(
        theta=N_STEPS * DT,
        order=DEFAULTS_ORDER,
        n_hidden=DEFAULTS_HIDDEN,
        size_out=10,
        seed=seed,
        add_to_container=False,
    )
    rate = LMU(neuron_type=nengo.RectifiedLinear(), **options)
    start = time.perf_counter()
    info = rate.fit(train, targets)
    results = {"defaults_fit_seconds_wall": time.perf_counter() - start}
    results["defaults_reg"] = info["reg"]
    results["defaults"] = accuracy(
        simulate_last_step(rate, rate.output, test), test_labels
    )
    results["defaults-predict"] = accuracy(rate.predict(test)[:, -1], test_labels)
    fixed = {}
    for reg in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]:
        baseline = LMU(neuron_type=nengo.RectifiedLinear(), **options)
        baseline.fit(train, targets, solver=nengo.solvers.LstsqL2(reg=reg), init=None)
        fixed[str(reg)] = accuracy(baseline.predict(test)[:, -1], test_labels)
    results["defaults-fixed"] = fixed
    drawn = LMU(neuron_type=nengo.RectifiedLinear(), **options)
    drawn.fit(train, targets, init="data")
    results["defaults-data"] = accuracy(drawn.predict(test)[:, -1], test_labels)

    spiking = spiking_copy(rate, dict(options, synapse=nengo.Lowpass(SPIKE_TAU)))
    results["defaults_spiking_reg"] = spiking.fit(train, targets)["reg"]
    scores, rate_hz = simulate_last_step(spiking, spiking.output, test, rate_of=spiking)
    results["defaults-spiking"] = accuracy(scores, test_labels)
    results["defaults_spiking_rate_hz"] = rate_hz
    return results


def fit_task(permuted, seed):
    """Accuracy of the fitted readout, rate and spiking; fit timing."""
    (train, train_labels), (test, test_labels) = digit_sequences(permuted, seed)
    options = dict(
        theta=N_STEPS * DT,
        order=ORDER,
        n_hidden=N_HIDDEN,
        size_out=10,
        synapse=nengo.Lowpass(SPIKE_TAU),
        seed=seed,
        add_to_container=False,
    )
    rate = LMU(neuron_type=nengo.RectifiedLinear(), **options)
    wall, cpu = time.perf_counter(), time.process_time()
    rate.fit(train, np.eye(10)[train_labels], solver=nengo.solvers.LstsqL2(reg=0.01))
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    predicted = rate.predict(test)[:, -1]
    spiking = spiking_copy(rate, options)
    results = {
        "fit": accuracy(simulate_last_step(rate, rate.output, test), test_labels),
        "fit-predict": accuracy(predicted, test_labels),
        "fit-spiking": accuracy(
            simulate_last_step(spiking, spiking.output, test), test_labels
        ),
        "fit_seconds_wall": fit_wall,
        "fit_seconds_cpu": fit_cpu,
    }
    results.update(fft_speedup(rate, train))
    return results


def fft_speedup(lmu, sequences, repeats=3):
    """CPU time of the fit's hidden activities with the memory by FFT and by
    recurrence (best of ``repeats``)."""
    Ad, Bd = lmu.memory.Ad, lmu.memory.Bd
    weights = {
        name: lmu._cell_weights[name] for name in ("e_x", "W_m", "bias")
    }  # the feedforward cell of this benchmark
    times = {}
    outputs = {}
    for method in ("fft", "recurrence"):
        best = np.inf
        for _ in range(repeats):
            start = time.process_time()
            hidden, memory = evaluate_cell(
                sequences, Ad, Bd, weights, lmu._rates, method=method
            )
            best = min(best, time.process_time() - start)
        times[method] = best
        outputs[method] = hidden
    return {
        "cell_seconds_fft": times["fft"],
        "cell_seconds_recurrence": times["recurrence"],
        "fft_speedup": times["recurrence"] / times["fft"],
        "fft_max_difference": float(
            np.max(np.abs(outputs["fft"] - outputs["recurrence"]))
        ),
    }


def keras_task(permuted, seed, epochs):
    """Accuracy of a KerasLMU model trained with backprop, then in nengo."""
    import keras  # pylint: disable=import-outside-toplevel
    import keras_lmu  # pylint: disable=import-outside-toplevel

    (train, train_labels), (test, test_labels) = digit_sequences(permuted, seed)
    keras.utils.set_random_seed(seed)
    lmu_layer = keras_lmu.LMU(
        memory_d=1,
        order=ORDER,
        theta=N_STEPS,
        hidden_cell=keras.layers.Dense(KERAS_HIDDEN, activation="relu"),
        return_sequences=True,
    )
    classifier = keras.layers.Dense(10)
    # what a probe on the output connection sees at the last step
    num, den = loop_transfer_function(nengo.Lowpass(SPIKE_TAU), DT)
    num = np.concatenate([np.zeros(len(den) - len(num)), num])
    impulse = scipy.signal.lfilter(num, den, np.eye(N_STEPS)[0])[::-1]
    synapse = keras.layers.Lambda(
        lambda h: keras.ops.einsum("btn,t->bn", h, impulse.astype(np.float32))
    )
    inputs = keras.Input((N_STEPS, 1))
    model = keras.Model(inputs, classifier(synapse(lmu_layer(inputs))))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        train.astype(np.float32),
        train_labels,
        epochs=epochs,
        batch_size=32,
        verbose=0,
    )
    train_seconds = time.perf_counter() - start
    keras_accuracy = accuracy(
        model.predict(test.astype(np.float32), verbose=0), test_labels
    )

    weights = [np.array(w) for w in classifier.get_weights()]
    results = {"keras-tensorflow": keras_accuracy, "keras_train_seconds": train_seconds}
    results["keras_loss"] = [float(v) for v in history.history["loss"]]
    for name, neuron_type in [
        ("keras", None),
        ("keras-spiking", nengo.SpikingRectifiedLinear(amplitude=1 / MAX_RATE)),
    ]:
        with nengo.Network(add_to_container=False) as network:
            imported = LMU.from_keras(
                lmu_layer,
                dt=DT,
                neuron_type=neuron_type,
                synapse=nengo.Lowpass(SPIKE_TAU),
                seed=seed,
            )
            network.input = imported.input
            logits = nengo.Node(size_in=10)
            nengo.Connection(
                imported.output, logits, transform=weights[0].T, synapse=None
            )
            bias = nengo.Node(weights[1])
            nengo.Connection(bias, logits, synapse=None)
        results[name] = accuracy(simulate_last_step(network, logits, test), test_labels)
    return results


def accuracy(scores, labels):
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def plot(results, path):
    names = [
        "defaults",
        "defaults-spiking",
        "fit",
        "fit-spiking",
        "keras-tensorflow",
        "keras",
        "keras-spiking",
    ]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.38
    for i, task in enumerate(results):
        values = [100 * results[task].get(name, np.nan) for name in names]
        positions = np.arange(len(names)) + (i - 0.5) * width
        bars = ax.bar(positions, values, width, label=task)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.axhline(97, color="k", lw=0.8, ls="--", label="target (psDigits, defaults)")
    ax.set_xticks(np.arange(len(names)), names, fontsize=7, rotation=15)
    ax.set_ylim(80, 100)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Digits, one pixel per step (597 test images, simulated in nengo)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument(
        "--tasks", nargs="+", default=["sequential", "permuted"], help="digit orders"
    )
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()

    has_keras = importlib.util.find_spec("keras_lmu") is not None
    if not has_keras:
        print("keras-lmu is not installed: skipping the KerasLMU part")
    has_keras = has_keras and not args.skip_keras

    results = {}
    for task in args.tasks:
        permuted = task == "permuted"
        results[task] = fit_task(permuted, args.seed)
        results[task].update(defaults_task(permuted, args.seed))
        if has_keras:
            results[task].update(keras_task(permuted, args.seed, args.epochs))
        print(
            task,
            json.dumps(
                {k: v for k, v in results[task].items() if k != "keras_loss"}, indent=1
            ),
            flush=True,
        )

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sequence_digits.json").write_text(json.dumps(results, indent=2))
    plot(results, args.out / "sequence_digits.png")


if __name__ == "__main__":
    main()
