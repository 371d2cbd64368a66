"""The named indices of the packed field stack (``F_*``), the cell-pass parameters (``P_*``), the
projection parameters (``Q_*``) and the views (``VIEW_*``) in ``render/scene.py`` index what the
pack functions put there, and the shaders' comments name the indices their code reads.

The evidence is independent of the tuples the constants are built from: the state's own arrays, a
state with one field removed, closed forms of the camera (the map's scales are ``w/2π`` and ``h/π``,
the globe's ``radius · min(w, h)/2``), and the sun's components along the camera's axes taken as
derivatives of the viewing direction.
"""
import hashlib
import math
import re
from importlib.resources import files

import numpy as np
import pytest

import planet
from planet.core.timeline import Timeline
from planet.render import VIEWS, scene
from planet.render import synthetic as syn

ROWS = 24


def constants(prefix):
    """``{name: value}`` of the module-level ints of ``render/scene.py`` called ``prefix*``."""
    return {k: v for k, v in vars(scene).items() if k.startswith(prefix) and isinstance(v, int)}


@pytest.fixture(scope="module")
def state():
    """Every field a different random array (no two planes of the stack alike)."""
    base = syn.synthetic_state(ROWS)
    rng = np.random.default_rng(11)
    fields = {k: rng.uniform(-5.0, 50.0, base.shape).astype(np.float32) for k in base.fields}
    return planet.State(fields, step=base.step, seed=5)


def test_every_field_constant_indexes_that_field_of_the_stack(state):
    # the drainage plane as packed, without the rivers joined along the router's long steps near the
    # poles (tests/test_render_rivers.py)
    stack, _ = scene.pack_fields(state, 60.0, river_links=False)
    F = constants("F_")
    assert sorted(F.values()) == list(range(len(stack)))              # a bijection onto the planes
    for name, n in F.items():
        field = name[2:].lower()
        if field == "sparkle":
            continue
        want = state[field]
        if field == "drainage_area":                # packed in equatorial cells (the state's km² / 6112 at 512 columns)
            want = want * np.float32(1.0 / state.grid.equator_cell_km2)
        np.testing.assert_array_equal(stack[n], want, err_msg=name)


def test_the_planes_of_the_state_fields_are_the_states_own_arrays_not_copies(state):
    """A frame is drawn from the state's arrays themselves (no copy per frame): every plane of a state
    field but the drainage area (converted to equatorial cells) is that field's array; a plane of a
    field that is not C-ordered float32 is a copy in that form, equal to it."""
    planes, _ = scene.pack_fields(state, 60.0, river_links=False)
    F = constants("F_")
    for name, n in F.items():
        field = name[2:].lower()
        if field not in ("sparkle", "drainage_area"):
            assert planes[n] is state[field], name
    assert not np.shares_memory(planes[F["F_DRAINAGE_AREA"]], state["drainage_area"])
    odd = dict(state.fields, elevation=np.asfortranarray(state["elevation"].astype(np.float64)))
    got = scene.pack_fields(planet.State(odd, step=state.step, seed=state.seed), 60.0, river_links=False)[0]
    plane = got[F["F_ELEVATION"]]
    assert plane.dtype == np.float32 and plane.flags.c_contiguous
    np.testing.assert_array_equal(plane, state["elevation"])


def test_a_stack_of_the_planes_draws_the_same_frame(state):
    """``as_planes``: a ``(16, H, W)`` array (the packing of earlier versions) is taken as its planes, and a
    backend draws the same frame from it; a wrong count of planes is refused."""
    from planet.render.backend import CPUBackend
    planes, P = scene.pack_fields(state, 60.0)
    size = (64, 32)
    Q = scene.projection_params(size, scene.Camera(lat=0.0, lon=0.0, unwrap=1.0))
    want = CPUBackend().frame(planes, P, VIEWS["satellite"], VIEWS["rivers"], 0, 0.0, Q, size)
    got = CPUBackend().frame(np.stack(planes), P, VIEWS["satellite"], VIEWS["rivers"], 0, 0.0, Q, size)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="16 arrays"):
        scene.as_planes(planes[:15])


def test_the_sparkle_plane_is_the_only_one_that_follows_the_seed(state):
    a, _ = scene.pack_fields(state, 60.0)
    other = planet.State(state.fields, step=state.step, seed=state.seed + 1)
    b, _ = scene.pack_fields(other, 60.0)
    differ = [n for n in range(len(a)) if not np.array_equal(a[n], b[n])]
    assert differ == [scene.F_SPARKLE]
    assert 0.0 <= a[scene.F_SPARKLE].min() and a[scene.F_SPARKLE].max() < 1.0


