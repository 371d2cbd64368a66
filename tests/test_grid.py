import math

import numpy as np
import pytest
from numba import njit

from planet.core.grid import D8_DI, D8_DJ, Grid, neighbour, validate_resolution


def test_cell_centres_and_orientation():
    g = Grid.from_resolution(256)
    assert g.shape == (128, 256)
    assert g.lat[0] == pytest.approx(90 - 180 * 0.5 / 128)  # row 0 is northernmost
    assert np.all(np.diff(g.lat) < 0)
    assert g.lon[0] == pytest.approx(360 * 0.5 / 256) and np.all(np.diff(g.lon) > 0)
    P = g.positions()
    assert np.allclose(np.linalg.norm(P, axis=-1), 1.0)
    assert P[0, 0, 1] > 0.99  # the top row is near the north pole (y up)


def test_cell_areas_sum_to_sphere_and_follow_cos_lat():
    g = Grid.from_resolution(512)
    total = float(np.broadcast_to(g.area, g.shape).sum())
    assert total == pytest.approx(4 * math.pi, rel=1e-12)
    # away from the poles an area is ~ cos(lat) dlat dlon
    dl = math.radians(180 / g.rows) * math.radians(360 / g.columns)
    j = g.rows // 3
    assert g.area[j, 0] == pytest.approx(math.cos(math.radians(g.lat[j])) * dl, rel=1e-4)
    assert g.area_weights.sum() == pytest.approx(1.0)


@njit(cache=True)
def _all_neighbours(H, W):
    out = np.empty((H, W, 8, 2), dtype=np.int64)
    for j in range(H):
        for i in range(W):
            for k in range(8):
                jj, ii = neighbour(j, i, D8_DJ[k], D8_DI[k], H, W)
                out[j, i, k, 0] = jj
                out[j, i, k, 1] = ii
    return out


def test_neighbours_wrap_and_reflect_without_seam():
    H, W = 64, 128
    nb = _all_neighbours(H, W)
    # longitude wrap: east of the last column is column 0
    assert tuple(nb[10, W - 1, 2]) == (10, 0)
    assert tuple(nb[10, 0, 6]) == (10, W - 1)
    # polar reflection: north of row 0 is row 0 on the opposite meridian
    assert tuple(nb[0, 5, 0]) == (0, 5 + W // 2)
    assert tuple(nb[H - 1, 100, 4]) == (H - 1, (100 + W // 2) % W)
    # the rule is symmetric: B is a 4-neighbour of A iff A is one of B
    for j in (0, 1, H - 2, H - 1):
        for i in range(W):
            for k in (0, 2, 4, 6):
                jj, ii = nb[j, i, k]
                back = {tuple(nb[jj, ii, m]) for m in (0, 2, 4, 6)}
                assert (j, i) in back
    # every cell has 8 neighbours, none of them itself
    assert not np.any((nb[..., 0] == np.arange(H)[:, None, None]) & (nb[..., 1] == np.arange(W)[None, :, None]))


@pytest.mark.parametrize("bad,msg", [(255, "even"), (64, "at least 128"), (200, "multiple of 32"),
                                     (32768, "at most"), ("512", "integer"), (512.5, "integer")])
def test_bad_resolutions(bad, msg):
    with pytest.raises(ValueError, match=msg):
        validate_resolution(bad)
