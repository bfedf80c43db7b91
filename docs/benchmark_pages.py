"""reST fragments of the benchmarks page, from ``benchmarks/results/`` at build time.

The benchmarks take minutes, so the docs build never runs them: it reads the JSON
and PNG files they wrote, if present, and otherwise shows the command that makes
them. ``docs/conf.py`` calls `main` on every build.
"""

import json
import shutil
import statistics
import sys
from pathlib import Path

BENCHMARKS = {
    "delay_accuracy": (
        "python benchmarks/delay_accuracy.py --seeds 0 1 2 3 4 --out benchmarks/results"
    ),
    "accuracy_map": "python benchmarks/accuracy_map.py --seeds 0 1 2 3 4 --jobs 16 "
    "--out benchmarks/results",
    "accuracy_tails": "python benchmarks/accuracy_map.py --tails 20 --jobs 16 --out "
    "benchmarks/results",
    "noise_limited": "python benchmarks/accuracy_map.py --noise-limited --out "
    "benchmarks/results",
    "memory_fft": "python benchmarks/memory_fft.py --seeds 0 1 2 --out benchmarks/results",
    "online_learning": "python benchmarks/online_learning.py --tasks recipe pes "
    "product cost",
    "sequence_digits": "python benchmarks/sequence_digits.py --out benchmarks/results",
    "train_lmu": "python benchmarks/train_lmu.py --out benchmarks/results",
    "mackey_glass": "python benchmarks/mackey_glass.py --seeds 0 1 2 --out "
    "benchmarks/results",
    "fit_defaults": "python benchmarks/fit_defaults.py --out benchmarks/results",
    "loihi_delay": "python benchmarks/loihi_delay.py --out benchmarks/results",
    "loihi_lmu": "python benchmarks/loihi_lmu.py --out benchmarks/results",
    "scale_reference": "OPENBLAS_NUM_THREADS=1 python benchmarks/scale.py "
    "--simulator reference --orders 16 64 256 512 1024",
    "scale_nengo_ocl": "PYOPENCL_CTX=0 python benchmarks/scale.py --simulator "
    "nengo_ocl --lmus 1 16 64 --order 64 --neural 1 8 32",
    "train_speed": "python benchmarks/train_speed.py --out benchmarks/results",
}


def table(header, rows, widths=None):
    """A reST list-table."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    if widths:
        lines.insert(2, f"   :widths: {' '.join(map(str, widths))}")
    for row in [header] + rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines) + "\n"


def missing(name, command):
    return (
        f".. note::\n\n   No results of ``benchmarks/{name}.py`` were found in "
        "``benchmarks/results/`` when these pages were built. Regenerate them "
        "from the repository root, then rebuild the documentation:\n\n"
        f"   .. code-block:: bash\n\n      {command}\n"
    )


def figure(name, caption):
    """The benchmark's figure, with a caption that says what it shows."""
    return (
        f".. figure:: /_generated/{name}.png\n   :alt: {caption}\n\n" f"   {caption}.\n"
    )


