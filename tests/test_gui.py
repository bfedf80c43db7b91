"""The Nengo GUI demos in examples/gui: headless runs, nengo_gui pages, the server."""

import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nengo
import numpy as np
import pytest

GUI_DIR = Path(__file__).resolve().parent.parent / "examples" / "gui"
DEMOS = sorted(GUI_DIR.glob("*.py"))
DEMO_IDS = [path.stem for path in DEMOS]

# nengo_gui warns on import when jedi (used only for autocompletion in its code
# editor) is not installed; nothing the demos or these tests depend on.
NO_JEDI_WARNING = pytest.mark.filterwarnings(
    "ignore:Install the jedi module to get autocompletion:UserWarning"
)


def test_demos_exist():
    assert len(DEMOS) >= 3
    for path in DEMOS:
        assert Path(f"{path}.cfg").is_file(), f"{path.name} has no layout file"
        header = path.read_text().splitlines()[0]
        assert header.startswith("# "), f"{path.name} has no comment header"


@pytest.mark.parametrize("path", DEMOS, ids=DEMO_IDS)
def test_demo_runs(Simulator, path):
    namespace = runpy.run_path(str(path))
    model = namespace["model"]
    assert isinstance(model, nengo.Network)
    with model:
        probes = [nengo.Probe(node) for node in model.nodes if node.size_out > 0]
    with Simulator(model) as sim:
        sim.run(1.0)
    for probe in probes:
        assert np.all(np.isfinite(sim.data[probe])), probe


def component_lines(cfg):
    """The components a nengo_gui .cfg file creates: {uid: constructor call}."""
    return dict(
        re.findall(r"^(_viz_\w+) = (nengo_gui\.components\.\w+\(.*\))$", cfg, re.M)
    )


@NO_JEDI_WARNING
@pytest.mark.parametrize("path", DEMOS, ids=DEMO_IDS)
def test_gui_page(path, monkeypatch):
    """Loads a demo as nengo_gui does, with its layout, then builds and runs it."""
    pytest.importorskip("nengo_gui")
    import nengo_gui.page
    from nengo_gui.guibackend import ModelContext

    class Server:
        """What a nengo_gui Page needs from the server."""

        def __init__(self, filename):
            self.model_context = ModelContext(filename=filename)
            self.component_uids = {}

        def remove_page(self, page):
            pass

    cfg = Path(f"{path}.cfg").read_text()
    monkeypatch.chdir(path.parent)
    settings = nengo_gui.page.PageSettings(editor_class=nengo_gui.components.NoEditor)
    page = nengo_gui.page.Page(Server(path.name), path.name, settings)
    try:
        # Errors in the script, and simulators it tried to run, end up here
        assert page.error is None, page.error["trace"]
        assert page.stdout == ""
        # Lines of the .cfg that fail are skipped silently: all must have loaded
        loaded = {c.uid for c in page.components}
        assert set(component_lines(cfg)) <= loaded

        page.build()
        assert page.error is None, page.error["trace"]
        sim_control = page.get_component(nengo_gui.components.SimControl)
        sim_control.paused = False
        deadline = time.monotonic() + 30
        while page.sim.time < 0.2 and page.error is None:
            assert time.monotonic() < deadline, "the simulation does not run"
            time.sleep(0.05)
        assert page.error is None, page.error["trace"]
    finally:
        page.sim = None  # lets the runner thread finish its step, then stops it
        page.finished = True
    assert Path(f"{path}.cfg").read_text() == cfg


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    """Terminate a server started in its own session, and its children."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX sessions")
def test_gui_server(tmp_path):
    """`nengo --no-browser` serves a demo page on 127.0.0.1."""
    pytest.importorskip("nengo_gui")
    nengo_script = Path(sys.executable).parent / "nengo"
    if not nengo_script.exists():
        pytest.skip(f"no nengo script beside {sys.executable}")
    # The server may rewrite the layout file: run it on a copy
    demo = tmp_path / "delay_learning.py"
    for name in [demo.name, f"{demo.name}.cfg"]:
        shutil.copy(GUI_DIR / name, tmp_path / name)

    port = free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(nengo_script), "--no-browser", "--port", str(port), demo.name],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        match = None
        while match is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            match = re.search(
                rf"http://localhost:{port}/(\?token=\w+)", log.read_text()
            )
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/{match.group(1)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
        assert "Nengo" in page
        assert "delay_learning.py" in page
        # the plots of the layout file are on the page
        assert page.count("new Nengo.Value(") == 6
        assert "new Nengo.Slider(" in page
        assert "new Nengo.Raster(" in page
    finally:
        stop(process)
