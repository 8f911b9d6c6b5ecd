import io

from PIL import Image

from gen_core.diagnostics import check, discriminator_winning, diverging
from gen_core.images import to_gif


def steps(**series):
    n = len(next(iter(series.values())))
    return [{"step": 10 * (i + 1), **{k: v[i] for k, v in series.items()}} for i in range(n)]


def test_discriminator_winning_needs_d_g_z_low_for_a_while():
    assert discriminator_winning(steps(d_g_z=[0.3, 0.2, 0.01, 0.01, 0.01, 0.01])) is None
    found = discriminator_winning(steps(d_g_z=[0.3, 0.02, 0.01, 0.01, 0.01, 0.01]))
    assert found and found.kind == "d-winning" and "label smoothing" in found.message
    assert discriminator_winning(steps(loss=[1.0] * 8)) is None  # a VAE has no D


def test_divergence_is_flagged_for_blow_ups_and_non_finite_losses():
    calm = [1.2, 1.1, 1.0, 1.0, 0.9, 1.0, 1.1, 1.0, 0.9, 1.0, 1.1]
    assert diverging(steps(loss_d=calm)) is None
    assert diverging(steps(loss_d=calm[:8] + [30.0, 40.0, 50.0])).kind == "diverging"
    assert diverging(steps(loss=[100.0, None])).kind == "diverged"
    assert [
        f.kind for f in check(steps(d_g_z=[0.001] * 11, loss_d=calm[:8] + [30.0, 40.0, 50.0]))
    ] == ["d-winning", "diverging"]


def test_gif_holds_every_frame():
    frames = [Image.new("L", (10, 10), color) for color in (0, 128, 255)]
    gif = Image.open(io.BytesIO(to_gif(frames, 100)))
    assert gif.format == "GIF" and gif.n_frames == 3
