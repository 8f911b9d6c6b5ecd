"""The app as a person uses it, through Streamlit's AppTest: real runs, real processes."""

import json
import time

import pytest
import torch
from streamlit.testing.v1 import AppTest

from gen_core.runs import RunFeed, RunManager, RunStart

from .helpers import ROOT, fake_run, open_page, wait_for

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

TRAIN = "pages/train.py"
APP = str(ROOT / "app.py")  # the home page


def header(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("#### Run")), "")


def chart_points(at: AppTest, key: str) -> int:
    chart = next((c for c in at.get("plotly_chart") if key in c.proto.id), None)
    figure = json.loads(chart.proto.spec) if chart else {"data": []}
    return len(figure["data"][0]["x"]) if figure["data"] else 0  # drawn empty before its first


def rerun_until(at: AppTest, done, timeout=180.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception
        if done(at):
            return at
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting; header: {header(at)!r}")


@pytest.fixture
def train_page():
    at = open_page(TRAIN)
    assert not at.exception
    yield at
    manager = RunManager(__import__("ui.common", fromlist=["RUNS"]).RUNS)
    for run in manager.list_runs():
        if run.status in ("queued", "running"):
            manager.stop(run.id)


def start(at: AppTest, model: str, steps: int) -> AppTest:
    at.button_group(key="t_model").set_value(model).run()
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_steps").set_value(steps)
    at.button(key="start").click().run()
    assert not at.exception
    return at


def run_in_url(at: AppTest) -> str:
    run_id = at.query_params["run"]
    return run_id[0] if isinstance(run_id, list) else run_id


def started_run(at: AppTest) -> tuple[dict, RunStart]:
    """Press Start, wait for the training process to announce itself, stop it, and return the
    settings the form gave it and its start event (with the schedule the trainer chose)."""
    from ui.common import RUNS

    at.button(key="start").click().run()
    assert not at.exception
    run_id = run_in_url(at)
    feed, deadline = RunFeed(RUNS / run_id), time.monotonic() + 120
    while feed.start is None and time.monotonic() < deadline:
        time.sleep(0.2)
        feed.update()
    manager = RunManager(RUNS)
    manager.stop(run_id)
    assert feed.start is not None, manager.status(run_id).reason
    return manager.status(run_id).request.settings, feed.start


def test_home_page_names_the_dataset_and_lists_the_shipped_checkpoints():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    dataset = at.info[0].value
    assert "mnist-5k" in dataset and "4,000 train" in dataset and "auto" in dataset
    assert any("Device: CPU" in c.value for c in at.caption)
    listed = at.dataframe[0].value
    assert {"dcgan", "fcgan", "vae", "conv-vae"} <= set(listed["model"])
    assert {"dcgan (shipped)", "vae (shipped)"} <= set(listed["checkpoint"])


def test_the_start_tab_shows_how_the_shipped_model_of_the_picked_kind_trained(train_page):
    """The shipped checkpoint's own curves, from its stored history, beside the form."""
    from gen_core.checkpoints import read_info

    at = train_page
    for model, first in (("dcgan", "L_D (discriminator)"), ("vae", "−ELBO (recon + β·KL)")):
        at.button_group(key="t_model").set_value(model).run()
        chart = next(c for c in at.get("plotly_chart") if "chart_reference" in c.proto.id)
        figure = json.loads(chart.proto.spec)
        info = read_info(ROOT / "checkpoints" / model)
        history, title = info.history, figure["layout"]["title"]["text"]
        assert f"shipped {model} trained ({info.epoch} epochs of mnist-5k" in title
        assert ("hinge loss" in title) == (model == "dcgan")
        assert figure["data"][0]["name"] == first
        assert figure["data"][0]["x"] == [row["step"] for row in history]


def test_a_tiny_run_starts_grows_its_charts_and_finishes(train_page):
    at = start(train_page, "dcgan", 120)
    run_id = run_in_url(at)
    assert run_id in header(at)
    rerun_until(at, lambda a: any("chart_losses" in c.proto.id for c in a.get("plotly_chart")))
    first = chart_points(at, "chart_losses")
    rerun_until(at, lambda a: "finished" in header(a) or chart_points(a, "chart_losses") > first)
    rerun_until(at, lambda a: "finished" in header(a))
    assert chart_points(at, "chart_losses") == 1 + 120 // 5 > first  # step 1, then every 5
    assert any("chart_dx" in c.proto.id for c in at.get("plotly_chart"))
    assert any("Checkpoint saved at step 120" in s.value for s in at.success)
    assert any(b.label.startswith("Download checkpoint") for b in at.get("download_button"))

    reloaded = open_page(TRAIN, run=run_id)  # a reload, or the link opened in another browser
    assert run_id in header(reloaded) and "finished" in header(reloaded)


def test_stopping_a_run_saves_a_checkpoint_that_other_pages_can_pick(train_page):
    at = start(train_page, "vae", 0)  # five epochs: long enough to stop
    rerun_until(at, lambda a: "running" in header(a) and chart_points(a, "chart_elbo") > 0)
    at.button(key="stop_run").click().run()
    rerun_until(at, lambda a: "stopped" in header(a))
    assert any("Checkpoint saved at step" in s.value for s in at.success)
    home = AppTest.from_file(APP, default_timeout=60).run()
    run_id = run_in_url(at)
    assert any(run_id in label for label in home.dataframe[0].value["checkpoint"])


def test_switching_to_wgan_gp_turns_off_batch_norm_and_sets_critic_steps(train_page):
    at = train_page
    at.selectbox(key="t_loss").set_value("wgan-gp").run()
    assert at.checkbox(key="t_bn_True").value is False and at.checkbox(key="t_bn_True").disabled
    assert at.number_input(key="t_dsteps_True").value == 5


def test_a_failed_run_shows_its_reason_without_a_traceback(train_page):
    at = train_page
    at.selectbox(key="t_dataset").set_value(
        "mnist"
    )  # not on this machine: the run must fail politely
    at.number_input(key="t_steps").set_value(5)
    at.button(key="start").click().run()
    rerun_until(at, lambda a: "failed" in header(a))
    assert any("MNIST" in e.value for e in at.error)
    assert not at.exception


def test_a_run_where_d_wins_shows_the_warning_and_compare_overlays_runs(train_page):
    from ui.common import RUNS

    rows = [
        {"step": 10 * i, "loss_d": 0.1, "loss_g": 5.0, "d_x": 0.99, "d_g_z": 0.01}
        for i in range(1, 9)
    ]
    winning = fake_run(RUNS, "20000101-000000-dcgan-aaaa", "dcgan", {"label_smoothing": 0.0}, rows)
    healed = [{**r, "d_g_z": 0.3, "loss_g": 1.3} for r in rows]
    smoothed = fake_run(
        RUNS, "20000101-000001-dcgan-bbbb", "dcgan", {"label_smoothing": 0.1}, healed
    )
    at = open_page(TRAIN, run=winning)
    assert any("discriminator is winning" in w.value for w in at.warning)
    at.session_state["train_tab"] = "Compare runs"
    at.run()
    assert sorted(at.multiselect(key="compare_runs").value) == [winning, smoothed]  # the newest two
    assert any("differs between these runs: label_smoothing." in c.value for c in at.caption)
    at.selectbox(key="compare_metric").set_value("d_g_z").run()
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "compare_chart" in c.proto.id).proto.spec
    )
    names = sorted(trace["name"] for trace in chart["data"])
    assert (
        len(names) == 2 and "label_smoothing=0.1" in names[1] and "label_smoothing=0.0" in names[0]
    )


