"""Rule 2 from the markers' landing lists (``arrivals``) is rule 2 from the scan, bit for bit."""
import numpy as np
import pytest

import planet
from planet.processes.lithosphere import arrivals, motion


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
    # columns (0.3 here) and not north, so it lands at column i + u + 0.3 and row j − v
    H, W = 16, 32
    q0 = np.full((H, W), 0.5, np.float32)
    u0 = np.full(H * W, 0.25, np.float32)
    v0 = np.full(H * W, -0.125, np.float32)
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)
    wrow = 2 * np.pi * np.cos(lat) / W
    omega = np.array([0.3 * 2 * np.pi / W])           # 0.3 of an equatorial cell a step
    land = np.empty((2, H * W))
    arrivals.landing(q0, u0, v0, np.array([0.5], np.float32), np.array([[0.0, 1.0, 0.0]]), omega, np.cos(lat),
                     np.sin(lat), np.cos(lon), np.sin(lon), wrow, np.pi / H, land)
    rows = land[0].reshape(H, W)
    cols = land[1].reshape(H, W)
    jj, ii = np.mgrid[0:H, 0:W]
    np.testing.assert_allclose(rows, jj + 0.125, atol=1e-12)
    np.testing.assert_allclose(cols, ii + 0.25 + 0.3, atol=1e-9)