def delay_accuracy(results, has_figure):
    """Tables of ``delay_accuracy.json``."""
    out = []
    rows = []
    targets = {"B1": "<= 0.040 (published 0.048)", "task2": "<= 0.15"}
    for key, result in results["targets"].items():
        task, kind = key.split(" ", 1)
        ratio = result["neural"] / result["exact"]
        target = targets.get(task, "") if kind == "spiking" else "ratio <= 1.5"
        rows.append(
            [
                f"{task}",
                kind,
                f"{result['neural']:.4f}",
                f"{result['exact']:.4f}",
                f"{ratio:.2f}",
                target,
            ]
        )
    seeds = ", ".join(map(str, results.get("seeds", [])))
    out.append(
        f"Median NRMSE of the full-delay readout over seeds {seeds} "
        "(neural: the neural memory; exact: the exact memory on the same input):\n"
    )
    out.append(
        table(
            ["task", "neurons", "neural NRMSE", "exact NRMSE", "ratio", "target"],
            rows,
        )
    )
    curves = results.get("curves", {})
    for kind in ("spiking", "rate"):
        by_neurons = curves.get(f"neurons {kind}")
        if by_neurons and "neurons_per_dimension" in results:
            out.append(f"B1 ({kind}), NRMSE against neurons per dimension (order 6):\n")
            out.append(
                table(
                    ["neurons per dimension"]
                    + [str(n) for n in results["neurons_per_dimension"]],
                    [["NRMSE"] + [f"{r['neural']:.3g}" for r in by_neurons]],
                )
            )
        by_order = curves.get(f"order {kind}")
        if by_order and "orders" in results:
            out.append(f"B1 ({kind}), NRMSE against order (1000 neurons in all):\n")
            out.append(
                table(
                    ["order"] + [str(d) for d in results["orders"]],
                    [
                        ["neural"] + [f"{r['neural']:.3g}" for r in by_order],
                        ["exact"] + [f"{r['exact']:.3g}" for r in by_order],
                    ],
                )
            )
    timing = results.get("timing")
    if timing:
        out.append(
            f"Build time of the 1000-neuron B1 memory (memory and simulator): "
            f"{timing['build_s']:.2f} s; run time {timing['run_s_per_s']:.3f} s per "
            "simulated second (wall-clock time"
            + (
                f"; CPU time {timing['build_cpu_s']:.2f} s and "
                f"{timing['run_cpu_s_per_s']:.3f} s)."
                if "build_cpu_s" in timing and "run_cpu_s_per_s" in timing
                else ")."
            )
            + "\n"
        )
    if has_figure:
        out.append(
            figure(
                "delay_accuracy",
                "NRMSE of the 1 s delay against neurons per dimension, spiking "
                "and rate, with the exact memory and the published figure",
            )
        )
        for suffix, caption in [
            ("order", "NRMSE against the order, for about 1000 neurons in all"),
            ("window", "NRMSE at each point of the window, for order 6"),
        ]:
            if (GENERATED_FIGURES / f"delay_accuracy_{suffix}.png").is_file():
                out.append(figure(f"delay_accuracy_{suffix}", caption))
    return "\n".join(out)


def memory_fft(results, has_figure):
    """Tables of ``memory_fft.json``."""
    config, result = results["config"], results["result"]
    environment = results.get("environment", {})
    out = [
        f"Order {config['order']}, window of {config['theta_steps']} steps "
        f"(dt = {config['dt']:g}, {config['discretization']}), batch "
        f"{config['batch']}, {config['channels']} channel(s), "
        f"{result['n_steps']} steps; median of {config['repeats_per_seed']} runs "
        f"for each of seeds {', '.join(map(str, config['seeds']))}. Machine: "
        f"{environment.get('cpu_count', '?')} CPUs ({environment.get('machine', '?')}), "
        f"Python {environment.get('python', '?')}, numpy "
        f"{environment.get('numpy', '?')}, scipy {environment.get('scipy', '?')}.\n"
    ]
    rows = []
    for method, times in result["times_seconds"].items():
        times_ms = sorted(1e3 * t for t in times)
        rows.append(
            [
                f"``{method}``",
                f"{1e3 * result['median_seconds'][method]:.1f}",
                f"{times_ms[0]:.1f}",
                f"{times_ms[-1]:.1f}",
            ]
        )
    out.append(table(["method", "median (ms)", "min (ms)", "max (ms)"], rows))
    out.append(
        f"Speed-up of the FFT (recurrence time / FFT time): "
        f"{result['speedup']:.2f}. Largest difference between the two, relative "
        f"to the largest state: {result['max_relative_difference']:.1e}.\n"
    )
    sweep = results.get("sweep")
    if sweep:
        out.append("Against the sequence length:\n")
        out.append(
            table(
                ["steps", "fft (ms)", "recurrence (ms)", "speed-up"],
                [
                    [
                        str(s["n_steps"]),
                        f"{1e3 * s['median_seconds']['fft']:.1f}",
                        f"{1e3 * s['median_seconds']['recurrence']:.1f}",
                        f"{s['speedup']:.2f}",
                    ]
                    for s in sweep
                ],
            )
        )
    if has_figure:
        out.append(
            figure("memory_fft", "Median time of both methods against sequence length")
        )
    return "\n".join(out)


