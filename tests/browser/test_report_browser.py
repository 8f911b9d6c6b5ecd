"""Measure a checkpoint on the Model report page in a real browser."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=60_000)


def test_measure_the_default_checkpoint_and_read_its_figures(page: Page, app_url: str):
    page.goto(f"{app_url}/report")
    page.get_by_role("button", name="Measure this checkpoint").click()
    table = page.get_by_role("table")
    expect(table.get_by_text("classifier FID")).to_be_visible()
    expect(table.get_by_text("class entropy (nats)")).to_be_visible()
    expect(page.get_by_text("Classes of the samples")).to_be_visible()
