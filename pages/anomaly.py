"""Anomaly page: upload digits, see every preprocessing stage, and get an explained verdict."""

import streamlit as st

from gen_core.analysis.anomaly import DEFAULT_FPR, SCORES, Detector
from gen_core.checkpoints import CheckpointInfo
from ui import formulas
from ui.anomaly_view import (
    one_vs_rest,
    read_inputs,
    results_table,
    stack,
    verdict_card,
)
from ui.charts import score_histogram
from ui.checkpoints import pick_model
from ui.common import page
from ui.detector import best_kind, detector_for, evaluation, kinds_for, measured
from ui.latents import ShownSet, shown_for


def pick_detector(info: CheckpointInfo, data: ShownSet) -> Detector:
    """The score kind and the threshold, as a detector; each task starts on its best score."""
    kinds, best = kinds_for(info), best_kind(info)
    key = (
        "a_kind"
        + ("_one_class" if info.classes else "")
        + ("" if len(kinds) == len(SCORES) else "_plain")
    )
    kind = (
        st.radio(
            "Score",
            kinds,
            format_func=lambda k: SCORES[k],
            horizontal=True,
            index=kinds.index(best),
            key=key,
        )
        or best
    )
    st.caption(
        formulas.WHY_SCORE[best]
        if kind == best
        else f"The best measured score here is {SCORES[best]}."
    )
    detector = detector_for(info, kind, data)
    c1, c2 = st.columns([1, 2])
    if c1.radio("Threshold by", ["false-positive rate", "percentile"], key="a_by") == "percentile":
        level = c2.slider(
            "Percentile of normal scores",
            80.0,
            99.9,
            100 * (1 - DEFAULT_FPR),
            0.1,
            key="a_percentile",
        )
        detector = detector.at(percentile=level)
    else:
        rate = c2.slider(
            "Target false-positive rate (%)", 0.1, 20.0, 100 * DEFAULT_FPR, 0.1, key="a_fpr"
        )
        detector = detector.at(fpr=rate / 100)
    seen = measured(info, detector, data, far=False)
    st.caption(
        f"Threshold {detector.threshold:.2f}{detector.unit}, fitted on {len(detector.normal_scores):,} "
        f"normal {normal_kind(info, data)} of {data.name} rendered as uploads (scans and photos: "
        "any size, dark on light or light on dark, margins, blur, JPEG, tilt, noise) and read "
        f"back as yours are. Expected false alarms on uploads: {seen.false_alarms(detector.threshold):.1%}, "
        f"measured on {len(seen.normal):,} other such uploads."
    )
    return detector


def normal_kind(info: CheckpointInfo, data: ShownSet) -> str:
    trained_on = ",".join(map(str, info.classes))
    return f"test {data.noun}s" + (f" {trained_on}" if trained_on else "")


def verdicts(info: CheckpointInfo, detector: Detector, data: ShownSet) -> None:
    """Every input's verdict, on the histogram of normal scores and one card each, and as CSV."""
    prepared = read_inputs(data)
    judged = detector.judge(stack(prepared)) if prepared else None
    groups = {f"normal {normal_kind(info, data)} (uploads)": detector.normal_scores}
    seen = measured(info, detector, data, far=False)
    if seen.anomalies is not None:
        groups[f"the other test {data.noun}s (uploads)"] = seen.anomalies
    inputs = (
        {
            name: (float(judged.scores[i]), bool(judged.anomalous[i]))
            for i, (name, _) in enumerate(prepared)
        }
        if judged
        else {}
    )
    figure = score_histogram(groups, detector.threshold, inputs, SCORES[detector.kind], data.noun)
    st.plotly_chart(figure, key="a_hist")
    if judged is None:
        st.info(
            f"Upload one or more {data.noun} photos or scans, draw one, or pick a built-in example."
        )
        return
    for i, (name, stages) in enumerate(prepared):
        verdict_card(name, stages, judged, i, detector, data)
    results_table(prepared, judged, detector)


def main() -> None:
    page("Anomaly")
    st.title("Anomaly check")
    st.write(
        "Is this image like the ones the VAE learned? The VAE reconstructs what resembles its "
        "training data well; a high reconstruction error means the image is unlike it. The "
        "threshold is fitted on normal test images only, so every score comes with its "
        "percentile among them."
    )
    info, _ = pick_model(
        ("vae",), help="Only VAEs can reconstruct an input and so score it.", prefer="conv-vae"
    )  # the best shipped detector (BENCHMARKS.md)
    data = shown_for(info)  # normal data: the checkpoint's own kind of images
    detector = pick_detector(info, data)
    verdicts(info, detector, data)
    st.divider()
    evaluation(info, detector, data)
    one_vs_rest()


main()
