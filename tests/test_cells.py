"""The trigonometry-free cell lookup of the rigid plates (planet/processes/lithosphere/cells.py)
against the definition it replaces: row ⌊(π/2 − asin y) H/π⌋, column ⌊atan2(x, z) W/2π⌋."""
import numpy as np
import pytest
from numba import njit

from planet.processes.lithosphere.cells import cell_of, cell_tables


@njit(cache=False)
def _lookup(v, tables, out):
    for n in range(v.shape[0]):
        out[n, 0], out[n, 1] = cell_of(v[n, 0], v[n, 1], v[n, 2], tables[0], tables[1], tables[2], tables[3])


def _by_trigonometry(v, H, W):
    row = np.clip(np.floor((np.pi / 2 - np.arcsin(np.clip(v[:, 1], -1, 1))) * H / np.pi), 0, H - 1)
    lon = np.mod(np.arctan2(v[:, 0], v[:, 2]), 2 * np.pi)
    col = np.floor(lon * W / (2 * np.pi)) % W
    return np.stack([row, col], axis=1).astype(np.int64)


@pytest.mark.parametrize("H, W", [(64, 128), (128, 256), (256, 512), (37, 80), (1024, 2048)])
def test_cell_of_agrees_with_asin_atan2(H, W):
    rng = np.random.default_rng(H)
    v = rng.normal(size=(200_000, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    # the poles, the axes and points a hair off cell edges (rows and columns)
    lat = np.pi / 2 - np.pi * (np.arange(H + 1) / H + 1e-9)
    lon = 2 * np.pi * (np.arange(W) / W + 1e-9)
    la, lo = np.meshgrid(lat, lon[:: max(W // 64, 1)], indexing="ij")
    edges = np.stack([np.cos(la) * np.sin(lo), np.sin(la), np.cos(la) * np.cos(lo)], axis=-1).reshape(-1, 3)
    v = np.vstack([v, edges])
    out = np.empty((len(v), 2), np.int64)
    _lookup(v, cell_tables(H, W), out)
    want = _by_trigonometry(v, H, W)
    assert np.array_equal(out, want), f"{(out != want).any(1).sum()} of {len(v)} points in another cell"


@pytest.mark.parametrize("H, W", [(64, 128), (37, 80)])
def test_cell_of_on_the_axes(H, W):
    """The poles and the four equator points on the axes, cells worked out by hand (atan2 itself
    rounds 3π/2 to a hair below the edge of column 3W/4)."""
    special = np.array([[0, 1, 0], [0, -1, 0], [0, 0, 1], [1, 0, 0], [0, 0, -1], [-1, 0, 0.0]])
    out = np.empty((6, 2), np.int64)
    _lookup(special, cell_tables(H, W), out)
    e = H // 2
    assert out.tolist() == [[0, 0], [H - 1, 0], [e, 0], [e, W // 4], [e, W // 2], [e, 3 * W // 4]]


def test_cell_of_never_indexes_out_of_range():
    H, W = 32, 64
    v = np.array([[np.nan, 0.5, 0.5], [0.0, np.nan, 1.0], [0.0, 0.0, 0.0], [2.0, 5.0, -3.0], [0, -7.0, 0]])
    out = np.empty((len(v), 2), np.int64)
    _lookup(v, cell_tables(H, W), out)
    assert ((out[:, 0] >= 0) & (out[:, 0] < H) & (out[:, 1] >= 0) & (out[:, 1] < W)).all()
