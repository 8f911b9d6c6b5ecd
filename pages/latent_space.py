"""Latent Space page: the VAE's map of the test digits, what lives where, and the decoded manifold."""

from typing import Any

import numpy as np
import streamlit as st
import torch

from gen_core.analysis.latent import decode, encode
from gen_core.images import to_pil
from gen_core.models import VAE
from ui import formulas
from ui.checkpoints import pick_model, version
from ui.common import csv_text, page
from ui.explorer import latent_map, map_tiles
from ui.latents import (
    Placed,
    ShownSet,
    encoded_test_set,
    place_drawing,
    projection,
    shown_for,
)

PICK = "ls_pick"  # what the inspector shows: {"index": i}, or {"x", "y"} of empty space
MAP_KEY = "ls_map"


def picked_on_map() -> None:
    """The map's click callback: a test item clicked is inspected, as is a place on a 2-D map."""
    clicked = st.session_state[MAP_KEY].get("clicked")
    if clicked and clicked.get("index") is not None:
        st.session_state["ls_index"] = int(clicked["index"])
        st.session_state[PICK] = {"index": int(clicked["index"])}
    elif clicked:
        st.session_state[PICK] = {"x": float(clicked["x"]), "y": float(clicked["y"])}


def typed_index() -> None:
    st.session_state[PICK] = {"index": int(st.session_state["ls_index"])}


def inspect(model: VAE[Any], data: ShownSet, latents: np.ndarray) -> None:
    """The chosen test image with its reconstruction, or the decoded point of empty space: the
    last of a click on the map and the number typed here wins."""
    index = st.number_input(
        f"Test {data.noun} to inspect (or click one on the map)",
        0,
        len(data.labels) - 1,
        0,
        key="ls_index",
        on_change=typed_index,
    )
    picked = st.session_state.get(PICK, {})
    left, right = st.columns(2)
    with left:
        if "x" in picked and model.latent_dim == 2:
            z = torch.tensor([[picked["x"], picked["y"]]])
            st.markdown(
                f"**Decoded at ({z[0, 0]:.2f}, {z[0, 1]:.2f})**: a point no test {data.noun} sits on"
            )
            st.image(to_pil(decode(model, z), scale=6), output_format="PNG")
        else:
            x = data.images[index : index + 1]
            mu = ", ".join(f"{v:.2f}" for v in latents[index][:8]) + (
                ", …" if model.latent_dim > 8 else ""
            )
            st.markdown(
                f"**Test {data.noun} #{index}**: label {data.classes[data.labels[index]]}, μ = ({mu})"
            )
            st.image(
                [to_pil(x[0] / 255, scale=5), to_pil(decode(model, encode(model, x))[0], scale=5)],
                caption=["original", "reconstruction"],
                output_format="PNG",
            )
    with right:
        st.markdown("**What the KL term does to this map**")
        st.caption(formulas.KL_NOTE)


def drawn_here(placed: Placed, data: ShownSet, projected: np.ndarray | None) -> None:
    """The drawing as the model sees it, beside its nearest test images; above 2-D it is marked
    where its nearest test image lies (UMAP gives a new point no exact place of its own)."""
    where = "at its code" if projected is None else f"where its nearest test {data.noun} lies"
    st.caption(
        f"Your drawing is the star on the map, {where}; its {len(placed.nearest)} nearest "
        f"test {data.noun}s in latent space:"
    )
    st.image(
        [to_pil(placed.image, scale=3)]
        + [to_pil(data.images[i] / 255, scale=3) for i in placed.nearest],
        caption=["your drawing"]
        + [f"#{i}: {data.describe(data.labels[i])}" for i in placed.nearest],
        output_format="PNG",
    )


def manifold(model: VAE[Any]) -> None:
    st.subheader("Decoded manifold")
    n = st.slider("Grid size", 5, 30, 20, key="ls_grid")
    q = torch.distributions.Normal(0, 1).icdf(torch.linspace(0.05, 0.95, n))
    zs = torch.stack(torch.meshgrid(q, q.flip(0), indexing="xy"), -1).reshape(-1, 2)
    st.image(
        to_pil(decode(model, zs), nrow=n, padding=0, scale=2),
        output_format="PNG",
        caption=f"{n}×{n} latents at Gaussian quantiles 5%…95%, as in Kingma & Welling (2014), fig. 4",
    )


def main() -> None:
    page("Latent space")
    st.title("Latent space")
    info, model = pick_model(
        ("vae",), help="Only VAEs have an encoder that maps digits to the latent space."
    )
    assert isinstance(model, VAE)
    data = shown_for(info)
    latents = encoded_test_set(str(info.path), version(info.path), data.name)
    st.caption(
        f"{len(data.labels):,} test {data.noun}s of {data.name} encoded to their posterior "
        f"means μ ({model.latent_dim}-D)."
    )
    flat = model.latent_dim == 2
    shown = (
        (latents, f"Latent means μ of the test {data.noun}s")
        if flat
        else projection(info, data, latents)
    )
    if shown is None:
        return
    coords, title = shown
    with st.expander(f"Draw a {data.noun} and find it on the map"):
        placed = place_drawing(model, data, latents)
    marks = []
    if placed is not None:
        drawn_here(placed, data, coords if not flat else None)
        at = placed.code if flat else coords[placed.nearest[0]]
        marks.append((float(at[0]), float(at[1]), "your drawing"))
    st.markdown(f"**{title}**")
    latent_map(coords, data, MAP_KEY, map_tiles(info, data), marks=marks, on_click=picked_on_map)
    rows = [
        {"index": i, "label": int(data.labels[i]), "x": round(float(x), 5), "y": round(float(y), 5)}
        for i, (x, y) in enumerate(coords)
    ]
    st.download_button(
        "Coordinates as CSV", csv_text(rows), f"{info.name}-latents.csv", "text/csv", key="ls_csv"
    )
    inspect(model, data, latents)
    if flat:
        manifold(model)


main()
