"""The baselines the benchmarks compare against, written the common tutorial way.

The VAE follows the PyTorch examples' `vae/main.py` (784-400-20, sigmoid + BCE summed, Adam 1e-3,
batch 128) and the GAN loop the PyTorch DCGAN tutorial (D on real, D on a detached fake, then G
on the same fake), both fed by a torchvision ``MNIST`` dataset with ``ToTensor`` through a
``DataLoader``. torchvision cannot download MNIST here, so the mnist-5k digits are written as
MNIST's own IDX files and torchvision reads them as it would the real thing.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from gen_core.data import Dataset

CPU = torch.device("cpu")
IDX_FILES = {  # torchvision's names for MNIST's four files
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def write_idx(path: Path, array: np.ndarray) -> None:
    """An uint8 array in the IDX format MNIST ships in (magic 0x08, dims, big-endian sizes)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def torchvision_mnist(data: Dataset, root: Path, train: bool, transform: object) -> datasets.MNIST:
    """``datasets.MNIST(root, train, transform=...)`` over ``data``'s digits, as a tutorial has it."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for (split_name, part), name in IDX_FILES.items():
        split = data.train if split_name == "train" else data.test
        array = split.images.squeeze(1).numpy() if part == "images" else split.labels.numpy()
        write_idx(raw / name, array)
        with gzip.open(raw / f"{name}.gz", "wb") as f:  # present, as after a download
            f.write((raw / name).read_bytes())
    return datasets.MNIST(str(root), train=train, download=False, transform=transform)


class ExampleVAE(nn.Module):
    """The PyTorch examples' VAE: 784-400-20, sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def example_vae_loss(
    recon: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> torch.Tensor:
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def loader_options(device: torch.device) -> dict[str, Any]:
    """The examples' DataLoader settings: one worker and pinned memory on CUDA, none on the CPU."""
    return {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}


def vae_loader(
    mnist: datasets.MNIST,
    batch_size: int = 128,
    shuffle: bool = True,
    device: torch.device = CPU,
) -> DataLoader:
    return DataLoader(mnist, batch_size=batch_size, shuffle=shuffle, **loader_options(device))


def example_vae_epoch(
    model: ExampleVAE,
    opt: torch.optim.Optimizer,
    loader: DataLoader,
    device: torch.device = CPU,
) -> int:
    """One epoch of the example's ``train``; returns the images seen."""
    model.train()
    seen = 0
    for x, _ in loader:
        x = x.to(device)
        opt.zero_grad()
        recon, mu, logvar = model(x)
        loss = example_vae_loss(recon, x, mu, logvar)
        loss.backward()
        opt.step()
        seen += len(x)
    return seen


@torch.no_grad()
def example_vae_test_loss(model: ExampleVAE, loader: DataLoader) -> float:
    """The example's ``test``: summed BCE + KL over the test set, per image (nats)."""
    model.eval()
    total = 0.0
    for x, _ in loader:
        recon, mu, logvar = model(x)
        total += float(example_vae_loss(recon, x, mu, logvar))
    return total / len(loader.dataset)  # type: ignore[arg-type]


def gan_loader(mnist: datasets.MNIST, batch_size: int, device: torch.device = CPU) -> DataLoader:
    return DataLoader(
        mnist, batch_size=batch_size, shuffle=True, drop_last=True, **loader_options(device)
    )


def gan_transform(size: int = 28) -> transforms.Compose:
    resize = [transforms.Resize(size)] if size != 28 else []
    return transforms.Compose(
        [*resize, transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    )


def tutorial_gan_steps(
    G: nn.Module,
    D: nn.Module,
    nz: int,
    loader: DataLoader,
    lr: float = 2e-4,
    device: torch.device = CPU,
) -> Iterator[int]:
    """The DCGAN tutorial's loop (BCE on D's logits); yields the images seen after each step."""
    criterion = nn.BCEWithLogitsLoss()
    G, D = G.to(device), D.to(device)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    while True:
        for real, _ in loader:
            real = real.to(device)
            b = len(real)
            ones, zeros = torch.ones(b, device=device), torch.zeros(b, device=device)
            D.zero_grad()
            err_real = criterion(D(real).view(-1), ones)
            err_real.backward()
            fake = G(torch.randn(b, nz, 1, 1, device=device))
            err_fake = criterion(D(fake.detach()).view(-1), zeros)
            err_fake.backward()
            opt_d.step()
            G.zero_grad()
            criterion(D(fake).view(-1), ones).backward()
            opt_g.step()
            yield b


class ExampleG64(nn.Module):
    """The PyTorch examples' 64-px DCGAN generator (nz 100, ngf 64), one channel."""

    def __init__(self, nz: int = 100, ngf: int = 64) -> None:
        super().__init__()

        def up(c_in: int, c_out: int, stride: int, padding: int) -> list[nn.Module]:
            conv = nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=False)
            return [conv, nn.BatchNorm2d(c_out), nn.ReLU(True)]

        self.main = nn.Sequential(
            *up(nz, ngf * 8, 1, 0),
            *up(ngf * 8, ngf * 4, 2, 1),
            *up(ngf * 4, ngf * 2, 2, 1),
            *up(ngf * 2, ngf, 2, 1),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class ExampleD64(nn.Module):
    """The PyTorch examples' 64-px DCGAN discriminator (ndf 64); returns logits."""

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()

        def down(c_in: int, c_out: int) -> list[nn.Module]:
            return [
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.LeakyReLU(0.2, True),
            ]

        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, True),
            *down(ndf, ndf * 2),
            *down(ndf * 2, ndf * 4),
            *down(ndf * 4, ndf * 8),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)
