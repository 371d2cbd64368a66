"""planet.analysis.stats on synthetic worlds with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest

import planet
from planet.analysis import d8
from planet.analysis import stats as S
from planet.core.grid import Grid, neighbour

from .naive_lithosphere import route

R = d8.EARTH_RADIUS_KM


def make_state(grid: Grid, **fields) -> planet.State:
    """A state of ``grid`` with the given fields (float32)."""
    return planet.State({k: np.asarray(np.broadcast_to(v, grid.shape), dtype=np.float32).copy()
                         for k, v in fields.items()}, step=0, seed=0)


def angular_distance(grid: Grid, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle angle (radians) of every cell centre from (lat0, lon0)."""
    lat = np.radians(grid.lat)[:, None]
    lon = np.radians(grid.lon)[None, :]
    c = (np.sin(lat) * math.sin(math.radians(lat0))
         + np.cos(lat) * math.cos(math.radians(lat0)) * np.cos(lon - math.radians(lon0)))
    return np.arccos(np.clip(c, -1, 1))


def values(state, names=None, **kw) -> dict:
    return {n: v.value for n, v in S.compute(state, names, **kw).items()}


# -- area weighting ---------------------------------------------------------------

def test_band_at_60_degrees_counts_half_as_much_as_the_equator():
    grid = Grid(96, 192)  # rows 15-16 span 58.125°-61.875° (centred on 60°), rows 47-48 span ±1.875°
    z60 = np.zeros(grid.shape)
    z60[15:17] = 10
    z0 = np.zeros(grid.shape)
    z0[47:49] = 10
    f60 = values(make_state(grid, elevation=z60), ["terrain.land_fraction"], sea_level=5)["terrain.land_fraction"]
    f0 = values(make_state(grid, elevation=z0), ["terrain.land_fraction"], sea_level=5)["terrain.land_fraction"]
    assert f60 / f0 == pytest.approx(0.5, rel=1e-12)
    # and the equatorial band's share of the sphere is (sin 1.875° − sin(−1.875°)) / 2
    assert f0 == pytest.approx(math.sin(math.radians(1.875)), rel=1e-12)


def test_percentiles_of_sin_latitude_are_uniform_by_area():
    # Archimedes: sin(latitude) is uniformly distributed by area, so its p-th area-weighted
    # percentile is 2p − 1 (an unweighted percentile would be sin(90° (2p − 1))).
    grid = Grid(256, 512)
    s = np.sin(np.radians(grid.lat))[:, None]
    v = values(make_state(grid, elevation=10 + 5 * s), sea_level=10.0)
    for p in (1, 10, 50, 90, 99):
        assert v[f"terrain.elevation_p{p:02d}"] == pytest.approx(10 + 5 * (2 * p / 100 - 1), abs=0.03)
    assert v["terrain.land_fraction"] == pytest.approx(0.5, abs=1e-12)
    # land heights z − D = 5 sin φ, uniform on [0, 5]: mean 2.5, sd 5/√12, no skew, kurtosis −1.2
    assert v["terrain.land_height_mean"] == pytest.approx(2.5, abs=2e-3)
    assert v["terrain.land_height_std"] == pytest.approx(5 / math.sqrt(12), abs=2e-3)
    assert v["terrain.land_height_skewness"] == pytest.approx(0.0, abs=5e-3)
    assert v["terrain.land_height_kurtosis"] == pytest.approx(-1.2, abs=5e-3)
    assert v["terrain.land_height_p90"] == pytest.approx(4.5, abs=0.03)
    assert v["terrain.ocean_depth_mean"] == pytest.approx(2.5, abs=2e-3)
    assert v["terrain.ocean_depth_p50"] == pytest.approx(2.5, abs=0.03)
    # uniform relative heights: the hypsometric curve is the diagonal, its integral 1/2
    assert v["terrain.hypsometric_integral"] == pytest.approx(0.5, abs=3e-3)
    for share in (10, 25, 50, 75, 90):
        assert v[f"terrain.hypsometric_x{share}"] == pytest.approx(1 - share / 100, abs=0.01)


def test_weighted_quantile_matches_numpy_with_equal_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1001)
    # with equal weights the mid-cell rule is NumPy's "hazen" method
    for q in (0.01, 0.3, 0.5, 0.97):
        assert S.weighted_quantile(x, np.ones_like(x), q) == pytest.approx(np.quantile(x, q, method="hazen"))


# -- terrain ----------------------------------------------------------------

def test_spherical_cap_of_land_has_its_area():
    grid = Grid(256, 512)
    theta = math.radians(40)
    psi = angular_distance(grid, 20.0, 100.0)
    z = np.where(psi < theta, 8.0, 2.0)
    v = values(make_state(grid, elevation=z), ["terrain.land_fraction", "terrain.land_height_mean",
                                               "terrain.land_height_std", "terrain.land_height_skewness",
                                               "terrain.hypsometric_integral"], sea_level=5.0)
    assert v["terrain.land_fraction"] == pytest.approx((1 - math.cos(theta)) / 2, rel=3e-3)
    assert v["terrain.land_height_mean"] == pytest.approx(3.0)
    assert v["terrain.land_height_std"] == pytest.approx(0.0, abs=1e-9)
    assert v["terrain.land_height_skewness"] is None  # flat land: no skewness
    assert v["terrain.hypsometric_integral"] == pytest.approx(1.0)


