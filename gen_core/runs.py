"""Training runs as real processes: launch, queue, stop and list them from a folder.

Each run is ``python -m gen_core train ... --out RUNS/<id>`` in its own process group, so a
crash never touches the caller and a run outlives an app restart. Everything about a run
lives in its folder (``run.json`` with the request, ``pid`` once started, ``events.jsonl``,
``output.log``), so any process can rebuild the list of runs and their status from disk.
A :class:`RunManager` keeps at most ``max_running`` runs going and starts queued ones as
slots free up; one instance serves every browser session of the app.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gen_core import distributed
from gen_core.events import STOP_FILE, RunFeed
from gen_core.files import atomic_write


@dataclass
class RunStatus:
    """A run as read back from its folder."""

    id: str
    path: Path
    model: str
    options: dict[str, Any]
    created: float
    status: str
    reason: str = ""
    step: int = 0
    total_steps: int = 0
    checkpoint: Path | None = None
    title: str = ""  # what the run is for, e.g. the remedy it tries in a comparison

    @property
    def label(self) -> str:
        return f"{self.id} · {self.model}" + (f" · {self.title}" if self.title else "")


def options_to_args(options: dict[str, Any]) -> list[str]:
    """CLI arguments for option values: ``{"lr_g": 1e-4}`` -> ``["--lr-g", "0.0001"]``."""
    args: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        args += [
            "--" + key.replace("_", "-"),
            str(value).lower() if isinstance(value, bool) else str(value),
        ]
    return args


def run_title(folder: Path) -> str:
    """The title a run was given (e.g. the remedy it tries); "" for none, or for a folder that is
    not a run (a checkpoint trained from the command line)."""
    try:
        return str(json.loads((folder / "run.json").read_text()).get("title") or "")
    except (OSError, ValueError, AttributeError):
        return ""


class RunManager:
    """Launches and tracks runs under ``root``; thread-safe, and safe to recreate at any time."""

    def __init__(
        self,
        root: str | Path,
        max_running: int = 1,
        python: str = sys.executable,
        poll_s: float = 0.5,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_running = max_running
        self.python = python
        self._lock = threading.RLock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._feeds: dict[str, RunFeed] = {}
        self._poll_s = poll_s
        self._thread: threading.Thread | None = None

    # -- launching ---------------------------------------------------------------------------
    def submit(
        self,
        model: str | None,
        options: dict[str, Any],
        resume: str | Path | None = None,
        title: str = "",
    ) -> str:
        """Queue a run (it starts at once when a slot is free) and return its id."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{model or 'resume'}-{secrets.token_hex(2)}"
        folder = self.root / run_id
        folder.mkdir(parents=True)
        request = {
            "id": run_id,
            "model": model,
            "options": options,
            "resume": str(resume) if resume else None,
            "created": time.time(),
            "title": title,
        }
        # Whole or absent: the polling thread may list the folder at any moment.
        atomic_write(folder / "run.json", lambda tmp: tmp.write_text(json.dumps(request, indent=1)))
        self.refresh()
        return run_id

    def refresh(self) -> None:
        """Reap finished processes and start queued runs while slots are free."""
        with self._lock:
            for run_id, proc in list(self._procs.items()):
                code = proc.poll()
                if code is not None:
                    (self.root / run_id / "exit_code").write_text(str(code))
                    del self._procs[run_id]
            runs = self.list_runs()
            running = sum(r.status == "running" for r in runs)
            for run in sorted((r for r in runs if r.status == "queued"), key=lambda r: r.created):
                if running >= self.max_running:
                    break
                self._start(run)
                running += 1

    def _start(self, run: RunStatus) -> None:
        request = json.loads((run.path / "run.json").read_text())
        options = dict(request["options"])
        processes = int(options.pop("processes", 1))
        env = dict(os.environ)
        launcher = distributed.launcher(self.python, processes)
        if processes > 1:  # gloo has no authentication: keep its traffic on loopback
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        args = [*launcher, "train", "--out", str(run.path)]
        if request.get("model"):
            args += ["--model", request["model"]]
        if request.get("resume"):
            args += ["--resume", request["resume"]]
        args += options_to_args(options)
        log = (run.path / "output.log").open("wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=Path.cwd(), env=env)  # fmt: skip
        log.close()
        self._procs[run.id] = proc
        (run.path / "pid").write_text(str(proc.pid))

    def stop(self, run_id: str) -> None:
        """Ask a run to stop: it finishes its step, saves a checkpoint and exits; a queued run never starts.

        The request is a file the trainer checks between steps, so it also reaches a run
        started before an app restart, and cannot kill a process still importing torch.
        """
        folder = self.root / run_id
        with self._lock:
            (folder / STOP_FILE).touch()
            if self.status(run_id).status == "queued":
                _append_event(
                    folder,
                    {
                        "type": "stopped",
                        "step": 0,
                        "time": time.time(),
                        "reason": "stopped before it started",
                    },
                )

    # -- background polling ----------------------------------------------------------------------
    def start_polling(self) -> None:
        """Refresh in a daemon thread, so queued runs start even when no page is watching."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._poll, name="gen_core-runs", daemon=True
                )
                self._thread.start()

    def _poll(self) -> None:
        while True:
            # A folder removed or a request file spoiled under us must not end the polling.
            with contextlib.suppress(OSError, ValueError):
                self.refresh()
            time.sleep(self._poll_s)

    # -- reading ---------------------------------------------------------------------------------
    def list_runs(self) -> list[RunStatus]:
        """Every run under ``root``, newest first."""
        runs = []
        for folder in self.root.iterdir():
            if (folder / "run.json").is_file():
                with contextlib.suppress(ValueError):  # an unreadable request is not a run to show
                    runs.append(self.status(folder.name))
        return sorted(runs, key=lambda r: r.created, reverse=True)

    def status(self, run_id: str) -> RunStatus:
        folder = self.root / run_id
        request = json.loads((folder / "run.json").read_text())
        with self._lock:  # read only what was appended since the last look
            feed = self._feeds.setdefault(run_id, RunFeed(folder, keep=1))
            feed.update()
        start, last_step = feed.start or {}, feed.last_step
        progress = (
            last_step if last_step and last_step.get("time", 0) >= start.get("time", 0) else start
        )
        run = RunStatus(
            id=run_id, path=folder, model=request.get("model") or start.get("model", "?"),
            options=request.get("options", {}), created=request.get("created", 0.0), status="queued",
            title=request.get("title", ""),
            step=progress.get("step", 0), total_steps=progress.get("total_steps", 0),
            checkpoint=Path(feed.checkpoints[-1]["path"]) if feed.checkpoints else None,
        )  # fmt: skip
        if feed.end:
            run.status, run.reason = feed.end["type"], feed.end.get("reason", "")
            return run
        pid = _read_pid(folder)
        if pid is None:
            return run
        if run_id in self._procs or _alive(pid, folder):
            run.status = "running"
            return run
        run.status = "failed"
        run.reason = _death_reason(folder)
        return run


def _read_pid(folder: Path) -> int | None:
    try:
        return int((folder / "pid").read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int, folder: Path) -> bool:
    """Whether ``pid`` is still this run's process (not a reused pid) and not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
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
    code = (folder / "exit_code").read_text().strip() if (folder / "exit_code").exists() else None
    if code and code.startswith("-"):
        how = f"was killed by signal {signal.Signals(-int(code)).name}"
    elif code:
        how = f"exited with code {code}"
    else:
        how = "ended without reporting (killed, or the machine restarted)"
    tail = ""
    log = folder / "output.log"
    if log.exists():
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        tail = f" Last output: {lines[-1][:300]}" if lines else ""
    return f"The training process {how}.{tail}"


def _append_event(folder: Path, event: dict[str, Any]) -> None:
    with (folder / "events.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")
