"""One bad file anywhere under runs/ leaves every page working."""

import json
import shutil

import pytest

from .helpers import open_page

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

PAGES = [
    "pages/train.py",
    "pages/interpolate.py",
    "pages/latent_space.py",
    "pages/anomaly.py",
    "pages/report.py",
]


@pytest.fixture
def spoiled():
    from ui.common import RUNS

    folder = RUNS / "20000101-000009-vae-spoiled"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("null")
    (folder / "events.jsonl").write_bytes(b'{"type": "start", "step": \x00\xff\n[1, 2]\n{"type"')
    (folder / "checkpoint.json").write_text("[" * 50_000 + "]" * 50_000)
    other = RUNS / "20000101-000010-dcgan-spoiled"
    other.mkdir()
    (other / "checkpoint.json").write_text(
        json.dumps({"format": "gen_core-checkpoint", "format_version": "2", "model": ["dcgan"]})
    )
    (other / "run.json").write_text(json.dumps({"model": "dcgan", "config": 7, "train": []}))
    yield
    shutil.rmtree(folder)
    shutil.rmtree(other)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_beside_a_malformed_run_and_sidecar(spoiled, page):
    at = open_page(page)
    assert not at.exception, at.exception


def test_the_home_page_lists_the_good_checkpoints_beside_bad_files(spoiled):
    from streamlit.testing.v1 import AppTest

    from .helpers import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert {"dcgan (shipped)", "vae (shipped)"} <= set(at.dataframe[0].value["checkpoint"])
