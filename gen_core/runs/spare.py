"""A spare training process, started ahead with torch imported and the data loaded, so a run the
app starts logs its first step within a second instead of after seconds of imports.

The app's :class:`~gen_core.runs.queue.RunManager` keeps one while no run trains, and hands it
the next run even while it is still importing (it is then nearer its first step than a fresh
process would be, and no second import competes for the cores). It waits in its folder for
``go.json`` ({"argv": [...], "log": "<run>/output.log"}), points its output at
that log and runs the command line as ``python -m gen_core`` would; it ends by itself when the
process that started it is gone.
Run: python -m gen_core.runs.spare FOLDER PARENT_PID
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

SPARES = ".spare"  # under a runs folder: one folder per spare process
GO = "go.json"
# Written once the imports and the data are in: a run handed over from then starts at once.
READY = "ready"
POLL_S = 0.05


def ready(runs: Path) -> bool:
    """Whether a spare process of the runs folder ``runs`` has its imports and data in."""
    return any((runs / SPARES).glob(f"*/{READY}"))


def wait_and_run(folder: Path, parent: int) -> int:
    """Import and load what a run needs, then run the order that comes (0: none came)."""
    import torch._dynamo  # noqa: F401 - what making any torch.optim optimizer imports (~2 s)

    from gen_core import cli
    from gen_core.data import DatasetUnavailable, load_dataset
    from gen_core.runs.folder import process_exists

    with contextlib.suppress(DatasetUnavailable):
        load_dataset("auto")  # cached: the run's own load is then a lookup
    (folder / READY).touch()
    while not (folder / GO).is_file():
        if not process_exists(parent):
            shutil.rmtree(folder, ignore_errors=True)
            return 0
        time.sleep(POLL_S)
    order = json.loads((folder / GO).read_text())
    shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return cli.main([str(a) for a in order["argv"]])


if __name__ == "__main__":
    from gen_core.distributed import exit_process

    exit_process(wait_and_run(Path(sys.argv[1]), int(sys.argv[2])))
