"""The renderer's shortcuts for the film's cost (issue 13) draw exactly the pixels of the plain way."""
import numpy as np
from numba import njit

from planet.render import projection

f32 = np.float32


@njit(cache=False)
def _levels(c, n):
    out = np.empty(c.size, np.int64)
    for k in range(c.size):
        out[k] = projection._level(c[k], n)
    return out


def test_gamma_level_is_the_branching_rule_for_every_kind_of_float():
    """``_level`` (two selects) gives the index of the rule it replaced: 0 for c <= 0 and NaN, n for
    c >= 1, else int(c n + 1/2) in float32, over every 37th float32 in [0, 1], the floats around
    0, 1 and the rounding edges, negatives, huge values, infinities and NaN."""
    n = f32(projection.LUT_SIZE)
    bits = np.arange(0, np.float32(1.0).view(np.uint32) + 4096, 37, dtype=np.uint32)
    edges = (np.arange(projection.LUT_SIZE + 1, dtype=np.float32) - f32(0.5)) / n
    near = np.concatenate([np.nextafter(edges, f32(-1.0)), edges, np.nextafter(edges, f32(2.0))])
    rng = np.random.default_rng(0)
    c = np.concatenate([bits.view(np.float32), near, -bits[::7].view(np.float32), rng.uniform(-2, 3, 100000),
                        [np.nan, -np.nan, np.inf, -np.inf, 1e30, -1e30, 1.0, 0.0, -0.0, 1e-45, -1e-45]]).astype(f32)
    with np.errstate(invalid="ignore", over="ignore"):
        middle = (c * n + f32(0.5)).astype(np.int64)
    ref = np.where(~(c > 0), 0, np.where(c >= 1, int(n), middle))
    assert np.array_equal(_levels(c, n), ref)

