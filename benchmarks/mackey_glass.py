"""Mackey-Glass, 15 steps ahead (benchmarks.md, B6; the LMU paper's task).

The series (`mackey_glass`) solves the delay differential equation

    dx/dt = 0.2 x(t - 17) / (1 + x(t - 17)**10) - 0.1 x(t)

by forward Euler with 10 sub-steps per unit of time, from a history of
``1.2 + 0.2 (U - 0.5)`` (U uniform on [0, 1), one draw per sub-step of the 17
time units before the start) and x(0) = 1.2. It keeps one value per unit of time
(the last sub-step's), drops the first 100 (washout) and returns tanh(x - 1).
Each sequence has its own random history. `mackey_glass_task` removes the mean
of the training sequences from all sequences and pairs x(t) (input) with
x(t + 15) (target).

The network is the issue's: an `LMU` with an exact memory of order 6 over
theta = 17 steps (one step per unit of time, ``dt`` = 1 ms), 1000
RectifiedLinear hidden neurons and ``input_to_hidden``. Its output weights are
solved by ``LMU.fit(train_inputs, train_targets)`` with no other arguments (the
regularisation chosen on held-out sequences), and the test NRMSE is measured by simulating the test sequences in
`nengo.Simulator` (``predict`` is checked against it). For reference, the same
run reports every fixed ``LstsqL2(reg)`` for reg in 1e-1 .. 1e-6 on the
constructor's hidden layer and on the data-drawn one, and ``fit`` with the
automatic regularisation on the hidden layer drawn from the data
(``init="data"``, ``fit-data``).

Spiking: SpikingRectifiedLinear neurons that fire ``SPIKE_SCALE`` times faster
than the rate network (its kernels and biases times that factor, spikes
``1 / SPIKE_SCALE`` as large, so the same mean activities), read through
``Lowpass(SPIKE_TAU)``; their output weights are solved by ``fit()`` on the
spiking network (which accounts for spike noise), and, for comparison, the rate
network's weights for the same synapse (no noise accounted for). Reports the test
NRMSE in nengo and the neurons' mean firing rate.

Prints a table; writes ``mackey_glass.json`` and ``mackey_glass.png``. From the
repository root::

    python benchmarks/mackey_glass.py --out benchmarks/results  # add --seeds 0 1 2 for medians
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib
import nengo
import numpy as np

from nengo_lmu import LMU

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DT = 0.001
TAU, SUBSTEPS, WASHOUT, AHEAD = 17, 10, 100, 15
ORDER, THETA_STEPS, N_HIDDEN = 6, 17, 1000
SPIKE_SCALE, SPIKE_TAU = 20, 0.005
FIXED_REGS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]


def mackey_glass(n_seqs, n_steps, tau=TAU, substeps=SUBSTEPS, washout=WASHOUT, seed=0):
    """Mackey-Glass sequences, tanh(x - 1), shape (n_seqs, n_steps).

    Forward Euler with ``substeps`` sub-steps per unit of time of
    ``dx/dt = 0.2 x(t - tau) / (1 + x(t - tau)**10) - 0.1 x(t)``, from a random
    history ``1.2 + 0.2 (U - 0.5)`` over the ``tau`` units before the start and
    ``x(0) = 1.2``; one value per unit of time after ``washout`` units.
    """
    rng = np.random.RandomState(seed)
    lag = tau * substeps
    total = (washout + n_steps) * substeps
    x = np.empty((n_seqs, lag + 1 + total))
    x[:, :lag] = 1.2 + 0.2 * (rng.uniform(size=(n_seqs, lag)) - 0.5)
    x[:, lag] = 1.2
    h = 1.0 / substeps
    for k in range(lag + 1, lag + 1 + total):
        delayed, previous = x[:, k - 1 - lag], x[:, k - 1]
        x[:, k] = previous + h * (0.2 * delayed / (1 + delayed**10) - 0.1 * previous)
    series = x[:, lag + substeps :: substeps][:, washout:]
    return np.tanh(series - 1)


def mackey_glass_task(n_train, n_test, n_steps, ahead=AHEAD, seed=0):
    """Inputs (n, n_steps, 1) and targets ``ahead`` steps later, for training
    and test sequences, centred on the training sequences' mean."""
    series = mackey_glass(n_train + n_test, n_steps + ahead, seed=seed)
    series = series - series[:n_train].mean()
    inputs, targets = series[:, :-ahead, None], series[:, ahead:, None]
    return (inputs[:n_train], targets[:n_train]), (inputs[n_train:], targets[n_train:])


