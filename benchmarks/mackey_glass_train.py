"""Mackey-Glass, 15 steps ahead, with a whole LMU trained by backprop (B6).

The task, data and metric are those of ``mackey_glass.py`` (its
`mackey_glass_task` and `nrmse`; by default 16 training and 4 test sequences of
2000 steps, one step per unit of time at dt = 1 ms). The network is an `LMU`
with an exact memory of order 6 over theta = 17 steps, ``RectifiedLinear``
hidden neurons scaled to activities of order 1 (``amplitude=1 / 400``) and
``input_to_hidden``. Its output weights are first solved by `LMU.fit`
(``LstsqL2(reg=1e-4)``), then `LMU.train` trains all its weights (mean squared
error, Adam, the last training sequence held out to keep the best epoch). The test
NRMSE is measured by simulating the test sequences in `nengo.Simulator`.
Published (benchmarks.md, B6): LSTM 5.87%, LMU 4.87%, hybrid 4.47%.

Prints the NRMSE and the training time; writes ``mackey_glass_train.json``.
From the repository root::

    python benchmarks/mackey_glass_train.py --out benchmarks/results
    python benchmarks/mackey_glass_train.py --quick --out /tmp  # a smoke test
"""

import argparse
import json
import os
import time
from pathlib import Path

import nengo

from mackey_glass import (  # pylint: disable=wrong-import-order
    mackey_glass_task,
    nrmse,
    simulate,
)
from nengo_lmu import LMU

DT = 0.001


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train", type=int, default=16, help="training sequences")
    parser.add_argument("--test", type=int, default=4, help="test sequences")
    parser.add_argument("--steps", type=int, default=2000, help="steps per sequence")
    parser.add_argument("--n-hidden", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test in seconds: 2 training and 1 test sequences of 300 steps, "
        "50 hidden units, 2 epochs (writes mackey_glass_train_quick.json)",
    )
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    if args.quick:
        args.train, args.test, args.steps, args.n_hidden = 2, 1, 300, 50
        args.epochs = 2
    epochs = args.epochs
    (train, train_targets), (test, test_targets) = mackey_glass_task(
        args.train, args.test, args.steps, seed=args.seed
    )
    lmu = LMU(
        theta=17 * DT,
        order=6,
        n_hidden=args.n_hidden,
        size_out=1,
        input_to_hidden=True,
        neuron_type=nengo.RectifiedLinear(amplitude=1 / 400),
        seed=args.seed,
        add_to_container=False,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    # start from the least-squares output weights (fit), then train everything
    lmu.fit(train, train_targets, solver=nengo.solvers.LstsqL2(reg=1e-4))
    fitted = nrmse(lmu.predict(test), test_targets)
    history = lmu.train(
        train,
        train_targets,
        epochs=epochs,
        batch_size=4,
        learning_rate=args.learning_rate,
        validation_split=1 / args.train,
        seed=args.seed,
    )
    train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    simulated, _ = simulate(lmu, test)
    result = {
        "nrmse (nengo, rate)": nrmse(simulated, test_targets),
        "nrmse (predict)": nrmse(lmu.predict(test), test_targets),
        "nrmse before training (fit, predict)": fitted,
        "train seconds (wall)": train_wall,
        "train seconds (cpu)": train_cpu,
        "cpus": len(os.sched_getaffinity(0)),
        "epochs": epochs,
        "best epoch": history["best_epoch"],
        "n_hidden": args.n_hidden,
        "val_loss": history["val_loss"],
    }
    print(
        f"\nMackey-Glass +15: NRMSE {100 * result['nrmse (nengo, rate)']:.2f}% in "
        f"nengo ({100 * result['nrmse (predict)']:.2f}% predict; "
        f"{100 * fitted:.2f}% fitted, before training); trained in "
        f"{train_wall:.0f} s wall, {train_cpu:.0f} s CPU on {result['cpus']} CPUs"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"mackey_glass_train{'_quick' if args.quick else ''}.json").write_text(
        json.dumps(result, indent=2)
    )


if __name__ == "__main__":
    main()
