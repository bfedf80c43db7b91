"""Online learning with the LMU network (benchmarks.md, B3 and B5).

B3: learn to delay 2 Hz white noise (rms 0.3) by 0.5 s, online, from an exact
memory of order 8 over theta = 1 s and 1000 spiking (SpikingRectifiedLinear)
hidden neurons; learning is on for the first 80 s of 100 s, then off. NRMSE over
the last 20 s. Rules:

- ``recipe``: nengo's own LMU + PES example, re-expressed here (an exact memory
  Node loop, a 1000-neuron ensemble over the raw memory state, ``PES(2e-4)``);
  nengo 4.1 measured 0.333. The reference, run in the same process.
- ``pes``: `nengo_lmu.LMU` with ``PES(2e-4)``.
- ``rls``: `nengo_lmu.LMU` with ``nengo.RLS()`` (O(n^2) per step: slow).
- ``product``: `nengo_lmu.LMU` with ``PES(2e-4)`` learning a nonlinear function
  of the window, u(t) * u(t - theta / 2).

B5 (``cost``): simulation time of `LMU` and of the same network written by hand
with plain nengo objects (one process, same seed), for order 8 and order 256 with
1000 hidden neurons; steps per second and build time.

Prints tables; writes ``online_learning.json`` and ``online_learning.png``
(learning curves: NRMSE over 10-s windows). Run from the repository root:

    python benchmarks/online_learning.py --tasks recipe pes product cost
    python benchmarks/online_learning.py --tasks rls --seeds 0 1 2
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LMU, Delay, discretize, legendre_delay, nrmse

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT, DURATION, LEARN_UNTIL = 0.001, 100.0, 80.0
THETA, ORDER, N_HIDDEN, DELAY = 1.0, 8, 1000, 0.5
WINDOW = 10.0


def learning_switch(t, error):
    return error if t < LEARN_UNTIL else 0 * error


def build(task, seed):
    """The B3 network for one task; returns the model and output/target probes."""
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(
            nengo.processes.WhiteSignal(DURATION, high=2, rms=0.3, y0=0, seed=seed)
        )
        delayed = nengo.Node(Delay(DELAY))
        nengo.Connection(stim, delayed, synapse=None)
        target = delayed
        if task == "product":
            target = nengo.Node(lambda t, x: x[0] * x[1], size_in=2)
            nengo.Connection(stim, target[0], synapse=None)
            nengo.Connection(delayed, target[1], synapse=None)
        error = nengo.Node(learning_switch, size_in=1)
        nengo.Connection(target, error, transform=-1, synapse=None)

        if task == "recipe":
            Ad, Bd = discretize(*legendre_delay(THETA, ORDER), DT)
            memory = nengo.Node(size_in=ORDER)
            nengo.Connection(stim, memory, transform=Bd, synapse=None)
            nengo.Connection(memory, memory, transform=Ad, synapse=0)
            hidden = nengo.Ensemble(
                N_HIDDEN, ORDER, neuron_type=nengo.SpikingRectifiedLinear()
            )
            nengo.Connection(memory, hidden, synapse=None)
            output = nengo.Node(size_in=1)
            learned = nengo.Connection(
                hidden,
                output,
                function=lambda x: 0,
                learning_rule_type=nengo.PES(2e-4),
            )
            nengo.Connection(error, learned.learning_rule, synapse=None)
        else:
            rule = nengo.RLS() if task == "rls" else nengo.PES(2e-4)
            lmu = LMU(
                THETA,
                ORDER,
                N_HIDDEN,
                size_out=1,
                neuron_type=nengo.SpikingRectifiedLinear(),
                learning_rule_type=rule,
                radius=0.6,
            )
            nengo.Connection(stim, lmu.input, synapse=None)
            nengo.Connection(error, lmu.error, synapse=None)
            output = lmu.output
        nengo.Connection(output, error, synapse=None)
        probes = nengo.Probe(output), nengo.Probe(target)
    return model, probes


def run(task, seed):
    model, (output_probe, target_probe) = build(task, seed)
    start = time.perf_counter()
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run(DURATION)
    output, target = sim.data[output_probe], sim.data[target_probe]
    steps = int(WINDOW / DT)
    curve = [
        nrmse(output[k : k + steps], target[k : k + steps]).item()
        for k in range(0, len(output), steps)
    ]
    tested = slice(int(LEARN_UNTIL / DT), None)
    return dict(
        nrmse=nrmse(output[tested], target[tested]).item(),
        curve=curve,
        seconds=time.perf_counter() - start,
    )


def hand_written(order, seed):
    """The LMU of B5 in plain nengo objects: memory loop, hidden, learned output."""
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.3))
        Ad, Bd = discretize(*legendre_delay(THETA, order), DT)
        memory = nengo.Node(size_in=order)
        nengo.Connection(stim, memory, transform=Bd, synapse=None)
        nengo.Connection(memory, memory, transform=Ad, synapse=0)
        hidden = nengo.Ensemble(
            N_HIDDEN,
            1,
            neuron_type=nengo.SpikingRectifiedLinear(),
            gain=np.ones(N_HIDDEN),
            bias=np.zeros(N_HIDDEN),
        )
        nengo.Connection(
            memory, hidden.neurons, transform=np.zeros((N_HIDDEN, order)), synapse=None
        )
        output = nengo.Node(size_in=1)
        learned = nengo.Connection(
            hidden.neurons,
            output,
            transform=np.zeros((1, N_HIDDEN)),
            learning_rule_type=nengo.PES(2e-4),
            synapse=0.01,
        )
        nengo.Connection(output, learned.learning_rule, synapse=None)
    return model


def with_lmu(order, seed):
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(10, high=2, rms=0.3))
        lmu = LMU(
            THETA,
            order,
            N_HIDDEN,
            size_out=1,
            neuron_type=nengo.SpikingRectifiedLinear(),
            learning_rule_type=nengo.PES(2e-4),
        )
        nengo.Connection(stim, lmu.input, synapse=None)
        nengo.Connection(lmu.output, lmu.error, synapse=None)
    return model


def cost(orders=(8, 256), steps=5000, repeats=3):
    """Build time and steps per second of LMU and the hand-written network."""
    results = {}
    for order in orders:
        for name, make in (("hand-written", hand_written), ("LMU", with_lmu)):
            builds, rates = [], []
            for repeat in range(repeats):
                start = time.perf_counter()
                model = make(order, seed=repeat)
                with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
                    built = time.perf_counter()
                    sim.run_steps(100)
                    begin = time.perf_counter()
                    sim.run_steps(steps)
                    rates.append(steps / (time.perf_counter() - begin))
                builds.append(built - start)
            results[f"{name} order {order}"] = dict(
                build_s=float(np.median(builds)),
                steps_per_s=float(np.median(rates)),
            )
        ratio = (
            results[f"hand-written order {order}"]["steps_per_s"]
            / results[f"LMU order {order}"]["steps_per_s"]
        )
        results[f"time ratio order {order}"] = ratio
    return results


def main(tasks, seeds, out):
    out.mkdir(parents=True, exist_ok=True)
    path = out / "online_learning.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for task in tasks:
        if task == "cost":
            results["cost"] = cost()
            for key, value in results["cost"].items():
                print(f"cost {key}: {value}", flush=True)
            continue
        runs = [run(task, seed) for seed in seeds]
        results[task] = dict(
            seeds=list(seeds),
            nrmse=float(np.median([r["nrmse"] for r in runs])),
            runs=[r["nrmse"] for r in runs],
            curve=np.median([r["curve"] for r in runs], axis=0).tolist(),
            seconds=float(np.median([r["seconds"] for r in runs])),
        )
        print(
            f"{task:8} NRMSE (last 20 s, median of {len(seeds)}): "
            f"{results[task]['nrmse']:.3f}  runs {np.round(results[task]['runs'], 3)}"
            f"  ({results[task]['seconds']:.0f} s per run)",
            flush=True,
        )
    path.write_text(json.dumps(results, indent=1))
    plot(results, out / "online_learning.png")
    print(f"Wrote {path} and {out / 'online_learning.png'}")


def plot(results, path):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for task in ("recipe", "pes", "rls", "product"):
        if task in results:
            curve = results[task]["curve"]
            times = WINDOW * (np.arange(len(curve)) + 0.5)
            ax.semilogy(
                times, curve, "o-", label=f"{task} ({results[task]['nrmse']:.3f})"
            )
    ax.axvline(LEARN_UNTIL, color="k", ls=":", label="learning off")
    ax.set(
        title="B3: online learning, NRMSE over 10-s windows (median over seeds)",
        xlabel="time (s)",
        ylabel="NRMSE",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["recipe", "pes", "product", "cost"],
        choices=["recipe", "pes", "rls", "product", "cost"],
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    main(args.tasks, args.seeds, args.out)
