"""Training runs as real processes: launch, queue, stop and list them under one folder.

Each run is ``python -m gen_core train ... --out RUNS/<id>`` in its own process group, so a
crash never touches the caller and a run outlives an app restart. A :class:`RunManager`
keeps at most ``max_running`` runs going and starts queued ones as slots free up; one
instance serves every browser session of the app. What a run is lives in its folder
(gen_core.runs.folder), so a new manager reads the same runs back.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gen_core import distributed
from gen_core.files import atomic_write
from gen_core.runs import folder as run_folder
from gen_core.runs import spare
from gen_core.runs.events import RunFeed
from gen_core.runs.folder import RunStatus
from gen_core.runs.request import RunRequest


class QueueFull(ValueError):
    """No room for more runs now; the message says whose and how many."""


@dataclass(frozen=True)
class Limits:
    """How much one manager takes on: runs training at once, runs waiting or training in all and
    per owner, and finished runs kept on disk (the oldest beyond it are removed)."""

    running: int = 1
    queued: int = 12
    per_owner: int = 11  # the remedy comparison queues eleven at once
    kept: int = 50
    spare: bool = False  # keep a process with torch and the data loaded for the next run


class RunManager:
    """Launches and tracks runs under ``root``; thread-safe, and safe to recreate at any time."""

    def __init__(
        self,
        root: str | Path,
        max_running: int = 1,
        python: str = sys.executable,
        poll_s: float = 0.5,
        limits: Limits | None = None,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.limits = limits or Limits(running=max_running)
        self.max_running = self.limits.running
        self.python = python
        self._lock = threading.RLock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._feeds: dict[str, RunFeed] = {}
        self._poll_s = poll_s
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._spare: tuple[subprocess.Popen[bytes], Path] | None = None

    # -- launching ---------------------------------------------------------------------------
    def room(self, owner: str) -> int:
        """How many more runs ``owner`` may queue now."""
        return self._room(owner, [r for r in self.list_runs() if r.status in ("queued", "running")])

    def _room(self, owner: str, going: list[RunStatus]) -> int:
        mine = sum(r.request.owner == owner for r in going)
        return max(0, min(self.limits.queued - len(going), self.limits.per_owner - mine))

    def submit(self, request: RunRequest) -> str:
        """Queue a run (it starts at once when a slot is free) and return its id; QueueFull when
        the queue, or its owner's share of it, is full. Finished runs beyond the kept number are
        removed, oldest first."""
        return self.submit_all([request])[0]

    def submit_all(self, requests: list[RunRequest]) -> list[str]:
        """Queue several runs in this order, all or none (QueueFull when any owner lacks room),
        reading the runs folder once rather than once per run (the remedy comparison's eleven)."""
        with self._lock:
            going = [r for r in self.list_runs() if r.status in ("queued", "running")]
            for owner in {r.owner for r in requests}:
                wanted = sum(r.owner == owner for r in requests)
                if (
                    len(going) + len(requests) > self.limits.queued
                    or self._room(owner, going) < wanted
                ):
                    raise QueueFull(
                        f"{self.limits.queued} runs in all, and {self.limits.per_owner} per "
                        "person, may wait or train at once: wait for one to end, or stop one"
                    )
            ids = [self._submit(request) for request in requests]
        self.prune()
        self.refresh()
        return ids

    def _submit(self, request: RunRequest) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{request.model}-{secrets.token_hex(2)}"
        folder = self.root / run_id
        folder.mkdir(parents=True)
        run_folder.write_request(folder, request, time.time())
        return run_id

    def prune(self) -> None:
        """Remove the oldest finished, stopped or failed runs beyond ``limits.kept`` (never one
        still queued or training; shipped checkpoints live elsewhere)."""
        ended = [r for r in self.list_runs() if r.status in ("finished", "stopped", "failed")]
        for run in ended[self.limits.kept :]:  # list_runs is newest first
            with self._lock:
                self._feeds.pop(run.id, None)
                shutil.rmtree(run.path, ignore_errors=True)

    def refresh(self) -> None:
        """Reap finished processes and start queued runs while slots are free."""
        with self._lock:
            for run_id, proc in list(self._procs.items()):
                code = proc.poll()
                if code is not None:
                    run_folder.record_exit(self.root / run_id, code)
                    del self._procs[run_id]
            runs = self.list_runs()
            running = sum(r.status == "running" for r in runs)
            for run in sorted((r for r in runs if r.status == "queued"), key=lambda r: r.created):
                if running >= self.max_running:
                    break
                running += 1  # started here, or by the manager that claimed it first
                if run_folder.claim(run.path):
                    try:
                        self._start(run)
                    except OSError as err:  # no process could be made (memory, process limit)
                        running -= 1
                        run_folder.fail_to_start(
                            run.path, f"The training process could not be started: {err}"
                        )
            if running == 0 and self.limits.spare:
                self._keep_spare()  # while nothing trains, so it never takes a run's CPU

    def training(self) -> bool:
        """Whether a run this manager started is still going."""
        with self._lock:
            return any(proc.poll() is None for proc in self._procs.values())

    def _keep_spare(self) -> None:
        if self._spare is not None and self._spare[0].poll() is None:
            return
        folder = self.root / spare.SPARES / secrets.token_hex(4)
        folder.mkdir(parents=True)
        args = [self.python, "-m", "gen_core.runs.spare", str(folder), str(os.getpid())]
        proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=Path.cwd(),
        )
        self._spare = proc, folder

    def _take_spare(self, argv: list[str], log: Path) -> subprocess.Popen[bytes] | None:
        """The spare process, given ``argv`` to run with its output in ``log`` once its imports
        are done; None when there is none (or it died)."""
        if self._spare is None:
            return None
        proc, folder = self._spare
        if proc.poll() is not None:
            return None
        self._spare = None
        order = {"argv": argv, "log": str(log)}
        atomic_write(folder / spare.GO, lambda tmp: tmp.write_text(json.dumps(order)))
        return proc

    def _start(self, run: RunStatus) -> None:
        processes = run.request.processes
        env = dict(os.environ)
        if processes > 1:  # gloo has no authentication: keep its traffic on loopback
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        argv = ["train", "--out", str(run.path), *run.request.args()]
        output = run.path / run_folder.OUTPUT
        proc = self._take_spare(argv, output) if processes == 1 else None
        if proc is None:
            launcher = distributed.launcher(self.python, processes)
            log = output.open("wb")
            proc = subprocess.Popen(
                [*launcher, *argv],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=Path.cwd(),
                env=env,
            )
            log.close()
        self._procs[run.id] = proc
        (run.path / run_folder.PID).write_text(str(proc.pid))

    def stop(self, run_id: str) -> None:
        """Ask a run to stop: it finishes its step, saves a checkpoint and exits; a queued run never starts.

        The request is a file the trainer checks between steps, so it also reaches a run
        started before an app restart, and cannot kill a process still importing torch.
        """
        with self._lock:
            run_folder.stop(self.root / run_id, queued=self.status(run_id).status == "queued")

    # -- background polling ----------------------------------------------------------------------
    def start_polling(self) -> None:
        """Refresh in a daemon thread, so queued runs start even when no page is watching.

        The thread is stopped and joined at interpreter exit: a daemon thread still inside
        ``refresh`` while Python tears its modules down can abort the whole process.
        """
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._poll, name="gen_core-runs", daemon=True
                )
                self._thread.start()
                atexit.register(self.stop_polling)

    @property
    def polling(self) -> bool:
        """Whether the polling thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def stop_polling(self) -> None:
        """End the polling thread, if any, once its current refresh is done, and the spare."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            if self._spare is not None:
                self._spare[0].kill()
                self._spare[0].wait(timeout=10)
                shutil.rmtree(self._spare[1], ignore_errors=True)
                self._spare = None

    def _poll(self) -> None:
        while not self._stopping.is_set():
            # A folder removed or a request file spoiled under us must not end the polling.
            with contextlib.suppress(OSError, ValueError):
                self.refresh()
            self._stopping.wait(self._poll_s)

    # -- reading ---------------------------------------------------------------------------------
    def list_runs(self) -> list[RunStatus]:
        """Every run under ``root`` whose request can be read, newest first."""
        runs = []
        for folder in self.root.iterdir():
            if (folder / run_folder.REQUEST).is_file():
                with contextlib.suppress(ValueError):  # an unreadable request is not a run to show
                    runs.append(self.status(folder.name))
        return sorted(runs, key=lambda r: r.created, reverse=True)

    def status(self, run_id: str) -> RunStatus:
        with self._lock:  # each feed reads only what was appended since its last look
            feed = self._feeds.setdefault(run_id, RunFeed(self.root / run_id, keep=1))
            return run_folder.read_status(self.root / run_id, feed, run_id in self._procs)
