"""A spiking Legendre memory and a PES-learned delay on the nengo_loihi emulator.

A neural `LegendreMemory` (theta = 1 s, order 4, 100 spiking LIF neurons per
dimension, ``Lowpass(0.1)``, max rates 100 to 120 Hz) holds 1 Hz white noise
(rms 0.4). A readout ensemble (400 neurons) represents the memory's state, and its
decoded connection to an output Node is learned online with ``nengo.PES`` to give
the input delayed by theta / 2; learning is on for the first 80% of the run, then
the error is gated off and the NRMSE of the output against the delayed input is
measured over the rest. The same network, with the same seed, runs on
``nengo.Simulator`` and on ``nengo_loihi.Simulator`` (``target="sim"``, the
emulator of the Loihi chip).

Two more figures come from the same runs or networks:

- the memory's own readout of the delay (``legendre_readout`` applied to its
  ``output``), over the same test period;
- the *bound*: the same network with the learned connection's decoders solved
  offline for the memory's linear readout of the delay, and no learning. PES
  learns a linear function of the state through the same neurons and synapse,
  so this is about what it can reach (it may do a little better: it fits the
  neurons' actual responses, on the chip too).

Loihi needs the memory wired with ``loop="direct"``: nengo_loihi replaces the
default loop's ``state`` passthrough Node by a decoded connection for every pair
of ensembles, each through its own decode neurons, and cannot discretise the
weights of those whose coupling is small (``BuildError: Could not find appropriate
weight exponent``). With the direct loop the ensembles feed each other, and
couplings below ``--min-coupling`` (in units of the recurrent transform) are
dropped (``min_coupling``), in both simulators. On the emulator the memory is
prepared for Loihi (`nengo_lmu.loihi.loihi_memory_kwargs`: nengo_loihi's
``decode_tau`` chosen for its synapse, and its mapping corrected for the lead
of Loihi's neurons and the chip's decode filter and delay,
`nengo_lmu.loihi.chip_loop_correction`) and run with
`nengo_lmu.loihi.loihi_model` (that ``decode_tau``; denser decode neurons at 5
ms); ``--no-prepared``: as made for
nengo.Simulator, on nengo_loihi's default model. See ``docs/backend_loihi.rst``.

Needs nengo_loihi 1.1 and numpy < 2 (in its own virtual environment). Writes
``loihi_delay.json`` (every seed's figures and their medians) and
``loihi_delay.png`` (the first seed). From the repository root (about 10 minutes
of CPU per seed, most of it the emulator learning; ``--seeds 0`` for one seed,
``--quick``: 15 s runs):

    python benchmarks/loihi_delay.py --out benchmarks/results

Seeds run in parallel processes, each with its own ``--stem``, combine with
``--merge``::

    python benchmarks/loihi_delay.py --seeds 0 1 --stem part1 --out /tmp/parts
    python benchmarks/loihi_delay.py --seeds 2 3 4 --stem part2 --out /tmp/parts
    python benchmarks/loihi_delay.py --merge /tmp/parts/part*.json --out \
        benchmarks/results

The options select the variants compared in the notes, for example
``--readout ensembles --learning-rate 1e-3 --synapse 0.01 --duration 40`` (the
first version: one learned connection from each memory ensemble).
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import Delay, LegendreMemory, legendre_readout, nrmse
from nengo_lmu.loihi import loihi_decode_tau, loihi_memory_kwargs, loihi_model

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
THETA, ORDER, N_NEURONS, TAU = 1.0, 4, 100, 0.1
HIGH, RMS = 1.0, 0.4
DELAY = 0.5  # relative delay r of the target u(t - r theta)
LEARN_FRACTION = 0.8


def build(args, duration, prepared=False):
    """The network; returns it, its probes and the memory.

    ``prepared``: the memory prepared for Loihi (`loihi_memory_kwargs`), for the
    emulator; otherwise as made for nengo.Simulator (``lead="auto"``).
    """
    learn_until = LEARN_FRACTION * duration
    neuron_type = {
        "lif": nengo.LIF(),
        "srl": nengo.SpikingRectifiedLinear(
            initial_state={"voltage": nengo.dists.Choice([0])}
        ),
    }[args.neuron_type]
    with nengo.Network(seed=args.seed) as model:
        # Loihi's discretised neurons are most accurate at low rates (1 spike per
        # step at most); nengo_loihi.set_defaults() uses the same range.
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=HIGH, rms=RMS, seed=args.seed)
        )
        memory = LegendreMemory(
            THETA,
            ORDER,
            n_neurons=N_NEURONS,
            neuron_type=neuron_type,
            synapse=TAU,
            dt=DT,
            input_process=nengo.processes.WhiteSignal(100.0, high=HIGH, rms=RMS),
            **(
                loihi_memory_kwargs(
                    min_coupling=args.min_coupling,
                    decode_tau=args.decode_tau or loihi_decode_tau(TAU, THETA, ORDER),
                )
                if prepared
                else dict(loop="direct", min_coupling=args.min_coupling)
            ),
        )
        nengo.Connection(stim, memory.input, synapse=None)
        # The memory's own linear readout of the delay, in the represented basis
        delay_of_state = legendre_readout(ORDER, DELAY) @ memory.T

        target = nengo.Node(Delay(DELAY * THETA))
        nengo.Connection(stim, target, synapse=None)
        output = nengo.Node(size_in=1)
        learning = args.learning_rate > 0
        rule = nengo.PES(args.learning_rate) if learning else None
        if args.readout == "ensembles":
            # one decoded connection from each memory ensemble
            sources = [
                (ensemble, lambda z, w=w: w * z)
                for ensemble, w in zip(memory.ensembles, delay_of_state[0])
            ]
            kwargs = {}
        else:
            # one ensemble representing the whole state, fed like the memory's
            states = memory.visited_states() @ memory.T_inv.T
            readout = nengo.Ensemble(
                args.readout_neurons,
                ORDER,
                neuron_type=neuron_type,
                radius=args.readout_radius,
                intercepts=nengo.dists.Uniform(*args.readout_intercepts),
                eval_points=states / args.readout_radius,
                label="readout",
            )
            nengo.Connection(memory.state, readout, synapse=None)
            sources = [(readout, lambda z: delay_of_state @ z)]
            kwargs = dict(eval_points=states, scale_eval_points=False)
        learned = [
            nengo.Connection(
                pre,
                output,
                function=function if args.seeded else lambda z: 0,
                learning_rule_type=rule,
                synapse=args.synapse,
                **kwargs,
            )
            for pre, function in sources
        ]
        if learning:
            anneal = args.anneal

            def gate(t, e):
                # learning off after learn_until; its rate decays as 1 / (1 + t /
                # anneal) before (a Robbins-Monro schedule: the weights settle
                # instead of following the latest error)
                if t >= learn_until:
                    return 0 * e
                return e / (1 + t / anneal) if anneal > 0 else e

            error = nengo.Node(gate, size_in=1, label="gate")
            for connection in learned:
                nengo.Connection(error, connection.learning_rule, synapse=None)
            nengo.Connection(output, error, synapse=None)
            nengo.Connection(target, error, transform=-1, synapse=None)
        # nengo_loihi reads Nodes fed from the chip through a non-passthrough Node
        # (a probe on the passthrough Node itself read zeros)
        readout = nengo.Node(lambda t, x: x, size_in=1, label="readout")
        nengo.Connection(output, readout, synapse=None)
        memory_delay = nengo.Node(lambda t, x: x, size_in=1, label="memory delay")
        nengo.Connection(
            memory.output,
            memory_delay,
            transform=legendre_readout(ORDER, DELAY),
            synapse=None,
        )
        probes = dict(
            output=nengo.Probe(readout),
            target=nengo.Probe(target),
            memory_delay=nengo.Probe(memory_delay),
        )
    return model, probes, memory


def run(Simulator, args, duration, **sim_kwargs):
    learn_until = LEARN_FRACTION * duration
    start = time.perf_counter()
    emulator = Simulator is not nengo.Simulator
    model, probes, memory = build(args, duration, prepared=args.prepared and emulator)
    if emulator:
        from nengo_loihi.builder import Model

        # nengo_loihi's model: for the prepared memory, its decode_tau and decode
        # neurons (loihi_model)
        if args.prepared:
            loihi = loihi_model(model, dt=DT, pes_wgt_exp=args.pes_wgt_exp)
        else:
            loihi = Model(dt=DT)
            if args.pes_wgt_exp is not None:
                loihi.pes_wgt_exp = args.pes_wgt_exp
        loihi.pes_error_scale = args.pes_error_scale
        sim_kwargs = dict(sim_kwargs, model=loihi)
    with Simulator(model, dt=DT, progress_bar=False, **sim_kwargs) as sim:
        built = time.perf_counter()
        sim.run(duration)
        ran = time.perf_counter()
    # the exponents of the learned weights on Loihi (fitted by loihi_model)
    blocks = sim.model.blocks if emulator else []
    exponents = [s.learning_wgt_exp for b in blocks for s in b.synapses if s.learning]
    output, target, memory_delay = (
        sim.data[probes[name]][:, 0] for name in ("output", "target", "memory_delay")
    )
    tested = slice(int(round(learn_until / DT)), None)
    steps = int(round(5.0 / DT))
    curve = [
        nrmse(output[k : k + steps], target[k : k + steps]).item()
        for k in range(0, len(output) - steps + 1, steps)
    ]
    return dict(
        nrmse=nrmse(output[tested], target[tested]).item(),
        learning_rate=args.learning_rate,
        seeded=args.seeded,
        memory_delay_nrmse=nrmse(memory_delay[tested], target[tested]).item(),
        curve=curve,
        dropped_couplings=memory.dropped_couplings[:, 2].tolist(),
        pes_wgt_exps=exponents,
        build_s=built - start,
        run_s=ran - built,
        test_output=np.round(output[tested][::10], 4).tolist(),
        test_target=np.round(target[tested][::10], 4).tolist(),
    )


def describe(result):
    """What a run's readout is."""
    if result["learning_rate"] > 0:
        return "seeded PES" if result["seeded"] else "PES"
    return "linear readout" if result["seeded"] else "no learning"


