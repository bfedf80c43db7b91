"""Cost against model size, beside the same models written by hand.

Each model is made twice: with nengo_lmu's networks, and by hand with plain nengo
objects computing the same thing.

- ``lmu``: ``n`` `LMU` cells (exact memory of ``order``, ``n_hidden`` LIF hidden
  neurons, one output learned with ``PES(1e-4)`` against the input), all driven
  by one white-noise input. By hand: for each cell the same Nodes (input, memory
  input, memory state looping through ``Ad`` with ``synapse=0``), an Ensemble with
  the cell's gains and biases, and the same connections and transforms, taken
  from the LMU (so the arrays are equal, and "construction by hand" is only the
  making of the nengo objects from them).
- ``neural``: ``n`` neural `LegendreMemory` (order 6, 166 LIF neurons per
  dimension, ``Lowpass(0.1)``: B1 of ``delay_accuracy.py``). By hand: the very
  ensembles, Nodes and connections of the memories, in a plain ``nengo.Network``.

Measured: the time to make the model (``construct_s``), to build it
(``Simulator(...)``, ``build_s``), and the time per step after 10 warm-up steps
(``step_s``, the median of ``--repeats`` runs of ``--steps`` steps, the two
models' runs interleaved, each first in turn): the process's CPU time on the
reference simulator (single-threaded; on a shared machine the wall time of the
same run varies by +-50%), the wall time on nengo_ocl unless ``--clock cpu``
(for pocl on a shared machine: its threads are the process's). ``ratio`` is the
median over the interleaved pairs of nengo_lmu's time over the hand model's;
``extra_operators`` counts, by type, the operators nengo_lmu's model has more
(or fewer) than the hand model.

Also the CPU time to construct one ``LMU(order=..., n_hidden=1000)`` against
order (``construction``): the first, with every cache empty (``cold_s``: computes
the realisation and the discretisation), at another ``theta`` (``warm_s``: the
realisation is shared by every ``theta``), the same again (``cached_s``), and
with every kernel given, as ``LMU.from_keras`` does (``given_cold_s`` from empty
caches, ``given_s`` with the discretisation cached); and of B1 memories told
their input by a ``WhiteSignal`` process (``neural_construction``): the first,
one more, and ``--identical`` (100) identical ones in one network from empty
caches, which share one realisation, sample and lead calibration. The first
of each is also timed by the wall clock (``cold_wall_s``, ``first_wall_s``),
which counts every BLAS thread once. The load average at the end is recorded:
the machine may be shared.

Writes ``scale_<simulator>.json`` and a figure ``scale_<simulator>.png`` to
``--out``. Run from the repository root, for example (about 10 minutes on
2 cores)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/scale.py --simulator reference
    OPENBLAS_NUM_THREADS=1 PYOPENCL_CTX=0 python benchmarks/scale.py \\
        --simulator nengo_ocl --lmus 1 8 64 --order 64 --neural 1 8 --clock cpu

``--quick`` makes a smoke run; ``--construction-only`` times only the
construction (``scale_construction.json``)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/scale.py --construction-only \
        --orders 256 512 1024
"""

import argparse
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path

import matplotlib
import nengo
import numpy as np

import nengo_lmu
from nengo_lmu import LMU, LegendreMemory, calibration
from nengo_lmu.discretize import _cached_legendre_discretization
from nengo_lmu.realize import clear_cache

DT = 0.001
THETA = 0.5
LEARNING_RATE = 1e-4


def make_stimulus(seed):
    return nengo.Node(
        nengo.processes.WhiteSignal(10.0, high=5.0, rms=0.3, seed=seed),
        label="stimulus",
    )


def lmu_model(n, order, n_hidden, seed):
    """``n`` LMUs learning to reproduce their input; the model and the LMUs."""
    with nengo.Network(seed=seed) as model:
        stimulus = make_stimulus(seed)
        lmus = []
        for i in range(n):
            lmu = LMU(
                THETA,
                order,
                n_hidden,
                size_out=1,
                learning_rule_type=nengo.PES(LEARNING_RATE),
                seed=seed + i,
            )
            nengo.Connection(stimulus, lmu.input, synapse=None)
            nengo.Connection(lmu.output, lmu.error, synapse=None)
            nengo.Connection(stimulus, lmu.error, transform=-1, synapse=None)
            nengo.Probe(lmu.output, synapse=None)
            lmus.append(lmu)
    return model, lmus


