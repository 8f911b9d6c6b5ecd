"""AppTest of a model trained on Fashion-MNIST: every page shows it clothes, not digits."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.data import DatasetInfo

from .helpers import component_data, fake_run, open_page, png, trainer_for

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only


def test_a_fashion_mnist_vae_is_shown_clothes_and_evaluated_against_digits(fashion):
    """A model's pages use its own kind of images; digits are then its far-off anomalies."""
    from ui.common import RUNS

    folder = RUNS / "20000101-000004-vae-fashion"
    info = DatasetInfo.from_dict({"name": "fashion-mnist"})
    trainer_for("vae", fashion.train.images, folder, dataset_info=info, steps=100)[0].run()
    stem = folder / "checkpoint"

    latent = open_page("pages/latent_space.py")
    latent.sidebar.selectbox[0].set_value(str(stem)).run()
    assert any("2,000 test items of fashion-mnist" in c.value for c in latent.caption)
    assert {"T-shirt/top", "Ankle boot"} <= set(component_data(latent, "ls_map")["classes"])

    walk = open_page("pages/interpolate.py")
    walk.sidebar.selectbox[0].set_value(str(stem)).run()
    walk.button_group(key="i_source").set_value("Test items").run()
    walk.text_input(key="i_classes").set_value("1, 9").run()
    assert {"Trouser", "Ankle boot"} <= {
        c.split(": ")[-1] for e in walk.get("image") for c in e.captions
    }

    at = open_page("pages/anomaly.py")
    at.sidebar.selectbox[0].set_value(str(stem)).run()
    caption = next(c.value for c in at.caption if c.value.startswith("Threshold"))
    assert "500 normal test items of fashion-mnist rendered as uploads" in caption  # a half
    boot = Image.fromarray(255 - fashion.test.images[0, 0].numpy()).resize((140, 140))
    at.file_uploader(key="a_files").set_value(
        [("boot.png", png(np.asarray(boot)), "image/png")]
    ).run()
    assert "Fashion-MNIST-style 28×28" in {c for e in at.get("image") for c in e.captions}
    at.toggle(key="a_eval_fashion").set_value(True).run()
    assert at.radio(key="a_kind_plain").value == "recon"  # no upload classifier for clothes
    table = next(d.value for d in at.dataframe if "task" in d.value).set_index("task")
    auroc = table.loc["Fashion-MNIST vs MNIST", "AUROC, tensors"]
    assert auroc < 0.5 and any("Nalisnick" in w.value for w in at.warning)  # digits look *normal*
    at.radio(key="a_kind_plain").set_value("sq-error").run()
    table = next(d.value for d in at.dataframe if "task" in d.value).set_index("task")
    assert table.loc["Fashion-MNIST vs MNIST", "AUROC, tensors"] > 0.7
    assert not any("Nalisnick" in w.value for w in at.warning)

    report = open_page("pages/report.py")
    report.sidebar.selectbox[0].set_value(str(stem)).run()
    report.select_slider(key="r_n").set_value(250)
    report.select_slider(key="r_k").set_value(10).run()
    report.button(key="measure").click().run()
    rows = report.table[0].value
    assert "classifier FID" in set(rows["figure"])  # measured by the Fashion-MNIST classifier
    assert any("10000 fashion-mnist test images" in c.value for c in report.caption)


def test_a_fashion_gan_run_gets_its_class_histogram_and_warnings_by_name(fashion):
    from ui.common import RUNS

    test = fashion.test
    every_class = torch.cat(
        [test.images[test.labels == c][:6] for c in range(10)] + [test.images[:4]]
    )
    trousers_and_bags = torch.cat([test.images[test.labels == c][:32] for c in (1, 8)])
    grids = [
        (step, images.float() / 255)
        for step, images in [(100, every_class), (200, every_class), (300, trousers_and_bags)]
    ]
    rows = [
        {"step": 100 * i, "loss_d": 1.0, "loss_g": 1.0, "d_x": 0.6, "d_g_z": 0.4} for i in (1, 2, 3)
    ]
    info = {"name": "fashion-mnist", "classes": list(fashion.info.classes)}
    run = fake_run(RUNS, "20000101-000005-dcgan-fash", "dcgan", {}, rows, grids=grids, dataset=info)
    at = open_page("pages/train.py", run=run)
    assert not at.exception
    warning = next(w.value for w in at.warning if "Mode collapse" in w.value)
    # the classes the classifier read surely (over 90%) in the earlier grids, by name
    assert (
        warning.startswith("Mode collapse: classes T-shirt/top, Pullover") and "step 300" in warning
    )
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "chart_classes" in c.proto.id).proto.spec
    )
    bars = dict(zip(chart["data"][0]["x"], chart["data"][0]["y"], strict=True))
    assert bars["Trouser"] + bars["Bag"] > 0.8 and chart["layout"]["title"]["text"].startswith(
        "Classes"
    )