def test_cell_parameter_constants_index_their_values(state):
    t = 25.0                                        # halfway from land start (20 s) to land end (30 s)
    s = state.config.schedule
    assert (s.land_start, s.land_end) == (20.0, 30.0) and s.ocean_start < t
    _, P = scene.pack_fields(state, t)
    W = state.shape[1]
    expected = {"P_TIME": t, "P_SEA_LEVEL": Timeline(s).sea_level(t), "P_HEAT": 2.0 / (t + 1.0) ** 2,
                "P_ROCK": 0.5, "P_CLOUDS": 1.0, "P_RELIEF": W / 1024.0}
    expected.update({name: 1.0 for name in constants("P_HAS_")})     # the state has every field
    expected["P_LIGHTS_SEED"] = float(((state.seed * 2654435761) & 0xFFFFFFFF) >> 20)   # golden-ratio mix, top 12 bits
    assert set(expected) == set(constants("P_"))
    for name, value in expected.items():
        assert P[getattr(scene, name)] == pytest.approx(value, rel=1e-6), name
    _, P_early = scene.pack_fields(state, 10.0)    # before ocean start: no clouds, no sea
    assert P_early[scene.P_CLOUDS] == 0.0 and P_early[scene.P_SEA_LEVEL] == 0.0
    assert P_early[scene.P_TIME] == 10.0


@pytest.mark.parametrize("missing, flag", [
    ("temperature", "P_HAS_TEMPERATURE"), ("moisture", "P_HAS_MOISTURE"), ("vapour", "P_HAS_VAPOUR"),
    ("pressure", "P_HAS_PRESSURE"), ("trails", "P_HAS_TRAILS"), ("prey", "P_HAS_LIFE"),
    ("humans", "P_HAS_HUMANS"), ("co2", "P_HAS_CO2")])
def test_a_missing_field_clears_exactly_its_flag(state, missing, flag):
    _, full = scene.pack_fields(state, 60.0)
    lacking = planet.State({k: v for k, v in state.fields.items() if k != missing}, step=state.step,
                           seed=state.seed)
    _, P = scene.pack_fields(lacking, 60.0)
    changed = [n for n in range(len(P)) if P[n] != full[n]]
    assert changed == [getattr(scene, flag)] and P[getattr(scene, flag)] == 0.0


def camera_axes(lat, lon):
    """Right, up and toward-viewer unit vectors of a camera looking down at (lat, lon) radians:
    toward = P(lat, lon), up = ∂P/∂lat, right = ∂P/∂lon / cos(lat), by central differences."""
    def P(a, b):
        return np.array([math.cos(a) * math.sin(b), math.sin(a), math.cos(a) * math.cos(b)])
    h = 1e-6
    up = (P(lat + h, lon) - P(lat - h, lon)) / (2 * h)
    right = (P(lat, lon + h) - P(lat, lon - h)) / (2 * h) / math.cos(lat)
    return right, up, P(lat, lon)


