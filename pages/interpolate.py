"""Interpolate page: walk a straight or a spherical path between latent points and decode it."""

import math
from typing import Any

import streamlit as st
import torch

from gen_core.analysis.latent import PATHS, PathKind, decode, norm_profile, path
from gen_core.checkpoints import CheckpointInfo
from gen_core.images import png_bytes, to_gif, to_pil
from gen_core.models import VAE, GenerativeModel
from ui.charts import norm_chart
from ui.checkpoints import cached_model, pick_model, version
from ui.common import page
from ui.endpoints import MAP_KEY, MAP_POINTS, MAP_SOURCE, add_clicked, endpoints, moved_points
from ui.explorer import latent_map, map_tiles, scrubber
from ui.latents import ShownSet, encoded_test_set, shown_for

TITLES = {"lerp": "Linear (lerp)", "slerp": "Spherical (slerp)"}


def per_row(n: int) -> int:
    """Frames per row of a strip: one row up to 25 frames, else rows of even length."""
    return math.ceil(n / math.ceil(n / 25))


def strip(images: torch.Tensor) -> Any:
    return to_pil(images, nrow=per_row(len(images)), scale=2)


MAX_FRAMES = 600  # the scrubber's frames in all, over every leg


def per_leg(legs: int) -> int:
    """The scrubber's frames per leg: 120 for one leg, fewer when there are many."""
    return max(10, min(120, MAX_FRAMES // legs))


@st.cache_data(show_spinner="Decoding the walk…", max_entries=16)
def scrub_frames(
    checkpoint: str, modified: float, points_key: bytes, frames: int, _points: torch.Tensor
) -> dict[PathKind, torch.Tensor]:
    """Both walks' decoded frames for the scrubber, once per checkpoint version and points."""
    model = cached_model(checkpoint, modified)
    assert isinstance(model, GenerativeModel)
    return {
        method: decode(model, path(_points, frames, method, model.noise_dim)) for method in PATHS
    }


def walks(
    info: CheckpointInfo, model: GenerativeModel[Any], points: torch.Tensor
) -> dict[PathKind, torch.Tensor]:
    """Both paths through the points, side by side: scrubbed in the browser, and as strips."""
    frames = per_leg(len(points) - 1)
    decoded = scrub_frames(
        str(info.path), version(info.path), points.numpy().tobytes(), frames, points
    )
    scrubber({TITLES[m]: decoded[m] for m in PATHS}, frames, key="i_scrub")
    strip_frames = st.slider("Frames per leg in the strips", 2, 24, 8, key="i_frames")
    found = {method: path(points, strip_frames, method, model.noise_dim) for method in PATHS}
    for col, method in zip(st.columns(2), PATHS, strict=True):
        images = decode(model, found[method])
        col.image(
            strip(images),
            caption=f"{TITLES[method]}: {len(images)} frames",
            width="stretch",
            output_format="PNG",
        )
    return found


def norms_and_downloads(model: GenerativeModel[Any], found: dict[PathKind, torch.Tensor]) -> None:
    st.plotly_chart(
        norm_chart(
            {m: norm_profile(w, model.noise_dim).numpy() for m, w in found.items()},
            model.noise_dim,
        ),
        key="i_norms",
    )
    st.caption(
        "A straight line between two Gaussian samples dips towards the origin, where the prior has "
        "little mass and decoders have seen few codes; slerp keeps the norm, so its frames look as "
        "typical as the endpoints (White, 2016). The dotted line is √d, the norm around which "
        "N(0, I) in d dimensions puts its mass (a class code is not counted: slerp leaves it straight)."
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
    info: CheckpointInfo, data: ShownSet, points: torch.Tensor | None, source: str
) -> None:
    """The 2-D VAE's map, decoding under the cursor, with the path on it; when the map is the
    source, a click adds a point and a dragged point moves it (its frames follow as it moves)."""
    coords = encoded_test_set(str(info.path), version(info.path), data.name)
    on_map = source == MAP_SOURCE
    shown = st.session_state.get(MAP_POINTS, []) if on_map else points
    walk = None
    if shown is not None:
        walk = {
            "points": [[float(x), float(y)] for x, y in shown],
            "method": st.session_state.get("i_method", "lerp"),
            "perLeg": per_leg(max(1, len(shown) - 1)),
            "draggable": on_map,
        }
    latent_map(
        coords,
        data,
        key=MAP_KEY,
        tiles=map_tiles(info, data),
        path=walk,
        on_click=add_clicked if on_map else None,
        on_drag=moved_points if on_map else None,
    )


def main() -> None:
    page("Interpolate")
    st.title("Interpolate")
    info, model = pick_model(("gan", "vae"))
    assert isinstance(model, GenerativeModel)
    data = shown_for(info)
    source, points = endpoints(model, data)
    has_map = isinstance(model, VAE) and model.latent_dim == 2
    if has_map and source == MAP_SOURCE:  # the map first: a click never moves it off screen
        latent_map_section(info, data, points, source)
    if points is None and source != MAP_SOURCE:
        return  # the source's own message says what is missing
    found = walks(info, model, points) if points is not None else None
    if found is not None:
        norms_and_downloads(model, found)
    if has_map and source != MAP_SOURCE:
        latent_map_section(info, data, points, source)


main()