def test_cone_hypsometric_integral():
    # land height 6 (1 − ψ/θ) over a cap of radius θ: the area above relative height x is a cap of
    # radius θ(1 − x), so the integral is ∫ (1 − cos θ(1−x)) / (1 − cos θ) dx = (θ − sin θ) / (θ (1 − cos θ)).
    grid = Grid(256, 512)
    theta = math.radians(60)
    psi = angular_distance(grid, -30.0, 250.0)
    z = 5.0 + np.where(psi < theta, 6.0 * (1 - psi / theta), -1.0)
    v = values(make_state(grid, elevation=z), ["terrain.hypsometric_integral"], sea_level=5.0)
    expected = (theta - math.sin(theta)) / (theta * (1 - math.cos(theta)))
    assert v["terrain.hypsometric_integral"] == pytest.approx(expected, rel=0.02)
    assert abs(expected - 0.5) > 0.1  # and the test can tell a cone from a uniform distribution


def test_latitude_ramp_has_its_slope_everywhere_except_the_pole_rows():
    grid = Grid(64, 128)
    a = 0.05  # z per degree of latitude
    z = 10 + a * grid.lat[:, None] + 0 * grid.lon[None, :]
    an = S.Analysis(make_state(grid, elevation=z), sea_level=-100.0)
    exact = a * 180 / (math.pi * R)  # z per km
    np.testing.assert_allclose(an.slope[1:-1], exact, rtol=1e-9)
    v = values(make_state(grid, elevation=z), ["terrain.slope_p50", "terrain.slope_mean"], sea_level=-100.0)
    assert v["terrain.slope_p50"] == pytest.approx(exact, rel=1e-9)
    assert v["terrain.slope_mean"] == pytest.approx(exact, rel=2e-3)  # the tiny pole rows see half


def test_tilted_plane_slope_uses_true_east_west_distances():
    # z = c + a (P · n) with n on the equator (so the gradient has east-west parts everywhere):
    # |∇z| = a sin ψ / R, ψ the angle from n, whose area-weighted mean over the sphere is π/4.
    grid = Grid(128, 256)
    a = 10.0
    P = grid.positions()
    z = 20 + a * P[..., 0]
    an = S.Analysis(make_state(grid, elevation=z), sea_level=-100.0)
    exact = a * np.sqrt(np.clip(1 - P[..., 0] ** 2, 0, None)) / R
    inner = slice(2, -2)
    np.testing.assert_allclose(an.slope[inner], exact[inner], rtol=2e-3, atol=1e-6 * a / R)
    v = values(make_state(grid, elevation=z), ["terrain.slope_mean"], sea_level=-100.0)
    assert v["terrain.slope_mean"] == pytest.approx(a * math.pi / 4 / R, rel=2e-3)
    # the same plane read with a flat (cos φ = 1) metric would be far off near the poles
    flat = np.hypot(*np.gradient(z, 2 * math.pi * R / 256, axis=(1, 0)))
    assert np.max(np.abs(flat[5] - exact[5]) / exact[5]) > 0.5


def test_roughness_of_a_checkerboard_and_a_plane():
    grid = Grid(64, 128)
    j, i = np.indices(grid.shape)
    board = np.where((i + j) % 2 == 0, 11.0, 9.0)  # z − mean of 4 neighbours = ±2
    v = values(make_state(grid, elevation=board), ["terrain.roughness"], sea_level=0.0)
    assert v["terrain.roughness"] == pytest.approx(2.0, rel=2e-3)
    plane = 10 + 0.01 * grid.lat[:, None] + 0 * i
    v = values(make_state(grid, elevation=plane), ["terrain.roughness"], sea_level=0.0)
    assert v["terrain.roughness"] < 1e-3


def test_no_land_and_no_ocean_are_not_computable():
    grid = Grid(64, 128)
    s = S.compute(make_state(grid, elevation=np.full(grid.shape, 1.0)), sea_level=5.0)
    assert s["terrain.land_fraction"].value == 0.0
    for name in ("terrain.land_height_mean", "terrain.hypsometric_integral", "terrain.slope_mean",
                 "rivers.drainage_density", "rivers.hack_exponent", "rivers.longest_river"):
        assert s[name].value is None and "no land" in s[name].status, name
    s = S.compute(make_state(grid, elevation=np.full(grid.shape, 9.0)), sea_level=5.0)
    assert s["terrain.ocean_depth_mean"].value is None and "no ocean" in s["terrain.ocean_depth_mean"].status
    assert s["rivers.sea_basins"].value == 0
    assert s["rivers.largest_basin_share"].value is None
    assert "sea" in s["rivers.largest_basin_share"].status


# -- routing ----------------------------------------------------------------

