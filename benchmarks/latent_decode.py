"""Interpolate page latency: decode one latent and turn it into the PNG the browser gets.

Target (issue: Interpolate and Latent Space pages): p95 <= 30 ms on the 2-core CPU.
Run: .venv/bin/python benchmarks/latent_decode.py [--repeats 300] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from _common import p95, ratio_line

from gen_core.analysis.latent import at_position, decode, seeded_latents
from gen_core.checkpoints import load_model
from gen_core.images import png_bytes, to_pil
from gen_core.models import GenerativeModel

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 30.0


def frame_ms(model: GenerativeModel, points: torch.Tensor, position: float) -> float:
    start = time.perf_counter()
    image = decode(model, at_position(points, position, "slerp", model.noise_dim)[None])
    png_bytes(to_pil(image, scale=6))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument(
        "--smoke", action="store_true", help="a few repeats, to prove the script runs"
    )
    args = parser.parse_args()
    repeats = 5 if args.smoke else args.repeats
    print(
        f"decode + PNG of one frame, {repeats} slider positions, torch threads: {torch.get_num_threads()}"
    )
    print(f"{'checkpoint':<10} {'p50 ms':>8} {'p95 ms':>8} {'target':>8} {'p95/target':>11}")
    worst = 0.0
    for name in ("dcgan", "fcgan", "vae", "conv-vae"):
        model = load_model(ROOT / "checkpoints" / name, GenerativeModel)
        points = seeded_latents(model, [0, 1])
        frame_ms(model, points, 0.5)  # warm-up
        times = [frame_ms(model, points, i / repeats) for i in range(repeats)]
        worst = max(worst, p95(times))
        print(
            f"{name:<10} {statistics.median(times):>8.2f} {p95(times):>8.2f} "
            f"{TARGET_P95_MS:>8.0f} {p95(times) / TARGET_P95_MS:>10.2f}x"
        )
    print(ratio_line("slowest checkpoint's p95 ms vs target", worst, TARGET_P95_MS))


if __name__ == "__main__":
    main()
