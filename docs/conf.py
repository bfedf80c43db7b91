"""Sphinx configuration of the nengo-lmu documentation.

Build from the repository root with warnings as errors::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

Everything the pages show is made at build time, offline: the theory figures
(``theory_figures.py``), the examples gallery (``examples/*.py``, executed by
sphinx-gallery), the benchmark tables and plots (read from
``benchmarks/results/`` if present; the benchmarks themselves are never run here)
and the API reference, which must list every name in ``nengo_lmu.__all__``.
"""

import logging
import re
import shutil
import sys
from pathlib import Path

from sphinx.errors import ExtensionError

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
GALLERY_SOURCE = DOCS / "_gallery_source"
sys.path.insert(0, str(DOCS))

import benchmark_pages  # noqa: E402
import theory_figures  # noqa: E402

import nengo_lmu  # noqa: E402

# The examples run inside sphinx-build; keep nengo's progress messages out of
# the build log.
logging.getLogger("nengo").setLevel(logging.WARNING)

project = "nengo-lmu"
author = "the nengo-lmu authors"
copyright = "nengo-lmu authors; GPL-2.0-or-later"
release = nengo_lmu.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Ships MathJax 3 and points mathjax_path at the copy in _static: no CDN.
    "sphinx-mathjax-offline",
]

exclude_patterns = [
    "_build",
    "_gallery_source",
    "gallery_header.rst",
    "_generated/*.rst",
    "Thumbs.db",
    ".DS_Store",
]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["custom.css"]
default_role = "py:obj"
nitpicky = False

# Furo uses the system font stacks and its own bundled CSS and JS: nothing is
# loaded from the web.
html_theme = "furo"
html_title = f"nengo-lmu {release}"
html_favicon = "_static/favicon.svg"
html_theme_options = {"navigation_with_keys": True}

autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

mathjax3_config = {"chtml": {"displayAlign": "center"}}

# The examples are executed from a staged copy, so that the gallery header lives
# in docs/ rather than in examples/.
sphinx_gallery_conf = {
    "examples_dirs": str(GALLERY_SOURCE),
    "gallery_dirs": "examples",
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "show_signature": False,
    # The names used in the examples link to the API reference: sphinx-gallery
    # resolves them from the documentation being built (offline).
}


def with_gallery_title(source):
    """The script with its docstring's first line underlined as a reST title.

    sphinx-gallery takes the page title from the docstring; a script whose
    docstring starts with a plain summary line (PEP 257 style) gets an underline
    in the staged copy, so it still has a title in the gallery.
    """
    match = re.match(
        r'(\s*[rRuU]?"""|\s*[rRuU]?\'\'\')([^\n]+)\n(?!\s*[=\-~^*#]{3,})', source
    )
    if match is None:
        return source
    title = match.group(2).strip()
    return source[: match.end(2)] + "\n" + "=" * len(title) + source[match.end(2) :]


def stage_gallery():
    """Copy ``examples/*.py`` and the gallery header into ``_gallery_source``."""
    GALLERY_SOURCE.mkdir(exist_ok=True)
    wanted = {"GALLERY_HEADER.rst"}
    shutil.copy2(DOCS / "gallery_header.rst", GALLERY_SOURCE / "GALLERY_HEADER.rst")
    for script in sorted((ROOT / "examples").glob("*.py")):
        wanted.add(script.name)
        target = GALLERY_SOURCE / script.name
        source = with_gallery_title(script.read_text())
        if not target.exists() or target.read_text() != source:
            target.write_text(source)
    for stale in GALLERY_SOURCE.iterdir():
        if stale.is_file() and stale.suffix in (".py", ".rst"):
            if stale.name not in wanted:
                stale.unlink()


def check_api_page():
    """Fail the build unless api.rst documents every name in ``__all__``."""
    text = (DOCS / "api.rst").read_text()
    documented = set(
        re.findall(
            r"^\.\. auto(?!module)\w+:: nengo_lmu\.(\w+)\s*$", text, flags=re.MULTILINE
        )
    )
    missing = sorted(set(nengo_lmu.__all__) - documented)
    if missing:
        raise ExtensionError(
            "docs/api.rst has no autodoc entry for these names in "
            f"nengo_lmu.__all__: {', '.join(missing)}"
        )
    extra = sorted(documented - set(nengo_lmu.__all__))
    if extra:
        raise ExtensionError(
            f"docs/api.rst documents names not in nengo_lmu.__all__: {extra}"
        )


def generate(app, config):
    check_api_page()
    GENERATED.mkdir(exist_ok=True)
    theory_figures.main(GENERATED)
    benchmark_pages.main(ROOT / "benchmarks" / "results", GENERATED)
    stage_gallery()


def setup(app):
    # Before sphinx-gallery's own builder-inited handler, which reads the staged
    # examples.
    app.connect("config-inited", generate, priority=100)
