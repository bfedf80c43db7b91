"""Figures of the theory page, made from the library's pure math at build time.

``docs/conf.py`` calls `main` on every build (a few seconds; no simulator). Run it
by hand with ``python docs/theory_figures.py OUTDIR``.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nengo_lmu import (  # noqa: E402
    discretize,
    euler_max_dt,
    evaluate_memory,
    impulse_response,
    legendre_delay,
    legendre_readout,
)

DPI = 100


def legendre_basis(path, order=6):
    """The shifted Legendre polynomials that weight the state in the readout."""
    r = np.linspace(0, 1, 400)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(r, legendre_readout(order, r))
    ax.set(
        xlabel="relative delay r (u(t - r theta))",
        ylabel="$P_i(2r - 1)$",
        title=f"Readout weights of the coefficients $m_0 \\dots m_{order - 1}$",
    )
    ax.legend([f"$m_{i}$" for i in range(order)], ncol=3, fontsize="small")
    ax.axhline(0, color="0.8", lw=0.5, zorder=0)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def impulse_responses(path, theta=0.1, dt=0.001):
    """Impulse response of the state, and of the full-delay readout by order."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    n_steps = int(round(2.5 * theta / dt))
    t = np.arange(n_steps) * dt
    Ad, Bd = discretize(*legendre_delay(theta, 6), dt)
    H = impulse_response(Ad, Bd, n_steps)
    axes[0].plot(t, H / dt)
    axes[0].set(
        title="Impulse response of the state (order 6, theta = 0.1 s)",
        xlabel="time after the impulse (s)",
        ylabel="$m_i(t)$ per unit area",
    )
    axes[0].legend([f"$m_{i}$" for i in range(6)], ncol=3, fontsize="small")
    for order in (2, 4, 8, 16):
        Ad, Bd = discretize(*legendre_delay(theta, order), dt)
        H = impulse_response(Ad, Bd, n_steps)
        axes[1].plot(t, H @ legendre_readout(order, 1.0)[0] / dt, label=f"d = {order}")
    axes[1].axvline(theta, color="k", ls="--", lw=1, label="ideal delay")
    axes[1].set(
        title="Impulse response of the readout $u(t - \\theta)$",
        xlabel="time after the impulse (s)",
    )
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def window_reconstruction(path, theta=0.1, dt=0.001):
    """The window decoded from the state at one instant, for several orders."""
    rng = np.random.default_rng(3)
    n_steps = 1000
    t = np.arange(n_steps) * dt
    # A smooth test signal: a few sines up to 12 Hz.
    frequencies = np.array([2.0, 5.0, 8.0, 12.0])
    phases = rng.uniform(0, 2 * np.pi, len(frequencies))
    amplitudes = np.array([0.5, 0.4, 0.3, 0.2])
    u = np.sin(2 * np.pi * frequencies * t[:, None] + phases) @ amplitudes
    step = n_steps - 1
    r = np.linspace(0, 1, 200)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    past = np.arange(step - int(round(theta / dt)), step + 1)
    ax.plot(t[step] - t[past], u[past], color="0.6", lw=4, label="input window")
    for order in (3, 6, 12):
        Ad, Bd = discretize(*legendre_delay(theta, order), dt)
        m = evaluate_memory(u[:, None], Ad, Bd)[step]
        # Zero-order hold puts the end of the window half a step in the past.
        ax.plot(
            r * theta - dt / 2, legendre_readout(order, r) @ m, label=f"d = {order}"
        )
    ax.invert_xaxis()
    ax.set(
        title="The window decoded from the state at one instant",
        xlabel="time ago (s)",
        ylabel="u",
    )
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def euler_bound(path):
    """Smallest stable theta / dt under Euler, against the order."""
    orders = np.unique(np.geomspace(1, 256, 40).astype(int))
    bound = [1.0 / euler_max_dt(legendre_delay(1.0, d)[0]) for d in orders]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.loglog(orders, bound, "o-", ms=3, label="Euler stable above this")
    ax.loglog(orders, 4 * orders, "--", color="0.5", label='"theta > 4 order"')
    ax.set(
        xlabel="order d",
        ylabel="smallest stable theta / dt",
        title="Euler discretisation: the stability bound",
    )
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def frequency_response(path, theta=1.0):
    """Gain and phase error of the full-delay readout against exp(-theta s)."""
    f = np.linspace(0.01, 3, 400)
    s = 2j * np.pi * f
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for order in (3, 5, 6, 7, 10):
        A, B = legendre_delay(theta, order)
        C = legendre_readout(order, 1.0)
        G = np.array(
            [(C @ np.linalg.solve(x * np.eye(order) - A, B)).item() for x in s]
        )
        ax.semilogy(f * theta, np.abs(G - np.exp(-s * theta)), label=f"d = {order}")
    ax.set(
        xlabel="theta * frequency",
        ylabel="$|G(i\\omega) - e^{-i\\omega\\theta}|$",
        title="Error of the delay readout (Padé approximant)",
        ylim=(1e-8, 3),
    )
    ax.legend(fontsize="small", ncol=2)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


FIGURES = {
    "legendre_basis.png": legendre_basis,
    "impulse_responses.png": impulse_responses,
    "window_reconstruction.png": window_reconstruction,
    "euler_bound.png": euler_bound,
    "frequency_response.png": frequency_response,
}


def main(outdir):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    for name, make in FIGURES.items():
        make(outdir / name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "_generated")
