"""What accuracy to expect from a neural LegendreMemory, across configurations.

Each point builds, for one configuration (order, theta, neurons per dimension,
Lowpass tau, neuron type), three memories fed the same input and compares each
with the exact memory of that input:

- ``auto``: the default, ``lead="auto"`` (the build-time lead calibration decides
  whether and how much to correct);
- ``plain``: ``lead=None``, the plain discrete Principle-3 mapping;
- ``rate``: the rate version of the neuron type (the floor without spike noise;
  none for Izhikevich).

The error is the full-window NRMSE: 100 points of the window
(``legendre_readout(order, linspace(0, 1, 100))``) decoded from the neural
memory's output, against the same points of the exact memory, over all of them at
once, after the first window. The input is white noise band-limited to
``1 / theta`` Hz with rms 0.5, what the memory expects by default. Each memory
network gets the same seed, so ``auto`` equals ``plain`` exactly where the
calibration keeps the plain mapping (it is then not simulated twice).

Axes are swept one at a time around a few centres, not over the full product.
Writes ``accuracy_map.json`` and ``accuracy_map.png`` (one heatmap per centre:
the ratio auto / plain and the NRMSE of each). Run from the repository root:

    python benchmarks/accuracy_map.py --out benchmarks/results   # hours on 2 cores
    python benchmarks/accuracy_map.py --quick                    # a few minutes

Each finished run is appended to ``accuracy_map_runs.jsonl``, and the map is
summarised after each seed, so an interrupted map can be resumed, or extended by
more seeds (``--seeds 0 1 2 3 4`` runs only seeds 3 and 4 if 0 to 2 are there).
``--jobs N`` shares the runs among N processes (the map is then summarised at the
end, or by running the same command again).

Two further modes:

    python benchmarks/accuracy_map.py --noise-limited   # about 15 min, 5 seeds
    python benchmarks/accuracy_map.py --high-orders --seeds 0

``--noise-limited``: order 3, theta 0.1 s, 3 Hz input (told to the memories),
LIF, tau 5 and 10 ms, 50 to 500 neurons per dimension; writes
``noise_limited.json`` and ``noise_limited.png`` (NRMSE against neurons per
dimension at tau 10 ms), its runs kept in ``noise_limited_runs.jsonl``.
``--high-orders``: orders 24, 32 and 64 with 1000 and 5000 neurons in all at the
slow centre; writes ``high_orders.json``. ``--tails 20 --jobs 16``: the ratio auto
/ plain of single runs over 20 seeds at the points where some short tests were
worse with the calibration, with the map's test duration and with 10 s, and over
10 seeds at windows of 1 to 30 s; writes ``accuracy_tails.json``.
"""

import argparse
import concurrent.futures
import json
import os
import time
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, legendre_readout, nrmse

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
NEURON_TYPES = {
    "LIF": (nengo.LIF(), nengo.LIFRate()),
    "SpikingRectifiedLinear": (
        nengo.SpikingRectifiedLinear(),
        nengo.RectifiedLinear(),
    ),
    "AdaptiveLIF": (nengo.AdaptiveLIF(), nengo.AdaptiveLIFRate()),
    "Izhikevich": (nengo.Izhikevich(), None),
    "LIFRate": (nengo.LIFRate(), nengo.LIFRate()),
}
CENTRES = {
    "slow synapse": dict(order=6, theta=1.0, n_neurons=100, tau=0.1, neuron_type="LIF"),
    "fast synapse": dict(
        order=3, theta=0.1, n_neurons=100, tau=0.01, neuron_type="LIF"
    ),
}
AXES = {
    "order": [3, 6, 12, 24, 32, 64],
    "theta": [10 * DT, 0.1, 1.0, 10.0, 30.0],
    "n_neurons": [50, 100, 200, 500],
    "tau": [0.005, 0.01, 0.05, 0.1],
    "neuron_type": list(NEURON_TYPES),
}
# Which axes to sweep around each centre.
SWEEPS = {
    "slow synapse": ["order", "theta", "n_neurons", "tau", "neuron_type"],
    "fast synapse": ["n_neurons", "tau", "neuron_type"],
}
WINDOW = np.linspace(0, 1, 100)
# Runs of an earlier calibration in the runs file are not reused: 2 chooses the
# radius and measures the memory's own neurons (runs without the key are 1's); 3
# leaves windows longer than the calibration's sample uncalibrated and tries the
# radii 4 and 3 only.
CALIBRATION = 3
SHORT_NAMES = {"SpikingRectifiedLinear": "SpikingReLU"}