def test_sample_quality_is_charted_warns_of_collapse_and_ranks_the_compared_runs(train_page):
    from ui.common import RUNS

    rows = [
        {"step": 10 * i, "loss_d": 1.0, "loss_g": 1.0, "d_x": 0.6, "d_g_z": 0.4} for i in (1, 2)
    ]
    worse = fake_run(
        RUNS,
        "20000101-000006-dcgan-gggg",
        "dcgan",
        {"label_smoothing": 0.0},
        rows,
        quality=[
            {"step": 5, "fid": 900.0, "class_entropy": 1.0, "confident": 0.0},
            {"step": 10, "fid": 280.0, "class_entropy": 2.2, "confident": 0.3},
            {"step": 20, "fid": 300.0, "class_entropy": 1.5, "confident": 0.4},
        ],
    )
    better = fake_run(
        RUNS,
        "20000101-000007-dcgan-hhhh",
        "dcgan",
        {"label_smoothing": 0.1},
        rows,
        quality=[{"step": 20, "fid": 120.0, "class_entropy": 2.1, "confident": 0.7}],
    )
    at = open_page(TRAIN, run=worse)
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "chart_quality" in c.proto.id).proto.spec
    )
    assert chart["data"][0]["y"] == [900.0, 280.0, 300.0]
    assert any("At step 20: FID 300.0, class entropy 1.50" in c.value for c in at.caption)
    warning = next(w.value for w in at.warning if "class entropy of the samples fell" in w.value)
    assert "from 2.20 nats (step 10) to 1.50 (step 20" in warning
    at.session_state["train_tab"] = "Compare runs"
    at.run()
    at.multiselect(key="compare_runs").set_value([worse, better]).run()
    table = next(d.value for d in at.dataframe if "final classifier FID" in d.value)
    assert list(table["final classifier FID"]) == [120.0, 300.0]  # best sample quality first