def accuracy_map(results, has_figure):
    """Table of ``accuracy_map.json``: each axis swept around its centre."""
    out = [
        "Full-window NRMSE against the exact memory, median over seeds "
        f"{', '.join(map(str, results['seeds']))}; *auto / plain* below 1 means the "
        "default calibration helps. The centres:\n",
    ]
    for centre, config in results["centres"].items():
        text = ", ".join(f"{key} = {value}" for key, value in config.items())
        out.append(f"- **{centre}**: {text}")
    out.append("")
    rows = []
    for point in results["points"]:
        rate = "-" if point["rate"] is None else f"{point['rate']:.4f}"
        rows.append(
            [
                point["centre"],
                f"{point['axis']} = {point['value']}",
                f"{point['auto']:.4f}",
                f"{point['plain']:.4f}",
                rate,
                f"{point['ratio']:.2f}",
            ]
        )
    out.append(
        table(
            ["Centre", "Changed", "auto", "plain", "rate floor", "auto / plain"],
            rows,
            widths=[16, 24, 12, 12, 12, 12],
        )
    )
    if has_figure:
        out.append(figure("accuracy_map", "NRMSE of auto, plain and rate memories"))
    return "\n".join(out)


def noise_limited(results, has_figure):
    """Table of ``noise_limited.json``: auto against plain where spike noise rules."""
    config = results["config"]
    out = [
        f"Order {config['order']}, theta = {config['theta']} s, "
        f"{config['high']:g} Hz white noise of rms {config['rms']} (the memories are "
        "told its spectrum), LIF neurons with nengo's default parameters (max rates "
        "200 to 400 Hz), full-window NRMSE against the exact memory, median over "
        f"seeds {', '.join(map(str, results['seeds']))} (range in brackets). "
        "*Change* is auto against plain; the target is at least 35% lower at 100 "
        "and 200 neurons per dimension and tau = 5 and 10 ms.\n",
    ]
    rows = []
    for point in results["points"]:
        cells = [str(point["n_neurons"]), f"{point['tau'] * 1e3:g} ms"]
        for name in ("auto", "plain", "rate"):
            low, high = point[f"{name}_range"]
            cells.append(f"{point[name]:.4f} ({low:.3f}-{high:.3f})")
        cells.append(f"{point['change']:+.0%}")
        rows.append(cells)
    out.append(
        table(
            ["Neurons / dim", "tau", "auto", "plain", "rate floor", "change"],
            rows,
            widths=[12, 8, 22, 22, 22, 10],
        )
    )
    if has_figure:
        out.append(
            figure(
                "noise_limited",
                "NRMSE against neurons per dimension at tau = 10 ms: calibrated, "
                "plain and rate memories",
            )
        )
    return "\n".join(out)


def accuracy_tails(results, has_figure):
    """Table of ``accuracy_tails.json``: single runs' auto / plain over seeds."""
    rows = [
        [
            row["point"],
            f"{row['test_duration']:g} s",
            str(len(row["ratios"])),
            f"{row['median']:.3f}",
            f"{row['worst']:.3f}",
            str(row["n_worse"]),
        ]
        for row in results["rows"]
    ]
    return (
        "The ratio auto / plain of single runs (one seed each), with the map's "
        "test duration and with 10 s; *worse*: runs more than 5% worse with the "
        "calibration.\n\n"
        + table(
            ["Point", "test", "seeds", "median", "worst", "worse"],
            rows,
            widths=[26, 8, 7, 8, 8, 7],
        )
    )


