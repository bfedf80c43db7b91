"""Which part of Loihi distorts a spiking memory's loop: small emulator runs.

One memory (``theta order tau duration``: 100 LIF neurons per dimension, max
rates 100 to 120 Hz, ``loop="direct"``, ``min_coupling=0.05``, white noise
band-limited to 1 / theta Hz, rms 0.5) runs in each of the variants given as
``simulator:neuron:lead:wiring`` (comma-separated):

- simulator: ``ref`` (nengo.Simulator), ``sim`` (the nengo_loihi emulator) or
  ``simreal`` (the emulator with real-valued weights and decays, no
  quantisation);
- neuron: ``lif`` (nengo.LIF) or ``loihilif`` (nengo_loihi's LoihiLIF, which
  nengo.Simulator can run too);
- lead: ``auto`` (calibrated on the memory's neurons), ``none``, or a lead in ms
  to correct;
- wiring: ``plain`` (the memory as built), or ``loihi``: the loop mapped exactly
  for the second-order loop read from nengo_loihi's builder (the synapse, then
  ``Lowpass(decode_tau)`` one step later, then ``extra`` more steps, with the
  neurons' lead of ``lead_ms`` as a zero), and the input filtered on the host so
  that the chip's filter completes it.

Printed: the whole-window NRMSE against the exact memory one step late, and the
best over delays of the output from -10 to 39 ms, with that delay. The figures
in docs/backend_loihi.rst come from, for example (nengo_loihi's environment):

    python benchmarks/loihi_diagnose.py 0.5 4 0.05 4 0 \\
        ref:lif:auto:plain,ref:lif:none:plain,ref:loihilif:none:plain,\\
        ref:loihilif:auto:plain,sim:lif:none:plain,simreal:lif:none:plain,\\
        sim:lif:4.5:plain,sim:lif:-2:plain,sim:lif:-3:plain,sim:lif:-4:plain
    python benchmarks/loihi_diagnose.py 0.5 4 0.05 4 0 sim:lif:none:loihi 0 4.4

Usage: ``python benchmarks/loihi_diagnose.py THETA ORDER TAU DURATION SEEDS
VARIANTS [EXTRA [LEAD_MS]]`` (SEEDS comma-separated).

Measured (seed 0, theta 0.5 s, order 4, tau 0.05 s, 4 s): the ``loihi`` wiring
with the neurons' 4.4 ms lead and no extra steps gave 0.230 (0.225 at 8 ms):
worse than the first-order lead correction of the plain wiring (0.132 at a net
lead of -4 ms), so the library uses the latter (`nengo_lmu.loihi.LoihiLead`).
"""

import sys, time, warnings
import numpy as np
import nengo

warnings.filterwarnings("ignore")
import nengo_loihi
from nengo_loihi.neurons import LoihiLIF

nengo.rc.set("decoder_cache", "enabled", "False")
from nengo_lmu import LegendreMemory, legendre_readout, nrmse, evaluate_memory
from nengo_lmu.discretize import synapse_mapping, discretize

DT = 0.001
# the loihi wiring maps loops of order 3 and more, which synapse_mapping's
# validation refuses for users (its mathematics holds for any order)
sys.modules["nengo_lmu.discretize"].MAX_SYNAPSE_ORDER = 6

EXTRA = 0
LEADMS = 0.0


def loihi_loop(tau, decode_tau, dt=DT, with_lead=True):
    a, ad = np.exp(-dt / tau), np.exp(-dt / decode_tau)
    den = np.polymul(np.polymul([1, -a], [1, -ad]), [1] + [0] * EXTRA)
    num = np.array([(1 - a) * (1 - ad)])
    if with_lead and LEADMS:
        c = LEADMS * 1e-3 / dt
        num = np.polymul(num, [1 + c, -c])
        den = np.polymul(den, [1, 0])
    return nengo.LinearFilter(num, den, analog=False)