def plot(results, path):
    fig, (curves, test) = plt.subplots(2, 1, figsize=(8, 6.5))
    seeds = [results["per_seed"][str(seed)] for seed in results["seeds"]]
    for color, name in zip(["C0", "C1"], results["runs"]):
        for variant, style in [("learned", "o-"), ("bound", "--")]:
            of_seeds = [
                runs[name] if variant == "learned" else runs[name].get("bound")
                for runs in seeds
            ]
            if any(result is None for result in of_seeds):
                continue
            per_seed = np.array([result["curve"] for result in of_seeds])
            t = 2.5 + 5.0 * np.arange(per_seed.shape[1])
            label = describe(of_seeds[0]) if variant == "learned" else "linear readout"
            curves.plot(
                t,
                np.median(per_seed, axis=0),
                style,
                color=color,
                label=f"{name}, {label}",
            )
            if len(seeds) > 1:
                curves.plot(t, per_seed.T, style[-1], color=color, lw=0.5, alpha=0.4)
    curves.axvline(results["learn_until"], color="0.6", linestyle=":")
    curves.set_xlabel("time (s)")
    curves.set_ylabel("NRMSE over 5 s")
    curves.set_title(
        "PES learning u(t - theta/2) from a spiking Legendre memory "
        f"(learning off after {results['learn_until']:g} s)\nmedian over seeds "
        f"{', '.join(map(str, results['seeds']))}; thin: each seed",
        fontsize="medium",
    )
    curves.legend(fontsize="small")
    first = next(iter(results["runs"].values()))
    t = results["learn_until"] + 0.01 * np.arange(len(first["test_target"]))
    test.plot(t, first["test_target"], "k", label="target u(t - theta/2)")
    for name, result in results["runs"].items():
        test.plot(
            t, result["test_output"], label=f"{name} (NRMSE {result['nrmse']:.3f})"
        )
    test.set_xlabel("time (s)")
    test.set_title(
        f"test period, learning off (seed {results['seeds'][0]})", fontsize="medium"
    )
    test.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