def duration_for(theta):
    """Simulated time: the first window (not scored) and at least two more."""
    return float(np.clip(3 * theta, 2.0, 90.0))


def run_point(
    order,
    theta,
    n_neurons,
    tau,
    neuron_type,
    seed,
    duration=None,
    high=None,
    told=False,
):
    """Full-window NRMSE of the auto, plain and rate memories at one point.

    The input is white noise band-limited to ``high`` Hz (``1 / theta`` by
    default) with rms 0.5; with ``told``, the memories are told its spectrum by an
    ``input_process`` (a process like it, not the test signal).
    """
    duration = duration_for(theta) if duration is None else duration
    high = 1.0 / theta if high is None else high
    spiking, rate = NEURON_TYPES[neuron_type]
    readout = legendre_readout(order, WINDOW)
    process = nengo.processes.WhiteSignal(
        duration, high=high, rms=0.5, seed=seed + 1000
    )
    expected = nengo.processes.WhiteSignal(100.0, high=high, rms=0.5) if told else None
    variants = {"plain": (spiking, None), "auto": (spiking, "auto")}
    if rate is not None:
        variants["rate"] = (rate, None)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(process)
        exact = LegendreMemory(theta, order, dt=DT)
        nengo.Connection(stim, exact.input, synapse=None)
        probes = {"exact": nengo.Probe(exact.output)}
        memories = {}
        start = time.perf_counter()
        for name, (neuron_type_obj, lead) in variants.items():
            memory = LegendreMemory(
                theta,
                order,
                n_neurons=n_neurons,
                neuron_type=neuron_type_obj,
                synapse=nengo.Lowpass(tau),
                dt=DT,
                lead=lead,
                seed=seed,
                input_process=expected,
            )
            memories[name] = memory
            calibration = memory.lead_calibration
            if name == "auto" and (
                calibration is None
                or (calibration.scale, calibration.solver, calibration.radius)
                == (0, calibration.solvers[0], calibration.radii[0])
            ):
                continue  # the same network as "plain"
            nengo.Connection(stim, memory.input, synapse=None)
            probes[name] = nengo.Probe(memory.output)
        build_s = time.perf_counter() - start
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run(duration)
    exact_window = sim.data[probes["exact"]][:-1] @ readout.T
    scored = slice(int(round(theta / DT)), None)
    result = dict(build_s=build_s)
    for name in variants:
        probe = probes.get(name, probes["plain"])
        window = sim.data[probe][1:] @ readout.T
        result[name] = nrmse(window[scored], exact_window[scored], axis=None).item()
        state_rms = np.sqrt(np.mean((sim.data[probe] @ memories[name].T_inv.T) ** 2))
        result[f"{name}_state_rms"] = float(state_rms)
    calibration = memories["auto"].lead_calibration
    if calibration is not None:
        result["lead_scale"] = calibration.scale
        result["solver"] = str(calibration.solver)
        result["predicted_nrmse"] = [
            p if np.isfinite(p) else None for p in calibration.predicted_nrmse
        ]
        result["measured_lead_ms"] = float(np.median(calibration.measured) * 1e3)
        result["radius"] = calibration.radius
    return result


def sweep_points(quick):
    points = []
    for centre, sweeps in SWEEPS.items():
        for axis in sweeps:
            values = AXES[axis]
            if quick:
                values = [v for v in values if v not in (64, 32, 30.0, 10.0, 500)]
            for value in values:
                config = dict(CENTRES[centre])
                config[axis] = value
                points.append((centre, axis, value, config))
    return points


