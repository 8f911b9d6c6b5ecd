"""Paths, the shared run manager, and the dataset and device lines every page can show.

pandas is imported here, at the top of the module every page imports first: plotly and
st.dataframe import it lazily, and two sessions doing that at once on a cold server saw
"partially initialized module 'pandas'" until a reload.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas  # noqa: F401 - whole, before any session draws (the module docstring says why)
import streamlit as st

from gen_core.data import DatasetInfo, DatasetUnavailable, load_dataset
from gen_core.device import describe_device, resolve_device, share_cpu
from gen_core.runs import Limits, RunManager

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"
RUNS = Path(os.environ.get("GEN_CORE_RUNS", ROOT / "runs"))


PAGES = (
    ("app.py", "Home", "🏠"),
    ("pages/train.py", "Train", "🏋️"),
    ("pages/interpolate.py", "Interpolate", "↔️"),
    ("pages/latent_space.py", "Latent space", "🗺️"),
    ("pages/anomaly.py", "Anomaly", "🚩"),
    ("pages/report.py", "Model report", "📏"),
)


def page(title: str) -> None:
    """Every page starts here: page config and the sidebar's list of pages.

    Streamlit's own list (hidden in .streamlit/config.toml) would call the home page "app";
    st.navigation would fix that, but a pages/ folder makes a fresh server's first deep link
    bypass it, so the pages/ folder stays the router and this list is drawn by hand.
    """
    share_cpu(run_manager().training())
    icon = next(i for _, t, i in PAGES if t == title)
    st.set_page_config(
        page_title=f"{title} · Generative-model explorer", page_icon=icon, layout="wide"
    )
    with st.sidebar:
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        st.divider()


@st.cache_resource
def run_manager() -> RunManager:
    """One manager for every session: GEN_CORE_MAX_RUNS train at once (default 1),
    GEN_CORE_MAX_QUEUED wait or train in all (12), GEN_CORE_MAX_QUEUED_PER_USER per person (as many as the remedy comparison queues),
    GEN_CORE_KEEP_RUNS finished runs stay in runs/ (50; the oldest go first), and while none
    trains a spare process waits with torch and the data loaded (GEN_CORE_SPARE_PROCESS=0: not)."""

    def env(name: str, default: int) -> int:
        return int(os.environ.get(name) or default)

    limits = Limits(
        running=env("GEN_CORE_MAX_RUNS", 1),
        queued=env("GEN_CORE_MAX_QUEUED", 12),
        per_owner=env("GEN_CORE_MAX_QUEUED_PER_USER", Limits.per_owner),
        kept=env("GEN_CORE_KEEP_RUNS", 50),
        spare=env("GEN_CORE_SPARE_PROCESS", 1) == 1,
    )
    manager = RunManager(RUNS, limits=limits)
    manager.start_polling()
    return manager


@st.cache_data(show_spinner="Looking for the dataset…")
def dataset_info(name: str = "auto") -> DatasetInfo | str:
    """The dataset's description, or the reason it cannot be loaded."""
    try:
        return load_dataset(name).info
    except DatasetUnavailable as err:
        return str(err)


@st.cache_resource
def device_line() -> str:
    return describe_device(resolve_device("auto"))


def csv_text(rows: Sequence[Mapping[str, object]]) -> str:
    """Rows as CSV for a download button, quoted by the csv module (a name may hold commas)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
