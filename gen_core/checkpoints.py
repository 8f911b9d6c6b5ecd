"""Checkpoints that rebuild themselves: safetensors weights plus a JSON sidecar.

A checkpoint named ``runs/x/checkpoint`` is up to three files:
``checkpoint.json`` (model name, config, dataset, step, history, file hashes),
``checkpoint.safetensors`` (the model's weights) and, for runs that can resume,
``checkpoint.state.safetensors`` (optimizer moments and RNG states; the optimizers' plain
settings sit in the sidecar). Nothing is pickled, so loading a file never runs code in it.
Every file is written to a temporary name and renamed into place, the sidecar last.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file, save

from gen_core import __version__
from gen_core.configs import from_dict
from gen_core.data import DatasetInfo, Split, class_list, training_split
from gen_core.files import atomic_write
from gen_core.models import MODELS, Family, GenerativeModel, checked_build
from gen_core.models.classifier import Classifier, ClassifierConfig

FORMAT = "gen_core-checkpoint"
LOADABLE: dict[str, tuple[type[Any], type[Any]]] = {
    **MODELS,
    "classifier": (ClassifierConfig, Classifier),
}
FORMAT_VERSION = 1
MAX_SIDECAR_BYTES = 50_000_000


class CheckpointError(ValueError):
    """A file is not a usable gen_core checkpoint; the message says why."""


@dataclass(frozen=True)
class FileRef:
    """A tensor file the sidecar vouches for: its name beside the sidecar and its SHA-256."""

    file: str
    sha256: str


@dataclass
class CheckpointInfo:
    """Everything the sidecar says, checked and typed, without loading any weights."""

    path: Path
    model: str
    family: Family
    config: dict[str, Any]
    step: int
    epoch: int
    created: str
    library_version: str
    weights: FileRef
    dataset: DatasetInfo = field(default_factory=lambda: DatasetInfo.from_dict({}))
    train: dict[str, Any] = field(default_factory=dict)  # the training settings, by field name
    history: list[dict[str, Any]] = field(default_factory=list)
    training_state: dict[str, Any] | None = None  # file, sha256, optimizers, batches_seen

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def has_training_state(self) -> bool:
        return self.training_state is not None

    @property
    def classes(self) -> list[int]:
        """The labels it was trained on; [] for every class."""
        return class_list(str(self.train.get("classes") or ""))

    def training_split(self, split: Split) -> Split:
        """The images of ``split``, its data's training split, that this model was trained on."""
        return training_split(split, self.classes, int(self.train.get("train_size") or 0))

    @property
    def latent_dim(self) -> int | None:
        """The latent size of a GAN or VAE; None for a classifier."""
        size = self.config.get("nz", self.config.get("latent_dim"))
        return int(size) if size is not None else None

    def files(self) -> list[Path]:
        """The sidecar and the tensor files it names."""
        named = [self.weights.file] + ([self.training_state["file"]] if self.training_state else [])
        return [sidecar_of(self.path)] + [self.path.with_name(name) for name in named]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files() if p.exists())


@dataclass
class TrainingState:
    """What resuming needs beyond the weights: tensors (optimizer moments, RNG) and plain values."""

    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]


@dataclass
class Checkpoint:
    model: GenerativeModel | Classifier
    info: CheckpointInfo


# A checkpoint's tensor files: STEM.safetensors, or STEM.gNNNNNNN.safetensors for a generation
# of a run's rolling checkpoint, each with an optional .state part.
TENSOR_FILE = re.compile(r"^(?P<stem>.+?)(?P<generation>\.g\d+)?(?P<state>\.state)?\.safetensors$")


def stem_of(path: str | Path) -> Path:
    """Accept a checkpoint's stem or any of its files and return the stem."""
    path = Path(path)
    if path.name.endswith(".json"):
        return path.with_name(path.name[: -len(".json")])
    match = TENSOR_FILE.match(path.name)
    return path.with_name(match["stem"]) if match else path


def sidecar_of(stem: Path) -> Path:
    return stem.with_name(stem.name + ".json")


def _tensor_names(stem: Path, generation: int | None) -> tuple[Path, Path]:
    tag = f".g{generation:07d}" if generation is not None else ""
    return (stem.with_name(f"{stem.name}{tag}.safetensors"),
            stem.with_name(f"{stem.name}{tag}.state.safetensors"))  # fmt: skip


