"""The README's Python snippets run as written, and show their result."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path):
    """The ``.. code-block:: python`` blocks of a reST file, dedented."""
    text = path.read_text()
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text, re.M)
    return ["\n".join(line[3:] for line in block.splitlines()) for block in blocks]


README_BLOCKS = python_blocks(ROOT / "README.rst")


def test_readme_and_docs_index_show_the_same_first_example():
    index_blocks = python_blocks(ROOT / "docs" / "index.rst")
    assert README_BLOCKS and index_blocks
    assert index_blocks[0].strip() == README_BLOCKS[0].strip()


@pytest.mark.slow
@pytest.mark.parametrize("block", README_BLOCKS, ids=range(len(README_BLOCKS)))
def test_readme_snippet_runs_and_prints(block, monkeypatch, tmp_path):
    """Each snippet runs on its own (no names from another) and prints a result."""
    monkeypatch.chdir(tmp_path)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(block, "README.rst", "exec"), {"__name__": "__readme__"})
    printed = [line for line in stdout.getvalue().splitlines() if "NRMSE" in line]
    assert printed, f"the snippet prints no result:\n{block}"
    for line in printed:
        error = float(re.search(r"NRMSE ([0-9.]+)", line).group(1))
        assert error < 0.05, line  # what the text around the snippets says


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples").glob("*.py")), ids=lambda path: path.stem
)
def test_examples_read_as_tutorials(path):
    """Gallery scripts: text cells between code, not command-line programs."""
    source = path.read_text()
    assert "argparse" not in source and "sys.argv" not in source
    assert "# noqa" not in source
    assert source.count("\n# %%\n") >= 1, "no sphinx-gallery text cell"
