"""The Train page's settings form: one widget per setting a person may change, each starting
at its config dataclass's default (or the WGAN-GP preset's), read back as settings by name."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import streamlit as st
import torch
from streamlit.delta_generator import DeltaGenerator

from gen_core.data import DATASETS
from gen_core.device import bf16_is_fast, resolve_device
from gen_core.losses import GAN_LOSSES, UNLABELLED
from gen_core.models import MODELS
from gen_core.training import config_for
from gen_core.training.presets import wgan_gp
from ui.charts import class_names
from ui.common import dataset_info

LR_CHOICES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]
BATCH_SIZES = [16, 32, 64, 128, 256]


def lr_slider(column: DeltaGenerator, label: str, default: float, key: str) -> float:
    return column.select_slider(label, LR_CHOICES, default, key=key, format_func=lambda v: f"{v:g}")


def defaults(model: str, loss: str = "") -> dict[str, Any]:
    """Every setting's starting value: the model's and its family's config defaults, with the
    WGAN-GP recipe on top when that loss is picked."""
    config_cls, model_cls = MODELS[model]
    values = {
        **dataclasses.asdict(config_cls()),
        **dataclasses.asdict(config_for(model_cls.family)()),
    }
    return {**values, **(wgan_gp(model) if loss == "wgan-gp" else {})}


def settings_form(model: str) -> tuple[dict[str, Any], int]:
    """The form: settings by field name for :class:`RunRequest`, and the number of processes."""
    family = MODELS[model][1].family
    start = defaults(model)
    values: dict[str, Any] = {}
    c1, c2, c3, c4 = st.columns(4)
    values["dataset"] = c1.selectbox(
        "Dataset", DATASETS, key="t_dataset", help="auto = full MNIST when available, else mnist-5k"
    )
    values["epochs"] = c2.number_input("Epochs", 1, 500, start["epochs"], key="t_epochs")
    values["batch_size"] = c3.select_slider(
        "Batch size", BATCH_SIZES, start["batch_size"], key="t_batch"
    )
    values["seed"] = c4.number_input(
        "Seed", 0, 2**31 - 1, start["seed"], key="t_seed", help="Same seed and settings, same run."
    )
    if family == "gan":
        values |= _gan_settings(model)
    else:
        values |= _vae_settings(model, start)
    values |= _advanced(start, values["dataset"])
    processes = values.pop("processes", 1)
    return values, processes


def _gan_settings(model: str) -> dict[str, Any]:
    st.markdown("**GAN objective and the remedies for a discriminator that wins too fast**")
    g1, g2, g3 = st.columns(3)
    loss = g1.selectbox(
        "Loss",
        GAN_LOSSES,
        index=GAN_LOSSES.index(defaults(model)["loss"]),
        key="t_loss",
        help="minimax: G minimises log(1 − D(G(z))); non-saturating: −log D(G(z)); "
        "wgan-gp: Wasserstein critic with gradient penalty; hinge: D's margin loss, "
        "G maximises D's score (Miyato et al. 2018)",
    )
    start, wgan = defaults(model, loss), loss == "wgan-gp"
    values = {"loss": loss, **{k: start[k] for k in ("beta1", "beta2")}}
    values["label_smoothing"] = g2.slider(
        "One-sided label smoothing",
        0.0,
        0.3,
        start["label_smoothing"],
        0.05,
        key=f"t_smooth_{wgan}",
        disabled=loss in UNLABELLED,
        help="Real targets become 1 − s; fake targets stay 0.",
    )
    values["d_steps"] = g3.number_input(
        "D steps per G step", 1, 10, start["d_steps"], key=f"t_dsteps_{wgan}"
    )
    l1, l2, l3 = st.columns(3)
    values["lr_g"] = lr_slider(l1, "G learning rate", start["lr_g"], f"t_lrg_{wgan}")
    values["lr_d"] = lr_slider(l2, "D learning rate", start["lr_d"], f"t_lrd_{wgan}")
    values["d_dropout"] = l3.slider(
        "Dropout in D", 0.0, 0.6, start["d_dropout"], 0.05, key=f"t_drop_{model}"
    )
    s1, s2, s3 = st.columns(3)
    sn_help = "Each weight layer of D made 1-Lipschitz (Miyato et al. 2018): D cannot win by scale."
    if "d_batch_norm" in start:
        sn_help += " Turn D's batch norm off with it, as SN-GAN does: batch norm rescales them."
    values["d_spectral_norm"] = s1.checkbox(
        "Spectral norm in D", start["d_spectral_norm"], key="t_sn", help=sn_help
    )
    values["diffaugment"] = s2.checkbox(
        "DiffAugment",
        start["diffaugment"],
        key="t_diffaugment",
        help="Random shifts of up to 2 px of real and fake images alike before D (Zhao et al. "
        "2020): with few images, D cannot memorise them, and G is not taught to draw shifted "
        "digits. It slows learning at first and pays once a plain run stalls: on 200 digits "
        "(Advanced) it led the plain run at steps 15,000 and 18,000 on four seeds of four "
        "(0.82x its FID); on 4,000 digits, runs of up to 250 epochs did better without it "
        "(BENCHMARKS.md).",
    )
    values["ema"] = s3.select_slider(
        "Average of G's weights (EMA decay)",
        [0.0, 0.99, 0.995, 0.999],
        start["ema"],
        key="t_ema",
        format_func=lambda d: "off" if d == 0 else str(d),
        help="Samples, grids and the checkpoint use an exponential moving average of G's "
        "weights (Yazici et al. 2019), which smooths out G's step-to-step wobble; G itself "
        "trains as before. 0.99 averages about the last 100 steps, 0.999 the last 1,000: on a "
        "run of a few thousand steps 0.999 shows a G from hundreds of steps back. It gains "
        "most once G stops improving (about 1 FID on stalled 200-digit runs).",
    )
    b1, b2 = st.columns([2, 1])
    values["r1"] = b2.select_slider(
        "R1 penalty on real images (γ)",
        [0.0, 0.1, 1.0, 10.0],
        start["r1"],
        key="t_r1",
        format_func=lambda g: "off" if g == 0 else f"{g:g}",
        help="γ/2 · E‖∇D(x)‖² on the training images (Mescheder et al. 2018): D stays flat "
        "around them instead of sharpening onto the few thousand it sees, and G gets "
        "gradients that point at digits.",
    )
    if "d_batch_norm" in start:
        values["d_batch_norm"] = b1.checkbox(
            "Batch norm in D",
            start["d_batch_norm"],
            key=f"t_bn_{wgan}",
            disabled=wgan,
            help="Off for wgan-gp: the penalty is per sample and batch norm mixes samples.",
        )
    else:
        values["g_batch_norm"] = b1.checkbox("Batch norm in G", start["g_batch_norm"], key="t_gbn")
    values["conditional"] = b1.checkbox(
        "Class-conditional",
        start["conditional"],
        key="t_conditional",
        help="G is given the digit to draw and D judges image and digit together (projection "
        "discriminator, Miyato & Koyama 2018): with labels, each sample is one class. The "
        "shipped DCGAN is trained so (BENCHMARKS.md).",
    )
    return values


def _vae_settings(model: str, start: dict[str, Any]) -> dict[str, Any]:
    v1, v2, v3 = st.columns(3)
    return {
        "lr": lr_slider(v1, "Learning rate", start["lr"], "t_lr"),
        "beta": v2.slider(
            "β (KL weight)",
            0.0,
            5.0,
            start["beta"],
            0.1,
            key="t_beta",
            help="1 gives the ELBO; above 1 a β-VAE",
        ),
        "latent_dim": v3.number_input(
            "Latent size", 2, 64, start["latent_dim"], key=f"t_latent_{model}"
        ),
    }


def _advanced(start: dict[str, Any], dataset: str) -> dict[str, Any]:
    data = dataset_info(dataset)
    classes = data.classes if not isinstance(data, str) else tuple(map(str, range(10)))
    names = class_names(classes)  # None for digits, which are numbered
    values: dict[str, Any] = {}
    with st.expander("Advanced"):
        a1, a2 = st.columns(2)
        values["steps"] = a1.number_input(
            "Stop after this many steps (0 = all epochs)", 0, 10**7, start["steps"], key="t_steps"
        )
        devices = ["auto", "cpu"] + (["cuda"] if resolve_device("auto").type == "cuda" else [])
        values["device"] = a2.selectbox("Device", devices, key="t_device")
        values["augment_shift"] = a1.number_input(
            "Shift each batch by up to (pixels)",
            0,
            4,
            start["augment_shift"],
            key="t_shift",
            help="Data augmentation: shifts every batch a random 0 to N pixels each way. Helps small "
            "training sets; a GAN then learns shifted digits too.",
        )
        values["compile"] = a2.checkbox(
            "Compile the training step (torch.compile)",
            start["compile"],
            key="t_compile",
            help="About 25 s of compiling first, then roughly 1.1-1.2x faster on a CPU and more on a "
            "GPU: worth it for long runs.",
        )
        fast = bf16_is_fast(resolve_device(values["device"]))
        values["bf16"] = a2.checkbox(
            "bf16 mixed precision",
            start["bf16"],
            key="t_bf16",
            help="Trains under bf16 autocast: "
            + (
                "this machine has the hardware for it (a DCGAN trains 1.3-1.5x faster on a CPU "
                "with AMX, with the same sample quality)."
                if fast
                else "this machine lacks the hardware for it (a GPU with bf16, or a CPU with AMX), "
                "so it would train slower here."
            ),
        )
        gpus = torch.cuda.device_count()
        most = gpus if gpus > 1 else os.cpu_count() or 1
        if most > 1:
            values["processes"] = st.number_input(
                "Processes (data parallel, via torchrun)",
                1,
                most,
                1,
                key="t_processes",
                help="Each process trains on its own shard of every epoch, "
                f"{'one GPU each' if gpus > 1 else 'on the CPU (a demo: it shares the cores)'}; "
                "the batch size is per process.",
            )
        only = st.multiselect(
            "Train on these classes only",
            range(len(classes)),
            key="t_classes",
            placeholder="all classes",
            format_func=lambda c: names[c] if names else f"digit {c}",
            help="A VAE that sees one digit learns what that digit looks like: the Anomaly page "
            "then scores the other digits as anomalies.",
        )
        values["train_size"] = st.number_input(
            "Train on this many images (0 = all)",
            0,
            10**6,
            start["train_size"],
            step=100,
            key="t_train_size",
            help="Small data: the run sees this many of the training images (of the classes "
            "picked), drawn at random but the same ones in every run, so that runs compare on one "
            "set: small data, the regime DiffAugment was made for.",
        )
    values["classes"] = ",".join(map(str, sorted(only)))
    return values