def test_projection_constants_index_their_values():
    w, h = 300, 200
    sun = np.array([2.0, 3.0, 6.0]) / 7.0
    lat, lon = math.radians(10.0), math.radians(40.0)
    right, up, toward = camera_axes(lat, lon)
    globe = dict(camera=scene.Camera(lat=10.0, lon=40.0, unwrap=0.0, radius=0.8),
                 kw=dict(wipe=0.37, night=0.61, sun=sun, atmosphere=True, fade=0.83, lighting=0.29),
                 expected={"Q_K": 1.0, "Q_SCALE_X": 0.8 * h / 2, "Q_SCALE_Y": 0.8 * h / 2, "Q_CAM_LAT": lat,
                           "Q_CAM_LON": lon, "Q_WIPE": 0.37, "Q_WIPE_SOFT": 0.03, "Q_NIGHT": 0.61,
                           "Q_SUN_X": 2 / 7, "Q_SUN_Y": 3 / 7, "Q_SUN_Z": 6 / 7, "Q_ATMOSPHERE": 1.0,
                           "Q_FADE": 0.83, "Q_GAMMA": 1 / 1.5, "Q_SUN_CAM_X": sun @ right,
                           "Q_SUN_CAM_Y": sun @ up, "Q_SUN_CAM_Z": sun @ toward, "Q_LIGHTING": 0.29})
    flat = dict(camera=scene.Camera(lat=10.0, lon=100.0, unwrap=1.0), kw={},
                expected={"Q_K": 0.0, "Q_SCALE_X": w / (2 * math.pi), "Q_SCALE_Y": h / math.pi,
                          "Q_CAM_LAT": 0.0, "Q_CAM_LON": math.radians(100.0), "Q_WIPE": -1.0, "Q_NIGHT": 0.0,
                          "Q_ATMOSPHERE": 0.0, "Q_FADE": 1.0, "Q_LIGHTING": 0.0})
    assert set(globe["expected"]) == set(constants("Q_"))
    for case in (globe, flat):
        Q = scene.projection_params((w, h), case["camera"], **case["kw"])
        assert len(Q) == len(scene.PROJ_PARAMS)
        for name, value in case["expected"].items():
            assert Q[getattr(scene, name)] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert list(Q[scene.Q_CAMERA]) == [Q[scene.Q_K], Q[scene.Q_SCALE_X], Q[scene.Q_SCALE_Y],
                                       Q[scene.Q_CAM_LAT], Q[scene.Q_CAM_LON]]
    assert list(range(20))[scene.Q_GEOMETRY] == [scene.Q_K, scene.Q_SCALE_X, scene.Q_SCALE_Y, scene.Q_CAM_LAT]
    assert list(range(20))[scene.Q_SUN] == [scene.Q_SUN_X, scene.Q_SUN_Y, scene.Q_SUN_Z]
    assert list(range(20))[scene.Q_SUN_CAM] == [scene.Q_SUN_CAM_X, scene.Q_SUN_CAM_Y, scene.Q_SUN_CAM_Z]


def test_view_constants_match_the_view_names():
    V = constants("VIEW_")
    assert {name[5:].lower(): v for name, v in V.items()} == VIEWS


def shader(name):
    return files("planet.shaders").joinpath(name).read_text()


def named(comment, prefix):
    """The values of the ``prefix*`` constants a shader comment names."""
    return {getattr(scene, m) for m in re.findall(rf"\b{prefix}[A-Z0-9_]+", comment)}


SAMPLE = re.compile(r"\ba([0-3])\.([xyzw])\b|texelFetch\(f([0-3]),(?:[^()]|\([^()]*\))*\)\.([xyzw])")


def test_shader_comments_name_the_indices_the_code_reads():
    """Every line of the shaders that reads ``P[n]``, ``Q[n]``, a field channel or compares a view
    id names exactly those indices' constants in its comment; the uniform arrays have the length
    of the parameter vectors and the field textures hold ``PACKED`` four to a texture."""
    cells, project = shader("cells.frag"), shader("project.frag")
    assert f"uniform float P[{len(scene.CELL_PARAMS)}];" in cells
    assert f"uniform float Q[{len(scene.PROJ_PARAMS)}];" in project
    for t in range(4):
        line = re.search(rf"uniform sampler2D f{t};\s*//(.*)", cells).group(1)
        names = re.findall(r"\bF_[A-Z0-9_]+", line)
        assert [getattr(scene, m) for m in names] == [4 * t + c for c in range(4)], line
    checked = 0
    for line in (cells + "\n" + project).splitlines():
        code, _, comment = line.partition("//")
        if code.startswith("uniform"):
            continue                                  # the declarations, checked above
        wants = {"P_": {int(n) for n in re.findall(r"\bP\[(\d+)\]", code)},
                 "Q_": {int(n) for n in re.findall(r"\bQ\[(\d+)\]", code)},
                 "VIEW_": {int(n) for n in re.findall(r"\b(?:v|overlay_view) == (\d+)", code)},
                 "F_": {4 * int(m[0] or m[2]) + "xyzw".index(m[1] or m[3]) for m in SAMPLE.findall(code)}}
        for prefix, want in wants.items():
            if want:
                assert named(comment, prefix) == want, line
                checked += 1
    assert checked >= 40


def test_kernel_modules_refuse_another_packing_order():
    """Numba checks a cached kernel against its own file only, so the kernel modules carry the
    fingerprint of the order they compile in and refuse to import under another one."""
    from planet.render import cpu, projection

    assert cpu.LAYOUT == projection.LAYOUT == scene.LAYOUT
    reordered = (scene.VIEWS, scene.PACKED[::-1], scene.CELL_PARAMS, scene.PROJ_PARAMS)
    other = hashlib.sha1(repr(reordered).encode()).hexdigest()[:12]
    assert other != scene.LAYOUT
    with pytest.raises(ImportError, match=f"set its LAYOUT to '{scene.LAYOUT}'"):
        scene.check_layout(other, "some.kernels")
