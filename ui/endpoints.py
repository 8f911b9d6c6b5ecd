"""Where the Interpolate page's latent points come from: seeds, chosen classes (a
class-conditional GAN), test images, uploads or clicks on the 2-D map, each read into a
(K, latent_dim) tensor of points."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st
import torch

from gen_core.analysis.latent import class_latents, encode, seeded_latents
from gen_core.images import to_pil
from gen_core.models import GAN, VAE, GenerativeModel, LatentSource
from gen_core.preprocess import ImageRejected, framing_for, prepare
from ui.drawing import drawing
from ui.latents import ShownSet

MAP_SOURCE = "Click on the map"
DRAW_SOURCE = "Draw"
MAP_POINTS = "i_map_points"  # session key of the points clicked so far
MAP_KEY = "i_map"  # the map component's key: its clicks and drags


def parse_ints(text: str, what: str, upper: int | None = None) -> list[int] | None:
    """Whole numbers separated by commas, at least two, each below ``upper``; None (with a
    message) when the text is not that."""
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


def chosen_source(data: ShownSet) -> str:
    """A class-conditional GAN's source: points drawn as the classes a person names."""
    return f"Chosen {data.noun}s"


def sources(model: GenerativeModel[Any], data: ShownSet) -> list[str]:
    is_vae = isinstance(model, VAE)
    conditional = isinstance(model, GAN) and model.n_classes > 0
    return (
        ["Random seeds"]
        + ([chosen_source(data)] if conditional else [])
        + ([f"Test {data.noun}s", "Upload", DRAW_SOURCE] if is_vae else [])
        + ([MAP_SOURCE] if is_vae and model.latent_dim == 2 else [])
    )


DRAWN_FROM: dict[str, LatentSource] = {
    "the prior N(0, I)": "prior",
    "the density fitted to the training codes": "fitted",
}


def latent_source(model: GenerativeModel[Any]) -> LatentSource:
    """Where random points are drawn: the prior, or a VAE's fitted density when it has one."""
    if not model.has_fitted_density:
        return "prior"
    picked = st.radio(
        "Draw each seed's point from",
        list(DRAWN_FROM),
        horizontal=True,
        key="i_drawn_from",
        help="Real images' codes do not fill N(0, I): the prior also draws from the gaps "
        "between them, where the decoder never learnt to draw. The fitted density (a mixture "
        "of Gaussians fitted to the training codes when the run ended) draws where they lie.",
    )
    return DRAWN_FROM[picked]


def endpoints(model: GenerativeModel[Any], data: ShownSet) -> tuple[str, torch.Tensor | None]:
    """The source the user picked and the path's points from it (None until there are two)."""
    choices = sources(model, data)
    source = choices[0]
    if isinstance(model, GAN):
        st.caption(
            "A GAN has no encoder, so its points are drawn from seeds"
            + (", as the classes you name (it is class-conditional)" if len(choices) > 1 else "")
            + "; pick a VAE checkpoint to start from test digits or your own uploads."
        )
    if len(choices) > 1:
        source = (
            st.segmented_control("Points from", choices, default=source, key="i_source") or source
        )
    if source == "Random seeds":
        text = st.text_input("Seeds, one per point (two or more)", "0, 1", key="i_seeds")
        seeds = parse_ints(text, "Seeds")
        drawn_from = latent_source(model)
        return source, None if seeds is None else seeded_latents(model, seeds, drawn_from)
    if isinstance(model, GAN):
        return source, _chosen(model, data)
    assert isinstance(model, VAE)
    if source == "Upload":
        return source, _uploaded(model, data)
    if source == MAP_SOURCE:
        return source, _clicked()
    if source == DRAW_SOURCE:
        return source, _drawn(model, data)
    return source, _test_images(model, data)


def _classes(data: ShownSet, column: Any, key: str) -> list[int] | None:
    """The class of each point, as numbers (a class list in the help for clothes)."""
    names = "" if data.is_digits else ", ".join(f"{i} {c}" for i, c in enumerate(data.classes))
    what = "Digit" if data.is_digits else "Class"
    text = column.text_input(f"{what} of each point", "3, 8", key=key, help=names or None)
    return parse_ints(text, "Digits" if data.is_digits else "Classes", upper=len(data.classes))


