"""Training events: what a trainer reports, and the JSON-lines file a run folder keeps of them.

A trainer calls its callbacks with :class:`Event` objects and knows nothing of files;
:class:`RunLog` is the callback that writes ``events.jsonl`` and sample grids, and
:func:`read_events` lets a reader (the app) take only the lines added since it last looked.
The fields of each event type are listed in ARCHITECTURE.md ("The event file").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gen_core.images import save_grid

STOP_FILE = "STOP"  # a run stops (saving first) when this file appears in its folder
TERMINAL = frozenset({"stopped", "finished", "failed"})  # the last event of every run


@dataclass
class Event:
    type: str
    step: int
    data: dict[str, Any] = field(default_factory=dict)
    images: torch.Tensor | None = None  # only on "samples": (N, 1, 28, 28) in [0, 1]

    def record(self) -> dict[str, Any]:
        """The JSON-ready line for this event (images are written to a file, not inlined)."""
        return {"type": self.type, "step": self.step, "time": round(time.time(), 3), **self.data}


Callback = Callable[[Event], None]


class RunLog:
    """Callback writing a run folder: ``events.jsonl`` (flushed per line) and ``samples/*.png``."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        (self.out_dir / "samples").mkdir(parents=True, exist_ok=True)
        self._file = (self.out_dir / "events.jsonl").open("a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        record = event.record()
        if event.images is not None:
            rel = Path("samples") / f"step_{event.step:07d}.png"
            save_grid(event.images, self.out_dir / rel)
            record["path"] = str(rel)
        self._file.write(json.dumps(record, default=_json_default, allow_nan=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the event file")


def read_events(path: str | Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Events added after byte ``offset``, and the offset to pass next time.

    A line still being written (no newline yet) is left for the next call.
    """
    path = Path(path)
    if not path.exists():
        return [], offset
    with path.open("rb") as f:
        f.seek(offset)
        chunk = f.read()
    end = chunk.rfind(b"\n") + 1
    events = [json.loads(line) for line in chunk[:end].splitlines() if line.strip()]
    return events, offset + end


class RunFeed:
    """A run folder's events sorted by kind, kept up to date by reading only what is new.

    ``keep`` bounds the step, sample and checkpoint events held (the latest ones): a reader
    that only needs a run's progress, like the run manager watching every run, passes 1.
    """

    def __init__(self, folder: str | Path, keep: int | None = None) -> None:
        self.folder = Path(folder)
        self.keep = keep
        self.offset = 0
        self.start: dict[str, Any] | None = None
        self.steps: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.checkpoints: list[dict[str, Any]] = []
        self.end: dict[str, Any] | None = None

    def update(self) -> int:
        """Take in the events written since the last call; returns how many there were."""
        events, self.offset = read_events(self.folder / "events.jsonl", self.offset)
        for event in events:
            kind = event["type"]
            if kind == "start":
                self.start = event
            elif kind == "step":
                self.steps.append(event)
            elif kind == "samples":
                self.samples.append(event)
            elif kind == "checkpoint":
                self.checkpoints.append(event)
            elif kind in TERMINAL:
                self.end = event
        if self.keep is not None:
            for kept in (self.steps, self.samples, self.checkpoints):
                del kept[: -self.keep]
        return len(events)

    @property
    def last_step(self) -> dict[str, Any] | None:
        return self.steps[-1] if self.steps else None
