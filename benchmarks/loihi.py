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
  (`nengo_lmu.loihi.loihi_memory_kwargs`: nengo_loihi's ``decode_tau`` chosen
  for the synapse, the loop corrected for the lead of Loihi's neurons and the
  chip's filter and delay, `nengo_lmu.loihi.chip_loop_correction`), run with
  `nengo_lmu.loihi.loihi_model` (that ``decode_tau`` and, at 5 ms, denser
  decode neurons).

Then an `LMU` learns to delay white noise with PES (``LMU_NETWORK``: theta =
0.25 s, order 4, 100 neurons per memory dimension, 400 LIF hidden neurons, 6 s of
learning, NRMSE over the next 2 s with learning off), on ``nengo.Simulator`` as
made for it, and on the emulator prepared for Loihi (`loihi_memory_kwargs`,
`nengo_lmu.loihi.prepare_lmu` and `nengo_lmu.loihi.loihi_model`), for the same
seeds.

Needs nengo_loihi 1.1 and numpy < 2 (its own virtual environment). From the
repository root (about 20 minutes of CPU on 2 cores; ``--seeds 0`` for one seed):

    python benchmarks/loihi.py --out benchmarks/results

(``--parts memories`` or ``--parts lmu`` for one part, ``--memories 0 1`` for
some memories; ``--merge A.json B.json ...`` combines parts run in parallel
into ``--out/--stem`` and plots them.)

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

from nengo_lmu import (
    LMU,
    Delay,
    LegendreMemory,
    evaluate_memory,
    legendre_readout,
    nrmse,
)

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
# The figure's traces are stored in the JSON every this many steps, rounded to
# TRACE_DECIMALS (the figure is drawn from them).
TRACE_STEP = 2
TRACE_DECIMALS = 4
# The LMU that learns a delay with PES (at a quarter of loihi_delay.py's time
# scale): 400 LIF hidden neurons, 100 per memory dimension, PES for the first
# ``learn_until`` seconds, tested with learning off after that.
LMU_NETWORK = dict(
    theta=0.25,
    order=4,
    tau=0.05,
    n_hidden=400,
    input_high=4.0,
    input_rms=0.4,
    delay=0.5,
    duration=8.0,
    learn_until=6.0,
    learning_rate=1e-2,
)


def memory_options(variant, tau):
    from nengo_lmu.loihi import loihi_memory_kwargs

    if variant == "emulator, prepared":
        return loihi_memory_kwargs(min_coupling=MIN_COUPLING, synapse=tau)
    lead = None if variant == "emulator, plain" else "auto"
    return dict(loop="direct", min_coupling=MIN_COUPLING, synapse=tau, lead=lead)


def memory_network(order, theta, tau, seed, memory_kwargs):
    """One memory of the benchmark fed its test input, with probes on its output
    and input; returns the network, the memory, the probes and the duration."""
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
            **memory_kwargs,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        # nengo_loihi reads values from the chip through a Node that is not a
        # passthrough
        output = nengo.Node(lambda t, x: x, size_in=order)
        nengo.Connection(memory.output, output, synapse=None)
        probes = nengo.Probe(output), nengo.Probe(stim)
    return model, memory, probes, duration


def memory_error(sim, probes, memory):
    """The memory's whole-window NRMSE after its first window, its output and
    the exact state (aligned)."""
    estimate, inputs = (sim.data[probe] for probe in probes)
    exact = evaluate_memory(inputs, memory.Ad, memory.Bd)
    # the neural memory's output is the state one step late (memory.lag)
    estimate, exact = estimate[memory.lag :], exact[: len(exact) - memory.lag]
    window = legendre_readout(memory.order, np.linspace(0, 1, 100))
    tested = slice(int(round(memory.theta / DT)), None)
    error = nrmse(
        (estimate[tested] @ window.T).ravel(), (exact[tested] @ window.T).ravel()
    ).item()
    return error, estimate, exact


def run(variant, order, theta, tau, seed):
    """Whole-window NRMSE of one memory, and its output and the exact state."""
    model, memory, probes, duration = memory_network(
        order, theta, tau, seed, memory_options(variant, tau)
    )
    start = time.process_time()
    if variant == "reference":
        simulator = nengo.Simulator(model, dt=DT, progress_bar=False)
    else:
        import nengo_loihi

        from nengo_lmu.loihi import loihi_model

        prepared = variant == "emulator, prepared"
        simulator = nengo_loihi.Simulator(
            model,
            dt=DT,
            target="sim",
            progress_bar=False,
            model=loihi_model(model, dt=DT) if prepared else None,
        )
    with simulator as sim:
        sim.run(duration)
    cpu = time.process_time() - start
    error, estimate, exact = memory_error(sim, probes, memory)
    lead = None if memory.lead is None else memory.lead.tolist()
    return dict(nrmse=error, cpu_s=cpu, lead=lead), estimate, exact


def run_lmu(simulator, seed, learning_rate):
    """NRMSE of an LMU that learns a delay with PES, learning off at the end."""
    from nengo_lmu.loihi import loihi_memory_kwargs, prepare_lmu

    theta, order, tau = LMU_NETWORK["theta"], LMU_NETWORK["order"], LMU_NETWORK["tau"]
    high, rms = LMU_NETWORK["input_high"], LMU_NETWORK["input_rms"]
    duration, learn_until = LMU_NETWORK["duration"], LMU_NETWORK["learn_until"]
    emulator = simulator == "emulator"
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=high, rms=rms, seed=seed)
        )
        options = dict(
            synapse=tau,
            input_process=nengo.processes.WhiteSignal(100.0, high=high, rms=rms),
        )
        if emulator:
            options = loihi_memory_kwargs(min_coupling=MIN_COUPLING, **options)
        else:
            options.update(loop="direct", min_coupling=MIN_COUPLING)
        lmu = LMU(
            theta,
            order,
            LMU_NETWORK["n_hidden"],
            size_out=1,
            neuron_type=nengo.LIF(),
            memory_neurons=N_NEURONS,
            learning_rule_type=nengo.PES(learning_rate),
            memory_kwargs=options,
            radius=2 * rms,
        )
        nengo.Connection(stim, lmu.input, synapse=None)
        if emulator:
            prepare_lmu(lmu)
        target = nengo.Node(Delay(LMU_NETWORK["delay"] * theta))
        nengo.Connection(stim, target, synapse=None)
        gate = nengo.Node(lambda t, e: e if t < learn_until else 0 * e, size_in=1)
        nengo.Connection(lmu.output, gate, synapse=None)
        nengo.Connection(target, gate, transform=-1, synapse=None)
        nengo.Connection(gate, lmu.error, synapse=None)
        output = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(lmu.output, output, synapse=None)
        probes = nengo.Probe(output), nengo.Probe(target)
    start = time.process_time()
    if emulator:
        import nengo_loihi

        from nengo_lmu.loihi import loihi_model

        simulator = nengo_loihi.Simulator(
            model, dt=DT, target="sim", progress_bar=False, model=loihi_model(model)
        )
    else:
        simulator = nengo.Simulator(model, dt=DT, progress_bar=False)
    with simulator as sim:
        sim.run(duration)
    output, target = (sim.data[probe][:, 0] for probe in probes)
    tested = slice(int(round(learn_until / DT)), None)
    # the exponents of the learned weights on Loihi (fitted by loihi_model)
    blocks = sim.model.blocks if emulator else []
    return dict(
        nrmse=nrmse(output[tested], target[tested]).item(),
        cpu_s=time.process_time() - start,
        pes_wgt_exps=[
            s.learning_wgt_exp for b in blocks for s in b.synapses if s.learning
        ],
    )


