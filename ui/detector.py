"""The Anomaly page's detector, fitted and measured on images that took the upload road.

The threshold is fitted on held-out normal test images rendered as scans and photos and read
back as uploads are (gen_core.analysis.anomaly.normal_uploads); the false alarms and AUROC
the page shows (its Evaluate section, here too) are measured on other such images, beside the
same AUROC on dataset tensors.
Everything here is cached: the renderings per dataset, the detector per checkpoint version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from gen_core.analysis.anomaly import (
    NEEDS_CLASSIFIER,
    SCORES,
    Detector,
    Evaluation,
    NormalUploads,
    ScoreKind,
    evaluate,
    normal_uploads,
    upload_classifier_path,
)
from gen_core.checkpoints import CheckpointInfo, read_info
from gen_core.data import DatasetUnavailable, load_dataset, subset
from gen_core.models import VAE
from gen_core.models.classifier import Classifier
from gen_core.preprocess import framing_for
from gen_core.render import as_uploads
from ui.charts import roc_chart
from ui.checkpoints import cached_model, version
from ui.common import SHIPPED
from ui.latents import ShownSet, shown_set

MAX_NORMAL = 1000  # held-out normal images rendered as uploads: half fit, half measure
MAX_RENDERED = 500  # anomalies rendered as uploads for an evaluation


def upload_classifier(dataset: str) -> Classifier | None:
    """The shipped upload classifier of the dataset's kind, or None when there is none."""
    path = upload_classifier_path(dataset, SHIPPED)
    if path is None or not path.with_suffix(".json").is_file():
        return None
    model = cached_model(str(path), version(path))
    return model if isinstance(model, Classifier) else None


def kinds_for(info: CheckpointInfo) -> list[ScoreKind]:
    """The score kinds this checkpoint can use: the classifier one only where its data has one."""
    has_classifier = upload_classifier(info.dataset.name) is not None
    return [k for k in SCORES if has_classifier or k not in NEEDS_CLASSIFIER]


def best_kind(info: CheckpointInfo) -> ScoreKind:
    """The best measured score for the task (BENCHMARKS.md): the latent-neighbour one for a VAE
    of some classes only, the classifier one for uploads where it exists, else reconstruction."""
    if info.classes:
        return "sq-error+knn"
    return "recon+classifier" if "recon+classifier" in kinds_for(info) else "recon"


def normal_mask(classes: tuple[int, ...], labels: np.ndarray) -> np.ndarray:
    """Which test images are normal: those of the classes the VAE was trained on (all: none named)."""
    return np.isin(labels, classes) if classes else np.ones(len(labels), bool)


@st.cache_data(show_spinner="Rendering the normal test images as uploads (once)…", max_entries=8)
def _normal(dataset: str, classes: tuple[int, ...]) -> NormalUploads:
    data = shown_set(dataset)
    normal = data.images[normal_mask(classes, data.labels)]
    return normal_uploads(subset(normal, MAX_NORMAL), framing_for(dataset))


@st.cache_resource(show_spinner="Fitting the detector on normal uploads…", max_entries=16)
def _detector(path: str, modified: float, kind: ScoreKind, dataset: str) -> Detector:
    info, model = read_info(path), cached_model(path, modified)
    assert isinstance(model, VAE)
    training = None
    if kind == "sq-error+knn":  # compares with the checkpoint's own training images
        training = info.training_split(load_dataset(info.dataset.name).train).images
    normal = _normal(dataset, tuple(info.classes)).calibration
    classifier = upload_classifier(dataset)
    return Detector.fit(model, kind, normal, training=training, classifier=classifier)


def detector_for(info: CheckpointInfo, kind: ScoreKind, data: ShownSet) -> Detector:
    """The checkpoint's detector for ``kind`` (cached); the page stops with a message when the
    data it needs is not here."""
    try:
        return _detector(str(info.path), version(info.path), kind, data.name)
    except DatasetUnavailable as err:
        st.error(
            f"This score compares with the checkpoint's training images, which are not here: {err}"
        )
        st.stop()


