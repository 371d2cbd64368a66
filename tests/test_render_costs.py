"""The renderer's shortcuts for the film's cost (issue 13) draw exactly the pixels of the plain way."""
import numpy as np
from numba import njit

from planet.render import atmosphere as atm
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


def _table(sx, sy, sz):
    from planet.render import atmosphere

    T = np.empty((2, atmosphere.ATM_ROWS, atmosphere.ATM_ANGLES, 6), np.float32)
    atmosphere.atmosphere_table(f32(sx), f32(sy), f32(sz), T)
    return T


def test_suns_behind_the_camera_share_one_table_and_others_do_not():
    """``table_key``: suns within ``BEHIND_CAMERA`` of the camera's axis (the turning globe before
    day and night) give the table of (0, 0, sz) bit for bit; every other sun keeps its own key."""
    from planet.render import atmosphere
    from planet.render.scene import Q_SUN_CAM, Camera, projection_params

    rng = np.random.default_rng(1)
    for sz in (1.0, -1.0, 0.75):
        plain = _table(0.0, 0.0, sz)
        for _ in range(6):
            sx, sy = rng.uniform(-1, 1, 2) * atmosphere.BEHIND_CAMERA
            assert atmosphere.table_key(sx, sy, sz) == (0.0, 0.0, sz)
            assert np.array_equal(_table(sx, sy, sz), plain)
    assert atmosphere.table_key(1e-6, 0.0, 1.0) != atmosphere.table_key(0.0, 0.0, 1.0)
    assert atmosphere.table_key(0.0, 0.0, 0.4) == (0.0, 0.0, 0.4) != atmosphere.table_key(1e-13, 0.0, 0.4)
    # the film's turning globe before day and night: the sun behind the camera, its screen
    # components tiny and different from frame to frame, one key
    keys = {atmosphere.table_key(*projection_params((64, 64), Camera(lat=20, lon=lon, unwrap=0.0),
                                                      atmosphere=True)[Q_SUN_CAM]) for lon in range(0, 360, 7)}
    assert keys == {(0.0, 0.0, 1.0)}


def test_the_atmosphere_table_is_made_again_only_when_read_and_its_sun_changes(monkeypatch):
    """The CPU backend remakes the table when the key of the sun changes (a new table each time),
    and not for a frame whose projection does not read it (atmosphere off, or the morph below 0.85)."""
    from planet.render import atmosphere, backend
    from planet.render import synthetic as syn
    from planet.render.scene import VIEWS, Camera, pack_fields, projection_params

    made = []
    real = atmosphere.atmosphere_table
    monkeypatch.setattr(atmosphere, "atmosphere_table", lambda *a: made.append(a[:3]) or real(*a))
    stack, P = pack_fields(syn.synthetic_state(32), 150.0)
    be = backend.CPUBackend()
    size = (96, 64)

    def draw(unwrap=0.0, sun=None, atmosphere=True):
        Q = projection_params(size, Camera(lat=10, lon=40, unwrap=unwrap), sun=sun, atmosphere=atmosphere,
                              night=1.0 if sun is not None else 0.0)
        return be.frame(stack, P, VIEWS["satellite"], VIEWS["night"] if sun is not None else -1, 0, 0.0, Q, size)

    draw()
    draw()
    assert len(made) == 1                                    # the same sun: the same table
    draw(unwrap=0.3)                                         # k = 0.7: the atmosphere's weight is 0
    draw(atmosphere=False)
    assert len(made) == 1
    sun = np.array([0.3, 0.5, 0.8])
    first = draw(sun=sun)
    assert len(made) == 2
    draw(sun=sun * -1.0)
    assert len(made) == 3
    assert np.array_equal(draw(sun=sun), first) and len(made) == 4   # back to the first sun: made again, same picture
    assert np.array_equal(backend.CPUBackend().frame(stack, P, VIEWS["satellite"], VIEWS["night"], 0, 0.0,
                                                     projection_params(size, Camera(lat=10, lon=40, unwrap=0.0),
                                                                       sun=sun, atmosphere=True, night=1.0),
                                                     size), first)


