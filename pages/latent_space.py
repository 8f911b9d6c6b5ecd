"""Latent Space page: the VAE's map of the test digits, what lives where, and the decoded manifold."""

import streamlit as st
import torch

from gen_core.analysis.latent import PROJECTIONS, decode, encode
from gen_core.images import to_pil
from ui.checkpoints import pick_model, version
from ui.common import page
from ui.latents import (
    click_grid,
    encoded_test_set,
    latent_map,
    projected,
    selected_point,
    shown_for,
)

page("Latent space")
st.title("Latent space")
info, model = pick_model(
    ("vae",), help="Only VAEs have an encoder that maps digits to the latent space."
)
data = shown_for(info)
images, labels = data.images, data.labels
latents = encoded_test_set(str(info.path), version(info.path), data.name)
st.caption(f"{len(labels):,} test {data.noun}s of {data.name} encoded to their posterior means μ "
           f"({model.latent_dim}-D).")  # fmt: skip

if model.latent_dim == 2:
    coords, title, grid = latents, f"Latent means μ of the test {data.noun}s", click_grid(latents)
else:
    st.markdown(f"The latent space has {model.latent_dim} dimensions: choose a projection to 2-D.")
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
        submitted = st.form_submit_button("Compute projection")
    settings = (method, n_neighbors, min_dist) if method == "umap" else (method, 15, 0.1)
    if submitted:
        st.session_state["ls_settings"] = settings
    chosen = st.session_state.get("ls_settings")
    if chosen is None:
        st.info(
            "Press **Compute projection**. UMAP takes about half a minute the first time; results are cached per checkpoint and settings."
        )
        st.stop()
    with st.status(
        f"Projecting {len(latents):,} latents with {chosen[0].upper()}…", expanded=False
    ) as status:
        coords = projected(str(info.path), version(info.path), data.name, *chosen)
        status.update(label=f"{chosen[0].upper()} projection ready", state="complete")
    title, grid = f"{chosen[0].upper()} projection of the test {data.noun}s' μ", None

event = st.plotly_chart(
    latent_map(coords, data, title, grid),
    on_select="rerun",
    selection_mode="points",
    key="ls_map",
)
csv = "index,label,x,y\n" + "\n".join(
    f"{i},{labels[i]},{coords[i, 0]:.5f},{coords[i, 1]:.5f}" for i in range(len(labels))
)
st.download_button("Coordinates as CSV", csv, f"{info.name}-latents.csv", "text/csv", key="ls_csv")

picked = selected_point(event)
index = st.number_input(f"Test {data.noun} to inspect (or click one on the map)", 0, len(labels) - 1,
                        int(picked["customdata"]) if picked and picked.get("customdata") is not None else 0, key=f"ls_index_{picked}")  # fmt: skip
left, right = st.columns(2)
with left:
    if picked and picked.get("customdata") is None:
        z = torch.tensor([[float(picked["x"]), float(picked["y"])]])
        st.markdown(
            f"**Decoded at ({z[0, 0]:.2f}, {z[0, 1]:.2f})**: a point no test {data.noun} sits on"
        )
        st.image(to_pil(decode(model, z), scale=6), output_format="PNG")
    else:
        x = images[index : index + 1]
        recon = decode(model, encode(model, x))
        st.markdown(
            f"**Test {data.noun} #{index}**: label {data.classes[labels[index]]}, μ = ({', '.join(f'{v:.2f}' for v in latents[index][:8])}{', …' if model.latent_dim > 8 else ''})"
        )
        st.image(
            [to_pil(x[0] / 255, scale=5), to_pil(recon[0], scale=5)],
            caption=["original", "reconstruction"],
            output_format="PNG",
        )
with right:
    st.markdown("**What the KL term does to this map**")
    st.caption(
        "The ELBO's KL term pulls every q(z|x) towards N(0, I): codes crowd around the origin "
        "within a few units, classes touch instead of drifting apart, and the space between them "
        "still decodes to plausible images, which is what makes sampling and interpolation work. "
        "Turn β up and the map packs tighter and blurrier; down to 0 and it becomes a plain "
        "autoencoder's, with gaps that decode to noise."
    )

if model.latent_dim == 2:
    st.subheader("Decoded manifold")
    n = st.slider("Grid size", 5, 30, 20, key="ls_grid")
    q = torch.distributions.Normal(0, 1).icdf(torch.linspace(0.05, 0.95, n))
    zs = torch.stack(torch.meshgrid(q, q.flip(0), indexing="xy"), -1).reshape(-1, 2)
    st.image(
        to_pil(decode(model, zs), nrow=n, padding=0, scale=2),
        caption=f"{n}×{n} latents at Gaussian quantiles 5%…95%, as in Kingma & Welling (2014), fig. 4",
        output_format="PNG",
    )
