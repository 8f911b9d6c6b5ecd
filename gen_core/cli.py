"""``python -m gen_core``: train, list, sample, export and report from a terminal or a subprocess.

The app launches training as this CLI, so a run folder is the whole contract: the
events in ``events.jsonl``, sample grids in ``samples/``, and ``checkpoint.*``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from gen_core import checkpoints as ckpt
from gen_core.analysis.latent import (
    PROJECTIONS,
    UMAP_DEFAULTS,
    as_classes,
    fit_density,
    map_latents,
    project,
    projection_key,
)
from gen_core.analysis.quality import QualityProbe
from gen_core.analysis.report import checkpoint_report, classifier_path
from gen_core.data import (
    DATASETS,
    Dataset,
    DatasetUnavailable,
    Split,
    load_dataset,
    only_classes,
    training_split,
)
from gen_core.device import resolve_device, seed_everything
from gen_core.distributed import close, init_from_env, local_device
from gen_core.images import save_grid
from gen_core.models import GAN, LABELS, MODELS, VAE, GenerativeModel, build_model
from gen_core.models.classifier import Classifier, accuracy
from gen_core.options import add_options, to_args
from gen_core.preprocess import framing_for
from gen_core.render import as_uploads
from gen_core.runs import STOP_FILE, RunFeed, RunLog, RunRequest
from gen_core.training import TrainConfig, config_for, make_trainer
from gen_core.training.classifier import train_classifier, upload_training_set
from gen_core.training.events import Event
from gen_core.training.remedies import remedy_runs


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m gen_core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "train",
        help="train a model into a run folder (see `train --model NAME --help`)",
        add_help=False,
    )
    lister = commands.add_parser("list", help="list checkpoints with their metadata")
    lister.add_argument(
        "folders",
        nargs="*",
        default=["checkpoints", "runs"],
        help="folders to search (default: checkpoints runs)",
    )
    sampler = commands.add_parser("sample", help="write a grid of samples from a checkpoint")
    sampler.add_argument(
        "checkpoint", help="checkpoint stem of a GAN or VAE, e.g. checkpoints/dcgan"
    )
    sampler.add_argument("--out", required=True, help="PNG file to write")
    sampler.add_argument("-n", type=whole(1, 4096), default=64, help="number of samples")
    sampler.add_argument(
        "--seed", type=whole(0, 2**63 - 1), default=0, help="seed of the latent draws"
    )
    sampler.add_argument(
        "--latents",
        choices=("prior", "fitted"),
        default="prior",
        help="draw codes from N(0, I), or from the density a VAE fitted to its training codes",
    )
    sampler.add_argument(
        "--digit",
        type=whole(0, LABELS - 1),
        help="draw only this class (label), for a class-conditional GAN",
    )
    fitter = commands.add_parser(
        "fit-density",
        help="fit a VAE checkpoint's latent density to its training codes, in place (runs "
        "do this when they end; for checkpoints saved before they did)",
    )
    fitter.add_argument("checkpoint", help="checkpoint stem of a VAE, e.g. runs/<id>/checkpoint")
    exporter = commands.add_parser(
        "export", help="copy a checkpoint's model (weights + sidecar, no optimizer state)"
    )
    exporter.add_argument("checkpoint", help="checkpoint stem to copy, e.g. runs/<id>/checkpoint")
    exporter.add_argument("dest", help="stem of the new checkpoint, e.g. checkpoints/dcgan")
    classifier = commands.add_parser(
        "classifier", help="train the digit classifier used as a measuring instrument"
    )
    classifier.add_argument(
        "--out", default="checkpoints/classifier", help="checkpoint stem to write"
    )
    classifier.add_argument("--dataset", default="mnist-5k", choices=DATASETS, help="training data")
    classifier.add_argument(
        "--epochs", type=whole(1, 1000), default=20, help="passes over the training split"
    )
    classifier.add_argument(
        "--seed", type=whole(0, 2**63 - 1), default=0, help="seeds weights and data order"
    )
    classifier.add_argument(
        "--uploads",
        type=whole(0, 20),
        default=0,
        metavar="N",
        help="train on N renderings of each image as an upload, and on as many synthetic "
        "non-digits pushed towards no class: the upload classifier of the Anomaly page",
    )
    reporter = commands.add_parser(
        "report", help="measure a checkpoint: classifier FID, class coverage, VAE likelihood"
    )
    reporter.add_argument("checkpoint", help="checkpoint stem to measure, e.g. checkpoints/vae")
    reporter.add_argument(
        "--classifier",
        help="the classifier that measures samples "
        "(default: the shipped one for the checkpoint's dataset)",
    )
    reporter.add_argument(
        "-n", type=whole(2, 20_000), default=1000, help="samples for the sample figures"
    )
    reporter.add_argument(
        "-k", type=whole(1, 5000), default=100, help="importance samples per test image"
    )
    reporter.add_argument(
        "--seed", type=whole(0, 2**63 - 1), default=0, help="seed of samples and subsets"
    )
    remedy = commands.add_parser(
        "remedies",
        help="train a plain GAN and one run per remedy for a discriminator that wins "
        "too fast, then print where each ended",
    )
    remedy.add_argument("--model", choices=("fcgan", "dcgan"), default="dcgan", help="the GAN")
    remedy.add_argument("--out", required=True, help="folder of the runs, one subfolder each")
    remedy.add_argument("--dataset", default="auto", choices=DATASETS, help="training data")
    remedy.add_argument(
        "--epochs", type=whole(0, 500), default=5, help="passes over the data, every run"
    )
    remedy.add_argument(
        "--steps", type=whole(0, 10**7), default=0, help="stop each run here (0 = all epochs)"
    )
    remedy.add_argument(
        "--train-size",
        type=whole(0, 10**7),
        default=0,
        help="train on this many images, the same ones in every run (0 = all)",
    )
    remedy.add_argument(
        "--seed", type=whole(0, 2**63 - 1), default=0, help="the same seed for every run"
    )
    remedy.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    projector = commands.add_parser(
        "project",
        help="project a VAE's map of its test items to 2-D (UMAP and PCA at the app's defaults) "
        "and keep it where the Latent space page looks first",
    )
    projector.add_argument("checkpoint", help="VAE checkpoint stem, e.g. checkpoints/conv-vae")
    projector.add_argument(
        "--dataset", help="the test items to map (default: the checkpoint's own dataset)"
    )
    projector.add_argument("--out", default="checkpoints/projections", help="folder to write")
    args, rest = parser.parse_known_args(argv)
    if args.command == "train":
        return train(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "sample" and Path(args.out).is_dir():
        parser.error(f"--out {args.out} is a folder: give the PNG file to write")
    try:
        handlers = {
            "list": list_command,
            "sample": sample_command,
            "export": export_command,
            "fit-density": fit_density_command,
            "classifier": classifier_command,
            "report": report_command,
            "remedies": remedies_command,
            "project": project_command,
        }
        return handlers[args.command](args)
    except (ckpt.CheckpointError, DatasetUnavailable, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, or a message saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return value

    return parse


def train_parser(model: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gen_core train",
        description="Train a model; writes OUT/events.jsonl, OUT/samples/*.png and OUT/checkpoint.*. Create OUT/STOP or send SIGTERM to stop (it saves first).",
        epilog=None
        if model
        else "Each model adds its own options: --model NAME --help lists them.",
    )
    parser.add_argument(
        "--model", choices=list(MODELS), help="model to train (not needed with --resume)"
    )
    parser.add_argument("--out", required=True, help="run folder to write")
    parser.add_argument(
        "--resume", help="checkpoint to continue from; its settings are kept unless given again"
    )
    if model:
        config_cls, model_cls = MODELS[model]
        add_options(parser, config_cls, f"{model} model options")
        add_options(
            parser, config_for(model_cls.family), f"{model_cls.family.upper()} training options"
        )
    return parser


def train(argv: list[str]) -> int:
    """``python -m gen_core train``: 2 and a message for a command that cannot run (nothing is
    written), 1 for a run that failed (its reason also in the run folder's events)."""
    helpless = [a for a in argv if a not in ("-h", "--help")]
    first, _ = train_parser(None).parse_known_args(helpless + ["--out", "-"])
    if "-h" in argv or "--help" in argv:
        try:
            model = first.model or (ckpt.read_info(first.resume).model if first.resume else None)
        except ckpt.CheckpointError as err:
            train_parser(None).error(str(err))
        train_parser(model if model in MODELS else None).parse_args(["--help"])
    parser = train_parser(None)
    if not any(a == "--out" or a.startswith("--out=") for a in argv):
        parser.error("--out is required: the run folder to write")
    if first.model is None and first.resume is None:
        parser.error("--model is required (or --resume a checkpoint)")
    try:
        request = request_from_args(argv)
        resolve_device(request.train.device)  # a device that is not here fails before any work
    except (ValueError, ckpt.CheckpointError) as err:
        parser.error(str(err))
    out = Path(request_out(argv))
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out} is a file: give a folder for the run")
    main_rank = (
        os.environ.get("RANK", "0") == "0"
    )  # under torchrun only rank 0 writes the run folder
    try:
        log: Any = RunLog(out) if main_rank else _Silent()
    except OSError as err:
        print(f"error: cannot write the run folder {out}: {err}", file=sys.stderr)
        return 1
    try:
        return _train(request, log, out)
    except (DatasetUnavailable, ckpt.CheckpointError, ValueError, OSError) as err:
        _report_failure(log, str(err))
        return 1
    except Exception as err:
        _report_failure(log, f"{type(err).__name__}: {err}")
        traceback.print_exc()
        return 1
    finally:
        with contextlib.suppress(OSError):
            log.close()