def main(seeds, out, quick, runs_path, jobs=1):
    """Run every point for one seed after another, so that an interrupted map has
    all points for the seeds it finished; runs of this `CALIBRATION` already in
    ``runs_path`` (one JSON object per line) are reused. With ``jobs > 1`` the
    runs are shared among that many processes, the longest first."""
    out.mkdir(parents=True, exist_ok=True)
    done = {}
    if runs_path.exists():
        for line in runs_path.read_text().splitlines():
            run = json.loads(line)
            if run.get("calibration") == CALIBRATION:
                done[(run["key"], run["seed"])] = run
    points = sweep_points(quick)
    todo = [
        (seed, point)
        for seed in seeds
        for point in points
        if (json.dumps(point[3], sort_keys=True), seed) not in done
    ]

    def record(seed, point, result):
        centre, axis, value, config = point
        key = json.dumps(config, sort_keys=True)
        run = dict(result, key=key, seed=seed, calibration=CALIBRATION)
        done[(key, seed)] = run
        with runs_path.open("a") as file:
            file.write(json.dumps(run) + "\n")
        print(
            f"seed {seed} {centre:13} {axis:12} {str(value):>8} "
            f"auto {run['auto']:.4f} plain {run['plain']:.4f} "
            f"scale {run.get('lead_scale', '-')}",
            flush=True,
        )

    if jobs > 1:
        todo.sort(key=lambda job: -expected_cost(**job[1][3]))
        with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
            futures = {
                pool.submit(run_point, seed=seed, **point[3]): (seed, point)
                for seed, point in todo
            }
            for future in concurrent.futures.as_completed(futures):
                record(*futures[future], future.result())
        summarise(points, done, seeds, out)
        return
    for seed in seeds:
        for job_seed, point in todo:
            if job_seed == seed:
                record(seed, point, run_point(seed=seed, **point[3]))
        summarise(points, done, seeds[: seeds.index(seed) + 1], out)


def expected_cost(order, theta, n_neurons, neuron_type, **_):
    """Roughly proportional to a point's run time (for ordering parallel runs)."""
    slow = 10 if neuron_type == "Izhikevich" else 1
    return duration_for(theta) * order * n_neurons * slow


def summarise(points, done, seeds, out):
    results = dict(seeds=list(seeds), centres=CENTRES, axes=AXES, points=[])
    print(f"{'centre':13} {'axis':12} {'value':>8} {'auto':>7} {'plain':>7} "
          f"{'rate':>7} {'ratio':>6} scales")  # fmt: skip
    for centre, axis, value, config in points:
        key = json.dumps(config, sort_keys=True)
        runs = [done[(key, seed)] for seed in seeds]
        point = dict(centre=centre, axis=axis, value=value, config=config, runs=runs)
        for name in ("auto", "plain", "rate"):
            values = [run[name] for run in runs if name in run]
            point[name] = float(np.median(values)) if values else None
        point["ratio"] = point["auto"] / point["plain"]
        point["plain_spread"] = float(np.ptp([run["plain"] for run in runs]))
        results["points"].append(point)
        scales = [run.get("lead_scale", 0.0) for run in runs]
        rate = "-" if point["rate"] is None else f"{point['rate']:.4f}"
        print(
            f"{centre:13} {axis:12} {str(value):>8} {point['auto']:7.4f} "
            f"{point['plain']:7.4f} {rate:>7} {point['ratio']:6.3f} {scales}"
        )
    worst = max(results["points"], key=lambda p: p["ratio"])
    print(
        f"worst auto / plain: {worst['ratio']:.3f} at {worst['centre']}, "
        f"{worst['axis']} = {worst['value']} (seeds {list(seeds)})"
    )
    (out / "accuracy_map.json").write_text(json.dumps(results, indent=1))
    plot(results, out / "accuracy_map.png")
    print(f"Wrote {out / 'accuracy_map.json'} and {out / 'accuracy_map.png'}")


