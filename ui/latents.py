"""Cached latent views shared by the Interpolate and Latent Space pages."""

from __future__ import annotations

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import streamlit as st
import torch

from gen_core.data import load_dataset
from gen_core.latent import encode, project
from gen_core.models import VAE
from ui.checkpoints import cached_model
from ui.common import RUNS

PROJECTION_CACHE = RUNS / ".cache" / "projections"
EVAL_DATASET = "mnist-5k"  # the test split every page encodes: always on this machine
DIGIT_COLOURS = plotly.colors.qualitative.D3  # ten strong hues (tab10): none fades into white


@st.cache_data(show_spinner=False)
def test_split() -> tuple[torch.Tensor, np.ndarray]:
    test = load_dataset(EVAL_DATASET).test
    return test.images, test.labels.numpy()


@st.cache_data(show_spinner="Encoding the test set…", max_entries=16)
def encoded_test_set(path: str, modified: float) -> np.ndarray:
    """Posterior means of the test digits for one checkpoint version."""
    model = cached_model(path, modified)
    assert isinstance(model, VAE)
    images, _ = test_split()
    return encode(model, images).numpy()


@st.cache_data(show_spinner=False, max_entries=32)
def projected(
    path: str, modified: float, method: str, n_neighbors: int, min_dist: float
) -> np.ndarray:
    """2-D coordinates of the encoded test set, cached here and on disk per checkpoint and settings."""
    latents = encoded_test_set(path, modified)
    params = {"n_neighbors": n_neighbors, "min_dist": min_dist} if method == "umap" else {}
    return project(latents, method, cache_dir=PROJECTION_CACHE, **params)


def latent_map(
    coords: np.ndarray, labels: np.ndarray, title: str, grid: np.ndarray | None = None
) -> go.Figure:
    """WebGL scatter coloured by digit, hover shows label and index; an optional invisible grid
    of points lets a click on empty space select a location too."""
    fig = go.Figure()
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        fig.add_trace(go.Scattergl(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=str(digit), customdata=idx,
            marker={"size": 5, "opacity": 0.75, "color": DIGIT_COLOURS[digit]},
            hovertemplate=f"digit {digit}<br>test index %{{customdata}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        ))  # fmt: skip
    if grid is not None:
        fig.add_trace(go.Scattergl(x=grid[:, 0], y=grid[:, 1], mode="markers", name="empty space",
                                   marker={"size": 9, "opacity": 0.0}, showlegend=False,
                                   hovertemplate="decode (%{x:.2f}, %{y:.2f})<extra></extra>"))  # fmt: skip
    fig.update_layout(title=title, height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"title": "digit"}, dragmode="pan", uirevision="keep")  # fmt: skip
    return fig


def click_grid(coords: np.ndarray, n: int = 50) -> np.ndarray:
    """An n x n lattice over the map's extent (plus a margin) for clicks on empty space."""
    lo, hi = coords.min(0), coords.max(0)
    pad = (hi - lo) * 0.05
    xs, ys = (
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], n),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], n),
    )
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)


def selected_point(event: object) -> dict | None:
    """The first point a plotly selection event holds, if any."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    return points[0] if points else None
