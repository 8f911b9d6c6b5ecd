"""Home page of the generative-model explorer (`python -m ui.serve`, or `streamlit run app.py`): what it does, on which data and device, and a tour."""

import streamlit as st

from ui.checkpoints import available, label
from ui.common import dataset_info, device_line, page


def main() -> None:
    page("Home")
    st.title("Generative-model explorer")
    st.write(
        "Train GANs and VAEs on handwritten digits and watch them learn, walk their latent spaces, "
        "and check your own digit images for anomalies. Everything runs on `gen_core`, a small "
        "PyTorch library that the command line (`python -m gen_core`) uses too."
    )

    st.subheader("Data and device")
    info = dataset_info("auto")
    if isinstance(info, str):
        st.error(f"No dataset is available: {info}")
    else:
        st.info(f"**Dataset in use:** {info.describe()}")
    st.caption(f"Device: {device_line()}")

    st.subheader("Tour")
    st.page_link(
        "pages/train.py",
        label="**Train**: launch a GAN or VAE run, watch losses and samples live, compare remedies",
        icon="🏋️",
    )
    st.page_link(
        "pages/interpolate.py",
        label="**Interpolate**: walk straight or spherical paths between latent points",
        icon="↔️",
    )
    st.page_link(
        "pages/latent_space.py",
        label="**Latent space**: explore the VAE's map of the digits and decode any point",
        icon="🗺️",
    )
    st.page_link(
        "pages/anomaly.py",
        label="**Anomaly**: upload digits and see whether the VAE finds them normal, and why",
        icon="🚩",
    )
    st.page_link(
        "pages/report.py",
        label="**Model report**: classifier FID, digit coverage and likelihood of every checkpoint",
        icon="📏",
    )

    st.subheader("Checkpoints")
    infos = available()
    if not infos:
        st.warning(
            "No checkpoints found in checkpoints/ or runs/. `make checkpoints` trains the shipped ones."
        )
    else:
        st.caption(
            "Shipped checkpoints work on every page at once; runs you finish or stop join this list."
        )
        st.dataframe(
            [
                {
                    "checkpoint": label(i),
                    "model": i.model,
                    "latent size": i.latent_dim,
                    "step": i.step,
                    "epoch": i.epoch,
                    "dataset": i.dataset.name,
                    "created (UTC)": i.created[:16].replace("T", " "),
                }
                for i in infos
            ],
            hide_index=True,
        )


main()
