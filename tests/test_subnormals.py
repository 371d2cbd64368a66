"""The decaying fields never hold subnormal floats (``planet.processes.zeros.ZERO_BELOW``).

Subnormal floats (below 1.2e-38) cost x86 cores about a hundred cycles an operation; the vapour's
rain-out, a trail's fading and the soil's drying shrink values step after step and used to leave
them in a real world's vapour, rain, trails and moisture. Values below ``ZERO_BELOW`` are written as
+0; values above it are the same as without the floor."""
from __future__ import annotations

import numpy as np

from planet.core.config import Config
from planet.processes.atmosphere import trails_step
from planet.processes.climate import climate_map
from planet.processes.life.kernel import life_step
from planet.processes.life.stage import local_constants
from planet.processes.vapour import vapour_step
from planet.processes.zeros import ZERO_BELOW

f32 = np.float32
H, W = 32, 64
TINY = np.finfo(f32).tiny


def subnormal(a):
    return int(((a != 0) & (np.abs(a) < TINY)).sum())


def tiny_values(seed):
    """Positive float32 values log-uniform from 1e-44 (subnormal) to 1: a few hundred under the floor."""
    e = np.random.default_rng(seed).uniform(-44, 0, (H, W))
    return (10.0 ** e).astype(f32)


def test_vapour_and_rain_hold_no_subnormal_floats():
    """One vapour step of a dry, calm world whose vapour runs from subnormal to 1: the rain-out halves
    every cell's vapour. The vapour and the rain are the halves, exactly, where those are at least
    ``ZERO_BELOW``, and +0 below it (never a subnormal); the rain takes what the vapour loses."""
    w0 = tiny_values(1)
    assert subnormal(w0) > 50
    zero = np.zeros((H, W), f32)
    cm = climate_map(H, W)
    src = np.zeros((3, *cm.shape), f32)
    w_out, c_out, rain = (np.empty((H, W), f32) for _ in range(3))
    elevation = np.full((H, W), 10.0, f32)          # land above the shore: no ocean source
    vapour_step(w0, zero, True, w_out, c_out, rain, zero, elevation, zero, zero, zero, zero, zero, zero, src,
                cm.row0, cm.row1, cm.row_w, cm.col0, cm.col1, cm.col_w, f32(7.0), f32(W / 512), f32(0.5),
                f32(0.0), f32(3.0), f32(0.0), f32(0.0), f32(3.0), False, f32(0.0), f32(0.0), f32(1.0), f32(0.0))
    half = w0 - f32(0.5) * w0                       # the pass's own arithmetic: w − min(max(0.5, 0), 1) · w
    assert subnormal(w_out) == 0 and subnormal(rain) == 0
    above = half >= ZERO_BELOW
    np.testing.assert_array_equal(w_out[above], half[above])
    assert (w_out[~above] == 0).all() and (~above).sum() > 100
    lost = w0 - w_out
    np.testing.assert_array_equal(rain[lost >= ZERO_BELOW], lost[lost >= ZERO_BELOW])
    assert (rain[lost < ZERO_BELOW] == 0).all()


def test_fading_trails_hold_no_subnormal_floats():
    """Trails fade by 0.96 a step without new heads: after 300 steps no value is subnormal, and each is
    ``0.96^300`` times its start (as the steps' products) or +0 once that fell below ``ZERO_BELOW``."""
    t = tiny_values(2) * f32(0.99)                   # below 1: no heads
    start = t.copy()
    calm = np.zeros((H, W), f32)
    expected = start.copy()
    for s in range(300):
        t = trails_step(t, calm, calm, fade=0.96, death=0.0, birth=0.0, seed=0, step=s)
        expected = expected * f32(0.96)
        expected[expected < ZERO_BELOW] = 0
    assert subnormal(t) == 0
    np.testing.assert_array_equal(t, expected)
    assert (t > 0).sum() > 100 and (t == 0).sum() > 100


def test_drying_soil_holds_no_subnormal_floats():
    """Soil moisture from subnormal to 1 on warm land with no vapour nor rain: one life step dries it
    (``m ← m (1 − loss m T)``); no value is subnormal, and the moistures above the floor are those of
    the rule evaluated in NumPy."""
    m0 = tiny_values(3)
    assert subnormal(m0) > 50
    cfg = Config().life
    k = local_constants(cfg, f32(0.0))
    zero = np.zeros((H, W), f32)
    land = np.full((H, W), 1.0, f32)
    warm = np.full((H, W), 20.0, f32)
    out = [np.empty((H, W), f32) for _ in range(5)]
    pops = [np.full((H, W), 0.5, f32) for _ in range(3)]
    initial = np.ones((3, H, W), f32)
    life_step(np.zeros(1, np.int64), False, m0, *pops, zero, land, warm, zero, zero, initial, 0, 1, 0.0, False, False,
              False, True, k, f32(0.0), f32(0.0), f32(0.0), *out)
    m = out[0]
    dried = m0 * (f32(1.0) - f32(cfg.moisture_loss) * m0 * f32(15.0))
    assert subnormal(m) == 0
    above = dried >= ZERO_BELOW
    np.testing.assert_array_equal(m[above], dried[above])
    assert (m[~above] == 0).all() and (~above).sum() > 100