def plot(results, path):
    rows = [(c, a) for c, sweeps in SWEEPS.items() for a in sweeps]
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.6 * len(rows)), squeeze=False)
    for ax, (centre, axis) in zip(axes[:, 0], rows):
        points = [
            p for p in results["points"] if p["centre"] == centre and p["axis"] == axis
        ]
        if not points:
            ax.set_visible(False)
            continue
        names = ("auto", "plain", "rate")
        grid = np.array(
            [[np.nan if p[n] is None else p[n] for p in points] for n in names]
        )
        image = ax.imshow(
            np.log10(grid),
            aspect="auto",
            cmap="viridis",
            vmin=-2.5,
            vmax=0,
        )
        for i in range(len(names)):
            for j, p in enumerate(points):
                if np.isfinite(grid[i, j]):
                    color = "k" if grid[i, j] > 0.1 else "w"
                    ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center",
                            color=color, fontsize=8)  # fmt: skip
        ax.set_yticks(range(len(names)), names)
        ax.set_xticks(
            range(len(points)),
            [SHORT_NAMES.get(p["value"], str(p["value"])) for p in points],
        )
        centre_text = ", ".join(
            f"{k}={v}" for k, v in CENTRES[centre].items() if k != axis
        )
        ax.set_title(f"{axis} ({centre}: {centre_text})", fontsize=9)
        fig.colorbar(image, ax=ax, label="log10 NRMSE")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


# The noise-limited regime of issue 12: a short window, a fast synapse and few
# neurons, so that spike noise dominates. Input: 3 Hz white noise of rms 0.5, which
# the memories are told. The targets are the points at 100 and 200 neurons per
# dimension and tau 5 and 10 ms; the curve is NRMSE against neurons at tau 10 ms.
NOISE_LIMITED = dict(order=3, theta=0.1, neuron_type="LIF", high=3.0, told=True)
NOISE_LIMITED_POINTS = [(n, 0.01) for n in (50, 100, 200, 500)] + [
    (n, 0.005) for n in (100, 200)
]
NOISE_LIMITED_DURATION = 10.0


def noise_limited(seeds, out, runs_path):
    """Auto, plain and rate memories in the noise-limited regime; writes
    ``noise_limited.json`` and ``noise_limited.png``. Runs in ``runs_path`` are
    reused, new ones appended."""
    out.mkdir(parents=True, exist_ok=True)
    done = {}
    if runs_path.exists():
        for line in runs_path.read_text().splitlines():
            run = json.loads(line)
            done[(run["n_neurons"], run["tau"], run["seed"])] = run
    for seed in seeds:
        for n_neurons, tau in NOISE_LIMITED_POINTS:
            if (n_neurons, tau, seed) in done:
                continue
            run = run_point(
                n_neurons=n_neurons,
                tau=tau,
                seed=seed,
                duration=NOISE_LIMITED_DURATION,
                **NOISE_LIMITED,
            )
            run.update(n_neurons=n_neurons, tau=tau, seed=seed)
            done[(n_neurons, tau, seed)] = run
            with runs_path.open("a") as file:
                file.write(json.dumps(run) + "\n")
            print(
                f"seed {seed} {n_neurons:4d}/dim tau {tau * 1e3:g} ms: auto "
                f"{run['auto']:.4f} plain {run['plain']:.4f} rate {run['rate']:.4f} "
                f"(radius {run.get('radius')}, scale {run.get('lead_scale')})",
                flush=True,
            )
    results = dict(
        seeds=list(seeds),
        config=dict(NOISE_LIMITED, rms=0.5, duration=NOISE_LIMITED_DURATION),
        points=[],
    )
    print(f"{'neurons':>7} {'tau':>6} {'auto':>7} {'plain':>7} {'rate':>7} change")
    for n_neurons, tau in NOISE_LIMITED_POINTS:
        runs = [done[(n_neurons, tau, seed)] for seed in seeds]
        point = dict(n_neurons=n_neurons, tau=tau, runs=runs)
        for name in ("auto", "plain", "rate"):
            values = [run[name] for run in runs]
            point[name] = float(np.median(values))
            point[f"{name}_range"] = [float(np.min(values)), float(np.max(values))]
        point["change"] = point["auto"] / point["plain"] - 1
        results["points"].append(point)
        print(
            f"{n_neurons:7d} {tau * 1e3:4g}ms {point['auto']:7.4f} {point['plain']:7.4f} "
            f"{point['rate']:7.4f} {point['change']:+.0%}"
        )
    (out / "noise_limited.json").write_text(json.dumps(results, indent=1))
    plot_noise_limited(results, out / "noise_limited.png")
    print(f"Wrote {out / 'noise_limited.json'} and {out / 'noise_limited.png'}")


