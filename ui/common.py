"""Paths, the shared run manager, and the dataset and device lines every page can show."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from gen_core.data import DatasetInfo, DatasetUnavailable, load_dataset
from gen_core.device import describe_device, resolve_device
from gen_core.runs import RunManager

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"
RUNS = Path(os.environ.get("GEN_CORE_RUNS", ROOT / "runs"))


@st.cache_resource
def run_manager() -> RunManager:
    """One manager for every session: it queues runs beyond GEN_CORE_MAX_RUNS (default 1)."""
    manager = RunManager(RUNS, max_running=int(os.environ.get("GEN_CORE_MAX_RUNS", "1")))
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