def save_checkpoint(
    path: str | Path,
    model: GenerativeModel | Classifier,
    *,
    step: int = 0,
    epoch: int = 0,
    dataset: DatasetInfo | None = None,
    train: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    training_state: TrainingState | None = None,
    generation: int | None = None,
) -> Path:
    """Write a checkpoint and return its stem. Each file is written whole (temporary name, then
    renamed); the sidecar, which names the tensor files and their hashes, is renamed in last.
    With a ``generation`` (a run's step) the tensor files carry it in their names, so a kill or a
    full disk at any moment leaves the previous generation whole and its sidecar pointing to it;
    the files no sidecar points to are removed once the new one is in place."""
    stem = stem_of(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    sidecar = sidecar_of(stem)
    weights, state_file = _tensor_names(stem, generation)
    try:
        weights_state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        atomic_write(weights, lambda tmp: tmp.write_bytes(save(weights_state)))
        meta: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": model.name,
            "family": model.family,
            "config": dataclasses.asdict(model.config),
            "weights": {"file": weights.name, "sha256": _sha256(weights)},
            "training_state": None,
            "step": step,
            "epoch": epoch,
            "dataset": dataclasses.asdict(dataset) if dataset else {},
            "train": train or {},
            "history": history or [],
        }
        if training_state is not None:
            tensors = {k: v.detach().cpu().contiguous() for k, v in training_state.tensors.items()}
            atomic_write(state_file, lambda tmp: tmp.write_bytes(save(tensors)))
            meta["training_state"] = {
                "file": state_file.name,
                "sha256": _sha256(state_file),
                **training_state.meta,
            }
        atomic_write(sidecar, lambda tmp: tmp.write_text(json.dumps(meta, indent=1)))
    except BaseException:
        if generation is not None:  # a new generation that never got its sidecar: no orphans
            weights.unlink(missing_ok=True)
            state_file.unlink(missing_ok=True)
        raise
    _remove_stale(stem, keep={weights.name} | ({state_file.name} if training_state else set()))
    return stem


def save_copy(
    checkpoint: Checkpoint, path: str | Path, training_state: TrainingState | None = None
) -> Path:
    """Write ``checkpoint``'s model with everything its sidecar records (step, epoch, data,
    settings, history) to ``path``; given a training state, as the run's generation at its step."""
    info = checkpoint.info
    return save_checkpoint(
        path,
        checkpoint.model,
        step=info.step,
        epoch=info.epoch,
        dataset=info.dataset,
        train=info.train,
        history=info.history,
        training_state=training_state,
        generation=info.step if training_state else None,
    )


def _remove_stale(stem: Path, keep: set[str]) -> None:
    """Remove the stem's tensor files that its sidecar no longer names (older generations, and
    one a kill left half-committed)."""
    for file in stem.parent.glob(f"{glob.escape(stem.name)}*.safetensors"):
        match = TENSOR_FILE.match(file.name)
        if match and match["stem"] == stem.name and file.name not in keep:
            file.unlink(missing_ok=True)