def naive_receivers(z: np.ndarray, sea_level: float) -> np.ndarray:
    H, W = z.shape
    rec = np.arange(H * W).reshape(H, W)
    strict = np.nextafter(np.float32(0), np.float32(1))        # only a positive descent counts
    for j in range(H):
        for i in range(W):
            if z[j, i] >= np.float32(sea_level):
                r, _ = route(z, j, i, strict)
                if r >= 0:
                    rec[j, i] = r
    return rec


def naive_accumulate(rec, land, area, hop):
    """Drainage area and upstream length by visiting cells from high to low (receivers are lower)."""
    n = rec.size
    r, land, area, hop = rec.ravel(), land.ravel(), area.ravel(), hop.ravel()
    steps = np.zeros(n, dtype=int)  # distance to the sink in hops gives a topological order too
    for c in range(n):
        x = c
        while land[x] and r[x] != x and land[r[x]]:
            x = r[x]
            steps[c] += 1
    acc = np.where(land, area, 0.0)
    up = np.zeros(n)
    mouth = np.full(n, -1)
    for c in np.argsort(-steps, kind="stable"):
        if not land[c]:
            continue
        x = c
        while r[x] != x and land[r[x]]:
            x = r[x]
        mouth[c] = x
        if r[c] != c and land[r[c]]:
            acc[r[c]] += acc[c]
            up[r[c]] = max(up[r[c]], up[c] + hop[c])
    return acc.reshape(rec.shape), up.reshape(rec.shape), mouth.reshape(rec.shape)


def test_receivers_and_accumulation_match_naive_versions():
    grid = Grid(32, 64)
    state = planet.Planet(128, seed=2).state
    z = state.elevation[::2, ::2].copy()
    z[5:9, 10:20] = np.float32(8.0)  # a plateau (flat: pits) and exact ties
    rec = d8.receivers(z, 6.5, grid)
    np.testing.assert_array_equal(rec, naive_receivers(z, 6.5))
    land = z >= np.float32(6.5)
    area, hop = d8.cell_area_km2(grid), d8.hop_length_km(rec, grid)
    got = d8.accumulate(rec, land, area, hop)
    want = naive_accumulate(rec, land, area, hop)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    np.testing.assert_array_equal(got[2], want[2])
    # conservation: the areas arriving at sinks add up to the land area
    r = rec.ravel()
    ends = land.ravel() & ((r == np.arange(r.size)) | ~land.ravel()[r])
    assert got[0].ravel()[ends].sum() == pytest.approx(area[land].sum(), rel=1e-12)


def test_one_router_the_statistics_strict_form_agrees_with_the_model_off_flats():
    """The statistics route with the model's router in its strict form: where no two neighbours
    are equal the two agree cell for cell; on a flat the model routes across (zero descents)
    and the statistics make pits."""
    from planet.processes.lithosphere import drainage
    grid = Grid(64, 128)
    rng = np.random.default_rng(3)
    z = rng.random(grid.shape).astype(np.float32) * 10          # continuous values: no ties, no flats
    model, _ = drainage.receivers(z, 4.0)
    stats = d8.receivers(z, 4.0, grid)
    own = np.arange(grid.cells).reshape(grid.shape)
    np.testing.assert_array_equal(np.where(model < 0, own, model), stats)
    assert (model == -1).any() and (model == -2).any()            # pits and ocean both present
    z[10:14, 20:30] = np.float32(0.5) + 9.0                       # a raised plateau: a flat
    model, _ = drainage.receivers(z, 4.0)
    stats = d8.receivers(z, 4.0, grid)
    inner = (slice(11, 13), slice(22, 28))          # (rows 11-12 lie at 58° and 55°: diagonals step 2 columns)
    assert (model[inner] >= 0).all()                              # water crosses the flat
    assert (stats[inner] == own[inner]).all()                     # every flat cell is a pit


def test_routing_crosses_the_pole_by_reflection_and_ties_go_to_the_last_direction():
    grid = Grid(64, 128)
    z = np.full(grid.shape, 20.0, dtype=np.float32)  # every other neighbour is higher
    z[0, 5] = 12.0
    z[0, 5 + 64] = 11.0  # over the pole (N neighbour of (0, 5)), descent 1
    z[1, 5] = 11.0       # S, descent 1 as well: the tie goes to S (later than N)
    rec = d8.receivers(z, 0.0, grid)
    assert rec[0, 5] == 1 * 128 + 5
    z[1, 5] = 11.5
    rec = d8.receivers(z, 0.0, grid)
    assert rec[0, 5] == 0 * 128 + 69  # now strictly steepest over the pole


def test_loops_in_a_custom_router_are_refused():
    grid = Grid(64, 128)
    rec = np.arange(grid.cells).reshape(grid.shape)
    rec[10, 10], rec[10, 11] = 10 * 128 + 11, 10 * 128 + 10
    land = np.ones(grid.shape, bool)
    with pytest.raises(ValueError, match="loop"):
        d8.accumulate(rec, land, d8.cell_area_km2(grid), np.ones(grid.shape))


# -- rivers: hand-built trees and known exponents ---------------------------------

