"""Helpers the tests import (pytest's conftest holds fixtures only, and is never imported)."""

import base64
import contextlib
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gen_core.device import seed_everything
from gen_core.images import save_grid
from gen_core.models import build_model
from gen_core.training import GANTrainConfig, VAETrainConfig, make_trainer

ROOT = Path(__file__).resolve().parent.parent


def require_datasets() -> bool:
    """CI sets GEN_CORE_REQUIRE_DATASETS=1 so a missing system dataset fails instead of skipping."""
    return os.environ.get("GEN_CORE_REQUIRE_DATASETS") == "1"


def params_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def open_page(page: str, timeout: float = 120, **query: str):
    """AppTest of the real entry point (app.py), switched to ``page`` (e.g. "pages/train.py")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run()


def component_data(at, key: str) -> dict:
    """The data a page gave the browser component with ``key`` (an AppTest holds no JavaScript)."""
    found = [e for e in at.get("bidi_component") if e.proto.id.endswith(f"-{key}")]
    assert found, f"no component {key!r} on the page"
    return json.loads(found[0].proto.json)


def sprite_images(sprite: dict, count: int) -> torch.Tensor:
    """The first ``count`` images of a component's sprite, as (N, 1, H, W) in [0, 1]."""
    data = base64.b64decode(sprite["url"].split(",", 1)[1])
    sheet = torch.from_numpy(np.array(Image.open(io.BytesIO(data)).convert("L"))).float() / 255
    size, cols = sprite["size"], sprite["cols"]
    tiles = [
        sheet[
            (i // cols) * size : (i // cols + 1) * size, (i % cols) * size : (i % cols + 1) * size
        ]
        for i in range(count)
    ]
    return torch.stack(tiles)[:, None]


def png(array: np.ndarray, mode: str | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    image.save(buffer, format=save.pop("format", "PNG"), **save)
    return buffer.getvalue()


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def wait_for(manager, run_id, statuses, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        manager.refresh()
        status = manager.status(run_id)
        if status.status in statuses:
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {manager.status(run_id).status}, wanted {statuses}")


def cli_here(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m gen_core ARGS`` run in this process, as :func:`cli` reports it: for the tests of
    what a command says and writes, where a fresh process would only add torch's import (~4 s).
    The signal handlers a training command sets are put back after it."""
    from gen_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exit:  # argparse's refusals and --help
                code = exit.code if isinstance(exit.code, int) else 1
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    proc = subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
    if check and code != 0:
        raise AssertionError(f"exit {code}\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "gen_core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def fake_run(
    root,
    run_id,
    model,
    settings,
    step_rows,
    end="finished",
    grids=(),
    dataset=None,
    end_step=None,
    quality=(),
):
    """A run folder written by hand, as a finished run leaves it (``end`` None: one still going);
    ``grids``: (step, images);
    ``end_step``: where it ended, when past its last logged step (a stop); ``quality``: rows of
    its quality events."""
    from gen_core.runs import EventFile, RunRequest
    from gen_core.runs.folder import write_request

    folder = root / run_id
    folder.mkdir(parents=True)
    request = RunRequest.build(model, settings)
    write_request(folder, request, time.time())
    lines = [
        {
            "type": "start",
            "step": 0,
            "model": model,
            "family": request.family,
            "device": "CPU",
            "total_steps": 100,
            "dataset": dataset or {"name": "mnist-5k"},
            "parameters": 1,
        }
    ]
    lines += [
        {
            "type": "step",
            "epoch": 0,
            "images_per_s": 1000.0,
            "eta_s": 0.0,
            "total_steps": 100,
            **row,
        }
        for row in step_rows
    ]
    for step, images in grids:
        path = save_grid(images, folder / "samples" / f"step_{step:07d}.png")
        lines.append(
            {"type": "samples", "step": step, "epoch": step // 50, "path": f"samples/{path.name}"}
        )
    lines += [{"type": "quality", "seconds": 0.1, **row} for row in quality]
    if end:  # None: still going, no terminal event yet
        lines.append({"type": end, "step": end_step or step_rows[-1]["step"]})
    with EventFile(folder) as events:
        for line in lines:
            events.write(line)
    return run_id


def trainer_for(
    name, images, folder=None, model_config=None, labels=None, dataset_info=None, **overrides
):
    """A seeded CPU trainer of ``name`` that collects its events; with ``folder`` it writes its
    checkpoint there (a folder under runs/ is a run the pages can pick)."""
    seed_everything(overrides.get("seed", 0))
    model = build_model(name, model_config)
    config_cls = GANTrainConfig if model.family == "gan" else VAETrainConfig
    config = config_cls(**{"device": "cpu", "log_every": 10, "sample_every": 1000, **overrides})
    events = []
    trainer = make_trainer(
        model,
        images,
        config,
        callbacks=[events.append],
        checkpoint_path=folder / "checkpoint" if folder else None,
        labels=labels,
        dataset_info=dataset_info,
    )
    return trainer, events


def draw(page, canvas, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw strokes with a Playwright page's mouse, each a list of points in [0, 1] of the canvas.

    Waits for the canvas to have a box: a rerun can replace it just after it first shows, and
    the locator then finds no box for a moment (seen once in CI, under load)."""
    deadline = time.monotonic() + 30
    while (box := canvas.bounding_box()) is None:
        assert time.monotonic() < deadline, "the canvas never showed a box to draw on"
        page.wait_for_timeout(100)
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()