def rewire(memory, tau, decode_tau):
    """Replace the direct-loop memory's connections with a mapping for Loihi."""
    Ad, Bd = discretize(memory.T_inv @ memory.A @ memory.T, memory.T_inv @ memory.B, DT)
    loop = loihi_loop(tau, decode_tau)
    mapping = synapse_mapping(Ad, Bd, loop, DT)
    rec = mapping.recurrent_transform.copy()
    weak = (np.abs(rec) < memory.min_coupling) & (rec != 0)
    rec[weak] = 0
    ad = np.exp(-DT / decode_tau)
    del memory.connections[:]
    ens = memory.ensembles
    readout = loihi_loop(tau, decode_tau, with_lead=False)
    with memory:
        for j, (transform, syn) in enumerate(
            zip(mapping.input_transforms, mapping.input_synapses)
        ):
            nengo.Connection(
                memory.input, memory.state, transform=transform, synapse=syn
            )
            # syn = z^j / D(z); chip applies (1 - ad) / (z - ad) z^-EXTRA
            den = np.asarray(syn.den, dtype=float)
            rest, remainder = np.polydiv(den, np.polymul([1, -ad], [1] + [0] * EXTRA))
            hnum = np.asarray(syn.num, dtype=float) / (1 - ad)
            while len(hnum) > 1 and hnum[-1] == 0 and rest[-1] == 0:
                hnum, rest = hnum[:-1], rest[:-1]
            while len(hnum) > len(rest):
                rest = np.append(rest, 0.0)  # a step late rather than noncausal
            host = nengo.LinearFilter(hnum, rest, analog=False)
            for i, e in enumerate(ens):
                nengo.Connection(
                    memory.input, e, transform=transform[[i]], synapse=host
                )
        for j, e in enumerate(ens):
            nengo.Connection(e, memory.state, transform=rec[:, [j]], synapse=readout)
            for i, t in enumerate(ens):
                if rec[i, j] != 0:
                    nengo.Connection(e, t, transform=rec[i, j], synapse=tau)
        nengo.Connection(memory.state, memory.output, transform=memory.T, synapse=None)


def run(
    sim,
    neuron,
    lead,
    theta,
    order,
    tau,
    seed,
    duration,
    wiring="plain",
    decode_tau=0.005,
):
    with nengo.Network(seed=seed) as model:
        model.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        stim = nengo.Node(
            nengo.processes.WhiteSignal(duration, high=1 / theta, rms=0.5, seed=seed)
        )
        nt = {"lif": nengo.LIF(), "loihilif": LoihiLIF()}[neuron]
        mem = LegendreMemory(
            theta,
            order,
            n_neurons=100,
            neuron_type=nt,
            synapse=tau,
            loop="direct",
            min_coupling=0.05,
            lead=lead,
        )
        nengo.Connection(stim, mem.input, synapse=None)
        if wiring == "loihi":
            rewire(mem, tau, decode_tau)
        out = nengo.Node(lambda t, x: x, size_in=order)
        nengo.Connection(mem.output, out, synapse=None)
        p_out = nengo.Probe(out)
        p_in = nengo.Probe(stim)
    t0 = time.process_time()
    if sim == "ref":
        S = nengo.Simulator(model, dt=DT, progress_bar=False)
    else:
        S = nengo_loihi.Simulator(model, dt=DT, target=sim, progress_bar=False)
    with S:
        S.run(duration)
    u = S.data[p_in]
    exact = evaluate_memory(u, mem.Ad, mem.Bd)
    W = legendre_readout(order, np.linspace(0, 1, 100))
    skip = int(theta / DT)
    est = S.data[p_out]
    errs = {}
    for lag in range(-10, 40):
        e = est[skip + lag : len(est) - 40 + lag] @ W.T
        x = exact[skip : len(exact) - 40] @ W.T
        errs[lag] = nrmse(e.ravel(), x.ravel()).item()
    best = min(errs, key=errs.get)
    print(
        "  by delay (ms):",
        " ".join(f"{k}:{v:.3f}" for k, v in errs.items() if k % 5 == 0),
    )
    lag1 = errs[1]
    return lag1, best, errs[best], time.process_time() - t0, mem


if __name__ == "__main__":
    EXTRA = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    LEADMS = float(sys.argv[8]) if len(sys.argv) > 8 else 0.0
    theta, order, tau, dur = (
        float(sys.argv[1]),
        int(sys.argv[2]),
        float(sys.argv[3]),
        float(sys.argv[4]),
    )
    seeds = [int(s) for s in sys.argv[5].split(",")]
    variants = [v.split(":") for v in sys.argv[6].split(",")]
    for sim, neuron, lead, wiring in variants:
        for seed in seeds:
            r = run(
                sim,
                neuron,
                (
                    None
                    if lead == "none"
                    else ("auto" if lead == "auto" else float(lead) * 1e-3)
                ),
                theta,
                order,
                tau,
                seed,
                dur,
                wiring,
            )
            m = r[4]
            print(
                f"theta={theta} order={order} tau={tau} seed={seed} {sim:7} {neuron:8} lead={lead:4} wiring={wiring:5} "
                f"extra={EXTRA} nrmse(lag1)={r[0]:.3f} best lag={r[1]} ({r[2]:.3f}) cpu={r[3]:.0f}s lead={None if m.lead is None else np.round(m.lead*1e3,2)} measured={None if m.lead_calibration is None else np.round(m.lead_calibration.measured*1e3,2)}",
                flush=True,
            )
