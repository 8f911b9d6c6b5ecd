"""What every benchmark prints its figures with, so each ratio can be checked against its parts."""

from __future__ import annotations

import re

RATIO = re.compile(
    r"^(?P<label>.+): (?P<measured>[-\d.e+]+) / (?P<reference>[-\d.e+]+) = (?P<ratio>[-\d.]+)x$"
)


def ratio_line(label: str, measured: float, reference: float) -> str:
    """``label: measured / reference = ratio x``: every benchmark's last line is one."""
    return f"{label}: {measured:.4g} / {reference:.4g} = {measured / reference:.3f}x"


def p95(times: list[float]) -> float:
    """The 95th percentile of timings (nearest rank)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)))]
