"""The same world at any resolution, Earth-like land, no grid artefacts (issue 11's targets).

All of these run whole geologies (lithosphere only) to tectonics end, so they are slow."""
import functools

import numpy as np
import pytest

import planet
from planet.analysis import stats as S


def coarse_land(state, columns=128):
    """The land mask on a 128 x 64 grid: a coarse cell is land when most of its fine cells are."""
    D = planet.Timeline(state.config.schedule).sea_level(state.time)
    land = (state.elevation >= D).astype(np.float64)
    H, W = land.shape
    f = W // columns
    return land.reshape(H // f, f, columns, f).mean(axis=(1, 3)) >= 0.5


def _run_cells(lines, run):
    """Cells of ``lines`` (a 2-D boolean array, one line per row) lying in runs of >= ``run``."""
    total = 0
    for line in lines:
        padded = np.concatenate([[False], line, [False]]).astype(np.int8)
        d = np.diff(padded)
        lengths = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
        total += int(lengths[lengths >= run].sum())
    return total


def straight_coast_share(land, run=8):
    """Share of coastline edges lying in straight axis-aligned runs of at least ``run`` cells, counted
    in grid cells (issue 11's definition): edges between east-west neighbours run along columns,
    edges between rows along rows. On the sphere this counts the map projection too: at latitude φ
    a row of ``n`` cells is only ``n cos φ`` cell heights long, so any smooth coast near a pole
    (a thresholded noise field on the sphere included) scores high; see
    :func:`straight_coast_share_on_sphere`."""
    east = land != np.roll(land, -1, axis=1)          # edge east of (j, i); a line is a column
    south = land[:-1] != land[1:]                     # edge south of (j, i); a line is a row
    edges = int(east.sum() + south.sum())
    return (_run_cells(east.T, run) + _run_cells(south, run)) / max(edges, 1)


def _run_lengths(line, run, seg):
    """Summed length of the runs of ``line`` (boolean) whose length ``count * seg`` is at least ``run``."""
    padded = np.concatenate([[False], line, [False]]).astype(np.int8)
    d = np.diff(padded)
    lengths = (np.flatnonzero(d == -1) - np.flatnonzero(d == 1)) * seg
    return float(lengths[lengths >= run - 1e-9].sum())


def straight_coast_share_on_sphere(land, run=8):
    """The straight-coast share with lengths measured on the sphere: a coast edge between two rows
    at latitude φ is ``cos φ`` cell heights long (an edge between columns is one), the share is by
    length, and a run is straight when it is at least ``run`` cell heights long. On the equator it
    is :func:`straight_coast_share`; near the poles a row of cells is no longer mistaken for a
    long straight coast (a circle of latitude still counts as straight, so the measure errs on
    the strict side there)."""
    H = land.shape[0]
    east = land != np.roll(land, -1, axis=1)
    south = land[:-1] != land[1:]
    c = np.cos(np.radians(90.0 - 180.0 * np.arange(1, H) / H))   # latitude of each row boundary
    straight = sum(_run_lengths(col, run, 1.0) for col in east.T)
    straight += sum(_run_lengths(south[j], run, c[j]) for j in range(H - 1))
    total = float(east.sum() + (south * c[:, None]).sum())
    return straight / max(total, 1e-300)


def rotations(count, seed=1):
    """``count`` random proper rotations (3 x 3), uniform on SO(3) (QR of Gaussian matrices)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        q, r = np.linalg.qr(rng.normal(size=(3, 3)))
        q = q * np.sign(np.diag(r))
        out.append(q if np.linalg.det(q) > 0 else -q)
    return out


def rotated_field(field, rotation):
    """``field`` (cell centres of an equirectangular grid, north up) resampled bilinearly at the
    cell centres of the same grid turned by ``rotation``: cell ``p`` of the new grid reads the
    field at ``rotation.T @ p``. The identity gives the field back (exactly, up to rounding)."""
    H, W = field.shape
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)[:, None]
    lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)[None, :]
    p = np.stack(np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)), -1)
    q = p @ rotation
    y = (90.0 - np.degrees(np.arcsin(np.clip(q[..., 2], -1.0, 1.0)))) * H / 180.0 - 0.5
    x = np.degrees(np.arctan2(q[..., 1], q[..., 0]) % (2 * np.pi)) * W / 360.0 - 0.5
    y0 = np.clip(np.floor(y).astype(np.int64), 0, H - 2)
    fy = np.clip(y - y0, 0.0, 1.0)
    x0 = np.floor(x).astype(np.int64)
    fx = x - x0
    x0 %= W
    x1 = (x0 + 1) % W
    f = np.asarray(field, np.float64)
    return ((1 - fy) * ((1 - fx) * f[y0, x0] + fx * f[y0, x1])
            + fy * ((1 - fx) * f[y0 + 1, x0] + fx * f[y0 + 1, x1]))


def grid_alignment(elevation, level, count=16):
    """The straight-coast share on the sphere of ``elevation >= level`` on the model's own grid, and
    the same share on ``count`` randomly turned grids of the same size (the field resampled). A
    coast that is merely smooth and long scores on every grid; one that follows the model's rows
    and columns scores on its own grid only."""
    own = straight_coast_share_on_sphere(np.asarray(elevation) >= level)
    turned = [straight_coast_share_on_sphere(rotated_field(elevation, r) >= level) for r in rotations(count)]
    return own, np.array(turned)


@functools.lru_cache(maxsize=None)
def geology(columns, seed, until):
    """A geology-only world (cached: the slow tests share them; tests never modify a state)."""
    return planet.Planet(columns, seed=seed, stages=("lithosphere",)).run(until=until)


def summary(state):
    st = S.compute(state, ["terrain.land_fraction", "terrain.hypsometric_integral", "plates.count"])
    return {k: v.value for k, v in st.items()}


def test_straight_coast_share_measures_straight_runs():
    land = np.zeros((64, 128), bool)
    land[10:40, 20:90] = True                                  # a rectangle: every edge is straight
    assert straight_coast_share(land) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    noisy = rng.random((64, 128)) < 0.5                        # salt and pepper: runs of 8 are rare
    assert straight_coast_share(noisy) < 0.06                  # (measured 0.042: (1/2)^8 per run start)
    jj, ii = np.mgrid[0:64, 0:128]
    disc = (jj - 32) ** 2 + (ii - 64) ** 2 < 20 ** 2            # a round coast: only its flat sides are runs
    assert 0.05 < straight_coast_share(disc) < 0.5


def test_straight_coast_share_on_sphere_is_the_grid_share_on_the_equator_and_shorter_near_the_poles():
    land = np.zeros((64, 128), bool)
    land[28:36, 40:90] = True                                  # a bar across the equator
    grid_share = straight_coast_share(land)
    assert straight_coast_share_on_sphere(land) == pytest.approx(grid_share, abs=0.01)  # cos φ ≈ 1 there
    cap = np.zeros((64, 128), bool)
    cap[:3] = True                                             # a polar cap: one row boundary at 84.4°
    cap[3, 10:16] = True                                       # with a bump of 6 columns (0.6 cell heights)
    assert straight_coast_share(cap) > 0.9                     # in grid cells: one long straight run
    # on the sphere: the 6-column bump's edges are 6 cos(84.4°) + 2 + ... long, none a straight run;
    # the latitude circle's run east of the bump (112 cells x cos 84.4° = 11 cell heights) still counts
    # (the strict side), the 10 cells west of it (1 cell height) do not
    c3, c4 = np.cos(np.radians(90 - 180 * 3 / 64)), np.cos(np.radians(90 - 180 * 4 / 64))
    total = 122 * c3 + 6 * c4 + 2
    assert straight_coast_share_on_sphere(cap) == pytest.approx(112 * c3 / total, rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("until", ["tectonics_end", "story_end"])
def test_same_world_at_128_256_512(until):
    # seed 0 measures at tectonics end land 0.363 / 0.353 / 0.370, hypsometric integral 0.300 / 0.287 /
    # 0.298, IoU 0.84 / 0.92 / 0.83 (128/256, 256/512, 128/512), plates 6 / 6 / 6; at story end land
    # 0.381 / 0.374 / 0.402, hypsometric integral 0.281 / 0.300 / 0.263, IoU 0.85 / 0.93 / 0.84, plates
    # 8 / 8 / 8 (with the adjacent columns as east and west beyond 48°, hypsometric integral 0.295 / 0.268 /
    # 0.285 and 0.280 / 0.280 / 0.255, without stream power's least area 0.217 / 0.200 / 0.159 at story end,
    # 128 and 512 columns 0.058 apart; with stream power A^0.8 S^2: land 0.365 / 0.353 / 0.369 and 0.375 / 0.371 / 0.399; before the crust's volume was conserved both ways, 128 columns read land 0.377 and
    # hypsometric integral 0.355 at tectonics end, 0.390 and 0.341 at story end). With the flexure reduced to Airy on 128 columns (no floor of one cell on the kernel)
    # the story ended at land 0.349 there, 0.050 below 512, and this test failed
    states = {c: geology(c, 0, until) for c in (128, 256, 512)}
    masks = {c: coarse_land(s) for c, s in states.items()}
    stats = {c: summary(s) for c, s in states.items()}
    for a, b in ((128, 256), (256, 512), (128, 512)):
        iou = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
        assert iou >= 0.7, (a, b, iou)
        assert abs(stats[a]["terrain.land_fraction"] - stats[b]["terrain.land_fraction"]) <= 0.03, (a, b, stats)
        assert abs(stats[a]["plates.count"] - stats[b]["plates.count"]) <= 1, (a, b, stats)
        assert abs(stats[a]["terrain.hypsometric_integral"] - stats[b]["terrain.hypsometric_integral"]) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("until", ["tectonics_end", "story_end"])
def test_same_world_at_512_and_1024(until):
    # measured at tectonics end: IoU 0.95, land 0.370 / 0.388, plates 6 / 6, hypsometric integral
    # 0.298 / 0.286; at story end: IoU 0.96, land 0.402 / 0.418, plates 8 / 8, hypsometric integral
    # 0.263 / 0.260 (the 1024 geology to story end takes 3-10 minutes)
    a, b = geology(512, 0, until), geology(1024, 0, until)
    A, B = coarse_land(a), coarse_land(b)
    assert (A & B).sum() / (A | B).sum() >= 0.7
    sa, sb = summary(a), summary(b)
    assert abs(sa["terrain.land_fraction"] - sb["terrain.land_fraction"]) <= 0.03
    assert abs(sa["plates.count"] - sb["plates.count"]) <= 1
    assert abs(sa["terrain.hypsometric_integral"] - sb["terrain.hypsometric_integral"]) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("columns", [128, 256, 512, 1024])
def test_no_straight_coasts(columns):
    # seed 0 measures 0.008 / 0.004 / 0.006 / 0.008 on the sphere (in grid cells 0.061 / 0.026 / 0.028 /
    # 0.027; with the adjacent columns as east and west beyond 48°, 0.009 / 0.004 / 0.007 / 0.009); with stream power A^0.8 S^2 0.008 / 0.007 / 0.010 / 0.007; before the markers (drift.py) 0.008 / 0.034 / 0.020 at 128-512
    s = geology(columns, 0, "tectonics_end")
    D = planet.Timeline(s.config.schedule).sea_level(s.time)
    assert straight_coast_share_on_sphere(s.elevation >= D) <= 0.025


def test_grid_alignment_sees_coasts_that_follow_the_grid():
    H, W = 128, 256
    jj, ii = np.mgrid[0:H, 0:W]
    # continents drawn as rectangles on the grid: the model's own grid sees long straight runs,
    # turned grids see slanted edges
    boxes = np.zeros((H, W))
    for j0, j1, i0, i1 in ((30, 60, 20, 80), (70, 100, 120, 200), (40, 55, 150, 230)):
        boxes[j0:j1, i0:i1] = 1.0
    own, turned = grid_alignment(boxes, 0.5)
    assert own > 0.9 and own > turned.mean() + 2 * turned.std() and turned.mean() < 0.6
    # a thresholded smooth field with no preferred direction: the own grid is one sample among the turned ones
    lat = np.radians(90.0 - 180.0 * (jj + 0.5) / H)
    lon = np.radians(360.0 * (ii + 0.5) / W)
    x, y, z = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)
    blobs = np.sin(3.1 * x + 1.3 * y) + np.cos(2.7 * y - 2.2 * z + 0.4) + np.sin(3.3 * z + 1.9 * x + 1.0)
    own, turned = grid_alignment(blobs, 0.3)
    assert own <= turned.mean() + 2 * turned.std() + 1e-9, (own, turned)
    # the identity resamples the field exactly
    assert np.allclose(rotated_field(blobs, np.eye(3)), blobs, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("columns, until", [(256, "tectonics_end"), (512, "tectonics_end"), (512, "story_end"),
                                            (1024, "tectonics_end")])
def test_coasts_do_not_follow_the_grid(columns, until):
    # Seed 0: the straight-coast share on the model's grid lies within the spread of the shares on 16
    # turned grids. Measured (own; turned min-max, mean; the own grid's rank among the 17):
    # 256 tectonics end 0.011; 0.004-0.021, 0.012; 7th. 512 tectonics end 0.011; 0.005-0.024, 0.015;
    # 5th. 512 story end 0.043; 0.013-0.047, 0.029; 16th (2026-12-05; the flexural rebound draws the coasts
    # after tectonics end along smooth contours, README; 0.032 and 11th in an earlier model). 1024
    # tectonics end 0.007; 0.008-0.021, 0.015; 1st. At story end the coasts are smooth and hundreds of kilometres long: any
    # latitude-longitude grid counts about 0.03 of them as straight. A grid-aligned world fails
    # (test_grid_alignment_sees_coasts_that_follow_the_grid; before the plates rotated on the
    # sphere, 256 columns read 0.091).
    s = geology(columns, 0, until)
    D = planet.Timeline(s.config.schedule).sea_level(s.time)
    own, turned = grid_alignment(s.elevation, D)
    assert own <= turned.mean() + 2 * turned.std(), (own, turned)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_earth_like_land_at_512(seed):
    # measured 0.300 (seed 6) to 0.397 (seed 3; 0.396 with stream power A^0.8 S^2, 0.4004 with plates
    # moving every step)
    s = geology(512, seed, "tectonics_end")
    assert 0.25 <= S.compute(s, ["terrain.land_fraction"])["terrain.land_fraction"].value <= 0.40


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_earth_like_rivers_at_512(seed):
    # β as Rodríguez-Iturbe & Rinaldo measure it, over the sites of river networks (the sea basins
    # of at least NETWORK_MIN_CELLS cells), and Hack's h over the sea basins
    s = geology(512, seed, "tectonics_end")
    st = S.compute(s, ["rivers.network_area_exponent", "rivers.hack_exponent"])
    assert 0.35 <= st["rivers.network_area_exponent"].value <= 0.55
    assert 0.45 <= st["rivers.hack_exponent"].value <= 0.70


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_bimodal_hypsometry_at_512(seed):
    # issue 11: a continental and an oceanic mode. The sphere's area per half unit of elevation peaks on
    # the ocean floor (below D - 1) and on the continents (at or above D), and the least of it between the
    # two peaks is under a fifth of the lower peak (seed 0 measures peaks 0.180 at 2-2.5 and 0.100 at
    # 7.5-8, a trough of 0.005 at 5-6)
    s = geology(512, seed, "tectonics_end")
    z = s.elevation
    D = planet.Timeline(s.config.schedule).sea_level(s.time)
    hist, edges = np.histogram(z, bins=np.arange(0.0, float(z.max()) + 0.5, 0.5), weights=s.grid.area_weights)
    ocean = np.flatnonzero(edges[1:] <= D - 1.0)
    land = np.flatnonzero(edges[:-1] >= D)
    lo, hi = ocean[np.argmax(hist[ocean])], land[np.argmax(hist[land])]
    assert hist[lo + 1:hi].min() < 0.2 * min(hist[lo], hist[hi]), (hist[lo], hist[hi], hist[lo + 1:hi].min())


def cap_means(state, fields, radius=15.0):
    """Area-weighted means of ``fields`` (name -> (H, W) array) over spherical caps of ``radius``
    degrees: the two polar caps (beyond 75°) and 16 of the same size centred at 45° N and S, every
    45° of longitude. Returns ``(polar, mid)``, dicts of name -> list of cap means."""
    H, W = state.shape
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)[:, None]
    lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)[None, :]
    x = np.stack(np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)), -1)
    area = np.broadcast_to(np.cos(lat), (H, W))

    def cap(la, lo):
        la, lo = np.radians(la), np.radians(lo)
        centre = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
        return x @ centre >= np.cos(np.radians(radius))

    polar = [cap(90.0, 0.0), cap(-90.0, 0.0)]
    mid = [cap(s * 45.0, lo) for s in (1.0, -1.0) for lo in range(0, 360, 45)]
    mean = lambda f, m: float((f * area)[m].sum() / area[m].sum())
    return ({k: [mean(f, m) for m in polar] for k, f in fields.items()},
            {k: [mean(f, m) for m in mid] for k, f in fields.items()})


@pytest.mark.slow
def test_polar_caps_like_mid_latitudes():
    # Issue 11: the caps beyond 75° have land, uplift and plate cover within the spread the
    # mid-latitudes show over seeds. Caps of the same size at 45° N/S are the reference; over
    # seeds 0-9 the polar mean must lie within two standard errors of theirs (the polar band of
    # the frame-only plates put ocean on every southern cap).
    polar, mid = {}, {}
    for seed in range(10):
        s = geology(512, seed, "tectonics_end")
        D = planet.Timeline(s.config.schedule).sea_level(s.time)
        p, m = cap_means(s, {"land": (s.elevation >= D).astype(np.float64), "uplift": s["uplift"],
                             "plate cover": (s["plate"] >= 0).astype(np.float64)})
        for k in p:
            polar.setdefault(k, []).extend(p[k])
            mid.setdefault(k, []).extend(m[k])
    for k in polar:
        P, M = np.array(polar[k]), np.array(mid[k])
        assert abs(P.mean() - M.mean()) <= 2 * M.std() / np.sqrt(P.size) + 0.01, (k, P.mean(), M.mean(), M.std())
