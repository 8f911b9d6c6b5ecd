"""The live view of one run: status, progress, metric charts, sample grids and the classes in
them (mode collapse, for GANs); redrawn as it learns."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from PIL import Image

from gen_core.analysis import diagnostics
from gen_core.analysis.report import CONFIDENT
from gen_core.checkpoints import CheckpointError, read_info
from gen_core.images import from_grid, to_gif
from gen_core.models.classifier import Classifier, sure_counts
from gen_core.runs import RunFeed, RunManager, RunStatus
from ui import access, formulas
from ui.charts import class_bars, class_names, metric_chart
from ui.checkpoints import classifier, download_button
from ui.detector import upload_classifier

LIVE_S = 2.0  # a watched run's refresh: each costs the server and the browser a redraw
FIRST_S = 1.0  # until its first logged step, which then shows within a second of arriving
BADGES = {
    "queued": "🕓 queued",
    "running": "🏃 running",
    "stopped": "⏹️ stopped",
    "finished": "✅ finished",
    "failed": "❌ failed",
}


def feed_for(run: RunStatus) -> RunFeed:
    """This session's feed of the run, read incrementally across reruns."""
    feeds: dict[str, RunFeed] = st.session_state.setdefault("run_feeds", {})
    if run.id not in feeds:
        feeds[run.id] = RunFeed(run.path)
    return feeds[run.id]


def show_run(manager: RunManager, run_id: str) -> None:
    """Header with status and actions, then the live part in a fragment that polls the run."""
    run = manager.status(run_id)
    left, right = st.columns([3, 1])
    left.markdown(f"#### Run `{run.id}` · {run.model} · {BADGES[run.status]}")
    if (
        run.status in ("queued", "running")
        and access.may_change_runs()
        and right.button("⏹️ Stop (saves a checkpoint)", key="stop_run", type="secondary")
    ):
        manager.stop(run.id)
        st.toast("Stop requested: the run saves a checkpoint and ends after its current step.")
    if run.status == "queued":
        st.info(
            "Waiting for a free slot: another run is training. It starts as soon as that one ends."
        )
    if run.status == "failed":
        st.error(f"The run failed. {run.reason}")
    feed = feed_for(run)
    feed.update()
    every = (LIVE_S if feed.steps else FIRST_S) if run.status in ("queued", "running") else None
    st.fragment(_live, run_every=every)(manager, run_id, run.status, every)


def _live(manager: RunManager, run_id: str, shown_status: str, every: float | None) -> None:
    run = manager.status(run_id)
    feed = feed_for(run)
    feed.update()
    if run.status != shown_status:
        st.rerun()  # the header (status, stop button) belongs to the whole page
    _progress(feed, run)
    warnings = st.container()  # filled last: the charts go out before the grids are read
    charts, samples = st.columns([3, 2])
    # Until the first point has been drawn the run's first steps share the CPU with this page:
    # the loss chart alone is drawn, and the other charts (each a new plot for the browser to
    # build), the grids' classes and the formulas (KaTeX) come one tick later.
    drawn = st.session_state.setdefault("first_points_drawn", set())
    waiting = every == FIRST_S and run_id not in drawn
    with charts:
        _charts(feed, waiting)
    grids = [] if waiting else _grid_classes(feed)
    findings = diagnostics.check(feed.steps, feed.quality)
    vanished = grids and diagnostics.vanishing_classes(
        [(step, epoch, counts) for step, epoch, (counts, _) in grids],
        expected=_expected_classes(feed),
        names=_class_names(feed),
    )
    for finding in [*findings, vanished] if vanished else findings:
        warnings.warning(finding.message, icon="⚠️")
    with samples:
        _samples(feed, {step: counts for step, _, counts in grids})
    if not waiting:
        formulas.explain(feed.start.family if feed.start else "gan")
    if run.status in ("finished", "stopped") and run.checkpoint:
        _checkpoint(run.checkpoint, run.id)
    if every == FIRST_S and feed.steps:  # from the tick after the first point was drawn,
        if run_id in drawn:  # the whole view, polled more slowly
            st.rerun()
        drawn.add(run_id)


def _progress(feed: RunFeed, run: RunStatus) -> None:
    last, start = feed.last_step, feed.start
    total = start.total_steps if start else 0
    if total:
        done = f" · {run.status} there" if run.status in ("stopped", "finished") else ""
        st.progress(min(run.step / total, 1.0), text=f"step {run.step:,} of {total:,}{done}")
    if start:
        seen = f" ({start.images:,} training images)" if start.images else ""
        st.caption(f"{start.device} · {start.dataset.name}{seen} · {start.parameters:,} parameters")
    if last:
        a, b, c = st.columns(3)
        a.metric("images / s", f"{last['images_per_s']:,.0f}")
        b.metric("epoch", last["epoch"])
        eta = last["eta_s"] if run.status == "running" else 0
        c.metric("time left", f"{eta // 60:.0f} min {eta % 60:02.0f} s")


