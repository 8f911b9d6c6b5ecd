"""Home page of the generative-model explorer: what is here, on which data and device."""

from pathlib import Path

import streamlit as st

from gen_core.checkpoints import list_checkpoints
from gen_core.data import load_dataset
from gen_core.device import describe_device, resolve_device

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="Generative-model explorer", page_icon="🔢", layout="wide")


@st.cache_data(show_spinner="Looking for the dataset…")
def dataset_line(name: str) -> str:
    return load_dataset(name).info.describe()


st.title("Generative-model explorer")
st.write(
    "Train GANs and VAEs on digit images, watch them learn, walk their latent spaces and "
    "score uploaded digits for anomalies. Everything runs on `gen_core`, a small PyTorch library."
)
st.caption(f"Device: {describe_device(resolve_device('auto'))}")

st.subheader("Dataset in use")
st.info(dataset_line("auto"))

st.subheader("Checkpoints")
infos = list_checkpoints(*[d for d in (ROOT / "checkpoints", ROOT / "runs") if d.is_dir()])
if not infos:
    st.warning(
        "No checkpoints found in checkpoints/ or runs/. `make checkpoints` trains the shipped ones."
    )
else:
    st.dataframe(
        [
            {
                "checkpoint": str(i.path.relative_to(ROOT)),
                "model": i.model,
                "latent size": i.config.get("nz", i.config.get("latent_dim")),
                "step": i.step,
                "epoch": i.epoch,
                "dataset": i.dataset.get("name", "?"),
                "created": i.created,
            }
            for i in infos
        ],
        hide_index=True,
    )
