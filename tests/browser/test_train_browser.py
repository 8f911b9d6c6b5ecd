"""Click through the Train page in a real browser, as a person would."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gen_core.runs import RunManager
from gen_core.training.remedies import remedies

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=20_000)


def loss_points(page: Page) -> int:
    """Points in the first trace of the losses chart, read from the Plotly graph in the page."""
    return page.evaluate(
        """() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
                   const losses = plots.find(p => (p.layout?.title?.text || '').includes('Losses'));
                   return losses && losses.data.length ? losses.data[0].x.length : 0; }"""
    )


def wait_for_more_points(page: Page, than: int, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = loss_points(page)
        if n > than:
            return n
        page.wait_for_timeout(300)
    raise AssertionError(f"the losses chart stayed at {than} points")


def test_start_watch_reload_and_stop_a_dcgan_run(page: Page, app_url: str):
    page.goto(f"{app_url}/train")
    expect(page.get_by_role("button", name="Start training")).to_be_visible()
    page.get_by_role("button", name="Start training").click()
    expect(page).to_have_url(re.compile(r"run=\d{8}-\d{6}-dcgan-"), timeout=15_000)
    run_id = re.search(r"run=([\w-]+)", page.url).group(1)
    expect(page.get_by_text(f"Run {run_id}", exact=False)).to_be_visible()

    first = wait_for_more_points(page, 0)
    second = wait_for_more_points(page, first)  # the chart updates at least twice, by itself
    wait_for_more_points(page, second)
    expect(page.get_by_text(re.compile(r"^step \d+ · epoch \d+$"))).to_be_visible()
    width = 8 * 28 + 9 * 2  # the 8x8 sample grid PNG, loaded by the browser (between reruns)
    page.wait_for_function(f"() => [...document.images].some(i => i.naturalWidth === {width})")

    page.reload()
    expect(page.get_by_text(f"Run {run_id}", exact=False)).to_be_visible()
    expect(page.get_by_text("running", exact=False).first).to_be_visible()
    assert wait_for_more_points(page, 0) > 0

    page.locator(".st-key-stop_run button").click()  # not the header's "Stop" (of a running script)
    expect(page.get_by_text("stopped", exact=False).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Checkpoint saved at step")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Download checkpoint"))).to_be_visible()


def compare_traces(page: Page) -> list[int]:
    """Points per line of the Compare tab's chart, read from the Plotly graph in the page."""
    return page.evaluate(
        """() => { const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
                       p => (p.layout?.title?.text || '').includes('L_D'));
                   return plot ? plot.data.map(t => t.x.length) : []; }"""
    )


def test_queue_the_remedy_runs_and_watch_them_fill_one_chart(
    page: Page, app_url: str, app_runs: Path
):
    page.goto(f"{app_url}/train")
    page.get_by_text("fcgan", exact=True).first.click()
    page.get_by_text("Advanced").click()
    steps = page.get_by_label("Stop after this many steps (0 = all epochs)")
    steps.fill("10")
    steps.press("Enter")
    names = list(remedies("fcgan"))
    page.get_by_role("button", name=f"Queue the {len(names)} remedy runs").click()
    # All but the first two are stopped as they are queued, so they never start: a second
    # manager on the server's folder, as a restarted server has.
    manager, stopped, deadline = RunManager(app_runs), set(), time.monotonic() + 60
    while len(stopped) < len(names) - 2:
        assert time.monotonic() < deadline, f"only {len(stopped)} runs were queued to stop"
        for run in manager.list_runs():
            if run.title and run.title not in (*names[:2], *stopped):
                manager.stop(run.id)
                stopped.add(run.title)
        page.wait_for_timeout(50)
    expect(page.get_by_text("Legends name each run's remedy", exact=False)).to_be_visible()
    deadline = time.monotonic() + 270
    while compare_traces(page) != [3] * 2:  # steps 1, 5 and 10 of each: filled by itself
        assert time.monotonic() < deadline, f"the comparison stopped at {compare_traces(page)}"
        page.wait_for_timeout(500)
    expect(page.get_by_text("Waiting their turn", exact=False)).to_have_count(0)
    expect(page.get_by_text("Ended before their first logged step", exact=False)).to_be_visible()
    expect(page.get_by_text("Where each run ended", exact=False)).to_be_visible()
