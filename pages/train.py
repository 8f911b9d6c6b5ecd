"""Train page: launch a run, watch it learn live, stop or resume it, compare runs."""

import os

import streamlit as st
import torch
from streamlit.delta_generator import DeltaGenerator

from gen_core.checkpoints import CheckpointInfo
from gen_core.data import DATASETS
from gen_core.device import resolve_device
from gen_core.models import MODELS
from gen_core.runs import RunStatus
from gen_core.training.remedies import remedies, remedy_runs
from ui import formulas
from ui.charts import LABELS, class_names, compare_chart, final_values
from ui.checkpoints import picker
from ui.common import dataset_info, page, run_manager
from ui.run_view import REFRESH_S, feed_for, show_run

manager = run_manager()
page("Train")
st.title("Train")

LR_CHOICES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]


def lr_slider(column: DeltaGenerator, label: str, default: float, key: str) -> float:
    return column.select_slider(label, LR_CHOICES, default, key=key, format_func=lambda v: f"{v:g}")


def run_options(model: str, family: str) -> tuple[dict, int]:
    """The settings form: CLI option values for `python -m gen_core train`, and how many
    training images they select (for :func:`scheduled`)."""
    opts: dict = {}
    c1, c2, c3, c4 = st.columns(4)
    opts["dataset"] = c1.selectbox(
        "Dataset", DATASETS, key="t_dataset", help="auto = full MNIST when available, else mnist-5k"
    )
    opts["epochs"] = c2.number_input("Epochs", 1, 500, 5, key="t_epochs")
    opts["batch_size"] = c3.select_slider("Batch size", [16, 32, 64, 128, 256], 64, key="t_batch")
    opts["seed"] = c4.number_input(
        "Seed", 0, 2**31 - 1, 0, key="t_seed", help="Same seed and settings, same run."
    )
    if family == "gan":
        st.markdown("**GAN objective and the remedies for a discriminator that wins too fast**")
        g1, g2, g3 = st.columns(3)
        opts["loss"] = g1.selectbox("Loss", ["non-saturating", "minimax", "wgan-gp"], key="t_loss",
                                    help="minimax: G minimises log(1 − D(G(z))); non-saturating: −log D(G(z)); wgan-gp: Wasserstein critic with gradient penalty")  # fmt: skip
        wgan = opts["loss"] == "wgan-gp"
        opts["label_smoothing"] = g2.slider("One-sided label smoothing", 0.0, 0.3, 0.0, 0.05, key="t_smooth", disabled=wgan,
                                            help="Real targets become 1 − s; fake targets stay 0.")  # fmt: skip
        opts["d_steps"] = g3.number_input(
            "D steps per G step", 1, 10, 5 if wgan else 1, key=f"t_dsteps_{wgan}"
        )
        l1, l2, l3 = st.columns(3)
        opts["lr_g"] = lr_slider(l1, "G learning rate", 1e-4 if wgan else 2e-4, f"t_lrg_{wgan}")
        opts["lr_d"] = lr_slider(l2, "D learning rate", 1e-4 if wgan else 2e-4, f"t_lrd_{wgan}")
        opts["d_dropout"] = l3.slider(
            "Dropout in D", 0.0, 0.6, 0.3 if model == "fcgan" else 0.0, 0.05, key=f"t_drop_{model}"
        )
        if wgan:
            opts["beta1"], opts["beta2"] = 0.0, 0.9
        if model == "dcgan":
            opts["d_batch_norm"] = st.checkbox("Batch norm in D", not wgan, key=f"t_bn_{wgan}", disabled=wgan,
                                               help="Off for wgan-gp: the penalty is per sample and batch norm mixes samples.")  # fmt: skip
        else:
            opts["g_batch_norm"] = st.checkbox("Batch norm in G", True, key="t_gbn")
    else:
        v1, v2, v3 = st.columns(3)
        opts["lr"] = lr_slider(v1, "Learning rate", 1e-3, "t_lr")
        opts["beta"] = v2.slider(
            "β (KL weight)",
            0.0,
            5.0,
            1.0,
            0.1,
            key="t_beta",
            help="1 gives the ELBO; above 1 a β-VAE",
        )
        opts["latent_dim"] = v3.number_input(
            "Latent size", 2, 64, 2 if model == "vae" else 16, key=f"t_latent_{model}"
        )
    data = dataset_info(opts["dataset"])
    classes = tuple(map(str, range(10))) if isinstance(data, str) else data.classes
    names = class_names(classes)  # None for digits, which are numbered
    with st.expander("Advanced"):
        a1, a2 = st.columns(2)
        opts["steps"] = a1.number_input(
            "Stop after this many steps (0 = all epochs)", 0, 10**7, 0, key="t_steps"
        )
        devices = ["auto", "cpu"] + (["cuda"] if resolve_device("auto").type == "cuda" else [])
        opts["device"] = a2.selectbox("Device", devices, key="t_device")
        opts["augment_shift"] = a1.number_input(
            "Shift each batch by up to (pixels)", 0, 4, 0, key="t_shift",
            help="Data augmentation: rolls every batch a random 0 to N pixels each way. Helps small "
            "training sets; a GAN then learns shifted digits too.",
        )  # fmt: skip
        opts["compile"] = a2.checkbox(
            "Compile the training step (torch.compile)", False, key="t_compile",
            help="About 25 s of compiling first, then roughly 1.1-1.2x faster on a CPU and more on a "
            "GPU: worth it for long runs.",
        )  # fmt: skip
        gpus = torch.cuda.device_count()
        most = gpus if gpus > 1 else os.cpu_count() or 1
        if most > 1:
            opts["processes"] = st.number_input(
                "Processes (data parallel, via torchrun)", 1, most, 1, key="t_processes",
                help=f"Each process trains on its own shard of every epoch, {'one GPU each' if gpus > 1 else 'on the CPU (a demo: it shares the cores)'}; the batch size is per process.",
            )  # fmt: skip
        only = st.multiselect(
            "Train on these classes only", range(len(classes)), key="t_classes", placeholder="all classes",
            format_func=lambda c: names[c] if names else f"digit {c}",
            help="A VAE that sees one digit learns what that digit looks like: the Anomaly page "
            "then scores the other digits as anomalies.",
        )  # fmt: skip
    if only:
        opts["classes"] = ",".join(map(str, sorted(only)))
    train_size = 4000 if isinstance(data, str) else data.train_size
    return opts, train_size * len(only) // len(classes) if only else train_size


