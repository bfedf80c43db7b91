"""The same networks on nengo's reference simulator and on nengo_ocl.

Two tasks, each run with the same seeds on ``nengo.Simulator`` and on
``nengo_ocl.Simulator`` (float32, here on pocl, a CPU OpenCL platform):

- ``delay`` (B1 of ``delay_accuracy.py``): a neural `LegendreMemory`, theta = 1 s,
  order 6, 166 spiking LIF neurons per dimension, Lowpass(0.1), delays 1 Hz noise
  (rms 0.4) by theta for 20 s; NRMSE of the full-delay readout against the input
  delayed by theta (half a step less), and that of the exact memory beside it.
- ``B3`` (``online_learning.py``, task ``pes``): `LMU` with an exact memory of
  order 8 and 1000 SpikingRectifiedLinear hidden neurons learns a 0.5 s delay
  with ``PES(2e-4)`` for 80 s; NRMSE over the last 20 s, learning off.

Also the wall time of each run (build and simulation). Prints a table; writes
``backend_ocl.json``. Needs nengo_ocl and an OpenCL platform (``pip install -e
".[ocl]"``; on Debian ``apt-get install pocl-opencl-icd``). Run from the
repository root (about 10 minutes on 2 cores; ``--quick`` for a smoke run):

    PYOPENCL_CTX=0 python benchmarks/backend_ocl.py --out benchmarks/results
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import nengo
import numpy as np
import online_learning

from nengo_lmu import LegendreMemory, legendre_readout, nrmse, periodic_delay

DT = 0.001


def delay_network(seed, duration):
    """B1: exact and neural memories of one input; returns model and probes."""
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=1.0, rms=0.4, seed=seed)
        )
        exact = LegendreMemory(1.0, 6, dt=DT)
        neural = LegendreMemory(
            1.0,
            6,
            n_neurons=166,
            neuron_type=nengo.LIF(),
            synapse=nengo.Lowpass(0.1),
            dt=DT,
            input_process=nengo.processes.WhiteSignal(100.0, high=1.0, rms=0.4),
        )
        nengo.Connection(stim, exact.input, synapse=None)
        nengo.Connection(stim, neural.input, synapse=None)
        probes = [nengo.Probe(obj) for obj in (stim, exact.output, neural.output)]
    return model, probes


def run_delay(Simulator, seed, duration):
    start = time.perf_counter()
    model, probes = delay_network(seed, duration)
    with Simulator(model, dt=DT, progress_bar=False) as sim:
        built = time.perf_counter()
        sim.run(duration)
        ran = time.perf_counter()
    u, exact, neural = (sim.data[p].astype(float) for p in probes)
    neural = np.vstack([neural[1:], neural[-1:]])  # the state is one step late
    readout = legendre_readout(6, 1.0)
    target = periodic_delay(u[:, 0], 1.0 / DT - 0.5)
    settled = slice(int(2.0 / DT), -1)
    return dict(
        neural=nrmse((neural @ readout.T)[settled, 0], target[settled]).item(),
        exact=nrmse((exact @ readout.T)[settled, 0], target[settled]).item(),
        build_s=built - start,
        run_s=ran - built,
    )


def run_b3(Simulator, seed, duration):
    online_learning.DURATION = duration
    online_learning.LEARN_UNTIL = 0.8 * duration
    start = time.perf_counter()
    model, (output_probe, target_probe) = online_learning.build("pes", seed)
    with Simulator(model, dt=DT, progress_bar=False) as sim:
        built = time.perf_counter()
        sim.run(duration)
        ran = time.perf_counter()
    output, target = sim.data[output_probe], sim.data[target_probe]
    tested = slice(int(0.8 * duration / DT), None)
    return dict(
        nrmse=nrmse(output[tested], target[tested]).item(),
        build_s=built - start,
        run_s=ran - built,
    )


def main(seeds, out, quick):
    import nengo_ocl

    simulators = {"reference": nengo.Simulator, "nengo_ocl": nengo_ocl.Simulator}
    tasks = {
        "delay": (run_delay, 4.0 if quick else 20.0),
        "B3": (run_b3, 5.0 if quick else 100.0),
    }
    results = dict(seeds=list(seeds), versions={}, tasks={})
    results["versions"] = {
        "nengo": nengo.__version__,
        "nengo_ocl": nengo_ocl.__version__,
    }
    print(f"{'task':6} {'seed':>4} {'simulator':10} {'NRMSE':>8} {'build s':>8} run s")
    for task, (run, duration) in tasks.items():
        runs = results["tasks"].setdefault(task, dict(duration=duration, runs=[]))
        for seed in seeds:
            for name, Simulator in simulators.items():
                result = dict(
                    seed=seed, simulator=name, **run(Simulator, seed, duration)
                )
                runs["runs"].append(result)
                error = result.get("neural", result.get("nrmse"))
                print(
                    f"{task:6} {seed:4} {name:10} {error:8.4f} "
                    f"{result['build_s']:8.2f} {result['run_s']:.2f}",
                    flush=True,
                )
    out.mkdir(parents=True, exist_ok=True)
    path = out / ("backend_ocl_quick.json" if quick else "backend_ocl.json")
    path.write_text(json.dumps(results, indent=1))
    print(f"Wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="short runs, one seed")
    args = parser.parse_args()
    # nengo_ocl 3.0 warns that it is untested with nengo 4 and about a deprecated
    # pyopencl argument, on every simulator it makes
    warnings.filterwarnings("ignore", "This version of `nengo_ocl`", UserWarning)
    warnings.filterwarnings("ignore", "The 'device_offset'", DeprecationWarning)
    main(args.seeds[:1] if args.quick else args.seeds, args.out, args.quick)
