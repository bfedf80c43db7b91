"""Whole LMUs trained by backprop (`LMU.train`) and deployed on rate and spiking
neurons (benchmarks.md, B4 and B7).

Tasks, each classified from the output at the last step of a sequence:

- ``mnist1d``: MNIST-1D (Greydanus 2020), generated offline by the ``mnist1d``
  package's own code (``make_dataset``, its default arguments: 4000 training and
  1000 test sequences of 40 steps). Published: logistic regression 32%, MLP 68%,
  GRU 91%, CNN 94%.
- ``psdigits``: scikit-learn's 8x8 digits, one pixel per step through a fixed
  permutation (64 steps; the data of ``sequence_digits.py``: 1200 train, 597
  test).

Each input step is held for ``hold`` simulator steps of 1 ms (see ``TASKS``),
so that a spiking hidden layer has time to fire. The LMU has the exact memory,
``LIFRate`` hidden neurons scaled by ``amplitude=1 / MAX_RATE`` (so activities
are O(1) for Adam; LIF neurons with ``tau_ref = 2 ms`` fire at most 500 Hz), and
a ``Lowpass`` synapse on the connections from the hidden layer, which averages
the hidden features over the last steps (temporal pooling) and smooths the
spikes. Training (`LMU.train`: Adam with a cosine learning-rate schedule,
cross-entropy, validation split 0.1, the best epoch kept) adds Gaussian noise to
the hidden activities, which makes the readout robust to spike noise. With
``augment`` > 0 the training set gets that many randomly shifted copies of each
training sequence (the validation sequences stay as they are): for MNIST-1D
circular shifts by up to ``max_shift`` steps, as its generator translates the
digits; for psDigits shifts of the 8x8 image by up to ``max_shift`` pixels
before the permutation.
Deployment: the trained weights are simulated in ``nengo.Simulator`` on the same
``LIFRate`` neurons, and on spiking ``LIF`` neurons, one sequence at a time.
The spiking neurons are ``rate_scale`` times faster (``tau_rc`` and ``tau_ref``
divided by it, so their rates are ``rate_scale`` times the trained ones) with
``amplitude`` divided by it: the same activities from more spikes, at most
``500 * rate_scale`` Hz (Loihi's bound at dt = 1 ms is 1000 Hz).

Reported per task: test accuracy of the trained model (`LMU.predict`), of the
rate and the spiking simulations, the spiking neurons' peak rates (the largest
rate of any neuron over any sequence, and over any 10 ms), and the training time
on this machine (wall and CPU seconds; the CPU count is in the output).
Writes ``train_lmu.json`` and ``train_lmu.png``. From the repository root::

    python benchmarks/train_lmu.py --out benchmarks/results
    python benchmarks/train_lmu.py --quick --out /tmp  # a smoke test, seconds
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LMU

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
MAX_RATE = 400.0  # Hz: activities are rates / MAX_RATE

TASKS = {
    "mnist1d": dict(
        order=24,
        theta_steps=40,
        n_hidden=256,
        hidden_to_hidden=True,
        tau=0.02,
        epochs=10,
        learning_rate=1e-2,
        schedule="cosine",
        weight_decay=0.0,
        hold=1,
        noise=0.1,
        rate_scale=2,
        augment=16,
        max_shift=4,
    ),
    "psdigits": dict(
        order=64,
        theta_steps=64,
        n_hidden=256,
        hidden_to_hidden=False,
        tau=0.005,
        epochs=80,
        learning_rate=3e-3,
        schedule="cosine",
        weight_decay=0.0,
        hold=2,
        noise=0.1,
        rate_scale=1,
        augment=0,
        max_shift=1,
    ),
}

# --quick: the same pipeline on a few sequences, a small network and 2 epochs (a
# smoke test that runs in seconds; its accuracies mean little)
QUICK = dict(epochs=2, n_hidden=32, n_train=200, n_test=50)


def mnist1d_data(seed):
    """MNIST-1D train and test sequences (n, 40, 1) and labels, made offline."""
    from mnist1d.data import (  # pylint: disable=import-outside-toplevel
        get_dataset_args,
        make_dataset,
    )

    args = get_dataset_args()
    args.seed = 42 + seed
    data = make_dataset(args)
    return (data["x"][..., None], data["y"]), (
        data["x_test"][..., None],
        data["y_test"],
    )


def psdigits_data(seed):
    """psDigits train and test sequences (n, 64, 1) and labels."""
    sys.path.insert(0, str(Path(__file__).parent))
    from sequence_digits import (  # pylint: disable=import-outside-toplevel
        digit_sequences,
    )

    return digit_sequences(permuted=True, seed=seed)


DATA = {"mnist1d": mnist1d_data, "psdigits": psdigits_data}


def shift_mnist1d(sequences, rng, seed, max_shift):
    """Each sequence shifted circularly by up to ``max_shift`` steps either way
    (uniformly), as the ``mnist1d`` generator translates its signals (a
    circular shift, there before the shear and resampling)."""
    shifts = rng.integers(-max_shift, max_shift + 1, len(sequences))
    return np.stack([np.roll(s, k, axis=0) for s, k in zip(sequences, shifts)])


def shift_psdigits(sequences, rng, seed, max_shift):
    """Each image shifted by up to ``max_shift`` pixels along each axis (zeros
    shifted in), in the pixel order of `digit_sequences` (permuted with
    ``seed``)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from sequence_digits import (  # pylint: disable=import-outside-toplevel
        N_STEPS,
    )

    permutation = np.random.RandomState(seed + 1).permutation(N_STEPS)
    images = np.zeros_like(sequences)
    images[:, permutation] = sequences
    images = images.reshape(len(sequences), 8, 8, -1)
    shifted = np.zeros_like(images)
    shifts = rng.integers(-max_shift, max_shift + 1, (len(images), 2))
    for i, (dy, dx) in enumerate(shifts):
        rolled = np.roll(images[i], (dy, dx), axis=(0, 1))
        rolled[:dy] = 0 if dy > 0 else rolled[:dy]
        rolled[dy:] = 0 if dy < 0 else rolled[dy:]
        rolled[:, :dx] = 0 if dx > 0 else rolled[:, :dx]
        rolled[:, dx:] = 0 if dx < 0 else rolled[:, dx:]
        shifted[i] = rolled
    return shifted.reshape(len(sequences), N_STEPS, -1)[:, permutation]


