"""`LMU.fit`'s defaults against the best fixed regularisation, on several tasks.

For each task and neuron type, an `LMU` is fitted on training sequences and
scored on test sequences (`LMU.predict`, which equals the simulation for these
rate neurons) five ways:

- ``defaults``: ``fit(inputs, targets)`` with no other arguments (ridge
  parameter chosen on held-out sequences, or with targets at the last step
  only, by leave-one-out over the sequences);
- ``held-out fifth``: for targets at the last step only, the ridge parameter
  chosen instead on every fifth sequence held out (how ``fit`` chose it before
  leave-one-out); for the other tasks, the same as ``defaults``;
- ``data``: the same with the hidden layer drawn from the data
  (``init="data"``);
- ``best fixed``: the best of ``LstsqL2(reg)``, reg in 1e-1 .. 1e-6, on the
  constructor's hidden layer (``init=None``) -- what a user tuning by hand on
  the test set would reach -- and ``nengo default``, ``LstsqL2()`` (reg 0.1);
- ``best fixed, data``: the same sweep on the data-drawn hidden layer.

The error is the NRMSE for regression and the error rate for classification;
the target is ``defaults`` <= 1.15 x ``best fixed``. Tasks (all one step per
``dt`` = 1 ms):

- ``delay``: 5 Hz band-limited white noise, delayed by 50 steps; theta 100
  steps, order 8;
- ``product``: u(t) u(t - 30) of the same noise; theta 60, order 8;
- ``frequency``: which of 4 frequencies (2 to 8 cycles over 100 steps, random
  phase, noise added) a sine has, at the last step; theta 100, order 12;
- ``mackey-glass``: 15 steps ahead (`mackey_glass.py`'s series) with
  ``input_to_hidden``; theta 17, order 6;
- ``psdigits``: permuted digits (`sequence_digits.py`'s psDigits: 1200
  training and 597 test images, one pixel per step, classified at the last
  step); theta 64, order 32 (the issue's network, with ``--n-hidden`` neurons);
- ``digits-16``: the digits in reading order, theta 64, order 16.

Prints a table; writes ``fit_defaults.json``. From the repository root::

    python benchmarks/fit_defaults.py --out benchmarks/results
"""

import argparse
import json
import sys
from pathlib import Path

import nengo
import numpy as np

from nengo_lmu import LMU
from nengo_lmu.networks.lmu import ridge_fit

sys.path.insert(0, str(Path(__file__).parent))
from mackey_glass import mackey_glass_task  # noqa: E402
from sequence_digits import digit_sequences  # noqa: E402

DT = 0.001
FIXED_REGS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
NEURON_TYPES = {
    "RectifiedLinear": nengo.RectifiedLinear(),
    "LIFRate": nengo.LIFRate(),
    "Tanh": nengo.Tanh(),
}


def white_noise(n_seqs, n_steps, rng, high=5.0):
    process = nengo.processes.WhiteSignal(n_steps * DT, high=high, rms=0.5)
    return np.array([process.run_steps(n_steps, dt=DT, rng=rng) for _ in range(n_seqs)])


def delay_task(rng, n_seqs):
    inputs = white_noise(n_seqs, 400, rng)
    targets = np.zeros_like(inputs)
    targets[:, 50:] = inputs[:, :-50]
    return inputs, targets


def product_task(rng, n_seqs):
    inputs = white_noise(n_seqs, 400, rng)
    targets = np.zeros_like(inputs)
    targets[:, 30:] = inputs[:, 30:] * inputs[:, :-30]
    return inputs, targets


def frequency_task(rng, n_seqs):
    labels = rng.randint(4, size=n_seqs)
    cycles = 2 + 2 * labels
    steps = np.arange(100) / 100
    phase = rng.uniform(0, 2 * np.pi, size=(n_seqs, 1))
    inputs = np.sin(2 * np.pi * cycles[:, None] * steps + phase)
    inputs += 0.5 * rng.standard_normal(inputs.shape)
    return inputs[:, :, None], np.eye(4)[labels]


TASKS = {
    "delay": (delay_task, dict(theta=0.1, order=8), 30, 10),
    "product": (product_task, dict(theta=0.06, order=8), 30, 10),
    "frequency": (frequency_task, dict(theta=0.1, order=12), 600, 300),
}
DIGIT_TASKS = {
    "psdigits": (True, dict(theta=0.064, order=32)),
    "digits-16": (False, dict(theta=0.064, order=16)),
}


class HeldOutFifth(nengo.solvers.Solver):
    """``fit``'s automatic ridge with every fifth row (sequence) held out."""

    def __init__(self):
        super().__init__(weights=False)

    def __call__(self, A, Y, rng=None, E=None):
        return ridge_fit(A, Y, np.arange(len(A)) % 5 == 4)


