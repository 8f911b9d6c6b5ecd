"""Plotly figures of a run's metrics (optionally smoothed) and of class shares of samples."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gen_core.analysis.anomaly import Evaluation

LABELS = {
    "loss_d": "L_D (discriminator)",
    "loss_g": "L_G (generator)",
    "d_x": "D(x), real",
    "d_g_z": "D(G(z)), fake",
    "w_distance": "W-distance estimate",
    "gp": "gradient penalty",
    "score_gap": "E D(x) − E D(G(z)) (hinge)",
    "fid": "classifier FID (lower is better)",
    "loss": "−ELBO (recon + β·KL)",
    "recon": "reconstruction",
    "kl": "KL",
    "grad_norm_d": "‖∇D‖",
    "grad_norm_g": "‖∇G‖",
    "grad_norm": "‖∇‖",
}


def smooth(values: Sequence[float | None], weight: float) -> list[float | None]:
    """Exponential moving average, as TensorBoard's smoothing slider does (0 = raw)."""
    out: list[float | None] = []
    last = None
    for v in values:
        if v is None or not np.isfinite(v):
            out.append(None)
            continue
        last = v if last is None else weight * last + (1 - weight) * v
        out.append(last)
    return out


def metric_chart(
    steps: Sequence[dict[str, Any]],
    keys: Sequence[str],
    title: str,
    smoothing: float = 0.0,
    height: int = 300,
    right: str | None = None,
) -> go.Figure:
    """One line per metric over training steps; ``right`` (one of ``keys``) gets its own axis on
    the right, for a term far smaller than the rest (the KL beside the ELBO, the penalty)."""
    fig = go.Figure()
    x = [s["step"] for s in steps]
    for key in keys:
        if any(key in s for s in steps):
            y = smooth([s.get(key) for s in steps], smoothing)
            name = LABELS.get(key, key) + (" (right axis)" if key == right else "")
            axis = "y2" if key == right else "y"
            fig.add_trace(go.Scatter(x=x, y=y, mode=_mode(x), name=name, yaxis=axis))
    fig = _layout(fig, title, height)
    if right is not None:
        fig.update_layout(
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero"},
            margin={"r": 40},
        )
    return fig


def compare_chart(
    series: Mapping[str, Sequence[dict[str, Any]]],
    key: str,
    smoothing: float = 0.0,
    critics: Collection[str] = (),
) -> go.Figure:
    """The same metric of several runs on one chart. A WGAN critic's losses (runs named in
    ``critics``) are on another scale than the BCE losses, so beside BCE runs they get the right
    axis."""
    fig = go.Figure()
    mixed = key in ("loss_d", "loss_g") and 0 < len(set(critics) & set(series)) < len(series)
    for name, steps in series.items():
        y = smooth([s.get(key) for s in steps], smoothing)
        x = [s["step"] for s in steps]
        right = mixed and name in critics
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode=_mode(x),
                name=name + (" (WGAN critic, right axis)" if right else ""),
                yaxis="y2" if right else "y",
            )
        )
    fig = _layout(fig, LABELS.get(key, key), 380)
    if mixed:
        fig.update_layout(
            yaxis_title="BCE loss",
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "critic loss"},
            margin={"r": 50},
        )
    return fig


def _mode(x: Sequence[Any]) -> str:
    """Lines, with markers while there are few points: one point alone draws no line."""
    return "lines+markers" if len(x) < 20 else "lines"