def hand_lmu_model(lmus, seed):
    """The same cells as ``lmus``, written with plain nengo objects."""
    with nengo.Network(seed=seed) as model:
        stimulus = make_stimulus(seed)
        for lmu in lmus:
            weights = {
                name: connection.transform.init
                for name, connection in lmu.weight_connections.items()
            }
            cell_input = nengo.Node(size_in=1)
            memory_input = nengo.Node(size_in=1)
            memory = nengo.Node(size_in=lmu.order)
            nengo.Connection(stimulus, cell_input, synapse=None)
            nengo.Connection(
                cell_input, memory_input, transform=weights["e_x"], synapse=None
            )
            nengo.Connection(
                memory_input, memory, transform=lmu.memory.Bd, synapse=None
            )
            nengo.Connection(memory, memory, transform=lmu.memory.Ad, synapse=0)
            hidden = nengo.Ensemble(
                lmu.n_hidden,
                1,
                neuron_type=lmu.neuron_type,
                gain=lmu.hidden.gain,
                bias=lmu.hidden.bias,
            )
            nengo.Connection(
                memory, hidden.neurons, transform=weights["W_m"], synapse=None
            )
            output = nengo.Node(size_in=1)
            learned = nengo.Connection(
                hidden.neurons,
                output,
                transform=weights["W_y"],
                synapse=lmu.synapse,
                learning_rule_type=nengo.PES(LEARNING_RATE),
            )
            error = nengo.Node(size_in=1)
            nengo.Connection(output, error, synapse=None)
            nengo.Connection(stimulus, error, transform=-1, synapse=None)
            nengo.Connection(error, learned.learning_rule, synapse=None)
            nengo.Probe(output, synapse=None)
    return model


def neural_model(n, seed):
    """``n`` neural memories of one input (B1); the model and the memories."""
    with nengo.Network(seed=seed) as model:
        stimulus = make_stimulus(seed)
        memories = []
        for i in range(n):
            memory = LegendreMemory(
                1.0,
                6,
                n_neurons=166,
                neuron_type=nengo.LIF(),
                synapse=nengo.Lowpass(0.1),
                dt=DT,
                seed=seed + i,
            )
            nengo.Connection(stimulus, memory.input, synapse=None)
            nengo.Probe(memory.output, synapse=None)
            memories.append(memory)
    return model, memories


def hand_neural_model(memories, seed):
    """The memories' own objects, in a plain nengo.Network."""
    with nengo.Network(seed=seed) as model:
        stimulus = make_stimulus(seed)
        for memory in memories:
            for obj in memory.all_ensembles + memory.all_nodes:
                model.add(obj)
            for connection in memory.all_connections:
                model.add(connection)
            nengo.Connection(stimulus, memory.input, synapse=None)
            nengo.Probe(memory.output, synapse=None)
    return model


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def operator_counts(sim):
    return Counter(type(operator).__name__ for operator in sim.model.operators)


def compare(Simulator, ours, hand, n_steps, repeats, clock):
    """Build both models; time their steps, interleaved."""
    (model, construct_s), (hand_model, hand_construct_s) = ours, hand
    sim, build_s = timed(lambda: Simulator(model, dt=DT, progress_bar=False))
    hand_sim, hand_build_s = timed(
        lambda: Simulator(hand_model, dt=DT, progress_bar=False)
    )
    with sim, hand_sim:
        counts, hand_counts = operator_counts(sim), operator_counts(hand_sim)
        extra_operators = {
            kind: counts[kind] - hand_counts[kind]
            for kind in counts | hand_counts
            if counts[kind] != hand_counts[kind]
        }
        sim.run_steps(10, progress_bar=False)
        hand_sim.run_steps(10, progress_bar=False)
        step_s, hand_step_s = [], []
        pair = [(sim, step_s), (hand_sim, hand_step_s)]
        for repeat in range(repeats):
            # Alternate which runs first, so that neither gains from its place.
            for simulator, times in pair[:: 1 if repeat % 2 == 0 else -1]:
                start = clock()
                simulator.run_steps(n_steps, progress_bar=False)
                times.append((clock() - start) / n_steps)
    ratios = np.array(step_s) / np.array(hand_step_s)
    return dict(
        ours=dict(
            construct_s=construct_s,
            build_s=build_s,
            step_s=float(np.median(step_s)),
        ),
        hand=dict(
            construct_s=hand_construct_s,
            build_s=hand_build_s,
            step_s=float(np.median(hand_step_s)),
        ),
        ratio=float(np.median(ratios)),
        pair_ratio_quartiles=np.percentile(ratios, [25, 50, 75]).tolist(),
        extra_operators=extra_operators,
    )


