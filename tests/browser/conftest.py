"""A real app server and a real headless Chromium (Debian's), driven by Playwright."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from ..helpers import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve():
    """`streamlit run app.py` on a free loopback port, with its own runs folder: its URL."""
    port = _free_port()
    runs = tempfile.mkdtemp(prefix="gen_core_browser_runs_")
    env = {**os.environ, "GEN_CORE_RUNS": runs, "GEN_CORE_OFFLINE": "1"}
    log = open(Path(runs) / "streamlit.log", "wb")  # noqa: SIM115 - closed at teardown
    args = ["run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", *args],
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
            raise RuntimeError(f"streamlit exited: {(Path(runs) / 'streamlit.log').read_text()}")
        time.sleep(0.3)
    try:
        yield url
    finally:
        for stop in Path(runs).glob("*/run.json"):
            (stop.parent / "STOP").touch()
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def app_url():
    """One app server for the whole session's browser tests."""
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("GEN_CORE_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser tab; on failure its screenshot goes to test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