def test_a_gan_whose_samples_lose_digits_shows_their_classes_and_a_collapse_warning(
    train_page, mnist5k
):
    from ui.common import RUNS

    test = mnist5k.test
    every_digit = torch.cat(
        [test.images[test.labels == d][:6] for d in range(10)] + [test.images[:4]]
    )
    ones_and_sevens = torch.cat([test.images[test.labels == d][:32] for d in (1, 7)])
    grids = [(100, every_digit), (200, every_digit), (300, ones_and_sevens)]
    grids = [(step, images.float() / 255) for step, images in grids]
    rows = [
        {"step": 100 * i, "loss_d": 1.0, "loss_g": 1.0, "d_x": 0.6, "d_g_z": 0.4} for i in (1, 2, 3)
    ]
    collapsing = fake_run(RUNS, "20000101-000002-dcgan-cccc", "dcgan", {}, rows, grids=grids)
    at = open_page(TRAIN, run=collapsing)
    assert not at.exception
    warning = next(w.value for w in at.warning if "Mode collapse" in w.value)
    assert "digits 0, 2, 3, 4, 5, 6, 8, 9" in warning and "step 300" in warning
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "chart_classes" in c.proto.id).proto.spec
    )
    shares = chart["data"][0]["y"]
    assert shares[1] + shares[7] > 0.9 and "step 300" in chart["layout"]["title"]["text"]


def test_a_grey_step_0_grid_is_read_as_no_digit_not_as_zeros(train_page):
    from ui.common import RUNS

    grey = torch.full((64, 1, 28, 28), 0.5)  # what an untrained generator draws
    rows = [{"step": 10, "loss_d": 1.0, "loss_g": 1.0, "d_x": 0.6, "d_g_z": 0.4}]
    run = fake_run(RUNS, "20000101-000003-dcgan-dddd", "dcgan", {}, rows, grids=[(0, grey)])
    at = open_page(TRAIN, run=run)
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "chart_classes" in c.proto.id).proto.spec
    )
    assert sum(chart["data"][0]["y"]) == 0  # not "100% digit 0"
    assert any("64 of 64 samples it reads as no class" in c.value for c in at.caption)


def first_ticks(run_id: str) -> None:
    """The live view of a run as its fragment's ticks draw it after Start: the first tick as
    the one that sees the first point, every later one polled as usual."""
    import streamlit as st

    from ui.common import run_manager
    from ui.run_view import FIRST_S, _live

    ticks = st.session_state["ticks"] = st.session_state.get("ticks", 0) + 1
    _live(run_manager(), run_id, "running", FIRST_S if ticks == 1 else None)


def test_before_its_first_point_a_running_run_shows_its_empty_chart_and_grid_and_nothing_else(
    train_page,
):
    """The first seconds after Start belong to the run's first step: the grid's class chart and
    the formulas (a second plotly chart, KaTeX) come with the first logged point."""
    import subprocess
    import sys

    from gen_core.runs import EventFile
    from ui.common import RUNS

    grey = torch.full((64, 1, 28, 28), 0.5)
    run = fake_run(RUNS, "20000101-000009-dcgan-ffff", "dcgan", {}, [], None, grids=[(0, grey)])
    folder = RUNS / run
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", str(folder)])
    try:
        (folder / "pid").write_text(str(sleeper.pid))
        at = open_page(TRAIN, run=run)
        assert not at.exception and "running" in header(at)
        assert chart_points(at, "chart_losses") == 0 and any(
            "step 0" in c for e in at.get("image") for c in e.captions
        )
        assert not any("chart_classes" in c.proto.id for c in at.get("plotly_chart"))
        assert not [e for e in at.expander if "What you are seeing" in e.label]
        with EventFile(folder) as events:
            events.write({"type": "step", "step": 1, "epoch": 0, "loss_d": 1.0, "loss_g": 1.0,
                          "d_x": 0.6, "d_g_z": 0.4, "images_per_s": 100.0, "eta_s": 1.0,
                          "total_steps": 100})  # fmt: skip
        at = open_page(TRAIN, run=run)
        assert chart_points(at, "chart_losses") == 1
        assert any("chart_classes" in c.proto.id for c in at.get("plotly_chart"))
        assert [e for e in at.expander if "What you are seeing" in e.label]
        # The live view's tick that sees the first point draws it and nothing new beside it;
        # its next tick draws the rest.
        first = AppTest.from_function(first_ticks, args=(run,)).run()
        second = AppTest.from_function(first_ticks, args=(run,)).run().run()
        for tick in (first, second):
            assert not tick.exception and chart_points(tick, "chart_losses") == 1
        charts = [[c.proto.id for c in t.get("plotly_chart")] for t in (first, second)]
        assert not any("chart_dx" in i or "chart_classes" in i for i in charts[0])
        assert not [e for e in first.expander if "What you are seeing" in e.label]
        assert any("chart_dx" in i for i in charts[1])
        assert any("chart_classes" in i for i in charts[1])
        assert [e for e in second.expander if "What you are seeing" in e.label]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_run_stopped_between_logs_shows_the_step_it_stopped_and_saved_at(train_page):
    from ui.common import RUNS

    rows = [{"step": 10, "loss_d": 1.0, "loss_g": 1.0, "d_x": 0.6, "d_g_z": 0.4}]
    run = fake_run(RUNS, "20000101-000004-dcgan-eeee", "dcgan", {}, rows, "stopped", end_step=13)
    at = open_page(TRAIN, run=run)
    assert any(p.proto.text == "step 13 of 100 · stopped there" for p in at.get("progress"))


