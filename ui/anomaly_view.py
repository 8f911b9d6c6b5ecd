"""The Anomaly page's parts: the cached detector, the inputs (uploads and examples) and the
verdict cards that explain each one."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from PIL import Image, ImageOps

from gen_core.analysis.anomaly import SCORES, Detector, Judged
from gen_core.data import DatasetUnavailable, load_dataset
from gen_core.images import heatmap, to_pil
from gen_core.preprocess import ImageRejected, Stages, framing_for, prepare
from gen_core.runs import QueueFull, RunRequest
from gen_core.training.presets import ONE_VS_REST, ONE_VS_REST_MODEL
from ui import access
from ui.common import csv_text, run_manager
from ui.drawing import drawing
from ui.latents import ShownSet, shown_set

MAX_FILES = 20
THUMB = 96  # pixels of each stage's picture


@st.cache_data(show_spinner=False)
def _fashion_items() -> list[Image.Image]:
    try:
        test = load_dataset("fashion-mnist").test
    except DatasetUnavailable:
        return []
    return [Image.fromarray(test.images[i, 0].numpy()) for i in (0, 1, 2)]


def examples() -> dict[str, Image.Image]:
    """Built-in inputs to try without a file, as images a person could have uploaded."""
    digits = shown_set("mnist-5k")
    images, labels = digits.images, digits.labels
    digit = lambda i: Image.fromarray(images[i, 0].numpy())  # noqa: E731
    found = {f"MNIST test digit #{i} (a {labels[i]})": digit(i) for i in (3, 250, 705)}
    found["the #705 digit rotated 90°"] = digit(705).rotate(90)
    found["the #250 digit inverted (black on white)"] = Image.fromarray(
        255 - images[250, 0].numpy()
    )
    found["uniform noise"] = Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    )
    for name, item in zip(
        ("an ankle boot", "a pullover", "trousers"), _fashion_items(), strict=False
    ):
        found[f"Fashion-MNIST: {name}"] = item
    return found


def read_inputs(data: ShownSet) -> list[tuple[str, Stages]]:
    """Uploads, a drawing and picked examples, each prepared as the model's data was; a file
    that cannot be read gets its message and the others go on."""
    files = st.file_uploader(
        f"{data.noun.capitalize()} images (PNG or JPEG)",
        type=["png", "jpg", "jpeg"],
        accept_multiple_files=True,
        key="a_files",
    )
    builtin = examples()
    chosen = st.multiselect("…or try built-in examples", list(builtin), key="a_examples")
    if files and len(files) > MAX_FILES:
        st.error(
            f"{len(files)} files at once is too many: the first {MAX_FILES} are checked. "
            "Upload the rest in another batch."
        )
    raw: list[tuple[str, bytes | Image.Image]] = [
        (f.name, f.getvalue()) for f in (files or [])[:MAX_FILES]
    ]
    raw += [(name, builtin[name]) for name in chosen]
    with st.expander(f"…or draw a {data.noun}", expanded=False):
        drawn = drawing("a_draw", f"Draw a {data.noun}: it is judged as an upload would be")
    if drawn is not None:
        raw.append(("your drawing", drawn))
    prepared = []
    for name, content in raw:
        try:
            prepared.append((name, prepare(content, name, framing_for(data.name))))
        except ImageRejected as err:
            st.error(f"**{name}**: {err}")
    return prepared


def verdict_card(
    name: str, stages: Stages, judged: Judged, i: int, detector: Detector, data: ShownSet
) -> None:
    """One input's verdict with every stage of its preparation, reconstruction and error map."""
    with st.container(border=True):
        verdict = "🚩 anomalous" if judged.anomalous[i] else "✅ normal"
        st.markdown(
            f"**{i + 1}. {name}** · {verdict} · score {judged.scores[i]:.1f}{detector.unit}, higher "
            f"than {judged.percentiles[i]:.1f}% of normal {data.noun}s"
        )
        pictures = [
            thumb(stages.original.convert("L")),
            thumb(stages.gray),
            thumb(stages.cropped),
            thumb(to_pil(stages.tensor, padding=0)),
            thumb(to_pil(judged.recon[i], padding=0)),
            thumb(heatmap(judged.error_maps[i])),
        ]
        captions = [
            "upload",
            "grayscale" + (", inverted" if stages.inverted else ""),
            "cropped to ink",
            framing_for(data.name).label,
            "reconstruction",
            "error map",
        ]
        st.image(pictures, caption=captions, width=THUMB, output_format="PNG")


def thumb(image: Image.Image) -> Image.Image:
    """Every stage at one size, its shape kept (padded, not squashed): small ones enlarged with
    sharp pixels, photos shrunk smoothly."""
    small = max(image.size) < THUMB
    method = Image.Resampling.NEAREST if small else Image.Resampling.LANCZOS
    return ImageOps.pad(image, (THUMB, THUMB), method, color=0)


def stack(prepared: list[tuple[str, Stages]]) -> torch.Tensor:
    return torch.stack([stages.tensor for _, stages in prepared])


def results_table(prepared: list[tuple[str, Stages]], judged: Judged, detector: Detector) -> None:
    """The verdicts as a table, and the same rows as a CSV download."""
    table = [
        {
            "file": name,
            "score": round(float(judged.scores[i]), 2),
            "percentile": round(float(judged.percentiles[i]), 2),
            "verdict": "anomalous" if judged.anomalous[i] else "normal",
            "threshold": round(detector.threshold, 2),
        }
        for i, (name, _) in enumerate(prepared)
    ]
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Results as CSV", csv_text(table), "anomaly-results.csv", "text/csv", key="a_csv"
    )


def one_vs_rest() -> None:
    with st.expander("Train a one-vs-rest detector: a VAE that sees one digit only"):
        st.caption(
            "It trains as a run (watch it on the Train page): a conv VAE with β = 0.1 on the "
            "digit's 400 training images, shifted by up to 2 pixels. Then pick its checkpoint here "
            f"and score by **{SCORES['sq-error+knn']}**, which ranks the other nine digits best in "
            "our benchmark."
        )
        if not access.may_change_runs():
            access.explain_locked()
            return
        digit = st.selectbox("Digit", list(range(10)), key="a_digit")
        if st.button("Train it", key="a_train"):
            settings = {"dataset": "mnist-5k", "classes": str(digit), **ONE_VS_REST}
            request = RunRequest.build(ONE_VS_REST_MODEL, settings, owner=access.user())
            try:
                run_id = run_manager().submit(request)
            except QueueFull as err:
                st.error(str(err))
                return
            st.success(f"Run {run_id} started.")
            st.page_link(
                "pages/train.py",
                label="Watch it on the Train page",
                query_params={"run": run_id},
                icon="🏋️",
            )
