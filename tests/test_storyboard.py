"""Storyboards (issue 15): the built-in film as the default storyboard, shots from TOML, their checks."""
import numpy as np
import pytest
from PIL import Image

import planet
from planet.cli import main
from planet.render import storyboard as sb
from planet.render.film import render_film, shot

from . import film_reference as ref


def _same(a, b):
    return (a.view, a.second, a.overlay_view, a.overlay) == (b.view, b.second, b.overlay_view, b.overlay) \
        and np.array_equal(a.Q, b.Q)


@pytest.mark.parametrize("schedule", [{}, {"daynight_start": 125.0, "co2_start": 190.0, "story_end": 262.0}])
def test_the_default_storyboard_is_the_built_in_film(schedule):
    """Every frame parameter of the old hand-written schedule (tests/film_reference.py), bit for bit, on a
    dense grid of film times, the shots' edges and either side of them, past the story's end too."""
    tl = planet.Timeline(planet.Config().replace(schedule=schedule).schedule)
    edges = sorted({s.start for s in sb.DEFAULT} | {s.end for s in sb.DEFAULT if s.end is not None}
                   | {10.0, 245.0, tl.schedule.story_end})
    times = list(np.arange(0.0, tl.schedule.story_end + 12.0, 0.0625)) + [t + d for t in edges
                                                                        for d in (-1e-9, 0.0, 1e-9) if t + d >= 0]
    for size in ((320, 180), (64, 36)):
        for t in times:
            assert _same(shot(float(t), size, tl), ref.shot(float(t), size, tl)), (t, size)


def test_the_default_storyboard_round_trips_through_toml(tmp_path, capsys):
    with pytest.raises(SystemExit, match="^0$"):
        main(["film", "--print-storyboard"])
    path = tmp_path / "default.toml"
    path.write_text(capsys.readouterr().out)
    assert sb.load(path) == sb.DEFAULT


def test_planet_film_without_a_storyboard_renders_the_old_film(tmp_path, monkeypatch):
    """Same frame count and identical frames as the old schedule drives them, for a short range at a tiny
    size (across the start of the unwrap at 10 s), and the same again from the printed default storyboard."""
    import planet.render.film as film

    start_world = planet.Planet(128, 0)
    start_world.run(until=9.5)
    state = start_world.state
    toml = tmp_path / "default.toml"
    toml.write_text(sb.to_toml(sb.DEFAULT))

    def film_of(storyboard=None, reference=False):
        frames = []
        with monkeypatch.context() as m:
            if reference:
                m.setattr(film, "frame", lambda r, t, size, tl, year: sb.Frame(
                    *(lambda s: (s.view, s.second, s.overlay_view, s.overlay, s.Q))(ref.shot(t, size, tl, year))))
            stats = render_film(tmp_path / f"f{len(list(tmp_path.iterdir()))}", size=(64, 36), fps=4,
                                backend="cpu", start=9.5, end=10.75, world=planet.Planet.from_state(state),
                                progress=False, overlap=False, storyboard=storyboard,
                                on_frame=lambda k, f: frames.append(f.copy()))
        return stats, frames

    (s_old, old), (s_new, new), (s_toml, from_toml) = film_of(reference=True), film_of(), film_of(sb.load(toml))
    assert s_old["frames"] == s_new["frames"] == s_toml["frames"] == len(old) == 5
    assert all(np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(old, new, from_toml))
    assert not np.array_equal(old[0], old[-1])         # the film moves: the comparison can fail


THREE_SHOTS = """
[[shot]]
start = 1
end = 2
view = "plates"

[[shot]]
start = 2
end = 3
globe = true
lon = [0, 90]
lat = [10, 30]
ease = "in-out"
caption = "{date} - seen from space"

[[shot]]          # a cut: 3-4 s is simulated, not filmed
start = 4
end = "5"
view = "rivers"
captions = false
"""


@pytest.fixture(scope="module")
def saved_state(tmp_path_factory):
    path = tmp_path_factory.mktemp("state") / "world.npz"
    w = planet.Planet(128, 0)
    w.run(until=1.0)
    w.save(path)
    return path