AUGMENT = {"mnist1d": shift_mnist1d, "psdigits": shift_psdigits}


def augmented(name, train, labels, copies, max_shift, seed, validation_split=0.1):
    """The training sequences followed by ``copies`` randomly shifted copies of
    them, the last ``validation_split`` of the original sequences (the
    validation set) kept last and unshifted; and the validation split of the
    result."""
    n_validation = int(round(validation_split * len(train)))
    n_fit = len(train) - n_validation
    rng = np.random.default_rng(seed)
    fit, fit_labels = train[:n_fit], labels[:n_fit]
    shifted = [AUGMENT[name](fit, rng, seed, max_shift) for _ in range(copies)]
    inputs = np.concatenate([fit, *shifted, train[n_fit:]])
    targets = np.concatenate([fit_labels] * (copies + 1) + [labels[n_fit:]])
    return inputs, targets, n_validation / len(inputs)


def simulate(lmu, sequences, seed):
    """Outputs at the last step, and each hidden neuron's spike counts per
    sequence and their largest count in any 10 ms, simulated in nengo."""
    current = {"sequence": sequences[0]}
    n_steps = sequences.shape[1]

    def present(t):
        return current["sequence"][min(int(round(t / DT)) - 1, n_steps - 1)]

    with nengo.Network(seed=seed) as model:
        model.add(lmu)
        stimulus = nengo.Node(present, size_out=sequences.shape[-1])
        nengo.Connection(stimulus, lmu.input, synapse=None)
        output = nengo.Probe(lmu.output, synapse=None)
        spikes = nengo.Probe(lmu.hidden.neurons, synapse=None)
    last, peak_rate, peak_10ms = [], 0.0, 0.0
    window = int(round(0.01 / DT))
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        for sequence in sequences:
            current["sequence"] = sequence
            sim.reset()
            sim.run_steps(n_steps)
            last.append(sim.data[output][-1].copy())
            if lmu.neuron_type.spiking:
                counts = sim.data[spikes] * DT / lmu.neuron_type.amplitude
                peak_rate = max(peak_rate, counts.sum(0).max() / (n_steps * DT))
                windowed = np.cumsum(counts, axis=0)
                windowed = windowed[window:] - windowed[:-window]
                peak_10ms = max(peak_10ms, windowed.max() / (window * DT))
    return np.array(last), peak_rate, peak_10ms