def test_resume_a_shipped_checkpoint_for_one_more_epoch(train_page):
    at = train_page
    at.sidebar.selectbox[0].set_value(str(ROOT / "checkpoints" / "vae")).run()
    resume_epochs = next(n for n in at.number_input if n.label == "Total epochs")
    assert resume_epochs.value == 65  # shipped at epoch 60
    resume_epochs.set_value(61).run()
    at.button(key="resume").click().run()
    rerun_until(at, lambda a: "finished" in header(a) or "failed" in header(a))
    assert "finished" in header(at), [e.value for e in at.error]
    run_id = run_in_url(at)
    from gen_core.checkpoints import read_info
    from ui.common import RUNS

    info = read_info(RUNS / run_id / "checkpoint")
    assert (info.step, info.epoch) == (3720 + 62, 61) and info.model == "vae"


def test_the_train_page_launches_two_processes_through_torchrun(train_page):
    at = train_page
    at.button_group(key="t_model").set_value("vae").run()
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_steps").set_value(20)
    at.number_input(key="t_processes").set_value(2).run()
    at.button(key="start").click().run()
    rerun_until(at, lambda a: "finished" in header(a) or "failed" in header(a), timeout=180)
    assert "finished" in header(at), [e.value for e in at.error]
    from gen_core.runs import read_events
    from ui.common import RUNS

    run_id = run_in_url(at)
    events, _ = read_events(RUNS / run_id / "events.jsonl")
    assert len(events[-1]["replicas"]) == 2


def test_advanced_settings_reach_the_run_and_intervals_count_every_process(train_page):
    at = train_page
    at.button_group(key="t_model").set_value("vae").run()
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_epochs").set_value(100)
    at.number_input(key="t_processes").set_value(2)
    at.number_input(key="t_shift").set_value(2)
    at.checkbox(key="t_bf16").check()
    settings, start = started_run(at)
    assert settings["augment_shift"] == 2 and settings["compile"] is False
    assert settings["bf16"] is True
    # 100 epochs of 4,000 digits at 64 per process on 2 processes: 3,100 steps, ~60 grids
    assert start.total_steps == 3100
    assert start.sample_every == 3100 // 60 and start.log_every == 3100 // 400


def test_hinge_spectral_norm_diffaugment_ema_r1_and_conditioning_reach_the_run(train_page):
    at = train_page
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.selectbox(key="t_loss").set_value("hinge").run()
    assert at.slider(key="t_smooth_False").disabled  # hinge scores have no labels to smooth
    at.checkbox(key="t_sn").check()
    at.checkbox(key="t_diffaugment").check()
    at.select_slider(key="t_ema").set_value(0.999)
    at.select_slider(key="t_r1").set_value(10.0)
    at.checkbox(key="t_conditional").check()
    at.multiselect(key="t_classes").set_value([3]).run()  # nine class codes it would never learn
    assert any("draws every class" in e.value for e in at.error)
    assert "start" not in [b.key for b in at.button]
    at.multiselect(key="t_classes").set_value([]).run()
    at.number_input(key="t_train_size").set_value(300)
    settings, start = started_run(
        at
    )  # started: the process gave the labelled images to its trainer
    assert settings["train_size"] == 300 and start.images == 300
    assert settings["loss"] == "hinge" and settings["d_spectral_norm"] is True
    assert settings["diffaugment"] is True and settings["label_smoothing"] == 0.0
    assert settings["ema"] == 0.999 and settings["r1"] == 10.0 and settings["conditional"] is True


