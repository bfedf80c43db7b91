"""Time `evaluate_memory` by FFT against the step-by-step recurrence.

For a Legendre memory of order 256 with a window of 784 steps (``dt = 1``, ZOH),
fed a batch of 100 single-channel white-noise sequences of 784 steps (the psMNIST
shape), this times ``evaluate_memory(..., method="fft")`` and
``method="recurrence"`` (median over the timed runs; one warm-up run per method
is not counted), checks that the two agree (maximum absolute difference relative
to the largest state) and sweeps the sequence length over 100 to 1600 steps.

It prints a table, and writes ``memory_fft.json`` and ``memory_fft.png`` (time
against sequence length) into the output directory. Run from the repository root:

    python benchmarks/memory_fft.py --seeds 0 1 2 --out benchmarks/results
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import matplotlib
import numpy as np
import scipy

from nengo_lmu import discretize, legendre_delay
from nengo_lmu.sequence import evaluate_memory

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METHODS = ("fft", "recurrence")
ORDER = 256
THETA_STEPS = 784
BATCH = 100
CHANNELS = 1
N_STEPS = 784
SWEEP_N_STEPS = (100, 200, 400, 784, 1600)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="one white-noise input batch per seed (default: 0 1 2)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed runs per seed and method, after the warm-up (default: 3)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks/results"),
        help="directory for memory_fft.json and memory_fft.png",
    )
    return parser.parse_args()


def time_methods(Ad, Bd, n_steps, seeds, repeats):
    """Time both methods on one input batch per seed; check that they agree."""
    inputs_per_seed = [
        np.random.default_rng(seed).standard_normal((BATCH, n_steps, CHANNELS))
        for seed in seeds
    ]
    times = {method: [] for method in METHODS}
    for method in METHODS:
        evaluate_memory(inputs_per_seed[0], Ad, Bd, method=method)
        for inputs in inputs_per_seed:
            for _ in range(repeats):
                start = time.perf_counter()
                evaluate_memory(inputs, Ad, Bd, method=method)
                times[method].append(time.perf_counter() - start)

    max_relative_difference = 0.0
    for inputs in inputs_per_seed:
        by_fft = evaluate_memory(inputs, Ad, Bd, method="fft")
        by_recurrence = evaluate_memory(inputs, Ad, Bd, method="recurrence")
        difference = np.max(np.abs(by_fft - by_recurrence))
        max_relative_difference = max(
            max_relative_difference, difference / np.max(np.abs(by_recurrence))
        )

    medians = {method: float(np.median(times[method])) for method in METHODS}
    return {
        "n_steps": n_steps,
        "median_seconds": medians,
        "times_seconds": times,
        "speedup": medians["recurrence"] / medians["fft"],
        "max_relative_difference": float(max_relative_difference),
    }


def print_table(result):
    print(
        f"\nn_steps={result['n_steps']}, order={ORDER}, batch={BATCH}, "
        f"channels={CHANNELS}, theta={THETA_STEPS} steps"
    )
    print(f"{'method':<12}{'median (ms)':>12}{'min (ms)':>10}{'max (ms)':>10}")
    for method in METHODS:
        times = np.array(result["times_seconds"][method]) * 1e3
        print(
            f"{method:<12}{np.median(times):>12.1f}{times.min():>10.1f}"
            f"{times.max():>10.1f}"
        )
    print(f"speed-up (recurrence / fft): {result['speedup']:.2f}")
    print(
        "max |fft - recurrence| / max |state|: "
        f"{result['max_relative_difference']:.2e}"
    )


def plot_sweep(sweep, path):
    n_steps = [result["n_steps"] for result in sweep]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method in METHODS:
        medians = [result["median_seconds"][method] * 1e3 for result in sweep]
        ax.plot(n_steps, medians, marker="o", label=method)
    ax.set_xlabel("sequence length (steps)")
    ax.set_ylabel("median time (ms)")
    ax.set_title(
        f"evaluate_memory: order {ORDER}, batch {BATCH}, {CHANNELS} channel",
        fontsize=10,
    )
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    args = parse_args()
    load_before = os.getloadavg()
    A, B = legendre_delay(theta=float(THETA_STEPS), order=ORDER)
    Ad, Bd = discretize(A, B, dt=1.0)

    result = time_methods(Ad, Bd, N_STEPS, args.seeds, args.repeats)
    print_table(result)

    print("\nsweep over n_steps (median ms):")
    print(f"{'n_steps':>8}{'fft':>10}{'recurrence':>12}{'speed-up':>10}")
    sweep = []
    for n_steps in SWEEP_N_STEPS:
        sweep_result = time_methods(Ad, Bd, n_steps, args.seeds, args.repeats)
        sweep.append(sweep_result)
        medians = sweep_result["median_seconds"]
        print(
            f"{n_steps:>8}{medians['fft'] * 1e3:>10.1f}"
            f"{medians['recurrence'] * 1e3:>12.1f}{sweep_result['speedup']:>10.2f}"
        )

    load_after = os.getloadavg()
    print(
        f"\n1-minute load average: {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    if load_before[0] > 0.5:
        print(
            "warning: the CPUs were busy before the run; both methods use every "
            "core (BLAS threads, FFT workers) and slow down badly when they share "
            "them, so check that nothing else was running"
        )

    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "config": {
            "order": ORDER,
            "theta_steps": THETA_STEPS,
            "dt": 1.0,
            "discretization": "zoh",
            "batch": BATCH,
            "channels": CHANNELS,
            "seeds": args.seeds,
            "repeats_per_seed": args.repeats,
        },
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "result": result,
        "sweep": sweep,
    }
    json_path = args.out / "memory_fft.json"
    json_path.write_text(json.dumps(report, indent=2))
    png_path = args.out / "memory_fft.png"
    plot_sweep(sweep, png_path)
    print(f"wrote {json_path} and {png_path}")


if __name__ == "__main__":
    main()