def test_frames_without_air_leave_out_its_rays_and_change_no_pixel(monkeypatch):
    """Where the projection draws no atmosphere (off, or the morph below 0.85) the pixel geometry
    has no atmosphere rows (and spans without its ring); the frames are those drawn with them."""
    from planet.render import backend
    from planet.render import synthetic as syn
    from planet.render.scene import VIEWS, Camera, pack_fields, projection_params

    stack, P = pack_fields(syn.synthetic_state(48), 150.0)
    size = (160, 96)
    cases = [(u, atm, lat) for u in (0.0, 0.1, 0.3, 0.6, 1.0) for atm in (True, False) for lat in (20.0, -50.0)]
    frames, rows = [], []
    real = projection.geometry
    monkeypatch.setattr(projection, "geometry", lambda Q, G, air=True: rows.append(air) or real(Q, G, air))
    for u, atm, lat in cases:
        Q = projection_params(size, Camera(lat=lat, lon=30.0, unwrap=u), atmosphere=atm, fade=0.7)
        frames.append(backend.CPUBackend().frame(stack, P, VIEWS["plates"], -1, 0, 0.0, Q, size))
    assert rows == [atm and u < 0.15 for u, atm, _ in cases]     # k = 1 - u past 0.85 with the air on
    monkeypatch.setattr(projection, "geometry", lambda Q, G, air=True: real(Q, G, True))
    for (u, atm, lat), frame in zip(cases, frames):
        Q = projection_params(size, Camera(lat=lat, lon=30.0, unwrap=u), atmosphere=atm, fade=0.7)
        assert np.array_equal(backend.CPUBackend().frame(stack, P, VIEWS["plates"], -1, 0, 0.0, Q, size), frame)
    G = np.empty((len(projection.GEOMETRY), size[1], size[0]), np.float32)
    real(projection_params(size, Camera(unwrap=0.0), atmosphere=True), G, False)
    assert (G[projection.G_ATM_ROW] == -1).all()


def test_a_caption_lightens_exactly_as_the_float32_formula_over_its_box():
    """``Captions.draw`` (a kernel over the inked pixels) gives NumPy's float32
    ``uint8(c + (255 - c) a)`` over the whole box of the text, at full and partial opacity."""
    from planet.render.film import Captions

    rng = np.random.default_rng(3)
    for size in ((1280, 720), (640, 360)):
        cap = Captions(size)
        for text, alpha in (("4.0 billion years ago - oceans form", 1.0), ("today - a warmer world", 0.37),
                            ("x", 0.0)):
            frame = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            a = cap._patch(text) * (0.9 * alpha)
            ph, pw = a.shape
            y0, x0 = size[1] - cap.margin - ph, cap.margin
            want, before = frame.copy(), frame.copy()
            region = want[y0:y0 + ph, x0:x0 + pw].astype(np.float32)
            region += (255.0 - region) * a[:, :, None]
            want[y0:y0 + ph, x0:x0 + pw] = region.astype(np.uint8)
            cap.draw(frame, text, alpha)
            assert np.array_equal(frame, want)
            assert (alpha == 0.0) == np.array_equal(frame, before)


@njit(cache=False)
def _per_ray(sx, sy, sz):
    """``atmosphere_table``'s grid, each entry ray-marched on its own (``_atmosphere`` at the entry's
    ``(x, y)``), and whether ``x² + y²`` rounds to the row's ``b·b`` there."""
    a = atm
    R, K = a.ATM_ROWS, a.ATM_ANGLES
    ref = np.empty((2, R, K, 6), np.float32)
    same = np.empty((2, R, K), np.bool_)
    ex, ey = a._sun_screen_axis(sx, sy)
    for kind in range(2):
        for row in range(R):
            t = f32(row) / f32(R - 1)
            if kind == 0:
                b = min(np.sqrt(max(f32(1.0) - t * t, f32(0.0))), f32(0.9999999))
            else:
                b = f32(1.0) + (a.ATM_TOP - f32(1.0)) * t * f32(0.9999)
            for col in range(K):
                cphi = f32(-1.0) + f32(2.0) * f32(col) / f32(K - 1)
                sphi = np.sqrt(max(f32(1.0) - cphi * cphi, f32(0.0)))
                x = b * (cphi * ex - sphi * ey)
                y = b * (cphi * ey + sphi * ex)
                v = a._atmosphere(x, y, sx, sy, sz)
                for c in range(6):
                    ref[kind, row, col, c] = v[c]
                same[kind, row, col] = x * x + y * y == b * b
    return ref, same


