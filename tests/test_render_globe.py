"""Globe geometry: where the camera looks, where the poles are, where the terminator lies."""
import math

import numpy as np
import pytest

import planet
from planet.render import globe
from planet.render import synthetic as syn
from planet.render.projection import pixel_position
from planet.render.scene import Camera, projection_params, sun_direction


def angle(lat1, lon1, lat2, lon2):
    """Great-circle angle in degrees (arguments in radians)."""
    c = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon1 - lon2)
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


@pytest.mark.parametrize("lat, lon", [(20.0, 0.0), (-35.0, 123.0), (60.0, 300.0), (0.0, 180.0)])
def test_sub_camera_point_is_the_camera_position(lat, lon):
    size = (200, 200)
    Q = projection_params(size, Camera(lat=lat, lon=lon, unwrap=0.0))
    # the four pixels around the centre are each within ~one pixel's angle of the camera point
    for px, py in ((99, 99), (100, 99), (99, 100), (100, 100)):
        inside, plat, plon, x, y = pixel_position(px, py, size[0], size[1], Q)
        assert inside
        assert angle(plat, plon, math.radians(lat), math.radians(lon)) < 0.6


def test_poles_and_east_are_where_they_should_be():
    size = (400, 400)
    Q = projection_params(size, Camera(lat=0.0, lon=0.0, unwrap=0.0))
    r = 0.9 * 200
    top = pixel_position(200, int(200 - r + 1), *size, Q)       # just inside the top of the disc
    bottom = pixel_position(200, int(200 + r - 2), *size, Q)
    east = pixel_position(int(200 + r * 0.5), 200, *size, Q)
    assert top[0] and math.degrees(top[1]) > 80
    assert bottom[0] and math.degrees(bottom[1]) < -80
    assert abs(math.degrees(east[2]) - 30.0) < 0.5              # sin(30°) = 0.5 of the radius, east is right
    # seen from above the north pole, the pole is the centre of the picture
    Qn = projection_params(size, Camera(lat=90.0, lon=0.0, unwrap=0.0))
    centre = pixel_position(200, 200, *size, Qn)
    assert math.degrees(centre[1]) > 89
    assert not pixel_position(5, 5, *size, Q)[0]                 # the corner is background


def test_rendered_marker_is_at_the_centre():
    st = syn.synthetic_state(64)
    lat0, lon0, _ = syn.CONTINENT
    img = globe(st, view="plates", lat=lat0, lon=lon0, size=(200, 200), backend="cpu", atmosphere=False)
    away = globe(st, view="plates", lat=lat0, lon=lon0 + 180.0, size=(200, 200), backend="cpu", atmosphere=False)
    centre = img[95:105, 95:105].reshape(-1, 3).astype(int)
    # the continent (plate PLATE_WEST, orange) fills the centre; from the far side it is ocean-blue plate 0.6
    assert np.all(centre[:, 0] > centre[:, 2] + 40)
    other = away[95:105, 95:105].reshape(-1, 3).astype(int)
    assert np.all(other[:, 2] > other[:, 0])


def test_terminator_lies_90_degrees_from_the_sub_solar_point():
    st = syn.synthetic_state(64)
    flat = st.replace(elevation=np.full(st.shape, 3.0, np.float32), vapour=np.zeros(st.shape, np.float32),
                      humans=np.zeros(st.shape, np.float32))
    t = 140.0
    tl = planet.Timeline()
    sun = sun_direction(t, tl, 24.0)
    sub_lat = math.asin(sun[1])
    sub_lon = math.atan2(sun[0], sun[2])
    size = (240, 240)
    cam_lat, cam_lon = 10.0, math.degrees(sub_lon) + 70.0       # the terminator crosses the visible disc
    img = globe(flat, view="temperature", lat=cam_lat, lon=cam_lon, size=size, backend="cpu",
                atmosphere=False, time=t, daynight=True).astype(float).sum(axis=2)
    Q = projection_params(size, Camera(lat=cam_lat, lon=cam_lon, unwrap=0.0))
    lit, dark, crossings = [], [], []
    for py in range(0, 240, 3):
        row = []
        for px in range(0, 240, 3):
            inside, lat, lon, _, _ = pixel_position(px, py, *size, Q)
            if inside:
                a = angle(lat, lon, sub_lat, sub_lon)
                row.append((a, img[py, px]))
                (lit if a < 80 else dark if a > 100 else crossings).append((a, img[py, px]))
    lit_b = np.array([b for _, b in lit])
    dark_b = np.array([b for _, b in dark])
    assert len(lit_b) > 50 and len(dark_b) > 50
    assert lit_b.min() > 3 * dark_b.max()
    # halfway brightness is reached at 90° ± 3°
    a = np.array([p[0] for p in crossings])
    b = np.array([p[1] for p in crossings])
    half = 0.5 * (np.median(lit_b[np.array([p[0] for p in lit]) > 70]) + np.median(dark_b))
    order = np.argsort(a)
    cross = a[order][np.argmin(np.abs(np.convolve(b[order], np.ones(5) / 5, mode="same") - half))]
    assert abs(cross - 90.0) < 3.0


