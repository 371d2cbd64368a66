"""The fused per-row kernels (issue 13) against the separate passes they replace, bit for bit.

Each fused pass must give exactly what the separate kernels give: the semi-Lagrangian advection of
``atmosphere._advect_pair`` followed by the sources and sinks; a copy of the fields taken at the
plates' source cells followed by the local life rules; the local rules followed by the land
diffusion of ``life.diffusion``; the climate map's box average and wind against plain loops; the
up-sampling that reads the climate columns in order against the gather.
"""
import numpy as np
import pytest

from planet.processes.atmosphere import _advect_pair
from planet.processes.climate import box_average, climate_map, wind
from planet.processes.life import diffuse
from planet.processes.life.kernel import life_step
from planet.processes.life.stage import local_constants
from planet.processes.vapour import divergence, vapour_step
from planet.core.config import Config

f32 = np.float32
H, W = 64, 128


def _fields(seed, zero_wind=True):
    rng = np.random.default_rng(seed)
    r = lambda lo, hi: (lo + (hi - lo) * rng.random((H, W))).astype(f32)   # noqa: E731
    u, v = r(-2, 2), r(-2, 2)
    if zero_wind:            # calm cells (|v| = 0), a NaN and an infinite wind: no division may fail
        u[5, :7] = 0
        v[5, :7] = 0
        u[9, 3], v[20, 4] = np.nan, np.inf
    return dict(vapour=r(0, 3), co2=r(0, 1), rain=r(0, 0.02), elevation=r(0, 14), humans=(r(0, 1) > 0.9).astype(f32),
                moisture=r(0, 5), temperature=r(-10, 40), wind_u=u, wind_v=v)


def _vapour(f, advect, vapour, co2, with_co2, transpiration, upslope, lift_scale, scale=W / 512, vmax=1.0,
            src=None, source_zero=False):
    cm = climate_map(H, W)
    if src is None:
        src = (np.random.default_rng(1).random((3, *cm.shape)) * 0.02 - 0.005).astype(f32)
    out = [np.empty((H, W), f32) for _ in range(3)]
    vapour_step(vapour, co2, advect, *out, f["rain"], f["elevation"], f["elevation"], f["humans"], f["moisture"],
                f["temperature"], f["wind_u"], f["wind_v"], src, cm.row0, cm.row1, cm.row_w, cm.col0, cm.col1,
                cm.col_w, f32(7.0), f32(scale), f32(0.005), f32(0.3), f32(3.0), f32(0.015), f32(0.01),
                f32(3.0), with_co2, f32(transpiration), f32(upslope), f32(vmax), f32(lift_scale), False, source_zero)
    return out


@pytest.mark.parametrize("with_co2, transpiration, upslope, lift_scale",
                         [(True, 0.5, 1.0, 0.0), (False, 0.0, 0.0, 0.0), (True, 0.5, 0.5, 3.6)])
def test_fused_vapour_step_equals_advection_then_sources(with_co2, transpiration, upslope, lift_scale):
    f = _fields(0)
    fused = _vapour(f, True, f["vapour"], f["co2"], with_co2, transpiration, upslope, lift_scale)
    w_adv, c_adv = _advect_pair(f["vapour"], f["co2"], f["wind_u"], f["wind_v"], f32(W / 512), f32(1.0), with_co2)
    apart = _vapour(f, False, w_adv, c_adv, with_co2, transpiration, upslope, lift_scale)
    for a, b in zip(fused, apart):
        np.testing.assert_array_equal(a, b)
    calm = np.isfinite(f["wind_u"]) & np.isfinite(f["wind_v"])      # (a NaN wind's lift is NaN, as before)
    w = fused[0][calm]
    assert np.isfinite(w).all() and (w >= 0).all() and (w <= 3).all()
    assert (fused[1] == 0).all() != with_co2            # CO2 only moves when it is carried


