"""Images rendered as uploads, read back by prepare: the road every upload figure is measured on."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.checkpoints import load_checkpoint
from gen_core.models.classifier import predict
from gen_core.preprocess import MNIST, prepare
from gen_core.render import Look, as_uploads, random_looks, render, render_all
from gen_core.training.classifier import upload_training_set
from gen_core.training.outliers import MAX_ASPECT, outliers

from .helpers import ROOT

PLAIN = Look(side=200, dark_on_light=True, margin=0.1, rotation=0, blur=0, noise=0, paper=240,
             ink=20, jpeg=0)  # fmt: skip


def test_a_look_gives_a_file_of_its_size_format_and_polarity(mnist5k):
    digit = mnist5k.test.images[3]
    for look in (PLAIN, Look(96, False, 0.0, 5, 1.0, 8, 230, 10, 80)):
        image = Image.open(io.BytesIO(render(digit, look)))
        assert image.size == (look.side, look.side) and image.format == look.format
        corner = np.asarray(image.convert("L"))[0, 0]
        assert (corner > 127) == look.dark_on_light  # paper light, or the reverse


def test_looks_span_what_uploads_are_and_repeat_for_a_seed():
    looks = random_looks(300, seed=4)
    assert looks == random_looks(300, seed=4) and looks != random_looks(300, seed=5)
    sides = [look.side for look in looks]
    assert min(sides) < 40 and max(sides) > 400
    assert {look.format for look in looks} == {"PNG", "JPEG"}
    assert {look.dark_on_light for look in looks} == {True, False}
    assert any(look.noise for look in looks) and any(look.blur for look in looks)


def test_an_upload_of_a_digit_reads_back_as_that_digit(mnist5k):
    test = mnist5k.test.sample(100, seed=2)
    uploads, kept = as_uploads(list(test.images), MNIST, seed=3)
    assert kept.tolist() == list(range(100))  # no real digit is refused
    classifier = load_checkpoint(ROOT / "checkpoints" / "classifier").model  # never saw uploads
    probs, _ = predict(classifier, uploads)
    assert (probs.argmax(1) == test.labels).float().mean() > 0.9


def test_noise_on_the_paper_does_not_stretch_the_box_around_the_digit(mnist5k):
    digit = mnist5k.test.images[705]
    clean = prepare(render(digit, PLAIN)).cropped.size
    noisy = Look(200, True, 0.2, 0, 0, 12.0, 235, 30, 70)
    assert (
        max(prepare(render(digit, noisy, seed=1)).cropped.size) < 1.2 * max(clean) * 0.6 / 0.8 + 4
    )


def test_an_object_that_fills_the_frame_still_has_ink(fashion):
    buffer = io.BytesIO()
    Image.fromarray(fashion.test.images[1, 0].numpy()).save(buffer, format="PNG")  # a pullover
    stages = prepare(buffer.getvalue())
    assert stages.tensor.mean() > 0.1


def test_outliers_are_filled_shapes_never_a_thin_bar_and_repeat_for_a_seed():
    shapes = outliers(40, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(shapes, outliers(40, seed=1), strict=True))
    for shape in shapes:
        rows, cols = np.nonzero(shape > 40)
        h, w = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert max(h, w) / min(h, w) <= MAX_ASPECT
    uploads, kept = as_uploads(shapes, MNIST)
    assert len(kept) == 40 and uploads.shape == (40, 1, 28, 28)


def test_render_all_is_one_file_per_image():
    images = torch.zeros(3, 1, 28, 28, dtype=torch.uint8)
    images[:, :, 8:20, 12:16] = 255
    assert len(render_all(images, seed=0)) == 3
    with pytest.raises(ValueError):
        render(torch.zeros(28, 28), Look(0, True, 0, 0, 0, 0, 240, 20, 0))


def test_the_upload_training_set_keeps_labels_with_their_renderings(mnist5k):
    small = mnist5k.train.sample(30, seed=1)
    train, others = upload_training_set(small, copies=2, framing=MNIST, seed=0)
    assert train.images.dtype == torch.uint8 and train.images.shape == (60, 1, 28, 28)
    assert train.labels.tolist() == small.labels.tolist() * 2
    assert others.shape == (30, 1, 28, 28)
    classifier = load_checkpoint(ROOT / "checkpoints" / "classifier").model
    probs, _ = predict(classifier, train.images)
    assert (probs.argmax(1) == train.labels).float().mean() > 0.85  # each still reads as its label