def test_a_three_shot_storyboard_from_a_saved_state(tmp_path, capsys, saved_state):
    toml = tmp_path / "shots.toml"
    toml.write_text(THREE_SHOTS.replace('end = "5"', "end = 5"))
    out = tmp_path / "frames"
    code = main(["film", "--from", str(saved_state), "--storyboard", str(toml), "--size", "64x36", "--fps", "4",
                 "--backend", "cpu", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"frame_{k:06d}.png" for k in range(12)]
    assert "frames per shot: 4, 4, 4" in text
    frames = [np.asarray(Image.open(f)) for f in files]
    # independent evidence of which shot drew each frame: the globe leaves the dark background in the
    # corners, a map fills the frame
    corner = [int(f[:3, :3].max()) for f in frames]
    assert all(c < 20 for c in corner[4:8]), corner
    assert all(c > 20 for c in corner[:4] + corner[8:]), corner
    assert not np.array_equal(frames[0], frames[8])     # plates, then rivers


@pytest.mark.parametrize("text, words", [
    ('[[shot]]\nstart = 0\nend = 5\nview = "volcano"', ["shot 1: view must be one of", "satellite", "'volcano'"]),
    ('[[shot]]\nstart = 0\nend = 5\nglobe = true\nlat = 95', ["shot 1: lat must be degrees in [-90, 90]", "95"]),
    ('[[shot]]\nstart = 0\nend = 5\nzoom = 2', ["shot 1: unknown key 'zoom'", "allowed keys: start, end"]),
    ('[[shot]]\nend = 5', ["shot 1: start is missing"]),
    ('[[shot]]\nstart = 0\nend = 5\n[[shot]]\nstart = 3\nend = 8',
     ["shot 2: start (3 s) is before the end of shot 1 (5 s)"]),
    ('[[shot]]\nstart = 5\nend = 1', ["shot 1: end (1 s) must be after start (5 s)"]),
    ('[[shot]]\nstart = "ice_age"\nend = 5', ["shot 1: unknown epoch 'ice_age'", "story_end"]),
    ('[[shot]]\nstart = -2\nend = 5', ["shot 1: start must be film seconds >= 0 or an epoch name"]),
    ('[[shot]]\nstart = 0\nend = 5\nwipe = 2', ["shot 1: wipe needs a shot before it"]),
    ('[[shot]]\nstart = 0\nend = 5\nunwrap = 2', ["shot 1: unwrap applies to a globe shot"]),
    ('[[shot]]\nstart = 0\nend = 5\nglobe = "yes"', ["shot 1: globe must be true or false"]),
    ('[[shot]]\nstart = 0\nend = 5\ncaption = 3', ["shot 1: caption must be one line of text"]),
    ('[[shot]]\nstart = 0\n[[shot]]\nstart = 6\nend = 9', ["shot 1: end is missing"]),
    ('[[shot]]\nstart = 0\nend = 5\nturn = 6\nlon = [0, 9]', ["shot 1: give either turn or lon"]),
    ('[[shot]]\nstart = 0\nend = 5\nease = "bounce"', ["shot 1: ease must be one of linear, in, out, in-out"]),
    ('[[shot]]\nstart = 0\nend = 5\nglobe = true\nunwrap = 4\nrewrap = 3', ["unwrap + rewrap (7 s) must fit"]),
    ("", ["shot must be a list of 1 to"]),
    ("[[shot]\nstart = 0", ["is not valid TOML"]),
    ('title = "x"\n[[shot]]\nstart = 0', ["unknown key 'title'"]),
])
def test_a_bad_storyboard_is_one_line_before_any_work(tmp_path, capsys, monkeypatch, text, words):
    monkeypatch.setattr(planet.Planet, "run", lambda *a, **k: pytest.fail("simulated before the check"))
    monkeypatch.setattr(planet.Planet, "step", lambda *a, **k: pytest.fail("simulated before the check"))
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    code = main(["film", "--storyboard", str(toml), "--resolution", "128", "--size", "64x36", "--backend", "cpu",
                 "--out", str(tmp_path / "f.mp4")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"planet: error: --storyboard {toml}") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_a_missing_storyboard_file_is_named(tmp_path, capsys):
    code = main(["film", "--storyboard", str(tmp_path / "none.toml"), "--out", str(tmp_path / "f.mp4")])
    err = capsys.readouterr().err
    assert code == 2 and err == f"planet: error: --storyboard {tmp_path / 'none.toml'}: No such file or directory\n"


def test_sizes_up_to_4k_are_accepted_and_beyond_the_limit_refused():
    from planet.cli.render import parse_size
    from planet.render import MAX_SIDE

    assert parse_size("3840x2160") == (3840, 2160)
    assert parse_size(f"{MAX_SIDE}x{MAX_SIDE}") == (MAX_SIDE, MAX_SIDE)
    with pytest.raises(ValueError, match=rf"--size must be WIDTHxHEIGHT with even integers in \[2, {MAX_SIDE}\]"):
        parse_size(f"{MAX_SIDE + 2}x2160")


@pytest.mark.parametrize("ease, lon_mid", [("linear", 45.0), ("in", 22.5), ("out", 67.5), ("in-out", 45.0)])
def test_camera_paths_at_their_start_middle_and_end(ease, lon_mid):
    """lon = [0, 90] over 10 s: the closed forms at the ends and the middle (in: a quarter of the way,
    out: three quarters, in-out: smoothstep(1/2) = 1/2); lat follows the same easing."""
    import math

    from planet.render.scene import Q_CAM_LAT, Q_CAM_LON

    tl = planet.Timeline()
    shots = (sb.Shot(100.0, 110.0, globe=True, lon=(0.0, 90.0), lat=(-30.0, 30.0), ease=ease),)
    lat_mid = -30.0 + 60.0 * lon_mid / 90.0
    for t, lon, lat in ((100.0, 0.0, -30.0), (105.0, lon_mid, lat_mid), (110.0 - 1e-12, 90.0, 30.0)):
        Q = shot(t, (64, 64), tl, storyboard=shots).Q
        assert Q[Q_CAM_LON] == pytest.approx(math.radians(lon), abs=1e-6), (ease, t)
        assert Q[Q_CAM_LAT] == pytest.approx(math.radians(lat), abs=1e-6), (ease, t)
    turning = (sb.Shot(100.0, globe=True, lon=350.0, turn=-6.0),)
    assert shot(102.0, (64, 64), tl, storyboard=turning).Q[Q_CAM_LON] == pytest.approx(math.radians(338.0))
    assert shot(99.0, (64, 64), tl, storyboard=turning) is None          # before the first shot: no frame


def test_start_time_and_until_clip_the_storyboard(tmp_path, saved_state):
    shots = sb.from_dict({"shot": [{"start": 1, "end": 2, "view": "plates"}, {"start": 2, "end": 3, "globe": True},
                                   {"start": 4, "end": 5}]})
    stats = render_film(tmp_path / "f", size=(64, 36), fps=4, backend="cpu", start=1.5, end=2.5, storyboard=shots,
                        world=planet.Planet.from_state(planet.State.load(saved_state)), progress=False)
    assert stats["shots"] == [2, 2, 0] and stats["frames"] == 4 == len(list((tmp_path / "f").iterdir()))


@pytest.mark.parametrize("schedule", [{}, {"daynight_start": 125.0, "co2_start": 190.0, "story_end": 262.0}])
def test_the_built_in_film_says_every_phrase_of_the_story(schedule):
    """With the view its shots show, the built-in film's captions are the story's phrases by time alone
    (each phrase that names a view is said while the film shows that view)."""
    from planet.render.film import caption

    tl = planet.Timeline(planet.Config().replace(schedule=schedule).schedule)
    said = set()
    for t in np.arange(0.0, tl.schedule.story_end, 0.125):
        f = shot(float(t), (64, 36), tl)
        text = caption(float(t), tl, f.shows)
        assert text == caption(float(t), tl), (t, f.shows)
        said.add(text.split(" - ")[-1])
    assert {"tectonic plates", "river basins", "temperature", "winds and pressure", "humans appear"} <= said


def test_a_storyboards_caption_does_not_name_a_view_it_does_not_show():
    """A storyboard showing the satellite view at 60 s was captioned 'temperature' (the built-in film's
    view then); now the phrase is the latest that fits the view shown."""
    from planet.render.film import caption

    tl = planet.Timeline(planet.Config().schedule)
    boards = {view: (sb.Shot(55.0, 65.0, view=view),)
              for view in ("satellite", "rivers", "plates", "temperature")}
    said = {view: caption(60.0, tl, shot(60.0, (64, 36), tl, storyboard=b).shows) for view, b in boards.items()}
    assert said["temperature"].endswith(" - temperature")
    assert said["rivers"].endswith(" - river basins")
    assert said["plates"].endswith(" - tectonic plates")
    assert said["satellite"].endswith(" - " + caption(34.0, tl).split(" - ")[-1])   # the epoch's own phrase
    assert not any(text.endswith(" - temperature") for view, text in said.items() if view != "temperature")
