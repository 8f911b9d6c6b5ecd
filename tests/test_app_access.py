"""Served to a network, the app lets everyone look and only a signed-in person start runs."""

import pytest
from streamlit import config

from .helpers import open_page

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

TRAIN = "pages/train.py"


@pytest.fixture
def on_a_network():
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_on_this_machine_alone_runs_need_no_sign_in():
    at = open_page(TRAIN)
    assert any(b.key == "start" for b in at.button) and not at.get("form")


def test_open_to_a_network_without_a_password_nobody_starts_a_run(on_a_network):
    at = open_page(TRAIN)
    assert not any(b.key == "start" for b in at.button)
    assert any("without a password" in i.value for i in at.info)
    assert any(p.value for p in at.markdown if "Sign in" in p.value)


def test_with_the_shared_password_a_named_person_starts_runs_as_themselves(
    on_a_network, monkeypatch
):
    monkeypatch.setenv("GEN_CORE_PASSWORD", "s3cret")
    at = open_page(TRAIN)
    assert not any(b.key == "start" for b in at.button)
    at.text_input(key="access_name").set_value("Ada")
    at.text_input(key="access_password").set_value("wrong")
    at.get("form")[0]  # the sign-in form is there
    at.button[[b.label for b in at.button].index("Sign in")].click().run()
    assert any("shared password" in e.value for e in at.error)
    at.text_input(key="access_password").set_value("s3cret")
    at.button[[b.label for b in at.button].index("Sign in")].click().run()
    assert any("Signed in as Ada" in c.value for c in at.caption)
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_steps").set_value(5)
    at.button(key="start").click().run()
    from gen_core.runs import RunManager
    from ui.common import RUNS

    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    manager = RunManager(RUNS)
    assert manager.status(run_id).request.owner == "Ada"
    manager.stop(run_id)