def herringbone(grid: Grid, sizes, row0: int):
    """Square k×k basins side by side: a north-south main stem in the middle column draining south
    into the ocean, every other cell draining sideways into the stem. Returns (elevation, receivers, blocks)."""
    H, W = grid.shape
    z = np.zeros(grid.shape, dtype=np.float32)  # ocean everywhere else
    rec = np.arange(grid.cells).reshape(grid.shape)
    col, blocks = 2, []
    for k in sizes:
        m = k // 2
        rows, cols = slice(row0, row0 + k), slice(col, col + k)
        z[rows, cols] = 10.0
        centre = col + m
        for j in range(row0, row0 + k):
            for i in range(col, col + k):
                rec[j, i] = (j + 1) * W + i if i == centre else j * W + i + (1 if i < centre else -1)
        blocks.append((rows, cols))
        col += k + 2
    assert col < W
    return z, rec, blocks


def test_hack_exponent_of_a_hand_built_river_tree():
    # Square basins: A ∝ k², L ∝ k, so Hack's h is 1/2 (up to the finite-k offsets).
    grid = Grid(256, 512)
    sizes = (9, 17, 33, 49, 65)
    z, rec, blocks = herringbone(grid, sizes, row0=128 - 33)
    s = S.compute(make_state(grid, elevation=z), "rivers", sea_level=5.0, router=lambda *a: rec)
    assert s["rivers.sea_basins"].value == len(sizes)
    assert s["rivers.sea_drained_fraction"].value == pytest.approx(1.0)
    assert s["rivers.hack_exponent_basins"].value == len(sizes)
    h = s["rivers.hack_exponent"].value
    assert h == pytest.approx(0.5, abs=0.03)
    assert s["rivers.hack_exponent_r2"].value > 0.999
    # independent evidence: walk every flow path by hand, take each basin's longest, fit with polyfit
    P = grid.positions().reshape(-1, 3)
    area = d8.cell_area_km2(grid).ravel()
    r = rec.ravel()
    L, A = [], []
    for rows, cols in blocks:
        cells = (np.arange(grid.cells).reshape(grid.shape)[rows, cols]).ravel()
        longest = 0.0
        for c in cells:
            x, length = c, 0.0
            while z.ravel()[r[x]] >= 5.0:
                length += 2 * R * math.asin(np.linalg.norm(P[x] - P[r[x]]) / 2)
                x = r[x]
            longest = max(longest, length)
        L.append(longest)
        A.append(area[cells].sum())
    assert s["rivers.longest_river"].value == pytest.approx(max(L), rel=1e-9)
    assert s["rivers.hack_exponent_lo"].value == pytest.approx(min(A), rel=1e-9)
    assert h == pytest.approx(np.polyfit(np.log10(A), np.log10(L), 1)[0], rel=1e-9)
    assert s["rivers.largest_basin_share"].value == pytest.approx(max(A) / sum(A), rel=1e-9)


def test_hack_exponent_is_not_computable_with_too_few_basins():
    grid = Grid(256, 512)
    z, rec, _ = herringbone(grid, (9, 33), row0=100)
    s = S.compute(make_state(grid, elevation=z), "rivers", sea_level=5.0, router=lambda *a: rec)
    assert s["rivers.hack_exponent"].value is None
    assert "fewer than" in s["rivers.hack_exponent"].status


def test_exceedance_exponent_of_a_power_law_sample():
    # Pareto quantiles a_k = (N / k)^(1/β): exactly k of N values are ≥ a_k, so P(A ≥ a) = a^(−β).
    for beta in (0.45, 0.8):
        n = 200_000
        a = (n / np.arange(1, n + 1)) ** (1 / beta)
        fit = S.exceedance_fit(a, 10.0, 10.0 ** (0.8 * math.log10(n) / beta))
        assert -fit.slope == pytest.approx(beta, rel=5e-3)
        assert fit.r2 > 0.9999
        assert fit.lo == pytest.approx(10.0)
    with pytest.raises(S.NotComputable, match="decade"):
        S.exceedance_fit(a, 10.0, 50.0)


def exceedance_sample(beta: float, cutoff: float, n: int) -> np.ndarray:
    """n values whose exceedance is P(A ≥ a) = a^(−β) exp(−a / cutoff) for a ≥ 1 (quantiles, inverted
    on a fine grid of a)."""
    grid_a = np.logspace(0, math.log10(cutoff) + 2, 200_001)
    lnp = -beta * np.log(grid_a) - grid_a / cutoff                 # decreasing in a
    target = np.log(np.arange(1, n + 1) / n)
    return np.exp(np.interp(target, lnp[::-1], np.log(grid_a)[::-1]))