def train_speed(results, has_figure):
    """Table of ``train_speed.json``: one training step, parallel against scan."""
    rows = [
        [
            "last step" if row["targets"] == "last" else "every step",
            str(row["batch"]),
            f"{row['parallel_s'] * 1e3:.2f}",
            f"{row['scan_s'] * 1e3:.2f}",
            f"{row['speedup']:.1f}x",
        ]
        for row in results["rows"]
    ]
    return (
        f"On {results.get('device_kind', results['device'])} (JAX "
        f"{results['versions']['jax']}): order "
        f"{results['order']}, {results['n_hidden']} ReLU hidden units, sequences "
        f"of {results['n_steps']} steps, median of {results['repeats']} steps after "
        "compilation.\n\n"
        + table(
            ["Targets", "batch", "parallel (ms)", "scan (ms)", "speed-up"],
            rows,
            widths=[12, 7, 15, 12, 10],
        )
    )


def figure_only(name):
    """A benchmark whose page shows its plot; its tables stay in the JSON."""

    def render(results, has_figure):
        text = (
            f"The full results are in ``benchmarks/results/{name}.json`` "
            f"(top-level keys: {', '.join(f'``{key}``' for key in results)}).\n"
        )
        if has_figure:
            text += "\n" + figure(name, f"The plot of benchmarks/{name}.py")
        return text

    return render


def sequence_digits(results, has_figure):
    """Test accuracy of each network, and the fit timings."""
    names = [
        ("defaults", "``LMU.fit`` defaults (order 32, 1000 neurons), rate neurons"),
        ("defaults-data", "the same, hidden layer drawn from data (predict)"),
        ("defaults-spiking", "the same, spiking neurons (fitted for their noise)"),
        ("fit", "``LMU.fit``, rate neurons"),
        ("fit-spiking", "the same weights, spiking neurons"),
        ("keras-tensorflow", "KerasLMU trained with backprop, in TensorFlow"),
        ("keras", "imported with ``from_keras``, rate neurons"),
        ("keras-spiking", "imported with ``from_keras``, spiking neurons"),
    ]
    tasks = ["sequential", "permuted"]
    rows = [
        [label]
        + [
            (
                f"{100 * results[task][name]:.1f}%"
                if name in results.get(task, {})
                else "not run"
            )
            for task in tasks
        ]
        for name, label in names
    ]
    out = [table(["network (597 test images)", "sequential", "permuted"], rows)]
    permuted = results["permuted"]
    out.append(
        f"`LMU.fit` on the 1200 training sequences of 64 steps took "
        f"{permuted['fit_seconds_wall']:.1f} s (wall; "
        f"{permuted['fit_seconds_cpu']:.1f} s CPU) for 2000 neurons. Computing "
        f"their hidden activities with the memory by FFT took "
        f"{permuted['cell_seconds_fft']:.2f} s of CPU against "
        f"{permuted['cell_seconds_recurrence']:.2f} s by recurrence (speed-up "
        f"{permuted['fft_speedup']:.2f}; they differ by at most "
        f"{permuted['fft_max_difference']:.1e}).\n"
    )
    if "keras_note" in permuted:
        out.append(permuted["keras_note"] + "\n")
    if "defaults-fixed" in permuted:
        for task in tasks:
            run = results.get(task, {})
            if "defaults-fixed" not in run:
                continue
            best = max(run["defaults-fixed"].items(), key=lambda item: item[1])
            out.append(
                f"{task.capitalize()}: ``fit()`` chose reg {run['defaults_reg']:.2g}; "
                f"the best fixed ``LstsqL2`` on the test images, reg {best[0]}, "
                f"reaches {100 * best[1]:.1f}% (``predict``). The spiking version's "
                f"hidden neurons fire at {run['defaults_spiking_rate_hz']:.0f} Hz on "
                "average.\n"
            )
    if has_figure:
        out.append(figure("sequence_digits", "Test accuracy of each network"))
    return "\n".join(out)


