import io

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.analysis.anomaly import (
    DEFAULT_FPR,
    Detector,
    doubt,
    evaluate,
    fit_reference,
    neighbour_distance,
    normal_uploads,
    percentiles,
    score,
    threshold,
)
from gen_core.checkpoints import load_checkpoint
from gen_core.preprocess import FASHION, MNIST, ImageRejected, framing_for, open_image, prepare
from gen_core.render import as_uploads
from gen_core.training.classifier import train_classifier
from gen_core.training.outliers import outliers

from .helpers import ROOT, png


@pytest.fixture(scope="module")
def vae():
    return load_checkpoint(ROOT / "checkpoints" / "conv-vae").model


def test_auroc_equals_a_hand_computed_value():
    normal, anomalous = [0.1, 0.4, 0.35], [0.8, 0.3]
    # pairs (anomaly > normal): 0.8 beats all 3, 0.3 beats only 0.1 -> 4 of 6
    assert evaluate(normal, anomalous).auroc == pytest.approx(4 / 6)


def test_thresholds_from_percentile_and_fpr_agree():
    scores = np.random.default_rng(0).gamma(2.0, 10.0, 1000)
    assert threshold(scores, percentile=99) == pytest.approx(threshold(scores, fpr=0.01))
    t = threshold(scores, fpr=0.05)
    assert (scores > t).mean() == pytest.approx(0.05, abs=0.002)
    assert percentiles(np.array([t]), scores)[0] == pytest.approx(95.0, abs=0.2)
    with pytest.raises(ValueError):
        threshold(scores, percentile=99, fpr=0.01)


def test_test_digits_score_below_the_threshold_more_often_than_noise(vae, mnist5k):
    normal = score(vae, mnist5k.test.images)
    t = threshold(normal.scores, percentile=99)
    digits_flagged = (score(vae, mnist5k.test.images[::10]).scores > t).float().mean()
    noise = torch.rand(100, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    noise_flagged = (score(vae, noise).scores > t).float().mean()
    assert digits_flagged <= 0.05 and noise_flagged == 1.0
    assert normal.error_maps.shape == (1000, 1, 28, 28) and normal.recon.shape == (1000, 1, 28, 28)
    elbo = score(vae, mnist5k.test.images[:50], "neg-elbo").scores
    assert (elbo >= score(vae, mnist5k.test.images[:50]).scores * 0.9).all()


def test_a_white_digit_on_black_passes_through_in_shape(mnist5k):
    digit = mnist5k.test.images[42, 0].numpy()
    stages = prepare(png(digit))
    assert not stages.inverted and stages.tensor.shape == (1, 28, 28)
    assert np.corrcoef(stages.tensor.flatten().numpy(), digit.flatten())[0, 1] > 0.8


def test_a_black_on_white_photo_is_inverted_and_centred_by_mass(mnist5k):
    digit = mnist5k.test.images[7, 0].numpy()
    page = np.full((300, 400), 235, np.uint8)  # off-white paper, digit off-centre and dark
    page[20:160, 30:170] = 235 - (
        np.asarray(Image.fromarray(digit).resize((140, 140))) * 0.9
    ).astype(np.uint8)
    stages = prepare(png(page, format="JPEG"))
    assert stages.inverted
    t = stages.tensor[0].numpy()
    ys, xs = np.indices(t.shape)
    assert abs((t * ys).sum() / t.sum() - 13.5) < 1 and abs((t * xs).sum() / t.sum() - 13.5) < 1


def test_aspect_is_kept_when_fitting_20x20():
    bar = np.zeros((200, 60), np.uint8)
    bar[20:180, 20:40] = 255  # a tall stroke, 8:1
    fitted = prepare(png(bar)).fitted
    assert fitted.height == 20 and fitted.width < 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, I am a text file", "not a PNG or JPEG"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a PNG or JPEG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>', "not a PNG or JPEG"),
        (png(np.zeros((40, 40), np.uint8), format="TIFF"), "not a PNG or JPEG"),
        (png(np.full((40, 40), 255, np.uint8))[:60], "damaged or truncated"),
        (png(np.zeros((40, 40), np.uint8)), "no ink"),
        (png(np.full((40, 40), 255, np.uint8)), "no ink"),
        (png(np.zeros((5, 40), np.uint8)), "too small"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data, message):
    with pytest.raises(ImageRejected, match=message):
        prepare(data, "upload.png")


def test_a_decompression_bomb_is_refused_without_decoding():
    import struct
    import zlib

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)  # 10^10 gray pixels declared
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ImageRejected, match="decompression bomb|too large"):
        open_image(bomb)


