"""Accuracy of neural Legendre delay networks (benchmarks.md, B1 and more).

Every run feeds one white-noise input, one period of a seeded
``nengo.processes.WhiteSignal``, to an exact (non-neural) `LegendreMemory` and to a
neural one, and measures the NRMSE of their full-delay readouts against the
input delayed by theta (half a step less, where zero-order hold puts the window's
end; exact, since the input is periodic and band-limited). The neural output is
the synaptic state estimate, one step late, so it is compared one step later. The
neural memory is told the input's statistics through ``input_process``: an
unseeded process of the same spectrum, never the test signal itself.

Tasks (median over seeds):

- B1: theta = 1 s, order 6, 1 Hz noise of rms 0.4, 166 LIF neurons per dimension
  (1000 in all), Lowpass(0.1), 20 s. Published: 0.048.
- task2: theta = 0.1 s, order 6, 15 Hz noise of rms 0.3, 200 LIF per dimension,
  Lowpass(0.1), 10 s; output and target both filtered by Lowpass(0.01).
- both again with rate neurons (LIFRate), against the exact memory's own limit.

Curves (B1 task): NRMSE against neurons per dimension and against order (1000
neurons in all), spiking and rate, and across the window (r from 0 to 1). Also the
build time of the 1000-neuron B1 memory and its run time per simulated second,
and the construction time and peak memory of spiking memories with windows up to
60 s and orders up to 64 (``--construction`` for those alone: it writes
``construction.json``).

Prints tables; writes ``delay_accuracy.json`` and ``delay_accuracy.png``. Run from
the repository root (about 10 minutes on 2 cores; ``--quick`` for a smoke run):

    python benchmarks/delay_accuracy.py --seeds 0 1 2 3 4 --out benchmarks/results
"""

import argparse
import json
import time
import resource
import subprocess
import sys
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, legendre_readout, nrmse, periodic_delay

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
TASKS = {
    "B1": dict(theta=1.0, order=6, high=1.0, rms=0.4, n_neurons=166, duration=20.0),
    "task2": dict(
        theta=0.1,
        order=6,
        high=15.0,
        rms=0.3,
        n_neurons=200,
        duration=10.0,
        output_filter=0.01,
    ),
}
TARGETS = {"B1": 0.040, "task2": 0.15}
WINDOW_POINTS = np.linspace(0, 1, 21)


def run(task, seed, neuron_type, n_neurons=None, order=None):
    """NRMSE of the exact and neural memories, and their window errors."""
    task = dict(TASKS[task])
    order = task["order"] if order is None else order
    n_neurons = task["n_neurons"] if n_neurons is None else n_neurons
    theta, duration = task["theta"], task["duration"]
    stimulus = nengo.processes.WhiteSignal(
        duration, high=task["high"], rms=task["rms"], seed=seed
    )
    expected_input = nengo.processes.WhiteSignal(
        100.0, high=task["high"], rms=task["rms"]
    )
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(stimulus)
        exact = LegendreMemory(theta, order, dt=DT)
        neural = LegendreMemory(
            theta,
            order,
            n_neurons=n_neurons,
            neuron_type=neuron_type,
            synapse=nengo.Lowpass(0.1),
            dt=DT,
            input_process=expected_input,
        )
        nengo.Connection(stim, exact.input, synapse=None)
        nengo.Connection(stim, neural.input, synapse=None)
        probes = [nengo.Probe(obj) for obj in (stim, exact.output, neural.output)]
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run(duration)
    u, exact_state, neural_state = (sim.data[p] for p in probes)
    neural_state = np.vstack([neural_state[1:], neural_state[-1:]])

    readout = legendre_readout(order, WINDOW_POINTS)
    targets = np.column_stack(
        [periodic_delay(u[:, 0], r * theta / DT - 0.5) for r in WINDOW_POINTS]
    )
    exact_window, neural_window = exact_state @ readout.T, neural_state @ readout.T
    if "output_filter" in task:
        smoothing = nengo.Lowpass(task["output_filter"])
        targets, exact_window, neural_window = (
            smoothing.filt(x, dt=DT) for x in (targets, exact_window, neural_window)
        )
    settled = slice(int(2 * theta / DT), -1)
    return dict(
        exact=nrmse(exact_window[settled, -1], targets[settled, -1]).item(),
        neural=nrmse(neural_window[settled, -1], targets[settled, -1]).item(),
        exact_window=nrmse(exact_window[settled], targets[settled]).tolist(),
        neural_window=nrmse(neural_window[settled], targets[settled]).tolist(),
    )


