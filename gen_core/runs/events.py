"""A run folder's event file: one writer, one reader, and the start event as a typed value.

``events.jsonl`` holds one JSON object per line (the fields of each type are listed in
ARCHITECTURE.md, "The event file"). :class:`EventFile` is the only code that writes it;
:func:`read_events` and :class:`RunFeed` read it incrementally while the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gen_core.data import DatasetInfo, class_list
from gen_core.images import save_grid
from gen_core.training.events import TERMINAL, Event

EVENTS = "events.jsonl"


class EventFile:
    """Appends whole event lines to a folder's events.jsonl, flushed as they go.

    A last line cut short (power loss, a full disk) is removed first, so the next event starts
    on a line of its own instead of gluing onto the broken one.
    """

    def __init__(self, folder: str | Path) -> None:
        path = Path(folder) / EVENTS
        _cut_torn_tail(path)
        self._file = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, default=_json_default, allow_nan=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> EventFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cut_torn_tail(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        f.truncate(f.read().rfind(b"\n") + 1)


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the event file")


class RunLog:
    """The trainer's callback that keeps a run folder: events.jsonl and ``samples/*.png``."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        (self.out_dir / "samples").mkdir(parents=True, exist_ok=True)
        self._events = EventFile(self.out_dir)

    def __call__(self, event: Event) -> None:
        record = event.record()
        if event.images is not None:
            rel = Path("samples") / f"step_{event.step:07d}.png"
            save_grid(event.images, self.out_dir / rel)
            record["path"] = str(rel)
        self._events.write(record)

    def close(self) -> None:
        self._events.close()


def read_events(path: str | Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Events added after byte ``offset``, and the offset to pass next time.

    A line still being written (no newline yet) is left for the next call; a line that is not
    a JSON object (a damaged file) is passed over, so the rest of the run still shows.
    """
    path = Path(path)
    if not path.exists():
        return [], offset
    with path.open("rb") as f:
        f.seek(offset)
        chunk = f.read()
    end = chunk.rfind(b"\n") + 1
    events = []
    for line in chunk[:end].splitlines():
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            events.append(event)
    return events, offset + end


@dataclass(frozen=True)
class RunStart:
    """A run's start event, typed: what trains, on what data, and how it is scheduled."""

    model: str
    family: str
    config: dict[str, Any]
    train: dict[str, Any]
    dataset: DatasetInfo
    device: str
    step: int  # where it starts: above 0 for a resumed run
    time: float
    total_steps: int
    steps_per_epoch: int
    parameters: int
    log_every: int  # 0 when the run is older than these fields
    sample_every: int
    images: int = 0  # training images it sees; 0 when the run is older than this field
    notes: tuple[str, ...] = ()

    @property
    def classes(self) -> list[int]:
        """The labels it trains on; [] for every class."""
        return class_list(str(self.train.get("classes") or ""))

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> RunStart:
        return cls(
            model=str(event.get("model", "?")),
            family=str(event.get("family", "gan")),
            config=dict(event.get("config") or {}),
            train=dict(event.get("train") or {}),
            dataset=DatasetInfo.from_dict(event.get("dataset") or {}),
            device=str(event.get("device", "")),
            step=int(event.get("step", 0)),
            time=float(event.get("time", 0.0)),
            total_steps=int(event.get("total_steps", 0)),
            steps_per_epoch=int(event.get("steps_per_epoch", 0)),
            parameters=int(event.get("parameters", 0)),
            log_every=int(event.get("log_every", 0)),
            sample_every=int(event.get("sample_every", 0)),
            images=int(event.get("images", 0)),
            notes=tuple(map(str, event.get("notes") or ())),
        )


class RunFeed:
    """A run folder's events sorted by kind, kept up to date by reading only what is new.

    ``keep`` bounds the step, sample and checkpoint events held (the latest ones): a reader
    that only needs a run's progress, like the run manager watching every run, passes 1.
    """

    def __init__(self, folder: str | Path, keep: int | None = None) -> None:
        self.folder = Path(folder)
        self.keep = keep
        self.offset = 0
        self.start: RunStart | None = None
        self.steps: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.quality: list[dict[str, Any]] = []  # classifier FID etc. at sample steps
        self.checkpoints: list[dict[str, Any]] = []
        self.end: dict[str, Any] | None = None

    def update(self) -> int:
        """Take in the events written since the last call; returns how many there were."""
        events, self.offset = read_events(self.folder / EVENTS, self.offset)
        for event in events:
            kind = event["type"]
            if kind == "start":
                with contextlib.suppress(TypeError, ValueError):  # a damaged line: not a start
                    self.start = RunStart.from_event(event)
            elif kind == "step":
                self.steps.append(event)
            elif kind == "samples":
                self.samples.append(event)
            elif kind == "quality":
                self.quality.append(event)
            elif kind == "checkpoint":
                self.checkpoints.append(event)
            elif kind in TERMINAL:
                self.end = event
        if self.keep is not None:
            for kept in (self.steps, self.samples, self.quality, self.checkpoints):
                del kept[: -self.keep]
        return len(events)

    @property
    def last_step(self) -> dict[str, Any] | None:
        return self.steps[-1] if self.steps else None