def plot_noise_limited(results, path):
    """NRMSE against neurons per dimension at tau = 10 ms: median and range."""
    points = [p for p in results["points"] if p["tau"] == 0.01]
    neurons = [p["n_neurons"] for p in points]
    labels = {
        "plain": "spiking, plain mapping (lead=None)",
        "auto": 'spiking, calibrated (lead="auto")',
        "rate": "rate neurons (LIFRate), the floor",
    }
    styles = {
        "plain": dict(color="C1", marker="s"),
        "auto": dict(color="C0", marker="o"),
        "rate": dict(color="0.4", marker="^", ls="--"),
    }
    with plt.rc_context({"font.size": 11, "axes.titlesize": 12}):
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for name, label in labels.items():
            median = np.array([p[name] for p in points])
            low, high = np.array([p[f"{name}_range"] for p in points]).T
            ax.plot(neurons, median, label=label, **styles[name])
            ax.fill_between(neurons, low, high, color=styles[name]["color"], alpha=0.2)
        ax.set(
            xscale="log",
            yscale="log",
            xticks=neurons,
            xticklabels=[str(n) for n in neurons],
            title="Order 3, theta 0.1 s, 3 Hz input, Lowpass(10 ms), LIF",
            xlabel="LIF neurons per dimension",
            ylabel="full-window NRMSE",
        )
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        ax.text(
            1.02,
            0.05,
            f"median and range\nof {len(results['seeds'])} seeds",
            transform=ax.transAxes,
            fontsize=9,
        )
        fig.savefig(path, dpi=150, bbox_inches="tight")
        plt.close(fig)


