"""A checkpoint written on one device gives the same images and logits on another.

Loads a GAN checkpoint on the CPU and on ``--device`` (a GPU), draws one batch of latents, and
prints the largest difference between the two devices' images and between D's logits for them.
TF32 is switched off on CUDA for the comparison, so what remains is float32 rounding; the
script exits 1 when a difference exceeds the tolerance.

Run: .venv/bin/python benchmarks/device_match.py [RUN/checkpoint] --device cuda [-n 64] [--smoke]
(the checkpoint defaults to the shipped DCGAN; --smoke compares the CPU with itself)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from _common import ratio_line

from gen_core.checkpoints import load_checkpoint
from gen_core.device import resolve_device
from gen_core.models.base import GAN

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-4  # images in [0, 1]; logits of order 1-10


def load_gan(path: str, device: torch.device) -> GAN:
    model = load_checkpoint(path, device).model
    if not isinstance(model, GAN):
        raise SystemExit(f"{path} is a {model.name}: this check compares a GAN's G and D")
    return model


@torch.no_grad()
def outputs(model: GAN, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Images for latents ``z`` and D's logits for them, back on the CPU."""
    device = next(model.parameters()).device
    images = model.generate(z.to(device))
    logits = model.D(images * 2 - 1, model.class_code(z.to(device)))
    return images.cpu(), logits.cpu()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default=str(ROOT / "checkpoints" / "dcgan"))
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU")
    parser.add_argument("-n", type=int, default=64, help="latents compared")
    parser.add_argument("--smoke", action="store_true", help="the CPU against itself")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = resolve_device("cpu" if args.smoke else args.device)
    on_cpu = load_gan(args.checkpoint, torch.device("cpu"))
    z = on_cpu.sample_latent(args.n, torch.Generator().manual_seed(0))
    cpu_images, cpu_logits = outputs(on_cpu, z)
    dev_images, dev_logits = outputs(load_gan(args.checkpoint, device), z)
    image_gap = (cpu_images - dev_images).abs().max().item()
    logit_gap = (cpu_logits - dev_logits).abs().max().item()
    print(
        f"{args.n} latents, CPU vs {device}: largest image difference {image_gap:.2e}, "
        f"largest D logit difference {logit_gap:.2e} (tolerance {TOLERANCE:.0e})"
    )
    print(ratio_line("largest image difference over the tolerance", image_gap, TOLERANCE))
    sys.exit(0 if max(image_gap, logit_gap) <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
