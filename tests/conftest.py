import os
import tempfile
from pathlib import Path

import pytest
import torch

from gen_core.data import DatasetUnavailable, load_dataset
from gen_core.device import seed_everything

ROOT = Path(__file__).resolve().parent.parent
# The app's runs folder for this test session: set before any test imports ui.common.
os.environ["GEN_CORE_RUNS"] = tempfile.mkdtemp(prefix="gen_core_test_runs_")


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


def require_datasets() -> bool:
    """CI sets GEN_CORE_REQUIRE_DATASETS=1 so a missing system dataset fails instead of skipping."""
    return os.environ.get("GEN_CORE_REQUIRE_DATASETS") == "1"


def params_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def open_page(page: str, timeout: float = 120, **query: str):
    """AppTest of the real entry point (app.py), switched to ``page`` (e.g. "pages/train.py")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run()