@pytest.mark.parametrize("scale, vmax", [(1.0, 1.0), (1.0, 0.7), (2.0, 1.0), (1.0, 1.3)])
def test_fused_advection_from_the_nine_cells_around_equals_the_gather(scale, vmax):
    """Where the wind moves at most a cell a step (``scale · vmax ≤ 1``) the fused pass takes each sample's
    corners from the nine cells around it (``vapour._near_row``) and gathers the rows where one is not:
    the same bits as ``_advect_pair``'s gather in every case, a departure point on the next column east
    (``u = −2``, ``v = 0``: one cell), on the next row, and winds of more than a cell (``scale · vmax > 1``)."""
    f = _fields(11)
    u, v = f["wind_u"], f["wind_v"]
    u[12, 3:40], v[12, 3:40] = -2, 0             # departure point on the column east of the cell (x = i + 1)
    u[30, 50:90], v[30, 50:90] = 2, 0            # ... west
    u[40, 10:20], v[40, 10:20] = 0, 2            # ... on the next row: that row is gathered
    u[44, :], v[44, :] = 0, -2
    u[50, 0], u[50, W - 1] = 2, -2               # the end cells, whose corners wrap
    fused = _vapour(f, True, f["vapour"], f["co2"], True, 0.5, 1.0, 0.0, scale, vmax)
    w_adv, c_adv = _advect_pair(f["vapour"], f["co2"], u, v, f32(scale), f32(vmax), True)
    apart = _vapour(f, False, w_adv, c_adv, True, 0.5, 1.0, 0.0, scale, vmax)
    for a, b in zip(fused, apart):
        np.testing.assert_array_equal(a, b)


def test_vapour_step_leaves_out_a_source_everywhere_that_is_zero():
    """After ocean end the early oceans' source (``sources[0]``) is +0 everywhere: with ``source_zero`` the pass
    does not blend it, and gives the same bits as blending it. The flag is checked, not trusted: with a nonzero
    source it changes nothing, and the source counts (the result differs from the zero source's)."""
    f = _fields(13)
    cm = climate_map(H, W)
    src = (np.random.default_rng(2).random((3, *cm.shape)) * 0.02 - 0.005).astype(f32)
    src[0] = 0
    blended = _vapour(f, True, f["vapour"], f["co2"], True, 0.5, 1.0, 0.0, src=src)
    skipped = _vapour(f, True, f["vapour"], f["co2"], True, 0.5, 1.0, 0.0, src=src, source_zero=True)
    for a, b in zip(blended, skipped):
        np.testing.assert_array_equal(a, b)
    zero_source = blended[0]
    src[0, 5:9, 3:40] = 0.01            # a source in a few cells of the climate map only
    blended = _vapour(f, True, f["vapour"], f["co2"], True, 0.5, 1.0, 0.0, src=src)
    flagged = _vapour(f, True, f["vapour"], f["co2"], True, 0.5, 1.0, 0.0, src=src, source_zero=True)
    for a, b in zip(blended, flagged):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(blended[0], zero_source)


def test_divergence_of_the_clamped_wind_by_hand():
    f = _fields(2, zero_wind=False)
    u, v = f["wind_u"][:32, :64], f["wind_v"][:32, :64]
    s = np.sqrt(u * u + v * v)
    k = np.where(s > 1, f32(1) / s, f32(1)).astype(f32)
    cu, cv = np.where(s > 1, u * k, u), np.where(s > 1, v * k, v)
    north = np.vstack([-np.roll(cv[:1], 32, axis=1), cv[:-1]])
    south = np.vstack([cv[1:], -np.roll(cv[-1:], 32, axis=1)])
    ref = (np.roll(cu, -1, axis=1) - np.roll(cu, 1, axis=1)) * f32(0.5) + (north - south) * f32(0.5)
    np.testing.assert_allclose(divergence(u, v, f32(1.0)), ref, rtol=0, atol=1e-6)