def request_out(argv: list[str]) -> str:
    """The run folder a train command line names."""
    return str(train_parser(None).parse_known_args(argv)[0].out)


def _report_failure(log: Any, reason: str, step: int = 0) -> None:
    """Say why on stderr and, when the disk still takes it, in the run's events."""
    print(f"error: {reason}", file=sys.stderr)
    with contextlib.suppress(OSError, ValueError):
        log(Event("failed", step, {"reason": reason}))


def request_from_args(argv: list[str]) -> RunRequest:
    """The run request a ``train`` command line gives: a checkpoint's own settings when resuming,
    then every option given on top (the inverse of :meth:`RunRequest.args`)."""
    first, _ = train_parser(None).parse_known_args(argv)
    model, resume = first.model, first.resume
    resumed = ckpt.read_info(resume) if resume else None
    if resumed and model and model != resumed.model:
        raise ValueError(
            f"--model {model} does not match {resumed.path}, which holds a "
            f"{resumed.model}: leave --model out to resume it"
        )
    if resumed and resumed.model not in MODELS:
        raise ValueError(
            f"{resumed.path} holds a {resumed.model}, which `train` does not train "
            "(python -m gen_core classifier makes classifiers)"
        )
    name = resumed.model if resumed else str(model)
    given = vars(train_parser(name).parse_args(argv))
    settings = {k: v for k, v in given.items() if k not in ("model", "out", "resume")}
    if resumed:
        return RunRequest.build(name, settings, base=resumed, resume=resumed.path)
    return RunRequest.build(name, settings)


