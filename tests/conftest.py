"""Shared test configuration.

The Simulator, seed, rng, plt and allclose fixtures come from the nengo,
pytest-rng, pytest-plt and pytest-allclose plugins.
"""

import nengo

# Tests must not depend on (or contend for) the machine's shared decoder cache.
nengo.rc.set("decoder_cache", "enabled", "False")
