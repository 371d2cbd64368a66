"""Views: palettes land where the fields say (synthetic states with known features)."""
import colorsys

import numpy as np
import pytest

import planet
from planet.render import VIEWS, check_size, png_bytes, posters, to_image, view
from planet.render import synthetic as syn
from planet.render.backend import get_backend
from planet.render.scene import GAMMA

ROWS = 64
SIZE = (2 * ROWS, ROWS)          # one pixel per cell: pixel (j, i) is cell (j, i)


@pytest.fixture(scope="module")
def state():
    return syn.synthetic_state(ROWS)


def hue_of(rgb):
    r, g, b = (np.asarray(rgb, dtype=float) / 255.0) ** (1.0 / GAMMA)
    return colorsys.rgb_to_hsv(r, g, b)[0]


def hue_distance(a, b):
    d = abs(a - b) % 1.0
    return min(d, 1.0 - d)


def test_every_view_has_the_output_size_and_type(state):
    for name in VIEWS:
        img = view(state, name, size=(300, 150), backend="cpu")
        assert img.shape == (150, 300, 3) and img.dtype == np.uint8
        assert img.std() > 3, name          # not a blank picture


def test_output_size_does_not_depend_on_resolution():
    small = view(syn.synthetic_state(32), "plates", size=(256, 128), backend="cpu")
    large = view(syn.synthetic_state(128), "plates", size=(256, 128), backend="cpu")
    assert small.shape == large.shape
    # the same world at two resolutions draws nearly the same picture
    assert np.mean(np.abs(small.astype(int) - large.astype(int))) < 12


def test_ocean_cells_use_ocean_colours(state):
    img = view(state, "satellite", size=SIZE, backend="cpu")
    D = planet.Timeline().sea_level(state.time)
    z = state.elevation
    ocean = (z < D) & (np.abs(state.grid.lat)[:, None] < 30) & (state.vapour < 1e-3)
    deep, shallow = np.array([0.01, 0.02, 0.08]), np.array([0.11, 0.28, 0.51])
    expected = deep + (shallow - deep) * (3.0 / D)                       # z = 3 on the sea floor
    expected = np.floor(expected ** GAMMA * 255 + 0.5)
    got = img[ocean]
    assert ocean.sum() > 100
    assert np.abs(got - expected).max() <= 1
    land = img[(z > D + 1) & (state.temperature > 0)]
    assert len(land) > 50 and np.all(land[:, 2] <= land[:, 0])   # snow-free land is not blue


def test_a_known_plate_id_gets_its_hue(state):
    img = view(state, "plates", size=SIZE, backend="cpu")
    lat, lon = state.grid.lat[:, None], state.grid.lon[None, :]
    for q, sel in ((syn.PLATE_WEST, (lon < 170) & (lat > -45)), (syn.PLATE_EAST, (lon > 190) & (lat > -45))):
        sel = np.broadcast_to(sel, state.shape) & (state.uplift == 0)
        hues = [hue_of(p) for p in img[sel][::7]]
        assert max(hue_distance(h, q) for h in hues) < 0.03
    none = img[np.broadcast_to(lat < -55, state.shape)]
    assert np.all(np.ptp(none.astype(int), axis=1) <= 2)      # no plate: grey (white over the relief)


def test_basin_colours_follow_the_river_mouth(state):
    img = view(state, "rivers", size=SIZE, backend="cpu")
    river = state.drainage_area >= 100 * state.grid.equator_cell_km2
    assert river.sum() >= 3
    for p in img[river]:
        assert hue_distance(hue_of(p), syn.BASIN) < 0.03
    # a different mouth colour recolours the whole river
    other = state.replace(basin=np.where(state.basin == np.float32(syn.BASIN), np.float32(0.8), state.basin))
    img2 = view(other, "rivers", size=SIZE, backend="cpu")
    for p in img2[river]:
        assert hue_distance(hue_of(p), 0.8) < 0.03


def test_polar_rows_are_not_drawn_as_one_river():
    """The rivers view draws a cell's river with opacity 0.15 ln A, ``A`` its drainage area in
    equatorial cells. Around a pole the last rows' cells are slivers that route east-west into
    one another; counted in cells their chain made every polar cell a river hundreds of cells
    large, a band along the map's bottom edge (share of land cells drawn with opacity > 0.3:
    0.89 beyond 80° against at most 0.33 in any row at 30-70°, seed 0 at 128 columns, story end).
    In area they are drawn as the small rivers they are (measured 0.05 against 0.21)."""
    from planet.render.scene import F_DRAINAGE_AREA, P_SEA_LEVEL, pack_fields
    s = planet.Planet(128, seed=0, stages=("lithosphere",)).run(until="story_end")
    stack, P = pack_fields(s, s.time)
    land = s.elevation >= P[P_SEA_LEVEL]
    drawn = land & (0.15 * np.log(np.maximum(stack[F_DRAINAGE_AREA], 1.0)) > 0.3)
    share = drawn.sum(axis=1) / np.maximum(land.sum(axis=1), 1)
    lat = np.abs(s.grid.lat)
    assert land[lat > 80].mean() > 0.5                 # (the south polar cap is land)
    assert share[lat > 80].max() <= share[(lat > 30) & (lat < 70)].max()


