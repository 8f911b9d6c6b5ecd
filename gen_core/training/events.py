"""What a trainer reports: :class:`Event` objects handed to callbacks, never written by it.

The run folder's event file (gen_core.runs.events) is one such callback; a terminal progress
bar is another. The fields of each event type are listed in ARCHITECTURE.md ("The event file").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

EventType = Literal[
    "start", "step", "epoch", "samples", "quality", "checkpoint", "stopped", "finished", "failed"
]
TERMINAL: frozenset[str] = frozenset({"stopped", "finished", "failed"})  # every run ends on one


@dataclass
class Event:
    type: EventType
    step: int
    data: dict[str, Any] = field(default_factory=dict)
    images: torch.Tensor | None = None  # only on "samples": (N, 1, 28, 28) in [0, 1]

    def record(self) -> dict[str, Any]:
        """The JSON-ready line for this event (images are written to a file, not inlined)."""
        return {"type": self.type, "step": self.step, "time": round(time.time(), 3), **self.data}


Callback = Callable[[Event], None]
