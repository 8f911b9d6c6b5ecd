"""AppTest of the Interpolate and Latent Space pages on the shipped checkpoints."""

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from gen_core.analysis.latent import (
    UMAP_DEFAULTS,
    class_latents,
    decode,
    encode,
    projection_file,
    projection_key,
    seeded_latents,
)
from gen_core.checkpoints import load_checkpoint, read_info
from gen_core.data import load_dataset
from gen_core.models.classifier import predict

from .helpers import ROOT, component_data, open_page, sprite_images, trainer_for

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


def shipped(name: str):
    return load_checkpoint(ROOT / "checkpoints" / name).model


def test_the_scrubber_walks_from_decoded_endpoint_to_decoded_endpoint_on_the_dcgan():
    at = open_with(INTERPOLATE, "dcgan")
    assert at.button_group(key="i_source").options == ["Random seeds", "Chosen digits"]
    assert any("no encoder" in c.value for c in at.caption)  # no test digits: the page says why
    assert not [r for r in at.radio if r.key == "i_drawn_from"]  # a GAN has only its prior
    scrub = component_data(at, "i_scrub")
    assert scrub["titles"] == ["Linear (lerp)", "Spherical (slerp)"]
    assert scrub["count"] == 121 and scrub["perLeg"] == 120  # one leg, decoded once
    model = shipped("dcgan")
    ends = decode(model, seeded_latents(model, [0, 1]))
    lerp, slerp = (sprite_images(s, scrub["count"]) for s in scrub["sprites"])
    for frames in (lerp, slerp):  # each walk starts and ends on the decoded points (PNG: 8 bits)
        assert torch.allclose(frames[0], ends[0], atol=1 / 255 + 1e-6)
        assert torch.allclose(frames[-1], ends[1], atol=1 / 255 + 1e-6)
    assert (lerp[60] - slerp[60]).abs().max() > 0.1  # the two paths part in the middle

    at.text_input(key="i_seeds").set_value("5, 6, 7").run()
    assert component_data(at, "i_scrub")["count"] == 241  # 2 legs x 120 + the last point
    assert {"Linear (lerp): 17 frames", "Spherical (slerp): 17 frames"} <= set(image_captions(at))
    lerp_gif = next(b for b in at.get("download_button") if "GIF" in b.proto.label).proto.url
    at.radio(key="i_method").set_value("slerp").run()
    slerp_gif = next(b for b in at.get("download_button") if "GIF" in b.proto.label).proto.url
    assert lerp_gif != slerp_gif

    at.text_input(key="i_seeds").set_value("5, x").run()
    assert any("whole numbers" in e.value for e in at.error) and not at.exception


def test_the_conditional_dcgan_walks_between_chosen_digits_in_one_style():
    at = open_with(INTERPOLATE, "dcgan")
    at.button_group(key="i_source").set_value("Chosen digits").run()
    at.text_input(key="i_chosen").set_value("1, 7").run()
    at.number_input(key="i_style").set_value(3).run()
    scrub = component_data(at, "i_scrub")
    model = shipped("dcgan")
    ends = decode(model, class_latents(model, [1, 7], 3))
    lerp = sprite_images(scrub["sprites"][0], scrub["count"])
    assert torch.allclose(lerp[0], ends[0], atol=1 / 255 + 1e-6)
    assert torch.allclose(lerp[-1], ends[1], atol=1 / 255 + 1e-6)
    assert predict(shipped("classifier"), ends)[0].argmax(1).tolist() == [1, 7]
    curved = sprite_images(scrub["sprites"][1], scrub["count"])  # one noise: slerp keeps it and
    assert torch.allclose(curved, lerp, atol=1 / 255 + 1e-6)  # moves the class code straight
    at.text_input(key="i_chosen").set_value("1, 12").run()
    assert any("between 0 and 9" in e.value for e in at.error) and not at.exception
    plain = open_with(INTERPOLATE, "fcgan")  # unconditional: its points come from seeds alone
    assert not plain.get("button_group") and not plain.exception


def test_random_points_of_a_vae_come_from_the_prior_or_its_fitted_density():
    at = open_with(INTERPOLATE, "conv-vae")
    model = shipped("conv-vae")
    assert model.has_fitted_density  # make checkpoints fits it at the end of the run
    first = sprite_images(component_data(at, "i_scrub")["sprites"][0], 121)[0]
    prior = decode(model, seeded_latents(model, [0, 1]))
    assert torch.allclose(first, prior[0], atol=1 / 255 + 1e-6)
    at.radio(key="i_drawn_from").set_value("the density fitted to the training codes").run()
    first = sprite_images(component_data(at, "i_scrub")["sprites"][0], 121)[0]
    fitted = decode(model, seeded_latents(model, [0, 1], "fitted"))
    assert torch.allclose(first, fitted[0], atol=1 / 255 + 1e-6)
    assert (fitted[0] - prior[0]).abs().max() > 0.1


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
    path = component_data(at, "i_map")["path"]  # 2-D: the path on the latent map, fixed
    model = shipped("vae")
    codes = encode(model, load_dataset("mnist-5k").test.sample(2000).images[[7, 412]])
    assert torch.allclose(torch.tensor(path["points"]), codes, atol=1e-5)
    assert not path["draggable"]
    at.text_input(key="i_indices").set_value("7, 5000").run()
    assert any("between 0 and 999" in e.value for e in at.error)


