"""Five people open a cold server at once: every page settles, none shows an error."""

import pytest
from playwright.sync_api import expect

from .conftest import serve

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

PAGES = ["", "anomaly", "latent_space", "interpolate", "train"]


def test_five_browsers_on_a_cold_server_see_no_error(browser):
    with serve() as (
        url,
        _,
    ):  # a fresh server: its first imports happen under five sessions at once
        contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in PAGES]
        pages = [context.new_page() for context in contexts]
        for page, path in zip(pages, PAGES, strict=True):
            page.goto(f"{url}/{path}", wait_until="commit")
        try:
            for page in pages:
                expect(page.locator('[data-testid="stSidebar"]')).to_be_visible(timeout=120_000)
                expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(
                    0, timeout=180_000
                )
                assert page.locator('[data-testid="stException"]').count() == 0
                assert page.get_by_text("partially initialized").count() == 0
                assert page.get_by_text("Traceback").count() == 0
        finally:
            for context in contexts:
                context.close()
