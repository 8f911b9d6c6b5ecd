"""Anomaly detection quality and speed, each figure beside its baseline or target.

1. One-vs-rest on mnist-5k: train on one digit's 400 training images, score all 1,000 test
   images, AUROC with the other nine digits as anomalies; mean over the 10 digits.
   Baseline: scikit-learn PCA (16 components) reconstruction error. Target: >= 0.96.
2. MNIST test digits vs Fashion-MNIST test items, with the shipped VAEs trained on all of
   mnist-5k. Target: >= 0.998.
3. Upload -> verdict time (decode a 1200x1200 JPEG photo, preprocess, score). Target: p95 <= 150 ms.

Run: .venv/bin/python benchmarks/anomaly.py [--steps 600] [--smoke]
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.anomaly import evaluate, score, threshold
from gen_core.checkpoints import load_checkpoint
from gen_core.data import DatasetUnavailable, load_dataset
from gen_core.device import seed_everything
from gen_core.models import build_model
from gen_core.preprocess import mnist_style
from gen_core.training import VAETrainConfig, make_trainer

ROOT = Path(__file__).resolve().parent.parent


def pca_scores(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    pca = PCA(n_components=16).fit(train)
    return ((pca.inverse_transform(pca.transform(test)) - test) ** 2).sum(1)


def vae_scores(
    name: str,
    train: torch.Tensor,
    test: torch.Tensor,
    steps: int,
    kind: str,
    config: dict | None = None,
    beta: float = 1.0,
) -> np.ndarray:
    seed_everything(0)
    model = build_model(name, config)
    make_trainer(
        model,
        train,
        VAETrainConfig(
            steps=steps, batch_size=32, lr=1e-3, beta=beta, device="cpu", log_every=steps
        ),
    ).run()
    return score(model, test, kind).scores.numpy()


def one_vs_rest(steps: int, digits: list[int]) -> None:
    data = load_dataset("mnist-5k")
    flat = lambda x: x.reshape(len(x), -1).float().numpy() / 255  # noqa: E731
    detectors = {
        "PCA-16 recon (baseline)": lambda tr: pca_scores(flat(tr), flat(data.test.images)),
        "MLP VAE, neg-ELBO": lambda tr: vae_scores(
            "vae", tr, data.test.images, steps, "neg-elbo", {"latent_dim": 16}
        ),
        "conv VAE, recon": lambda tr: vae_scores("conv-vae", tr, data.test.images, steps, "recon"),
        "conv VAE b=0.1, sq-error": lambda tr: vae_scores(
            "conv-vae", tr, data.test.images, steps, "sq-error", beta=0.1
        ),
    }
    print(f"\n1. One-vs-rest AUROC on mnist-5k ({steps} training steps per VAE), digits {digits}")
    results: dict[str, float] = {}
    for label, fit in detectors.items():
        start = time.perf_counter()
        aurocs = []
        for d in digits:
            scores = fit(data.train.images[data.train.labels == d])
            normal = (data.test.labels == d).numpy()
            aurocs.append(evaluate(scores[normal], scores[~normal]).auroc)
        results[label] = float(np.mean(aurocs))
        print(
            f"   {label:<26} mean AUROC {results[label]:.4f}   ({time.perf_counter() - start:.0f} s)  per digit: {' '.join(f'{a:.3f}' for a in aurocs)}"
        )
    best = max(results, key=results.get)
    base = results["PCA-16 recon (baseline)"]
    print(
        f"   best: {best} {results[best]:.4f} vs PCA baseline {base:.4f}: {results[best] / base:.3f}x; target 0.96"
    )


def mnist_vs_fashion(limit: int) -> None:
    try:
        fashion = load_dataset("fashion-mnist").test.images[:limit]
    except DatasetUnavailable as err:
        print(f"\n2. MNIST vs Fashion-MNIST: skipped ({err})")
        return
    digits = load_dataset("mnist-5k").test.images[:limit]
    print(f"\n2. MNIST test digits vs Fashion-MNIST test items ({len(digits)} vs {len(fashion)})")
    for name in ("vae", "conv-vae"):
        model = load_checkpoint(ROOT / "checkpoints" / name).model
        for kind in ("recon", "neg-elbo"):
            auroc = evaluate(
                score(model, digits, kind).scores, score(model, fashion, kind).scores
            ).auroc
            print(
                f"   shipped {name:<8} {kind:<9} AUROC {auroc:.4f}   target 0.998: {auroc / 0.998:.4f}x"
            )


def upload_latency(repeats: int) -> None:
    model = load_checkpoint(ROOT / "checkpoints" / "conv-vae").model
    test = load_dataset("mnist-5k").test
    normal = score(model, test.images).scores.numpy()
    cut = threshold(normal, percentile=99)
    photo = Image.fromarray(255 - test.images[705, 0].numpy()).resize((1200, 1200))
    buffer = io.BytesIO()
    photo.convert("RGB").save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = float(score(model, mnist_style(data).tensor[None]).scores[0])
        _ = value > cut
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    print(f"\n3. Upload -> verdict for a {len(data) / 1e3:.0f} kB 1200x1200 JPEG, {repeats} runs")
    print(
        f"   p50 {np.median(times):.1f} ms, p95 {p95:.1f} ms; target p95 150 ms: {p95 / 150:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps per one-digit VAE")
    parser.add_argument(
        "--smoke", action="store_true", help="one digit, a few steps: proves the script runs"
    )
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    one_vs_rest(10 if args.smoke else args.steps, [3] if args.smoke else list(range(10)))
    mnist_vs_fashion(100 if args.smoke else 10_000)
    upload_latency(5 if args.smoke else 100)


if __name__ == "__main__":
    main()
