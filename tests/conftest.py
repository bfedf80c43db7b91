"""Shared test configuration.

The Simulator, seed, rng, plt and allclose fixtures come from the nengo,
pytest-rng, pytest-plt and pytest-allclose plugins.

Other backends run the suite with ``-o nengo_simulator=nengo_ocl.Simulator``
(the module path of their Simulator class). Then only the tests that use the
``Simulator`` fixture run (as nengo's plugin does for nengo's own tests), and a test
marked ``@pytest.mark.unsupported_on("nengo_ocl", reason=...)`` is skipped with
that reason.
"""

import gc
import importlib
import os

import nengo
import numpy as np
import pytest

# Tests must not depend on (or contend for) the machine's shared decoder cache.
nengo.rc.set("decoder_cache", "enabled", "False")

REFERENCE = "nengo.Simulator"
# Files (as in node ids) in which at least one test ran, for --require-run.
FILES_RUN = set()


def simulator_path(config):
    """Module path of the simulator under test (or of the loader that gives it)."""
    return config.getini("nengo_simloader") or config.getini("nengo_simulator")


def runs_on(path, backend):
    """Whether the simulator at ``path`` belongs to the package ``backend``."""
    return path == backend or path.startswith(f"{backend}.")


def pytest_addoption(parser):
    parser.addoption(
        "--require-run",
        action="append",
        default=[],
        metavar="PATH",
        help="fail unless at least one test whose file path ends with PATH ran "
        "(passed or failed) rather than being skipped or deselected: for CI, where "
        "a backend whose import broke would otherwise skip all its tests. Repeatable.",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "unsupported_on(backend, reason): skip the test when the simulator under "
        "test is in the package `backend` (such as 'nengo_ocl'), giving the reason",
    )


def pytest_report_header(config):
    path = simulator_path(config)
    if path != REFERENCE:
        return (
            f"simulator: {path} (only tests using the Simulator fixture are "
            "selected)"
        )
    return None


def pytest_collection_modifyitems(config, items):
    path = simulator_path(config)
    if path == REFERENCE:
        return
    selected, deselected = [], []
    for item in items:
        uses_simulator = "Simulator" in getattr(item, "fixturenames", ())
        (selected if uses_simulator else deselected).append(item)
        for marker in item.iter_markers("unsupported_on"):
            (backend,) = marker.args
            if runs_on(path, backend):
                reason = marker.kwargs["reason"]
                item.add_marker(pytest.mark.skip(reason=f"{backend}: {reason}"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_runtest_logreport(report):
    if report.when == "call" and not report.skipped:
        FILES_RUN.add(report.nodeid.split("::")[0])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    required = session.config.getoption("--require-run")
    missing = [
        path for path in required if not any(f.endswith(path) for f in FILES_RUN)
    ]
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (
            f"--require-run: no test ran in {', '.join(missing)} (all skipped, "
            "deselected or not collected); see the skip reasons (-rs)"
        )
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class StepSequence(nengo.Process):
    """Outputs row ``k`` of ``rows`` at simulation step ``k`` (counted, unlike
    ``PresentInput``, which computes the row from ``t`` and skips rows when ``t``
    is rounded to float32, as on nengo_ocl)."""

    def __init__(self, rows):
        self.rows = np.asarray(rows, dtype=float)
        super().__init__(default_size_in=0, default_size_out=self.rows.shape[1])

    def make_step(self, shape_in, shape_out, dt, rng, state):
        rows, step = self.rows, [0]

        def output(t):
            row = rows[min(step[0], len(rows) - 1)]
            step[0] += 1
            return row

        return output


@pytest.fixture(autouse=True)
def fresh_library_caches():
    """Under mutmut, empty the library's caches before each test.

    mutmut runs each mutant's tests in a process forked from one that has already
    run the unmutated code, whose memoised results (realisations, discretisations,
    process samples, calibrations) would otherwise hide a mutant of the code that
    computes them.
    """
    if "MUTANT_UNDER_TEST" in os.environ:
        # The package's namespace holds functions named like these modules.
        modules = ("calibration", "discretize", "realize")
        calibration, discretize, realize = (
            importlib.import_module(f"nengo_lmu.{name}") for name in modules
        )
        realize.clear_cache()
        calibration.clear_cache()
        discretize._cached_legendre_discretization.cache_clear()


@pytest.fixture
def present_sequence(Simulator):
    """Simulate a network for one input sequence, one row per time step.

    Returns a function ``(network, inputs) -> outputs`` that presents ``inputs``
    (n_steps, size_in) to ``network.input`` with ``synapse=None`` and returns what
    a probe on ``network.output`` records, at the network's ``dt``.
    """

    def present(network, inputs):
        with nengo.Network() as model:
            model.add(network)
            stimulus = nengo.Node(StepSequence(inputs))
            nengo.Connection(stimulus, network.input, synapse=None)
            probe = nengo.Probe(network.output, synapse=None)
        with Simulator(model, dt=network.dt, progress_bar=False) as sim:
            sim.run_steps(len(inputs))
        return sim.data[probe]

    return present


@pytest.fixture
def half_built_simulators():
    """Collects, before the test ends, simulators whose build was refused.

    nengo_ocl warns (ResourceWarning) when a simulator that failed to build is
    deallocated; collected here, that happens under the test's warning filters
    rather than in whichever test runs next.
    """
    yield
    gc.collect()