def _life(f, src, ride, init=False, rates=(0.025, 0.05, 0.1), humans_on=True):
    cfg = Config().life
    out = [np.empty((H, W), f32) for _ in range(5)]
    initial = (np.random.default_rng(5).random((3, H, W)) * 2).astype(f32)
    pops = [np.random.default_rng(6 + k).random((H, W)).astype(f32) * 2 for k in range(3)]
    life_step(src, ride, f["moisture"], *pops, f["humans"], f["elevation"], f["temperature"], f["vapour"] * 0.003,
              f["rain"], initial, 0, 9000, 0.01, init, True, humans_on, False, local_constants(cfg, f32(7.0)),
              *(f32(r) for r in rates), *out)
    return out


@pytest.mark.parametrize("init", [False, True])
def test_life_riding_in_the_pass_equals_a_ridden_copy(init):
    f = _fields(3)
    f["vapour"] = f["vapour"] * 0           # the vapour is not ridden; keep it simple
    src = np.random.default_rng(4).integers(0, H * W, H * W).astype(np.int64)
    fused = _life(f, src, True, init)
    rng_pops = [np.random.default_rng(6 + k).random((H, W)).astype(f32) * 2 for k in range(3)]
    ridden = dict(f, moisture=f["moisture"].ravel()[src].reshape(H, W), humans=f["humans"].ravel()[src].reshape(H, W))
    cfg = Config().life
    out = [np.empty((H, W), f32) for _ in range(5)]
    initial = (np.random.default_rng(5).random((3, H, W)) * 2).astype(f32)
    life_step(np.zeros(1, np.int64), False, ridden["moisture"], *(p.ravel()[src].reshape(H, W) for p in rng_pops),
              ridden["humans"], f["elevation"], f["temperature"], f["vapour"] * 0.003, f["rain"], initial, 0, 9000,
              0.01, init, True, True, False, local_constants(cfg, f32(7.0)), f32(0.025), f32(0.05), f32(0.1), *out)
    for a, b in zip(fused, out):
        np.testing.assert_array_equal(a, b)
    new = (fused[4] == 1) & (ridden["humans"] == 0)
    assert new.any()                     # new settlements: the settling paths ran


