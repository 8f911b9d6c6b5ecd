"""AppTest of the Interpolate and Latent Space pages on the shipped checkpoints."""

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from .helpers import ROOT, open_page

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

INTERPOLATE = "pages/interpolate.py"
LATENT = "pages/latent_space.py"


def image_urls(at: AppTest) -> list[str]:
    return [img.url for element in at.get("image") for img in element.proto.imgs]


def image_captions(at: AppTest) -> list[str]:
    return [c for element in at.get("image") for c in element.captions]


def open_with(path: str, checkpoint: str | None = None) -> AppTest:
    at = open_page(path)
    if checkpoint:
        at.sidebar.selectbox[0].set_value(str(ROOT / "checkpoints" / checkpoint)).run()
    assert not at.exception
    return at


def test_slider_endpoints_and_method_switch_on_the_dcgan():
    at = open_with(INTERPOLATE, "dcgan")
    assert not at.get("button_group")  # seeds are a GAN's only source, and the page says why
    assert any("no encoder" in c.value for c in at.caption)
    before = image_urls(at)
    at.slider(key="i_pos").set_value(0.9).run()
    after = image_urls(at)
    assert before[0] != after[0] and before[2] != after[2]  # both decoded frames moved with t
    assert (before[1], before[3]) == (after[1], after[3])  # the strips did not
    assert image_captions(at).count("position 0.90") == 2

    at.text_input(key="i_seeds").set_value("5, 6, 7").run()
    assert image_captions(at).count("17 frames") == 2  # 2 legs x 8 frames + the last point
    lerp_gif = next(b for b in at.get("download_button") if "GIF" in b.proto.label).proto.url
    at.radio(key="i_method").set_value("slerp").run()
    slerp_gif = next(b for b in at.get("download_button") if "GIF" in b.proto.label).proto.url
    assert lerp_gif != slerp_gif

    at.text_input(key="i_seeds").set_value("5, x").run()
    assert any("whole numbers" in e.value for e in at.error) and not at.exception


def test_vae_endpoints_from_test_digits_and_the_map():
    at = open_with(INTERPOLATE, "vae")
    at.button_group(key="i_source").set_value("Test digits").run()
    at.text_input(key="i_classes").set_value("2, 9").run()
    at.number_input(key="i_example").set_value(4).run()
    assert {"#204: digit 2", "#904: digit 9"} <= set(
        image_captions(at)
    )  # the fifth 2 and the fifth 9
    at.radio(key="i_by").set_value("index").run()
    at.text_input(key="i_indices").set_value("7, 412").run()
    captions = image_captions(at)
    assert "#7: digit 0" in captions and "#412: digit 4" in captions
    assert any(
        "i_map" in c.proto.id for c in at.get("plotly_chart")
    )  # 2-D: the path on the latent map
    at.text_input(key="i_indices").set_value("7, 5000").run()
    assert any("between 0 and 999" in e.value for e in at.error)


def test_latent_space_of_the_2d_vae():
    at = open_with(LATENT, "vae")
    assert any("ls_map" in c.proto.id for c in at.get("plotly_chart"))
    at.number_input[0].set_value(250).run()
    assert any(m.value.startswith("**Test digit #250**: label 2") for m in at.markdown)
    assert any("Gaussian quantiles" in c for c in image_captions(at))
    assert any(b.proto.label == "Coordinates as CSV" for b in at.get("download_button"))


def test_umap_on_the_conv_vae():
    at = open_with(LATENT, "conv-vae")
    assert any("Compute projection" in i.value for i in at.info)
    at.radio(key="ls_method").set_value("umap")
    at.slider(key="ls_neighbors").set_value(10)
    at.button[0].click().run()
    assert not at.exception
    assert map_title(at).startswith("UMAP projection") and map_points(at) == 1000
    at.radio(key="ls_method").set_value("pca")
    at.button[0].click().run()
    assert map_title(at).startswith("PCA projection") and map_points(at) == 1000


def map_figure(at: AppTest) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if "ls_map" in c.proto.id).proto.spec)


def map_title(at: AppTest) -> str:
    return map_figure(at)["layout"]["title"]["text"]


def map_points(at: AppTest) -> int:
    """Points across traces; plotly sends numpy arrays as base64 "bdata"."""

    def count(x):
        return (
            len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
            if isinstance(x, dict)
            else len(x)
        )

    return sum(count(trace["x"]) for trace in map_figure(at)["data"])


@pytest.mark.parametrize("checkpoint", ["dcgan", "fcgan", "vae", "conv-vae"])
def test_interpolate_works_on_every_shipped_checkpoint(checkpoint):
    at = open_with(INTERPOLATE, checkpoint)
    assert image_captions(at).count("position 0.50") == 2 and not at.error


def test_both_pages_work_on_a_freshly_trained_checkpoint(mnist5k):
    from gen_core.models import build_model
    from gen_core.training import VAETrainConfig, make_trainer
    from ui.common import RUNS

    stem = RUNS / "20000101-000002-vae-fresh" / "checkpoint"
    trainer = make_trainer(
        build_model("vae", {"latent_dim": 3}),
        mnist5k.train.images,
        VAETrainConfig(steps=30, device="cpu"),
        checkpoint_path=stem,
    )
    assert trainer.run() == "finished"
    for page in (INTERPOLATE, LATENT):
        at = open_with(page)
        at.sidebar.selectbox[0].set_value(str(stem)).run()
        assert not at.exception and not at.error
    at.radio(key="ls_method").set_value("pca")
    at.button[0].click().run()
    assert map_title(at).startswith("PCA projection") and map_points(at) == 1000


def test_uploaded_endpoints_keep_their_names_when_one_file_is_refused(mnist5k):
    from .helpers import png

    at = open_with(INTERPOLATE, "vae")
    at.button_group(key="i_source").set_value("Test digits").run()
    at.button_group(key="i_source").set_value("Upload").run()
    files = [
        ("a.png", png(mnist5k.test.images[5, 0].numpy())),
        ("bad.png", b"not an image"),
        ("c.png", png(mnist5k.test.images[705, 0].numpy())),
    ]
    at.file_uploader(key="i_upload").set_value([(n, d, "image/png") for n, d in files]).run()
    assert any("bad.png" in e.value for e in at.error)
    captions = image_captions(at)
    assert "a.png" in captions and "c.png" in captions and "bad.png" not in captions
