"""Test sets, their cached latents and projections, shared by the Interpolate, Latent Space
and Anomaly pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.colors
import streamlit as st
import torch

from gen_core.analysis.latent import (
    MAP_ITEMS,
    PROJECTIONS,
    Projection,
    encode,
    map_latents,
    project,
    projection_file,
    projection_key,
)
from gen_core.checkpoints import CheckpointInfo, read_info
from gen_core.data import DIGITS, Kind, kind_of, load_dataset, mnist_on_disk
from gen_core.models import VAE
from gen_core.preprocess import ImageRejected, framing_for, prepare
from ui.checkpoints import cached_model, version
from ui.common import RUNS, SHIPPED
from ui.drawing import drawing

PROJECTION_CACHE = RUNS / ".cache" / "projections"
SHIPPED_PROJECTIONS = SHIPPED / "projections"
CLASS_COLOURS = plotly.colors.qualitative.D3  # ten strong hues (tab10): none fades into white


@dataclass(frozen=True)
class ShownSet:
    """The test images a page shows a checkpoint on, with what to call them."""

    name: str
    images: torch.Tensor
    labels: np.ndarray
    classes: tuple[str, ...]

    @property
    def kind(self) -> Kind:
        return kind_of(self.name)

    @property
    def is_digits(self) -> bool:
        return self.kind is DIGITS

    @property
    def noun(self) -> str:
        """What one example is called in the page's text: "digit" or "item"."""
        return self.kind.noun

    def describe(self, label: int) -> str:
        return f"digit {label}" if self.is_digits else self.classes[label]


def shown_for(info: CheckpointInfo) -> ShownSet:
    """The test set a checkpoint is shown on: its own (Fashion-MNIST, or full MNIST when it is
    on this machine), else the mnist-5k digits, which are always here. A full-MNIST model is
    told why that may flatter it: those digits come from MNIST's training split."""
    trained_on = info.dataset.name
    if trained_on == "fashion-mnist" or (trained_on == "mnist" and mnist_on_disk()):
        return shown_set(trained_on)
    if trained_on == "mnist":
        st.info(
            "This model was trained on full MNIST, which is not on this machine: it is shown the "
            "mnist-5k digits, which are taken from MNIST's training images, so it may have seen "
            "them. Place MNIST in data/MNIST/raw to see its own test digits."
        )
    return shown_set("mnist-5k")


@st.cache_data(show_spinner="Loading the test set…", max_entries=4)
def shown_set(name: str) -> ShownSet:
    data = load_dataset(name)
    test = data.test.sample(MAP_ITEMS)
    return ShownSet(name, test.images, test.labels.numpy(), data.info.classes)


@st.cache_data(show_spinner="Encoding the test set…", max_entries=16)
def encoded_test_set(path: str, modified: float, dataset: str) -> np.ndarray:
    """Posterior means of a test set for one checkpoint version."""
    model = cached_model(path, modified)
    assert isinstance(model, VAE)
    return map_latents(model, dataset)


@st.cache_data(show_spinner=False, max_entries=32)
def projected(
    path: str, modified: float, dataset: str, method: Projection, n_neighbors: int, min_dist: float
) -> np.ndarray:
    """2-D coordinates of the encoded test set per checkpoint and settings: shipped with the
    shipped checkpoints (`make checkpoints`), else computed once and kept under runs/.cache."""
    latents = encoded_test_set(path, modified, dataset)
    params = {"n_neighbors": n_neighbors, "min_dist": min_dist} if method == "umap" else {}
    key = projection_key(read_info(path), dataset)
    shipped = projection_file(SHIPPED_PROJECTIONS, key, method, params)
    if shipped.is_file():
        return np.load(shipped)
    return project(latents, method, cache_dir=PROJECTION_CACHE, key=key, **params)


def projection(
    info: CheckpointInfo, data: ShownSet, latents: np.ndarray
) -> tuple[np.ndarray, str] | None:
    """2-D coordinates above 2-D latents, by the projection and settings the form names, and
    the map's title."""
    st.markdown(f"The latent space has {latents.shape[1]} dimensions: choose a projection to 2-D.")
    with st.form("projection"):
        c1, c2, c3 = st.columns(3)
        method = c1.radio(
            "Projection", PROJECTIONS, format_func=str.upper, horizontal=True, key="ls_method"
        )
        n_neighbors = c2.slider(
            "UMAP neighbours",
            5,
            100,
            15,
            key="ls_neighbors",
            help="Larger keeps more global structure",
        )
        min_dist = c3.slider(
            "UMAP min distance",
            0.0,
            0.99,
            0.1,
            0.01,
            key="ls_min_dist",
            help="Smaller packs clusters tighter",
        )
        if st.form_submit_button("Compute projection"):
            st.session_state["ls_settings"] = (
                (method, n_neighbors, min_dist) if method == "umap" else (method, 15, 0.1)
            )
    chosen = st.session_state.get("ls_settings")
    if chosen is None:
        st.info(
            "Press **Compute projection**. UMAP takes about half a minute the first time; "
            "results are cached per checkpoint and settings."
        )
        return None
    with st.status(
        f"Projecting {len(latents):,} latents with {chosen[0].upper()}…", expanded=False
    ) as status:
        coords = projected(str(info.path), version(info.path), data.name, *chosen)
        status.update(label=f"{chosen[0].upper()} projection ready", state="complete")
    return coords, f"{chosen[0].upper()} projection of the test {data.noun}s' μ"


NEAREST = 5  # test images shown beside a drawing's place on the map


@dataclass(frozen=True)
class Placed:
    """A drawing on the latent map: where it lands, and the test images nearest its code."""

    image: torch.Tensor  # the drawing as the model sees it, (1, 28, 28)
    code: np.ndarray  # its posterior mean
    nearest: np.ndarray  # indices of the test images with the nearest codes, nearest first


def place_drawing(model: VAE[Any], data: ShownSet, latents: np.ndarray) -> Placed | None:
    """A canvas whose drawing is read as an upload, encoded, and placed among the test codes."""
    drawn = drawing("ls_draw", f"Draw a {data.noun}: see where it lands")
    if drawn is None:
        return None
    try:
        image = prepare(drawn, "your drawing", framing_for(data.name)).tensor
    except ImageRejected as err:
        st.error(str(err))
        return None
    code = encode(model, image[None]).numpy()[0]
    nearest = np.argsort(np.linalg.norm(latents - code, axis=1))[:NEAREST]
    return Placed(image, code, nearest)
