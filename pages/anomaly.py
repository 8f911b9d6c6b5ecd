"""Anomaly page: upload digits, see every preprocessing stage, and get an explained verdict."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image

from gen_core.analysis.anomaly import (
    NEEDS_REFERENCE,
    SCORES,
    UNITS,
    Reference,
    Scored,
    evaluate,
    fit_reference,
    percentile_of,
    score,
    threshold,
)
from gen_core.checkpoints import read_info
from gen_core.data import DatasetUnavailable, class_list, load_dataset, only_classes
from gen_core.images import heatmap, to_pil
from gen_core.preprocess import ImageRejected, framing_for, prepare
from gen_core.runs import RunRequest
from gen_core.training.presets import ONE_VS_REST, ONE_VS_REST_MODEL
from ui.checkpoints import cached_model, pick_model, version
from ui.common import page, run_manager
from ui.latents import shown_for, shown_set

MAX_FILES = 20
page("Anomaly")
st.title("Anomaly check")
st.write(
    "Is this image like the ones the VAE learned? The VAE reconstructs what resembles its "
    "training data well; a high reconstruction error means the image is unlike it. The threshold "
    "is fitted on normal test images only, so every score comes with its percentile among them."
)
info, _ = pick_model(("vae",), help="Only VAEs can reconstruct an input and so score it.")
data = shown_for(info)  # normal data: the checkpoint's own kind of images
far = "mnist-5k" if data.name == "fashion-mnist" else "fashion-mnist"  # far-off data to evaluate


@st.cache_resource(show_spinner="Encoding the normal training images…", max_entries=8)
def reference_for(path: str, modified: float) -> Reference:
    """The checkpoint's own training images (its classes only), for scores that compare with them."""
    info = read_info(path)
    normal = only_classes(load_dataset(info.dataset.name).train, info.classes)
    return fit_reference(cached_model(path, modified), normal.images)


def scores_of(path: str, modified: float, images: torch.Tensor, kind: str) -> Scored:
    """score() with the checkpoint's reference when the kind needs one."""
    reference = reference_for(path, modified) if kind in NEEDS_REFERENCE else None
    return score(cached_model(path, modified), images, kind, reference)


@st.cache_data(show_spinner="Scoring the test set…", max_entries=16)
def test_scores(path: str, modified: float, kind: str, dataset: str) -> np.ndarray:
    return scores_of(path, modified, shown_set(dataset).images, kind).scores.numpy()


@st.cache_data(show_spinner=False)
def fashion_items() -> list[Image.Image] | None:
    try:
        test = load_dataset("fashion-mnist").test
    except DatasetUnavailable:
        return None
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
        ("an ankle boot", "a pullover", "trousers"), fashion_items() or [], strict=False
    ):
        found[f"Fashion-MNIST: {name}"] = item
    return found


trained_on = ",".join(map(str, info.classes))  # a one-class detector's digit(s)
kind = st.radio(
    "Score", list(SCORES), format_func=SCORES.get, horizontal=True,
    index=list(SCORES).index("sq-error+knn") if trained_on else 0,  # the best for each task
    key="a_kind_one_class" if trained_on else "a_kind",  # remembered apart for the two tasks
)  # fmt: skip
unit = UNITS[kind]
# Normal means what the VAE was trained on: a one-class detector's other classes are anomalies.
labels = data.labels
is_normal = np.isin(labels, class_list(trained_on)) if trained_on else np.ones(len(labels), bool)
try:
    scores_all = test_scores(str(info.path), version(info.path), kind, data.name)
except DatasetUnavailable as err:
    st.error(
        f"This score compares with the checkpoint's training images, which are not here: {err}"
    )
    st.stop()
normal, others = scores_all[is_normal], scores_all[~is_normal]
c1, c2 = st.columns([1, 2])
by = c1.radio("Threshold by", ["percentile", "false-positive rate"], key="a_by")
if by == "percentile":
    level = c2.slider("Percentile of normal scores", 80.0, 99.9, 99.0, 0.1, key="a_percentile")
    cut = threshold(normal, percentile=level)