SIMULATORS = {"reference": "nengo.Simulator", "emulator": "nengo_loihi emulator"}


def run_seed(args, seed, duration):
    """Both simulators' runs of one seed: ``{simulator name: result}``."""
    import nengo_loihi

    args = argparse.Namespace(**dict(vars(args), seed=seed))
    variants = [("learned", args)]
    if args.bound:
        variants.append(
            (
                "bound",
                argparse.Namespace(**dict(vars(args), seeded=True, learning_rate=0.0)),
            )
        )
    runs = {}
    for simulator in args.simulators:
        name = SIMULATORS[simulator]
        for variant, variant_args in variants:
            if simulator == "reference":
                Simulator, kwargs = nengo.Simulator, {}
            else:
                Simulator, kwargs = nengo_loihi.Simulator, dict(target="sim")
            result = run(Simulator, variant_args, duration, **kwargs)
            if variant == "learned":
                runs[name] = result
            else:
                runs[name]["bound"] = result
            print(
                f"seed {seed} {name:22} {describe(result):14} NRMSE "
                f"{result['nrmse']:.4f}  (memory's own readout "
                f"{result['memory_delay_nrmse']:.4f})  build {result['build_s']:.1f} s  "
                f"run {result['run_s']:.1f} s  curve "
                f"{np.round(result['curve'], 3).tolist()}",
                flush=True,
            )
    print(f"dropped couplings: {np.round(result['dropped_couplings'], 4).tolist()}")
    return runs


