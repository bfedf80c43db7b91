"""An LMU with a fitted delay on the nengo_loihi emulator and on nengo.Simulator.

An `LMU` (theta = 1 s, order 4, 400 spiking LIF hidden neurons, nengo-lmu's
default hidden initialisation) has its output weights fitted offline with
`LMU.fit` to delay 1 Hz white noise (rms 0.4) by theta / 2, on 30 s of another
sample of the same process. The same network then runs for ``--duration`` seconds
on ``nengo.Simulator`` and on ``nengo_loihi.Simulator(target="sim")``; the NRMSE
of the output against the delayed input is measured after the first two windows.
Three memories:

- ``exact``: the exact memory, Nodes only, which nengo_loihi runs on the host; the
  hidden neurons run on the chip.
- ``neural-direct``: a neural memory (100 LIF neurons per dimension, max rates
  100 to 120 Hz) with the direct loop of `LegendreMemory` (``loop="direct"``,
  ``min_coupling=0.05``), given to `LMU` as ``memory_kwargs``.
- ``neural-state``: the same neural memory as `LMU` builds it (``loop="state"``),
  which nengo_loihi refuses (the error is recorded).

Needs nengo_loihi 1.1 and numpy < 2. From the repository root (about a minute on
2 cores):

    python benchmarks/loihi_lmu.py --out benchmarks/results
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import nengo
import numpy as np

from nengo_lmu import LMU, Delay, nrmse

DT = 0.001
THETA, ORDER, N_HIDDEN, MEMORY_NEURONS = 1.0, 4, 400, 100
HIGH, RMS = 1.0, 0.4
DELAY = 0.5
FIT_DURATION = 30.0
MEMORIES = ("exact", "neural-direct", "neural-state")


def build(memory, duration, seed):
    """The network (its LMU fitted) and its probes."""
    with nengo.Network(seed=seed) as model:
        # the neural memory's rates (the hidden layer sets its own gains)
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=HIGH, rms=RMS, seed=seed)
        )
        options = {} if memory == "exact" else dict(memory_neurons=MEMORY_NEURONS)
        if memory == "neural-direct":
            options["memory_kwargs"] = dict(loop="direct", min_coupling=0.05)
        lmu = LMU(
            THETA,
            ORDER,
            N_HIDDEN,
            size_out=1,
            neuron_type=nengo.LIF(),
            seed=seed,
            **options,
        )
        nengo.Connection(stim, lmu.input, synapse=None)
        target = nengo.Node(Delay(DELAY * THETA))
        nengo.Connection(stim, target, synapse=None)
        # nengo_loihi reads Nodes fed from the chip through a non-passthrough Node
        readout = nengo.Node(lambda t, x: x, size_in=1)
        nengo.Connection(lmu.output, readout, synapse=None)
        probes = dict(output=nengo.Probe(readout), target=nengo.Probe(target))

    n_steps = int(round(FIT_DURATION / DT))
    inputs = nengo.processes.WhiteSignal(FIT_DURATION, high=HIGH, rms=RMS).run_steps(
        n_steps, d=1, dt=DT, rng=np.random.RandomState(seed + 1)
    )[None]
    shift = int(round(DELAY * THETA / DT))
    targets = np.zeros_like(inputs)
    targets[:, shift:] = inputs[:, :-shift]
    lmu.fit(inputs, targets)
    settled = slice(int(round(2 * THETA / DT)), None)
    fitted = nrmse(lmu.predict(inputs)[0, settled], targets[0, settled]).item()
    return model, probes, fitted


def run(Simulator, memory, duration, seed, **kwargs):
    model, probes, fitted = build(memory, duration, seed)
    start = time.perf_counter()
    try:
        sim = Simulator(model, dt=DT, progress_bar=False, **kwargs)
    except nengo.exceptions.BuildError as error:
        return dict(error=str(error))
    with sim:
        built = time.perf_counter()
        sim.run(duration)
        ran = time.perf_counter()
    settled = slice(int(round(2 * THETA / DT)), None)
    output, target = (sim.data[probes[name]][settled, 0] for name in probes)
    return dict(
        nrmse=nrmse(output, target).item(),
        fit_nrmse=fitted,
        build_s=built - start,
        run_s=ran - built,
    )


def main(args):
    import nengo_loihi

    results = dict(
        seed=args.seed,
        duration=args.duration,
        network=dict(
            theta=THETA,
            order=ORDER,
            n_hidden=N_HIDDEN,
            memory_neurons=MEMORY_NEURONS,
            input_high=HIGH,
            input_rms=RMS,
            delay=DELAY,
            fit_duration=FIT_DURATION,
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
    for memory in args.memories:
        for name, (Simulator, kwargs) in simulators.items():
            if memory == "neural-state" and Simulator is nengo.Simulator:
                continue  # only to show that nengo_loihi refuses it
            result = run(Simulator, memory, args.duration, args.seed, **kwargs)
            results["runs"][f"{memory}, {name}"] = result
            if "error" in result:
                print(f"{memory:14} {name:22} {result['error']}", flush=True)
            else:
                print(
                    f"{memory:14} {name:22} NRMSE {result['nrmse']:.4f}  (fit "
                    f"{result['fit_nrmse']:.4f})  build {result['build_s']:.1f} s  "
                    f"run {result['run_s']:.1f} s",
                    flush=True,
                )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "loihi_lmu.json"
        path.write_text(json.dumps(results, indent=1))
        print(f"Wrote {path}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument(
        "--memories", nargs="+", choices=MEMORIES, default=list(MEMORIES)
    )
    args = parser.parse_args()
    # The shared decoder cache may hold files written under numpy 2.
    nengo.rc.set("decoder_cache", "enabled", "False")
    warnings.filterwarnings("ignore", "This version of `nengo_loihi`", UserWarning)
    main(args)