else:
    rate = c2.slider("Target false-positive rate (%)", 0.1, 20.0, 1.0, 0.1, key="a_fpr")
    cut = threshold(normal, fpr=rate / 100)
normal_kind = f"test {data.noun}s" + (f" {trained_on}" if trained_on else "")
st.caption(
    f"Threshold {cut:.1f}{unit}, fitted on the {len(normal):,} normal {normal_kind} of "
    f"{data.name} only: a score above it is called anomalous."
)

files = st.file_uploader(
    f"{data.noun.capitalize()} images (PNG or JPEG)",
    type=["png", "jpg", "jpeg"],
    accept_multiple_files=True,
    key="a_files",
)
chosen = st.multiselect("…or try built-in examples", list(examples()), key="a_examples")
if files and len(files) > MAX_FILES:
    st.error(
        f"{len(files)} files at once is too many: the first {MAX_FILES} are checked. Upload the rest in another batch."
    )
inputs = [(f.name, f.getvalue()) for f in (files or [])[:MAX_FILES]] + [
    (name, examples()[name]) for name in chosen
]

results = []
for name, raw in inputs:
    try:
        stages = prepare(raw, name, framing_for(data.name))
    except ImageRejected as err:
        st.error(f"**{name}**: {err}")
        continue
    scored = scores_of(str(info.path), version(info.path), stages.tensor[None], kind)
    value = float(scored.scores[0])
    results.append({"name": name, "stages": stages, "scored": scored, "score": value,
                    "percentile": percentile_of(value, normal), "anomalous": value > cut})  # fmt: skip

# A one-class detector's anomalies (the other digits) are drawn beside its normal digits, each
# as a share of its own group on the same bins: 900 others would dwarf 100 normal ones.
groups = {f"normal {normal_kind}": (normal, "#8aa")}
if len(others):
    groups[f"the other test {data.noun}s"] = (others, "#e9a")
bins = {"start": float(scores_all.min()), "end": float(scores_all.max()),
        "size": float(np.ptp(scores_all)) / 60 or 1.0}  # fmt: skip
fig = go.Figure([go.Histogram(x=x, xbins=bins, name=name, marker={"color": colour}, opacity=0.7,
                              histnorm="percent" if len(others) else None)
                 for name, (x, colour) in groups.items()])  # fmt: skip
fig.add_vline(x=cut, line={"color": "red", "dash": "dash"}, annotation_text="threshold")
for r in results:
    fig.add_vline(
        x=r["score"],
        line={"color": "black" if not r["anomalous"] else "crimson"},
        annotation_text=r["name"][:18],
        annotation_textangle=-90,
    )
fig.update_layout(title=f"Scores of normal {data.noun}s, the threshold, and your inputs",
                  xaxis_title=SCORES[kind], barmode="overlay",
                  yaxis_title="% of each group" if len(others) else f"{data.noun}s",
                  height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=len(others) > 0,
                  legend={"orientation": "h", "y": -0.3})  # fmt: skip
st.plotly_chart(fig, key="a_hist")

for r in results:
    s = r["stages"]
    with st.container(border=True):
        verdict = "🚩 anomalous" if r["anomalous"] else "✅ normal"
        st.markdown(
            f"**{r['name']}** · {verdict} · score {r['score']:.1f}{unit}, higher than {r['percentile']:.1f}% of normal {data.noun}s"
        )
        pictures = [s.original.convert("L").resize((84, 84)), s.gray.resize((84, 84)), s.cropped.resize((84, 84)),
                    to_pil(s.tensor, scale=3), to_pil(r["scored"].recon[0], scale=3), heatmap(r["scored"].error_maps[0], scale=3)]  # fmt: skip
        captions = [
            "upload",
            "grayscale" + (", inverted" if s.inverted else ""),
            "cropped to ink",
            framing_for(data.name).label,
            "reconstruction",
            "error map",
        ]
        st.image(pictures, caption=captions, output_format="PNG")

