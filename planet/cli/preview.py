"""Quick preview images of the geology (elevation with sea level, plates, river basins) as PNGs.

A preview is the renderer's view (``planet.render``, CPU backend) at the simulation's own
resolution, north up: ``elevation`` is the satellite view, ``plates`` and ``basins`` the plates
and rivers views.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from planet.core.files import atomic_write
from planet.core.state import State

#: preview name → the renderer's view
PREVIEWS = {"elevation": "satellite", "plates": "plates", "basins": "rivers"}


def preview(state: State, kind: str = "elevation") -> np.ndarray:
    """An RGB uint8 ``(rows, columns, 3)`` preview: ``elevation``, ``plates`` or ``basins``."""
    if kind not in PREVIEWS:
        raise ValueError(f"preview kind must be one of {', '.join(PREVIEWS)}, got {kind!r}")
    from planet.render import view

    return view(state, PREVIEWS[kind], size=(state.columns, state.rows), backend="cpu")


def write_png(rgb: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an RGB array as PNG atomically (temporary file, then rename)."""
    return atomic_write(path, lambda tmp: Image.fromarray(rgb).save(tmp, format="PNG"))


def write_previews(state: State, folder: str | os.PathLike, prefix: str = "") -> list[Path]:
    """Write ``{prefix}elevation.png``, ``plates.png``, ``basins.png`` into ``folder``."""
    folder = Path(folder)
    return [write_png(preview(state, kind), folder / f"{prefix}{kind}.png") for kind in PREVIEWS]