def test_latent_space_of_the_2d_vae():
    at = open_with(LATENT, "vae")
    shown = component_data(at, "ls_map")
    assert len(shown["x"]) == 1000 and shown["tiles"]["mode"] == "grid"
    grid = shown["tiles"]
    corner = torch.tensor([[grid["x0"], grid["y1"]]])  # the sprite's first tile: the top left
    decoded = decode(shipped("vae"), corner)
    assert torch.allclose(sprite_images(grid, 1), decoded, atol=1 / 255 + 1e-6)
    at.number_input[0].set_value(250).run()
    assert any(m.value.startswith("**Test digit #250**: label 2") for m in at.markdown)
    assert any("Gaussian quantiles" in c for c in image_captions(at))
    assert any(b.proto.label == "Coordinates as CSV" for b in at.get("download_button"))


def test_a_typed_index_wins_over_an_earlier_click_on_empty_space():
    at = open_with(LATENT, "vae")
    at.session_state["ls_pick"] = {"x": 0.5, "y": -0.5}  # what a click on empty space leaves
    at.run()
    assert any(m.value.startswith("**Decoded at (0.50, -0.50)**") for m in at.markdown)
    at.number_input[0].set_value(12).run()
    assert any(m.value.startswith("**Test digit #12**") for m in at.markdown)
    assert not any(m.value.startswith("**Decoded at") for m in at.markdown)


def test_umap_on_the_conv_vae():
    at = open_with(LATENT, "conv-vae")
    assert any("Compute projection" in i.value for i in at.info)
    at.radio(key="ls_method").set_value("umap")
    at.slider(key="ls_neighbors").set_value(10)
    at.button[0].click().run()
    assert not at.exception
    shown = component_data(at, "ls_map")
    info = read_info(ROOT / "checkpoints" / "conv-vae")  # its map ships with it: no 20 s wait
    key = projection_key(info, "mnist-5k")
    params = {"n_neighbors": 10, "min_dist": 0.1}
    assert not projection_file(ROOT / "checkpoints" / "projections", key, "umap", params).exists()
    default = projection_file(ROOT / "checkpoints" / "projections", key, "umap", UMAP_DEFAULTS)
    assert default.is_file()
    assert any(m.value.startswith("**UMAP projection") for m in at.markdown)
    assert len(shown["x"]) == 1000 and shown["tiles"]["mode"] == "points"  # decoded μ per point
    at.radio(key="ls_method").set_value("pca")
    at.button[0].click().run()
    assert any(m.value.startswith("**PCA projection") for m in at.markdown)
    assert len(component_data(at, "ls_map")["x"]) == 1000
    at.radio(key="ls_method").set_value("umap")
    at.slider(key="ls_neighbors").set_value(15)
    at.button[0].click().run()
    shipped = np.round(np.load(default), 4)
    assert component_data(at, "ls_map")["x"] == shipped[:, 0].tolist()


@pytest.mark.parametrize("checkpoint", ["dcgan", "fcgan", "vae", "conv-vae"])
def test_interpolate_works_on_every_shipped_checkpoint(checkpoint):
    at = open_with(INTERPOLATE, checkpoint)
    assert component_data(at, "i_scrub")["count"] == 121 and not at.error


def test_both_pages_work_on_a_freshly_trained_checkpoint(mnist5k):
    from ui.common import RUNS

    folder = RUNS / "20000101-000002-vae-fresh"
    trainer, _ = trainer_for("vae", mnist5k.train.images, folder, {"latent_dim": 3}, steps=30)
    assert trainer.run() == "finished"
    stem = folder / "checkpoint"
    for page in (INTERPOLATE, LATENT):
        at = open_with(page)
        at.sidebar.selectbox[0].set_value(str(stem)).run()
        assert not at.exception and not at.error
    at.radio(key="ls_method").set_value("pca")
    at.button[0].click().run()
    assert any(m.value.startswith("**PCA projection") for m in at.markdown)
    assert len(component_data(at, "ls_map")["x"]) == 1000


def test_a_pick_made_while_a_run_writes_a_checkpoint_is_kept(mnist5k):
    """A training run adds and relabels options while the user picks: the pick still lands."""
    import shutil

    from ui.common import RUNS

    folder = RUNS / "20000101-000003-vae-picked"
    trainer_for("vae", mnist5k.train.images, folder, steps=10)[0].run()
    stem = folder / "checkpoint"
    at = open_with(LATENT)
    newer = RUNS / "20000101-000004-vae-newer"
    shutil.copytree(stem.parent, newer)  # appears between the page's render and the pick
    try:
        at.sidebar.selectbox[0].set_value(str(stem)).run()
    finally:
        shutil.rmtree(newer)
    assert at.sidebar.selectbox[0].value == str(stem) and not at.exception
    assert any("step 10 ·" in c.value for c in at.sidebar.caption)


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


def test_the_checkpoint_is_in_the_url_so_a_reload_or_a_link_opens_on_it():
    at = open_page(LATENT, checkpoint="checkpoints/conv-vae")
    assert at.sidebar.selectbox[0].value == str(ROOT / "checkpoints" / "conv-vae")
    at.sidebar.selectbox[0].set_value(str(ROOT / "checkpoints" / "vae")).run()
    assert at.query_params["checkpoint"] in ("checkpoints/vae", ["checkpoints/vae"])
    at.run()  # the URL's earlier choice does not undo the pick
    assert at.sidebar.selectbox[0].value == str(ROOT / "checkpoints" / "vae")
    stranger = open_page(LATENT, checkpoint="../../etc/passwd")  # only listed ones are opened
    assert not stranger.exception and stranger.sidebar.selectbox[0].value.endswith("vae")