def read_info(path: str | Path) -> CheckpointInfo:
    """Read and check a checkpoint's sidecar; raise :class:`CheckpointError` if it is not one."""
    stem = stem_of(path)
    sidecar = sidecar_of(stem)
    if not sidecar.is_file():
        raise CheckpointError(
            f"{sidecar} not found: a checkpoint needs its JSON sidecar beside the weights"
        )
    if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
        raise CheckpointError(f"{sidecar} is too large to be a checkpoint sidecar")
    try:
        meta = json.loads(sidecar.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{sidecar} is not valid JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f'{sidecar} is not a gen_core checkpoint (no \'"format": "{FORMAT}"\')'
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{sidecar} has a bad format_version: {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{sidecar} was written by a newer gen_core (format {version}); upgrade to load it"
        )
    model = meta.get("model")
    if not isinstance(model, str) or model not in LOADABLE:
        raise CheckpointError(f"{sidecar} names an unknown model {model!r}")
    for key, kinds in SIDECAR_FIELDS.items():
        if not _is(meta.get(key), kinds):
            raise CheckpointError(f"{sidecar} is missing or has a bad field: {key}")
    if meta["family"] != LOADABLE[model][1].family or meta["step"] < 0 or meta["epoch"] < 0:
        raise CheckpointError(f"{sidecar} has a bad family, step or epoch")
    try:
        return CheckpointInfo(
            path=stem,
            model=model,
            family=meta["family"],
            config=meta["config"],
            step=meta["step"],
            epoch=meta["epoch"],
            created=meta["created"],
            library_version=meta["library_version"],
            weights=_file_ref(meta["weights"]),
            dataset=DatasetInfo.from_dict(meta.get("dataset") or {}),
            train=meta.get("train") or {},
            history=[row for row in meta.get("history") or [] if isinstance(row, dict)],
            training_state=_state_entry(meta.get("training_state")),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{sidecar} is missing or has a bad field: {err}") from None


# What each sidecar field must hold (optional ones may also be absent: older sidecars).
SIDECAR_FIELDS: dict[str, tuple[type, ...]] = {
    "family": (str,),
    "config": (dict,),
    "weights": (dict,),
    "step": (int,),
    "epoch": (int,),
    "created": (str,),
    "library_version": (str,),
    "dataset": (dict, type(None)),
    "train": (dict, type(None)),
    "history": (list, type(None)),
    "training_state": (dict, type(None)),
}


def _is(value: object, kinds: type | tuple[type, ...]) -> bool:
    """isinstance, except that a JSON true/false is not a number."""
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in _tuple(kinds))


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _file_ref(entry: dict[str, Any]) -> FileRef:
    """A tensor file's entry: a file name beside the sidecar (no path: a sidecar may not point
    elsewhere) and its hash; a missing or malformed one is refused (it would load unchecked)."""
    digest, name = entry.get("sha256"), entry.get("file")
    if not isinstance(name, str) or not isinstance(digest, str) or len(digest) != 64:
        raise ValueError("a tensor file entry needs its file name and SHA-256")
    if Path(name).name != name or not TENSOR_FILE.match(name):
        raise ValueError(f"{name!r} is not a tensor file beside the sidecar")
    return FileRef(name, digest)


def _state_entry(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    _file_ref(entry)
    if not isinstance(entry.get("optimizers"), dict) or not _is(entry.get("batches_seen", 0), int):
        raise ValueError("training_state needs its optimizers (and batches_seen a whole number)")
    return entry


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model from the sidecar alone and load its weights, in eval mode."""
    info = read_info(path)
    try:
        config_cls, model_cls = LOADABLE[info.model]
        model = checked_build(model_cls, from_dict(config_cls, info.config))
    except (TypeError, ValueError) as err:
        raise CheckpointError(
            f"{info.path}: its config does not fit model {info.model!r}: {err}"
        ) from None
    weights = _load_tensors(info.path.with_name(info.weights.file), info.weights.sha256, device)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"{info.path}: weights do not match the {info.model} config: {err}"
        ) from None
    return Checkpoint(model.to(device).eval(), info)


Kind = TypeVar("Kind", bound=GenerativeModel[Any] | Classifier)


def load_model(path: str | Path, kind: type[Kind], device: str | torch.device = "cpu") -> Kind:
    """The model in a checkpoint, which must be a ``kind`` (e.g. a VAE): a checkpoint of another
    model is refused by name, not found out later by a missing method."""
    checkpoint = load_checkpoint(path, device)
    if not isinstance(checkpoint.model, kind):
        raise CheckpointError(
            f"{checkpoint.info.path} holds a {checkpoint.info.model}, not a {kind.__name__}"
        )
    return checkpoint.model


def load_training_state(info: CheckpointInfo, device: str | torch.device = "cpu") -> TrainingState:
    """The optimizer and RNG state saved beside a run's checkpoint, for resuming it."""
    entry = info.training_state
    if entry is None:
        raise CheckpointError(
            f"{info.path} holds weights only (no optimizer state) and cannot be resumed exactly"
        )
    tensors = _load_tensors(info.path.with_name(entry["file"]), entry["sha256"], device)
    return TrainingState(tensors, {k: v for k, v in entry.items() if k not in ("file", "sha256")})


def list_checkpoints(*folders: str | Path) -> list[CheckpointInfo]:
    """Every valid checkpoint below the folders, newest first; other JSON files are passed over."""
    found: list[CheckpointInfo] = []
    for folder in folders:
        for sidecar in sorted(Path(folder).rglob("*.json")):
            try:
                found.append(read_info(sidecar))
            except CheckpointError:
                continue
    return sorted(found, key=lambda i: i.created, reverse=True)


def optimizer_state(opt: torch.optim.Optimizer, prefix: str) -> TrainingState:
    """Split an optimizer's state into tensors and plain JSON values, so no pickle is needed."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for idx, entry in sd["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{idx}.{key}"] = value
            else:
                scalars[f"{idx}.{key}"] = value
    return TrainingState(tensors, {"param_groups": sd["param_groups"], "scalars": scalars})


def restore_optimizer(opt: torch.optim.Optimizer, prefix: str, state: TrainingState) -> None:
    """Inverse of :func:`optimizer_state`: tensors named ``prefix.idx.key`` plus the plain values."""
    meta = state.meta["optimizers"][prefix]
    per_param: dict[int, dict[str, Any]] = {}
    for name, value in state.tensors.items():
        head, _, rest = name.partition(".")
        if head == prefix:
            idx, key = rest.split(".", 1)
            per_param.setdefault(int(idx), {})[key] = value
    for name, value in meta["scalars"].items():
        idx, key = name.split(".", 1)
        per_param.setdefault(int(idx), {})[key] = value
    try:
        opt.load_state_dict({"state": per_param, "param_groups": meta["param_groups"]})
    except (ValueError, KeyError) as err:
        raise CheckpointError(
            f"optimizer state {prefix!r} does not fit this model: {err}"
        ) from None


def _load_tensors(file: Path, sha256: str, device: str | torch.device) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise CheckpointError(f"{file} not found: the sidecar points to it")
    if _sha256(file) != sha256:
        raise CheckpointError(
            f"{file} does not match its sidecar (hash differs): a torn or replaced file"
        )
    try:
        return load_file(str(file), device=str(device))
    except Exception as err:  # safetensors raises its own error types for a corrupt header
        raise CheckpointError(f"{file} is not a valid safetensors file: {err}") from None


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
