"""The latent explorers: Streamlit components whose scrubbing, hovering and dragging run in the
browser, so none of them waits for a rerun.

The server decodes once (a walk's frames; a dense grid over a 2-D latent space; each test
item's reconstruction above 2-D) and sends the images as one PNG sprite; the page reruns only
when the user picks something: a click, or a dragged point let go. Everything ships here
(ui/components/), nothing comes from a CDN.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from gen_core.analysis.latent import decode
from gen_core.checkpoints import CheckpointInfo
from gen_core.images import png_bytes, to_pil
from gen_core.models import GenerativeModel
from ui.checkpoints import cached_model, version
from ui.latents import CLASS_COLOURS, ShownSet, encoded_test_set

HERE = Path(__file__).parent / "components"
CSS = (HERE / "explorer.css").read_text()
SPRITE_COLS = 32
GRID = 40  # decodes per side of the 2-D map's grid: 1,600 images, about 0.2 apart
MAP_HEIGHT = 520

_scrubber = st.components.v2.component(
    "gen_core.scrubber", css=CSS, js=(HERE / "scrubber.js").read_text()
)
_latent_map = st.components.v2.component(
    "gen_core.latent_map", css=CSS, js=(HERE / "latent_map.js").read_text()
)


def sprite(images: torch.Tensor) -> dict[str, Any]:
    """(N, 1, H, W) images in [0, 1] as one PNG data URL, ``cols`` to a row, no padding."""
    cols = min(SPRITE_COLS, len(images))
    picture = to_pil(images, nrow=cols, padding=0)
    url = "data:image/png;base64," + base64.b64encode(png_bytes(picture)).decode()
    return {"url": url, "cols": cols, "size": int(images.shape[-1])}


def grid_extent(coords: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the map's extent plus a 5% margin, where the grid is decoded."""
    lo, hi = coords.min(0), coords.max(0)
    pad = (hi - lo) * 0.05
    return (
        float(lo[0] - pad[0]),
        float(hi[0] + pad[0]),
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )


def grid_codes(extent: tuple[float, float, float, float], n: int = GRID) -> torch.Tensor:
    """The n x n codes of the grid, row by row from the top (largest y), left to right."""
    x0, x1, y0, y1 = extent
    xs, ys = torch.linspace(x0, x1, n), torch.linspace(y1, y0, n)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def grid_tiles(decoded: torch.Tensor, extent: tuple[float, float, float, float]) -> dict[str, Any]:
    """The map's tiles from the decoded ``grid_codes(extent)``: the cursor shows the nearest."""
    n = round(len(decoded) ** 0.5)
    x0, x1, y0, y1 = extent
    return {"mode": "grid", "n": n, "x0": x0, "x1": x1, "y0": y0, "y1": y1, **sprite(decoded)}


def point_tiles(decoded: torch.Tensor) -> dict[str, Any]:
    """One tile per map point (its decoded code): the cursor shows the nearest point's."""
    return {"mode": "points", **sprite(decoded)}


@st.cache_data(show_spinner="Decoding the map…", max_entries=16)
def _tiles(checkpoint: str, modified: float, dataset: str) -> dict[str, Any]:
    model = cached_model(checkpoint, modified)
    assert isinstance(model, GenerativeModel)
    latents = encoded_test_set(checkpoint, modified, dataset)
    if latents.shape[1] == 2:
        extent = grid_extent(latents)
        return grid_tiles(decode(model, grid_codes(extent)), extent)
    return point_tiles(decode(model, torch.from_numpy(latents)))


def map_tiles(info: CheckpointInfo, data: ShownSet) -> dict[str, Any]:
    """What the map decodes under the cursor: a dense grid over a 2-D latent space; above 2-D,
    where a projected map has no inverse, each test item decoded from its own code."""
    return _tiles(str(info.path), version(info.path), data.name)


def scrubber(walks: dict[str, torch.Tensor], per_leg: int, key: str) -> None:
    """Side-by-side frames of equally long walks, scrubbed or played in the browser."""
    count = {len(w) for w in walks.values()}
    assert len(count) == 1, "walks of one scrubber have as many frames"
    _scrubber(
        key=key,
        data={
            "key": key,
            "titles": list(walks),
            "sprites": [sprite(w) for w in walks.values()],
            "count": count.pop(),
            "perLeg": per_leg,
            "scale": 6,
        },
    )


def latent_map(
    coords: np.ndarray,
    data: ShownSet,
    key: str,
    tiles: dict[str, Any] | None,
    marks: Sequence[tuple[float, float, str]] = (),
    path: dict[str, Any] | None = None,
    on_click: Callable[[], None] | None = None,
    on_drag: Callable[[], None] | None = None,
) -> Any:
    """The map of ``coords`` (one per test item of ``data``), decoding under the cursor from
    ``tiles``; ``path`` ({points, method, frames}) is drawn with draggable points. A click calls
    ``on_click`` with ``st.session_state[key].clicked`` = {x, y, index or None} set; letting a
    dragged point go calls ``on_drag`` with ``.points`` set."""
    return _latent_map(
        key=key,
        data={
            "key": key,
            "noun": data.noun,
            "height": MAP_HEIGHT,
            "x": np.round(coords[:, 0], 4).tolist(),
            "y": np.round(coords[:, 1], 4).tolist(),
            "label": data.labels.astype(int).tolist(),
            "classes": list(data.classes),
            "colours": list(CLASS_COLOURS[: len(data.classes)]),
            "tiles": tiles,
            "marks": [{"x": float(x), "y": float(y), "label": label} for x, y, label in marks],
            "path": path,
        },
        on_clicked_change=on_click or (lambda: None),
        on_points_change=on_drag or (lambda: None),
    )