def median_over(seeds, **kwargs):
    runs = [run(seed=seed, **kwargs) for seed in seeds]
    return dict(
        neural=float(np.median([r["neural"] for r in runs])),
        exact=float(np.median([r["exact"] for r in runs])),
        neural_runs=[r["neural"] for r in runs],
        neural_window=np.median([r["neural_window"] for r in runs], axis=0).tolist(),
        exact_window=np.median([r["exact_window"] for r in runs], axis=0).tolist(),
    )


def timing(seed=0, duration=10.0):
    """Build time (memory and simulator) and run time per simulated second, B1."""
    task = TASKS["B1"]
    LegendreMemory(1.0, 6, n_neurons=10, add_to_container=False)  # warm-up
    start, start_cpu = time.perf_counter(), time.process_time()
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(duration, high=1, rms=0.4))
        memory = LegendreMemory(
            task["theta"],
            task["order"],
            n_neurons=task["n_neurons"],
            neuron_type=nengo.LIF(),
            input_process=nengo.processes.WhiteSignal(100.0, high=1, rms=0.4),
        )
        nengo.Connection(stim, memory.input, synapse=None)
        nengo.Probe(memory.output)
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        built, built_cpu = time.perf_counter(), time.process_time()
        sim.run(duration)
        ran, ran_cpu = time.perf_counter(), time.process_time()
    # CPU times are less disturbed than wall times by other work on the machine
    return dict(
        build_s=built - start,
        build_cpu_s=built_cpu - start_cpu,
        run_s_per_s=(ran - built) / duration,
        run_cpu_s_per_s=(ran_cpu - built_cpu) / duration,
    )


def construct_one(theta, order, seed=0):
    """Build one spiking memory (166 LIF neurons per dimension, Lowpass(0.1)),
    told its input by a WhiteSignal of rms 0.4 band-limited to 1 / theta; return
    the CPU time and this process's peak resident memory."""
    LegendreMemory(1.0, 2, n_neurons=10, add_to_container=False)  # warm-up
    process = nengo.processes.WhiteSignal(
        max(100.0, 4 * theta), high=1.0 / theta, rms=0.4
    )
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.process_time()
    memory = LegendreMemory(
        theta,
        order,
        n_neurons=166,
        neuron_type=nengo.LIF(),
        input_process=process,
        seed=seed,
        add_to_container=False,
    )
    cpu_s = time.process_time() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        theta=theta,
        order=order,
        build_cpu_s=cpu_s,
        peak_mb=peak_mb,
        baseline_mb=baseline_mb,
        lead_scale=getattr(memory.lead_calibration, "scale", 0.0),
        radius=getattr(memory.lead_calibration, "radius", None),
    )