def test_exceedance_fit_recovers_power_law_and_bend():
    # The finite-size form: both the exponent and the cutoff come back, and a plain power-law fit
    # over the same range (np.polyfit, evaluated independently) reads a steeper slope.
    for beta, cutoff in ((0.35, 300.0), (0.5, 1000.0), (0.8, 200.0)):
        a = exceedance_sample(beta, cutoff, 400_000)
        hi = S.EXCEEDANCE_TOP_SHARE * a.max()
        fit = S.exceedance_fit(a, 1.0, hi)
        assert -fit.slope == pytest.approx(beta, abs=0.01)
        assert fit.cutoff == pytest.approx(cutoff, rel=0.05)
        assert fit.r2 > 0.999
        x = np.logspace(0, math.log10(hi), S.EXCEEDANCE_POINTS)
        plain = -np.polyfit(np.log10(x), np.log10([(a >= v).mean() for v in x]), 1)[0]
        assert plain > beta + 0.1


def scheidegger(grid: Grid, rows: int, seed: int):
    """Scheidegger's river network on a band of ``rows`` rows around the equator: every land cell drains
    to one of its two diagonal neighbours in the row to the north, chosen at random; the northern row
    drains into the ocean. Its exponents are known exactly (Takayasu; Huber 1991): β = 1/3, h = 2/3."""
    H, W = grid.shape
    rng = np.random.default_rng(seed)
    z = np.zeros(grid.shape, dtype=np.float32)
    rec = np.arange(grid.cells).reshape(grid.shape)
    j0 = H // 2 - rows // 2
    z[j0:j0 + rows] = 10.0
    for j in range(j0, j0 + rows):
        rec[j] = (j - 1) * W + (np.arange(W) + rng.integers(0, 2, W) * 2 - 1) % W
    return z, rec


@pytest.mark.parametrize("rows", [40, 80, 120])
def test_river_exponents_of_scheidegger_networks(rows):
    # The estimators against a network whose exponents are known: β = 1/3, h = 2/3. (The plain
    # power-law fit up to the 30th-largest area that β used before read 0.95-1.35 on these networks.)
    grid = Grid(256, 512)
    z, rec = scheidegger(grid, rows, seed=rows)
    s = S.compute(make_state(grid, elevation=z), "rivers", sea_level=5.0, router=lambda *a: rec)
    assert s["rivers.area_exponent"].value == pytest.approx(1 / 3, abs=0.04)
    assert s["rivers.hack_exponent"].value == pytest.approx(2 / 3, abs=0.1)
    assert s["rivers.sea_drained_fraction"].value == pytest.approx(1.0)


def scheidegger_with_fringe(grid: Grid, rows: int, seed: int, fringe: int):
    """The Scheidegger band with ``fringe`` rows of land south of it, each cell draining straight
    south into the next and the last into the ocean: a comb of one-cell-wide coastal basins of
    ``fringe`` cells, nearly all of whose cells are sources."""
    z, rec = scheidegger(grid, rows, seed)
    H, W = grid.shape
    j1 = H // 2 - rows // 2 + rows
    z[j1:j1 + fringe] = 10.0
    for j in range(j1, j1 + fringe):
        rec[j] = (j + 1) * W + np.arange(W)
    return z, rec


def test_network_exponent_leaves_out_the_coastal_fringe():
    # β within river networks reads the sites of the sea basins of at least NETWORK_MIN_CELLS cells.
    # A fringe of small coastal basins (40 cells in a line: a third of the land) steepens the exceedance of all land cells; the network
    # exponent still reads the Scheidegger network's exact 1/3.
    grid = Grid(256, 512)
    z, rec = scheidegger_with_fringe(grid, 80, seed=80, fringe=40)
    s = S.compute(make_state(grid, elevation=z), "rivers", sea_level=5.0, router=lambda *a: rec)
    assert s["rivers.network_area_exponent"].value == pytest.approx(1 / 3, abs=0.04)
    assert s["rivers.area_exponent"].value > 0.40      # 1/3 without the fringe (the test above)
    # the sites, found independently: follow every land cell's receivers to its mouth, count the
    # basin's area, keep the basins of at least NETWORK_MIN_CELLS median land-cell areas
    land = z >= 5.0
    area = d8.cell_area_km2(grid)
    flat = rec.ravel()
    mouth = {}
    for c in np.flatnonzero(land.ravel()):
        m = c
        while land.ravel()[flat[m]]:
            m = flat[m]
        mouth[c] = m
    basin = {}
    for c, m in mouth.items():
        basin[m] = basin.get(m, 0.0) + area.ravel()[c]
    need = S.NETWORK_MIN_CELLS * np.median(area[land])
    inside = sum(area.ravel()[c] for c, m in mouth.items() if basin[m] >= need)
    assert s["rivers.network_share"].value == pytest.approx(inside / area[land].sum(), rel=1e-9)
    assert 0.5 < s["rivers.network_share"].value < 1.0


def test_network_exponent_needs_a_large_basin():
    # only the fringe's three-cell basins: no river network to measure
    grid = Grid(256, 512)
    z, rec = scheidegger_with_fringe(grid, 0, seed=1, fringe=3)
    s = S.compute(make_state(grid, elevation=z), "rivers", sea_level=5.0, router=lambda *a: rec)
    assert s["rivers.network_area_exponent"].value is None
    assert f"no sea basin of at least {S.NETWORK_MIN_CELLS} cells" in s["rivers.network_area_exponent"].status