def clear_caches():
    """Forget every cached realisation, discretisation, sample and calibration."""
    clear_cache()
    _cached_legendre_discretization.cache_clear()
    calibration.clear_cache()


def cpu_timed(function):
    start = time.process_time()
    result = function()
    return result, time.process_time() - start


def cpu_and_wall_timed(function):
    start, start_wall = time.process_time(), time.perf_counter()
    result = function()
    return result, time.process_time() - start, time.perf_counter() - start_wall


def construction_against_order(orders, n_hidden):
    """CPU time to make one ``LMU(order, n_hidden)``: the first (every cache
    empty), at another ``theta`` (the realisation cached), the same again
    (everything cached), and with every kernel given (from empty caches, and
    with the discretisation cached)."""
    rows = []
    for order in orders:

        def lmu(theta=THETA, **kwargs):
            return lambda: LMU(theta, order, n_hidden, add_to_container=False, **kwargs)

        kernels = dict(
            memory=np.zeros((n_hidden, order)),
            bias=np.zeros(n_hidden),
            output=np.zeros((1, n_hidden)),
        )
        given = lmu(size_out=1, kernels=kernels)
        clear_caches()
        _, cold, cold_wall = cpu_and_wall_timed(lmu())
        _, warm = cpu_timed(lmu(2 * THETA))
        _, cached = cpu_timed(lmu())
        clear_caches()
        _, given_cold = cpu_timed(given)
        _, given_cached = cpu_timed(given)
        rows.append(
            dict(
                order=order,
                cold_s=cold,
                cold_wall_s=cold_wall,
                warm_s=warm,
                cached_s=cached,
                given_cold_s=given_cold,
                given_s=given_cached,
            )
        )
        print(
            f"LMU(order={order}, n_hidden={n_hidden}) CPU s: first {cold:.3f} "
            f"(wall {cold_wall:.3f}), "
            f"new theta {warm:.3f}, again {cached:.3f}, kernels given "
            f"{given_cold:.3f} (first) {given_cached:.3f} (again)",
            flush=True,
        )
    return rows


def b1_memory():
    """B1 of ``delay_accuracy.py``, told its input by a process."""
    return LegendreMemory(
        1.0,
        6,
        n_neurons=166,
        neuron_type=nengo.LIF(),
        synapse=nengo.Lowpass(0.1),
        input_process=nengo.processes.WhiteSignal(100.0, high=1, rms=0.4),
    )


def neural_construction(n_identical):
    """CPU time to make B1 memories: the first (every cache empty), one more,
    and ``n_identical`` identical ones in one network from empty caches."""
    LegendreMemory(1.0, 2, n_neurons=10, add_to_container=False)  # imports
    clear_caches()
    with nengo.Network():
        _, first, first_wall = cpu_and_wall_timed(b1_memory)
        _, again = cpu_timed(b1_memory)
    clear_caches()
    with nengo.Network():
        _, many = cpu_timed(lambda: [b1_memory() for _ in range(n_identical)])
    row = dict(
        first_s=first,
        first_wall_s=first_wall,
        again_s=again,
        n_identical=n_identical,
        identical_s=many,
    )
    print(
        f"B1 memory CPU s: first {first:.3f} (wall {first_wall:.3f}), "
        f"again {again:.3f}, "
        f"{n_identical} identical {many:.2f}",
        flush=True,
    )
    return row