def test_molten_phase_only_before_land_end():
    proto = planet.Planet(128, 0).state
    glowing = lambda t: np.mean([(p[0] > 150) and (p[2] < 50) for p in  # noqa: E731
                                 view(proto, "satellite", size=(128, 64), backend="cpu", time=t).reshape(-1, 3)])
    assert glowing(0.0) > 0.1 and glowing(1.0) > 0.1     # lava: bright red-orange, no blue
    for t in (29.0, 40.0, 120.0):
        assert glowing(t) == 0.0


def test_clouds_only_once_there_is_vapour_and_from_ocean_start(state):
    dry = state.replace(vapour=np.zeros(state.shape, np.float32))
    blob = state.vapour > 1.5
    for t, cloudy in ((10.0, False), (60.0, True)):
        wet_img = view(state, "satellite", size=SIZE, backend="cpu", time=t).astype(int)
        dry_img = view(dry, "satellite", size=SIZE, backend="cpu", time=t).astype(int)
        diff = (wet_img - dry_img)[blob].mean()
        assert (diff > 40) if cloudy else (diff == 0), (t, diff)


def test_views_light_up_when_their_fields_exist():
    proto = planet.Planet(128, 0).state          # lithosphere fields only
    for name in VIEWS:
        img = view(proto, name, size=(128, 64), backend="cpu", time=60.0)
        assert img.shape == (64, 128, 3)
    flow = view(proto, "flow", size=(128, 64), backend="cpu", time=60.0)
    assert flow.max() < 120          # no trails, no pressure: dark relief only


def test_view_is_a_pure_function(state):
    a = view(state, "night", size=(200, 100), backend="cpu")
    b = view(state, "night", size=(200, 100), backend="cpu")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, view(state, "night", size=(200, 100), backend="cpu", time=state.time + 0.3))


def test_map_wraps_in_longitude(state):
    a = view(state, "temperature", size=(256, 128), backend="cpu", lon=180.0)
    b = view(state, "temperature", size=(256, 128), backend="cpu", lon=0.0)
    assert np.array_equal(np.roll(a, 128, axis=1), b)


def test_png_bytes_and_image(state):
    data = png_bytes(state, "plates", size=(64, 32), backend="cpu")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert to_image(view(state, size=(64, 32), backend="cpu")).size == (64, 32)


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="volcano"), "view must be one of"),
    (dict(size=(101, 50)), "size must be two even integers"),
    (dict(size=(0, 50)), "size must be two even integers"),
    (dict(backend="vulkan"), "backend must be one of"),
    (dict(time=-1.0), "time must be film seconds"),
])
def test_bad_options_get_clear_errors(state, kwargs, match):
    with pytest.raises(ValueError, match=match):
        view(state, **kwargs)


def test_check_size():
    assert check_size((1280, 720)) == (1280, 720)
    with pytest.raises(ValueError, match="size"):
        check_size("big")


def test_cpu_backend_is_always_there():
    assert get_backend("cpu").name == "cpu"


def test_posters_write_every_view_and_the_globe(state, tmp_path):
    paths = posters(state, tmp_path / "posters", size=(64, 32), backend="cpu", globe_size=(48, 48))
    assert sorted(p.name for p in paths) == sorted([f"{v}.png" for v in VIEWS] + ["globe.png"])
    assert sorted(p.name for p in (tmp_path / "posters").iterdir()) == sorted(p.name for p in paths)


def test_film_schedule():
    from planet.render.film import shot
    from planet.render.scene import Q_CAM_LON, Q_FADE, Q_K, Q_NIGHT, Q_WIPE

    tl = planet.Timeline()
    size = (320, 180)
    at = lambda t: shot(t, size, tl)  # noqa: E731
    assert at(5.0).Q[Q_K] == 1.0 and at(5.0).second == -1                           # the protoplanet globe
    assert 0.0 < at(15.0).Q[Q_K] < 1.0                                              # unwrapping
    assert at(25.0).Q[Q_K] == 0.0 and at(25.0).view == VIEWS["satellite"]           # the map
    for t, name in ((40.0, "plates"), (50.0, "rivers"), (60.0, "temperature"), (80.0, "flow"),
                    (95.0, "life")):
        assert at(t).view == VIEWS[name] and at(t).Q[Q_WIPE] < 0, t
    assert at(102.99).second == VIEWS["satellite"] and at(102.99).Q[Q_WIPE] > 1.0   # back to satellite by 103 s
    wipe = at(44.0)                                                     # plates → rivers, halfway
    assert wipe.view == VIEWS["plates"] and wipe.second == VIEWS["rivers"] and 0.4 < wipe.Q[Q_WIPE] < 0.6
    assert 0.0 < at(108.0).Q[Q_K] < 1.0                                             # rewrapping
    assert at(119.0).Q[Q_NIGHT] == 0.0 and at(130.0).Q[Q_NIGHT] == 1.0 and at(130.0).second == VIEWS["night"]
    assert at(170.0).overlay == 0.0 and at(200.0).overlay > 0.5 and at(231.0).overlay == 0.0
    assert at(200.0).overlay_view == VIEWS["co2"]
    assert at(240.0).Q[Q_FADE] == 1.0 and at(249.9).Q[Q_FADE] < 0.01                # fade-out
    assert at(130.0).Q[Q_CAM_LON] != at(131.0).Q[Q_CAM_LON]                         # the globe turns
