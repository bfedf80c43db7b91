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


MAX_CODE_STEP = 60  # lines of code between two text cells


def gallery_cells(source):
    """The text cells of a sphinx-gallery script: (prose, code after it)."""
    body = re.sub(r'\A\s*""".*?"""\n', "", source, count=1, flags=re.S)
    first, *rest = re.split(r"^# %%.*\n", body, flags=re.M)
    cells = [("", first)]
    for cell in rest:
        lines = cell.splitlines()
        n_text = next(
            (i for i, line in enumerate(lines) if line[:1] != "#"), len(lines)
        )
        text = [line.lstrip("# ") for line in lines[:n_text]]
        prose = " ".join(line for line in text if not re.fullmatch(r"[-=~^]*", line))
        cells.append((prose, "\n".join(lines[n_text:])))
    return cells


def code_lines(code):
    return [line for line in code.splitlines() if line.strip() and line[:1] != "#"]


def check_reads_as_tutorial(source):
    assert "argparse" not in source and "sys.argv" not in source
    assert "# noqa" not in source
    cells = gallery_cells(source)
    assert len(cells) >= 4, "fewer than three sphinx-gallery text cells"
    for prose, code in cells[1:]:
        assert len(prose.split()) >= 8, f"a text cell with no prose: {prose!r}"
    for prose, code in cells:
        n_lines = len(code_lines(code))
        assert (
            n_lines <= MAX_CODE_STEP
        ), f"{n_lines} lines of code with no text cell, after {prose[:60]!r}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples").glob("*.py")), ids=lambda path: path.stem
)
def test_examples_read_as_tutorials(path):
    """Gallery scripts: text cells of prose between short code steps, not
    command-line programs or one block of code."""
    check_reads_as_tutorial(path.read_text())


def test_tutorial_check_rejects_one_block_of_code():
    functions = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(30))
    one_block = f'"""Title\n=====\n\nIntro.\n"""\n\n{functions}'
    one_block += "# %%\n# Run it: the script prints its results here.\n\nf0(1)\n"
    with pytest.raises(AssertionError, match="text cells"):
        check_reads_as_tutorial(one_block)
    cells = "".join(
        f"# %%\n# Step {i}\n# -------\n# Some prose about the step number {i}.\n\n"
        f"def f{i}(x):\n    return x + {i}\n\n\n"
        for i in range(4)
    )
    check_reads_as_tutorial(f'"""Title\n=====\n"""\n\n{cells}')
    with pytest.raises(AssertionError, match="no prose"):
        check_reads_as_tutorial(cells.replace("# Some prose", "#"))
    with pytest.raises(AssertionError, match="lines of code"):
        check_reads_as_tutorial(f'"""Title\n"""\n\n{cells}{functions}')