def train_lmu(results, has_figure):
    """Test accuracy of the trained LMUs, rate and spiking, and training times."""
    rows = []
    for name, label in [("mnist1d", "MNIST-1D"), ("psdigits", "psDigits")]:
        if name not in results:
            continue
        run = results[name]
        rows.append(
            [
                f"{label} ({run['n_test']} test)",
                f"{100 * run['trained (predict)']:.1f}%",
                f"{100 * run['nengo rate']:.1f}%",
                f"{100 * run['nengo spiking']:.1f}%",
                f"{run['peak rate (Hz)']:.0f} / {run['peak rate over 10 ms (Hz)']:.0f}",
                f"{run['train seconds (cpu)']:.0f} / {run['train seconds (wall)']:.0f} "
                f"({run['epochs run']} epochs)",
            ]
        )
    text = table(
        [
            "task",
            "trained (``predict``)",
            "nengo, rate",
            "nengo, spiking",
            "peak rate (Hz): sequence / 10 ms",
            f"training, s: CPU / wall ({results['cpus']} CPUs, shared)",
        ],
        rows,
    )
    if has_figure:
        text += "\n" + figure("train_lmu", "Validation accuracy and test accuracy")
    return text


def mackey_glass(results, has_figure):
    """Test NRMSE of ``fit``'s defaults, the fixed sweeps and the spiking network."""
    medians = results["medians"]
    labels = [
        ("fit", "``fit()`` defaults, rate neurons, in nengo"),
        ("best_fixed_data", "best fixed ``LstsqL2``, hidden layer from data"),
        ("fit-data", "automatic reg, hidden layer drawn from data"),
        ("best_fixed_constructor", "best fixed ``LstsqL2``, constructor's layer"),
        ("fit-spiking", "spiking neurons, fitted for their noise, in nengo"),
        ("spiking-rate-weights", "spiking neurons, the rate network's weights"),
    ]
    rows = [
        [label, f"{100 * medians[key]:.2f}%"] for key, label in labels if key in medians
    ]
    text = table(["network (test sequences)", "NRMSE"], rows, widths=[70, 30])
    if "spiking_rate_hz" in medians:
        text += (
            f"\nThe spiking hidden neurons fire at {medians['spiking_rate_hz']:.0f} Hz "
            f"on average (median over seeds {results['seeds']}).\n"
        )
    if has_figure:
        text += "\n" + figure("mackey_glass", "A test sequence and the reg path")
    return text


def fit_defaults(results, has_figure):
    """Test error of ``fit``'s defaults against the best fixed ``LstsqL2``."""
    columns = [
        ("defaults", "``fit()``"),
        ("held-out fifth", "held-out fifth"),
        ("best fixed", "best fixed ``LstsqL2``"),
        ("nengo default", "``LstsqL2()``"),
        ("data", "``init='data'``"),
    ]
    rows = []
    for key, result in results["results"].items():
        task, neurons = key.split(", ")
        medians = result["medians"]
        rows.append(
            [task, neurons]
            + [f"{medians[name]:.4f}" for name, _ in columns]
            + [
                f"{medians['defaults / best fixed']:.2f} "
                f"({medians['max defaults / best fixed']:.2f})"
            ]
        )
    seeds = ", ".join(map(str, results["seeds"]))
    return (
        f"Median test error over seeds {seeds} ({results['n_hidden']} hidden "
        "neurons; NRMSE, or the error rate for the classification tasks), and "
        "the ratio of ``fit()``'s to the best fixed one's (median, and largest "
        "over the seeds; target <= 1.15):\n\n"
        + table(
            ["task", "neurons"] + [label for _, label in columns] + ["ratio (max)"],
            rows,
        )
    )