def _charts(feed: RunFeed, first_only: bool) -> None:
    """The run's curves. Before the first logged step the first chart is drawn empty, so the
    browser has its plotting library ready (its first chart takes seconds) when the point comes;
    with ``first_only``, that chart alone."""
    smoothing = st.slider(
        "Smoothing",
        0.0,
        0.95,
        0.6,
        0.05,
        key="smoothing",
        help="Exponential moving average of each curve; 0 shows raw values.",
    )
    if not feed.steps:
        vae = feed.start is not None and feed.start.family == "vae"
        title = "Negative ELBO and its parts (nats per image)" if vae else "Losses"
        st.plotly_chart(metric_chart([], [], title), key="chart_elbo" if vae else "chart_losses")
        st.caption("The first point comes with the first logged step.")
    elif feed.start is None or feed.start.family == "gan":
        st.plotly_chart(
            metric_chart(feed.steps, ["loss_d", "loss_g"], "Losses", smoothing), key="chart_losses"
        )
        if first_only:
            return
        if "d_x" in feed.steps[-1]:
            st.plotly_chart(
                metric_chart(feed.steps, ["d_x", "d_g_z"], "Discriminator outputs", smoothing),
                key="chart_dx",
            )
        elif "w_distance" in feed.steps[-1]:
            st.plotly_chart(
                metric_chart(feed.steps, ["w_distance", "gp"], "Critic", smoothing, right="gp"),
                key="chart_critic",
            )
        else:
            st.plotly_chart(
                metric_chart(feed.steps, ["score_gap"], "D's scores (hinge)", smoothing),
                key="chart_critic",
            )
    else:
        st.plotly_chart(
            metric_chart(
                feed.steps,
                ["loss", "recon", "kl"],
                "Negative ELBO and its parts (nats per image)",
                smoothing,
                right="kl",
            ),
            key="chart_elbo",
        )
    if feed.quality and not first_only:
        st.plotly_chart(
            metric_chart(feed.quality, ["fid"], "Sample quality: classifier FID of 500 samples"),
            key="chart_quality",
        )
        last = feed.quality[-1]
        st.caption(
            f"At step {last['step']:,}: FID {last['fid']:.1f}, class entropy "
            f"{last['class_entropy']:.2f} (ln 10 = 2.30: every class as often), "
            f"{last['confident']:.0%} read surely as one class; 0 would be the test images' own "
            "feature statistics."
        )


@st.cache_data(max_entries=5000, show_spinner=False)
def grid_counts(path: str, modified: float, _classifier: Classifier) -> tuple[list[int], int]:
    """How surely read samples of a saved grid fall in each class, and how many it holds."""
    images = from_grid(Image.open(path))
    return sure_counts(_classifier, images, CONFIDENT), len(images)


def _grid_classes(feed: RunFeed) -> list[tuple[int, int, tuple[list[int], int]]]:
    """(step, epoch, (class counts, samples)) of every sample grid of a GAN run whose data has a
    shipped classifier; else empty. The upload classifier reads them where the data has one:
    its "not a digit" class keeps an untrained generator's blobs out of every digit."""
    if feed.start is None or feed.start.family != "gan":
        return []
    reader = upload_classifier(feed.start.dataset.name)
    if reader is None:
        measure = classifier(feed.start.dataset.name)
        reader = measure.model if measure and isinstance(measure.model, Classifier) else None
    if reader is None:
        return []
    grids = [(s["step"], s["epoch"], feed.folder / s["path"]) for s in feed.samples]
    return [
        (step, epoch, grid_counts(str(p), p.stat().st_mtime, reader))
        for step, epoch, p in grids
        if p.exists()
    ]


def _class_names(feed: RunFeed) -> list[str] | None:
    return class_names(feed.start.dataset.classes) if feed.start else None


def _expected_classes(feed: RunFeed) -> int:
    return (len(feed.start.classes) or len(feed.start.dataset.classes)) if feed.start else 10


def _samples(feed: RunFeed, counts: dict[int, tuple[list[int], int]]) -> None:
    if not feed.samples:
        st.caption("Sample grids appear as the run reaches its first sample step.")
        return
    steps = [s["step"] for s in feed.samples]
    # No key: the widget resets to the newest grid when one arrives, and stays put once the run ends.
    chosen = (
        st.select_slider(
            "Sample grid at step",
            steps,
            steps[-1],
            help="Scrub back through every grid of the run.",
        )
        if len(steps) > 1
        else steps[0]
    )
    grid = feed.samples[steps.index(chosen)]
    path = feed.folder / grid["path"]
    if path.exists():
        st.image(str(path), caption=f"step {grid['step']} · epoch {grid['epoch']}", width="stretch")
    st.caption(
        "Rows 1–2 inputs, 3–4 reconstructions, 5–8 samples."
        if feed.start and feed.start.family == "vae"
        else "The same fixed noise batch at every grid."
    )
    if chosen in counts:
        read, total = counts[chosen]
        names = _class_names(feed)
        what = "Classes" if names else "Digits"
        st.plotly_chart(
            class_bars(
                [c / total for c in read], f"{what} in these samples (step {chosen})", names
            ),
            key="chart_classes",
        )
        st.caption(
            f"As read by the project's {'clothes' if names else 'digit'} classifier when it is "
            f"over {CONFIDENT:.0%} sure; {total - sum(read)} of {total} samples it reads as no "
            "class. An even spread means every class is generated; one that drops out is a "
            "sign of mode collapse."
        )
    if len(feed.samples) > 1 and st.button("Make a GIF of all grids", key="make_gif"):
        frames = [
            Image.open(feed.folder / s["path"])
            for s in feed.samples
            if (feed.folder / s["path"]).exists()
        ]
        st.download_button(
            "Download GIF",
            to_gif(frames),
            file_name=f"{feed.folder.name}.gif",
            mime="image/gif",
            key="gif",
        )


def _checkpoint(path: Path, run_id: str) -> None:
    try:
        info = read_info(path)
    except CheckpointError as err:
        st.error(f"The run's checkpoint cannot be read: {err}")
        return
    st.success(f"Checkpoint saved at step {info.step}: pick it in the sidebar of any page.")
    download_button(info, key=f"download_{run_id}")
