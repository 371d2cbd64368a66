"""The lithosphere stage: rules against a naive version, invariants, determinism, seams, fidelity."""
import numpy as np
import pytest

import planet
from planet.processes.lithosphere import step as lithosphere
from planet.core.config import Config
from planet.core.stage import Context
from planet.core.timeline import Timeline
from .naive_lithosphere import one_thread  # noqa: F401 (autouse fixture)

RES = 128



@pytest.fixture(scope="module")
def young_world():
    """A 128-column world at step 2400 (t = 40 s): oceans, land, a few plates."""
    w = planet.Planet(resolution=RES, seed=3)
    w.run(until=40)
    return w


def test_row_diffusion_is_the_implicit_solve():
    """Rule 1, east-west: the periodic tridiagonal kernel equals a dense solve of (I - L) y = y0,
    with no flux across plate boundaries (so each plate's sum of uplift is kept)."""
    H, W = 4, 8
    rng = np.random.default_rng(1)
    y0 = rng.random((H, W)).astype(np.float32)
    q0 = np.zeros((H, W), np.float32)
    q0[1, 3:6] = 0.5
    q0[2, 0] = 0.5
    g = np.array([0.3, 2.0, 40.0, 0.01])
    out = np.empty_like(y0)
    lithosphere._diffuse_rows(y0, q0, g, out)
    for j in range(H):
        L = np.zeros((W, W))
        for i in range(W):
            e = (i + 1) % W
            if q0[j, i] == q0[j, e]:
                L[i, i] -= g[j]; L[e, e] -= g[j]; L[i, e] += g[j]; L[e, i] += g[j]
        want = np.linalg.solve(np.eye(W) - L, y0[j].astype(np.float64))
        np.testing.assert_allclose(out[j], want, rtol=1e-5, atol=1e-6)
        for q in np.unique(q0[j]):
            m = q0[j] == q
            assert abs(out[j][m].sum() - y0[j][m].sum()) < 1e-4


