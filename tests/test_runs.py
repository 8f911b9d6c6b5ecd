"""The run registry: real training processes, queued, stopped, killed and read back."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gen_core.checkpoints import read_info
from gen_core.options import to_args
from gen_core.runs import Limits, QueueFull, RunFeed, RunManager, RunRequest
from gen_core.runs.spare import ready as spare_ready

from .helpers import fake_run, wait_for

pytestmark = pytest.mark.slow  # real processes, servers or browsers: the full suite only

OUT = {"capture_output": True, "text": True, "check": True}
TINY = {"dataset": "mnist-5k", "steps": 10, "log_every": 5, "sample_every": 5, "device": "cpu"}
LONG = {**TINY, "steps": 1_000_000}


@pytest.fixture
def manager(tmp_path):
    m = RunManager(tmp_path / "runs", max_running=1, python=sys.executable)
    yield m
    for run in m.list_runs():
        if run.status in ("queued", "running"):
            m.stop(run.id)
    for run in m.list_runs():
        wait_for(m, run.id, {"stopped", "finished", "failed"}, timeout=30)


def test_options_become_cli_arguments():
    assert to_args({"lr_g": 1e-4, "d_batch_norm": False, "hidden": (400, 200), "x": None}) == [
        "--lr-g",
        "0.0001",
        "--d-batch-norm",
        "false",
        "--hidden",
        "400,200",
    ]


def test_a_run_finishes_with_its_checkpoint(manager):
    run_id = manager.submit(RunRequest.build("vae", TINY))
    status = wait_for(manager, run_id, {"finished", "failed"})
    assert status.status == "finished", status.reason
    assert status.step == 10 and read_info(status.checkpoint).step == 10
    feed = RunFeed(status.path)
    feed.update()
    assert (
        feed.start.model == "vae"
        and [s["step"] for s in feed.steps] == [1, 5, 10]  # the first at once, then every 5
        and feed.end["type"] == "finished"
    )
    latest = RunFeed(status.path, keep=1)  # what the manager holds of every run: no history
    latest.update()
    assert [s["step"] for s in latest.steps] == [10] and len(latest.checkpoints) == 1
    assert latest.end == feed.end


def test_limit_one_queues_the_second_run_until_the_first_ends(manager):
    first = manager.submit(RunRequest.build("vae", LONG))
    second = manager.submit(RunRequest.build("fcgan", TINY))
    assert manager.status(first).status == "running"
    assert manager.status(second).status == "queued"
    wait_for(manager, first, {"running"})
    manager.stop(first)
    assert wait_for(manager, first, {"stopped", "failed"}).status == "stopped"
    assert wait_for(manager, second, {"finished", "failed"}).status == "finished"


def test_two_managers_on_one_folder_start_a_queued_run_once(tmp_path):
    root = tmp_path / "runs"
    first, second = RunManager(root, max_running=0), RunManager(root, max_running=0)
    run_id = first.submit(RunRequest.build("vae", TINY))  # no slot: it waits
    first.max_running = second.max_running = 1
    seen = second.list_runs()  # the second reads the folder: the run is queued...
    assert [r.status for r in seen] == ["queued"]
    first.refresh()  # ...the first starts it before the second acts on what it read
    second.list_runs = lambda: seen
    second.refresh()
    assert run_id in first._procs and run_id not in second._procs  # one process, not two
    status = wait_for(first, run_id, {"finished", "failed"})
    assert status.status == "finished", status.reason
    feed = RunFeed(status.path)
    feed.update()
    assert [s["step"] for s in feed.steps] == [1, 5, 10]  # one trainer wrote the events


def test_a_half_written_request_is_skipped_and_the_poller_keeps_going(manager):
    (manager.root / "20000101-000000-vae-half").mkdir(parents=True)
    (manager.root / "20000101-000000-vae-half" / "run.json").write_text('{"id": "20000101-0')
    first = manager.submit(RunRequest.build("vae", LONG))
    second = manager.submit(RunRequest.build("vae", TINY))
    assert [r.id for r in manager.list_runs()] == [second, first]
    assert not list(manager.root.glob(f"{first}/.*.tmp"))  # the request was written whole
    manager.start_polling()
    assert manager.polling
    manager.stop(first)
    deadline = time.monotonic() + 60  # no refresh from here: only the poller can start the second
    while manager.status(second).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert manager.status(second).status in ("running", "finished")
    manager.stop_polling()  # what interpreter exit does: the thread ends before teardown
    assert not manager.polling


def test_stopping_a_queued_run_means_it_never_starts(manager):
    first = manager.submit(RunRequest.build("vae", LONG))
    second = manager.submit(RunRequest.build("vae", TINY))
    manager.stop(second)
    assert manager.status(second).status == "stopped"
    manager.stop(first)
    wait_for(manager, first, {"stopped"})
    manager.refresh()
    assert not (manager.root / second / "pid").exists()


def test_a_killed_run_shows_as_failed_with_its_reason(manager):
    run_id = manager.submit(RunRequest.build("vae", LONG))
    feed = RunFeed(manager.root / run_id)
    deadline = time.monotonic() + 60
    while not feed.steps and time.monotonic() < deadline:
        feed.update()
        time.sleep(0.2)
    os.kill(int((manager.root / run_id / "pid").read_text()), signal.SIGKILL)
    status = wait_for(manager, run_id, {"failed"})
    assert "killed by signal SIGKILL" in status.reason


def test_a_crashing_run_reports_why(manager):
    run_id = manager.submit(RunRequest.build("vae", {**TINY, "dataset": "mnist"}))  # not here
    status = wait_for(manager, run_id, {"failed", "finished"})
    assert status.status == "failed" and "MNIST" in status.reason


def test_a_run_claimed_by_a_server_that_died_fails_and_frees_its_slot(tmp_path):
    manager = RunManager(tmp_path / "runs", max_running=0)
    orphan = manager.submit(RunRequest.build("vae", TINY))
    after = manager.submit(RunRequest.build("vae", TINY))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **OUT)
    (manager.root / orphan / "claimed").write_text(gone.stdout.strip())  # it died right there
    status = manager.status(orphan)
    assert status.status == "failed" and "ended first: nothing was trained" in status.reason
    manager.max_running = 1
    manager.refresh()
    assert after in manager._procs  # the slot was not held by the orphan
    assert wait_for(manager, after, {"finished", "failed"}).status == "finished"


def test_a_run_whose_process_cannot_start_fails_with_why_and_the_queue_goes_on(
    tmp_path, monkeypatch
):
    manager = RunManager(tmp_path / "runs", max_running=1, python=sys.executable)
    real = subprocess.Popen
    calls = []

    def refuse_the_first(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OSError(11, "Resource temporarily unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", refuse_the_first)
    failed = manager.submit(RunRequest.build("vae", TINY))
    status = manager.status(failed)
    assert status.status == "failed" and "could not be started" in status.reason
    assert "Resource temporarily unavailable" in status.reason
    started = manager.submit(RunRequest.build("vae", TINY))
    assert wait_for(manager, started, {"finished", "failed"}).status == "finished"


def test_state_is_read_back_by_a_new_manager_after_a_restart(manager, tmp_path):
    done = manager.submit(RunRequest.build("vae", TINY))
    wait_for(manager, done, {"finished"})
    going = manager.submit(RunRequest.build("vae", LONG))
    wait_for(manager, going, {"running"})
    restarted = RunManager(
        tmp_path / "runs", max_running=1
    )  # the app came back up; the run went on
    assert {r.id: r.status for r in restarted.list_runs()} == {done: "finished", going: "running"}
    restarted.stop(going)
    assert wait_for(restarted, going, {"stopped"}).checkpoint is not None


def test_the_queue_is_bounded_in_all_and_per_person(tmp_path):
    manager = RunManager(tmp_path / "runs", limits=Limits(running=0, queued=3, per_owner=2))
    ann = RunRequest.build("vae", TINY, owner="ann")
    manager.submit(ann)
    manager.submit(ann)
    assert manager.room("ann") == 0 and manager.room("bob") == 1
    with pytest.raises(QueueFull, match="2 per person"):
        manager.submit(ann)
    manager.submit(dataclasses.replace(ann, owner="bob"))
    with pytest.raises(QueueFull, match="3 runs in all"):
        manager.submit(dataclasses.replace(ann, owner="cy"))
    assert {r.request.owner for r in manager.list_runs()} == {"ann", "bob"}  # recorded per run


def test_several_runs_are_queued_all_or_none(tmp_path):
    manager = RunManager(tmp_path / "runs", limits=Limits(running=0, queued=5, per_owner=3))
    ann = RunRequest.build("vae", TINY, owner="ann")
    with pytest.raises(QueueFull, match="3 per person"):
        manager.submit_all([ann] * 4)
    assert manager.list_runs() == []  # none of the four
    ids = manager.submit_all([ann, dataclasses.replace(ann, title="second")] + [ann])
    assert [manager.status(i).title for i in ids] == ["", "second", ""]  # in the order given
    assert [r.id for r in manager.list_runs()] == ids[::-1]  # newest first
    with pytest.raises(QueueFull, match="5 runs in all"):
        manager.submit_all([dataclasses.replace(ann, owner=o) for o in ("bob", "bob", "cy")])
    assert len(manager.list_runs()) == 3


def test_the_oldest_finished_runs_are_pruned_beyond_the_kept_number(tmp_path):
    root = tmp_path / "runs"
    rows = [{"step": 5, "loss": 1.0}]
    for i in range(4):
        fake_run(root, f"2000010{i}-000000-vae-old{i}", "vae", {}, rows)
        time.sleep(0.01)  # created in this order
    manager = RunManager(root, limits=Limits(running=0, kept=2))
    waiting = manager.submit(RunRequest.build("vae", TINY))
    assert {r.id for r in manager.list_runs()} == {
        waiting,
        "20000103-000000-vae-old3",
        "20000102-000000-vae-old2",
    }


def spare_pids() -> set[int]:
    """Processes running gen_core.runs.spare, read from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"gen_core.runs.spare" in cmdline:
                found.add(int(entry))
    return found


