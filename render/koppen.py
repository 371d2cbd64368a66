"""The ``koppen`` view: Köppen–Geiger classes in their conventional colours, with a legend.

    classes = planet.koppen(world)
    rgb = planet.render.koppen_view(classes, world.state, size=(1024, 512))

The classes are not a function of one state (they need a year of climate, see
``planet.analysis.koppen``), so this view is not one of the per-cell kernels of
the two backends: it is drawn once in Python (NumPy) from the class map, the
same for ``backend="cpu"`` and ``"gpu"`` (the pixels cannot differ). Land cells
take their class colour (``planet.analysis.koppen.COLOURS``: Peel et al. 2007 /
Beck et al. 2018), dimmed by the hill shading of the satellite view when a
state is given; the sea is dark blue. Pixels sample the cell they fall in
(nearest: classes are categories, not numbers). The legend below the map
lists the classes present, with their share of the land area.
"""
from __future__ import annotations

import numpy as np

SEA = (20, 40, 80)
LEGEND_ROW = 18


def _cell_colours(codes: np.ndarray, state=None) -> np.ndarray:
    from planet.analysis.koppen import COLOURS

    H, W = codes.shape
    rgb = np.empty((H, W, 3), np.float32)
    rgb[:] = SEA
    for code, colour in COLOURS.items():
        rgb[codes == code] = colour
    if state is not None and "elevation" in state:
        from planet.core.timeline import Timeline

        D = Timeline(state.config.schedule).sea_level(state.time)
        z = np.maximum(state["elevation"], D)
        k = 0.25 * W / 512.0
        dx = (np.roll(z, -1, 1) - np.roll(z, 1, 1)) * k
        dy = np.zeros_like(z)
        dy[1:-1] = (z[:-2] - z[2:]) * k
        shade = np.maximum(0.5 * dx - 0.5 * dy + 0.70710678, 0) / (np.sqrt(1 + dx * dx + dy * dy) * 0.70710678)
        land = codes != ""
        rgb[land] *= np.clip(0.6 + 0.4 * shade[land], 0.0, 1.2)[:, None]
    return np.clip(rgb, 0, 255)


def koppen_view(classes, state=None, size=(1024, 512), *, legend: bool = True, lon: float = 180.0,
                backend: str = "auto") -> np.ndarray:
    """RGB uint8 ``(height, width, 3)`` map of the classes (``lon`` at the centre; the legend, when
    asked, takes the bottom rows of the picture). ``backend`` is accepted for symmetry with
    ``planet.render.view`` and does not change the picture."""
    from planet.analysis.koppen import GROUPS, group_shares
    from planet.render import check_size

    w, h = check_size(size)
    codes = np.asarray(getattr(classes, "values", classes)).astype("<U3")
    if codes.ndim != 2 or codes.shape[1] != 2 * codes.shape[0]:
        raise ValueError(f"classes must be a (rows, 2·rows) map of class codes, got shape {codes.shape}")
    H, W = codes.shape
    cells = _cell_colours(codes, state)
    present = [c for c in dict.fromkeys(codes[codes != ""].ravel().tolist())]
    from planet.analysis.koppen import CLASSES

    present = [c for c in CLASSES if c in set(present)]
    rows_legend = 0
    if legend and present:
        per_row = max(1, w // 96)
        rows_legend = (-(-len(present) // per_row) + 1) * LEGEND_ROW
        rows_legend = min(rows_legend, h // 2)
    mh = h - rows_legend
    x = (np.arange(w) + 0.5) / w * 360.0 + (lon - 180.0)
    cols = np.floor((x % 360.0) / 360.0 * W).astype(np.int64) % W
    y = (np.arange(mh) + 0.5) / mh * H
    rows = np.clip(np.floor(y).astype(np.int64), 0, H - 1)
    out = np.zeros((h, w, 3), np.uint8)
    out[:mh] = cells[rows[:, None], cols[None, :]].astype(np.uint8)
    if rows_legend:
        from PIL import Image, ImageDraw

        from planet.analysis.koppen import COLOURS

        img = Image.fromarray(out)
        d = ImageDraw.Draw(img)
        d.rectangle([0, mh, w, h], fill=(255, 255, 255))
        shares = group_shares(codes)
        d.text((4, mh + 3), "Koppen-Geiger  " + "  ".join(f"{g} {100 * shares[g]:.1f}%" for g in GROUPS),
               fill=(0, 0, 0))
        per_row = max(1, w // 96)
        for k, code in enumerate(present):
            r, c = divmod(k, per_row)
            x0, y0 = 4 + c * 96, mh + LEGEND_ROW * (r + 1) + 2
            if y0 + 12 > h:
                break
            d.rectangle([x0, y0, x0 + 14, y0 + 12], fill=COLOURS[code], outline=(0, 0, 0))
            d.text((x0 + 20, y0 + 1), code, fill=(0, 0, 0))
        out = np.asarray(img)
    return out
