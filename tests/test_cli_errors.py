"""Bad command lines get one line of message and exit 2 (usage) or 1 (runtime), never a traceback,
and a command that cannot run writes nothing."""

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gen_core.cli import main, request_from_args
from gen_core.runs import RunRequest

from .helpers import ROOT

SHIPPED = ROOT / "checkpoints"


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, err.getvalue()


USAGE = [
    (["train", "--model", "vae"], "--out is required"),
    (["train", "--out", "{tmp}/r"], "--model is required"),
    (["train", "--model", "vae", "--device", "tpu", "--out", "{tmp}/r"], "unknown device 'tpu'"),
    (["train", "--model", "vae", "--latent-dim", "-2", "--out", "{tmp}/r"], "latent_dim must be"),
    (["train", "--model", "vae", "--latent-dim", "0", "--out", "{tmp}/r"], "latent_dim must be"),
    (["train", "--model", "vae", "--latent-dim", "3037000500", "--out", "{tmp}/r"], "too large"),
    (["train", "--model", "fcgan", "--width", "0", "--out", "{tmp}/r"], "width must be"),
    (["train", "--model", "dcgan", "--nz", "1000000000", "--out", "{tmp}/r"], "the limit is"),
    (["train", "--model", "vae", "--batch-size", "0", "--out", "{tmp}/r"], "batch_size must be"),
    (["train", "--model", "vae", "--lr", "abc", "--out", "{tmp}/r"], "'abc' is not a number"),
    (["train", "--model", "vae", "--dataset", "cifar", "--out", "{tmp}/r"], "is not one of"),
    (["train", "--model", "vae", "--out", "{tmp}/file.txt"], "is a file"),
    (["train", "--resume", f"{SHIPPED}/classifier", "--out", "{tmp}/r"], "does not train"),
    (["train", "--resume", f"{SHIPPED}/dcgan", "--model", "vae", "--out", "{tmp}/r"],
     "does not match"),
    (["sample", f"{SHIPPED}/dcgan", "-n", "0", "--out", "{tmp}/g.png"], "from 1 to 4096"),
    (["sample", f"{SHIPPED}/dcgan", "-n", "-5", "--out", "{tmp}/g.png"], "from 1 to 4096"),
    (["sample", f"{SHIPPED}/dcgan", "-n", "100000000", "--out", "{tmp}/g.png"], "from 1 to 4096"),
    (["sample", f"{SHIPPED}/dcgan", "--out", "{tmp}"], "is a folder"),
    (["report", f"{SHIPPED}/vae", "-k", "0"], "from 1 to 5000"),
    (["report", f"{SHIPPED}/vae", "-n", "1"], "from 2 to 20000"),
    (["classifier", "--epochs", "0"], "from 1 to 1000"),
    (["remedies", "--out", "{tmp}/r", "--steps", "-1"], "from 0 to 10000000"),
    (["nonsense"], "invalid choice"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), USAGE)
def test_a_command_that_cannot_run_exits_2_with_a_message_and_writes_nothing(
    tmp_path, argv, message
):
    (tmp_path / "file.txt").write_text("not a folder")
    before = set(tmp_path.iterdir())
    code, err = run([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err, err
    assert set(tmp_path.iterdir()) == before  # no half-made run folder


RUNTIME = [
    (["sample", "{tmp}/missing", "--out", "{tmp}/g.png"], "not found"),
    (["sample", f"{SHIPPED}/classifier", "--out", "{tmp}/g.png"], "does not generate images"),
    (["report", "{tmp}/file.txt"], "not found"),
    (["train", "--model", "vae", "--dataset", "mnist", "--out", "{tmp}/r"], "MNIST"),
    (["train", "--resume", f"{SHIPPED}/dcgan", "--epochs", "3", "--out", "{tmp}/r"],
     "ask for more epochs"),
    (["train", "--model", "dcgan", "--loss", "wgan-gp", "--steps", "1", "--out", "{tmp}/r"],
     "batch norm"),
    # sysfs refuses new folders even to root, as a read-only filesystem would
    (["train", "--model", "vae", "--steps", "1", "--out", "/sys/gen_core_run"],
     "cannot write the run folder /sys/gen_core_run"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), RUNTIME)
def test_a_command_that_fails_while_running_exits_1_with_a_message(tmp_path, argv, message):
    (tmp_path / "file.txt").write_text("not a checkpoint")
    code, err = run([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 1 and message in err and "Traceback" not in err, err


OPTIONS = st.sampled_from(["--lr", "--beta", "--latent-dim", "--epochs", "--steps", "--batch-size",
                           "--seed", "--augment-shift", "--classes", "--train-size", "--device", "--log-every",
                           "--checkpoint-minutes", "--hidden", "--dataset", "--compile"])  # fmt: skip
VALUES = st.one_of(st.integers(-10**12, 10**12).map(str), st.floats(allow_nan=True).map(str),
                   st.text(max_size=12), st.sampled_from(["", "auto", "true", "1,7", "-0", "1e309"]))  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=st.lists(st.tuples(OPTIONS, VALUES), max_size=4))
def test_any_option_values_give_a_request_or_a_refusal_never_a_crash(pairs):
    argv = ["--model", "vae", "--out", "x"] + [a for pair in pairs for a in pair]
    try:
        request = request_from_args(argv)
    except (ValueError, SystemExit):
        return  # refused with a message
    assert isinstance(request, RunRequest) and request.train.batch_size >= 1
