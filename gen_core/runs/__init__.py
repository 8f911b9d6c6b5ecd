"""Training runs: the request, the run folder's format and its event file, and the queue."""

from gen_core.runs.events import EventFile, RunFeed, RunLog, RunStart, read_events
from gen_core.runs.folder import STOP_FILE, RunStatus, run_title
from gen_core.runs.queue import Limits, QueueFull, RunManager
from gen_core.runs.request import RunRequest

__all__ = [
    "EventFile",
    "RunFeed",
    "RunLog",
    "RunStart",
    "read_events",
    "STOP_FILE",
    "RunStatus",
    "run_title",
    "Limits",
    "QueueFull",
    "RunManager",
    "RunRequest",
]
