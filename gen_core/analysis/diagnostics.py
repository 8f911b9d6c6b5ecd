"""Reading a run's health: is D winning, is the run diverging, are classes vanishing?

These look only at what a run folder holds (the ``step`` events' metrics, the class counts of its
sample grids), so the app can warn while a run is still going and the same verdict can be
rebuilt from any run folder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """A finding for a person: what is happening and what to try."""

    kind: str
    message: str


def discriminator_winning(
    steps: Sequence[dict[str, Any]], threshold: float = 0.05, patience: int = 5
) -> Finding | None:
    """D(G(z)) below ``threshold`` for the last ``patience`` logs: G gets almost no gradient.

    With the minimax loss the generator's gradient vanishes exactly then (Goodfellow et al., 2014, sec. 3).
    """
    recent = [s["d_g_z"] for s in steps[-patience:] if s.get("d_g_z") is not None]
    if len(recent) < patience or max(recent) >= threshold:
        return None
    return Finding(
        "d-winning",
        f"The discriminator is winning: D(G(z)) has stayed below {threshold} for the last {patience} logs "
        f"(now {recent[-1]:.3f}), so the generator learns little. Try one-sided label smoothing, a lower "
        "D learning rate, dropout in D, the non-saturating loss, or wgan-gp.",
    )


def diverging(
    steps: Sequence[dict[str, Any]],
    keys: Sequence[str] = ("loss", "loss_d", "loss_g"),
    factor: float = 10.0,
) -> Finding | None:
    """A loss that is non-finite, or has grown ``factor`` times above its best recent level."""
    for key in keys:
        values = [s.get(key) for s in steps if key in s]
        if not values:
            continue
        if values[-1] is None or not math.isfinite(values[-1]):
            return Finding(
                "diverged",
                f"{key} is no longer a finite number: the run has diverged. Lower the learning rate.",
            )
        sizes = [abs(v) for v in values if v is not None]  # None: logged as non-finite
        if len(sizes) >= 10:
            floor = min(sizes)
            now = sum(sizes[-3:]) / 3
            if floor > 0 and now > factor * max(floor, 1.0):
                return Finding(
                    "diverging",
                    f"{key} has grown to {now:.3g}, over {factor:g}× its best level ({floor:.3g}): the run may be diverging.",
                )
    return None


def vanishing_classes(
    grids: Sequence[tuple[int, int, Sequence[int]]],
    expected: int = 10,
    min_share: float = 0.05,
    settle_epochs: int = 2,
    names: Sequence[str] | None = None,
) -> Finding | None:
    """Mode collapse read from the class counts of successive sample grids, as (step, epoch, counts).

    Grids from the first ``settle_epochs`` epochs are blobs the classifier reads arbitrarily,
    so they count for nothing. After that, a class that made up at least ``min_share`` of the
    earlier grids on average and is missing from the latest grid has vanished (a class with a
    5% share is missing from 64 samples by chance less than 4% of the time; a rare one that
    comes and goes is not flagged). Three or more grids that still show at most half the
    ``expected`` classes mean the generator has collapsed onto few. Classes are called by
    ``names`` where given (clothes), else as digits.
    """
    settled = [(step, counts) for step, epoch, counts in grids if epoch >= settle_epochs]
    if not settled:
        return None
    step, latest = settled[-1]
    present = [c for c, count in enumerate(latest) if count > 0]
    earlier = [[n / max(sum(counts), 1) for n in counts] for _, counts in settled[:-1]]
    seen = {
        c
        for c in range(len(latest))
        if earlier and sum(shares[c] for shares in earlier) / len(earlier) >= min_share
    }
    vanished = sorted(seen - set(present))
    advice = "Try one-sided label smoothing, a lower learning rate for D, or wgan-gp."
    if vanished:
        several = len(vanished) > 1
        noun = ("classes" if several else "class") if names else ("digits" if several else "digit")
        which = ", ".join(names[c] if names else str(c) for c in vanished)
        return Finding(
            "classes-vanished",
            f"Mode collapse: {noun} {which} appeared in earlier samples but not in the latest grid "
            f"(step {step}). {advice}",
        )
    if len(settled) >= 3 and len(present) <= expected // 2:
        return Finding(
            "few-classes",
            f"Only {len(present)} of {expected} classes appear in the latest samples (step {step}): "
            f"the generator covers few modes. {advice}",
        )
    return None


def quality_falling(
    quality: Sequence[dict[str, Any]], entropy_drop: float = 0.35, fid_rise: float = 1.5
) -> Finding | None:
    """Mode collapse or decay read from the run's own sample-quality measurements (500 fixed
    samples each; far steadier than a 64-sample grid): the class entropy ``entropy_drop`` nats
    below its best (about three of ten classes gone from an even spread), or the classifier FID
    of the last two measurements both over ``fid_rise`` times its best."""
    measured = [q for q in quality if "fid" in q]
    if len(measured) < 3:
        return None
    last = measured[-1]
    best_entropy = max(measured, key=lambda q: q["class_entropy"])
    advice = "Try the R1 penalty, spectral norm in D, or a lower learning rate for D."
    if last["class_entropy"] < best_entropy["class_entropy"] - entropy_drop:
        return Finding(
            "entropy-fell",
            f"Mode collapse: the class entropy of the samples fell from "
            f"{best_entropy['class_entropy']:.2f} nats (step {best_entropy['step']}) to "
            f"{last['class_entropy']:.2f} (step {last['step']}; ln 10 = 2.30 when every class is "
            f"drawn equally often): the generator draws fewer kinds. {advice}",
        )
    best = min(measured, key=lambda q: q["fid"])
    if all(q["fid"] > fid_rise * best["fid"] for q in measured[-2:]):
        return Finding(
            "fid-rising",
            f"Samples are getting worse: classifier FID rose from {best['fid']:.1f} (step "
            f"{best['step']}) to {last['fid']:.1f} (step {last['step']}). The checkpoint keeps "
            f"only the latest weights: stop here, or {advice[0].lower()}{advice[1:]}",
        )
    return None


def check(steps: Sequence[dict[str, Any]], quality: Sequence[dict[str, Any]] = ()) -> list[Finding]:
    """Every warning that applies to a run's step and quality events so far."""
    found = (discriminator_winning(steps), diverging(steps), quality_falling(quality))
    return [w for w in found if w]