if results:
    table = [{"file": r["name"], "score": round(r["score"], 2), "percentile": round(r["percentile"], 2),
              "verdict": "anomalous" if r["anomalous"] else "normal", "threshold": round(cut, 2)} for r in results]  # fmt: skip
    st.dataframe(table, hide_index=True)
    csv = "file,score,percentile,verdict,threshold\n" + "\n".join(
        ",".join(str(v) for v in row.values()) for row in table
    )
    st.download_button("Results as CSV", csv, "anomaly-results.csv", "text/csv", key="a_csv")
elif not inputs:
    st.info(f"Upload one or more {data.noun} photos or scans, or pick a built-in example.")

st.divider()
st.subheader("Evaluate the detector")


@st.cache_data(show_spinner="Scoring the far-off test set…", max_entries=8)
def far_scores(path: str, modified: float, kind: str, dataset: str) -> np.ndarray | None:
    """Scores of a whole other dataset's test split (clothes for digit models, and back)."""
    try:
        images = load_dataset(dataset).test.images
    except DatasetUnavailable:
        return None
    return scores_of(path, modified, images, kind).scores.numpy()


def roc_chart(evaluations: dict) -> go.Figure:
    fig = go.Figure(
        [
            go.Scatter(x=e.fpr, y=e.tpr, mode="lines", name=f"{name}: AUROC {e.auroc:.4f}")
            for name, e in evaluations.items()
        ]
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "gray"}, name="chance"
        )
    )
    fig.update_layout(
        xaxis_title="false-positive rate",
        yaxis_title="true-positive rate",
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
    )
    return fig


evaluations = {}
if trained_on:
    evaluations[f"{data.noun}s {trained_on} vs the rest"] = evaluate(normal, others)
    st.caption(f"This VAE was trained on {data.noun}(s) {trained_on} only: the other test "
               f"{data.noun}s are the anomalies.")  # fmt: skip
names = {"mnist": "MNIST", "mnist-5k": "MNIST", "fashion-mnist": "Fashion-MNIST"}
if st.toggle(f"{names[data.name]} test images vs {names[far]} test images", key="a_eval_fashion"):
    far_off = far_scores(str(info.path), version(info.path), kind, far)
    if far_off is None:
        st.warning(f"{names[far]} is not on this machine (apt-get install dataset-fashion-mnist).")
    else:
        evaluations[f"{names[data.name]} vs {names[far]}"] = evaluate(normal, far_off)
if evaluations:
    st.plotly_chart(roc_chart(evaluations), key="a_roc")
    st.dataframe(
        [{"task": k, "AUROC": round(e.auroc, 4)} for k, e in evaluations.items()], hide_index=True
    )
    if any(e.auroc < 0.5 for e in evaluations.values()):
        st.warning(
            "An AUROC below 0.5: the anomalies score as *more* normal than the VAE's own test "
            "images. Likelihood-style scores (cross-entropy, ELBO) favour simple images with "
            "little ink, a known failure: a VAE trained on Fashion-MNIST finds MNIST digits more "
            "likely than clothes (Nalisnick et al., 2019). The squared error ranks them better."
        )

with st.expander("Train a one-vs-rest detector: a VAE that sees one digit only"):
    st.caption(
        "It trains as a run (watch it on the Train page): a conv VAE with β = 0.1 on the digit's "
        "400 training images, shifted by up to 2 pixels. Then pick its checkpoint here and score "
        f"by **{SCORES['sq-error+knn']}**, which ranks the other nine digits best in our benchmark."
    )
    digit = st.selectbox("Digit", list(range(10)), key="a_digit")
    if st.button("Train it", key="a_train"):
        settings = {"dataset": "mnist-5k", "classes": str(digit), **ONE_VS_REST}
        run_id = run_manager().submit(RunRequest.build(ONE_VS_REST_MODEL, settings))
        st.success(f"Run {run_id} started.")
        st.page_link(
            "pages/train.py",
            label="Watch it on the Train page",
            query_params={"run": run_id},
            icon="🏋️",
        )
