"""Interpolate page: walk a straight or a spherical path between latent points and decode it."""

import math
from typing import Any

import plotly.graph_objects as go
import streamlit as st
import torch

from gen_core.analysis.latent import PATHS, PathKind, at_position, decode, norm_profile, path
from gen_core.checkpoints import CheckpointInfo
from gen_core.images import png_bytes, to_gif, to_pil
from gen_core.models import VAE, GenerativeModel
from ui.charts import norm_chart
from ui.checkpoints import pick_model, version
from ui.common import page
from ui.endpoints import MAP_SOURCE, add_clicked, endpoints
from ui.latents import ShownSet, encoded_test_set, latent_map, selected_point, shown_for

TITLES = {"lerp": "Linear (lerp)", "slerp": "Spherical (slerp)"}


def per_row(n: int) -> int:
    """Frames per row of a strip: one row up to 25 frames, else rows of even length."""
    return math.ceil(n / math.ceil(n / 25))


def strip(images: torch.Tensor) -> Any:
    return to_pil(images, nrow=per_row(len(images)), scale=2)


def walks(model: GenerativeModel[Any], points: torch.Tensor) -> dict[PathKind, torch.Tensor]:
    """Both paths through the points, side by side: the frame under the slider and the strip."""
    c1, c2 = st.columns([1, 2])
    frames = c1.slider("Frames per leg", 2, 24, 8, key="i_frames")
    k = len(points)
    position = c2.slider(
        "Position along the path",
        0.0,
        float(k - 1),
        0.5 if k == 2 else 0.0,
        0.01,
        key="i_pos",
        help="0 is the first point, 1 the second, and so on",
    )
    found = {method: path(points, frames, method) for method in PATHS}
    for col, method in zip(st.columns(2), PATHS, strict=True):
        with col:
            st.markdown(f"**{TITLES[method]}**")
            frame = decode(model, at_position(points, position, method)[None])
            st.image(
                to_pil(frame, scale=6), caption=f"position {position:.2f}", output_format="PNG"
            )
            decoded = decode(model, found[method])
            st.image(
                strip(decoded),
                caption=f"{len(decoded)} frames",
                width="stretch",
                output_format="PNG",
            )
    return found


def norms_and_downloads(model: GenerativeModel[Any], found: dict[PathKind, torch.Tensor]) -> None:
    st.plotly_chart(
        norm_chart({m: norm_profile(w).numpy() for m, w in found.items()}, model.latent_dim),
        key="i_norms",
    )
    st.caption(
        "A straight line between two Gaussian samples dips towards the origin, where the prior has "
        "little mass and decoders have seen few codes; slerp keeps the norm, so its frames look as "
        "typical as the endpoints (White, 2016). The dotted line is √d, the norm around which "
        "N(0, I) in d dimensions puts its mass."
    )
    shown = st.radio(
        "Walk shown on the map and in the downloads", PATHS, horizontal=True, key="i_method"
    )
    images = decode(model, found[shown])
    d1, d2 = st.columns(2)
    d1.download_button(
        "Strip as PNG", png_bytes(strip(images)), f"walk-{shown}.png", "image/png", key="i_png"
    )
    d2.download_button(
        "Walk as GIF",
        to_gif([to_pil(im, scale=6) for im in images], 120),
        f"walk-{shown}.gif",
        "image/gif",
        key="i_gif",
    )


def latent_map_section(
    info: CheckpointInfo, data: ShownSet, walk: torch.Tensor | None, source: str
) -> None:
    """The 2-D VAE's map with the path drawn on it; a click adds a point when that is the source."""
    coords = encoded_test_set(str(info.path), version(info.path), data.name)
    fig = latent_map(coords, data, f"The VAE's 2-D latent space (test {data.noun}s)")
    if walk is not None:
        fig.add_trace(
            go.Scatter(
                x=walk[:, 0].numpy(),
                y=walk[:, 1].numpy(),
                mode="lines+markers",
                name="path",
                line={"color": "black"},
            )
        )
    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="i_map")
    if source == MAP_SOURCE:
        add_clicked(selected_point(event))


def main() -> None:
    page("Interpolate")
    st.title("Interpolate")
    info, model = pick_model(("gan", "vae"))
    assert isinstance(model, GenerativeModel)
    data = shown_for(info)
    source, points = endpoints(model, data)
    if points is None and source != MAP_SOURCE:
        return  # the source's own message says what is missing
    found = walks(model, points) if points is not None else None
    if found is not None:
        norms_and_downloads(model, found)
    if isinstance(model, VAE) and model.latent_dim == 2:
        method = st.session_state.get("i_method", "lerp")
        latent_map_section(info, data, found[method] if found else None, source)


main()
