"""Training throughput: gen_core's trainer beside the tutorial DataLoader loop and the compute floor.

For each model three loops train the same network with the same batch size and optimiser:
- reference: the common tutorial way (torchvision MNIST + ToTensor + DataLoader), see _reference.py;
- gen_core: the library's Trainer, as the CLI and the app run it (logging every 20 steps);
- floor: the Trainer's own optimisation step fed pre-built float batches (no data path at all).
Targets on the 2-core CPU: the VAE (784-400-20) >= 2x the reference and within 1.1x of the floor;
a DCGAN epoch on the 4,000 mnist-5k training digits >= 10x faster than the PyTorch examples'
64-px DCGAN (47 s/epoch measured on this machine; timed again here over a few steps).

Run: .venv/bin/python benchmarks/throughput.py [--epochs 3] [--compile] [--smoke]
     on a GPU: ... --device cuda --dataset fashion-mnist [--bf16] (the 60,000-image epoch target;
     --bf16 trains gen_core's loops under bf16 autocast, the tutorial loops stay in float32)
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from _common import ratio_line
from _reference import (
    ExampleD64,
    ExampleG64,
    ExampleVAE,
    example_vae_epoch,
    gan_loader,
    gan_transform,
    torchvision_mnist,
    tutorial_gan_steps,
    vae_loader,
)
from torchvision import transforms

from gen_core.analysis.report import classifier_path, sample_quality
from gen_core.checkpoints import load_model
from gen_core.data import Dataset, load_dataset, to_unit
from gen_core.device import describe_device, resolve_device, seed_everything
from gen_core.models import GAN, build_model
from gen_core.models.classifier import Classifier
from gen_core.training import GANTrainConfig, Trainer, VAETrainConfig, make_trainer

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"sample_every": 10**9, "checkpoint_every": 10**9}


def timed(run: Callable[[], int], device: torch.device) -> float:
    """Images per second of ``run``, which returns how many images it trained on."""
    start = time.perf_counter()
    seen = run()
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # queued kernels count too
    return seen / (time.perf_counter() - start)


def floor_rate(trainer: Trainer, images: torch.Tensor, steps: int) -> float:
    """The trainer's own step on batches built beforehand: what training costs with no data path."""
    batch = trainer.config.batch_size
    batches = [
        to_unit(images[i : i + batch]).to(trainer.device)
        for i in range(0, len(images) - batch + 1, batch)
    ]
    feed: Iterator[torch.Tensor] = itertools.cycle(batches)
    trainer.batch = lambda: next(feed)  # type: ignore[method-assign]
    trainer.train_step()  # warm-up

    def run() -> int:
        for _ in range(steps):
            trainer.train_step()
        return steps * trainer.images_per_step

    return timed(run, trainer.device)