def construction(thetas=(1.0, 30.0, 60.0), orders=(6, 16, 32, 64)):
    """`construct_one` for every order and window, each in a fresh process so
    that its peak memory is its own."""
    rows = []
    for order in orders:
        for theta in thetas:
            output = subprocess.run(
                [sys.executable, __file__, "--construct-one", str(theta), str(order)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            row = json.loads(output.splitlines()[-1])
            rows.append(row)
            print(
                f"theta {theta:5g} s, order {order:3d}: built in {row['build_cpu_s']:.2f} "
                f"s CPU, peak {row['peak_mb']:.0f} MB ({row['baseline_mb']:.0f} MB "
                f"before), lead scale {row['lead_scale']:g}, radius {row['radius']}",
                flush=True,
            )
    return rows


def main(seeds, curve_seeds, out):
    out.mkdir(parents=True, exist_ok=True)
    types = {"spiking": nengo.LIF(), "rate": nengo.LIFRate()}
    results = dict(seeds=list(seeds), targets={}, curves={})

    print(f"{'task':8} {'neurons':8} {'NRMSE':>8} {'exact':>8} {'ratio':>6} target")
    for task in TASKS:
        for name, neuron_type in types.items():
            result = median_over(seeds, task=task, neuron_type=neuron_type)
            ratio = result["neural"] / result["exact"]
            target = f"<= {TARGETS[task]}" if name == "spiking" else "ratio <= 1.5"
            print(
                f"{task:8} {name:8} {result['neural']:8.4f} {result['exact']:8.4f} "
                f"{ratio:6.2f} {target}",
                flush=True,
            )
            results["targets"][f"{task} {name}"] = result

    neurons_per_dimension = [50, 100, 200, 500, 1000]
    orders = [2, 4, 6, 8, 10, 12]
    for name, neuron_type in types.items():
        results["curves"][f"neurons {name}"] = [
            median_over(curve_seeds, task="B1", neuron_type=neuron_type, n_neurons=n)
            for n in neurons_per_dimension
        ]
        results["curves"][f"order {name}"] = [
            median_over(
                curve_seeds,
                task="B1",
                neuron_type=neuron_type,
                order=order,
                n_neurons=1000 // order,
            )
            for order in orders
        ]
        print(f"curves ({name}) done", flush=True)

    results["timing"] = timing()
    results["construction"] = construction()
    measured = results["timing"]
    print(
        f"B1 build (memory + simulator): {measured['build_s']:.2f} s "
        f"({measured['build_cpu_s']:.2f} s CPU); run: {measured['run_s_per_s']:.3f} s "
        f"({measured['run_cpu_s_per_s']:.3f} s CPU) per simulated second"
    )
    results["neurons_per_dimension"] = neurons_per_dimension
    results["orders"] = orders
    (out / "delay_accuracy.json").write_text(json.dumps(results, indent=1))
    plot(results, out / "delay_accuracy.png")
    print(f"Wrote {out / 'delay_accuracy.json'} and {out / 'delay_accuracy.png'}")


def plot(results, path):
    """Three figures, one message each, readable at the docs' width.

    ``path`` (NRMSE against neurons per dimension), and beside it
    ``*_order.png`` (against order) and ``*_window.png`` (across the window).
    Regenerate them from the JSON alone with ``python -c "import json, sys;
    sys.path.insert(0, 'benchmarks'); import delay_accuracy as d; d.plot(json.load(
    open('benchmarks/results/delay_accuracy.json')),
    'benchmarks/results/delay_accuracy.png')"``.
    """
    path = Path(path)
    curves = results["curves"]
    styles = {
        "spiking": dict(color="C0", marker="o"),
        "rate": dict(color="C1", marker="s"),
    }
    exact_style = dict(color="k", ls="--", label="exact memory (no neurons)")
    with plt.rc_context({"font.size": 11, "axes.titlesize": 12}):
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for name, style in styles.items():
            ax.loglog(
                results["neurons_per_dimension"],
                [r["neural"] for r in curves[f"neurons {name}"]],
                label=f"LIF memory, {name}",
                **style,
            )
        ax.axhline(curves["neurons spiking"][0]["exact"], **exact_style)
        ax.axhline(0.048, color="C3", ls=":", label="published spiking (0.048)")
        ax.set(
            title="1 Hz noise delayed by 1 s (order 6): error vs neurons",
            xlabel="neurons per dimension",
            ylabel="NRMSE of u(t - theta)",
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.savefig(path, dpi=150, bbox_inches="tight")
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for name, style in styles.items():
            ax.semilogy(
                results["orders"],
                [r["neural"] for r in curves[f"order {name}"]],
                label=f"LIF memory, {name}",
                **style,
            )
        ax.semilogy(
            results["orders"],
            [r["exact"] for r in curves["order spiking"]],
            **exact_style,
        )
        ax.set(
            title="About 1000 neurons in all: error vs order",
            xlabel="order (Legendre coefficients)",
            ylabel="NRMSE of u(t - theta)",
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.savefig(
            path.with_name(f"{path.stem}_order.png"), dpi=150, bbox_inches="tight"
        )
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for name, style in styles.items():
            ax.plot(
                WINDOW_POINTS,
                results["targets"][f"B1 {name}"]["neural_window"],
                label=f"LIF memory, {name}",
                **style,
            )
        ax.plot(
            WINDOW_POINTS,
            results["targets"]["B1 spiking"]["exact_window"],
            **exact_style,
        )
        ax.set(
            title="Order 6, 996 neurons: error across the window",
            xlabel="point of the window r (delay / theta)",
            ylabel="NRMSE of u(t - r theta)",
            ylim=(0, None),
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.savefig(
            path.with_name(f"{path.stem}_window.png"), dpi=150, bbox_inches="tight"
        )
        plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--curve-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="one seed, for a check")
    parser.add_argument(
        "--construction",
        action="store_true",
        help="only time the construction of memories over windows and orders",
    )
    parser.add_argument("--construct-one", nargs=2, type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.construct_one:
        theta, order = args.construct_one
        print(json.dumps(construct_one(theta, int(order))))
        raise SystemExit
    if args.construction:
        args.out.mkdir(parents=True, exist_ok=True)
        rows = construction()
        (args.out / "construction.json").write_text(json.dumps(rows, indent=1))
        print(f"Wrote {args.out / 'construction.json'}")
        raise SystemExit
    if args.quick:
        args.seeds = args.curve_seeds = [0]
    main(args.seeds, args.curve_seeds, args.out)
