"""D8 routing, exact flow accumulation and basin colours against brute force."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from planet.processes.lithosphere import drainage
from . import naive_lithosphere as naive
from .naive_lithosphere import one_thread  # noqa: F401 (autouse fixture)


@st.composite
def terrains(draw):
    """Small maps with many exact flats (integer heights) and a random sea level."""
    H = draw(st.integers(4, 9))
    W = 2 * H
    levels = draw(st.integers(1, 5))
    z = draw(arrays(np.int8, (H, W), elements=st.integers(0, levels))).astype(np.float32)
    if draw(st.booleans()):
        z += draw(arrays(np.float32, (H, W), elements=st.floats(0, 0.5, width=32)))
    level = np.float32(draw(st.sampled_from([-1.0, 0.5, 1.0, 1.5])))
    return z, level


@settings(max_examples=150, deadline=None)
@given(terrains())
def test_receivers_match_naive_d8(t):
    z, level = t
    rcv, rdir = drainage.receivers(z, level)
    want_rcv, want_dir = naive.receivers(z, level)
    np.testing.assert_array_equal(rcv, want_rcv)
    np.testing.assert_array_equal(rdir, want_dir)


@settings(max_examples=150, deadline=None)
@given(terrains())
def test_accumulation_equals_brute_force_count(t):
    z, level = t
    rcv, _ = drainage.receivers(z, level)
    area, order, fixed = drainage.accumulate(rcv)
    # loops are broken exactly where a brute-force walk finds them, at their largest index
    np.testing.assert_array_equal(fixed, naive.break_loops(rcv))
    np.testing.assert_array_equal(area, naive.accumulate(fixed))
    # the step's kernel on its preallocated buffers (uint8 donor counts) does the same
    step_rcv = rcv.ravel().copy()
    pending, step_area, step_order = np.empty(z.size, np.uint8), np.empty(z.size, np.int32), np.empty(z.size, np.int32)
    count = drainage._accumulate(step_rcv, pending, step_area, step_order)
    np.testing.assert_array_equal(step_rcv, fixed.ravel())
    np.testing.assert_array_equal(step_area, area.ravel())
    np.testing.assert_array_equal(step_order[:count], order)
    # weighted by per-cell values, the same traversal sums them (what the river statistics use)
    w = np.random.default_rng(z.size).random(z.shape)
    wsum, _, _ = drainage.accumulate(fixed, w, break_loops=False)
    np.testing.assert_allclose(wsum, naive.accumulate(fixed, w), rtol=1e-12)
    routed = rcv != drainage.NOT_ROUTED
    # every routed cell is in the topological order once, donors before receivers
    assert sorted(order.tolist()) == np.flatnonzero(routed).tolist()
    pos = np.empty(z.size, np.int64)
    pos[order] = np.arange(order.size)
    f = fixed.ravel()
    for c in order:
        r = f[c]
        if r >= 0 and f[r] != drainage.NOT_ROUTED:
            assert pos[c] < pos[r]
    # the outlets (pits and river mouths) drain every routed cell exactly once
    outlet = routed.ravel() & ((f < 0) | (f[np.maximum(f, 0)] == drainage.NOT_ROUTED))
    assert area.ravel()[outlet].sum() == routed.sum()
    assert (area[~routed] == 0).all()


def test_flat_loops_are_broken():
    """A flat plateau routes with zero descent; without loop breaking two cells point at each other."""
    z = np.arange(8 * 16, dtype=np.float32).reshape(8, 16) + 10.0   # everything drains north-west…
    z[3:5, 4:12] = 1.0   # …into a flat basin, whose cells have equal or higher neighbours only
    rcv, _ = drainage.receivers(z, np.float32(0.0))
    f = rcv.ravel()
    # (3,4) -> S (4,4) -> E (4,5) -> NW (3,4): ties go to the last equal neighbour
    a, b, c = (np.ravel_multi_index(p, z.shape) for p in ((3, 4), (4, 4), (4, 5)))
    assert (f[a], f[b], f[c]) == (b, c, a)
    area, order, fixed = drainage.accumulate(rcv)
    ff = fixed.ravel()
    for start in range(ff.size):   # every walk ends
        x, n = start, 0
        while ff[x] >= 0:
            x = ff[x]
            n += 1
            assert n <= ff.size
    assert fixed.ravel()[c] == drainage.PIT and (fixed.ravel()[[a, b]] == [b, c]).all()
    assert area.ravel()[c] >= 16 and len(order) == z.size   # the whole flat basin drains into the pit


def test_chain_drains_into_the_sea():
    """A single-row ramp: the area grows by one per cell down to the mouth."""
    H, W = 8, 16
    z = np.full((H, W), 50.0, np.float32)
    z[4, :] = np.arange(W, dtype=np.float32)      # descending westwards to column 0
    z[4, 0] = -1.0                                 # the sea
    rcv, _ = drainage.receivers(z, np.float32(0.0))
    area, _, fixed = drainage.accumulate(rcv)
    # row 4 carries its own cells plus everything that falls onto it from the ridges
    assert area[4, 0] == 0
    assert (np.diff(area[4, 1:]) < 0).all()
    assert area.sum() == naive.accumulate(fixed).sum()


@settings(max_examples=100, deadline=None)
@given(terrains(), st.integers(0, 2**31 - 1))
def test_basin_colours_come_from_the_river_mouth(t, seed):
    z, level = t
    rng = np.random.default_rng(seed)
    rcv, _ = drainage.receivers(z, level)
    _, order, fixed = drainage.accumulate(rcv)
    land = z >= level + 0.5
    b0 = rng.random(z.shape).astype(np.float32)
    got = drainage.basin_colours(fixed, order, land, b0)
    np.testing.assert_array_equal(got, naive.basin(fixed, land, b0))


def test_bad_input_messages():
    with pytest.raises(ValueError, match="elevation must be a"):
        drainage.receivers(np.zeros((4, 4), np.float32), 0.0)
    with pytest.raises(ValueError, match="receivers must be flat indices"):
        drainage.accumulate(np.full((4, 8), 99, np.int32))
    with pytest.raises(ValueError, match="weight must have the receivers' shape"):
        drainage.accumulate(np.full((4, 8), -1, np.int32), np.ones((4, 4)))
    loop = np.full((4, 8), -1, np.int32)
    loop[0, 0], loop[0, 1] = 1, 0
    with pytest.raises(ValueError, match="loop"):
        drainage.accumulate(loop, break_loops=False)
    assert drainage.accumulate(loop)[2][0, 1] == drainage.PIT      # broken at its largest index


class TiltedPlanes:
    """Planes tangent to the sphere at the cell of a ``128 × 256`` grid nearest latitude ``lat0``
    (longitude 180°): ``surface(θ)`` falls towards bearing θ (radians, from north), and ``error`` is
    the angle between θ and the great-circle bearing from that cell to its receiver, in degrees."""
    H, W = 128, 256

    def __init__(self, lat0):
        H, W = self.H, self.W
        self.lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
        self.lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)
        self.j0 = int(np.argmin(np.abs(np.degrees(self.lat) - lat0)))
        self.i0 = W // 2
        cl = np.cos(self.lat)[:, None]
        self.p = np.stack(np.broadcast_arrays(cl * np.cos(self.lon), cl * np.sin(self.lon),
                                              np.sin(self.lat)[:, None] * np.ones(W)), -1)
        self.east = np.array([-np.sin(self.lon[self.i0]), np.cos(self.lon[self.i0]), 0.0])
        self.north = np.cross(self.p[self.j0, self.i0], self.east)
        self.drop = 50.0 * np.pi / H                     # a plane's drop over one cell height

    def surface(self, theta):
        down = np.sin(theta) * self.east + np.cos(theta) * self.north       # the direction the plane falls
        return 100.0 - 50.0 * (self.p @ down)

    def error(self, z, theta):
        rcv, _ = drainage.receivers(np.asarray(z, np.float32), np.float32(0.0))
        jr, ir = divmod(int(rcv[self.j0, self.i0]), self.W)
        lat, lon, j0, i0 = self.lat, self.lon, self.j0, self.i0
        dl = lon[ir] - lon[i0]       # the initial great-circle bearing from the cell to its receiver
        b = np.arctan2(np.sin(dl) * np.cos(lat[jr]),
                       np.cos(lat[j0]) * np.sin(lat[jr]) - np.sin(lat[j0]) * np.cos(lat[jr]) * np.cos(dl))
        return abs((np.degrees(b - theta) + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize("lat0", [0.7, 30.0, 60.0, 75.0, 84.0])
def test_rivers_follow_the_slope_in_every_direction_at_every_latitude(lat0):
    """On a plane tilted towards bearing θ (tangent to the sphere at the cell), the receiver lies
    within 25° of θ for every θ: the eight neighbours are about 45° apart on the sphere at any
    latitude. Bearings are great-circle bearings from the cells' latitudes and longitudes.
    (With the adjacent columns as diagonals and descents per cell, the worst error measured
    28.6° / 49.4° / 69.4° / 80.1° at 30° / 60° / 75° / 84°.)"""
    planes = TiltedPlanes(lat0)
    worst = max(planes.error(planes.surface(theta), theta) for theta in np.radians(np.arange(0.0, 360.0, 5.0)))
    assert worst <= 25.0, worst


@pytest.mark.parametrize("lat0", [30.0, 60.0, 70.0, 87.0])
def test_roughness_between_cells_does_not_turn_rivers_east_west_near_a_pole(lat0):
    """A tilted plane plus a roughness per cell (standard deviation 0.4 of the plane's drop over one
    cell height): the receiver should lie within 67.5° of the fall line at 90 % of the draws or more,
    at any latitude. It does: 97 / 96 / 99 / 96 % at 30° / 60° / 70° / 87°. While east and west were
    the adjacent columns, ``dy cos φ`` away (1/19 of a cell height at 87°), the roughness along the
    rows decided more often than the slope beyond 48° (83 % at 70°, 63 % at 87°), and near the poles
    rivers ran along the rows, circles around the pole on the globe. Beyond 48° the adjacent columns
    are now a last resort (``metrics.router_offsets``)."""
    planes = TiltedPlanes(lat0)
    rng = np.random.default_rng(7)
    errors = []
    for theta in np.radians(np.arange(0.0, 360.0, 15.0)):
        plane = planes.surface(theta)
        for _ in range(8):
            errors.append(planes.error(plane + 0.4 * planes.drop * rng.standard_normal(plane.shape), theta))
    share = np.mean(np.array(errors) <= 67.5)
    assert share >= 0.9, share
