"""A spiking Legendre memory and a PES-learned delay on the nengo_loihi emulator.

A neural `LegendreMemory` (theta = 1 s, order 4, 100 spiking neurons per
dimension, ``Lowpass(0.1)``, max rates 100 to 120 Hz) holds 1 Hz white noise
(rms 0.4). Each of its ensembles has a decoded connection to one output Node,
learned online with ``nengo.PES`` to give the input delayed by theta / 2; learning
is on for the first 80% of the run, then the error is gated off and the NRMSE of
the output against the delayed input is measured over the rest. The same network,
with the same seed, runs on ``nengo.Simulator`` and on ``nengo_loihi.Simulator``
(``target="sim"``, the emulator of the Loihi chip).

Loihi needs the memory wired with ``loop="direct"``: nengo_loihi replaces the
default loop's ``state`` passthrough Node by a decoded connection for every pair
of ensembles, each through its own decode neurons, and cannot discretise the
weights of those whose coupling is small (``BuildError: Could not find appropriate
weight exponent``). With the direct loop the ensembles feed each other, and
couplings below ``--min-coupling`` (in units of the recurrent transform) are
dropped (``min_coupling``), in both simulators. See
``docs/backends_loihi_notes.rst``.

Needs nengo_loihi 1.1 and numpy < 2 (in its own virtual environment). Writes
``loihi_delay.json`` and ``loihi_delay.png``. From the repository root (about 6
minutes on 2 cores; ``--quick``: a 15 s run, under a minute):

    python benchmarks/loihi_delay.py --out benchmarks/results
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import Delay, LegendreMemory, nrmse

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
THETA, ORDER, N_NEURONS, TAU = 1.0, 4, 100, 0.1
HIGH, RMS = 1.0, 0.4
LEARNING_RATE = 1e-3


def build(seed, duration, learn_until, neuron_type, min_coupling):
    """The network; returns it, its probes and the dropped couplings."""
    with nengo.Network(seed=seed) as model:
        # Loihi's discretised neurons are most accurate at low rates (1 spike per
        # step at most); nengo_loihi.set_defaults() uses the same range.
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=HIGH, rms=RMS, seed=seed)
        )
        memory = LegendreMemory(
            THETA,
            ORDER,
            n_neurons=N_NEURONS,
            neuron_type=neuron_type,
            synapse=TAU,
            dt=DT,
            input_process=nengo.processes.WhiteSignal(100.0, high=HIGH, rms=RMS),
            loop="direct",
            min_coupling=min_coupling,
        )
        dropped = memory.dropped_couplings[:, 2].tolist()
        nengo.Connection(stim, memory.input, synapse=None)

        target = nengo.Node(Delay(THETA / 2))
        nengo.Connection(stim, target, synapse=None)
        output = nengo.Node(size_in=1)
        error = nengo.Node(
            lambda t, e: e if t < learn_until else 0 * e, size_in=1, label="gate"
        )
        for ensemble in memory.ensembles:
            learned = nengo.Connection(
                ensemble,
                output,
                function=lambda z: 0,
                learning_rule_type=nengo.PES(LEARNING_RATE),
                synapse=0.01,
            )
            nengo.Connection(error, learned.learning_rule, synapse=None)
        nengo.Connection(output, error, synapse=None)
        nengo.Connection(target, error, transform=-1, synapse=None)
        # nengo_loihi reads Nodes fed from the chip through a non-passthrough Node
        # (a probe on the passthrough Node itself read zeros)
        readout = nengo.Node(lambda t, x: x, size_in=1, label="readout")
        nengo.Connection(output, readout, synapse=None)
        probes = dict(output=nengo.Probe(readout), target=nengo.Probe(target))
    return model, probes, dropped


def run(Simulator, seed, duration, neuron_type, min_coupling, **sim_kwargs):
    learn_until = 0.8 * duration
    start = time.perf_counter()
    model, probes, dropped = build(
        seed, duration, learn_until, neuron_type, min_coupling
    )
    with Simulator(model, dt=DT, progress_bar=False, **sim_kwargs) as sim:
        built = time.perf_counter()
        sim.run(duration)
        ran = time.perf_counter()
    output, target = (sim.data[probes[name]][:, 0] for name in ("output", "target"))
    tested = slice(int(round(learn_until / DT)), None)
    steps = int(round(5.0 / DT))
    curve = [
        nrmse(output[k : k + steps], target[k : k + steps]).item()
        for k in range(0, len(output) - steps + 1, steps)
    ]
    return dict(
        nrmse=nrmse(output[tested], target[tested]).item(),
        curve=curve,
        dropped_couplings=dropped,
        build_s=built - start,
        run_s=ran - built,
        test_output=output[tested][::10].tolist(),
        test_target=target[tested][::10].tolist(),
    )


def plot(results, path):
    fig, (curves, test) = plt.subplots(2, 1, figsize=(8, 6.5))
    for name, result in results["runs"].items():
        t = 2.5 + 5.0 * np.arange(len(result["curve"]))
        curves.plot(t, result["curve"], "o-", label=name)
    curves.axvline(results["learn_until"], color="0.6", linestyle=":")
    curves.set_xlabel("time (s)")
    curves.set_ylabel("NRMSE over 5 s")
    curves.set_title(
        "PES learning u(t - theta/2) from a spiking Legendre memory "
        f"(learning off after {results['learn_until']:g} s)"
    )
    curves.legend()
    first = next(iter(results["runs"].values()))
    t = results["learn_until"] + 0.01 * np.arange(len(first["test_target"]))
    test.plot(t, first["test_target"], "k", label="target u(t - theta/2)")
    for name, result in results["runs"].items():
        test.plot(
            t, result["test_output"], label=f"{name} (NRMSE {result['nrmse']:.3f})"
        )
    test.set_xlabel("time (s)")
    test.set_title("test period, learning off")
    test.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args):
    import nengo_loihi

    neuron_type = {
        "lif": nengo.LIF(),
        "srl": nengo.SpikingRectifiedLinear(
            initial_state={"voltage": nengo.dists.Choice([0])}
        ),
    }[args.neuron_type]
    duration = 15.0 if args.quick else args.duration
    results = dict(
        seed=args.seed,
        duration=duration,
        learn_until=0.8 * duration,
        neuron_type=args.neuron_type,
        min_coupling=args.min_coupling,
        network=dict(
            theta=THETA,
            order=ORDER,
            n_neurons=N_NEURONS,
            synapse=TAU,
            input_high=HIGH,
            input_rms=RMS,
            learning_rate=LEARNING_RATE,
            max_rates=[100, 120],
        ),
        versions=dict(
            nengo=nengo.__version__,
            nengo_loihi=nengo_loihi.__version__,
            numpy=np.__version__,
        ),
        runs={},
    )
    simulators = {
        "nengo.Simulator": (nengo.Simulator, {}),
        "nengo_loihi emulator": (nengo_loihi.Simulator, dict(target="sim")),
    }
    for name, (Simulator, kwargs) in simulators.items():
        result = run(
            Simulator, args.seed, duration, neuron_type, args.min_coupling, **kwargs
        )
        results["runs"][name] = result
        print(
            f"{name:22} NRMSE {result['nrmse']:.4f}  build {result['build_s']:.1f} s  "
            f"run {result['run_s']:.1f} s  (dropped couplings: "
            f"{np.round(result['dropped_couplings'], 4).tolist()})",
            flush=True,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "loihi_delay_quick" if args.quick else "loihi_delay"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / f"{stem}.png")
    print(f"Wrote {args.out / stem}.json and .png")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--neuron-type", choices=["lif", "srl"], default="lif")
    parser.add_argument("--min-coupling", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="one 15 s run")
    args = parser.parse_args()
    # The shared decoder cache may hold files written under numpy 2, which numpy 1
    # (that nengo_loihi's emulator needs) cannot read.
    nengo.rc.set("decoder_cache", "enabled", "False")
    # nengo_loihi 1.1 warns that it was not tested with nengo 4, and numpy 2's
    # nengo warns about numpy.core; neither matters here
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`", UserWarning)
    main(args)