def _train(request: RunRequest, log: Any, out: Path) -> int:
    config = request.train
    device = local_device(resolve_device(config.device))  # fails early on a device not here
    group = init_from_env(device)
    try:
        dataset = load_dataset(config.dataset)
        seed_everything(config.seed)
        model = build_model(request.model, request.config)
        callbacks: list[Any] = [log]
        progress = _progress_bar() if sys.stderr.isatty() and group.is_main else None
        if progress:
            callbacks.append(progress)
        train = training_split(dataset.train, config.classes, config.train_size)
        trainer = make_trainer(
            model,
            train.images,
            config,
            labels=train.labels,
            callbacks=callbacks,
            dataset_info=dataset.info,
            checkpoint_path=out / "checkpoint",
            dist=group,
            probe=_quality_probe(config, dataset) if group.is_main else None,
        )
        if request.resume:
            trainer.resume(request.resume)
        stop = {"asked": False}
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.update(asked=True))
        try:
            outcome = trainer.run(should_stop=lambda: stop["asked"] or (out / STOP_FILE).exists())
        except OSError as err:  # a full disk or a folder gone: say so at the step it happened
            kept = trainer.last_checkpoint_step
            where = (
                f"the checkpoint of step {kept} is kept" if kept is not None else "no checkpoint"
            )
            _report_failure(
                log,
                f"cannot write the run folder at step {trainer.step}: {err}; {where}",
                trainer.step,
            )
            return 1
        if progress:
            progress.close()
        if group.is_main:
            print(f"{outcome} at step {trainer.step}; run folder: {out}", file=sys.stderr)
        return 1 if outcome == "failed" else 0
    finally:
        close(group)