# Per-seed tails: points where single runs were worse with the calibration on the
# map's short (2 s) tests, over many seeds and with 10 s tests too; and windows
# of 1 to 30 s at the slow centre.
TAIL_POINTS = {
    "fast centre": CENTRES["fast synapse"],
    "fast centre, 500/dim": dict(CENTRES["fast synapse"], n_neurons=500),
    "slow centre, theta 0.1": dict(CENTRES["slow synapse"], theta=0.1),
}
TAIL_DURATIONS = (None, 10.0)
TAIL_THETAS = (1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


def tails(n_seeds, out, jobs):
    """The ratio auto / plain of single runs over ``n_seeds`` seeds at
    `TAIL_POINTS` (with the map's test duration and 10 s), and over ``n_seeds //
    2`` seeds at the slow centre with windows `TAIL_THETAS`; writes
    ``accuracy_tails.json``."""
    specs = [
        (name, config, duration, seed)
        for name, config in TAIL_POINTS.items()
        for duration in TAIL_DURATIONS
        for seed in range(n_seeds)
    ] + [
        (f"slow centre, theta {theta:g}", dict(CENTRES["slow synapse"], theta=theta),
         None, seed)
        for theta in TAIL_THETAS
        for seed in range(n_seeds // 2)
    ]  # fmt: skip
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        futures = [
            pool.submit(run_point, seed=seed, duration=duration, **config)
            for _, config, duration, seed in specs
        ]
        runs = [future.result() for future in futures]
    rows = {}
    for (name, config, duration, seed), run in zip(specs, runs):
        duration = duration_for(config["theta"]) if duration is None else duration
        row = rows.setdefault(
            (name, duration),
            dict(point=name, config=config, test_duration=duration, ratios=[]),
        )
        row["ratios"].append(run["auto"] / run["plain"])
    results = dict(n_seeds=n_seeds, rows=list(rows.values()))
    print(f"{'point':24} {'test':>5} {'seeds':>5} {'median':>6} {'worst':>6} worse")
    for row in results["rows"]:
        ratios = np.array(row["ratios"])
        row.update(
            median=float(np.median(ratios)),
            worst=float(ratios.max()),
            n_worse=int(np.sum(ratios > 1.05)),
        )
        print(
            f"{row['point']:24} {row['test_duration']:4g}s {len(ratios):5d} "
            f"{row['median']:6.3f} {row['worst']:6.3f} {row['n_worse']:3d}"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "accuracy_tails.json").write_text(json.dumps(results, indent=1))
    print(f"Wrote {out / 'accuracy_tails.json'}")


# High orders at a fixed total number of neurons (slow centre otherwise).
HIGH_ORDERS = (24, 32, 64)
HIGH_ORDER_TOTALS = (1000, 5000)


def high_orders(seeds, out):
    """Full-window NRMSE of orders 24 to 64 with 1000 and 5000 LIF neurons in all
    (theta 1 s, Lowpass(0.1)); writes ``high_orders.json``."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for order in HIGH_ORDERS:
        for total in HIGH_ORDER_TOTALS:
            config = dict(
                CENTRES["slow synapse"], order=order, n_neurons=total // order
            )
            runs = [run_point(seed=seed, **config) for seed in seeds]
            row = dict(config=config, total=total, runs=runs)
            for name in ("auto", "plain", "rate"):
                row[name] = float(np.median([run[name] for run in runs]))
            row["best"] = min(row["auto"], row["plain"])
            rows.append(row)
            print(
                f"order {order:3d}, {total} neurons ({total // order}/dim): auto "
                f"{row['auto']:.4f} plain {row['plain']:.4f} rate {row['rate']:.4f} "
                f"state rms {[round(r['auto_state_rms'], 2) for r in runs]}",
                flush=True,
            )
    results = dict(seeds=list(seeds), rows=rows)
    (out / "high_orders.json").write_text(json.dumps(results, indent=1))
    print(f"Wrote {out / 'high_orders.json'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument(
        "--runs",
        type=Path,
        default=None,
        help="file of finished runs to reuse and extend (default OUT/accuracy_map_runs"
        ".jsonl; --quick: none kept)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one seed, short windows and low orders"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="processes sharing the map's runs"
    )
    parser.add_argument(
        "--noise-limited",
        action="store_true",
        help="only the noise-limited regime (order 3, theta 0.1 s, 3 Hz input, tau 5 "
        "and 10 ms), over 5 seeds by default",
    )
    parser.add_argument(
        "--high-orders",
        action="store_true",
        help="only orders 24 to 64 with 1000 and 5000 neurons in all",
    )
    parser.add_argument(
        "--tails",
        type=int,
        metavar="N_SEEDS",
        help="only single runs over N_SEEDS seeds where short tests were worse, "
        "and windows of 1 to 30 s over N_SEEDS / 2 seeds",
    )
    args = parser.parse_args()
    if args.tails:
        tails(args.tails, args.out, args.jobs)
        raise SystemExit
    if args.high_orders:
        high_orders(args.seeds, args.out)
        raise SystemExit
    if args.noise_limited:
        seeds = [0, 1, 2, 3, 4] if args.seeds == [0, 1, 2] else args.seeds
        runs = args.runs or args.out / "noise_limited_runs.jsonl"
        noise_limited(seeds, args.out, runs)
        raise SystemExit
    if args.quick:
        args.seeds = [0]
    runs = args.runs
    if runs is None:
        runs = Path(os.devnull) if args.quick else args.out / "accuracy_map_runs.jsonl"
    main(args.seeds, args.out, args.quick, runs, args.jobs)
