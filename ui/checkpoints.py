"""The sidebar checkpoint picker every page shares, cached model loading, and downloads."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from gen_core.analysis.report import classifier_path
from gen_core.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointInfo,
    list_checkpoints,
    load_checkpoint,
    read_info,
    sidecar_of,
)
from gen_core.models import GenerativeModel
from gen_core.models.classifier import Classifier
from gen_core.runs import run_title
from ui.common import ROOT, RUNS, SHIPPED

SHIPPED_ORDER = (
    "dcgan",
    "vae",
    "conv-vae",
    "fcgan",
)  # the default pick first: best GAN, the 2-D VAE
SELECTED = "checkpoint_path"  # session key that carries the choice from page to page
# The select box's key is its identity: without one, a run writing a checkpoint (a new option,
# a label's new step) makes it a new box, which drops a pick on its way to the server.
BOX = "checkpoint_box"
URL_SEEN = "checkpoint_in_url"  # the URL's choice last applied: a later pick is not undone by it


def available(families: Sequence[str] = ("gan", "vae")) -> list[CheckpointInfo]:
    """Shipped checkpoints first, then those of runs, newest first."""
    shipped = list_checkpoints(SHIPPED) if SHIPPED.is_dir() else []
    trained = list_checkpoints(RUNS) if RUNS.is_dir() else []
    order = {name: rank for rank, name in enumerate(SHIPPED_ORDER)}
    shipped = sorted(shipped, key=lambda i: (order.get(i.name, len(order)), i.name))
    return [i for i in shipped + trained if i.family in families]


def label(info: CheckpointInfo) -> str:
    if info.path.is_relative_to(SHIPPED):
        return f"{info.path.name} (shipped)"  # the file's stem: two shipped classifiers
    title = run_title(info.path.parent)
    return (
        f"{info.path.parent.name} · {info.model}{f' · {title}' if title else ''} · step {info.step}"
    )


def url_name(info: CheckpointInfo) -> str:
    """The checkpoint as the URL names it (?checkpoint=checkpoints/vae): its path from the app's
    folder, so a link works on any copy of the app; only a listed checkpoint is ever opened."""
    return str(info.path.relative_to(ROOT)) if info.path.is_relative_to(ROOT) else str(info.path)


def picker(
    families: Sequence[str] = ("gan", "vae"), help: str | None = None, prefer: str = ""
) -> CheckpointInfo | None:
    """A sidebar select box of checkpoints; the choice follows the user across pages and is
    kept in the URL, so a reload or a shared link opens on it. A page that has a best
    checkpoint for its task opens on it (``prefer``, a shipped one's name) unless the user
    picked one of these families already."""
    infos = available(families)
    if not infos:
        st.sidebar.warning("No checkpoint of this kind yet: train one on the Train page.")
        return None
    paths = [str(i.path) for i in infos]
    names = [url_name(i) for i in infos]
    wanted = st.query_params.get("checkpoint")
    if wanted in names and wanted != st.session_state.get(URL_SEEN):  # a shared link, a reload
        st.session_state[SELECTED] = paths[names.index(wanted)]
    elif st.session_state.get(BOX) in paths:  # the box's own value: a pick made just now
        st.session_state[SELECTED] = st.session_state[BOX]
    current = st.session_state.get(SELECTED)
    preferred = [i for i, info in enumerate(infos) if info.path == SHIPPED / prefer]
    st.session_state[BOX] = current if current in paths else paths[(preferred or [0])[0]]
    choice = st.sidebar.selectbox(
        "Checkpoint",
        paths,
        key=BOX,
        format_func=lambda p: label(infos[paths.index(p)]),
        help=help,
    )
    st.session_state[SELECTED] = choice
    st.query_params["checkpoint"] = st.session_state[URL_SEEN] = names[paths.index(choice)]
    info = infos[paths.index(choice)]
    st.sidebar.caption(
        f"{info.model} · trained on {info.dataset.name} · step {info.step} · epoch {info.epoch}"
    )
    return info


def version(stem: Path) -> float:
    """Changes whenever the checkpoint is rewritten: part of every cache key."""
    return sidecar_of(stem).stat().st_mtime


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def cached_model(path: str, modified: float) -> GenerativeModel | Classifier:
    """The model of one checkpoint version, loaded once for every session."""
    return load_checkpoint(path).model


def load_model(info: CheckpointInfo) -> GenerativeModel | Classifier | None:
    """The model of a checkpoint, loaded once per file version; None (with a message) if unusable."""
    try:
        return cached_model(str(info.path), version(info.path))
    except (CheckpointError, OSError) as err:
        st.error(f"This checkpoint cannot be loaded: {err}")
        return None


def classifier(dataset: str) -> Checkpoint | None:
    """The shipped classifier that measures samples of ``dataset``; None when the dataset has
    none, or (with a message) when it cannot be loaded."""
    path = classifier_path(dataset, SHIPPED)
    try:
        return Checkpoint(cached_model(str(path), version(path)), read_info(path))
    except (CheckpointError, OSError) as err:
        st.error(f"The classifier that measures samples cannot be loaded: {err}")
        return None


def zip_bytes(info: CheckpointInfo) -> bytes:
    """The checkpoint's files in one zip, for a download button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in info.files():
            if file.exists():
                zf.write(file, arcname=file.name)
    return buffer.getvalue()


def download_button(info: CheckpointInfo, key: str) -> None:
    name = info.path.parent.name if not info.path.is_relative_to(SHIPPED) else info.name
    st.download_button(
        "Download checkpoint (.zip)",
        zip_bytes(info),
        file_name=f"{name}.zip",
        mime="application/zip",
        key=key,
    )


def pick_model(
    families: Sequence[str], help: str | None = None, prefer: str = ""
) -> tuple[CheckpointInfo, GenerativeModel | Classifier]:
    """The sidebar pick and its loaded model; stops the page with a message when there is none."""
    info = picker(families, help=help, prefer=prefer)
    model = load_model(info) if info is not None else None
    if info is None or model is None:
        st.stop()
    return info, model