def _quality_probe(config: TrainConfig, dataset: Dataset) -> QualityProbe | None:
    """The live sample-quality probe of a run: the shipped classifier of its data (in
    checkpoints/, from where the command runs) against its test images of its classes."""
    path = classifier_path(dataset.info.name, Path("checkpoints"))
    if not config.quality or not path.with_suffix(".json").is_file():
        return None
    classifier = ckpt.load_checkpoint(path).model
    if not isinstance(classifier, Classifier):
        return None
    return QualityProbe(classifier, only_classes(dataset.test, config.classes))


class _Silent:
    """The event log of ranks other than 0: they report nothing."""

    def __call__(self, event: Event) -> None:
        pass

    def close(self) -> None:
        pass


class _progress_bar:  # noqa: N801 - used like a function
    """A terminal progress bar fed by step events (tqdm, only when stderr is a terminal)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit="step", dynamic_ncols=True)

    def __call__(self, event: Event) -> None:
        if event.type == "start":
            self.bar.reset(total=event.data["total_steps"])
            self.bar.update(event.step)
        elif event.type == "step":
            self.bar.update(event.step - self.bar.n)
            shown = {
                k: f"{v:.3g}"
                for k, v in event.data.items()
                if k.startswith(("loss", "d_", "recon", "kl"))
            }
            self.bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        self.bar.close()


def list_command(args: argparse.Namespace) -> int:
    infos = ckpt.list_checkpoints(*[f for f in args.folders if Path(f).is_dir()])
    if not infos:
        print(f"no checkpoints in {', '.join(args.folders)}")
        return 0
    print(
        f"{'checkpoint':<40} {'model':<9} {'step':>6} {'epoch':>5} {'dataset':<14} {'size':>8}  created"
    )
    for info in infos:
        size = f"{info.size_bytes() / 1e6:.1f} MB"
        print(
            f"{str(info.path):<40} {info.model:<9} {info.step:>6} {info.epoch:>5} {info.dataset.name:<14} {size:>8}  {info.created}"
        )
    return 0


def sample_command(args: argparse.Namespace) -> int:
    model = ckpt.load_checkpoint(args.checkpoint).model
    if not isinstance(model, GenerativeModel):
        print(
            f"error: {args.checkpoint} holds a {type(model).__name__.lower()}, which does not "
            "generate images: pick a GAN or VAE checkpoint",
            file=sys.stderr,
        )
        return 1
    try:
        z = model.sample_latent(args.n, torch.Generator().manual_seed(args.seed), args.latents)
        if args.digit is not None:
            z = as_classes(model, z, torch.full((len(z),), args.digit))
        elif isinstance(model, GAN):
            z = model.in_class_order(z)  # a conditional GAN's grid reads 0, 0, ..., 9
    except ValueError as err:  # no fitted density, or no class to draw
        print(f"error: {args.checkpoint}: {err}", file=sys.stderr)
        return 1
    with torch.inference_mode():
        save_grid(model.generate(z), args.out)
    drawn = (
        f", all of class {args.digit}"
        if args.digit is not None
        else ", the digits in order"
        if isinstance(model, GAN) and model.n_classes
        else ""
    )
    print(f"wrote {args.out} ({args.latents} latents{drawn})")
    return 0


def fit_density_command(args: argparse.Namespace) -> int:
    """Fit the density to the codes of the images the checkpoint was trained on (its dataset and
    classes, its seed) and write the checkpoint again, its training state and history kept."""
    loaded = ckpt.load_checkpoint(args.checkpoint)
    model, info = loaded.model, loaded.info
    if not isinstance(model, VAE):
        print(f"error: {info.path} holds a {info.model}: only a VAE has codes", file=sys.stderr)
        return 1
    train_split = info.training_split(load_dataset(info.dataset.name).train)
    used = fit_density(model, train_split.images, seed=int(info.train.get("seed", 0)))
    state = ckpt.load_training_state(info) if info.has_training_state else None
    stem = ckpt.save_copy(loaded, info.path, state)
    print(f"fitted {info.path}'s latent density to the codes of {used} {info.dataset.name} images")
    print(f"wrote {stem}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    loaded = ckpt.load_checkpoint(args.checkpoint)
    stem = ckpt.save_copy(loaded, args.dest)
    print(f"exported {loaded.info.path} to {stem}")
    return 0


def project_command(args: argparse.Namespace) -> int:
    loaded = ckpt.load_checkpoint(args.checkpoint)
    if not isinstance(loaded.model, VAE) or loaded.model.latent_dim <= 2:
        print(
            "error: only a VAE of more than 2 latent dimensions has a map to project",
            file=sys.stderr,
        )
        return 1
    dataset = args.dataset or loaded.info.dataset.name
    latents = map_latents(loaded.model, dataset)
    key = projection_key(loaded.info, dataset)
    for method in PROJECTIONS:
        params = UMAP_DEFAULTS if method == "umap" else {}
        project(latents, method, cache_dir=args.out, key=key, **params)
    print(
        f"projected {len(latents):,} test items of {dataset} for {loaded.info.path} to {args.out}"
    )
    return 0


def classifier_command(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.dataset)
    train, test, outliers = dataset.train, dataset.test, None
    if args.uploads:
        framing = framing_for(dataset.info.name)
        train, outliers = upload_training_set(train, args.uploads, framing, args.seed)
        rendered, kept = as_uploads(list(test.images), framing, args.seed + 7)
        test = Split((rendered * 255).round().to(torch.uint8), test.labels[kept])
    model = train_classifier(train, epochs=args.epochs, seed=args.seed, outliers=outliers)
    acc = accuracy(model, test)
    train_record = {
        "dataset": dataset.info.name,
        "epochs": args.epochs,
        "seed": args.seed,
        "uploads": args.uploads,
        "test_accuracy": acc,
    }
    stem = ckpt.save_checkpoint(args.out, model, dataset=dataset.info, train=train_record)
    what = "test uploads" if args.uploads else "test images"
    print(f"test accuracy {acc:.4f} on {len(test):,} {dataset.info.name} {what}; wrote {stem}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    checkpoint = ckpt.load_checkpoint(args.checkpoint)
    path = args.classifier or classifier_path(checkpoint.info.dataset.name, Path("checkpoints"))
    classifier = ckpt.load_checkpoint(path)
    report = checkpoint_report(checkpoint, classifier, n=args.n, k=args.k, seed=args.seed)
    print(f"{checkpoint.info.path} ({checkpoint.info.model}, step {checkpoint.info.step})")
    for name, value, meaning in report.rows:
        print(f"  {name:<28} {value:10.4f}   {meaning}")
    if report.histogram:
        print("  class shares: " + " ".join(f"{i}:{p:.2f}" for i, p in enumerate(report.histogram)))
    for note in report.notes:
        print(f"  note: {note}")
    return 0


ENDED_AT = {"fid": "FID", "loss_d": "L_D", "loss_g": "L_G", "d_x": "D(x)", "d_g_z": "D(G(z))"}


def remedies_command(args: argparse.Namespace) -> int:
    """Train the remedy comparison one run after another, then print each run's last logged step."""
    base = {
        "dataset": args.dataset,
        "epochs": args.epochs,
        "steps": args.steps,
        "train_size": args.train_size,
        "seed": args.seed,
        "device": args.device,
    }
    ended: dict[str, dict[str, Any]] = {}
    for name, options in remedy_runs(args.model, base).items():
        out = Path(args.out) / name.replace(" ", "-")
        print(f"{name}: training into {out}", file=sys.stderr)
        if train(["--model", args.model, *to_args(options), "--out", str(out)]) != 0:
            return 1
        feed = RunFeed(out, keep=1)
        feed.update()
        fid = {"fid": feed.quality[-1]["fid"]} if feed.quality else {}
        ended[name] = {**(feed.last_step or {}), **fid}
        if feed.end and feed.end["type"] == "stopped":
            print(f"stopped during {name}: the remedies after it were not run", file=sys.stderr)
            break
    print(f"{'remedy':<28}{'step':>6}" + "".join(f"{label:>10}" for label in ENDED_AT.values()))
    for name, step in ended.items():
        cells = [step.get(key) for key in ENDED_AT]
        print(
            f"{name:<28}{step.get('step', 0):>6}"
            + "".join(f"{v:>10.4f}" if v is not None else f"{'-':>10}" for v in cells)
        )
    if any("d_x" not in step for step in ended.values()):
        print(
            "- : not logged by that run (a WGAN critic and a hinge-loss D give scores, not "
            "probabilities: no D(x) or D(G(z)))."
        )
    return 0
