"""Rule 2 from the markers' landing lists (``arrivals``) is rule 2 from the scan, bit for bit."""
import math

import numpy as np
import pytest
from numba import njit

import planet
from planet.processes.lithosphere import arrivals, drift, motion
from .test_upstream import _cell, marked, offsets


def _geology(columns, until, lists, monkeypatch):
    monkeypatch.setattr(motion, "RULE2_LISTS", lists)
    return planet.Planet(columns, seed=3, stages=("lithosphere",)).run(until=until)


def _same(a, b):
    return {name: a[name].tobytes() == b[name].tobytes() for name in a.names}


@pytest.mark.parametrize("columns, until", [(128, 45.0), (256, 40.0)])
def test_listed_arrivals_give_the_scans_markers(columns, until, monkeypatch):
    # hundreds of plate moves (every 16 steps from 15 s), each cell's marker from the lists or the scan
    listed = _geology(columns, until, True, monkeypatch)
    scanned = _geology(columns, until, False, monkeypatch)
    same = _same(listed, scanned)
    assert all(same.values()), [k for k, v in same.items() if not v]
    assert np.abs(listed["drift_east"]).max() > 0.5      # the markers did travel between cells


@pytest.mark.slow
@pytest.mark.parametrize("columns", [512, 1024])
def test_listed_arrivals_give_the_scans_markers_on_fine_grids(columns, monkeypatch):
    listed = _geology(columns, 32.0, True, monkeypatch)
    scanned = _geology(columns, 32.0, False, monkeypatch)
    same = _same(listed, scanned)
    assert all(same.values()), [k for k, v in same.items() if not v]


def test_a_listed_marker_lands_where_the_rotation_brings_it():
    # one plate turning about the north pole by ω: every marker moves east by ω cos φ / w_j = ω W / 2π
    # columns (0.3 here) and not north, so it lands at column i + u + 0.3 and row j − v: exactly so where
    # the first guess is the landing (``arrivals.first_guess``); elsewhere the landing places it in the
    # tangent plane of the cell it lands in (i + 1 here), which is off the sphere's own rows and columns by
    # second order: at most a quarter of h tan φ cells for these offsets (0.45 cells west of that cell's
    # centre, 0.125 north), and near the equator the offsets' own second order, (0.45 w)² cells
    H, W = 256, 512
    q0 = np.full((H, W), 0.5, np.float32)
    u0 = np.full(H * W, 0.25, np.float32)
    v0 = np.full(H * W, -0.125, np.float32)
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)
    wrow = 2 * np.pi * np.cos(lat) / W
    trig = (np.cos(lat), np.sin(lat), np.cos(lon), np.sin(lon))
    marks = np.empty((3, H * W))
    drift.positions(q0, u0, v0, *trig, wrow, np.pi / H, marks, np.empty((H, 2)))
    omega = np.array([0.3 * 2 * np.pi / W])           # 0.3 of an equatorial cell a step
    land = np.empty((2, H * W), np.float32)
    arrivals.landing(q0, u0, v0, marks, np.array([0.5], np.float32), np.array([[0.0, 1.0, 0.0]]), omega, *trig, wrow,
                     np.pi / H, 1, land)
    jj, ii = np.mgrid[0:H, 0:W]
    error = np.maximum(np.abs(land[0].reshape(H, W) - (jj + 0.125)), np.abs(land[1].reshape(H, W) - (ii + 0.55)))
    tilt = (np.pi / H * np.abs(np.tan(lat)))[:, None]
    first = np.array([arrivals.first_guess(c, s, np.pi / H, 1) for c, s in zip(*trig[:2])])
    assert 0.1 < first.mean() < 0.9                        # (both placements are tested)
    rounding = W * 2.0 ** -23                               # (the landings are float32)
    assert error[first].max() < rounding
    second = error[~first]
    assert (second <= 0.25 * tilt[~first] + (0.45 * 2 * np.pi / W) ** 2 + rounding).all()
    assert (second / tilt[~first]).max() > 0.1             # (the second order is there: the bound is not loose)


