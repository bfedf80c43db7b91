"""Spiking Legendre memories on the nengo_loihi emulator beside nengo.Simulator.

Each memory (orders 3 to 6, windows 0.1 to 1 s, ``Lowpass`` synapses of 10 to
100 ms, 100 spiking LIF neurons per dimension at Loihi's 100 to 120 Hz, the
direct loop with couplings below 0.05 dropped) holds white noise band-limited to
``1 / theta`` Hz (rms 0.5, the memory's expected input). Its whole-window NRMSE
against the exact memory (100 points of the window, after the first window) is
measured for 5 seeds in three ways:

- ``reference``: ``nengo.Simulator``, the memory as made for it (``lead="auto"``,
  calibrated on nengo's LIF);
- ``emulator, plain``: ``nengo_loihi.Simulator(target="sim")``, the same memory
  without a lead correction (``lead=None``, what docs/backend_loihi.rst advised
  before);
- ``emulator, prepared``: the memory prepared for Loihi
  (`nengo_lmu.loihi.loihi_memory_kwargs`: the lead of Loihi's neurons less the
  chip's loop lag).

Needs nengo_loihi 1.1 and numpy < 2 (its own virtual environment). From the
repository root (about 20 minutes of CPU on 2 cores; ``--seeds 0`` for one seed):

    python benchmarks/loihi.py --out benchmarks/results

Writes ``loihi.json`` and ``loihi.png``.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LegendreMemory, evaluate_memory, legendre_readout, nrmse

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
N_NEURONS = 100
RMS = 0.5
MIN_COUPLING = 0.05
# (order, theta, tau)
MEMORIES = ((3, 0.1, 0.01), (3, 0.2, 0.02), (4, 0.5, 0.05), (6, 1.0, 0.1))
VARIANTS = ("reference", "emulator, plain", "emulator, prepared")
# Simulated time after the first window (s).
TESTED = 3.0


def memory_options(variant, tau):
    from nengo_lmu.loihi import loihi_memory_kwargs

    if variant == "emulator, prepared":
        return loihi_memory_kwargs(min_coupling=MIN_COUPLING, synapse=tau)
    lead = None if variant == "emulator, plain" else "auto"
    return dict(loop="direct", min_coupling=MIN_COUPLING, synapse=tau, lead=lead)


def run(variant, order, theta, tau, seed):
    """Whole-window NRMSE of one memory, and its output and the exact state."""
    duration = theta + TESTED
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=1 / theta, rms=RMS, seed=seed)
        )
        memory = LegendreMemory(
            theta,
            order,
            n_neurons=N_NEURONS,
            neuron_type=nengo.LIF(),
            dt=DT,
            **memory_options(variant, tau),
        )
        nengo.Connection(stim, memory.input, synapse=None)
        # nengo_loihi reads values from the chip through a Node that is not a
        # passthrough
        output = nengo.Node(lambda t, x: x, size_in=order)
        nengo.Connection(memory.output, output, synapse=None)
        probes = nengo.Probe(output), nengo.Probe(stim)
    start = time.process_time()
    if variant == "reference":
        simulator = nengo.Simulator(model, dt=DT, progress_bar=False)
    else:
        import nengo_loihi

        simulator = nengo_loihi.Simulator(
            model, dt=DT, target="sim", progress_bar=False
        )
    with simulator as sim:
        sim.run(duration)
    cpu = time.process_time() - start
    estimate, inputs = (sim.data[probe] for probe in probes)
    exact = evaluate_memory(inputs, memory.Ad, memory.Bd)
    # the neural memory's output is the state one step late (memory.lag)
    estimate, exact = estimate[memory.lag :], exact[: len(exact) - memory.lag]
    window = legendre_readout(order, np.linspace(0, 1, 100))
    tested = slice(int(round(theta / DT)), None)
    error = nrmse(
        (estimate[tested] @ window.T).ravel(), (exact[tested] @ window.T).ravel()
    ).item()
    lead = None if memory.lead is None else memory.lead.tolist()
    return dict(nrmse=error, cpu_s=cpu, lead=lead), estimate, exact


def plot(results, traces, path):
    fig, (bars, trace) = plt.subplots(2, 1, figsize=(8, 7))
    names = [f"order {o}, theta {t:g} s,\ntau {1e3 * s:g} ms" for o, t, s in MEMORIES]
    width = 0.27
    for v, variant in enumerate(VARIANTS):
        medians = []
        for m, key in enumerate(results["memories"]):
            values = [r["nrmse"] for r in results["memories"][key][variant]]
            medians.append(np.median(values))
            bars.plot(
                np.full(len(values), m + (v - 1) * width),
                values,
                ".",
                color="k",
                markersize=3,
            )
        bars.bar(
            np.arange(len(medians)) + (v - 1) * width,
            medians,
            width,
            label=variant,
            color=f"C{v}",
        )
    bars.set_xticks(np.arange(len(names)), names, fontsize="small")
    bars.set_ylabel("whole-window NRMSE")
    bars.set_title(
        "Spiking Legendre memories, 100 LIF neurons per dimension at 100-120 Hz "
        "(medians; dots: seeds)",
        fontsize="medium",
    )
    bars.legend(fontsize="small")
    key, order = traces["key"], traces["order"]
    readout = legendre_readout(order, 1.0)
    t = traces["theta"] + DT * np.arange(len(traces["exact"]))
    trace.plot(t, np.asarray(traces["exact"]) @ readout.T, "k", label="exact memory")
    for v, variant in enumerate(VARIANTS):
        trace.plot(
            t,
            np.asarray(traces[variant]) @ readout.T,
            color=f"C{v}",
            label=variant,
            lw=1,
        )
    trace.set_xlabel("time (s)")
    trace.set_title(f"u(t - theta) decoded from the memory, {key}", fontsize="medium")
    trace.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args):
    import nengo_loihi

    results = dict(
        n_neurons=N_NEURONS,
        max_rates=[100, 120],
        input_rms=RMS,
        min_coupling=MIN_COUPLING,
        tested_s=TESTED,
        seeds=args.seeds,
        versions=dict(
            nengo=nengo.__version__,
            nengo_loihi=nengo_loihi.__version__,
            numpy=np.__version__,
        ),
        memories={},
        ratios={},
    )
    traces = {}
    for order, theta, tau in MEMORIES:
        key = f"order={order} theta={theta:g} tau={tau:g}"
        results["memories"][key] = {variant: [] for variant in VARIANTS}
        for seed in args.seeds:
            for variant in VARIANTS:
                result, estimate, exact = run(variant, order, theta, tau, seed)
                results["memories"][key][variant].append(dict(seed=seed, **result))
                print(
                    f"{key:28} seed {seed}  {variant:19} NRMSE {result['nrmse']:.4f}  "
                    f"cpu {result['cpu_s']:.0f} s",
                    flush=True,
                )
                if (order, theta, tau) == MEMORIES[2] and seed == args.seeds[0]:
                    tested = slice(int(round(theta / DT)), None)
                    traces.update(key=key, order=order, theta=theta)
                    traces[variant] = estimate[tested].tolist()
                    traces["exact"] = exact[tested].tolist()
        medians = {
            variant: float(np.median([r["nrmse"] for r in runs]))
            for variant, runs in results["memories"][key].items()
        }
        results["ratios"][key] = {
            variant: medians[variant] / medians["reference"]
            for variant in VARIANTS[1:]
        }
        print(
            f"{key:28} medians "
            + "  ".join(f"{v} {m:.4f}" for v, m in medians.items())
            + "  ratio prepared/reference "
            + f"{results['ratios'][key]['emulator, prepared']:.2f}",
            flush=True,
        )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.stem}.json").write_text(json.dumps(results, indent=1))
        if traces:
            plot(results, traces, args.out / f"{args.stem}.png")
        print(f"Wrote {args.out / args.stem}.json and .png")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the JSON and PNG")
    parser.add_argument("--stem", default="loihi", help="file name, less suffix")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    # The shared decoder cache may hold files written under numpy 2, which numpy 1
    # (that nengo_loihi's emulator needs) cannot read.
    nengo.rc.set("decoder_cache", "enabled", "False")
    # nengo_loihi warns that it was not tested with nengo 4, that the memory's
    # neurons' initial voltages are replaced by 0, and of weight rounding
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`")
    warnings.filterwarnings("ignore", "NengoLoihi does not support initial")
    warnings.filterwarnings("ignore", "Lost .* extra bits in weight rounding")
    main(args)
