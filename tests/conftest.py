"""Shared test configuration; the Simulator, seed, rng, plt and allclose fixtures
come from the nengo, pytest-rng, pytest-plt and pytest-allclose plugins."""
