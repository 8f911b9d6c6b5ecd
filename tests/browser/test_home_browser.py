"""Arrive on the home page in a real browser and move around as a first-time visitor does."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

expect.set_options(timeout=30_000)


def test_home_names_the_data_and_its_links_open_every_page(page: Page, app_url: str):
    page.goto(app_url)
    expect(page.get_by_text("Dataset in use:")).to_be_visible()
    expect(page.get_by_text("mnist-5k: 4,000 train / 1,000 test images")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Latent space: explore")).click()
    expect(page).to_have_url(re.compile(r"/latent_space\?checkpoint=checkpoints%2Fvae$"))
    expect(page.get_by_role("heading", name="Latent space")).to_be_visible()
    expect(page.get_by_text("test digits of mnist-5k encoded")).to_be_visible()

    for name, heading in (
        ("Interpolate", "Interpolate"),
        ("Anomaly", "Anomaly check"),
        ("Model report", "Model report"),
        ("Train", "Train"),
        ("Home", None),
    ):
        page.get_by_test_id("stSidebar").get_by_role("link", name=name).click()
        title = heading or "Generative-model explorer"
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
