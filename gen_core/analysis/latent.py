"""Latent-space operations: interpolation paths, encoding and decoding, 2-D projections.

Paths are built on latents of shape (d,) or (K, d); decoding and encoding take and return
image tensors (N, 1, 28, 28) in [0, 1]. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch

from gen_core.checkpoints import CheckpointInfo
from gen_core.data import load_dataset, to_unit
from gen_core.device import eval_mode
from gen_core.files import atomic_write
from gen_core.models import GAN, VAE, GenerativeModel, LatentSource
from gen_core.models.density import DENSITY_IMAGES

PathKind = Literal["lerp", "slerp"]
Projection = Literal["umap", "pca"]
PATHS: tuple[PathKind, ...] = get_args(PathKind)
PROJECTIONS: tuple[Projection, ...] = get_args(Projection)
PARALLEL_EPS = 1e-6  # sin(omega) below this: the two directions are (anti)parallel


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Straight line a + t (b - a); ``t`` of shape (T,) gives (T, d)."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.dim() == 1:
        t = t[:, None]
    return a * (1 - t) + b * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation (Shoemake, 1985), as White (2016) proposed for GAN latents.

    Follows the great circle between the directions of ``a`` and ``b``, so samples stay near
    the shell where a Gaussian prior puts its mass instead of cutting through the low-norm
    middle. Nearly parallel vectors fall back to lerp; nearly opposite ones, whose great circle
    is not unique, pass through a fixed direction orthogonal to ``a``. Endpoints are exact.
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    scalar = t.dim() == 0
    t = t.reshape(-1, 1)
    cos = torch.dot(a / a.norm(), b / b.norm()).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    if sin < PARALLEL_EPS and cos > 0:
        out = lerp(a, b, t.flatten())
    elif sin < PARALLEL_EPS:
        mid = _orthogonal(a) * (a.norm() + b.norm()) / 2
        first = t.flatten() < 0.5
        out = torch.where(
            first[:, None],
            slerp(a, mid, (2 * t).flatten().clamp(0, 1)),
            slerp(mid, b, (2 * t - 1).flatten().clamp(0, 1)),
        )
    else:
        out = torch.sin((1 - t) * omega) / sin * a + torch.sin(t * omega) / sin * b
    return out[0] if scalar else out


def _orthogonal(a: torch.Tensor) -> torch.Tensor:
    """A unit vector orthogonal to ``a``: the basis vector least aligned with it, made orthogonal."""
    e = torch.zeros_like(a)
    e[torch.argmin(a.abs())] = 1.0
    u = a / a.norm()
    v = e - torch.dot(e, u) * u
    return v / v.norm()


def between(
    a: torch.Tensor,
    b: torch.Tensor,
    t: torch.Tensor | float,
    method: PathKind = "lerp",
    noise_dim: int | None = None,
) -> torch.Tensor:
    """One leg from ``a`` to ``b``. Slerp bends only the first ``noise_dim`` coordinates (the
    Gaussian noise); a class code after them is lerped, so a walk from a 3 to an 8 mixes the
    two codes linearly instead of swinging them off the one-hot scale."""
    k = a.shape[-1] if noise_dim is None else noise_dim
    if method == "lerp" or k >= a.shape[-1]:
        return {"lerp": lerp, "slerp": slerp}[method](a, b, t)
    return torch.cat([slerp(a[:k], b[:k], t), lerp(a[k:], b[k:], t)], dim=-1)


def path(
    points: torch.Tensor,
    frames_per_leg: int,
    method: PathKind = "lerp",
    noise_dim: int | None = None,
) -> torch.Tensor:
    """Frames through K points: ``frames_per_leg`` per leg (its start included) plus the last
    point, so (K - 1) * frames_per_leg + 1 frames, each point appearing exactly once."""
    if len(points) < 2 or frames_per_leg < 1:
        raise ValueError("a path needs at least two points and one frame per leg")
    t = torch.arange(frames_per_leg, dtype=points.dtype) / frames_per_leg
    legs = [between(points[i], points[i + 1], t, method, noise_dim) for i in range(len(points) - 1)]
    return torch.cat([*legs, points[-1:]])


def at_position(
    points: torch.Tensor,
    position: float,
    method: PathKind = "lerp",
    noise_dim: int | None = None,
) -> torch.Tensor:
    """The latent at ``position`` in [0, K - 1] along the path through the points (leg index + t)."""
    leg = min(int(position), len(points) - 2)
    return between(points[leg], points[leg + 1], position - leg, method, noise_dim)


def norm_profile(latents: torch.Tensor, noise_dim: int | None = None) -> torch.Tensor:
    """||z|| of the Gaussian part along a path: a d-dimensional N(0, I) puts most mass near
    sqrt(d)."""
    return latents[..., :noise_dim].norm(dim=-1)


def seeded_latents(
    model: GenerativeModel, seeds: list[int], source: LatentSource = "prior"
) -> torch.Tensor:
    """One sample per seed from the prior or the fitted density, the same on every machine."""
    return torch.cat(
        [model.sample_latent(1, torch.Generator().manual_seed(int(s)), source) for s in seeds]
    )


def as_classes(model: GenerativeModel, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Latents ``z`` drawn as ``labels`` (N,) instead: a class-conditional GAN's only."""
    if not isinstance(model, GAN) or not model.n_classes:
        raise ValueError(f"this {model.name} is not class-conditional: it draws no chosen class")
    return model.with_class(z[:, : model.config.nz], labels.to(z.device))


