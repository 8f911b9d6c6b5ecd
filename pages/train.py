"""Train page: launch a run, watch it learn live, stop or resume it, compare runs."""

import dataclasses

import streamlit as st

from gen_core.checkpoints import CheckpointError, CheckpointInfo, read_info
from gen_core.models import MODELS
from gen_core.runs import QueueFull, RunManager, RunRequest
from gen_core.training.remedies import remedies, remedy_runs
from ui import access, formulas
from ui.charts import metric_chart
from ui.checkpoints import picker, version
from ui.common import SHIPPED, dataset_info, page, run_manager
from ui.compare import compare_runs
from ui.run_view import show_run
from ui.train_form import settings_form

START, WATCH, COMPARE = "Start a run", "Watch a run", "Compare runs"


def launch(manager: RunManager, requests: dict[str, RunRequest], tab: str) -> None:
    """Submit the runs (as the signed-in person's) and rerun onto ``tab``: Watch shows the
    first, Compare picks them all; when the queue has no room for all of them, none is sent."""
    owner = access.user()
    try:
        ids = manager.submit_all([dataclasses.replace(r, owner=owner) for r in requests.values()])
    except QueueFull:
        st.error(
            f"No room for {len(requests)} more run(s) now: {manager.limits.queued} may wait "
            f"or train at once, {manager.limits.per_owner} per person. Stop one, or wait."
        )
        return
    st.query_params["run"] = ids[0]
    if tab == COMPARE:
        st.session_state["compare_runs"] = ids
    st.session_state["switch_to"] = tab
    st.rerun()


def start_section(manager: RunManager, checkpoint: CheckpointInfo | None) -> None:
    info = dataset_info("auto")
    st.caption(f"Dataset for 'auto': {info if isinstance(info, str) else info.describe()}")
    model = st.segmented_control("Model", list(MODELS), default="dcgan", key="t_model") or "dcgan"
    family = MODELS[model][1].family
    settings, processes = settings_form(model)
    try:
        request = RunRequest.build(model, settings, processes=processes)
    except ValueError as err:
        st.error(f"These settings cannot train: {err}")
        return
    if not access.may_change_runs():
        access.explain_locked()
        return
    if st.button("▶️ Start training", type="primary", key="start"):
        launch(manager, {"": request}, WATCH)
    reference_curves(model)
    if family == "gan":
        remedy_section(manager, model, settings, processes)
    formulas.explain(family)
    st.divider()
    resume_section(manager, checkpoint)


@st.cache_data(max_entries=16, show_spinner=False)
def shipped_history(model: str, modified: float) -> tuple[list[dict], str] | None:
    """The shipped checkpoint's logged rows and how it was trained (None when none is shipped)."""
    try:
        info = read_info(SHIPPED / model)
    except CheckpointError:
        return None
    loss = f", {info.train['loss']} loss" if "loss" in info.train else ""
    conditional = ", class-conditional" if info.config.get("conditional") else ""
    return info.history, f"{info.epoch} epochs of {info.dataset.name}{loss}{conditional}"


def reference_curves(model: str) -> None:
    """The shipped checkpoint's own curves: what a run that learns looks like, to set a new
    run's beside. Drawn here, it also has the browser load its plotting library while the form
    is read, so a new run's first point is not kept waiting for it (BENCHMARKS.md)."""
    try:
        shipped = shipped_history(model, version(SHIPPED / model))
    except OSError:  # none shipped for this model
        return
    if not shipped or not shipped[0]:
        return
    rows, how = shipped
    vae = MODELS[model][1].family == "vae"
    keys = ["loss", "recon", "kl"] if vae else ["loss_d", "loss_g"]
    title = f"How the shipped {model} trained ({how})"
    chart = metric_chart(rows, keys, title, 0.6, 220, right="kl" if vae else None)
    st.plotly_chart(chart, key="chart_reference")


def remedy_section(manager: RunManager, model: str, settings: dict, processes: int) -> None:
    names = list(remedies(model))
    st.caption(
        f"Or compare the remedies: {len(names)} runs with the data, epochs and seed above, each "
        "changing one thing against a plain baseline (non-saturating loss, equal learning "
        "rates, no smoothing, no dropout or spectral norm, no DiffAugment, average of G or R1 penalty): "
        + ", ".join(names[1:])
        + "."
    )
    if st.button(f"🧪 Queue the {len(names)} remedy runs and compare them", key="remedies"):
        runs = {
            name: RunRequest.build(model, options, processes=processes, title=name)
            for name, options in remedy_runs(model, settings).items()
        }
        launch(manager, runs, COMPARE)


def resume_section(manager: RunManager, checkpoint: CheckpointInfo | None) -> None:
    st.markdown("**Resume** the checkpoint picked in the sidebar, up to a total number of epochs")
    if checkpoint is None or not access.may_change_runs():
        return
    r1, r2 = st.columns([1, 3], vertical_alignment="bottom")
    total = r1.number_input(
        "Total epochs",
        checkpoint.epoch + 1,
        10_000,
        checkpoint.epoch + 5,
        key=f"t_resume_{checkpoint.path}",
    )
    if r2.button("⏯️ Resume training", key="resume"):
        launch(manager, {"": RunRequest.resuming(checkpoint, {"epochs": total})}, WATCH)


def watch_section(manager: RunManager) -> None:
    """The run in the URL (?run=...), so a reload or another tab shows the same one."""
    runs = manager.list_runs()
    ids = [r.id for r in runs]
    wanted = st.query_params.get("run")
    if wanted and wanted not in ids:
        st.warning(f"Run {wanted} was not found in runs/.")
        wanted = None
    if not ids:
        st.info("No runs yet: start one in the first tab.")
        return
    chosen = st.selectbox(
        "Run",
        ids,
        index=ids.index(wanted) if wanted else 0,
        key=f"run_select_{wanted}",
        format_func=lambda i: runs[ids.index(i)].label,
    )
    if chosen != wanted:
        st.query_params["run"] = chosen
    show_run(manager, chosen)


def main() -> None:
    manager = run_manager()
    page("Train")
    st.title("Train")
    access.sign_in()
    checkpoint = picker(
        ("gan", "vae"), help="Used by 'Resume training' here, and by the other pages."
    )
    if "switch_to" in st.session_state:
        st.session_state["train_tab"] = st.session_state.pop("switch_to")
    tabs = st.tabs(
        [START, WATCH, COMPARE],
        key="train_tab",
        on_change="rerun",
        default=WATCH if "run" in st.query_params else START,
    )
    sections = (
        lambda: start_section(manager, checkpoint),
        lambda: watch_section(manager),
        lambda: compare_runs(manager),
    )
    for tab, section in zip(tabs, sections, strict=True):
        if tab.open:
            with tab:
                section()


main()
