"""Hostile files at every boundary: whatever the bytes, a clear refusal and never a crash."""

import contextlib
import hashlib
import io
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gen_core import checkpoints as ckpt
from gen_core.models import build_model
from gen_core.preprocess import ImageRejected, prepare
from gen_core.runs import RunRequest
from gen_core.runs.folder import read_request

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def sidecar():
    model = build_model("vae")
    meta = {
        "format": "gen_core-checkpoint",
        "format_version": 1,
        "library_version": "0.1.0",
        "created": "2026-01-01T00:00:00+00:00",
        "model": "vae",
        "family": "vae",
        "config": {"latent_dim": 2, "hidden": [512, 256]},
        "weights": {"file": "m.safetensors", "sha256": "0" * 64},
        "training_state": None,
        "step": 1,
        "epoch": 0,
        "dataset": {},
        "train": {},
        "history": [],
    }
    return model, meta


@FUZZ
@given(
    key=st.sampled_from(
        [
            "format_version",
            "model",
            "family",
            "config",
            "weights",
            "step",
            "epoch",
            "dataset",
            "train",
            "history",
            "training_state",
            "created",
        ]
    ),
    value=JSON,
)
def test_any_value_in_any_sidecar_field_is_a_checkpoint_error_or_a_checkpoint(
    tmp_path, sidecar, key, value
):
    _, meta = sidecar
    (tmp_path / "m.json").write_text(json.dumps({**meta, key: value}))
    try:
        info = ckpt.read_info(tmp_path / "m")
    except ckpt.CheckpointError:
        return
    assert isinstance(info.step, int) and isinstance(info.config, dict)


def test_a_deeply_nested_or_huge_sidecar_is_refused(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "two.json").write_text(
        json.dumps({"format": "gen_core-checkpoint", "format_version": "2"})
    )
    for name in ("deep", "two"):
        with pytest.raises(ckpt.CheckpointError):
            ckpt.read_info(tmp_path / name)
    assert ckpt.list_checkpoints(tmp_path) == []  # listed past, not a crash


@FUZZ
@given(header=st.binary(max_size=200), length=st.integers(0, 2**64 - 1))
def test_any_tensor_file_bytes_are_refused_cleanly(tmp_path, header, length):
    stem = ckpt.save_checkpoint(tmp_path / "m", build_model("vae"))
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(struct.pack("<Q", length) + header)
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["weights"]["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()  # it fits
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ckpt.CheckpointError):
        ckpt.load_checkpoint(stem)


@FUZZ
@given(data=st.binary(max_size=4000))
def test_any_upload_bytes_are_an_image_or_a_refusal(data):
    try:
        stages = prepare(data, "fuzz.png")
    except ImageRejected:
        return
    assert stages.tensor.shape == (1, 28, 28)


@FUZZ
@given(
    width=st.integers(1, 900),
    height=st.integers(1, 900),
    mode=st.sampled_from(["L", "RGB", "RGBA", "I;16", "P", "1", "CMYK"]),
    seed=st.integers(0, 2**32 - 1),
    fmt=st.sampled_from(["PNG", "JPEG"]),
)
def test_any_image_size_and_mode_is_an_image_or_a_refusal(width, height, mode, seed, fmt):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)
    if mode == "I;16":  # 16-bit grey, as some scanners write
        image = Image.fromarray(pixels.astype(np.uint16) * 257)
    else:
        image = Image.fromarray(pixels).convert(mode)
    writable = {"JPEG": ("L", "RGB", "CMYK"), "PNG": ("L", "RGB", "RGBA", "I;16", "P", "1")}
    if image.mode not in writable[fmt]:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    with contextlib.suppress(ImageRejected):
        assert prepare(buffer.getvalue(), "fuzz").tensor.shape == (1, 28, 28)


@FUZZ
@given(record=JSON)
def test_any_run_json_is_a_request_or_a_value_error(tmp_path, record):
    (tmp_path / "run.json").write_text(json.dumps(record))
    with contextlib.suppress(ValueError):
        assert read_request(tmp_path)[0].model


@FUZZ
@given(
    key=st.sampled_from(["model", "config", "train", "processes", "resume", "title", "created"]),
    value=JSON,
)
def test_any_value_in_any_run_json_field_is_a_request_or_a_value_error(tmp_path, key, value):
    record = {"id": "x", "created": 1.0, **RunRequest.build("vae").to_json(), key: value}
    (tmp_path / "run.json").write_text(json.dumps(record))
    with contextlib.suppress(ValueError):
        assert read_request(tmp_path)[0].model == "vae"