def class_latents(model: GenerativeModel, labels: list[int], seed: int) -> torch.Tensor:
    """A class-conditional GAN's points for ``labels``, all with the one noise ``seed`` draws:
    a walk between them changes the digit and keeps the style (width, slant, stroke)."""
    noise = model.sample_latent(1, torch.Generator().manual_seed(int(seed)))
    return as_classes(model, noise.expand(len(labels), -1), torch.tensor(labels))


@torch.inference_mode()
def decode(model: GenerativeModel, z: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Images in [0, 1] for latents, in eval mode and in batches."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat(
        [
            model.generate(z[i : i + batch_size].to(device)).float().cpu()
            for i in range(0, len(z), batch_size)
        ]
    )


@torch.inference_mode()
def encode(
    model: VAE,
    images: torch.Tensor,
    sample: bool = False,
    generator: torch.Generator | None = None,
    batch_size: int = 512,
) -> torch.Tensor:
    """Latents of images (uint8 or float in [0, 1]): the posterior mean, or a sample from q(z|x)."""
    if not isinstance(model, VAE):
        raise TypeError("only a VAE has an encoder; GAN latents come from seeds")
    model.eval()
    device = next(model.parameters()).device
    x = to_unit(images)
    out = []
    for i in range(0, len(x), batch_size):
        mu, logvar = model.encode(x[i : i + batch_size].to(device))
        if sample:
            mu = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator).to(
                device
            )
        out.append(mu.float().cpu())
    return torch.cat(out)


def fit_density(model: VAE, images: torch.Tensor, seed: int = 0) -> int:
    """Fit the VAE's latent density to the posterior means of the first DENSITY_IMAGES of
    ``images``, leaving the model in the mode it was in; returns how many images that was."""
    used = images[:DENSITY_IMAGES]
    with eval_mode(model):
        model.density.fit(encode(model, used), seed)
    return len(used)


MAP_ITEMS = 2000  # test items a latent map shows: a larger split is sampled, so UMAP stays quick
UMAP_DEFAULTS: dict[str, Any] = {"n_neighbors": 15, "min_dist": 0.1}


def project(
    latents: np.ndarray,
    method: Projection = "umap",
    cache_dir: str | Path | None = None,
    key: str | None = None,
    **params: Any,
) -> np.ndarray:
    """2-D coordinates for latents above 2-D: UMAP (McInnes et al., 2018) or PCA.

    UMAP params: n_neighbors (15), min_dist (0.1), seed (0); PCA has none. With ``cache_dir``
    the result is kept on disk under ``key`` (what the latents come from, say a checkpoint's
    weights and a dataset; by default a hash of the latents) and the settings, and reused.
    """
    latents = np.ascontiguousarray(latents, dtype=np.float32)
    if method not in PROJECTIONS:
        raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}")
    file = None
    if cache_dir is not None:
        key = key or hashlib.sha256(latents.tobytes() + repr(latents.shape).encode()).hexdigest()
        file = projection_file(cache_dir, key, method, params)
        if file.exists():
            return np.load(file)
    coords = _fit(latents, method, params)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(file, lambda tmp: _save_npy(tmp, coords))
    return coords


def projection_key(info: CheckpointInfo, dataset: str) -> str:
    """What a map's latents come from: the checkpoint's weights (by their hash) and the data."""
    return f"{info.weights.sha256[:16]}-{dataset}"


def map_latents(model: VAE, dataset: str) -> np.ndarray:
    """The posterior means of the test items a latent map shows (the same on every machine)."""
    return encode(model, load_dataset(dataset).test.sample(MAP_ITEMS).images).numpy()


def projection_file(folder: str | Path, key: str, method: Projection, params: dict) -> Path:
    """Where :func:`project` keeps the projection of ``key``'s latents with these settings."""
    digest = hashlib.sha256(json.dumps([key, method, params], sort_keys=True).encode())
    return Path(folder) / f"{method}-{digest.hexdigest()[:24]}.npy"


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:  # a file object: np.save would add ".npy" to a bare name
        np.save(f, array)


def _fit(latents: np.ndarray, method: Projection, params: dict[str, Any]) -> np.ndarray:
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2).fit_transform(latents).astype(np.float32)
    import umap  # imported here: numba makes it slow to import

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=int(params.get("n_neighbors", 15)),
        min_dist=float(params.get("min_dist", 0.1)),
        random_state=int(params.get("seed", 0)),
        n_jobs=1,
    )
    return reducer.fit_transform(latents).astype(np.float32)
