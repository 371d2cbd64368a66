"""Quick preview images of the geology (elevation, plates, river basins) as PNGs, north up.

These are simple NumPy colourings at the simulation's own resolution, for seeing a world
while it runs; the full renderer (``planet.render``) draws the film's views.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .files import atomic_write
from .state import State
from .timeline import Timeline

PREVIEWS = ("elevation", "plates", "basins")


def _shade(elevation: np.ndarray) -> np.ndarray:
    """Hill shading in [0.55, 1.15] from the elevation gradient, light from the north-west."""
    dzdx = (np.roll(elevation, -1, axis=1) - np.roll(elevation, 1, axis=1)) * 0.5
    north = np.vstack([elevation[:1], elevation[:-1]])
    south = np.vstack([elevation[1:], elevation[-1:]])
    dzdy = (north - south) * 0.5
    return np.clip(0.85 + 0.25 * (dzdy - dzdx), 0.55, 1.15)


def _hsv_to_rgb(h, s, v):
    i = np.floor(h * 6.0).astype(int) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = np.zeros(h.shape + (3,))
    for k, (r, g, b) in enumerate(choices):
        m = i == k
        rgb[m, 0], rgb[m, 1], rgb[m, 2] = np.broadcast_to(r, h.shape)[m], np.broadcast_to(g, h.shape)[m], np.broadcast_to(b, h.shape)[m]
    return rgb


def _relief(state: State, sea_level: float) -> np.ndarray:
    """Ocean blues by depth, land greens-browns-whites by height, hill-shaded. (H, W, 3) in [0, 1]."""
    z = state.elevation.astype(np.float64)
    ocean = z < sea_level
    depth = np.clip(z / max(sea_level, 1e-6), 0, 1)[..., None]
    deep, shallow = np.array([0.02, 0.05, 0.20]), np.array([0.15, 0.38, 0.62])
    sea = deep + (shallow - deep) * depth
    h = np.clip((z - sea_level) / max(15.0 - sea_level, 4.0), 0, 1)[..., None]
    stops = np.array([[0.20, 0.45, 0.20], [0.55, 0.50, 0.30], [0.45, 0.38, 0.32], [0.95, 0.95, 0.95]])
    x = h * (len(stops) - 1)
    k = np.clip(np.floor(x).astype(int), 0, len(stops) - 2)
    t = x - k
    land = stops[k[..., 0]] * (1 - t) + stops[k[..., 0] + 1] * t
    land = land * _shade(z)[..., None]
    return np.where(ocean[..., None], sea, land)


def preview(state: State, kind: str = "elevation") -> np.ndarray:
    """An RGB uint8 ``(rows, columns, 3)`` preview: ``elevation``, ``plates`` or ``basins``."""
    if kind not in PREVIEWS:
        raise ValueError(f"preview kind must be one of {', '.join(PREVIEWS)}, got {kind!r}")
    D = Timeline(state.config.schedule).sea_level(state.time)
    rgb = _relief(state, D)
    if kind == "plates":
        q = state.plate.astype(np.float64)
        hue = _hsv_to_rgb(np.mod(q, 1.0), np.full(q.shape, 0.55), np.ones(q.shape))
        hue[q < 0] = 1.0
        lum = rgb.mean(axis=-1, keepdims=True)
        rgb = hue * (0.35 + 0.75 * lum) + 0.3 * state.uplift[..., None]
    elif kind == "basins":
        b = state.basin.astype(np.float64)
        hue = _hsv_to_rgb(np.mod(b, 1.0), np.full(b.shape, 0.8), np.ones(b.shape))
        a = state.drainage_area.astype(np.float64)
        alpha = np.clip(0.15 * np.log(np.maximum(a, 1.0)), 0, 1)[..., None]
        grey = rgb.mean(axis=-1, keepdims=True) * np.ones(3) * 0.8
        land = state.elevation >= D
        base = np.where(land[..., None], grey, rgb)
        rgb = np.where(land[..., None], base * (1 - alpha) + hue * alpha, base)
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def write_png(rgb: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an RGB array as PNG atomically (temporary file, then rename)."""
    return atomic_write(path, lambda tmp: Image.fromarray(rgb).save(tmp, format="PNG"))


def write_previews(state: State, folder: str | os.PathLike, prefix: str = "") -> list[Path]:
    """Write ``{prefix}elevation.png``, ``plates.png``, ``basins.png`` into ``folder``."""
    folder = Path(folder)
    return [write_png(preview(state, kind), folder / f"{prefix}{kind}.png") for kind in PREVIEWS]


def png_bytes(state: State, kind: str = "elevation") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(preview(state, kind)).save(buf, format="PNG")
    return buf.getvalue()
