"""The app served for a browser, and Debian's headless Chromium: what the browser tests and the
browser benchmarks share."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

PAGES = (  # each page's path and the title it shows once drawn
    ("", "Generative-model explorer"),
    ("train", "Train"),
    ("interpolate", "Interpolate"),
    ("latent_space", "Latent space"),
    ("anomaly", "Anomaly check"),
    ("report", "Model report"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(runs: Path | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The app (`python -m ui.serve`, as `make run` starts it) on a free loopback port with its own runs folder (``runs``, else a
    new one): (URL, process). Runs it started are asked to stop when it goes."""
    port = free_port()
    runs = runs or Path(tempfile.mkdtemp(prefix="gen_core_browser_runs_"))
    env = {**os.environ, "GEN_CORE_RUNS": str(runs), "GEN_CORE_OFFLINE": "1"}
    log = open(runs / "streamlit.log", "wb")  # noqa: SIM115 - closed at teardown
    args = ["--server.port", str(port), "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", *args, "--server.headless", "true"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(runs / 'streamlit.log').read_text()}")
        time.sleep(0.3)
    try:
        yield url, proc
    finally:
        for request in runs.glob("*/run.json"):
            (request.parent / "STOP").touch()
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
