"""Model report page: how good is each checkpoint, in numbers, measured on demand and kept."""

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gen_core.analysis.report import Report, checkpoint_report
from gen_core.checkpoints import Checkpoint, CheckpointInfo
from gen_core.data import DatasetUnavailable
from ui.charts import class_bars, class_names
from ui.checkpoints import available, classifier, label, load_model, pick_model, version
from ui.common import page

INTRO = (
    "Sample quality measured with the project's own classifiers, one for digits and one for "
    "Fashion-MNIST (Inception weights are not available offline, and for MNIST a domain "
    "classifier is the advised feature extractor): **classifier FID** between samples and "
    "test images, the **class entropy** of samples (mode coverage), the **classifier score** "
    "(the Inception Score's analogue), and for VAEs the **test likelihood** in nats per image."
)
Settings = tuple[int, int, int]  # samples, importance samples, seed


@st.cache_resource
def reports() -> dict[tuple, Report]:
    """Every report measured so far, for every session, keyed by checkpoint version and settings."""
    return {}


def key_of(info: CheckpointInfo, settings: Settings) -> tuple:
    return (str(info.path), version(info.path), *settings)


def measure(info: CheckpointInfo, model: Any, settings: Settings, bar: DeltaGenerator) -> None:
    """Measure one checkpoint into the shared store; a failure becomes a message."""
    n, k, seed = settings
    try:
        report = checkpoint_report(
            Checkpoint(model, info),
            classifier(info.dataset.name),
            n=n,
            k=k,
            seed=seed,
            progress=lambda f, text: bar.progress(f, text=f"{label(info)}: {text}"),
        )
    except (DatasetUnavailable, ValueError) as err:
        st.error(f"{label(info)} cannot be measured: {err}")
        return
    reports()[key_of(info, settings)] = report


def show(info: CheckpointInfo, report: Report) -> None:
    left, right = st.columns([3, 2])
    rows = [
        {"figure": name, "value": f"{value:.4g}", "what it means": meaning}
        for name, value, meaning in report.rows
    ]
    left.table(rows)  # a plain table: few rows, and its text is real text for readers and tests
    for note in report.notes:
        left.caption(note)
    if report.histogram:
        what = "test images" if info.family == "classifier" else "samples"
        right.plotly_chart(
            class_bars(
                report.histogram, f"Classes of the {what}", class_names(info.dataset.classes)
            ),
            key="report_classes",
        )


def all_checkpoints(settings: Settings) -> None:
    """Every checkpoint's figures side by side, measuring the ones not yet measured on demand."""
    st.subheader("All checkpoints")
    everything = available(("gan", "vae", "classifier"))
    failed: set[str] = st.session_state.setdefault("r_failed", set())
    missing = [
        i for i in everything if key_of(i, settings) not in reports() and label(i) not in failed
    ]
    if missing and st.button(f"Measure the {len(missing)} not yet measured", key="measure_all"):
        bar = st.progress(0.0)
        for other in missing:
            loaded = load_model(other)
            if loaded is not None:
                measure(other, loaded, settings, bar)
        failed |= {label(i) for i in missing if key_of(i, settings) not in reports()}
        st.rerun()  # redraw without the button: nothing is left to measure
    if failed:
        st.warning(
            f"Could not be measured: {', '.join(sorted(failed))}. Pick one above to see why."
        )
    table = []
    for other in everything:
        found = reports().get(key_of(other, settings))
        if found is not None:
            table.append(
                {"checkpoint": label(other), **{n: float(f"{v:.4g}") for n, v, _ in found.rows}}
            )
    if not table:
        st.caption("Measured checkpoints appear here side by side.")
        return
    st.dataframe(table, hide_index=True, width="stretch")
    n, k, seed = settings
    st.caption(f"{n} samples, k = {k}, seed {seed}; lower FID and -log p(x) are better.")


def main() -> None:
    page("Model report")
    st.title("Model report")
    st.markdown(INTRO)
    info, model = pick_model(("gan", "vae", "classifier"))
    c1, c2, c3 = st.columns(3)
    settings = (
        c1.select_slider(
            "Samples",
            [250, 500, 1000, 2000],
            1000,
            key="r_n",
            help="Generated images behind the sample figures.",
        ),
        c2.select_slider(
            "Importance samples (VAE)",
            [10, 50, 100, 500],
            100,
            key="r_k",
            help="Posterior samples per test image for -log p(x).",
        ),
        int(c3.number_input("Seed", 0, 2**31 - 1, 0, key="r_seed")),
    )
    st.subheader(label(info))
    current = reports().get(key_of(info, settings))
    if current is None and st.button("Measure this checkpoint", key="measure", type="primary"):
        measure(info, model, settings, st.progress(0.0))
        current = reports().get(key_of(info, settings))
    if current is not None:
        show(info, current)
    all_checkpoints(settings)


main()