def final_values(
    series: Mapping[str, Sequence[dict[str, Any]]],
    keys: Sequence[str],
    smoothing: float = 0.0,
    quality: Mapping[str, Sequence[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Where each run ended: its last step and the last value of each metric, smoothed as on
    the chart (a raw last value is one noisy batch); a metric a run does not log is left blank.
    With ``quality`` (each run's quality events) the last classifier FID comes first, and the
    runs are ranked by it, best first."""
    rows = []
    for name, steps in series.items():
        row: dict[str, Any] = {"run": name, "step": steps[-1]["step"] if steps else 0}
        if quality is not None:
            measured = quality.get(name) or []
            row[FINAL_FID] = round(measured[-1]["fid"], 1) if measured else None
        for key in keys:
            values = [v for v in smooth([s.get(key) for s in steps], smoothing) if v is not None]
            row[LABELS.get(key, key)] = round(values[-1], 4) if values else None
        rows.append(row)
    if quality is not None:
        rows.sort(key=lambda r: (r[FINAL_FID] is None, r[FINAL_FID] or 0.0))
    return rows


FINAL_FID = "final classifier FID"


def class_names(classes: Sequence[str]) -> list[str] | None:
    """Names for a dataset's classes in charts and warnings: its own (clothes), or None for
    classes that are just their numbers (digits)."""
    names = list(classes)
    return None if names == [str(c) for c in range(len(names))] else names


def class_bars(
    shares: Sequence[float], title: str, names: Sequence[str] | None = None, height: int = 260
) -> go.Figure:
    """Share of samples per class, with the even share (1 / classes) as a dotted line; bars are
    named by ``names`` (clothes) or numbered (digits)."""
    labels = list(names) if names else [str(c) for c in range(len(shares))]
    fig = go.Figure(go.Bar(x=labels, y=list(shares)))
    fig.add_hline(
        y=1 / len(shares),
        line_dash="dot",
        annotation_text="even<br>share",
        annotation_position="right",
    )
    fig = _layout(fig, title, height)
    fig.update_layout(
        xaxis_title="class" if names else "class (digit)",
        yaxis_title="share",
        showlegend=False,
        margin={"r": 50},
    )
    fig.update_xaxes(type="category")  # every class labelled, not a numeric axis
    return fig


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="step",
        legend={"orientation": "h", "y": -0.25},
        uirevision="keep",
    )
    return fig


def score_histogram(
    groups: Mapping[str, np.ndarray],
    threshold: float,
    inputs: Mapping[str, tuple[float, bool]],
    score_name: str,
    noun: str,
) -> go.Figure:
    """Normal scores (and, for a one-class detector, the other classes') on the same bins, each as
    a share of its own group, with the threshold and a line per input (red when anomalous)."""
    colours = ("#8aa", "#e9a")
    shared = len(groups) > 1  # 900 others would dwarf 100 normal ones: draw shares
    every = np.concatenate(list(groups.values()))
    bins = {
        "start": float(every.min()),
        "end": float(every.max()),
        "size": float(np.ptp(every)) / 60 or 1.0,
    }
    fig = go.Figure(
        [
            go.Histogram(
                x=x,
                xbins=bins,
                name=name,
                marker={"color": colour},
                opacity=0.7,
                histnorm="percent" if shared else None,
            )
            for (name, x), colour in zip(groups.items(), colours, strict=False)
        ]
    )
    fig.add_vline(x=threshold, line={"color": "red", "dash": "dash"}, annotation_text="threshold")
    for value, anomalous in inputs.values():
        fig.add_vline(x=value, line={"color": "crimson" if anomalous else "black", "width": 1})
    if inputs:
        values = [value for value, _ in inputs.values()]
        span = max(values + [float(every.max()), threshold]) - min(values + [float(every.min())])
        fig.add_trace(
            go.Scatter(
                x=values,
                y=[0.96 - 0.1 * level for level in label_levels(values, 0.04 * span)],
                yaxis="y2",
                mode="markers+text",
                text=[str(i + 1) for i in range(len(values))],
                textposition="middle right",
                marker={"color": ["crimson" if a else "black" for _, a in inputs.values()]},
                hovertext=[
                    f"{i + 1}. {name}: {v:.2f}"
                    for i, (name, v) in enumerate(
                        (name, value) for name, (value, _) in inputs.items()
                    )
                ],
                hoverinfo="text",
                name="your inputs, numbered as below",
            )
        )
    fig.update_layout(
        title=f"Scores of normal {noun}s, the threshold, and your inputs",
        xaxis_title=score_name,
        barmode="overlay",
        yaxis_title="% of each group" if shared else f"{noun}s",
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        showlegend=shared or bool(inputs),
        legend={"orientation": "h", "y": -0.3},
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False},
    )
    return fig


def label_levels(values: Sequence[float], gap: float, levels: int = 5) -> list[int]:
    """A height level for each value's label so that labels on one level are at least ``gap``
    apart (left to right, the lowest free level; the least crowded one when none is free)."""
    last = [-np.inf] * levels
    placed = [0] * len(values)
    for i in sorted(range(len(values)), key=lambda i: values[i]):
        free = [k for k in range(levels) if values[i] - last[k] >= gap]
        level = free[0] if free else int(np.argmin(last))
        placed[i], last[level] = level, values[i]
    return placed


def roc_chart(evaluations: Mapping[str, Evaluation]) -> go.Figure:
    """The ROC curve of each task, named with its AUROC."""
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


def norm_chart(norms: Mapping[str, np.ndarray], latent_dim: int) -> go.Figure:
    """||z|| along each path, with sqrt(d), where N(0, I) in d dimensions puts its mass."""
    fig = go.Figure(
        [go.Scatter(y=values, mode="lines+markers", name=name) for name, values in norms.items()]
    )
    fig.add_hline(
        y=float(np.sqrt(latent_dim)),
        line_dash="dot",
        annotation_text="√d",
        annotation_position="right",
    )
    fig.update_layout(
        title="Latent norm along each path",
        xaxis_title="frame",
        yaxis_title="‖z‖",
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig
