"""Peak memory (resident set, VmHWM) of training runs and of the app serving its pages.

- training: `python -m gen_core train` for one epoch of each shipped model on mnist-5k, beside
  a bare interpreter that has made one torch.optim.Adam (which imports torch._dynamo);
- app: a real `streamlit run app.py` server, each page opened in Debian's headless Chromium and
  waited on until drawn (its title shown), the server's peak read after every page;
  beside a bare interpreter that has imported torch, streamlit, plotly and gen_core.

Run: .venv/bin/python benchmarks/memory.py [--smoke]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _browser import CHROMIUM, FLAGS, PAGES, serve
from _common import ratio_line

ROOT = Path(__file__).resolve().parent.parent
PEAK = "import resource; print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def child_peak_mb(code: str) -> float:
    """Peak RSS of a fresh interpreter running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{PEAK}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.rsplit("PEAK_KB", 1)[1]) / 1024


def train_peak_mb(model: str, out: Path, steps: int) -> float:
    argv = [
        "gen_core",
        "train",
        "--model",
        model,
        "--dataset",
        "mnist-5k",
        "--device",
        "cpu",
        "--out",
        str(out / model),
    ] + (["--steps", str(steps)] if steps else ["--epochs", "1"])
    code = (
        "import runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "try:\n    runpy.run_module('gen_core', run_name='__main__')\nexcept SystemExit:\n    pass"
    )
    peak = child_peak_mb(code)
    if not list((out / model).glob("checkpoint*.json")):
        raise SystemExit(f"the {model} run wrote no checkpoint: its figure would mean nothing")
    return peak


def vm_hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        / 1024
    )


def app_peaks(pages: tuple[tuple[str, str], ...]) -> list[tuple[str, float]]:
    """The server's peak after each page is drawn in Chromium (cumulative: pages share a process)."""
    from playwright.sync_api import expect, sync_playwright

    with serve() as (url, server), sync_playwright() as p:
        peaks = [("server started, no page yet", vm_hwm_mb(server.pid))]
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        for path, title in pages:
            page.goto(f"{url}/{path}")
            heading = page.get_by_role("heading", name=title, exact=True)
            expect(heading.first).to_be_visible(timeout=120_000)
            time.sleep(1.0)  # let the page's last elements (charts) finish
            peaks.append((f"+ {path or 'home'}", vm_hwm_mb(server.pid)))
        browser.close()
        return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one model, a few steps, one page")
    args = parser.parse_args()
    torch_only = child_peak_mb("import torch")
    # Making any torch.optim optimizer imports torch._dynamo (and sympy): every training script pays it.
    any_training = child_peak_mb(
        "import torch; torch.optim.Adam(torch.nn.Linear(1, 1).parameters())"
    )
    with_app = child_peak_mb("import torch, streamlit, plotly, gen_core.training")
    print(
        f"baselines: python + torch {torch_only:.0f} MB; + one torch.optim.Adam {any_training:.0f} MB; "
        f"torch + streamlit, plotly, gen_core {with_app:.0f} MB"
    )
    print("\n1. Training, one epoch of mnist-5k through the CLI (peak RSS)")
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("dcgan",) if args.smoke else ("dcgan", "fcgan", "vae", "conv-vae"):
            peaks[model] = train_peak_mb(model, Path(tmp), 3 if args.smoke else 0)
            print(
                f"   {model:<9} {peaks[model]:6.0f} MB   "
                f"{peaks[model] / any_training:.2f}x python + torch + Adam"
            )
    print("\n2. App server (streamlit run app.py), each page drawn in headless Chromium")
    if Path(CHROMIUM).exists():
        for label, peak in app_peaks(PAGES[:1] if args.smoke else PAGES):
            print(f"   {label:<30} peak {peak:6.0f} MB   {peak / with_app:.2f}x the imports alone")
    else:
        print(f"   skipped: {CHROMIUM} is not installed (apt-get install chromium)")
    print(
        ratio_line(
            "largest training run, MB vs python + torch + Adam", max(peaks.values()), any_training
        )
    )


if __name__ == "__main__":
    main()
