"""Benchmarks run here only in smoke mode: they must work; their figures come from real runs."""

import math
import subprocess
import sys

import pytest

from .helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import RATIO, ratio_line  # noqa: E402

pytestmark = pytest.mark.slow


def test_a_ratio_line_is_read_back_as_its_parts():
    match = RATIO.match(ratio_line("p95 ms vs target", 1.73, 30))
    assert match and match["label"] == "p95 ms vs target" and match["ratio"] == "0.058"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "benchmarks").glob("[!_]*.py")))
def test_benchmark_runs_in_smoke_mode(script):
    proc = subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    last = RATIO.match(proc.stdout.splitlines()[-1])  # every benchmark ends on a ratio line
    assert last, proc.stdout.splitlines()[-1]
    measured, reference = float(last["measured"]), float(last["reference"])
    assert math.isclose(float(last["ratio"]), measured / reference, abs_tol=6e-4, rel_tol=1e-3)