def summarize(results):
    """Per simulator, the medians over the seeds, and the emulator's ratios.

    ``results["runs"]`` (the first seed's runs, with the test traces the figure
    shows; only these are kept) and ``results["medians"]`` are rewritten from
    ``results["per_seed"]``.
    """
    per_seed = results["per_seed"]
    results["seeds"] = sorted(int(seed) for seed in per_seed)
    first = per_seed[str(results["seeds"][0])]
    for runs in per_seed.values():
        for result in runs.values():
            if runs is not first:
                result.pop("test_output", None)
                result.pop("test_target", None)
            result.get("bound", {}).pop("test_output", None)
            result.get("bound", {}).pop("test_target", None)
    results["runs"] = first
    medians = {}
    for name in first:
        seeds = [per_seed[str(seed)][name] for seed in results["seeds"]]
        medians[name] = dict(
            nrmse=float(np.median([r["nrmse"] for r in seeds])),
            memory_delay_nrmse=float(
                np.median([r["memory_delay_nrmse"] for r in seeds])
            ),
        )
        if all("bound" in r for r in seeds):
            medians[name]["bound"] = float(
                np.median([r["bound"]["nrmse"] for r in seeds])
            )
    reference, emulator = (SIMULATORS[s] for s in ("reference", "emulator"))
    if reference in medians and emulator in medians:
        medians["ratio"] = {
            key: medians[emulator][key] / medians[reference][key]
            for key in medians[reference]
        }
    results["medians"] = medians
    return results