def nrmse(outputs, targets):
    return float(np.sqrt(np.mean((outputs - targets) ** 2) / np.mean(targets**2)))


def simulate(lmu, sequences, spikes=False):
    """Probed outputs (n, n_steps, 1) of ``lmu`` in nengo, one sequence after
    the other (``sim.reset()`` between them), and the mean firing rate."""
    current = [sequences[0]]
    n_steps = sequences.shape[1]
    with nengo.Network() as model:
        model.add(lmu)
        stimulus = nengo.Node(lambda t: current[0][int(round(t / DT)) - 1])
        nengo.Connection(stimulus, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output, synapse=None)
        if spikes:
            spike_probe = nengo.Probe(lmu.hidden.neurons, synapse=None)
    outputs, rates = [], []
    with nengo.Simulator(model, dt=DT) as sim:
        for sequence in sequences:
            current[0] = sequence
            sim.reset()
            sim.run_steps(n_steps)
            outputs.append(sim.data[probe].copy())
            if spikes:
                amplitude = lmu.neuron_type.amplitude
                rates.append(np.mean(sim.data[spike_probe]) / amplitude)
    return np.array(outputs), (float(np.mean(rates)) if spikes else None)


def network(seed, **options):
    return LMU(
        theta=THETA_STEPS * DT,
        order=ORDER,
        n_hidden=N_HIDDEN,
        size_out=1,
        input_to_hidden=True,
        seed=seed,
        add_to_container=False,
        **{"neuron_type": nengo.RectifiedLinear(), **options},
    )


def run(seed, n_train, n_test, n_steps, spiking=True):
    (train, train_targets), (test, test_targets) = mackey_glass_task(
        n_train, n_test, n_steps, seed=seed
    )
    result = {}

    lmu = network(seed)
    start = time.perf_counter()
    info = lmu.fit(train, train_targets)
    result["fit_seconds"] = time.perf_counter() - start
    result["reg"] = info["reg"]
    result["held_out"] = {
        "regs": list(info["regs"]),
        "rmses": list(info["held_out_rmses"]),
    }
    result["train"] = nrmse(lmu.predict(train), train_targets)
    predicted = lmu.predict(test)
    simulated, _ = simulate(lmu, test)
    result["fit"] = nrmse(simulated, test_targets)
    result["fit-predict"] = nrmse(predicted, test_targets)
    result["predict_max_difference"] = float(np.max(np.abs(simulated - predicted)))
    example = {"target": test_targets[0, :400, 0].tolist()}
    example["fit"] = simulated[0, :400, 0].tolist()

    for init in (None, "data"):
        name = "constructor" if init is None else "data"
        fixed = {}
        for reg in FIXED_REGS:
            baseline = network(seed)
            if init == "data":
                baseline.fit(train, train_targets, init="data")
            start = time.perf_counter()
            baseline.fit(
                train, train_targets, solver=nengo.solvers.LstsqL2(reg=reg), init=None
            )
            if init is None and reg == 1e-4:
                result["fit_seconds_fixed"] = time.perf_counter() - start
            fixed[reg] = nrmse(baseline.predict(test), test_targets)
        result[f"fixed_{name}"] = {str(reg): value for reg, value in fixed.items()}
        result[f"best_fixed_{name}"] = min(fixed.values())
    drawn = network(seed)
    start = time.perf_counter()
    drawn.fit(train, train_targets, init="data")
    result["fit_seconds_data"] = time.perf_counter() - start
    result["fit-data"] = nrmse(drawn.predict(test), test_targets)

    if spiking:
        kernels = lmu.kernels
        for name in ("memory", "input", "bias"):
            kernels[name] = kernels[name] * SPIKE_SCALE
        spiking_lmu = network(
            seed,
            neuron_type=nengo.SpikingRectifiedLinear(amplitude=1 / SPIKE_SCALE),
            encoders=lmu.encoders,
            kernels=kernels,
            synapse=nengo.Lowpass(SPIKE_TAU),
        )
        spiking_info = spiking_lmu.fit(train, train_targets)
        result["spiking_reg"] = spiking_info["reg"]
        outputs, rate = simulate(spiking_lmu, test, spikes=True)
        result["fit-spiking"], result["spiking_rate_hz"] = (
            nrmse(outputs, test_targets),
            rate,
        )
        example["fit-spiking"] = outputs[0, :400, 0].tolist()
        # the rate network's weights for the same synapse, spike noise ignored
        rate_lmu = network(
            seed, encoders=lmu.encoders, kernels=lmu.kernels, synapse=SPIKE_TAU
        )
        rate_lmu.fit(train, train_targets)
        spiking_lmu.weight_connections["W_y"].transform = rate_lmu.kernels["output"]
        outputs, _ = simulate(spiking_lmu, test)
        result["spiking-rate-weights"] = nrmse(outputs, test_targets)
    result["example"] = example
    return result


