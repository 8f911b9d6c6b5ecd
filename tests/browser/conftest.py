"""A real app server and a real headless Chromium (Debian's), driven by Playwright."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

from ..helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from _browser import CHROMIUM, FLAGS, serve  # noqa: E402 - the benchmarks' server, shared

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def app_runs() -> Path:
    """The runs folder of the browser tests' app server."""
    return Path(tempfile.mkdtemp(prefix="gen_core_browser_runs_"))


@pytest.fixture(scope="session")
def app_url(app_runs):
    """One app server for the whole session's browser tests."""
    with serve(app_runs) as (url, _):
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