def scheduled(opts: dict, train_size: int) -> dict:
    """The options with log and sample intervals sized to the run's length in steps."""
    per_step = opts["batch_size"] * opts.get("processes", 1) * opts.get("d_steps", 1)
    return opts | intervals(opts["steps"] or opts["epochs"] * (train_size // per_step))


def intervals(steps: int) -> dict:
    """Log often enough for live charts and keep about 60 sample grids to scrub through."""
    return {"log_every": max(5, steps // 400), "sample_every": max(10, steps // 60)}


def resume_options(info: CheckpointInfo, total_epochs: int) -> dict:
    per_epoch = info.dataset.train_size // info.train.get("batch_size", 64)
    return {"epochs": total_epochs, **intervals((total_epochs - info.epoch) * per_epoch)}


def select_run() -> str | None:
    """The run in the URL (?run=...), so a reload or another tab shows the same one."""
    runs = manager.list_runs()
    ids = [r.id for r in runs]
    wanted = st.query_params.get("run")
    if wanted and wanted not in ids:
        st.warning(f"Run {wanted} was not found in runs/.")
        wanted = None
    if not ids:
        return None
    chosen = st.selectbox("Run", ids, index=ids.index(wanted) if wanted else 0, key=f"run_select_{wanted}",
                          format_func=lambda i: runs[ids.index(i)].label)  # fmt: skip
    if chosen != wanted:
        st.query_params["run"] = chosen
    return chosen


START, WATCH, COMPARE = "Start a run", "Watch a run", "Compare runs"


def launch(model: str | None, options: dict, resume: str | None = None) -> None:
    """Submit the run, put its id in the URL, and rerun onto the Watch tab."""
    st.query_params["run"] = manager.submit(model, options, resume=resume)
    st.session_state["switch_to"] = WATCH
    st.rerun()


def launch_remedies(model: str, options: dict, train_size: int) -> None:
    """Queue one run per remedy (they take turns) and rerun onto the Compare tab, all picked."""
    ids = [manager.submit(model, scheduled(opts, train_size), title=name)
           for name, opts in remedy_runs(model, options).items()]  # fmt: skip
    st.session_state["compare_runs"] = ids
    st.session_state["switch_to"] = COMPARE
    st.rerun()


BOOKKEEPING = {"log_every", "sample_every", "checkpoint_every"}  # follow epochs: not news


def compare_runs() -> None:
    runs = manager.list_runs()
    if len(runs) < 2:
        st.info("Comparing needs two runs or more: start another on the first tab, say with one "
                "remedy switched on, or queue the remedy runs there.")  # fmt: skip
        return
    labels = {r.id: r.label for r in runs}
    newest = [r.id for r in runs if r.model == runs[0].model][:2]  # list_runs is newest first
    default = None if "compare_runs" in st.session_state or len(newest) < 2 else newest
    chosen = st.multiselect("Runs to overlay", list(labels), default=default, key="compare_runs",
                            format_func=labels.get,
                            placeholder="Pick two or more runs, e.g. label smoothing on and off")  # fmt: skip
    picked = [r for r in runs if r.id in chosen]
    live = any(r.status in ("queued", "running") for r in picked)
    st.fragment(compare_chart_of, run_every=REFRESH_S if live else None)(picked, live)


def compare_chart_of(picked: list[RunStatus], live: bool) -> None:
    """The picked runs' metric on one chart, redrawn while any of them is still to finish."""
    if not picked:
        return
    picked = [manager.status(r.id) for r in picked]
    if live and not any(r.status in ("queued", "running") for r in picked):
        st.rerun()  # all done: redraw the page once more, without the polling
    varied = sorted({k for r in picked for k in r.options if k not in BOOKKEEPING
                     and len({repr(p.options.get(k)) for p in picked}) > 1})  # fmt: skip
    titled = all(r.title for r in picked)
    series = {}
    for run in picked:
        feed = feed_for(run)
        feed.update()
        shown = run.title if titled else ", ".join(f"{k}={run.options.get(k)}" for k in varied)
        series[f"{run.id.rsplit('-', 1)[-1]} {run.model} {shown}".strip()] = feed.steps
    if titled:
        st.caption("Legends name each run's remedy; all else is as in the baseline run.")
    else:
        st.caption(f"Legends name what differs between these runs: {', '.join(varied)}." if varied
                   else "These runs have the same settings.")  # fmt: skip
    waiting = [
        r.title or r.id for r in sorted(picked, key=lambda r: r.created) if r.status == "queued"
    ]
    if waiting:
        st.caption(f"Waiting their turn: {', '.join(waiting)}.")
    keys = sorted(
        {k for steps in series.values() for s in steps for k in s if k in LABELS},
        key=list(LABELS).index,
    )
    if not keys:
        st.info("These runs have not logged any steps yet.")
        return
    key = st.selectbox("Metric", keys, format_func=LABELS.get, key="compare_metric")
    smoothing = st.slider("Smoothing", 0.0, 0.95, 0.6, 0.05, key="compare_smoothing")
    st.plotly_chart(compare_chart(series, key, smoothing), key="compare_chart")
    st.dataframe(final_values(series, keys, smoothing), hide_index=True, key="compare_table")
    st.caption("Where each run ended: its last logged values, smoothed as on the chart.")


checkpoint = picker(("gan", "vae"), help="Used by 'Resume training' here, and by the other pages.")
if "switch_to" in st.session_state:
    st.session_state["train_tab"] = st.session_state.pop("switch_to")
tabs = st.tabs(
    [START, WATCH, COMPARE],
    key="train_tab",
    on_change="rerun",
    default=WATCH if "run" in st.query_params else START,
)

if tabs[0].open:
    with tabs[0]:
        info = dataset_info("auto")
        st.caption(f"Dataset for 'auto': {info if isinstance(info, str) else info.describe()}")
        model = (
            st.segmented_control("Model", list(MODELS), default="dcgan", key="t_model") or "dcgan"
        )
        family = MODELS[model][1].family
        options, train_size = run_options(model, family)
        if st.button("▶️ Start training", type="primary", key="start"):
            launch(model, scheduled(options, train_size))
        if family == "gan":
            runs = len(remedies(model))
            st.caption(
                f"Or compare the remedies: {runs} runs with the data, epochs and seed above, each "
                "changing one thing against a plain baseline (non-saturating loss, equal learning "
                "rates, no smoothing, no dropout): " + ", ".join(list(remedies(model))[1:]) + "."
            )
            if st.button(f"🧪 Queue the {runs} remedy runs and compare them", key="remedies"):
                launch_remedies(model, options, train_size)
        formulas.explain(family)
        st.divider()
        st.markdown(
            "**Resume** the checkpoint picked in the sidebar, up to a total number of epochs"
        )
        if checkpoint:
            r1, r2 = st.columns([1, 3], vertical_alignment="bottom")
            total = r1.number_input(
                "Total epochs",
                checkpoint.epoch + 1,
                10_000,
                checkpoint.epoch + 5,
                key=f"t_resume_{checkpoint.path}",
            )
            if r2.button("⏯️ Resume training", key="resume"):
                launch(None, resume_options(checkpoint, total), str(checkpoint.path))

if tabs[1].open:
    with tabs[1]:
        run_id = select_run()
        if run_id is None:
            st.info("No runs yet: start one in the first tab.")
        else:
            show_run(manager, run_id)

if tabs[2].open:
    with tabs[2]:
        compare_runs()
