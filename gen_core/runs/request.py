"""What a run is asked to do: the request the Train page builds, the queue keeps and the CLI runs.

One typed value carries the model, its config, the training config, the number of processes,
the checkpoint to resume and a title from the page to the training process; ``run.json`` stores
it and :meth:`RunRequest.args` spells it out as ``python -m gen_core train`` options.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gen_core.checkpoints import CheckpointInfo, read_info
from gen_core.configs import build, from_dict
from gen_core.models import MODELS, check_config
from gen_core.options import to_args
from gen_core.training.config import TrainConfig, config_for


@dataclass(frozen=True)
class RunRequest:
    model: str  # a name in gen_core.models.MODELS
    config: Any  # that model's config dataclass
    train: TrainConfig  # the training config of the model's family
    processes: int = 1  # data-parallel processes under torchrun; 1 is a plain process
    resume: Path | None = None  # the checkpoint the run continues
    title: str = ""  # what the run is for, e.g. the remedy it tries in a comparison
    owner: str = ""  # who asked for it (the app's signed-in name; "" from a terminal)

    def __post_init__(self) -> None:
        config_cls, model_cls = MODELS[self.model]
        if not isinstance(self.config, config_cls):
            raise TypeError(f"a {self.model} is configured by {config_cls.__name__}")
        if type(self.train) is not config_for(model_cls.family):
            raise TypeError(f"a {self.model} trains with {config_for(model_cls.family).__name__}")
        if self.processes < 1:
            raise ValueError("processes must be at least 1")
        if getattr(self.config, "conditional", False) and self.train.classes:
            raise ValueError(
                "a class-conditional GAN draws every class when it samples: train it on all of "
                "them (no classes setting)"
            )
        check_config(model_cls, self.config)

    @classmethod
    def build(
        cls,
        model: str,
        settings: Mapping[str, Any] | None = None,
        *,
        base: CheckpointInfo | None = None,
        **extra: Any,
    ) -> RunRequest:
        """A request from settings by field name (a form, a preset, the command line) over the
        model's defaults, or over a checkpoint's own settings when ``base`` is given; a name that
        is no setting of this model is refused. ``extra``: processes, resume, title."""
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
        config_cls, model_cls = MODELS[model]
        train_cls = config_for(model_cls.family)
        given = dict(settings or {})
        known = {f.name for f in dataclasses.fields(config_cls) + dataclasses.fields(train_cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"a {model} run has no setting {', '.join(unknown)}")
        return cls(
            model,
            build(config_cls, given, base.config if base else None),
            build(train_cls, given, base.train if base else None),
            **extra,
        )

    @classmethod
    def resuming(
        cls, info: CheckpointInfo, settings: Mapping[str, Any] | None = None, **extra: Any
    ) -> RunRequest:
        """Continue a checkpoint with its own settings, changed by ``settings`` (say, more epochs);
        the log and sample intervals are sized afresh for the steps that are left."""
        fresh = {"log_every": "auto", "sample_every": "auto", **(settings or {})}
        return cls.build(info.model, fresh, base=info, resume=info.path, **extra)

    @property
    def family(self) -> str:
        return MODELS[self.model][1].family

    @property
    def settings(self) -> dict[str, Any]:
        """Every model and training setting by field name."""
        return {**dataclasses.asdict(self.config), **dataclasses.asdict(self.train)}

    def args(self) -> list[str]:
        """``python -m gen_core train`` arguments for this request, all but ``--out``."""
        resume = ["--resume", str(self.resume)] if self.resume else []
        return ["--model", self.model, *resume, *to_args(self.settings)]

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "config": dataclasses.asdict(self.config),
            "train": dataclasses.asdict(self.train),
            "processes": self.processes,
            "resume": str(self.resume) if self.resume else None,
            "title": self.title,
            "owner": self.owner,
        }

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> RunRequest:
        """Read back what :meth:`to_json` wrote (and the flat options of earlier versions)."""
        resume = Path(values["resume"]) if values.get("resume") else None
        title, owner = str(values.get("title") or ""), str(values.get("owner") or "")
        if "options" in values:  # before run requests were typed: {"model", "options", ...}
            options = dict(values["options"])
            processes = int(options.pop("processes", 1))
            model = values.get("model") or (read_info(resume).model if resume else None)
            return cls.build(
                str(model), options, processes=processes, resume=resume, title=title, owner=owner
            )
        config_cls, model_cls = MODELS[values["model"]]
        train_cls = config_for(model_cls.family)
        return cls(
            values["model"],
            from_dict(config_cls, values["config"]),
            from_dict(train_cls, values["train"]),
            int(values.get("processes", 1)),
            resume,
            title,
            owner,
        )