@njit(cache=False)
def _rule2_both(qk, k, q0, marks, land, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows,
                out):
    """For every cell of the rows that take rule 2 from lists (``arrivals.simple``; -2 elsewhere): rule 2
    over the whole window (``drift._scan``) and from the lists (``drift.listed``, as ``drift.carry`` takes it),
    ``out[j, i] = (cell, u, v, cell, u, v)``."""
    H, W = q0.shape
    out[...] = -2.0
    slots = np.empty((W, arrivals.LISTED), np.int32)
    count = np.empty(W, np.int64)
    for j in range(H):
        m = reach_rows[j]
        if not arrivals.simple(j, H, W, rows, m, coslat):
            continue
        arrivals.fill(j, rows, m, land, W, slots, count)
        for i in range(m, W - m):
            if count[i] < 0:
                continue
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = _cell(k, j, i, poles, omega, coslat, sinlat,
                                                                          coslon, sinlon, wrow, h)
            a, ua, va, _, _, _ = drift._scan(True, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz,
                                             wj, h, fu, fv, m, rows)
            b, ub, vb = drift.listed(qk, i, q0.ravel(), marks, slots, count, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny,
                                     nz, wj, h, fu, fv)
            out[j, i, 0], out[j, i, 1], out[j, i, 2] = a, ua, va
            out[j, i, 3], out[j, i, 4], out[j, i, 5] = b, ub, vb


@pytest.mark.parametrize("seed, H, cells, far", [(0, 256, 1.0, 76), (1, 512, 1.0, 76), (2, 512, 3.0, 76),
                                                 (3, 1024, 2.0, 76), (4, 1024, 1.9, 76), (5, 1024, 3.0, 76),
                                                 (20, 256, 6.0, 60), (21, 128, 4.0, 20), (22, 512, 8.0, 60)])
def test_the_lists_hold_the_scans_marker_up_to_their_latitude(seed, H, cells, far):
    """Random offsets within the bounds (a tenth at them) on a plate turning ``cells`` cell heights a
    move about a random pole: on every row that takes rule 2 from its lists (to ``arrivals.min_cos``,
    at least ``far`` degrees: 82–88° on these grids for moves of up to 3 cells, less for longer
    moves) the listed marker is the scan's, bit
    for bit. (With the first guess wherever the second placement is not needed by latitude alone,
    beyond 60°, the long moves here missed the scan's marker in 357–5670 cells, down to 1–14° from the
    equator.)"""
    W = 2 * H
    rng = np.random.default_rng(seed)
    q0 = np.full((H, W), 3.0, np.float32)
    u0, v0 = offsets(rng, H * W)
    pole = rng.normal(size=3)
    poles = np.array([pole / np.linalg.norm(pole)])
    omega = np.array([cells * (math.pi / H)])
    marks, _, trig, width, h, reach_rows, rows = marked(q0, u0, v0, omega)
    land = np.empty((2, H * W), np.float32)
    arrivals.landing(q0, u0, v0, marks, np.array([3.0], np.float32), poles, omega, *trig, width, h, rows, land)
    out = np.empty((H, W, 6))
    _rule2_both(3.0, 0, q0, marks, land, poles, omega, *trig, width, h, reach_rows, rows, out)
    listed = out[..., 0] > -2
    lat = np.degrees(np.arccos(np.clip(trig[0], 0, 1)))
    # the lists reach as far as ``min_cos`` allows
    reach = np.degrees(np.arccos(arrivals.min_cos(H, rows)))
    assert reach > far
    assert lat[listed.any(axis=1)].max() > reach - 2 * 180.0 / H
    assert np.array_equal(out[listed][:, :3], out[listed][:, 3:])
    assert (out[listed][:, 0] >= 0).mean() > 0.5                                      # markers were found