def loihi_delay(results, has_figure):
    """The learned delay's NRMSE, and its linear-readout bound, per simulator.

    Medians over the seeds, with the range over them; the emulator's ratios to
    the reference simulator.
    """
    per_seed = results["per_seed"]
    seeds = [per_seed[str(seed)] for seed in results["seeds"]]

    def cell(name, value_of):
        values = [value_of(runs[name]) for runs in seeds]
        if any(value is None for value in values):
            return "not run"
        if len(values) == 1:
            return f"{values[0]:.3f}"
        return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    columns = [
        ("PES, learning off", lambda run: run["nrmse"]),
        ("Linear readout (bound)", lambda run: run.get("bound", {}).get("nrmse")),
        ("Memory's own readout", lambda run: run["memory_delay_nrmse"]),
    ]
    rows = [
        [f"``{name}``"] + [cell(name, value_of) for _, value_of in columns]
        for name in seeds[0]
    ]
    ratio = results["medians"].get("ratio")
    if ratio is not None:
        rows.append(
            ["emulator / reference (medians)"]
            + [
                f"{ratio[key]:.2f}" if key in ratio else "not run"
                for key in ("nrmse", "bound", "memory_delay_nrmse")
            ]
        )
    text = (
        f"Medians over seeds {', '.join(map(str, results['seeds']))} (range over "
        "them); NRMSE over the last "
        f"{results['duration'] - results['learn_until']:g} s, learning off.\n\n"
        + table(["Simulator"] + [label for label, _ in columns], rows)
    )
    if has_figure:
        text += "\n" + figure("loihi_delay", "Learning curves on both simulators")
    return text


# Build errors of nengo_loihi the Loihi page explains, in words.
LOIHI_ERRORS = {
    "Could not find appropriate weight exponent": (
        "does not build: nengo_loihi cannot fit the weak couplings of the "
        "memory's recurrent transform (through the ``state`` Node, one connection "
        'per pair of ensembles) into Loihi\'s weights; ``loop="direct"`` with '
        "``min_coupling`` builds (:doc:`backend_loihi`)"
    ),
}


def loihi_build_error(message):
    """A build error in words, from the text nengo_loihi raised."""
    for known, words in LOIHI_ERRORS.items():
        if known in message:
            return words
    return f"does not build ({message.split(':')[-1].strip()})"


def loihi_lmu(results, has_figure):
    """The fitted LMU's NRMSE per memory and simulator (or why it did not build)."""
    rows = [
        [
            f"``{name}``",
            (
                loihi_build_error(run["error"])
                if "error" in run
                else f"{run['nrmse']:.3f}"
            ),
        ]
        for name, run in results["runs"].items()
    ]
    return table(["Memory, simulator", "NRMSE"], rows, widths=[40, 60])


