"""Night lights are points: seeded, density-weighted, fixed on the sphere from frame to frame,
brighter on coasts and rivers, fewer and dimmer with heat stress; the same on both backends.

The pictures are maps of a 64-row world at 0.23 degrees per pixel (1536 x 768), fine enough for a
light (σ = 0.15°) to be a point of a pixel or two; at coarser sizes they add up to a glow.
"""
import numpy as np
import pytest
from planet.render import globe, view
from planet.render import synthetic as syn
from planet.render.backend import get_backend
from planet.render.scene import lights_seed

ROWS = 64
SIZE = (1536, 768)
PER_CELL = SIZE[0] // (2 * ROWS)          # pixels per cell side


@pytest.fixture(scope="module")
def state():
    return syn.synthetic_state(ROWS)


def lit(img):
    """Pixels holding a light: the night ground is near black (red <= 30), a light's core is warm white."""
    return img[..., 0].astype(int) > 120


def cells_to_pixels(mask):
    return np.repeat(np.repeat(mask, PER_CELL, axis=0), PER_CELL, axis=1)


def eroded(mask):
    """The pixels whose 5 x 5 neighbourhood is all in ``mask``: what is left of patches, not of points."""
    out = mask.copy()
    for dj in range(-2, 3):
        for di in range(-2, 3):
            out &= np.roll(np.roll(mask, dj, 0), di, 1)
    return out


@pytest.fixture(scope="module")
def night(state):
    return view(state, "night", size=SIZE, backend="cpu")


def test_lit_share_of_settled_land_is_points_not_patches(state, night):
    settled = cells_to_pixels(state.humans > 0.5)
    on = lit(night)
    share = on[settled].sum() / settled.sum()
    assert 0.05 <= share <= 0.60, share
    # points: a 5 x 5 erosion removes (nearly) every lit pixel; the cell-sized lights of before
    # (12 x 12 pixel squares here) survived it
    assert eroded(on).sum() <= 0.05 * on.sum(), (eroded(on).sum(), on.sum())
    # no light off the settled land (a light's glow reaches at most a pixel or two past it)
    near = cells_to_pixels(np.maximum.reduce([np.roll(np.roll(state.humans > 0.5, a, 0), b, 1)
                                              for a in (-1, 0, 1) for b in (-1, 0, 1)]))
    assert on[~near].sum() == 0
    # without people there is no light at all
    dark = view(state.replace(humans=np.zeros_like(state.humans)), "night", size=SIZE, backend="cpu")
    assert lit(dark).sum() == 0


