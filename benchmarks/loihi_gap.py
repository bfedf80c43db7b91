"""What a spiking memory on the nengo_loihi emulator loses, dimension by dimension.

Runs one memory of ``benchmarks/loihi.py`` (``MEMORY``: an index into its
``MEMORIES``) for some seeds in each of the given variants, and prints its
whole-window NRMSE (as ``benchmarks/loihi.py`` measures it), the best over
delays of the output from -10 to 40 ms, and for each state dimension (Legendre
basis) the delay, gain and residual of the best fit ``output ~ gain * exact(t -
delay)`` (residual: rms of the rest over the dimension's rms). A gain or delay
off shows the loop's dynamics distorted; a residual above the reference
simulator's, at the right gain and delay, shows noise.

Variants (comma-separated):

- ``ref``: ``nengo.Simulator``, the memory as made for it (``lead="auto"``);
- ``emu``: the emulator, the memory prepared for Loihi and run with
  ``loihi_model`` (what ``benchmarks/loihi.py`` calls "emulator, prepared");
- ``emu-real``: the same with real-valued weights and decays
  (``target="simreal"``: no weight quantisation);
- ``emu-dn1``, ``emu-dn2``, ``emu-dn4``: the same with nengo_loihi's
  ``Preset10DecodeNeurons`` at 1, 2 or 4 times their rates
  (`nengo_lmu.loihi.loihi_decode_neurons`; 1: nengo_loihi's own);
- ``dtN``: prepared for a ``decode_tau`` of N ms;
- ``lagN``: prepared for a chip lag (``LoihiLead(chip_lag=...)``) of N ms;
- combinations joined with ``+``, such as ``dt10+lag13``.

Usage (nengo_loihi's environment, from the repository root)::

    python benchmarks/loihi_gap.py MEMORY SEEDS VARIANTS

for example ``python benchmarks/loihi_gap.py 1 0,1,2,3,4 ref,emu,emu-real``.
"""

import sys
import time
import warnings
from pathlib import Path

import nengo
import numpy as np

from nengo_lmu import legendre_readout, nrmse
from nengo_lmu import loihi

sys.path.insert(0, str(Path(__file__).parent))
from loihi import (  # noqa: E402
    DT,
    MEMORIES,
    MIN_COUPLING,
    memory_error,
    memory_network,
)

DELAYS = range(-10, 41, 2)  # steps


def options(variant, tau):
    if variant["kind"] == "ref":
        return dict(loop="direct", min_coupling=MIN_COUPLING, synapse=tau)
    decode_tau = variant.get("decode_tau")
    kwargs = loihi.loihi_memory_kwargs(
        min_coupling=MIN_COUPLING, synapse=tau, decode_tau=decode_tau
    )
    if "chip_lag" in variant:
        kwargs["lead"] = loihi.LoihiLead(
            decode_tau="auto" if decode_tau is None else decode_tau,
            chip_lag=variant["chip_lag"],
        )
    return kwargs


def run(variant, order, theta, tau, seed):
    import nengo_loihi
    from nengo_loihi.decode_neurons import Preset10DecodeNeurons

    model, memory, probes, duration = memory_network(
        order, theta, tau, seed, options(variant, tau)
    )
    start = time.process_time()
    if variant["kind"] == "ref":
        simulator = nengo.Simulator(model, dt=DT, progress_bar=False)
    else:
        chip_model = loihi.loihi_model(model, dt=DT)
        if variant.get("rate_factor") == 1:
            chip_model.decode_neurons = Preset10DecodeNeurons(dt=DT)
        elif "rate_factor" in variant:
            chip_model.decode_neurons = loihi.loihi_decode_neurons(
                variant["rate_factor"], dt=DT
            )
        simulator = nengo_loihi.Simulator(
            model,
            dt=DT,
            target=variant.get("target", "sim"),
            progress_bar=False,
            model=chip_model,
        )
    with simulator as sim:
        sim.run(duration)
    cpu = time.process_time() - start
    error, estimate, exact = memory_error(sim, probes, memory)
    window = legendre_readout(order, np.linspace(0, 1, 100))
    first = int(round(theta / DT))
    end = len(exact) - max(DELAYS)

    def shifted(delay):
        return estimate[first + delay : end + delay], exact[first:end]

    by_delay = {
        delay: nrmse(*((x @ window.T).ravel() for x in shifted(delay))).item()
        for delay in DELAYS
    }
    best = min(by_delay, key=by_delay.get)
    fits = []
    for i in range(order):
        candidates = []
        for delay in DELAYS:
            est, ex = (x[:, i] for x in shifted(delay))
            gain = est @ ex / (ex @ ex)
            residual = np.sqrt(np.mean((est - gain * ex) ** 2)) / np.std(ex)
            candidates.append((residual, delay, gain))
        fits.append(min(candidates))
    print(
        f"{variant['name']:8} seed {seed}  NRMSE {error:.4f}  best {by_delay[best]:.4f}"
        f" at {best} ms  cpu {cpu:.0f} s |"
        + "".join(f" [{d} ms g {g:.2f} r {r:.2f}]" for r, d, g in fits),
        flush=True,
    )
    return error


VARIANTS = {
    "ref": dict(kind="ref"),
    "emu": dict(kind="emu"),
    "emu-real": dict(kind="emu", target="simreal"),
    "emu-dn1": dict(kind="emu", rate_factor=1),
    "emu-dn2": dict(kind="emu", rate_factor=2.0),
    "emu-dn4": dict(kind="emu", rate_factor=4.0),
}


def variant(name):
    options = dict(name=name)
    for part in name.split("+"):
        if part.startswith("dt"):
            options.update(kind="emu", decode_tau=float(part[2:]) * 1e-3)
        elif part.startswith("lag"):
            options.update(kind="emu", chip_lag=float(part[3:]) * 1e-3)
        else:
            options.update(VARIANTS[part])
    return options


if __name__ == "__main__":
    nengo.rc.set("decoder_cache", "enabled", "False")
    warnings.filterwarnings("ignore")
    order, theta, tau = MEMORIES[int(sys.argv[1])]
    seeds = [int(seed) for seed in sys.argv[2].split(",")]
    for name in sys.argv[3].split(","):
        errors = [run(variant(name), order, theta, tau, seed) for seed in seeds]
        print(
            f"{name:8} order {order}, theta {theta:g} s, tau {tau:g} s: median "
            f"{np.median(errors):.4f} over seeds {seeds}",
            flush=True,
        )
