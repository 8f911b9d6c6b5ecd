"""Fixtures shared by every test; helpers to import live in tests/helpers.py."""

import os
import tempfile

import pytest

from gen_core.data import DatasetUnavailable, load_dataset
from gen_core.device import seed_everything

from .helpers import require_datasets

# The app's runs folder for this test session: set before any test imports ui.common.
os.environ["GEN_CORE_RUNS"] = tempfile.mkdtemp(prefix="gen_core_test_runs_")
# No spare run process behind the app's run manager or the browser tests' servers: each would
# import torch again whenever runs are idle; tests/test_runs.py makes one of its own.
os.environ["GEN_CORE_SPARE_PROCESS"] = "0"


@pytest.fixture(scope="session")
def mnist5k():
    return load_dataset("mnist-5k")


@pytest.fixture(autouse=True)
def _offline_and_seeded(monkeypatch):
    """No test reaches for the network, and each starts from the same RNG state."""
    monkeypatch.setenv("GEN_CORE_OFFLINE", "1")
    seed_everything(0)


@pytest.fixture(scope="session")
def fashion():
    """Debian's Fashion-MNIST; skipped where it is missing, unless CI requires it."""
    try:
        return load_dataset("fashion-mnist")
    except DatasetUnavailable:
        if require_datasets():
            raise
        pytest.skip("Debian package dataset-fashion-mnist not installed")