def plot(results, path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for kind, marker in (("lmu", "o"), ("neural", "s")):
        rows = results[kind]
        if not rows:
            continue
        n = [row["n"] for row in rows]
        for who, style in (("ours", "-"), ("hand", "--")):
            label = f"{kind}, {'nengo_lmu' if who == 'ours' else 'by hand'}"
            axes[0].loglog(
                n,
                [1e3 * row[who]["step_s"] for row in rows],
                style,
                marker=marker,
                label=label,
            )
            axes[1].loglog(
                n, [row[who]["build_s"] for row in rows], style, marker=marker
            )
    axes[0].set(xlabel="networks in the model", ylabel="ms per step")
    axes[0].legend(fontsize="small")
    axes[1].set(xlabel="networks in the model", ylabel="build time (s)")
    rows = results["construction"]
    orders = [row["order"] for row in rows]
    for key, label in (
        ("cold_s", "first"),
        ("warm_s", "another theta"),
        ("cached_s", "the same again"),
        ("given_s", "every kernel given, again"),
    ):
        axes[2].loglog(orders, [row[key] for row in rows], "-o", label=label)
    axes[2].set(
        xlabel="order", ylabel="LMU construction (CPU s)", title="n_hidden = 1000"
    )
    axes[2].set_xticks(orders, [str(order) for order in orders])
    axes[2].minorticks_off()
    axes[2].legend(fontsize="small")
    fig.suptitle(
        f"{results['simulator']}: LMUs of order {results['lmu_order']} with "
        f"{results['lmu_hidden']} LIF hidden neurons; B1 neural memories",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(args):
    if args.simulator == "nengo_ocl":
        import nengo_ocl  # pylint: disable=import-outside-toplevel

        Simulator = nengo_ocl.Simulator
    else:
        Simulator = nengo.Simulator
    if args.clock is None:
        args.clock = "wall" if args.simulator == "nengo_ocl" else "cpu"
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    seed = 0
    results = dict(
        simulator=args.simulator,
        machine=platform.processor() or platform.machine(),
        versions=dict(nengo=nengo.__version__, nengo_lmu=nengo_lmu.__version__),
        lmu_order=args.order,
        lmu_hidden=args.hidden,
        n_steps=args.steps,
        repeats=args.repeats,
        clock="wall" if args.clock == "wall" else "process CPU",
        lmu=[],
        neural=[],
    )
    sizes = [
        ("lmu", "LMUs", n, lambda n: lmu_model(n, args.order, args.hidden, seed))
        for n in args.lmus
    ] + [
        ("neural", "neural memories", n, lambda n: neural_model(n, seed))
        for n in args.neural
    ]
    by_hand = dict(lmu=hand_lmu_model, neural=hand_neural_model)
    for kind, label, n, make in [] if args.construction_only else sizes:
        (model, parts), construct_s = timed(make, n)
        hand, hand_construct_s = timed(by_hand[kind], parts, seed)
        row = compare(
            Simulator,
            (model, construct_s),
            (hand, hand_construct_s),
            args.steps,
            args.repeats,
            clock,
        )
        results[kind].append(dict(n=n, **row))
        print(f"{n} {label}: {json.dumps(row)}", flush=True)
    results["construction"] = construction_against_order(args.orders, 1000)
    results["neural_construction"] = neural_construction(args.identical)
    results["load_average"] = os.getloadavg()
    # CPU times count every BLAS thread, busy-waiting ones too.
    results["openblas_num_threads"] = os.environ.get("OPENBLAS_NUM_THREADS")

    args.out.mkdir(parents=True, exist_ok=True)
    name = f"scale_{args.simulator}" + ("_quick" if args.quick else "")
    if args.construction_only:
        name = "scale_construction" + ("_quick" if args.quick else "")
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=1))
    if not args.construction_only:
        plot(results, args.out / f"{name}.png")
    print(
        f"wrote {args.out / name}.json"
        + ("" if args.construction_only else " and .png")
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--simulator", choices=["reference", "nengo_ocl"], default="reference"
    )
    parser.add_argument("--lmus", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--order", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=1000)
    parser.add_argument("--neural", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--orders", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument(
        "--identical",
        type=int,
        default=100,
        help="identical B1 memories made in one network",
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        help="time steps by the wall clock (nengo_ocl's default, for a GPU) or "
        "the process's CPU time (the reference simulator's default; for pocl, "
        "whose threads run in the process, on a shared machine)",
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument(
        "--construction-only",
        action="store_true",
        help="only the construction times (LMU against order, B1 memories); "
        "writes scale_construction.json and no figure",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.lmus, arguments.neural, arguments.orders = [1, 2], [1], [8, 16]
        arguments.hidden, arguments.steps, arguments.repeats = 100, 20, 2
        arguments.identical = 3
    main(arguments)