def run_task(name, quick, seed, progress_bar):
    """Train and deploy one task; its results."""
    config = dict(TASKS[name])
    (train, train_labels), (test, test_labels) = DATA[name](seed)
    if quick:  # a smoke test of the whole pipeline, not a measurement
        config.update(QUICK)
        train, train_labels = (
            train[: QUICK["n_train"]],
            train_labels[: QUICK["n_train"]],
        )
        test, test_labels = test[: QUICK["n_test"]], test_labels[: QUICK["n_test"]]
    n_train = len(train)
    train, train_labels, validation_split = augmented(
        name, train, train_labels, config["augment"], config["max_shift"], seed
    )
    hold = config["hold"]
    train, test = np.repeat(train, hold, axis=1), np.repeat(test, hold, axis=1)
    options = dict(
        theta=config["theta_steps"] * hold * DT,
        order=config["order"],
        n_hidden=config["n_hidden"],
        size_out=10,
        input_to_hidden=True,
        hidden_to_hidden=config["hidden_to_hidden"],
        synapse=nengo.Lowpass(config["tau"]),
        radius=float(np.abs(train).max()),
        seed=seed,
        add_to_container=False,
    )
    rate = LMU(neuron_type=nengo.LIFRate(amplitude=1 / MAX_RATE), **options)
    wall, cpu = time.perf_counter(), time.process_time()
    history = rate.train(
        train,
        np.eye(10)[train_labels],
        epochs=config["epochs"],
        loss="crossentropy",
        batch_size=32,
        learning_rate=config["learning_rate"],
        schedule=config["schedule"],
        weight_decay=config["weight_decay"],
        validation_split=validation_split,
        patience=None,  # the cosine schedule runs its course; the best epoch is kept
        noise=config["noise"],
        seed=seed,
        progress_bar=progress_bar,
    )
    train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    predicted = rate.predict(test)[:, -1]
    rate_outputs, _, _ = simulate(rate, test, seed)
    # rate scaling: LIF neurons k times faster (tau_rc and tau_ref / k) have k
    # times the rates, so with amplitude / k the same activities, from k times as
    # many spikes
    scale = config["rate_scale"]
    spiking = LMU(
        neuron_type=nengo.LIF(
            tau_rc=0.02 / scale, tau_ref=0.002 / scale, amplitude=1 / (scale * MAX_RATE)
        ),
        encoders=rate.encoders,
        kernels=rate.kernels,
        **options,
    )
    spiking_outputs, peak_rate, peak_10ms = simulate(spiking, test, seed)
    return {
        "config": config,
        "n_train": n_train,
        "n_train_augmented": len(train),
        "n_test": len(test),
        "trained (predict)": accuracy(predicted, test_labels),
        "nengo rate": accuracy(rate_outputs, test_labels),
        "nengo spiking": accuracy(spiking_outputs, test_labels),
        "peak rate (Hz)": peak_rate,
        "peak rate over 10 ms (Hz)": peak_10ms,
        "train seconds (wall)": train_wall,
        "train seconds (cpu)": train_cpu,
        "epochs run": history["epochs"],
        "best epoch": history["best_epoch"],
        "val_accuracy": history["val_accuracy"],
        "loss": history["loss"],
    }


def accuracy(outputs, labels):
    return float(np.mean(np.argmax(outputs, axis=-1) == labels))


def plot(results, path):
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
    for name, result in results.items():
        axes[0].plot(result["val_accuracy"], label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("validation accuracy")
    axes[0].legend()
    labels = ["trained (predict)", "nengo rate", "nengo spiking"]
    width = 0.8 / len(results)
    for i, (name, result) in enumerate(results.items()):
        axes[1].bar(
            np.arange(3) + i * width,
            [100 * result[label] for label in labels],
            width,
            label=name,
        )
    axes[1].set_xticks(np.arange(3) + width * (len(results) - 1) / 2)
    axes[1].set_xticklabels(["trained", "rate", "spiking"])
    axes[1].set_ylabel("test accuracy (%)")
    axes[1].set_ylim(50, 100)
    axes[1].legend(loc="lower right")
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="fewer data, epochs")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.tasks:
        results[name] = run_task(name, args.quick, args.seed, progress_bar=True)
    cpus = len(os.sched_getaffinity(0))
    print(
        f"\n{'task':10} {'trained':>8} {'rate':>6} {'spiking':>8} {'peak Hz':>8} "
        f"{'10ms Hz':>8} {'train s: CPU':>12} {'wall':>6} ({cpus} CPUs)"
    )
    for name, r in results.items():
        print(
            f"{name:10} {100 * r['trained (predict)']:7.1f}% "
            f"{100 * r['nengo rate']:5.1f}% {100 * r['nengo spiking']:7.1f}% "
            f"{r['peak rate (Hz)']:8.0f} {r['peak rate over 10 ms (Hz)']:8.0f} "
            f"{r['train seconds (cpu)']:12.0f} {r['train seconds (wall)']:6.0f}"
        )
    # the tasks run earlier into the same file are kept
    path = args.out / f"train_lmu{'_quick' if args.quick else ''}.json"
    saved = json.loads(path.read_text()) if path.is_file() else {}
    saved.update({"cpus": cpus, "quick": args.quick, **results})
    path.write_text(json.dumps(saved, indent=2))
    plot(
        {name: saved[name] for name in TASKS if name in saved}, path.with_suffix(".png")
    )


if __name__ == "__main__":
    main()