def write(results, args):
    summarize(results)
    for name, median in results["medians"].items():
        print(f"median over seeds {results['seeds']}: {name:22} {median}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = args.stem or ("loihi_delay_quick" if args.quick else "loihi_delay")
        stored = {key: value for key, value in results.items() if key != "runs"}
        (args.out / f"{stem}.json").write_text(json.dumps(stored, indent=1))
        plot(results, args.out / f"{stem}.png")
        print(f"Wrote {args.out / stem}.json and .png")
    return results


def merge(paths, args):
    """Combine the results of runs of some seeds each (in parallel)."""
    parts = [json.loads(Path(path).read_text()) for path in paths]
    results = parts[0]
    results.pop("runs", None)
    for part in parts[1:]:
        if (
            part["network"] != results["network"]
            or part["duration"] != results["duration"]
        ):
            raise SystemExit(f"{paths[0]} and the other parts ran different networks")
        results["per_seed"].update(part["per_seed"])
    return write(results, args)


def main(args):
    import nengo_loihi

    duration = 15.0 if args.quick else args.duration
    results = dict(
        duration=duration,
        learn_until=LEARN_FRACTION * duration,
        neuron_type=args.neuron_type,
        min_coupling=args.min_coupling,
        readout=args.readout,
        readout_neurons=args.readout_neurons if args.readout == "ensemble" else None,
        seeded=args.seeded,
        learning_rate=args.learning_rate,
        readout_radius=args.readout_radius,
        readout_intercepts=args.readout_intercepts,
        anneal=args.anneal,
        synapse=args.synapse,
        pes_error_scale=args.pes_error_scale,
        pes_wgt_exp=args.pes_wgt_exp,
        prepared=args.prepared,
        decode_tau=args.decode_tau,
        network=dict(
            theta=THETA,
            order=ORDER,
            n_neurons=N_NEURONS,
            synapse=TAU,
            input_high=HIGH,
            input_rms=RMS,
            delay=DELAY,
            max_rates=[100, 120],
        ),
        versions=dict(
            nengo=nengo.__version__,
            nengo_loihi=nengo_loihi.__version__,
            numpy=np.__version__,
        ),
        per_seed={str(seed): run_seed(args, seed, duration) for seed in args.seeds},
    )
    return write(results, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, help="folder for the JSON and PNG (none: print only)"
    )
    parser.add_argument("--stem", help="file name of the results, less suffix")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2, 3, 4],
        help="of the network and its input; the figures are medians over them",
    )
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--neuron-type", choices=["lif", "srl"], default="lif")
    parser.add_argument("--min-coupling", type=float, default=0.05)
    parser.add_argument(
        "--readout",
        choices=["ensembles", "ensemble"],
        default="ensemble",
        help="learn on a connection from each memory ensemble, or from one "
        "ensemble representing the memory's state",
    )
    parser.add_argument("--readout-neurons", type=int, default=400)
    parser.add_argument(
        "--readout-radius",
        type=float,
        default=2.5,
        help="of the readout ensemble (the state has unit rms per dimension)",
    )
    parser.add_argument(
        "--readout-intercepts", type=float, nargs=2, default=[-0.5, 0.5]
    )
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, help="PES; 0: no learning"
    )
    parser.add_argument(
        "--anneal",
        type=float,
        default=0.0,
        help="time constant (s) of the learning rate's decay as 1 / (1 + t / T), "
        "applied to the error; 0: constant",
    )
    parser.add_argument(
        "--seeded",
        action="store_true",
        help="start from the memory's linear readout of the delay (with "
        "--learning-rate 0: the bound of a linear readout)",
    )
    parser.add_argument(
        "--synapse", type=float, default=0.03, help="of the learned connections"
    )
    parser.add_argument(
        "--pes-error-scale",
        type=float,
        default=100.0,
        help="nengo_loihi's Model.pes_error_scale (its default: 100)",
    )
    parser.add_argument(
        "--pes-wgt-exp",
        type=int,
        help="nengo_loihi's Model.pes_wgt_exp, the learned weights' exponent "
        "(default: loihi_model's)",
    )
    parser.add_argument(
        "--simulators",
        nargs="+",
        choices=list(SIMULATORS),
        default=list(SIMULATORS),
    )
    parser.add_argument(
        "--no-bound",
        dest="bound",
        action="store_false",
        help="skip the bound (the linear readout, no learning)",
    )
    parser.add_argument(
        "--decode-tau",
        type=float,
        help="nengo_loihi's decode_tau (s) the memory is prepared for, and the "
        "emulator's model uses (default: loihi_decode_tau of the memory)",
    )
    parser.add_argument("--quick", action="store_true", help="15 s runs")
    parser.add_argument(
        "--no-prepared",
        dest="prepared",
        action="store_false",
        help="run the emulator with the memory as made for nengo.Simulator, not "
        "prepared for Loihi (loihi_memory_kwargs)",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="combine the results of runs of some seeds each (written with --stem) "
        "into one, instead of running",
    )
    args = parser.parse_args()
    # The shared decoder cache may hold files written under numpy 2, which numpy 1
    # (that nengo_loihi's emulator needs) cannot read.
    nengo.rc.set("decoder_cache", "enabled", "False")
    # nengo_loihi 1.1 warns that it was not tested with nengo 4, and numpy 2's
    # nengo warns about numpy.core; neither matters here
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`", UserWarning)
    merge(args.merge, args) if args.merge else main(args)
