"""Writing a file so that no reader ever sees half of it: write beside it, then rename."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary name in the same folder, then move it onto ``path``
    (``os.replace`` is atomic on one filesystem); the temporary file never outlives the call."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