def test_no_night_before_daynight_start():
    st = syn.synthetic_state(64)
    early = globe(st, lat=0, lon=0, size=(100, 100), backend="cpu", atmosphere=False, time=60.0)
    late = globe(st, lat=0, lon=0, size=(100, 100), backend="cpu", atmosphere=False, time=60.0, daynight=True)
    assert early.sum() > late.sum()


def test_globe_bad_options():
    st = syn.synthetic_state(32)
    with pytest.raises(ValueError, match="lat must be in"):
        globe(st, lat=120)
    with pytest.raises(ValueError, match="view must be one of"):
        globe(st, view="x")


@pytest.mark.parametrize("columns", [128, 512])
def test_skipping_cells_no_pixel_samples_changes_no_pixel(columns, monkeypatch):
    """On the globe the cell pass skips the far hemisphere (and, for the night view, the day side):
    the frames are exactly those drawn with every cell."""
    from planet.render import cpu
    from planet.render import synthetic as syn
    from planet.render.backend import CPUBackend
    from planet.render.scene import VIEWS, Camera, pack_fields, projection_params

    state = syn.synthetic_state(columns // 2)
    stack, P = pack_fields(state, 200.0)
    size = (320, 180)
    rng = np.random.default_rng(columns)
    culled = []
    for _ in range(12):
        cam = Camera(lat=rng.uniform(-90, 90), lon=rng.uniform(0, 360), unwrap=0.0)
        sun = rng.normal(size=3)
        Q = projection_params(size, cam, night=1.0, sun=sun, atmosphere=True, lighting=1.0)
        culled.append((Q, CPUBackend().frame(stack, P, VIEWS["satellite"], VIEWS["night"], 0, 0.0, Q, size)))
        vis = cpu.cell_visibility(Q, columns, night_side=True)
        assert not np.array_equal(vis, cpu.ALL_CELLS)       # the globe does skip cells
    monkeypatch.setattr(cpu, "cell_visibility", lambda Q, columns, night_side=False: cpu.ALL_CELLS.copy())
    for Q, frame in culled:
        full = CPUBackend().frame(stack, P, VIEWS["satellite"], VIEWS["night"], 0, 0.0, Q, size)
        assert np.array_equal(frame, full)


@pytest.mark.parametrize("unwrap", [0.0, 0.3, 0.7, 1.0])
def test_pixel_geometry_table_matches_pixel_position(unwrap):
    """``geometry`` hoists the per-row and per-frame terms; every pixel must still be where
    ``pixel_position`` (the per-pixel reference, with the camera longitude 0) puts it."""
    from planet.render import projection

    size = (160, 90)
    Q = projection_params(size, Camera(lat=35.0, lon=100.0, unwrap=unwrap), atmosphere=True)
    G = np.empty((8, size[1], size[0]), np.float32)
    projection.geometry(Q, G)
    Q0 = Q.copy()
    Q0[4] = 0.0
    for py in range(size[1]):
        for px in range(size[0]):
            inside, lat, lon, x, y = pixel_position(px, py, size[0], size[1], Q0)
            assert inside == np.isfinite(G[0, py, px]), (px, py)
            if inside:
                normal = (math.cos(lat) * math.sin(lon), math.sin(lat), math.cos(lat) * math.cos(lon))
                assert abs(G[0, py, px] - lat) < 1e-4 and abs(G[1, py, px] - lon) < 1e-4, (px, py)
                assert np.allclose(G[2:5, py, px], normal, atol=1e-4), (px, py)