def scale(name):
    """Cost of nengo_lmu's models against the same models written by hand."""

    def render(results, has_figure):
        rows = []
        for kind, label in (("lmu", "LMUs"), ("neural", "neural memories")):
            for row in results[kind]:
                ours, hand = row["ours"], row["hand"]
                low, _, high = row["pair_ratio_quartiles"]
                rows.append(
                    [
                        f"{row['n']} {label}",
                        f"{1e3 * ours['step_s']:.3g} / {1e3 * hand['step_s']:.3g}",
                        f"{row['ratio']:.3f} ({low:.2f} to {high:.2f})",
                        f"{ours['build_s']:.2f} / {hand['build_s']:.2f}",
                        f"{ours['construct_s']:.2f} / {hand['construct_s']:.2f}",
                    ]
                )
        text = (
            f"On {results['simulator']} ({results['clock']} time per step, median "
            f"of {results['repeats']} runs of {results['n_steps']} steps; LMUs of "
            f"order {results['lmu_order']} with {results['lmu_hidden']} LIF hidden "
            "neurons). Each pair is nengo_lmu / by hand; the ratio's brackets are "
            "the quartiles of the interleaved pairs' ratios.\n\n"
        )
        text += table(
            [
                "Model",
                "ms per step",
                "ratio",
                "build (s)",
                "construction (s)",
            ],
            rows,
            widths=[22, 20, 22, 18, 18],
        )
        if "note" in results:
            text += f"\nOn {results['machine']}. {results['note']}\n"
        construction = [
            [
                str(row["order"]),
                f"{row['cold_s']:.3g}",
                f"{row['warm_s']:.3g}",
                f"{row.get('cached_s', float('nan')):.3g}",
                f"{row.get('given_cold_s', float('nan')):.3g}",
                f"{row['given_s']:.3g}",
            ]
            for row in results.get("construction", [])
        ]
        if construction:
            text += "\n``LMU(order, n_hidden=1000)`` construction (CPU s):\n\n"
            text += table(
                [
                    "order",
                    "first",
                    "another theta",
                    "again",
                    "every kernel given, first",
                    "every kernel given, again",
                ],
                construction,
            )
        neural = results.get("neural_construction")
        if neural:
            text += (
                f"\nB1 memories (``input_process`` given), CPU s: the first "
                f"{neural['first_s']:.3g}, one more {neural['again_s']:.3g}, "
                f"{neural['n_identical']} identical ones {neural['identical_s']:.3g}"
                " (they share one realisation, sample and lead calibration).\n"
            )
        if "load_average" in results:
            text += (
                "\nLoad average of the machine during the run: "
                + ", ".join(f"{load:.1f}" for load in results["load_average"])
                + " (1, 5, 15 min).\n"
            )
        if has_figure:
            text += "\n" + figure(name, "Cost against model size")
        return text

    return render


# Where main() copies the figures, for renderers that show optional ones.
GENERATED_FIGURES = Path(".")

RENDERERS = {
    "delay_accuracy": delay_accuracy,
    "accuracy_map": accuracy_map,
    "noise_limited": noise_limited,
    "accuracy_tails": accuracy_tails,
    "memory_fft": memory_fft,
    "online_learning": figure_only("online_learning"),
    "sequence_digits": sequence_digits,
    "train_lmu": train_lmu,
    "mackey_glass": mackey_glass,
    "fit_defaults": fit_defaults,
    "loihi_delay": loihi_delay,
    "loihi_lmu": loihi_lmu,
    "scale_reference": scale("scale_reference"),
    "scale_nengo_ocl": scale("scale_nengo_ocl"),
    "train_speed": train_speed,
}


def main(results_dir, outdir):
    global GENERATED_FIGURES
    results_dir, outdir = Path(results_dir), Path(outdir)
    GENERATED_FIGURES = outdir
    outdir.mkdir(parents=True, exist_ok=True)
    for name, command in BENCHMARKS.items():
        json_path = results_dir / f"{name}.json"
        png_path = results_dir / f"{name}.png"
        figure_copy = outdir / f"{name}.png"
        has_figure = png_path.is_file()
        if has_figure:
            shutil.copy2(png_path, figure_copy)
        elif figure_copy.exists():
            figure_copy.unlink()
        # Further figures of a benchmark, name_*.png, come along with it.
        for stale in outdir.glob(f"{name}_*.png"):
            stale.unlink()
        for extra in results_dir.glob(f"{name}_*.png"):
            shutil.copy2(extra, outdir / extra.name)

        text = None
        if json_path.is_file():
            try:
                text = RENDERERS[name](json.loads(json_path.read_text()), has_figure)
            except (ValueError, KeyError, TypeError, ZeroDivisionError) as error:
                print(
                    f"benchmark_pages: cannot read {json_path} ({error!r}); "
                    "showing the command that regenerates it",
                    file=sys.stderr,
                )
        if text is None:
            text = missing(name, command)
            if has_figure:
                text += "\n" + figure(name, f"The plot of benchmarks/{name}.py")
        text += (
            f"\nRegenerate with ``{command}`` (from the repository root).\n"
            if json_path.is_file()
            else ""
        )
        path = outdir / f"benchmarks_{name}.rst"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