def test_a_spare_process_takes_the_next_run_and_is_gone_with_its_manager(tmp_path):
    before = spare_pids()
    manager = RunManager(tmp_path / "runs", limits=Limits(spare=True))
    manager.refresh()  # nothing trains: a spare starts importing
    deadline = time.monotonic() + 30
    while not spare_pids() - before:  # its command line shows once the process has begun
        assert time.monotonic() < deadline, "no spare process started"
        time.sleep(0.05)
    (spare,) = spare_pids() - before
    run_id = manager.submit(RunRequest.build("vae", TINY))  # while it is still importing
    assert int((tmp_path / "runs" / run_id / "pid").read_text()) == spare  # it took the run
    run = wait_for(manager, run_id, {"finished", "failed"}, timeout=120)
    assert run.status == "finished" and read_info(run.checkpoint).step == 10
    feed = RunFeed(run.path)
    feed.update()
    assert [s["step"] for s in feed.steps] == [1, 5, 10]  # the first step is logged at once
    assert "Traceback" not in (run.path / "output.log").read_text()
    deadline = time.monotonic() + 30
    while spare in spare_pids() and time.monotonic() < deadline:  # it exits after its last event
        manager.refresh()
        time.sleep(0.2)
    manager.refresh()  # idle again: a new spare for the next run
    (fresh,) = spare_pids() - before
    assert fresh != spare
    deadline = time.monotonic() + 60
    while not spare_ready(tmp_path / "runs"):  # it says when its imports and data are in
        assert time.monotonic() < deadline, "the spare never said it was ready"
        time.sleep(0.1)
    manager.stop_polling()
    assert spare_pids() - before == set()