@st.cache_data(show_spinner="Rendering the anomalies as uploads (once)…", max_entries=8)
def _anomalies(dataset: str, classes: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(as uploads, as tensors) of what a detector of ``dataset`` (of some ``classes``) should
    flag: the other classes of its test set for a one-class VAE, else the test split of data of
    another kind; None when that data is not here."""
    data = shown_set(dataset)
    if classes:
        tensors = data.images[~normal_mask(classes, data.labels)]
    else:
        try:
            tensors = load_dataset(data.kind.far_off).test.images
        except DatasetUnavailable:
            return None
    rendered, _ = as_uploads(list(subset(tensors, MAX_RENDERED)), framing_for(dataset), seed=1)
    return rendered, tensors


@dataclass(frozen=True)
class Measured:
    """A detector's scores of images it was not fitted on, through the upload road: normal ones
    and anomalies (None when not measured), and per task its AUROC on uploads and on tensors."""

    normal: np.ndarray
    anomalies: np.ndarray | None
    uploads: dict[str, Evaluation]
    tensors: dict[str, Evaluation]

    def false_alarms(self, threshold: float) -> float:
        """The share of these normal uploads above ``threshold``: the false alarms to expect."""
        return float((self.normal > threshold).mean())


@st.cache_data(show_spinner="Measuring the detector…", max_entries=16)
def _measure(path: str, modified: float, kind: ScoreKind, dataset: str, far: bool) -> Measured:
    info, detector = read_info(path), _detector(path, modified, kind, dataset)
    normal = detector.scores(_normal(dataset, tuple(info.classes)).evaluation)
    found = _anomalies(dataset, tuple(info.classes)) if far or info.classes else None
    if found is None:
        return Measured(normal, None, {}, {})
    odd_uploads, odd_tensors = found
    data = shown_set(dataset)
    anomalies = detector.scores(odd_uploads)
    normal_tensors = detector.scores(data.images[normal_mask(tuple(info.classes), data.labels)])
    task = task_name(info, data)
    tensors = {task: evaluate(normal_tensors, detector.scores(odd_tensors))}
    return Measured(normal, anomalies, {task: evaluate(normal, anomalies)}, tensors)


def task_name(info: CheckpointInfo, data: ShownSet) -> str:
    if info.classes:
        return f"{data.noun}s {','.join(map(str, info.classes))} vs the rest"
    names = {"digits": "MNIST", "clothes": "Fashion-MNIST"}
    far = "clothes" if data.is_digits else "digits"
    return f"{names[data.kind.name]} vs {names[far]}"


def measured(info: CheckpointInfo, detector: Detector, data: ShownSet, far: bool) -> Measured:
    """The detector's figures, the evaluation against data of another kind only when asked."""
    return _measure(str(info.path), version(info.path), detector.kind, data.name, far)


def evaluation(info: CheckpointInfo, detector: Detector, data: ShownSet) -> None:
    """AUROC through the upload road beside AUROC on tensors: the other classes for a one-class
    VAE, and data of another kind on request."""
    st.subheader("Evaluate the detector")
    names = {"digits": "MNIST", "clothes": "Fashion-MNIST"}
    ours, far = names[data.kind.name], names["clothes" if data.is_digits else "digits"]
    if info.classes:
        st.caption(
            f"This VAE was trained on {data.noun}(s) {','.join(map(str, info.classes))} only: "
            f"the other test {data.noun}s are the anomalies."
        )
    asked = st.toggle(f"{ours} test images vs {far} test images", key="a_eval_fashion")
    if not (asked or info.classes):
        return
    found = measured(info, detector, data, far=asked)
    if not found.uploads:
        st.warning(f"{far} is not on this machine (apt-get install dataset-fashion-mnist).")
        return
    st.plotly_chart(roc_chart({f"{k} (uploads)": e for k, e in found.uploads.items()}), key="a_roc")
    st.dataframe(
        [
            {
                "task": k,
                "AUROC, uploads": round(e.auroc, 4),
                "AUROC, tensors": round(found.tensors[k].auroc, 4),
            }
            for k, e in found.uploads.items()
        ],
        hide_index=True,
    )
    st.caption(
        "Uploads: held-out test images rendered as scans and photos and read back as an "
        "upload is (the road your files take); tensors: the dataset's own 28×28 images."
    )
    if any(e.auroc < 0.5 for e in [*found.uploads.values(), *found.tensors.values()]):
        st.warning(
            "An AUROC below 0.5: the anomalies score as *more* normal than the VAE's own test "
            "images. Likelihood-style scores (cross-entropy, ELBO) favour simple images with "
            "little ink, a known failure: a VAE trained on Fashion-MNIST finds MNIST digits more "
            "likely than clothes (Nalisnick et al., 2019). The squared error ranks them better."
        )