def test_exceedance_exponent_through_the_river_pipeline():
    # One long stem (a strip of land draining south) with every cell of its branches feeding it:
    # whatever the tree, the pipeline's β must be the fit of its own drainage areas, here solved
    # through the normal equations instead of lstsq.
    grid = Grid(256, 512)
    z, rec, blocks = herringbone(grid, (9, 17, 33, 49, 65, 97), row0=60)
    st = make_state(grid, elevation=z)
    s = S.compute(st, "rivers", sea_level=5.0, router=lambda *a: rec)
    an = S.Analysis(st, sea_level=5.0, router=lambda *a: rec)
    areas = an.flow[0][an.land]
    cell = np.median(d8.cell_area_km2(grid)[an.land])
    hi = S.EXCEEDANCE_TOP_SHARE * areas.max()
    lo = S.EXCEEDANCE_LOW_CELLS * cell
    grid_a = np.logspace(np.log10(lo), np.log10(hi), S.EXCEEDANCE_POINTS)
    lnp = np.log([(areas >= x).mean() for x in grid_a])
    X = np.stack([np.ones_like(grid_a), np.log(grid_a), grid_a], axis=1)
    coef = np.linalg.solve(X.T @ X, X.T @ lnp)
    if coef[2] >= 0:
        X = X[:, :2]
        coef = np.linalg.solve(X.T @ X, X.T @ lnp)
    assert s["rivers.area_exponent"].value == pytest.approx(-coef[1], rel=1e-6)
    assert s["rivers.area_exponent_hi"].value == pytest.approx(hi)
    assert 0 < s["rivers.area_exponent_r2"].value <= 1


def test_drainage_density_counts_channel_cells():
    grid = Grid(256, 512)
    z, rec, blocks = herringbone(grid, (65,), row0=100)
    st = make_state(grid, elevation=z)
    an = S.Analysis(st, sea_level=5.0, router=lambda *a: rec)
    channel = an.land & (an.flow[0] >= S.CHANNEL_AREA_KM2)
    assert channel.sum() > 10
    # channels are stem cells only (side cells drain at most 32 cells ≈ 2.4e5 km² here)
    assert np.all(np.nonzero(channel)[1] == 2 + 32)
    expected = an.hop[channel].sum() / d8.cell_area_km2(grid)[an.land].sum()
    assert S.compute(st, ["rivers.drainage_density"], sea_level=5.0,
                     router=lambda *a: rec)["rivers.drainage_density"].value == pytest.approx(expected)
    small = np.zeros(grid.shape, np.float32)
    small[100:105, 100:105] = 10.0                                 # 25 cells: none can drain a channel's area
    s = S.compute(make_state(grid, elevation=small), ["rivers.drainage_density"], sea_level=5.0)
    assert s["rivers.drainage_density"].value is None and "no rivers" in s["rivers.drainage_density"].status