def test_lights_stay_put_on_the_sphere(state, night):
    a = lit(night)
    b = lit(view(state, "night", size=SIZE, backend="cpu", time=state.time + 0.5))
    assert a.sum() > 0 and np.array_equal(a, b)
    # turning the map by 90 degrees moves every light by a quarter of the width (up to float32
    # rounding of the pixels' longitudes at the rim of a light)
    turned = lit(view(state, "night", size=SIZE, backend="cpu", lon=90.0))
    moved = np.roll(a, SIZE[0] // 4, axis=1)
    assert (moved ^ turned).sum() <= 0.01 * a.sum(), ((moved ^ turned).sum(), a.sum())


def test_lights_follow_the_seed(state, night):
    assert lights_seed(0) != lights_seed(1)
    other = lit(view(syn.synthetic_state(ROWS, seed=1), "night", size=SIZE, backend="cpu"))
    a = lit(night)
    assert 0.5 < other.sum() / a.sum() < 2.0
    assert (a & other).sum() < 0.5 * a.sum()          # other places


def _lights_count(img):
    """Lit pixels with no lit pixel before them in reading order among their 8 neighbours: ~ points."""
    on = lit(img)
    first = on.copy()
    for dj, di in ((0, 1), (1, -1), (1, 0), (1, 1)):
        first &= ~np.roll(np.roll(on, dj, 0), di, 1)
    return int(first.sum())


def test_lights_are_density_weighted(state, night):
    full = _lights_count(night)
    few = _lights_count(view(state.replace(humans=state.humans * 0.3), "night", size=SIZE, backend="cpu"))
    # a site is a city with chance L ∝ the settlement: 0.3 of the people, about 0.3 of the lights
    # (and dimmer ones: fewer reach the lit threshold)
    assert 0.05 < few / full < 0.45, (few, full)


def test_lights_dim_and_thin_with_heat_stress(state):
    def light(T):
        """The picture at temperature T everywhere, and the light people add to it (blue channel: the
        heat stress tints settled ground red, with 0.02 blue, about the ground's own)."""
        hot = state.replace(temperature=np.full_like(state.temperature, T))
        img = view(hot, "night", size=SIZE, backend="cpu")
        dark = view(hot.replace(humans=np.zeros_like(state.humans)), "night", size=SIZE, backend="cpu")
        return img, (img[..., 2].astype(float) - dark[..., 2].astype(float)).sum()

    warm, g_warm = light(20.0)
    hot, g_hot = light(45.0)
    assert g_warm > 0
    # L × 0.3 at 45 °C: 0.3 of the lights, each dimmer
    assert g_hot < 0.4 * g_warm, (g_hot, g_warm)
    assert _lights_count(hot) < 0.5 * _lights_count(warm)


def test_coasts_and_rivers_are_brighter(state):
    # people all over the continent: the coast (one cell wide) holds more lights per area than the interior
    land = state.elevation > 7.2
    img = view(state.replace(humans=land.astype(np.float32), drainage_area=np.ones_like(land, np.float32)),
               "night", size=SIZE, backend="cpu")
    coast = land & ~np.minimum.reduce([np.roll(land, 1, 0), np.roll(land, -1, 0), np.roll(land, 1, 1),
                                       np.roll(land, -1, 1)])
    inland = land & ~coast
    on = lit(img)
    share_coast = on[cells_to_pixels(coast)].mean()
    share_inland = on[cells_to_pixels(inland)].mean()
    assert share_coast > 1.5 * share_inland, (share_coast, share_inland)
    # a river (the synthetic world's, drainage area up to 1000 cells) draws more lights along it
    rivered = view(state.replace(humans=land.astype(np.float32)), "night", size=SIZE, backend="cpu")
    river = (state.drainage_area > np.exp(5.5) * state.grid.equator_cell_km2) & ~coast
    assert river.sum() > 3
    assert lit(rivered)[cells_to_pixels(river)].mean() > 1.5 * share_inland


def test_globe_night_side_shows_points(state):
    # the settled disc (20° N, 90° E) on the night side at this time; the lights are what people add
    kw = {"lat": 20.0, "lon": 90.0, "size": (720, 720), "backend": "cpu", "time": state.time, "atmosphere": False,
          "daynight": True}
    img = globe(state, **kw)
    dark = globe(state.replace(humans=np.zeros_like(state.humans)), **kw)
    on = img[..., 1].astype(int) - dark[..., 1].astype(int) > 60
    assert on.sum() > 50
    assert eroded(on).sum() <= 0.05 * on.sum(), (eroded(on).sum(), on.sum())


def test_both_backends_draw_the_same_lights(state, night):
    try:
        get_backend("gpu")
    except RuntimeError as e:
        pytest.skip(f"no OpenGL context here: {e}")
    gpu = view(state, "night", size=SIZE, backend="gpu")
    a, b = lit(night), lit(gpu)
    assert a.sum() > 0
    assert (a ^ b).sum() <= 0.02 * a.sum(), ((a ^ b).sum(), a.sum())
    assert np.abs(night.astype(int) - gpu.astype(int)).mean() <= 1.0


def _uncut(S, lat, lon, pixel):
    """``lights._lights`` evaluated in float64: the cities (amplitude > 0) of its 3 × 3 boxes."""
    from planet.render import lights as L

    sigma = max(float(L.LIGHT_SIGMA), 0.5 * pixel)
    lonw = lon % (2 * np.pi)
    r0 = min(max(int(np.floor((lat + np.pi / 2) / float(L.LIGHT_SPACING))), 0), L.LIGHT_ROWS - 1)
    total = 0.0
    for r in range(max(r0 - 1, 0), min(r0 + 2, L.LIGHT_ROWS)):
        n = int(L.ROW_BOXES[r])
        c0 = min(max(int(np.floor(lonw / float(L.ROW_WIDTH[r]))), 0), n - 1)
        for c in {(c0 + dc) % n for dc in (-1, 0, 1)}:
            a = float(S[r, c, 2])
            if a > 0:
                dlon = (lonw - float(S[r, c, 1]) + np.pi) % (2 * np.pi) - np.pi
                d2 = (lat - float(S[r, c, 0])) ** 2 + (dlon * np.cos(lat)) ** 2
                total += a * np.exp(-0.5 * d2 / sigma ** 2)
    return total * float(L.LIGHT_GAIN) * (float(L.LIGHT_SIGMA) / sigma) ** 2


def test_lights_are_the_gaussians_of_the_nearby_cities_summed_in_float64(state):
    """``_lights`` (float32, every box's site summed, a non-city's at amplitude +0) against the
    Gaussians of the cities in its 3 × 3 boxes summed in float64, at points scattered over settled
    land and at the sites themselves, for σ = ``LIGHT_SIGMA`` and a σ set by a coarse pixel: within
    a millionth. (Dropping the lights below e^-4 of their peak already misses by 0.03 here.)"""
    from planet.render import lights as L

    rng = np.random.default_rng(3)
    C = np.zeros((ROWS, 2 * ROWS, 4), np.float32)
    C[..., 3] = rng.random((ROWS, 2 * ROWS), dtype=np.float32)
    S = np.zeros((L.LIGHT_ROWS, L.LIGHT_BOXES, 3), np.float32)
    L.light_sites(C, lights_seed(0), S)
    lit_sites = np.argwhere(S[..., 2] > 0)
    assert len(lit_sites) > 1000
    pick = lit_sites[rng.choice(len(lit_sites), 300, replace=False)]
    points = [(float(S[r, c, 0]), float(S[r, c, 1])) for r, c in pick]            # at a site
    points += [(float(S[r, c, 0]) + d, float(S[r, c, 1]) + e)                     # near one
               for (r, c), d, e in zip(pick, rng.normal(0, 0.006, 300), rng.normal(0, 0.006, 300))]
    errors = []
    for pixel in (0.001, 0.006):                     # σ = LIGHT_SIGMA, and σ set by a coarse pixel
        for lat, lon in points:
            lat = float(np.clip(lat, -1.5, 1.5))
            got = float(L._lights(S, np.float32(lat), np.float32(lon), np.float32(pixel)))
            want = _uncut(S, float(np.float32(lat)), float(np.float32(lon)), pixel)
            errors.append(abs(got - want) - 1e-6 * want)      # float32 rounding: a millionth relative
    assert max(errors) <= 1e-6, max(errors)
