"""Doctest collection: the examples that need the ``train`` extra (JAX, optax)
are skipped where it is not installed."""

import importlib.util

import pytest

HAS_TRAIN_EXTRA = all(
    importlib.util.find_spec(name) is not None for name in ("jax", "optax")
)

collect_ignore = [] if HAS_TRAIN_EXTRA else ["training.py"]


def pytest_collection_modifyitems(config, items):
    if HAS_TRAIN_EXTRA:
        return
    skip = pytest.mark.skip(
        reason="needs the train extra: pip install nengo-lmu[train]"
    )
    for item in items:
        if item.name.endswith("LMU.train"):
            item.add_marker(skip)