def _chosen(model: GAN[Any], data: ShownSet) -> torch.Tensor | None:
    c1, c2 = st.columns([2, 1])
    classes = _classes(data, c1, "i_chosen")
    seed = c2.number_input(
        "Style seed",
        0,
        10**6,
        0,
        key="i_style",
        help="One noise for every point: the walk changes the class and keeps the style.",
    )
    return None if classes is None else class_latents(model, classes, int(seed))


def _test_images(model: VAE[Any], data: ShownSet) -> torch.Tensor | None:
    by = st.radio(f"Pick test {data.noun}s by", ["class", "index"], horizontal=True, key="i_by")
    if by == "class":
        c1, c2 = st.columns([2, 1])
        classes = _classes(data, c1, "i_classes")
        what = "digit" if data.is_digits else "class"
        n = c2.number_input(f"Which example of each {what}", 0, 99, 0, key="i_example")
        idx = (
            None if classes is None else [int(np.flatnonzero(data.labels == c)[n]) for c in classes]
        )
    else:
        text = st.text_input("Test-set indices, one per point", "3, 120", key="i_indices")
        idx = parse_ints(text, "Indices", upper=len(data.labels))
    if idx is None:
        return None
    st.image(
        [to_pil(data.images[i] / 255, scale=2) for i in idx],
        caption=[f"#{i}: {data.describe(data.labels[i])}" for i in idx],
        output_format="PNG",
    )
    return encode(model, data.images[idx])


def _uploaded(model: VAE[Any], data: ShownSet) -> torch.Tensor | None:
    files = st.file_uploader(
        "Images (PNG or JPEG), one per point",
        type=["png", "jpg", "jpeg"],
        accept_multiple_files=True,
        key="i_upload",
    )
    images, names = [], []
    for f in files or []:
        try:
            images.append(prepare(f.getvalue(), f.name, framing_for(data.name)).tensor)
            names.append(f.name)
        except ImageRejected as err:
            st.error(str(err))
    if len(images) < 2:
        st.info("Upload two or more images.")
        return None
    st.image([to_pil(image, scale=2) for image in images], caption=names, output_format="PNG")
    return encode(model, torch.stack(images))


def _drawn(model: VAE[Any], data: ShownSet) -> torch.Tensor | None:
    """Two drawings, the walk's first and last points, each read as an upload is."""
    images = []
    for column, (key, which) in zip(
        st.columns(2), (("i_draw_a", "first"), ("i_draw_b", "last")), strict=True
    ):
        with column:
            drawn = drawing(key, f"The {which} point: draw a {data.noun}")
            if drawn is not None:
                try:
                    images.append(
                        prepare(drawn, f"the {which} drawing", framing_for(data.name)).tensor
                    )
                except ImageRejected as err:
                    st.error(str(err))
    return encode(model, torch.stack(images)) if len(images) == 2 else None


def _clicked() -> torch.Tensor | None:
    st.caption(
        "Click the map to add the path's next point; drag a numbered point to move it (its "
        "frames follow as you drag). Hover anywhere to see what the VAE decodes there."
    )
    if st.button("Clear clicked points", key="i_clear"):
        st.session_state[MAP_POINTS] = []
    chosen = st.session_state.get(MAP_POINTS, [])
    return torch.tensor(chosen, dtype=torch.float32) if len(chosen) >= 2 else None


def add_clicked() -> None:
    """The map's click callback: the clicked place is the path's next point."""
    clicked = st.session_state[MAP_KEY].get("clicked")
    if clicked:
        point = [float(clicked["x"]), float(clicked["y"])]
        chosen = st.session_state.setdefault(MAP_POINTS, [])
        if not chosen or chosen[-1] != point:
            chosen.append(point)


def moved_points() -> None:
    """The map's drag callback: the path's points where the user let them go."""
    moved = st.session_state[MAP_KEY].get("points")
    if moved:
        st.session_state[MAP_POINTS] = [[float(x), float(y)] for x, y in moved]