def delayed_trace(states, order, theta):
    """u(t - theta) decoded from the memory's states after the first window,
    every ``TRACE_STEP`` steps (what the figure shows, compact in the JSON)."""
    tested = states[int(round(theta / DT)) :: TRACE_STEP]
    delayed = tested @ legendre_readout(order, 1.0).T
    return np.round(delayed[:, 0], TRACE_DECIMALS).tolist()


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
    key = traces["key"]
    t = traces["theta"] + traces["step_s"] * np.arange(len(traces["exact"]))
    trace.plot(t, traces["exact"], "k", label="exact memory")
    for v, variant in enumerate(VARIANTS):
        trace.plot(t, traces[variant], color=f"C{v}", label=variant, lw=1)
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
    if "lmu" in args.parts:
        results["lmu"] = dict(network=LMU_NETWORK, runs={})
        for simulator in ("reference", "emulator"):
            runs = results["lmu"]["runs"][simulator] = []
            for seed in args.seeds:
                runs.append(
                    dict(seed=seed, **run_lmu(simulator, seed, args.learning_rate))
                )
                print(
                    f"LMU with PES, {simulator:9} seed {seed}  NRMSE "
                    f"{runs[-1]['nrmse']:.4f}  cpu {runs[-1]['cpu_s']:.0f} s",
                    flush=True,
                )
        medians = {
            name: float(np.median([r["nrmse"] for r in runs]))
            for name, runs in results["lmu"]["runs"].items()
        }
        results["lmu"]["ratio"] = medians["emulator"] / medians["reference"]
        print(f"LMU with PES medians {medians}, ratio {results['lmu']['ratio']:.2f}")
    memories = [MEMORIES[i] for i in args.memories] if "memories" in args.parts else []
    for order, theta, tau in memories:
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
                    traces.update(key=key, theta=theta, step_s=TRACE_STEP * DT)
                    traces[variant] = delayed_trace(estimate, order, theta)
                    traces["exact"] = delayed_trace(exact, order, theta)
        medians = {
            variant: float(np.median([r["nrmse"] for r in runs]))
            for variant, runs in results["memories"][key].items()
        }
        results["ratios"][key] = {
            variant: medians[variant] / medians["reference"] for variant in VARIANTS[1:]
        }
        print(
            f"{key:28} medians "
            + "  ".join(f"{v} {m:.4f}" for v, m in medians.items())
            + "  ratio prepared/reference "
            + f"{results['ratios'][key]['emulator, prepared']:.2f}",
            flush=True,
        )
    results["traces"] = traces
    write(results, args)
    return results


