"""Interpolate page: walk a straight or a spherical path between latent points and decode it."""

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from gen_core.analysis.latent import at_position, decode, encode, norm_profile, path, seeded_latents
from gen_core.images import png_bytes, to_gif, to_pil
from gen_core.models import VAE
from gen_core.preprocess import ImageRejected, framing_for, prepare
from ui.checkpoints import pick_model, version
from ui.common import page
from ui.latents import encoded_test_set, latent_map, selected_point, shown_for

page("Interpolate")
st.title("Interpolate")
info, model = pick_model(("gan", "vae"))
is_vae = isinstance(model, VAE)
is_map = is_vae and model.latent_dim == 2
data = shown_for(info)
test_images, test_labels = data.images, data.labels


def parse_ints(text: str, what: str, upper: int | None = None) -> list[int] | None:
    try:
        values = [int(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        st.error(f"{what}: write whole numbers separated by commas, e.g. 3, 17, 42.")
        return None
    if len(values) < 2:
        st.error(f"{what}: give at least two, one per point of the path.")
        return None
    if upper is not None and any(not 0 <= v < upper for v in values):
        st.error(f"{what}: each must be between 0 and {upper - 1}.")
        return None
    return values


def endpoints() -> torch.Tensor | None:
    """The path's points, from the source the user picked."""
    sources = (
        ["Random seeds"]
        + ([f"Test {data.noun}s", "Upload"] if is_vae else [])
        + (["Click on the map"] if is_map else [])
    )
    if len(sources) == 1:
        st.caption(
            "A GAN has no encoder, so its points are drawn from seeds; pick a VAE checkpoint "
            "to start from test digits or your own uploads."
        )
    source = (
        st.segmented_control("Points from", sources, default="Random seeds", key="i_source")
        if len(sources) > 1
        else None
    ) or "Random seeds"
    if source == "Random seeds":
        seeds = parse_ints(
            st.text_input("Seeds, one per point (two or more)", "0, 1", key="i_seeds"), "Seeds"
        )
        return None if seeds is None else seeded_latents(model, seeds)
    if source == f"Test {data.noun}s":
        by = st.radio(f"Pick test {data.noun}s by", ["class", "index"], horizontal=True, key="i_by")
        if by == "class":
            c1, c2 = st.columns([2, 1])
            names = (
                "" if data.is_digits else ", ".join(f"{i} {c}" for i, c in enumerate(data.classes))
            )
            classes = parse_ints(
                c1.text_input("Digit of each point" if data.is_digits else "Class of each point",
                              "3, 8", key="i_classes", help=names or None),
                "Digits" if data.is_digits else "Classes", upper=10,
            )  # fmt: skip
            n = c2.number_input(f"Which example of each {'digit' if data.is_digits else 'class'}",
                                0, 99, 0, key="i_example")  # fmt: skip
            idx = (
                None
                if classes is None
                else [int(np.flatnonzero(test_labels == c)[n]) for c in classes]
            )
        else:
            idx = parse_ints(
                st.text_input("Test-set indices, one per point", "3, 120", key="i_indices"),
                "Indices",
                upper=len(test_labels),
            )
        if idx is None:
            return None
        st.image(
            [to_pil(test_images[i] / 255, scale=2) for i in idx],
            caption=[f"#{i}: {data.describe(test_labels[i])}" for i in idx],
            output_format="PNG",
        )
        return encode(model, test_images[idx])
    if source == "Upload":
        files = st.file_uploader(
            "Images (PNG or JPEG), one per point",
            type=["png", "jpg", "jpeg"],
            accept_multiple_files=True,
            key="i_upload",
        )
        digits, names = [], []
        for f in files or []:
            try:
                digits.append(prepare(f.getvalue(), f.name, framing_for(data.name)).tensor)
                names.append(f.name)
            except ImageRejected as err:
                st.error(str(err))
        if len(digits) < 2:
            st.info("Upload two or more images.")
            return None
        st.image(
            [to_pil(d, scale=2) for d in digits],
            caption=names,
            output_format="PNG",
        )
        return encode(model, torch.stack(digits))
    st.caption(
        "Click points on the map below, in order; each click adds the next point (shift-click to pick several)."
    )
    chosen = st.session_state.get("i_map_points", [])
    if st.button("Clear clicked points", key="i_clear"):
        chosen = st.session_state["i_map_points"] = []
    return torch.tensor(chosen, dtype=torch.float32) if len(chosen) >= 2 else None


def per_row(n: int) -> int:
    """Frames per row of a strip: one row up to 25 frames, else rows of even length."""
    return math.ceil(n / math.ceil(n / 25))


points = endpoints()
if points is None and not (is_map and st.session_state.get("i_source") == "Click on the map"):
    st.stop()

if points is not None:
    k = len(points)
    c1, c2 = st.columns([1, 2])
    frames = c1.slider("Frames per leg", 2, 24, 8, key="i_frames")
    position = c2.slider("Position along the path", 0.0, float(k - 1), 0.5 if k == 2 else 0.0, 0.01, key="i_pos",
                         help="0 is the first point, 1 the second, and so on")  # fmt: skip
    walks = {m: path(points, frames, m) for m in ("lerp", "slerp")}
    cols = st.columns(2)
    for col, method, title in zip(cols, walks, ("Linear (lerp)", "Spherical (slerp)"), strict=True):
        with col:
            st.markdown(f"**{title}**")
            image = decode(model, at_position(points, position, method)[None])
            st.image(
                to_pil(image, scale=6), caption=f"position {position:.2f}", output_format="PNG"
            )
            strip = decode(model, walks[method])
            st.image(
                to_pil(strip, nrow=per_row(len(strip)), scale=2),
                caption=f"{len(strip)} frames",
                width="stretch",
                output_format="PNG",
            )

    prior_shell = float(np.sqrt(model.latent_dim))
    fig = go.Figure(
        [
            go.Scatter(y=norm_profile(w).numpy(), mode="lines+markers", name=m)
            for m, w in walks.items()
        ]
    )
    fig.add_hline(y=prior_shell, line_dash="dot", annotation_text="√d", annotation_position="right")
    fig.update_layout(title="Latent norm along each path", xaxis_title="frame", yaxis_title="‖z‖", height=300,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})  # fmt: skip
    st.plotly_chart(fig, key="i_norms")
    st.caption(
        "A straight line between two Gaussian samples dips towards the origin, where the prior has "
        "little mass and decoders have seen few codes; slerp keeps the norm, so its frames look as "
        "typical as the endpoints (White, 2016). The dotted line is √d, the norm around which "
        "N(0, I) in d dimensions puts its mass."
    )
    shown = st.radio(
        "Walk shown on the map and in the downloads", list(walks), horizontal=True, key="i_method"
    )
    walk_images = decode(model, walks[shown])
    d1, d2 = st.columns(2)
    d1.download_button(
        "Strip as PNG",
        png_bytes(to_pil(walk_images, nrow=per_row(len(walk_images)), scale=2)),
        f"walk-{shown}.png",
        "image/png",
        key="i_png",
    )
    d2.download_button(
        "Walk as GIF",
        to_gif([to_pil(im, scale=6) for im in walk_images], 120),
        f"walk-{shown}.gif",
        "image/gif",
        key="i_gif",
    )

if is_map:
    coords = encoded_test_set(str(info.path), version(info.path), data.name)
    fig = latent_map(coords, data, f"The VAE's 2-D latent space (test {data.noun}s)")
    if points is not None:
        walk = walks[st.session_state.get("i_method", "lerp")].numpy()
        fig.add_trace(
            go.Scatter(
                x=walk[:, 0],
                y=walk[:, 1],
                mode="lines+markers",
                name="path",
                line={"color": "black"},
            )
        )
    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="i_map")
    picked = selected_point(event)
    if picked and st.session_state.get("i_source") == "Click on the map":
        clicked = [float(picked["x"]), float(picked["y"])]
        chosen = st.session_state.setdefault("i_map_points", [])
        if not chosen or chosen[-1] != clicked:
            chosen.append(clicked)
            st.rerun()