class Recorder(nengo.solvers.Solver):
    """Keeps the activities `LMU.fit` solves from (and returns zero weights)."""

    def __init__(self):
        super().__init__(weights=False)
        object.__setattr__(self, "activities", None)

    def __call__(self, A, Y, rng=None, E=None):
        object.__setattr__(self, "activities", A)
        return np.zeros((A.shape[1], Y.shape[1])), {}


def error(outputs, targets):
    """The error rate for targets at the last step, otherwise the NRMSE."""
    if targets.ndim == 2:  # classification at the last step
        return float(np.mean(outputs.argmax(axis=-1) != targets.argmax(axis=1)))
    return float(np.sqrt(np.mean((outputs - targets) ** 2) / np.mean(targets**2)))


def score(lmu, inputs, targets):
    outputs = lmu.predict(inputs)
    return error(outputs[:, -1] if targets.ndim == 2 else outputs, targets)


def activities(lmu, inputs, targets):
    """The hidden activities that `LMU.fit` solves from (and `predict` reads)."""
    recorder = Recorder()
    lmu.fit(inputs, targets, solver=recorder, init=None)
    return recorder.activities


def run(task, neuron_type, seed, n_hidden):
    rng = np.random.RandomState(seed)
    if task == "mackey-glass":
        (train, train_targets), (test, test_targets) = mackey_glass_task(
            8, 4, 1000, seed=seed
        )
        options = dict(theta=0.017, order=6, input_to_hidden=True)
    elif task in DIGIT_TASKS:
        permuted, options = DIGIT_TASKS[task]
        (train, train_labels), (test, test_labels) = digit_sequences(permuted, seed)
        train_targets, test_targets = np.eye(10)[train_labels], np.eye(10)[test_labels]
    else:
        make, options, n_train, n_test = TASKS[task]
        train, train_targets = make(rng, n_train)
        test, test_targets = make(rng, n_test)
    size_out = train_targets.shape[-1]

    def network():
        return LMU(
            n_hidden=n_hidden,
            size_out=size_out,
            neuron_type=neuron_type,
            seed=seed,
            add_to_container=False,
            **options,
        )

    result = {}
    lmu = network()
    result["reg"] = lmu.fit(train, train_targets)["reg"]
    result["defaults"] = score(lmu, test, test_targets)
    lmu = network()
    lmu.fit(train, train_targets, init="data")
    result["data"] = score(lmu, test, test_targets)
    # the other solvers from the activities, computed once per hidden layer
    for init in (None, "data"):
        lmu = network()
        if init == "data":
            lmu.fit(train, train_targets, init="data")
        fit_rows = activities(lmu, train, train_targets)
        test_rows = activities(lmu, test, test_targets)

        def test_error(solver):
            weights, _ = solver(fit_rows, train_targets.reshape(-1, size_out))
            return error(
                (test_rows @ weights).reshape(test_targets.shape), test_targets
            )

        errors = [test_error(nengo.solvers.LstsqL2(reg=reg)) for reg in FIXED_REGS]
        key = "best fixed" if init is None else "best fixed, data"
        result[key] = min(errors)
        if init is None:
            result["nengo default"] = errors[0]
            result["held-out fifth"] = (
                test_error(HeldOutFifth())
                if train_targets.ndim == 2
                else result["defaults"]
            )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-hidden", type=int, default=300)
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=[*TASKS, "mackey-glass", *DIGIT_TASKS],
        help="tasks to run",
    )
    parser.add_argument(
        "--neurons", nargs="+", default=list(NEURON_TYPES), help="neuron types"
    )
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()

    columns = [
        "defaults",
        "held-out fifth",
        "data",
        "best fixed",
        "best fixed, data",
        "nengo default",
    ]
    print(f"{'task':14s} {'neurons':16s} " + " ".join(f"{c:>16s}" for c in columns))
    results = {}
    for task in args.tasks:
        for name in args.neurons:
            neuron_type = NEURON_TYPES[name]
            runs = [run(task, neuron_type, seed, args.n_hidden) for seed in args.seeds]
            medians = {c: float(np.median([r[c] for r in runs])) for c in columns}
            ratios = [r["defaults"] / max(r["best fixed"], 1e-12) for r in runs]
            ratio = float(np.median(ratios))
            medians["defaults / best fixed"] = ratio
            medians["max defaults / best fixed"] = float(np.max(ratios))
            results[f"{task}, {name}"] = dict(medians=medians, runs=runs)
            print(
                f"{task:14s} {name:16s} "
                + " ".join(f"{medians[c]:16.4f}" for c in columns)
                + f"   ratio {ratio:.2f} (max {np.max(ratios):.2f})",
                flush=True,
            )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fit_defaults.json").write_text(
        json.dumps(
            dict(seeds=args.seeds, n_hidden=args.n_hidden, results=results), indent=1
        )
    )


if __name__ == "__main__":
    main()