def test_life_diffusion_in_the_pass_equals_the_separate_diffusion():
    f = _fields(7)
    f["humans"] = f["humans"] * 0           # no settlements: the predators' floor then never applies
    none = np.zeros(1, np.int64)
    local = _life(f, none, False, rates=(0, 0, 0), humans_on=False)
    fused = _life(f, none, False, humans_on=False)
    land = f["elevation"] >= f32(7.0)
    V, R, X = diffuse(local[1], local[2], local[3], land, (0.025, 0.05, 0.1), local[4])
    np.testing.assert_array_equal(fused[0], local[0])
    for a, b in zip(fused[1:4], (V, R, X)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(V, local[1])       # the diffusion did something


def test_box_average_by_hand():
    rng = np.random.default_rng(8)
    for shape, fac in (((64, 128), 2), ((64, 128), 4), ((37, 75), 4), ((36, 72), 3), ((64, 128), 8),
                       ((45, 99), 8)):
        a = rng.random(shape, dtype=np.float32)
        Hc, Wc = -(-shape[0] // fac), -(-shape[1] // fac)
        ref = np.empty((Hc, Wc), np.float32)
        for jc in range(Hc):
            for ic in range(Wc):
                s = np.float32(0)
                for j in range(jc * fac, min(jc * fac + fac, shape[0])):
                    for i in range(ic * fac, min(ic * fac + fac, shape[1])):
                        s = np.float32(s + a[j, i])
                n = (min(jc * fac + fac, shape[0]) - jc * fac) * (min(ic * fac + fac, shape[1]) - ic * fac)
                ref[jc, ic] = s / np.float32(n)
        np.testing.assert_array_equal(box_average(a, fac), ref)


def test_wind_on_a_calm_map_is_calm_and_clamped_elsewhere():
    p = np.full((32, 64), 1012.0, np.float32)
    lat = np.linspace(80, -80, 32).astype(np.float32)
    u, v = wind(p, lat, 15.0, 1.0)          # zero gradient: |v| = 0, no division by zero
    assert (u == 0).all() and (v == 0).all()
    p += (np.arange(64) * 3.0).astype(np.float32)[None, :]
    u, v = wind(p, lat, 15.0, 1.0)
    assert np.sqrt(u * u + v * v).max() <= 1.0 + 1e-6


@pytest.mark.parametrize("rows, columns", [(32, 64), (37, 74), (64, 128), (128, 256), (512, 1024), (1024, 2048),
                                          (37, 75)])
def test_upsample_reading_climate_columns_in_order_equals_the_gather(rows, columns):
    """``coarse.expand_row`` (the climate columns read in order where the grid is 2, 4 or 8 times the map)
    gives the gather's ``tmp[col0] (1 − w) + tmp[col1] w`` bit for bit; irregular maps use the gather."""
    from numba import njit

    from planet.processes.climate.coarse import column_pattern, expand_parts, upsample

    cm = climate_map(rows, columns)
    Hc, Wc = cm.shape
    expected = {64: 2, 74: 2, 128: 2, 256: 2, 1024: 4, 2048: 8, 75: 0}[columns]     # 75 columns: 38 climate ones
    f = njit(lambda a, b, c, d: column_pattern(a, b, c, d))(cm.col0, cm.col1, cm.col_w, Wc)
    assert f == expected
    coarse = np.random.default_rng(rows).standard_normal((3, Hc, Wc)).astype(f32)
    coarse[0, 1, 2] = -0.0
    one = f32(1.0)
    rows_blend = (coarse[:, cm.row0, :] * (one - cm.row_w)[None, :, None]
                  + coarse[:, cm.row1, :] * cm.row_w[None, :, None])
    naive = rows_blend[:, :, cm.col0] * (one - cm.col_w) + rows_blend[:, :, cm.col1] * cm.col_w
    assert upsample(coarse, cm).tobytes() == naive.astype(f32).tobytes()
    # the vapour pass's two terms apart (``expand_parts``), read in order and gathered
    parts = njit(lambda t, e, f_, a, b, c, lo, hi: expand_parts(t, e, f_, a, b, c, lo, hi))
    row = coarse[0, 1]
    got = [np.empty(columns, f32) for _ in range(4)]
    ext = np.empty(Wc + 2, f32)
    parts(row, ext, f, cm.col0, cm.col1, cm.col_w, got[0], got[1])
    parts(row, ext, 0, cm.col0, cm.col1, cm.col_w, got[2], got[3])
    assert got[0].tobytes() == got[2].tobytes() and got[1].tobytes() == got[3].tobytes()
    assert got[2].tobytes() == (row[cm.col0] * (one - cm.col_w)).astype(f32).tobytes()


def test_zero_bits_agrees_with_any_and_kept_zeros_sees_edits():
    from planet.processes.zeros import KeptZeros, zero_bits

    cases = {"zeros": np.zeros((4, 8), f32), "minus zero": np.full((4, 8), -0.0, f32),
             "one value": np.zeros((4, 8), f32), "nan": np.zeros((4, 8), f32), "tiny": np.zeros((4, 8), f32)}
    cases["one value"][3, 7] = 2.5
    cases["nan"][1, 2] = np.nan
    cases["tiny"][0, 0] = np.float32(1e-45)            # a subnormal: nonzero
    # several of or_bits' blocks: a value in the last block only, −0 before a value, −0 in the last only
    for name, at, value in (("late value", -1, 2.5), ("minus zero, then a value", 0, -0.0),
                            ("late minus zero", -1, -0.0)):
        cases[name] = np.zeros((100, 200), f32)
        cases[name].ravel()[at] = value
    cases["minus zero, then a value"].ravel()[15000] = 1.0
    for name, a in cases.items():
        anyone, plus_zero = zero_bits(a)
        assert anyone == bool(a.any()), name
        assert plus_zero == bool((a.view(np.uint32) == 0).all()), name
    keep = KeptZeros()
    first = keep(np.ones((2, 3), f32), True, (2, 3))     # not the array it returned: a new one
    assert not first.any() and first.shape == (2, 3)
    assert keep(first, True, (2, 3)) is first           # still +0: returned again
    first[0, 0] = -0.0                                  # someone wrote into it: new zeros
    second = keep(first, zero_bits(first)[1], (2, 3))
    assert second is not first and (second.view(np.uint32) == 0).all()


@pytest.mark.parametrize("settle_window", [True, False])
def test_life_quiet_rows_equal_the_full_humans_rule(settle_window):
    """Rows whose ridden humans are all +0 and that have no humans next to them take the short path
    (+0 but for the settlement candidates); the same humans written as −0 take the full rule everywhere.
    The two must settle the same cells, decline the same and leave the same populations."""
    f = _fields(11)
    f["temperature"][:, :20] = 38.0         # hot land: the heat decline
    humans = np.zeros((H, W), f32)
    humans[10, 5:9] = 1.0                   # a few settled rows (their neighbours are near, the rest quiet)
    humans[40, 100] = 0.5
    src = np.random.default_rng(12).integers(0, H * W, H * W).astype(np.int64)
    for ride in (False, True):
        outs = []
        for zero in (f32(0.0), f32(-0.0)):
            g = dict(f, humans=np.where(humans == 0, zero, humans).astype(f32))
            cfg = Config().life
            out = [np.empty((H, W), f32) for _ in range(5)]
            initial = np.zeros((3, H, W), f32)
            pops = [np.random.default_rng(6 + k).random((H, W)).astype(f32) * 2 for k in range(3)]
            life_step(src if ride else np.zeros(1, np.int64), ride, g["moisture"] * 2, *pops, g["humans"],
                      g["elevation"], g["temperature"], g["vapour"] * 0.003, g["rain"], initial, 0, 9000, 0.05,
                      False, True, settle_window, False, local_constants(cfg, f32(7.0)), f32(0.025), f32(0.05),
                      f32(0.1), *out)
            outs.append(out)
        for a, b in zip(*outs):
            np.testing.assert_array_equal(a, b)
        if settle_window:
            assert ((outs[0][4] == 1) & (humans == 0)).sum() > 5      # new settlements in quiet rows


def test_vapour_step_with_co2_known_zero_skips_only_its_sampling():
    """``co2_zero``: a CO2 field +0 everywhere is not sampled; its advected values are +0 all the same, so
    the step gives the same bytes (emissions where people live, uptake elsewhere)."""
    f = _fields(14)
    zero = np.zeros((H, W), f32)
    cm = climate_map(H, W)
    src = (np.random.default_rng(1).random((3, *cm.shape)) * 0.02 - 0.005).astype(f32)
    outs = []
    for known in (False, True):
        out = [np.empty((H, W), f32) for _ in range(3)]
        vapour_step(f["vapour"], zero, True, *out, f["rain"], f["elevation"], f["elevation"], f["humans"],
                    f["moisture"], f["temperature"], f["wind_u"], f["wind_v"], src, cm.row0, cm.row1, cm.row_w,
                    cm.col0, cm.col1, cm.col_w, f32(7.0), f32(W / 512), f32(0.005), f32(0.3), f32(3.0), f32(0.015),
                    f32(0.01), f32(3.0), True, f32(0.5), f32(1.0), f32(1.0), f32(0.0), known)
        outs.append(out)
    for a, b in zip(*outs):
        assert a.tobytes() == b.tobytes()
    assert (outs[1][1] > 0).any()             # emitted where people live