def test_metrics_are_physical():
    """Distances shrink as cos(lat) east-west and cell areas sum to the sphere's area in L0 units."""
    cfg = Config().lithosphere
    for W in (128, 512, 1024):
        m = lithosphere.Metrics(W // 2, W, cfg)
        L0 = 2 * np.pi / 512
        assert m.area.sum() * W == pytest.approx(4 * np.pi / L0 ** 2, rel=1e-6)
        assert m.dy == pytest.approx(512 / W)
        lat = np.radians(90 - 180 * (np.arange(W // 2) + 0.5) / (W // 2))
        np.testing.assert_allclose(1 / m.inv_dist[:, 2], m.dy * np.cos(lat), rtol=1e-6)
        assert (m.k_east <= lithosphere.THERMAL_CAP).all()
    # at 512 columns on the equator the rates are the reference's per-cell rates
    m = lithosphere.Metrics(256, 512, cfg)
    assert m.k_north == pytest.approx(cfg.thermal_erosion) and m.talus_north == pytest.approx(cfg.talus)


def test_before_ocean_start_the_protoplanet_stays(tmp_path):
    w = planet.Planet(resolution=RES, seed=5)
    start = w.state
    w.run(until=14.9)
    assert all(np.array_equal(start[n], w.state[n]) for n in lithosphere.FIELDS)
    w.step(70)
    assert not np.array_equal(start.elevation, w.state.elevation)


def test_invariants_over_a_run():
    w = planet.Planet(resolution=RES, seed=11)
    w.run(until=15)
    for _ in range(20):
        s = w.step(100)
        for name in lithosphere.FIELDS:
            assert np.isfinite(s[name]).all(), name
        assert (s.elevation >= 0).all()
        assert (s.uplift >= 0).all() and (s.uplift <= 1).all()
        q = s.plate
        assert ((q == -1) | ((q >= 0) & (q < 1))).all()
        assert ((s.basin >= 0) & (s.basin < 1)).all()
        assert (s.drainage_area >= 0).all()


def test_source_map_is_written(young_world):
    stage = lithosphere.LithosphereStage()
    s = young_world.state
    every = s.config.replace(lithosphere={"plate_interval": 1, "step_interval": 1})      # the plates move at this step
    ctx = Context(step=s.step + 1, time=(s.step + 1) / 60, seed=s.seed, grid=s.grid, config=every,
                  timeline=Timeline(s.config.schedule))
    out = stage.advance(s.fields, ctx)
    src = ctx.scratch["source"]
    assert src.dtype == np.int64 and src.shape == s.shape
    moved = src != np.arange(s.elevation.size).reshape(s.shape)
    # moved cells hold their source's plate (the crust came from there)
    assert moved.any()
    np.testing.assert_array_equal(out["plate"][moved], s.plate.ravel()[src[moved]])
    assert all(np.array_equal(s[n], young_world.state[n]) for n in lithosphere.FIELDS)   # inputs untouched


def _run(seed, threads=None, until=30):
    import numba
    before = numba.get_num_threads()
    if threads:
        planet.set_threads(threads)
    try:
        w = planet.Planet(resolution=RES, seed=seed)
        w.run(until=until)
        return w.state
    finally:
        numba.set_num_threads(before)


def test_same_seed_same_world_and_seeds_differ():
    a, b, c = _run(2), _run(2), _run(4)
    assert a.equals(b)
    assert not np.array_equal(a.plate, c.plate)


def test_thread_count_does_not_matter():
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 threads")
    assert _run(6, threads=1, until=20).equals(_run(6, threads=2, until=20))


def test_save_restore_mid_run_is_bit_identical(tmp_path):
    w = planet.Planet(resolution=RES, seed=9)
    w.run(until=20)
    w.save(tmp_path / "mid.npz")
    w.run(until=30)
    again = planet.load(tmp_path / "mid.npz")
    again.run(until=30)
    assert again.state.equals(w.state)


def _band_stats(res, seed, start, end, every):
    w = planet.Planet(resolution=res, seed=seed)
    w.run(until=start / 60)
    H = res // 2
    rows = np.zeros((3, H))
    cols = np.zeros((2, res))
    n = 0
    while w.state.step < end:
        s = w.step(every)
        rows += [s.uplift.mean(1), s.elevation.mean(1), (s.plate >= 0).mean(1)]
        cols += [s.uplift.mean(0), s.elevation.mean(0)]
        n += 1
    return rows / n, cols / n


def _assert_no_seam(rows, cols, band=2, k=4.0):
    """Polar rows and the columns next to 0°/360° lie within k spreads of the other rows/columns."""
    H = rows.shape[1]
    for name, r in zip(("uplift", "elevation", "plate cover"), rows):
        inner = r[band:H - band]
        lo, hi = inner.mean() - k * inner.std(), inner.mean() + k * inner.std()
        for j in (*range(band), *range(H - band, H)):
            assert lo <= r[j] <= hi, f"row {j} {name} {r[j]:.3f} outside [{lo:.3f}, {hi:.3f}]"
    for name, c in zip(("uplift", "elevation"), cols):
        mid = c[band:-band]
        lo, hi = mid.mean() - k * mid.std(), mid.mean() + k * mid.std()
        for i in (0, 1, -2, -1):
            assert lo <= c[i] <= hi, f"column {i % c.size} {name} {c[i]:.3f} outside [{lo:.3f}, {hi:.3f}]"


def test_no_seam_at_poles_or_meridian_small():
    rows, cols = _band_stats(RES, 1, 1500, 7500, 50)
    _assert_no_seam(rows, cols)


@pytest.mark.slow
def test_no_seam_at_poles_or_meridian_512():
    rows, cols = _band_stats(512, 0, 1500, 7500, 50)
    _assert_no_seam(rows, cols)


REFERENCE = {3000: dict(land=0.33, plates=9, median=5.8, p99=138, p999=583),
             7500: dict(land=0.18, plates=8, median=3.1, p99=135, p999=498)}


def fidelity_stats(seed, steps=(3000, 7500), res=512):
    w = planet.Planet(resolution=res, seed=seed)
    out = {}
    for step in steps:
        s = w.step(step - w.state.step)
        D = w.timeline.sea_level(s.time)
        land = s.elevation >= D
        a = s.drainage_area[land] / s.grid.equator_cell_km2     # km² → equatorial cells, the reference's unit
        out[step] = dict(land=float(land.mean()), plates=int(np.unique(s.plate[s.plate >= 0]).size),
                         land_area=float((land * s.grid.area_weights).sum()),
                         median=float(np.median(s.elevation)),
                         p99=float(np.percentile(a, 99)), p999=float(np.percentile(a, 99.9)))
    return out


@pytest.mark.slow
def test_fidelity_against_reference_statistics():
    """Seed 0 (the reference protoplanet) within loose bands of the spec's reference numbers;
    other seeds (other protoplanets, other geography) only within broad plausibility bands.
    Issue 11 lifts the reference's numbers as targets where the geology on the sphere departs
    from them; seed 0 keeps the reference's land and plate count, and its median elevation and
    flow percentiles are held to the other seeds' bands. With isostasy the ocean floor, most of
    the sphere, relaxes towards ``ocean_floor_level`` = 2, so the median is 4.1 at step 3000 (reference
    5.8); the flow is less concentrated than the reference's (99th / 99.9th percentiles 78 / 181
    cells at step 3000, reference 138 / 583; land 0.42 of the cells)."""
    got = fidelity_stats(0)
    for step, ref in REFERENCE.items():
        g = got[step]
        if step >= 7500:
            # issue 11 replaces the reference's land near tectonics end (0.18) by an Earth-like
            # share of the sphere's area, 0.25-0.40 (seed 0 at 512 columns: 0.375 at 126 s)
            assert 0.25 <= g["land_area"] <= 0.40, (step, g)
        else:
            assert abs(g["land"] - ref["land"]) < 0.12, (step, g)
        assert abs(g["plates"] - ref["plates"]) <= 4, (step, g)
        assert 1.0 < g["median"] < 9.0 and 50 < g["p99"] < 1000 and g["p999"] > g["p99"], (step, g)
    for seed in (1, 2):
        for step, g in fidelity_stats(seed).items():
            assert 0.1 < g["land"] < 0.7 and 3 <= g["plates"] <= 20, (seed, step, g)
            assert 1.0 < g["median"] < 9.0 and 50 < g["p99"] < 1000, (seed, step, g)


def test_thickened_crust_spreads_within_its_continent_and_keeps_its_volume():
    """The east-west spreading of crust thicker than 1 conserves each row's crust (equal cell areas
    along a row), thins the belt into the rest of the continent, and never reaches the ocean floor."""
    from planet.processes.lithosphere.metrics import Metrics
    from planet.processes.lithosphere.step import spread_rows
    H, W = 64, 128
    m = Metrics(H, W, planet.Config().lithosphere)
    crust = np.zeros((H, W), np.float32)
    crust[:, 40:60] = 1.0
    crust[:, 55:60] = 3.0                       # a thick belt at the continent's east coast
    out = np.empty_like(crust)
    spread_rows(crust, m.c_east, out)
    np.testing.assert_allclose(out.sum(axis=1), crust.sum(axis=1), rtol=1e-5)
    assert (out[:, 55] < 3.0).all() and (out[:, 54] > 1.0).all()       # the belt spreads west
    assert (out[:, 60:] == 0).all() and (out[:, :40] == 0).all()         # not onto the ocean floor
    normal = np.zeros((H, W), np.float32)
    normal[:, 40:60] = 1.0                      # a continent of normal thickness does not spread
    spread_rows(normal, m.c_east, out)
    assert np.array_equal(out, normal)


def test_conserve_crust_keeps_the_volume_when_the_pile_is_capped():
    from planet.processes.lithosphere import boundaries
    H, W = 8, 16
    area = np.linspace(0.5, 1.0, H)                      # per-row areas
    a = np.broadcast_to(area[:, None], (H, W))
    crust = np.zeros((H, W), np.float32)
    crust[2:6, 4:12] = 1.0
    before = float((crust * a).sum()) + 5.0              # 5 units of crust were consumed
    weights = np.zeros((H, W), np.float32)
    weights[3, 6] = 1.0                                  # one cell where crust is being consumed
    boundaries.conserve_crust(before, crust, weights, area, 3.0)
    assert crust[3, 6] == 3.0                            # piled up to the cap there ...
    assert float((crust.astype(np.float64) * a).sum()) == pytest.approx(before, rel=1e-6)  # ... the rest kept
    assert (crust[crust > 0] <= 3.0).all() and (crust[:2] == 0).all()   # on continental crust only


def test_conserve_crust_takes_back_crust_the_motion_duplicated():
    """A gain of volume (the gather copying a source cell into two targets) is taken back from the
    continents in proportion to their crust above 1/2: the volume is what it was before, no cell
    changes type, the ocean floor is untouched, and the thinning is proportional (checked against
    the closed form ``C − (C − 1/2) · gain / Σ (C − 1/2) · area``)."""
    from planet.processes.lithosphere import boundaries
    H, W = 8, 16
    area = np.linspace(0.5, 1.0, H)
    a = np.broadcast_to(area[:, None], (H, W))
    rng = np.random.default_rng(3)
    crust = rng.uniform(0.0, 0.45, (H, W)).astype(np.float32)           # ocean floor
    crust[2:6, 4:12] = rng.uniform(0.5, 2.5, (4, 8)).astype(np.float32)  # a continent
    old = crust.copy()
    vol = float((old.astype(np.float64) * a).sum())
    gain = 1.5
    boundaries.conserve_crust(vol - gain, crust, np.zeros((H, W), np.float32), area, 3.0)
    assert float((crust.astype(np.float64) * a).sum()) == pytest.approx(vol - gain, rel=1e-6)
    assert np.array_equal(crust >= 0.5, old >= 0.5)                     # no cell changes type
    assert np.array_equal(crust[old < 0.5], old[old < 0.5])             # ocean floor untouched
    cont = old >= 0.5
    excess = float(((old.astype(np.float64) - 0.5) * a)[cont].sum())
    expect = old.astype(np.float64) - (old.astype(np.float64) - 0.5) * gain / excess
    np.testing.assert_allclose(crust[cont], expect[cont], rtol=1e-6)
    # a gain larger than all the continents' excess leaves them at 1/2, not below
    crust = old.copy()
    boundaries.conserve_crust(vol - 10 * excess, crust, np.zeros((H, W), np.float32), area, 3.0)
    assert (crust[cont] == np.float32(0.5)).all() and np.array_equal(crust[~cont], old[~cont])


def test_no_east_west_streaks_near_the_poles(young_world):
    """Content rides on markers (``lithosphere.drift``), so the cells of a polar row, narrower than
    the frame cells their crust came from, do not copy one another's elevation: beyond 65° of
    latitude no more cells equal their west neighbour than within 50° of the equator. (With the
    frame's holders, before the markers, seed 0 at 128 columns and 60 s measured 55 % against 20 %.)"""
    z = young_world.state.elevation
    H = z.shape[0]
    lat = np.abs(90 - 180 * (np.arange(H) + 0.5) / H)
    same = z == np.roll(z, 1, axis=1)
    polar, low = same[lat > 65].mean(), same[lat < 50].mean()
    assert polar <= low + 0.02, (polar, low)


@pytest.mark.parametrize("n", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
def test_implicit_stream_power_solves_its_equation(n):
    """``x + f xⁿ = h`` with ``0 ≤ x ≤ h``, checked by putting x back into the equation."""
    from planet.processes.lithosphere.stream_power import implicit_height
    rng = np.random.default_rng(int(10 * n))
    for h, f in zip(rng.uniform(1e-4, 20.0, 200), 10.0 ** rng.uniform(-6, 4, 200)):
        x = implicit_height(h, f, n)
        assert 0.0 <= x <= h
        if n == 0.0:
            assert x == pytest.approx(max(h - f, 0.0), abs=1e-12)
        else:
            assert x + f * x ** n == pytest.approx(h, rel=1e-9, abs=1e-12)
    assert implicit_height(3.0, 0.0, n) == 3.0                 # no erosion without rain or time


def test_stream_power_reads_at_least_the_area_of_a_cell_at_48_degrees():
    """Stream power erodes a cell by ``s0 K max(A, A_48)^m / L^n`` (``stream_power.coefficients``), with
    ``A_48`` the smallest cell of the D8 rows (``round(1/cos φ) = 1``: within 48.19° of the equator),
    here from the sphere's zone areas: a polar cell that drains only itself erodes as a cell at 48°
    would, one of the D8 rows by its own area."""
    from planet.processes.lithosphere import stream_power as sp
    H, W = 128, 256
    metrics = lithosphere.Metrics(H, W, Config().lithosphere)
    edge = np.radians(90 - 180 * np.arange(H + 1) / H)
    zone = (2 * np.pi / W) * (np.sin(edge[:-1]) - np.sin(edge[1:])) / (2 * np.pi / 512) ** 2   # L0² per cell
    d8 = np.cos(np.radians(90 - 180 * (np.arange(H) + 0.5) / H)) > 2 / 3
    assert metrics.area_floor == pytest.approx(zone[d8].min(), rel=1e-6)
    state = np.zeros(H * W, np.uint8)
    rows = (0, 10, 29, 30, H // 2)                  # 89.3°, 75.2°, 48.5° (m = 2), 47.1° (m = 1), 0.7°
    for j in rows:
        state[j * W + 7] = sp.ERODE
    true_area = np.repeat(metrics.area, W)          # every cell drains only itself
    rdir = np.full(H * W, 4, np.int8)               # south: one cell height away
    out = np.zeros(H * W)
    m_exp, n_exp, factor = 0.5, 1.0, 0.05
    sp.coefficients(state, true_area.astype(np.float32), rdir, metrics.inv_dist, W, factor, np.float32(m_exp),
                    np.float32(n_exp), metrics.area, metrics.area_floor, out)
    for j in rows:
        want = factor * max(zone[j], zone[d8].min()) ** m_exp / metrics.dy ** n_exp
        assert out[j * W + 7] == pytest.approx(want, rel=1e-5), j
    assert out[0 * W + 7] == out[29 * W + 7] == out[30 * W + 7]    # the floor is the cell at 47.1°
    assert out[(H // 2) * W + 7] > out[30 * W + 7]


def test_drainage_area_is_the_upstream_area_in_km2():
    """The field ``drainage_area`` is the area (km², on a 6371 km sphere) of the routed cells whose
    flow passes through a cell, itself included: a brute-force walk down every river adding each
    cell's own area agrees on every land cell. So at a river mouth it is the area of its basin,
    and a polar cell, a sliver of the sphere, adds almost nothing (its cell count added one)."""
    from planet.processes.lithosphere import drainage
    from .naive_lithosphere import accumulate as brute_accumulate
    w = planet.Planet(resolution=RES, seed=3, stages=("lithosphere",))
    s = w.run(until=60)
    D = np.float32(Timeline(s.config.schedule).sea_level(s.time))
    cfg = s.config.lithosphere
    z0 = s.elevation.astype(np.float32)
    level = np.float32(D - np.float32(cfg.shore))
    rcv, rdir = drainage.receivers(z0, level)
    count, order, fixed = drainage.accumulate(rcv)
    _, z1, a1, _, _ = lithosphere.surface(s.fields["plate"], s.uplift, z0, fixed, rdir, sea_level=D,
                                          ocean_fill=1.0, tectonic=True, config=cfg, crust=s.fields["crust"])
    own = np.broadcast_to(s.grid.area_km2, s.shape)
    want = brute_accumulate(fixed, own)
    kept = a1 > 0                                     # routed before the step, land or shore after uplift
    assert kept.sum() > 0.2 * kept.size and (count[kept] > 0).all()
    assert np.allclose(a1[kept], want[kept], rtol=2e-5)
    assert kept[(z1 >= D) & (count > 0)].all()        # every routed cell that is land after the step
    # the mouths' areas add up to the area of the land that drains to the sea
    f = fixed.ravel()
    mouths = np.flatnonzero((f >= 0) & (f < f.size))
    mouths = mouths[f[mouths] >= 0]
    mouths = mouths[fixed.ravel()[f[mouths]] == drainage.NOT_ROUTED]
    seaward = np.zeros(f.size, bool)
    for c in np.flatnonzero(f != drainage.NOT_ROUTED):
        x = c
        while f[x] >= 0 and f[f[x]] != drainage.NOT_ROUTED:
            x = f[x]
        seaward[c] = f[x] >= 0
    assert want.ravel()[mouths].sum() == pytest.approx(own.ravel()[seaward].sum(), rel=1e-9)


def test_stream_power_is_implicit_along_the_rivers():
    """Rule 3b on a real landscape, with every other rule switched off: each eroding cell's new
    height ``z'`` above its receiver's *new* height ``z_r'`` (or sea level) solves
    ``z0 = z' + s0 K A^m ((z' − z_r') / L)ⁿ`` (A the true upstream area, at least the area of a cell
    at 48° (``Metrics.area_floor``), L the distance to the
    receiver on the sphere), and no cell ends below its receiver. An explicit update, or one
    that reads the receiver's old height, leaves residuals of the order of the erosion itself."""
    from planet.processes.lithosphere import drainage
    from planet.processes.lithosphere.metrics import Metrics
    w = planet.Planet(resolution=RES, seed=3, stages=("lithosphere",))
    s = w.run(until=40)
    D = np.float32(Timeline(s.config.schedule).sea_level(s.time))
    cfg = s.config.lithosphere.__class__(**{**s.config.lithosphere.__dict__, "thermal_erosion": 0.0, "isostasy": 0.0,
                                            "pit_fill": 0.0, "sediment": 0.0, "crust_spreading": 0.0,
                                            "stream_power": 0.5})
    z0 = s.elevation.astype(np.float32)
    level = np.float32(D - np.float32(cfg.shore))
    rcv, rdir = drainage.receivers(z0, level)
    area, order, fixed = drainage.accumulate(rcv)
    y = np.zeros_like(z0)                                        # no uplift
    _, z1, _, _, _ = lithosphere.surface(s.fields["plate"], y, z0, fixed, rdir, sea_level=D, ocean_fill=1.0,
                                         tectonic=False, config=cfg, crust=s.fields["crust"])
    H, W = z0.shape
    m = Metrics(H, W, cfg)
    true_area = np.zeros(H * W)
    f = fixed.ravel()
    for c in order:                                              # donors first: sum the true areas
        true_area[c] += m.area[c // W]
        if f[c] >= 0 and f[f[c]] != drainage.NOT_ROUTED:
            true_area[f[c]] += true_area[c]
    zf0, zf1, d = z0.ravel().astype(np.float64), z1.ravel().astype(np.float64), rdir.ravel()
    checked = eroded = 0
    for c in order:
        r = f[c]
        if r < 0 or zf0[c] < level:
            continue
        zr = max(zf1[r], float(D))
        if zf0[c] <= zr:                                         # at or below its receiver (or the sea)
            assert zf1[c] == zf0[c]
            continue
        assert zf1[c] >= zr                                      # never cut below the receiver
        L = 1.0 / float(m.inv_dist[c // W, d[c]])
        A = max(true_area[c], float(m.area_floor))                  # (at least the cell at 48°)
        rate = cfg.stream_power * A ** cfg.area_exponent * ((zf1[c] - zr) / L) ** cfg.slope_exponent
        assert zf1[c] + rate == pytest.approx(zf0[c], rel=2e-6, abs=2e-5), c
        checked += 1
        eroded += zf0[c] - zf1[c] > 1e-3
    assert checked > 500 and eroded > 100, (checked, eroded)