def _march64(x, y, s):
    """The single-scattering march of ``atmosphere._atmosphere``'s docstring in float64 numpy, written
    out apart from it: sky (r, g, b) and ground transmittance (r, g, b)."""
    from planet.render import atmosphere as a

    top, HR, HM = float(a.ATM_TOP), float(a.H_R), float(a.H_M)
    beta_r, beta_m, g = np.array(a.BETA_R, float), float(a.BETA_M), float(a.MIE_G)
    b2 = x * x + y * y
    zt = np.sqrt(top * top - b2)
    zend = np.sqrt(1 - b2) if b2 < 1 else -zt
    ds = (zt - zend) / a.ATM_STEPS
    z = zt - (np.arange(a.ATM_STEPS) + 0.5) * ds
    r = np.sqrt(b2 + z * z)
    h = np.maximum(r - 1, 0)
    rr, rm = np.exp(-h / HR) * ds, np.exp(-h / HM) * ds
    tr, tm = np.cumsum(rr) - rr / 2, np.cumsum(rm) - rm / 2           # depth to each step's middle
    mu = (x * s[0] + y * s[1] + z * s[2]) / r
    e = mu + np.sqrt(np.maximum(1 - 1 / r ** 2, 0))
    u = np.clip((e + 0.04) / 0.08, 0, 1)
    lit = u * u * (3 - 2 * u)
    cr, cm = np.sqrt(np.pi / 2 * r / HR), np.sqrt(np.pi / 2 * r / HM)
    sr = np.exp(-h / HR) * HR * cr / ((cr - 1) * np.maximum(mu, 0) + 1)    # Chapman air mass towards the sun
    sm = np.exp(-h / HM) * HM * cm / ((cm - 1) * np.maximum(mu, 0) + 1)
    att = np.exp(-(beta_r[:, None] * (tr + sr) + 1.1 * beta_m * (tm + sm))) * lit     # (colour, step)
    mu_s = -s[2]
    pr = 3 / (16 * np.pi) * (1 + mu_s ** 2)
    pm = 3 / (8 * np.pi) * (1 - g * g) * (1 + mu_s ** 2) / ((2 + g * g) * (1 + g * g - 2 * g * mu_s) ** 1.5)
    sky = float(a.SUN) * (beta_r * pr * (att * rr).sum(1) + beta_m * pm * (att * rm).sum(1))
    ground = np.exp(-(beta_r * rr.sum() + 1.1 * beta_m * rm.sum()))
    return np.concatenate([sky, ground])


def test_the_atmosphere_table_is_each_ray_marched_on_its_own():
    """``atmosphere_table`` takes each row's sun-independent march once (``_ray_steps``) for its 32
    columns: wherever ``x² + y²`` rounds to the row's ``b·b`` its entries are the rays marched one by
    one (``_atmosphere``) bit for bit. Elsewhere they differ by what one rounding of ``b²`` does: up to 2 %
    by the limb and the atmosphere's top, where it changes the ray's length ``√(1 − b²)`` or
    ``√(top² − b²)`` by that much, and 2e-4 between. The row at ``b = 1`` exactly treats
    every ray as missing the ground (it grazes it); ``x² + y²`` can round below 1 there. The march
    itself agrees with a float64 one written out apart, and the ground's transmittance at the disc's
    centre with the exponential atmosphere's optical depth ``H (1 − e^{−(top − 1)/H})``."""
    from planet.render import atmosphere as a

    rng = np.random.default_rng(7)
    for s in [(0.0, 0.0, 1.0), (0.3, -0.5, 0.81240386), (-0.95105654, -0.10569004, 0.29038098),
              (0.9, 0.1, -0.42426407)]:
        sx, sy, sz = (f32(v) for v in s)
        T = _table(sx, sy, sz)
        ref, same = _per_ray(sx, sy, sz)
        assert same.mean() > 0.3
        assert np.array_equal(T[same], ref[same])
        near = ~same
        near[1, 0] = False
        assert np.allclose(T[near], ref[near], rtol=2e-2, atol=1e-4)
        inner = near.copy()                     # away from the limb and the atmosphere's top
        inner[0, :5] = inner[1, :5] = inner[1, -24:] = False
        assert np.allclose(T[inner], ref[inner], rtol=2e-4, atol=1e-5)
        for _ in range(20):                         # the march, against float64
            b = rng.uniform(0.0, float(a.ATM_TOP) - 1e-4)
            phi = rng.uniform(0, 2 * np.pi)
            x, y = f32(b * np.cos(phi)), f32(b * np.sin(phi))
            if abs(float(x) ** 2 + float(y) ** 2 - 1.0) < 1e-4:
                continue                            # the limb: float32 cannot say which side
            got = np.array(a._atmosphere(x, y, sx, sy, sz), float)
            want = _march64(float(x), float(y), (float(sx), float(sy), float(sz)))
            assert np.allclose(got, want, rtol=2e-3, atol=2e-5), (b, got, want)
    # the ground's transmittance at the centre: the midpoint sum against the integral
    centre = np.array(a._atmosphere(f32(0.0), f32(0.0), f32(0.0), f32(0.0), f32(1.0))[3:], float)
    depth = lambda H: H * (1 - np.exp(-(float(a.ATM_TOP) - 1) / H))           # noqa: E731
    exact = np.exp(-(np.array(a.BETA_R, float) * depth(float(a.H_R)) + 1.1 * float(a.BETA_M) * depth(float(a.H_M))))
    assert np.allclose(centre, exact, rtol=0.02), (centre, exact)
