"""DiffAugment: shifts that keep the image's pixels and pass gradients to G."""

import math

import torch

from gen_core.training.diffaugment import BACKGROUND, diff_augment, translate

from .helpers import trainer_for


def test_a_shift_moves_every_pixel_by_the_same_whole_step_within_the_ratio():
    torch.manual_seed(0)
    x = torch.full((64, 1, 28, 28), BACKGROUND)
    x[:, 0, 14, 14] = 1.0  # one inked pixel, far from every border
    moved = translate(x, ratio=0.125)
    assert moved.shape == x.shape and torch.equal(
        (moved == 1).sum((1, 2, 3)), torch.ones(64).long()
    )
    where = (moved[:, 0] == 1).nonzero()[:, 1:] - 14
    assert where.abs().max() <= 4 and len({tuple(w.tolist()) for w in where}) > 10
    assert torch.equal(translate(x, ratio=0.0), x)


def test_the_policy_is_sized_for_digits_shifts_of_up_to_2_px_and_nothing_erased():
    torch.manual_seed(0)
    x = torch.full((256, 1, 28, 28), BACKGROUND)
    x[:, 0, 14, 14] = 1.0
    seen = diff_augment(x)
    shifted = (seen[:, 0] == 1).nonzero()[:, 1:] - 14
    assert shifted.abs().max() == 2  # every shift of up to 2 px drawn, none further
    assert torch.equal((seen == 1).sum((1, 2, 3)), torch.ones(256).long())  # no stroke erased


def test_gradients_pass_through_to_the_generator():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28, requires_grad=True)
    diff_augment(x).sum().backward()
    assert x.grad is not None and 0 < x.grad.sum() < x.numel()  # not those shifted out


def test_a_dcgan_trains_with_diffaugment_and_its_d_sees_other_images(mnist5k):
    images = mnist5k.train.images[:512]
    plain, _ = trainer_for("dcgan", images, steps=1)
    augmented, events = trainer_for("dcgan", images, steps=20, diffaugment=True)
    assert augmented.run() == "finished"
    steps = [e.data for e in events if e.type == "step"]
    assert all(math.isfinite(s["loss_d"]) and math.isfinite(s["loss_g"]) for s in steps)
    torch.manual_seed(1)
    first_plain = plain.train_step()["loss_d"]
    again, _ = trainer_for("dcgan", images, steps=1, diffaugment=True)
    torch.manual_seed(1)
    assert not torch.isclose(again.train_step()["loss_d"], first_plain)  # same weights and batch
