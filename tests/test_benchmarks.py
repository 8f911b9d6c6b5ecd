"""Benchmarks run here only in smoke mode: they must work; their figures come from real runs."""

import subprocess
import sys

import pytest

from .conftest import ROOT


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
    assert "x" in proc.stdout.splitlines()[-1]  # every benchmark ends on a ratio line