def plot(results, path):
    first = results["runs"][0]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2))
    example = first["example"]
    steps = np.arange(len(example["target"]))
    ax0.plot(steps, example["target"], "k", lw=2, label="target x(t + 15)")
    ax0.plot(steps, example["fit"], label="fit (rate)")
    if "fit-spiking" in example:
        ax0.plot(steps, example["fit-spiking"], lw=0.8, label="fit (spiking)")
    ax0.set_xlabel("step")
    ax0.set_title("A test sequence, simulated in nengo", fontsize=9)
    ax0.legend(fontsize=7)
    held_out = first["held_out"]
    ax1.loglog(held_out["regs"], held_out["rmses"], "o-", ms=3, label="held-out rmse")
    ax1.axvline(first["reg"], color="k", ls="--", lw=0.8, label="chosen")
    ax1.set_xlabel("reg (LstsqL2)")
    ax1.set_title("fit's regularisation path", fontsize=9)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--train", type=int, default=16, help="training sequences")
    parser.add_argument("--test", type=int, default=4, help="test sequences")
    parser.add_argument("--steps", type=int, default=2000, help="steps per sequence")
    parser.add_argument("--skip-spiking", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()

    runs = []
    for seed in args.seeds:
        result = run(seed, args.train, args.test, args.steps, not args.skip_spiking)
        runs.append(result)
        print(
            f"seed {seed}:",
            json.dumps(
                {
                    key: value
                    for key, value in result.items()
                    if key not in ("example", "held_out")
                },
                indent=1,
            ),
            flush=True,
        )
    keys = [
        "fit",
        "fit-predict",
        "train",
        "best_fixed_data",
        "fit-data",
        "best_fixed_constructor",
        "fit-spiking",
        "spiking-rate-weights",
        "spiking_rate_hz",
    ]
    medians = {
        key: float(np.median([run[key] for run in runs]))
        for key in keys
        if key in runs[0]
    }
    print("median over seeds", args.seeds)
    for key, value in medians.items():
        print(f"  {key:24s} {value:.4f}")
    results = dict(
        seeds=args.seeds,
        train=args.train,
        test=args.test,
        steps=args.steps,
        medians=medians,
        runs=runs,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mackey_glass.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / "mackey_glass.png")


if __name__ == "__main__":
    main()