def compiled_rate(make: Callable[..., Trainer], epochs: int, eager: float) -> None:
    """A run with compile=True: its steady rate (the logged images/s after the first log, which
    holds the compiling) beside the eager trainer's, and its wall time, compiling included."""
    trainer = make(epochs=max(epochs, 2), compile=True)
    start = time.perf_counter()
    trainer.run()
    wall = time.perf_counter() - start
    steady = sorted(row["images_per_s"] for row in trainer.history[1:])
    rate = steady[len(steady) // 2] if steady else float("nan")
    print(
        f"   compile=True: {rate:,.0f} images/s once compiled ({rate / eager:.2f}x eager); "
        f"{wall:.0f} s for {trainer.step} steps, compiling included"
    )


def report(name: str, rates: dict[str, float]) -> None:
    ref, ours, floor = rates["reference"], rates["gen_core"], rates["floor"]
    print(f"   {name}: images/s  reference {ref:,.0f} | gen_core {ours:,.0f} | floor {floor:,.0f}")
    print(
        f"   {name}: gen_core / reference {ours / ref:.2f}x, floor / gen_core {floor / ours:.2f}x"
    )


def trained_images(trainer: Trainer) -> int:
    trainer.run()
    return trainer.step * trainer.images_per_step


def vae(
    data: Dataset, root: Path, epochs: int, compile_too: bool, device: torch.device, bf16: bool
) -> None:
    print(f"\n1. VAE 784-400-20, batch 128, Adam 1e-3, {epochs} epochs of {len(data.train)} images")
    rates = {}
    seed_everything(0)
    model = ExampleVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    mnist = torchvision_mnist(data, root, True, transforms.ToTensor())
    loader = vae_loader(mnist, device=device)
    rates["reference"] = timed(
        lambda: sum(example_vae_epoch(model, opt, loader, device) for _ in range(epochs)), device
    )

    def trainer(**overrides: object) -> Trainer:
        net = build_model("vae", {"latent_dim": 20, "hidden": [400]})
        settings = {**SETTINGS, "device": str(device), "bf16": bf16, **overrides}
        cfg = VAETrainConfig(batch_size=128, lr=1e-3, **settings)  # type: ignore[arg-type]
        return make_trainer(net, data.train.images, cfg)

    trainer(steps=5).run()  # warm-up
    ours = trainer(epochs=epochs)
    rates["gen_core"] = timed(lambda: trained_images(ours), device)
    rates["floor"] = floor_rate(trainer(), data.train.images, ours.step)
    report("VAE", rates)
    if compile_too:
        compiled_rate(trainer, epochs, rates["gen_core"])
    print("   targets: gen_core / reference >= 2x, floor / gen_core <= 1.1x")


def dcgan(
    data: Dataset,
    root: Path,
    epochs: int,
    ref_steps: int,
    compile_too: bool,
    device: torch.device,
    bf16: bool,
) -> None:
    n = len(data.train)
    print(f"\n2. DCGAN (28 px, gen_core's), batch 64, Adam 2e-4, {n} images per epoch")
    rates = {}
    seed_everything(0)
    ref_model = build_model("dcgan")
    assert isinstance(ref_model, GAN)
    mnist28 = torchvision_mnist(data, root, True, gan_transform(28))
    steps = tutorial_gan_steps(
        ref_model.G, ref_model.D, 64, gan_loader(mnist28, 64, device), device=device
    )
    next(steps)  # warm-up
    rates["reference"] = timed(lambda: sum(itertools.islice(steps, ref_steps)), device)

    def trainer(**overrides: object) -> Trainer:
        settings = {**SETTINGS, "device": str(device), "bf16": bf16, **overrides}
        cfg = GANTrainConfig(batch_size=64, label_smoothing=0.1, **settings)  # type: ignore[arg-type]
        return make_trainer(build_model("dcgan"), data.train.images, cfg)

    trainer(steps=3).run()  # warm-up
    ours = trainer(epochs=epochs)
    start = time.perf_counter()
    rates["gen_core"] = timed(lambda: trained_images(ours), device)
    wall = time.perf_counter() - start
    rates["floor"] = floor_rate(trainer(), data.train.images, ref_steps)
    report("DCGAN", rates)
    if compile_too:
        compiled_rate(trainer, epochs, rates["gen_core"])

    path = classifier_path(data.info.name, ROOT / "checkpoints")
    if path:
        classifier = load_model(path, Classifier)
        quality = sample_quality(ours.model, classifier, data.test)
        print(
            f"   after {epochs} epochs ({wall:.1f} s): "
            + ", ".join(f"{name} {value:.2f}" for name, value, _ in quality.rows)
        )

    seed_everything(0)
    G64, D64 = ExampleG64(), ExampleD64()
    mnist64 = torchvision_mnist(data, root, True, gan_transform(64))
    steps64 = tutorial_gan_steps(G64, D64, 100, gan_loader(mnist64, 64, device), device=device)
    next(steps64)  # warm-up
    rate64 = timed(lambda: sum(itertools.islice(steps64, max(2, ref_steps // 4))), device)
    ours_epoch, ref_epoch = n / rates["gen_core"], n / rate64
    earlier = "; the issue measured 47 s" if data.info.name == "mnist-5k" else ""
    print(
        f"   epoch time: gen_core {ours_epoch:.2f} s vs PyTorch examples' 64-px DCGAN "
        f"{ref_epoch:.1f} s (timed over {max(2, ref_steps // 4)} steps{earlier}): "
        f"{ref_epoch / ours_epoch:.1f}x faster; target >= 10x"
    )
    print(ratio_line("DCGAN epoch s, PyTorch examples' 64-px over gen_core", ref_epoch, ours_epoch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per loop")
    parser.add_argument(
        "--compile", action="store_true", help="also time compile=True runs (~1 min more)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ... (all loops)")
    parser.add_argument(
        "--dataset",
        default="mnist-5k",
        help="mnist-5k, or fashion-mnist for 60,000 training images (the GPU target's epoch)",
    )
    parser.add_argument("--bf16", action="store_true", help="gen_core's loops in bf16 autocast")
    parser.add_argument("--smoke", action="store_true", help="a few steps: proves the script runs")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}")
    device = resolve_device(args.device)
    print(f"device: {describe_device(device)}; dataset: {args.dataset}; bf16: {args.bf16}")
    data = load_dataset(args.dataset)
    if args.smoke:
        data = dataclasses.replace(data, train=data.train.sample(512))
    with tempfile.TemporaryDirectory() as tmp:
        epochs = 1 if args.smoke else args.epochs
        vae(data, Path(tmp), epochs, args.compile, device, args.bf16)
        dcgan(data, Path(tmp), epochs, 4 if args.smoke else 40, args.compile, device, args.bf16)


if __name__ == "__main__":
    main()