def planchon_darboux(z: np.ndarray, sea_level: float, eps: float) -> np.ndarray:
    """Depression filling by Planchon & Darboux (2001): start from +inf on land and lower each land
    cell to max(z, lowest neighbour + eps) until nothing changes (slow, plain NumPy; the polar
    rows' neighbours over the pole are the same row half way round, as in the model)."""
    z = z.astype(np.float32)
    H, W = z.shape
    w = np.where(z < sea_level, z, np.float32(np.inf)).astype(np.float32)
    land = z >= sea_level
    while True:
        low = np.full_like(w, np.inf)
        padded = np.vstack([np.roll(w[:1], W // 2, axis=1), w, np.roll(w[-1:], W // 2, axis=1)])
        for dj in (-1, 0, 1):
            for di in (-1, 0, 1):
                if dj or di:
                    low = np.minimum(low, np.roll(padded, -di, axis=1)[1 + dj:1 + dj + H])
        new = np.where(land, np.maximum(z, (low + np.float32(eps)).astype(np.float32)), w)
        if np.array_equal(new, w):
            return w
        w = new


def test_rivers_cross_filled_depressions():
    # A plateau with a closed hollow and a flat: on the raw surface they are pits, on the conditioned
    # surface every land cell drains to the sea. The filled surface equals Planchon & Darboux's.
    grid = Grid(64, 128)
    rng = np.random.default_rng(3)
    z = np.zeros(grid.shape, np.float32)
    z[20:44, 30:90] = 10.0 + rng.random((24, 60)).astype(np.float32)    # rough plateau
    z[28:36, 50:60] = 8.0                                                # a flat closed hollow
    filled = d8.fill_depressions(z, 5.0)
    assert np.array_equal(filled[z < 5.0], z[z < 5.0]) and np.all(filled >= z)
    assert np.allclose(filled, planchon_darboux(z, 5.0, d8.CONDITION_SLOPE), rtol=0, atol=1e-5)
    assert filled[28:36, 50:60].min() > z[28:36, 50:60].max() + 1.0       # the hollow is filled to its sill
    s = S.compute(make_state(grid, elevation=z), ["rivers.sea_drained_fraction", "rivers.largest_basin_share"],
                  sea_level=5.0)
    hollow_share = d8.cell_area_km2(grid)[28:36, 50:60].sum() / d8.cell_area_km2(grid)[20:44, 30:90].sum()
    assert s["rivers.sea_drained_fraction"].value <= 1 - hollow_share + 1e-9
    an = S.Analysis(make_state(grid, elevation=z), sea_level=5.0)
    mouths = an.flow[2][an.land]
    assert np.all(~an.land.ravel()[an.receivers.ravel()[mouths]])        # every basin ends at the sea


def test_model_flow_percentiles_need_routed_flow():
    grid = Grid(64, 128)
    st = make_state(grid, elevation=np.full(grid.shape, 9.0), drainage_area=0.0)
    s = S.compute(st, ["rivers.flow_p99"], sea_level=5.0)
    assert s["rivers.flow_p99"].value is None and "drainage_area" in s["rivers.flow_p99"].status
    flow = np.tile(np.arange(1, 129, dtype=np.float32), (64, 1))
    s = S.compute(make_state(grid, elevation=np.full(grid.shape, 9.0), drainage_area=flow), ["rivers.flow_p99"],
                  sea_level=5.0)
    # every row holds 1..128 once, so the area share with flow ≤ v is v / 128: p99 ≈ 126.7 (± one step)
    assert s["rivers.flow_p99"].value == pytest.approx(0.99 * 128, abs=1.0)


# -- plates -------------------------------------------------------------------

def test_plate_statistics_of_hemispheres():
    grid = Grid(64, 128)
    z = np.full(grid.shape, 9.0)
    north_south = np.where(grid.lat[:, None] > 0, 0.25, 0.75) + 0 * grid.lon[None, :]
    v = values(make_state(grid, elevation=z, plate=north_south), "plates", sea_level=5.0)
    assert v["plates.count"] == 2
    assert v["plates.largest_share"] == pytest.approx(0.5, rel=1e-12)
    assert v["plates.effective_count"] == pytest.approx(2.0, rel=1e-12)
    assert v["plates.median_area"] == pytest.approx(2 * math.pi * R**2, rel=1e-12)
    assert v["plates.boundary_length"] == pytest.approx(2 * math.pi * R, rel=1e-12)  # the equator
    east_west = np.where(grid.lon[None, :] < 180, 0.1, 0.6) + 0 * grid.lat[:, None]
    v = values(make_state(grid, elevation=z, plate=east_west), "plates", sea_level=5.0)
    assert v["plates.boundary_length"] == pytest.approx(2 * math.pi * R, rel=1e-12)  # two half meridians
    assert v["plates.unplated_fraction"] == 0.0


def test_plate_sizes_and_unplated_cells():
    grid = Grid(96, 192)
    p = np.full(grid.shape, -1.0)
    p[15:17] = 0.5  # the band around 60°N: half the weight of the equatorial band
    p[47:49] = 0.2
    v = values(make_state(grid, elevation=np.zeros(grid.shape), plate=p), "plates", sea_level=5.0)
    assert v["plates.count"] == 2
    eq = math.sin(math.radians(1.875))  # share of the sphere of the equatorial band
    assert v["plates.largest_share"] == pytest.approx(eq, rel=1e-12)
    assert v["plates.effective_count"] == pytest.approx((1.5) ** 2 / 1.25, rel=1e-12)
    assert v["plates.unplated_fraction"] == pytest.approx(1 - 1.5 * eq, rel=1e-12)
    assert v["plates.boundary_length"] == 0.0  # plates only touch plateless cells


def test_uplift_fractions_count_high_uplift_and_the_polar_rows():
    grid = Grid(96, 192)
    y = np.zeros(grid.shape)
    y[47:49] = 0.9  # the equatorial band
    y[0, :48] = 0.7  # a quarter of the first row
    v = values(make_state(grid, elevation=np.zeros(grid.shape), uplift=y), "plates", sea_level=5.0)
    top = (1 - math.cos(math.radians(1.875))) / 2 / 4  # a quarter of the first row's share
    assert v["plates.uplift_high_fraction"] == pytest.approx(math.sin(math.radians(1.875)) + top, rel=1e-9)
    assert v["plates.uplift_high_fraction_polar"] == pytest.approx(48 / (4 * 192))


def test_no_plates_yet_is_not_computable():
    s = S.compute(planet.Planet(128, seed=0).state, "plates")
    assert s["plates.count"].value == 0
    assert s["plates.unplated_fraction"].value == 1.0
    for name in ("plates.largest_share", "plates.effective_count", "plates.median_area", "plates.boundary_length"):
        assert s[name].value is None and s[name].status == "not computable: no plates yet"


# -- climate, atmosphere, life ----------------------------------------------------

def test_climate_and_life_statistics():
    grid = Grid(96, 192)  # row edges every 1.875°: the bands' limits (15°, 30°, 60°) are row edges
    lat = grid.lat[:, None] + 0 * grid.lon[None, :]
    z = np.where(lat > 0, 9.0, 1.0)  # northern hemisphere land
    humans = np.where((lat > 30) & (lat < 60), 1.0, 0.0)
    st = make_state(grid, elevation=z, temperature=30 * np.cos(np.radians(lat)) ** 2,
                    pressure=1012 + 10 * np.sin(np.radians(lat)) ** 2, wind_u=0.3, wind_v=-0.4,
                    vapour=1.2, rain=0.02 * np.cos(np.radians(lat)) ** 2, co2=1.0, moisture=2.0, vegetation=0.5, prey=1.5, predators=np.where(lat > 0, 2.5, 0.0),
                    humans=humans)
    v = values(st, ["climate", "atmosphere", "life"], sea_level=5.0)
    # mean of cos² over the sphere is 2/3; over a band, ∫cos³/∫cos
    assert v["climate.temperature_mean"] == pytest.approx(20.0, rel=1e-3)
    def band_mean(f, lo, hi):
        phi = np.linspace(math.radians(lo), math.radians(hi), 20001)
        return np.trapezoid(f(phi) * np.cos(phi), phi) / np.trapezoid(np.cos(phi), phi)
    assert v["climate.temperature_equator"] == pytest.approx(band_mean(lambda p: 30 * np.cos(p) ** 2, 0, 15), rel=2e-3)
    assert v["climate.temperature_polar"] == pytest.approx(band_mean(lambda p: 30 * np.cos(p) ** 2, 60, 90), rel=2e-3)
    assert v["climate.pressure_midlatitude"] == pytest.approx(
        band_mean(lambda p: 1012 + 10 * np.sin(p) ** 2, 30, 60), rel=1e-5)
    assert v["climate.wind_speed_mean"] == pytest.approx(0.5, rel=1e-6)
    assert v["atmosphere.vapour_mean"] == pytest.approx(1.2, rel=1e-6)
    assert v["atmosphere.precipitation_mean"] == pytest.approx(0.02 * 2 / 3, rel=1e-3)   # the rain field's mean
    assert v["atmosphere.co2_ppm"] == pytest.approx(380.0, rel=1e-9)
    assert v["life.prey_land_mean"] == pytest.approx(1.5, rel=1e-6)
    assert v["life.predators_land_mean"] == pytest.approx(2.5, rel=1e-6)  # land only: the south is ocean
    # settled band 30°-60°N: area 2πR² (sin 60° − sin 30°)
    band = 2 * math.pi * R**2 * (math.sin(math.radians(60)) - math.sin(math.radians(30)))
    assert v["life.settled_area"] == pytest.approx(band, rel=0.02)
    assert v["life.settled_fraction"] == pytest.approx(band / (2 * math.pi * R**2), rel=0.02)


def test_missing_fields_are_not_computable():
    s = S.compute(planet.Planet(128, seed=0, stages=("lithosphere",)).state, ["climate", "atmosphere", "life"])
    for name, value in s.items():
        assert value.value is None and "not in this state" in value.status, name


# -- invariance and the registry --------------------------------------------------

def test_statistics_are_invariant_under_a_longitude_shift():
    base = planet.Planet(256, seed=5).state
    grid = base.grid
    psi = angular_distance(grid, 10.0, 40.0)
    plate = np.where(psi < 1.0, 0.3, np.where(grid.lat[:, None] > 20, 0.7, -1.0))
    lat = grid.lat[:, None] + 0 * grid.lon[None, :]
    fields = dict(elevation=base.elevation, plate=plate, drainage_area=np.abs(base.elevation - 7) * 10,
                  temperature=20 - lat / 3 + base.elevation, humans=(base.elevation > 9).astype(float))
    a = S.compute(make_state(grid, **fields), sea_level=6.5)
    shift = 77
    b = S.compute(make_state(grid, **{k: np.roll(v, shift, axis=1) for k, v in fields.items()}), sea_level=6.5)
    computable = 0
    for name in a:
        assert a[name].status == b[name].status, name
        if a[name].ok:
            computable += 1
            assert b[name].value == pytest.approx(a[name].value, rel=1e-9, abs=1e-12), name
    assert computable > 50


def test_registry_is_documented_and_refuses_unknown_names():
    for st in S.REGISTRY.values():
        assert st.group in S.GROUPS and st.units and len(st.definition) > 15, st.name
        assert st.name.startswith(st.group + ".")
    assert "terrain.land_fraction" in S.documentation()
    assert S.select("plates") == [n for n in S.REGISTRY if n.startswith("plates.")]
    with pytest.raises(ValueError, match="unknown statistic 'terrain.nope'"):
        S.compute(planet.Planet(128).state, ["terrain.nope"])
    assert "km" in S.describe("rivers.longest_river")
    with pytest.raises(ValueError, match="sea_level must be a finite number"):
        S.compute(planet.Planet(128).state, sea_level=float("nan"))


def test_json_has_value_status_and_units():
    import json

    s = S.compute(planet.Planet(128).state, ["terrain", "plates.largest_share"])
    doc = json.loads(s.to_json())
    assert doc["meta"]["resolution"] == 128 and doc["meta"]["seed"] == 0
    assert doc["statistics"]["terrain.land_fraction"] == {"value": 1.0, "status": "ok", "units": "1"}
    assert doc["statistics"]["plates.largest_share"]["value"] is None