def test_an_animated_image_is_refused():
    frames = [Image.new("L", (30, 30), c) for c in (0, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageRejected, match="animated"):
        open_image(buffer.getvalue())


def test_awkward_but_valid_images_are_converted(mnist5k):
    digit = mnist5k.test.images[3, 0].numpy()
    big = np.asarray(Image.fromarray(255 - digit).resize((280, 280)))
    as16 = png((big.astype(np.uint16) * 257), format="PNG")
    cmyk = png(np.stack([big] * 3, -1), "CMYK", format="JPEG")
    palette = png(np.stack([big] * 3, -1), "P")
    alpha_ink = np.zeros((280, 280, 4), np.uint8)
    alpha_ink[..., 3] = 255 - big  # black pen on a transparent sheet: the ink lives in alpha
    wide = np.full((100, 1000), 255, np.uint8)
    wide[20:80, 470:530] = np.asarray(Image.fromarray(255 - digit).resize((60, 60)))
    for data in (as16, cmyk, palette, png(alpha_ink), png(wide)):
        t = prepare(data).tensor[0].numpy()
        assert np.corrcoef(t.flatten(), prepare(png(digit)).tensor.flatten().numpy())[0, 1] > 0.7


def test_exif_rotated_photos_are_turned_upright(mnist5k):
    digit = mnist5k.test.images[705, 0].numpy()  # a 7: not the same turned sideways
    rotated = (
        Image.fromarray(255 - digit).resize((200, 200)).rotate(90, expand=True)
    )  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", exif=exif)
    reference = prepare(png(digit)).tensor.flatten().numpy()
    upright = prepare(buffer.getvalue()).tensor.flatten().numpy()
    sideways = prepare(rotated).tensor.flatten().numpy()
    assert np.corrcoef(upright, reference)[0, 1] > 0.7 > np.corrcoef(sideways, reference)[0, 1]


def test_squared_error_score_and_its_map(vae, mnist5k):
    x = mnist5k.test.images[:20]
    scored = score(vae, x, "sq-error")
    expected = ((scored.recon - x.float() / 255) ** 2).flatten(1).sum(1)
    assert torch.allclose(scored.scores, expected, atol=1e-4)
    assert torch.allclose(scored.error_maps.flatten(1).sum(1), scored.scores, atol=1e-4)
    with pytest.raises(ValueError, match="unknown score"):
        score(vae, x, "psnr")


def test_neighbour_distance_by_hand_and_leaving_each_code_out():
    codes = torch.arange(10.0)[:, None]  # ten points on a line, one apart
    assert neighbour_distance(codes[:1], codes).item() == pytest.approx((0 + 1 + 2 + 3 + 4) / 5)
    alone = neighbour_distance(codes, codes, leave_one_out=True)
    assert alone[0].item() == pytest.approx((1 + 2 + 3 + 4 + 5) / 5)
    assert alone[5].item() == pytest.approx((1 + 1 + 2 + 2 + 3) / 5)


def test_squared_error_plus_neighbours_is_z_scored_on_normal_training_digits(vae, mnist5k):
    train, test = mnist5k.train, mnist5k.test
    threes = train.images[train.labels == 3]
    reference = fit_reference(vae, threes)
    assert reference.codes.shape == (len(threes), vae.latent_dim)
    scored = score(vae, test.images, "sq-error+knn", reference)
    sq = score(vae, test.images, "sq-error")
    assert torch.equal(scored.error_maps, sq.error_maps)  # the map is the squared error's
    is_three = (test.labels == 3).numpy()
    normal = scored.scores.numpy()[is_three]
    assert abs(np.median(normal)) < 1.0  # z-scores: normal digits sit near 0
    combined = evaluate(normal, scored.scores.numpy()[~is_three]).auroc
    alone = evaluate(sq.scores.numpy()[is_three], sq.scores.numpy()[~is_three]).auroc
    assert combined > alone  # where a digit lands in latent space tells 3s from the rest
    with pytest.raises(ValueError, match="needs the normal images it compares with"):
        score(vae, test.images[:2], "sq-error+knn")


def test_a_photo_of_a_fashion_item_is_framed_as_fashion_mnist_framed_its_items(fashion):
    """Longest side 28 and centred by the box, not fit in 20x20 by mass as digits are."""
    test = fashion.test
    assert framing_for("fashion-mnist") is FASHION and framing_for("mnist-5k") is MNIST
    for item in test.images[:6, 0].numpy():
        photo = png(np.asarray(Image.fromarray(255 - item).resize((280, 280))))  # dark on white
        as_fashion, as_digit = (
            prepare(photo, framing=f).tensor.flatten().numpy() for f in (FASHION, MNIST)
        )
        match = np.corrcoef(as_fashion, item.flatten())[0, 1]
        assert match > 0.75 and match > np.corrcoef(as_digit, item.flatten())[0, 1] + 0.2


def test_a_detector_judges_a_batch_against_a_threshold_fitted_on_normal_scores(vae, mnist5k):
    model = vae
    normal, digits = mnist5k.test.images[:500], mnist5k.test.images[500:510]
    assert Detector.fit(model, "recon", normal).false_alarm_rate == pytest.approx(
        DEFAULT_FPR, abs=0.003
    )
    detector = Detector.fit(model, "recon", normal, percentile=99)
    assert detector.threshold == pytest.approx(threshold(detector.normal_scores, percentile=99))
    noise = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    judged = detector.judge(torch.cat([digits, noise]))
    assert judged.anomalous.tolist() == [False] * 10 + [True, True]
    assert (judged.percentiles[-2:] == 100).all() and judged.recon.shape == (12, 1, 28, 28)
    strict = detector.at(fpr=0.5)  # half of the normal digits above it: some test digits too
    assert strict.threshold < detector.threshold and strict.judge(digits).anomalous.any()
    with pytest.raises(ValueError, match="needs the normal training images"):
        Detector.fit(model, "sq-error+knn", normal)


def test_outlier_exposure_teaches_a_none_of_them_class(mnist5k):
    shapes, _ = as_uploads(outliers(300, seed=2), MNIST)
    model = train_classifier(
        mnist5k.train.sample(600, seed=1), epochs=4, outliers=(shapes * 255).round().byte()
    )
    assert model.config.reject and model.head[-1].out_features == 11  # ten digits and "none"
    unseen, _ = as_uploads(outliers(50, seed=9), MNIST)
    digits = mnist5k.test.sample(100, seed=3).images
    assert doubt(model, unseen).median() > doubt(model, digits).median() + 2  # log-odds apart


def test_the_combined_score_flags_clothes_uploads_and_passes_digit_uploads(vae, mnist5k, fashion):
    classifier = load_checkpoint(ROOT / "checkpoints" / "classifier-uploads").model
    normal = normal_uploads(mnist5k.test.sample(400, seed=4).images, MNIST)
    detector = Detector.fit(vae, "recon+classifier", normal.calibration, classifier=classifier)
    assert detector.false_alarm_rate == pytest.approx(DEFAULT_FPR, abs=0.01)
    assert detector.judge(normal.evaluation).anomalous.mean() < 2 * DEFAULT_FPR + 0.02
    clothes, _ = as_uploads(list(fashion.test.sample(100, seed=5).images), MNIST, seed=6)
    assert detector.judge(clothes).anomalous.mean() > 0.95
    recon_only = Detector.fit(vae, "recon", normal.calibration)  # framed as digits, clothes pass
    assert recon_only.judge(clothes).anomalous.mean() < 0.8
    with pytest.raises(ValueError, match="upload classifier"):
        Detector.fit(vae, "recon+classifier", normal.calibration)
