"""AppTest of a model trained on full MNIST: shown its own test digits when MNIST is here, else
the mnist-5k digits with a note, since those are MNIST training images it may have seen."""

import numpy as np
import pytest

from gen_core.data import DatasetInfo, mnist_on_disk

from .helpers import open_page, trainer_for, write_idx

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only


def fake_mnist(root, test_images: np.ndarray, test_labels: np.ndarray) -> None:
    """torchvision's raw MNIST files, holding the given test digits (and as many for training)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", test_images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", test_labels)


def test_a_full_mnist_model_is_shown_its_own_test_digits_when_they_are_here(
    tmp_path, monkeypatch, mnist5k
):
    from ui.common import RUNS

    folder = RUNS / "20000101-000005-vae-mnist"
    info = DatasetInfo.from_dict({"name": "mnist"})
    trainer_for("vae", mnist5k.train.images, folder, dataset_info=info, steps=20)[0].run()
    stem = folder / "checkpoint"

    monkeypatch.setenv("GEN_CORE_DATA", str(tmp_path / "nothing"))
    assert not mnist_on_disk()
    at = open_page("pages/latent_space.py")
    at.sidebar.selectbox[0].set_value(str(stem)).run()
    assert any("test digits of mnist-5k" in c.value for c in at.caption)
    assert any("trained on full MNIST" in i.value for i in at.info)

    own = mnist5k.test.sample(60)
    fake_mnist(tmp_path / "data", own.images[:, 0].numpy(), own.labels.numpy())
    monkeypatch.setenv("GEN_CORE_DATA", str(tmp_path / "data"))
    assert mnist_on_disk()
    for page, said in (
        ("pages/latent_space.py", "60 test digits of mnist encoded"),
        ("pages/anomaly.py", "fitted on 30 normal test digits of mnist rendered as uploads"),
    ):
        at = open_page(page)
        at.sidebar.selectbox[0].set_value(str(stem)).run()
        assert not at.exception and not any("full MNIST" in i.value for i in at.info)
        assert any(said in c.value for c in at.caption), [c.value for c in at.caption]
