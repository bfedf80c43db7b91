"""Time one training step of `LMU.train` in each form of the cell, psMNIST-sized.

The LMU has a single input channel, the exact memory of order 256 over a window of
784 steps (``dt`` 1 ms, ``theta`` 0.784 s), 212 ``RectifiedLinear`` hidden units
and 10 outputs; each batch holds random sequences of 784 steps and random one-hot
targets. One training step is `make_update`'s jitted step (forward pass, gradient,
Adam), the one `LMU.train` takes per minibatch, timed after compilation as the
median over ``--repeats`` steps, each waited for (``block_until_ready``).

Two kinds of targets:

- ``last``: targets at the last step only (classification). ``parallel`` is
  ``form="auto"``, which needs only the last memory state: one product of the
  inputs with the reversed impulse response;
- ``every``: targets at every step. ``parallel`` computes the memory of every step
  by FFT and the hidden layer for all steps at once.

``scan`` steps the whole cell with ``jax.lax.scan`` (``form="scan"``), as a cell
with feedback into its memory must be. The speed-up is the scan's time over the
parallel form's. Runs on JAX's default device (a GPU where JAX has one). Writes
``train_speed.json`` to ``--out``. From the repository root::

    python benchmarks/train_speed.py --out benchmarks/results
    python benchmarks/train_speed.py --quick --out /tmp  # a smoke test
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import nengo
import numpy as np
import optax

from nengo_lmu import LMU
from nengo_lmu.training import Cell, loss_function, make_update

DT = 0.001
N_CLASSES = 10


def time_form(lmu, form, targets_at, batch, n_steps, repeats, seed):
    """Compile time and median time per training step, in seconds."""
    cell = Cell(lmu, form="scan" if form == "scan" else "auto")
    last_step_only = targets_at == "last"
    optimizer = optax.adam(1e-3)
    update = make_update(cell, optimizer, loss_function("crossentropy"), last_step_only)
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((batch, n_steps, 1)).astype(np.float32)
    labels = rng.integers(N_CLASSES, size=batch if last_step_only else (batch, n_steps))
    targets = np.eye(N_CLASSES, dtype=np.float32)[labels]
    inputs, targets = jax.device_put(inputs), jax.device_put(targets)
    params = cell.params
    opt_state = optimizer.init(params)
    key = jax.random.PRNGKey(seed)

    start = time.perf_counter()
    params, opt_state, loss = update(params, opt_state, inputs, targets, key)
    loss.block_until_ready()
    compile_s = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        params, opt_state, loss = update(params, opt_state, inputs, targets, key)
        loss.block_until_ready()
        times.append(time.perf_counter() - start)
    if not np.isfinite(float(loss)):
        raise RuntimeError(f"{form}, {targets_at}: the loss is {float(loss)}")
    return compile_s, float(np.median(times))


def main(args):
    results = dict(
        device=str(jax.devices()[0]),
        device_kind=jax.devices()[0].device_kind,
        backend=jax.default_backend(),
        machine=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count(),
        versions=dict(jax=jax.__version__, nengo=nengo.__version__),
        order=args.order,
        n_hidden=args.hidden,
        n_steps=args.n_steps,
        repeats=args.repeats,
        rows=[],
    )
    lmu = LMU(
        theta=args.n_steps * DT,
        order=args.order,
        n_hidden=args.hidden,
        size_out=N_CLASSES,
        neuron_type=nengo.RectifiedLinear(),
        synapse=None,
        dt=DT,
        seed=0,
    )
    print(f"JAX on {results['device']}", flush=True)
    for targets_at in args.targets:
        for batch in args.batches:
            row = dict(targets=targets_at, batch=batch)
            for form in ("parallel", "scan"):
                compile_s, step_s = time_form(
                    lmu, form, targets_at, batch, args.n_steps, args.repeats, 0
                )
                row[f"{form}_s"], row[f"{form}_compile_s"] = step_s, compile_s
            row["speedup"] = row["scan_s"] / row["parallel_s"]
            results["rows"].append(row)
            print(
                f"targets at {targets_at:5} step(s), batch {batch:5}: parallel "
                f"{row['parallel_s'] * 1e3:8.2f} ms, scan {row['scan_s'] * 1e3:8.2f} "
                f"ms per training step: {row['speedup']:.1f}x",
                flush=True,
            )
    args.out.mkdir(parents=True, exist_ok=True)
    name = "train_speed" + ("_quick" if args.quick else "")
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / name}.json")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--order", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=212)
    parser.add_argument("--n-steps", type=int, default=784)
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1000])
    parser.add_argument(
        "--targets", nargs="+", default=["last", "every"], choices=["last", "every"]
    )
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.order, arguments.hidden, arguments.n_steps = 16, 20, 50
        arguments.batches, arguments.repeats = [8], 3
    main(arguments)