def write(results, args):
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.stem}.json").write_text(json.dumps(results, indent=1))
        if results["traces"] and len(results["memories"]) == len(MEMORIES):
            plot(results, results["traces"], args.out / f"{args.stem}.png")
        print(f"Wrote {args.out / args.stem}.json (and .png with all memories)")


def merge(paths, args):
    """Combine the results of runs of parts of the benchmark (in parallel)."""
    results = json.loads(Path(paths[0]).read_text())
    results["memories"] = {}
    for path in paths:
        part = json.loads(Path(path).read_text())
        results["traces"].update(part["traces"])
        for key, runs in part["memories"].items():
            merged = results["memories"].setdefault(key, {v: [] for v in VARIANTS})
            for variant in VARIANTS:
                merged[variant] += runs[variant]
        if "lmu" in part:
            results["lmu"] = part["lmu"]
    order = [f"order={o} theta={t:g} tau={s:g}" for o, t, s in MEMORIES]
    results["memories"] = {
        k: results["memories"][k] for k in order if k in results["memories"]
    }
    results["seeds"] = sorted(
        {r["seed"] for r in results["memories"][order[0]]["reference"]}
    )
    for key, runs in results["memories"].items():
        for variant in VARIANTS:
            runs[variant].sort(key=lambda run: run["seed"])
        medians = {v: np.median([r["nrmse"] for r in runs[v]]) for v in VARIANTS}
        results["ratios"][key] = {
            v: medians[v] / medians["reference"] for v in VARIANTS[1:]
        }
    write(results, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the JSON and PNG")
    parser.add_argument("--stem", default="loihi", help="file name, less suffix")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--parts", nargs="+", choices=["memories", "lmu"], default=["memories", "lmu"]
    )
    parser.add_argument(
        "--learning-rate", type=float, default=LMU_NETWORK["learning_rate"]
    )
    parser.add_argument(
        "--memories",
        type=int,
        nargs="+",
        default=list(range(len(MEMORIES))),
        help="indices into MEMORIES (to run parts in parallel)",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="combine the results of parts into --out/--stem, and plot them",
    )
    args = parser.parse_args()
    # The shared decoder cache may hold files written under numpy 2, which numpy 1
    # (that nengo_loihi's emulator needs) cannot read.
    nengo.rc.set("decoder_cache", "enabled", "False")
    # nengo_loihi warns that it was not tested with nengo 4, that the memory's
    # neurons' initial voltages are replaced by 0, and of weight rounding
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`")
    warnings.filterwarnings("ignore", "NengoLoihi does not support initial")
    warnings.filterwarnings("ignore", "Lost .* extra bits in weight rounding")
    merge(args.merge, args) if args.merge else main(args)
