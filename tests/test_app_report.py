"""The Model report page through AppTest: measure on demand, keep the figures, say what fails."""

import pytest

from gen_core.checkpoints import load_checkpoint, save_checkpoint
from gen_core.data import DatasetInfo

from .helpers import ROOT, open_page

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

REPORT = "pages/report.py"


def figures(at) -> dict[str, float]:
    table = at.table[0].value
    return {row["figure"]: float(row["value"]) for _, row in table.iterrows()}


def pick(at, stem):
    at.sidebar.selectbox[0].set_value(str(stem)).run()
    return at


def test_measure_a_gan_once_and_see_it_again_without_waiting():
    at = pick(open_page(REPORT), ROOT / "checkpoints" / "dcgan")
    assert not at.table and at.button(key="measure")
    at.select_slider(key="r_n").set_value(250).run()
    at.button(key="measure").click().run()
    assert not at.exception
    shown = figures(at)
    assert 0 < shown["classifier FID"] < 400 and 1.5 < shown["class entropy (nats)"] <= 2.303
    assert any("report_classes" in c.proto.id for c in at.get("plotly_chart"))
    again = pick(open_page(REPORT), ROOT / "checkpoints" / "dcgan")
    again.select_slider(key="r_n").set_value(250).run()
    assert figures(again) == shown  # kept for every session, keyed by file version and settings
    assert "dcgan (shipped)" in set(again.dataframe[0].value["checkpoint"])


def test_a_vae_report_adds_its_test_likelihood():
    at = pick(open_page(REPORT), ROOT / "checkpoints" / "vae")
    at.select_slider(key="r_n").set_value(250)
    at.select_slider(key="r_k").set_value(10).run()
    at.button(key="measure").click().run()
    shown = figures(at)
    assert shown["test -log p(x), IW (nats)"] <= shown["test negative ELBO (nats)"]
    assert any("k = 10" in str(v) for v in at.table[0].value["what it means"])


def test_the_classifier_reports_its_recorded_accuracy():
    at = pick(open_page(REPORT), ROOT / "checkpoints" / "classifier")
    at.button(key="measure").click().run()
    recorded = load_checkpoint(ROOT / "checkpoints" / "classifier").info.train["test_accuracy"]
    assert figures(at)["test accuracy"] == pytest.approx(recorded, abs=1e-4)


def test_a_checkpoint_whose_data_is_missing_gets_a_message():
    from ui.common import RUNS

    shipped = load_checkpoint(ROOT / "checkpoints" / "vae")
    stem = RUNS / "20000101-000004-vae-fullmnist" / "checkpoint"
    save_checkpoint(
        stem, shipped.model, dataset=DatasetInfo.from_dict({"name": "mnist"})
    )  # full MNIST: not offline
    at = pick(open_page(REPORT), stem)
    at.button(key="measure").click().run()
    assert not at.exception and not at.table
    assert any("cannot be measured" in e.value and "MNIST" in e.value for e in at.error)


def test_measuring_all_leaves_no_button_offering_to_measure_more(tmp_path, monkeypatch):
    monkeypatch.setattr("ui.checkpoints.RUNS", tmp_path)  # the shipped ones: not every test's runs
    at = open_page(REPORT)
    at.select_slider(key="r_n").set_value(250)
    at.select_slider(key="r_k").set_value(10).run()
    at.button(key="measure_all").click().run(timeout=600)
    assert not at.exception
    assert not [b for b in at.button if b.key == "measure_all"]  # all tried: nothing offered
    measured = len(at.dataframe[0].value)
    failed = [w.value for w in at.warning if w.value.startswith("Could not be measured")]
    assert measured >= 4 and (not failed or "Pick one above to see why" in failed[0])