def test_training_on_chosen_classes_passes_them_and_sizes_the_intervals(train_page):
    at = train_page
    at.button_group(key="t_model").set_value("vae").run()
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_epochs").set_value(60)
    at.multiselect(key="t_classes").set_value([8, 3])
    settings, start = started_run(at)
    # 60 epochs of the 800 threes and eights at 64 per step: 720 steps, a grid every 12
    assert settings["classes"] == "3,8" and start.classes == [3, 8]
    assert start.total_steps == 720 and start.sample_every == 720 // 60


def test_the_remedy_runs_take_turns_and_overlay_under_their_names(train_page):
    from gen_core.training.remedies import remedies
    from ui.common import RUNS

    manager = RunManager(RUNS)
    for run in manager.list_runs():  # runs earlier tests stopped may still be saving: the eleven
        if run.status in ("queued", "running"):  # need the whole of one person's share
            manager.stop(run.id)
            wait_for(manager, run.id, {"stopped", "finished", "failed"}, timeout=120)
    at = train_page
    at.button_group(key="t_model").set_value("fcgan").run()
    at.selectbox(key="t_dataset").set_value("mnist-5k")
    at.number_input(key="t_steps").set_value(15)
    at.number_input(key="t_train_size").set_value(300)  # the comparison on small data
    at.button(key="remedies").click().run()
    assert not at.exception and at.session_state["train_tab"] == "Compare runs"
    picked = at.multiselect(key="compare_runs").value
    runs = {manager.status(i).title: manager.status(i) for i in picked}
    assert set(runs) == set(remedies("fcgan"))  # all eleven picked, one per remedy
    settings = {title: run.request.settings for title, run in runs.items()}
    assert settings["slower D"]["lr_d"] == 5e-5 and settings["baseline"]["lr_d"] == 2e-4
    assert settings["WGAN-GP"]["d_steps"] == 5 and settings["dropout in D"]["d_dropout"]
    assert all(s["train_size"] == 300 for s in settings.values())  # one set of images for all
    assert any("Waiting their turn" in c.value for c in at.caption)  # one runs at a time
    # The first five in the queue train (WGAN-GP's critic among them); the other six are
    # stopped while they wait, as a person may do, and so never start (each run is a process
    # importing torch; queueing eleven takes a while, and the first ones start meanwhile).
    kept = set(list(remedies("fcgan"))[:5])
    assert "WGAN-GP" in kept
    for title, run in runs.items():
        if title not in kept:
            manager.stop(run.id)
    for title, run in runs.items():  # the queue goes on by itself: no page reruns taking CPU
        wait_for(manager, run.id, {"finished"} if title in kept else {"stopped"}, timeout=300)
    assert all(manager.status(run.id).step == 0 for t, run in runs.items() if t not in kept)
    at.run()
    assert any("Legends name each run's remedy" in c.value for c in at.caption)
    assert any(
        c.value.startswith("Ended before their first logged step") and "EMA of G" in c.value
        for c in at.caption
    )
    at.selectbox(key="compare_metric").set_value("d_g_z").run()
    chart = json.loads(
        next(c for c in at.get("plotly_chart") if "compare_chart" in c.proto.id).proto.spec
    )
    assert {trace["name"].split(" ", 2)[-1] for trace in chart["data"]} == kept
    assert all(len(trace["y"]) == 4 for trace in chart["data"])  # steps 1, 5, 10 and 15
    table = next(d.value for d in at.dataframe if "D(G(z)), fake" in d.value)
    assert len(table) == len(kept) and set(table["step"]) == {15}
    critic = table["run"].str.endswith("WGAN-GP")  # scores, not probabilities
    assert table.loc[~critic, "D(G(z)), fake"].between(0, 1).all()
    assert table.loc[critic, "D(G(z)), fake"].isna().all()
    labels = at.sidebar.selectbox[0].options  # the runs' checkpoints, named by their remedy
    assert any(label.endswith("· fcgan · slower D · step 15") for label in labels)


def test_the_server_skips_streamlits_full_garbage_collection_after_each_rerun(monkeypatch):
    """It cost the server 0.1-0.5 s of CPU per rerun and per fragment tick, next to a run."""
    from streamlit import config

    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    try:
        assert config.get_option("runner.postScriptGC") is False
    finally:
        config.get_config_options(force_reparse=True)
