"""Anomaly page: upload digits, see every preprocessing stage, and get an explained verdict."""

import streamlit as st

from gen_core.analysis.anomaly import SCORES, Detector, ScoreKind, evaluate
from gen_core.checkpoints import CheckpointInfo
from ui.anomaly_view import (
    detector_for,
    far_scores,
    one_vs_rest,
    other_scores,
    read_inputs,
    results_table,
    stack,
    verdict_card,
)
from ui.charts import roc_chart, score_histogram
from ui.checkpoints import pick_model
from ui.common import page
from ui.latents import ShownSet, shown_for

NAMES = {"digits": "MNIST", "clothes": "Fashion-MNIST"}


def pick_detector(info: CheckpointInfo, data: ShownSet) -> Detector:
    """The score kind and the threshold, as a detector; a one-class VAE starts on its best score."""
    one_class = bool(info.classes)
    kind: ScoreKind = (
        st.radio(
            "Score",
            list(SCORES),
            format_func=lambda k: SCORES[k],
            horizontal=True,
            index=list(SCORES).index("sq-error+knn") if one_class else 0,  # the best for each task
            key="a_kind_one_class" if one_class else "a_kind",  # remembered apart for the two tasks
        )
        or "recon"
    )
    detector = detector_for(info, kind, data)
    c1, c2 = st.columns([1, 2])
    if c1.radio("Threshold by", ["percentile", "false-positive rate"], key="a_by") == "percentile":
        level = c2.slider("Percentile of normal scores", 80.0, 99.9, 99.0, 0.1, key="a_percentile")
        detector = detector.at(percentile=level)
    else:
        rate = c2.slider("Target false-positive rate (%)", 0.1, 20.0, 1.0, 0.1, key="a_fpr")
        detector = detector.at(fpr=rate / 100)
    st.caption(
        f"Threshold {detector.threshold:.1f}{detector.unit}, fitted on the "
        f"{len(detector.normal_scores):,} normal {normal_kind(info, data)} of {data.name} only: "
        "a score above it is called anomalous."
    )
    return detector


def normal_kind(info: CheckpointInfo, data: ShownSet) -> str:
    trained_on = ",".join(map(str, info.classes))
    return f"test {data.noun}s" + (f" {trained_on}" if trained_on else "")


def verdicts(info: CheckpointInfo, detector: Detector, data: ShownSet) -> None:
    """Every input's verdict, on the histogram of normal scores and one card each, and as CSV."""
    prepared = read_inputs(data)
    judged = detector.judge(stack(prepared)) if prepared else None
    groups = {f"normal {normal_kind(info, data)}": detector.normal_scores}
    others = other_scores(info, detector.kind, data)
    if len(others):
        groups[f"the other test {data.noun}s"] = others
    inputs = (
        {
            name: (float(judged.scores[i]), bool(judged.anomalous[i]))
            for i, (name, _) in enumerate(prepared)
        }
        if judged
        else {}
    )
    st.plotly_chart(
        score_histogram(groups, detector.threshold, inputs, SCORES[detector.kind], data.noun),
        key="a_hist",
    )
    if judged is None:
        st.info(f"Upload one or more {data.noun} photos or scans, or pick a built-in example.")
        return
    for i, (name, stages) in enumerate(prepared):
        verdict_card(name, stages, judged, i, detector, data)
    results_table(prepared, judged, detector)


def evaluation(info: CheckpointInfo, detector: Detector, data: ShownSet) -> None:
    """AUROC and ROC curves: the other classes for a one-class VAE, and data of another kind."""
    st.subheader("Evaluate the detector")
    found = {}
    others = other_scores(info, detector.kind, data)
    if len(others):
        trained_on = ",".join(map(str, info.classes))
        found[f"{data.noun}s {trained_on} vs the rest"] = evaluate(detector.normal_scores, others)
        st.caption(
            f"This VAE was trained on {data.noun}(s) {trained_on} only: the other test "
            f"{data.noun}s are the anomalies."
        )
    ours, far = NAMES[data.kind.name], NAMES["clothes" if data.is_digits else "digits"]
    if st.toggle(f"{ours} test images vs {far} test images", key="a_eval_fashion"):
        far_off = far_scores(info, detector.kind, data)
        if far_off is None:
            st.warning(f"{far} is not on this machine (apt-get install dataset-fashion-mnist).")
        else:
            found[f"{ours} vs {far}"] = evaluate(detector.normal_scores, far_off)
    if not found:
        return
    st.plotly_chart(roc_chart(found), key="a_roc")
    st.dataframe(
        [{"task": k, "AUROC": round(e.auroc, 4)} for k, e in found.items()], hide_index=True
    )
    if any(e.auroc < 0.5 for e in found.values()):
        st.warning(
            "An AUROC below 0.5: the anomalies score as *more* normal than the VAE's own test "
            "images. Likelihood-style scores (cross-entropy, ELBO) favour simple images with "
            "little ink, a known failure: a VAE trained on Fashion-MNIST finds MNIST digits more "
            "likely than clothes (Nalisnick et al., 2019). The squared error ranks them better."
        )


def main() -> None:
    page("Anomaly")
    st.title("Anomaly check")
    st.write(
        "Is this image like the ones the VAE learned? The VAE reconstructs what resembles its "
        "training data well; a high reconstruction error means the image is unlike it. The "
        "threshold is fitted on normal test images only, so every score comes with its "
        "percentile among them."
    )
    info, _ = pick_model(("vae",), help="Only VAEs can reconstruct an input and so score it.")
    data = shown_for(info)  # normal data: the checkpoint's own kind of images
    detector = pick_detector(info, data)
    verdicts(info, detector, data)
    st.divider()
    evaluation(info, detector, data)
    one_vs_rest()


main()