def test_a_spare_whose_app_is_gone_ends_by_itself(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = tmp_path / "spare"
    folder.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "gen_core.runs.spare", str(folder), str(gone.pid)], timeout=120
    )
    assert proc.returncode == 0 and not folder.exists()


def test_a_request_is_parsed_once_per_version_of_its_file(tmp_path, monkeypatch):
    from gen_core.runs.folder import read_request, write_request

    parsed: list[dict] = []
    real = RunRequest.from_json
    monkeypatch.setattr(
        RunRequest,
        "from_json",
        classmethod(lambda cls, record: parsed.append(record) or real(record)),
    )
    folder = tmp_path / "run"
    folder.mkdir()
    request = RunRequest.build("fcgan", TINY)
    write_request(folder, request, 1.0)
    assert [read_request(folder)[0] for _ in range(4)] == [request] * 4 and len(parsed) == 1
    write_request(folder, dataclasses.replace(request, title="again"), 2.0)  # replaced whole
    assert read_request(folder) == (dataclasses.replace(request, title="again"), 2.0)
    assert len(parsed) == 2


def test_polling_the_queue_checks_each_config_once_not_on_every_read(tmp_path, monkeypatch):
    """The poller reads every run's request twice a second; rebuilding each run's model on the
    meta device there kept a core ~40% busy beside training (the test session's own app too)."""
    from gen_core.models import FCGAN

    built: list[object] = []
    real_init = FCGAN.__init__

    def counting_init(self, cfg):
        built.append(cfg)
        real_init(self, cfg)

    monkeypatch.setattr(FCGAN, "__init__", counting_init)
    manager = RunManager(tmp_path / "runs", limits=Limits(running=0, queued=5, per_owner=5))
    request = RunRequest.build("fcgan", {**TINY, "width": 17, "d_spectral_norm": True})
    manager.submit_all([request, request, request])
    for _ in range(5):
        assert [r.status for r in manager.list_runs()] == ["queued"] * 3
    assert len(built) == 1
