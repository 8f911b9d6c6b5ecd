"""A run folder, the whole contract between the app and a training process.

``RUNS/<id>/`` holds ``run.json`` (the :class:`RunRequest`, its id and creation time), ``pid``
and later ``exit_code`` of the process, ``output.log`` (its terminal output), ``events.jsonl``
(gen_core.runs.events), ``samples/`` and ``checkpoint.*``; ``STOP`` asks the run to stop.
Status is derived from these files alone, so any process can rebuild it after a restart.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gen_core.files import atomic_write
from gen_core.runs.events import EventFile, RunFeed
from gen_core.runs.request import RunRequest

REQUEST, PID, EXIT_CODE, OUTPUT, STOP_FILE = "run.json", "pid", "exit_code", "output.log", "STOP"
CLAIM = "claimed"  # created once, by the manager that starts the run; holds its process id
State = Literal["queued", "running", "stopped", "finished", "failed"]


@dataclass
class RunStatus:
    """A run as read back from its folder."""

    id: str
    path: Path
    request: RunRequest
    created: float
    status: State
    reason: str = ""
    step: int = 0
    total_steps: int = 0
    checkpoint: Path | None = None

    @property
    def model(self) -> str:
        return self.request.model

    @property
    def title(self) -> str:
        return self.request.title

    @property
    def label(self) -> str:
        return f"{self.id} · {self.model}" + (f" · {self.title}" if self.title else "")


def write_request(folder: Path, request: RunRequest, created: float) -> None:
    """Write run.json whole (a reader polling the folder never sees half of it)."""
    record = {"id": folder.name, "created": created, **request.to_json()}
    atomic_write(folder / REQUEST, lambda tmp: tmp.write_text(json.dumps(record, indent=1)))


def read_request(folder: Path) -> tuple[RunRequest, float]:
    """The request and creation time in run.json; ValueError when it is missing or unreadable."""
    path = folder / REQUEST
    try:
        found = path.stat()
        return _parsed_request(str(path), found.st_ino, found.st_mtime_ns, found.st_size)
    except (OSError, KeyError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise ValueError(f"{path} is not a readable run request: {err}") from None


@functools.lru_cache(maxsize=1024)
def _parsed_request(path: str, inode: int, mtime_ns: int, size: int) -> tuple[RunRequest, float]:
    """run.json parsed once per version of the file (its inode, time and size name the version:
    write_request replaces the file whole): the run list reads every run's request at each
    poll, twice a second in every app server."""
    record = json.loads(Path(path).read_text())
    if not isinstance(record, dict):
        raise TypeError("not a JSON object")
    return RunRequest.from_json(record), float(record.get("created", 0.0))


def run_title(folder: Path) -> str:
    """The title a run was given (e.g. the remedy it tries); "" for none, or for a folder that is
    not a run (a checkpoint trained from the command line)."""
    try:
        return read_request(folder)[0].title
    except ValueError:
        return ""


def read_status(folder: Path, feed: RunFeed, process_known: bool = False) -> RunStatus:
    """The run's status from its files (``feed`` brought up to date first). A terminal event
    wins; else a live ``pid`` (or a process the caller started) is running; no ``pid`` is
    queued; a dead one without a terminal event failed, with the reason its files give."""
    request, created = read_request(folder)
    feed.update()
    start, last = feed.start, feed.last_step
    progress: dict[str, Any] = last if last and start and last.get("time", 0) >= start.time else {}
    run = RunStatus(
        id=folder.name,
        path=folder,
        request=request,
        created=created,
        status="queued",
        step=int(progress.get("step", start.step if start else 0)),
        total_steps=int(progress.get("total_steps", start.total_steps if start else 0)),
        checkpoint=Path(feed.checkpoints[-1]["path"]) if feed.checkpoints else None,
    )
    if feed.end:
        run.status, run.reason = feed.end["type"], str(feed.end.get("reason", ""))
        run.step = max(run.step, int(feed.end.get("step") or 0))  # a stop falls between logs
        return run
    pid = read_pid(folder)
    if pid is None:
        claimer = _dead_claimer(folder)
        if claimer is not None:  # else its slot would stay taken, and every later run queued
            run.status = "failed"
            run.reason = (
                f"The app server that was starting it (process {claimer}) ended first: "
                "nothing was trained. Start it again."
            )
        return run
    if process_known or _alive(pid, folder):
        run.status = "running"
        return run
    run.status, run.reason = "failed", _death_reason(folder)
    return run


def stop(folder: Path, queued: bool) -> None:
    """Ask a run to stop: the trainer sees STOP between steps, saves and exits. A queued run is
    marked stopped at once, so it never starts."""
    (folder / STOP_FILE).touch()
    if queued:
        with EventFile(folder) as events:
            events.write(
                {
                    "type": "stopped",
                    "step": 0,
                    "time": round(time.time(), 3),
                    "reason": "stopped before it started",
                }
            )


def claim(folder: Path) -> bool:
    """Take the start of a queued run, once across every manager and process sharing the runs
    folder (two app servers, or a restarted one beside the old): the first to create the claim
    file wins, and the others leave the run to it."""
    try:
        fd = os.open(folder / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    return True


def _dead_claimer(folder: Path) -> int | None:
    """The process that claimed the run and is gone without starting it; None while it is
    alive, the claim is still being written, or nobody has claimed it."""
    try:
        claimer = int((folder / CLAIM).read_text())
    except (OSError, ValueError):
        return None
    return None if process_exists(claimer) else claimer


def fail_to_start(folder: Path, reason: str) -> None:
    """Mark a claimed run failed when its training process could not be started."""
    with EventFile(folder) as events:
        events.write({"type": "failed", "step": 0, "time": round(time.time(), 3), "reason": reason})


def record_exit(folder: Path, code: int) -> None:
    (folder / EXIT_CODE).write_text(str(code))


def read_pid(folder: Path) -> int | None:
    try:
        return int((folder / PID).read_text())
    except (OSError, ValueError):
        return None


def process_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie too), by the null signal."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: it exists
    return True


def _alive(pid: int, folder: Path) -> bool:
    """Whether ``pid`` is still this run's process (not a reused pid) and not a zombie."""
    if not process_exists(pid):
        return False
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no /proc (macOS): trust the signal check
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return stat.split(")")[-1].split()[0] != "Z" and str(folder) in cmdline


def _death_reason(folder: Path) -> str:
    code = (folder / EXIT_CODE).read_text().strip() if (folder / EXIT_CODE).exists() else None
    if code and code.startswith("-"):
        how = f"was killed by signal {signal.Signals(-int(code)).name}"
    elif code:
        how = f"exited with code {code}"
    else:
        how = "ended without reporting (killed, or the machine restarted)"
    tail = ""
    log = folder / OUTPUT
    if log.exists():
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        tail = f" Last output: {lines[-1][:300]}" if lines else ""
    return f"The training process {how}.{tail}"
