"""Video output: exact frame counts, sizes and fps; no file at the target after an interrupted render."""
import os
import time

import imageio.v3 as iio
import numpy as np
import pytest

import planet
from planet.render.film import frame_count, render_film
from planet.render.video import VideoWriter, output_format


def frames(n, w=64, h=48):
    for k in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, : (k * 7) % w] = 200
        f[..., 1] = k * 9 % 255
        yield f


def test_mp4_has_exact_frames_size_and_fps(tmp_path):
    out = tmp_path / "clip.mp4"
    with VideoWriter(out, (64, 48), fps=12) as w:
        for f in frames(17):
            w.write(f)
    meta = iio.immeta(out, plugin="FFMPEG")
    assert meta["fps"] == pytest.approx(12.0)
    assert tuple(meta["size"]) == (64, 48)
    read = list(iio.imiter(out, plugin="FFMPEG"))
    assert len(read) == 17
    assert read[0].shape == (48, 64, 3)
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not the temporary's 0600


def test_gif_and_png_folder(tmp_path):
    gif = tmp_path / "clip.gif"
    with VideoWriter(gif, (64, 48), fps=10) as w:
        for f in frames(5):
            w.write(f)
    assert iio.imread(gif, index=None).shape[0] == 5
    folder = tmp_path / "pngs"
    with VideoWriter(folder, (64, 48), fps=10) as w:
        for f in frames(4):
            w.write(f)
    assert sorted(os.listdir(folder)) == [f"frame_{k:06d}.png" for k in range(4)]
    assert sorted(os.listdir(tmp_path)) == ["clip.gif", "pngs"]


@pytest.mark.parametrize("name", ["clip.mp4", "clip.gif", "pngs"])
def test_interrupted_render_leaves_nothing(tmp_path, name):
    out = tmp_path / name
    with pytest.raises(KeyboardInterrupt, match="^$"):
        with VideoWriter(out, (64, 48), fps=10) as w:
            for k, f in enumerate(frames(10)):
                if k == 4:
                    raise KeyboardInterrupt
                w.write(f)
    assert os.listdir(tmp_path) == []


def test_interrupt_while_the_encoder_starts_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM can arrive after the temporary file exists but before ffmpeg runs."""
    def interrupted(self, preset):
        raise KeyboardInterrupt

    monkeypatch.setattr(VideoWriter, "_start_encoder", interrupted)
    with pytest.raises(KeyboardInterrupt, match="^$"):
        VideoWriter(tmp_path / "a.mp4", (64, 48))
    assert list(tmp_path.iterdir()) == []


def test_interrupted_film_leaves_nothing_and_keeps_an_old_file(tmp_path):
    out = tmp_path / "film.mp4"
    out.write_bytes(b"old")

    def stop(k, frame):
        if k == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="^$"):
        render_film(out, size=(64, 36), fps=10, backend="cpu", resolution=128, end=1.0, progress=False, on_frame=stop)
    assert out.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["film.mp4"]


def test_film_has_the_exact_frame_count(tmp_path):
    out = tmp_path / "film.mp4"
    world = planet.Planet(128, 0)
    stats = render_film(out, size=(96, 54), fps=15, backend="cpu", start=0.0, end=1.4, world=world, progress=False)
    n = frame_count(0.0, 1.4, 15)
    assert n == 21 and stats["frames"] == n
    assert len(list(iio.imiter(out, plugin="FFMPEG"))) == n
    assert world.state.step == int(np.floor((n - 1) / 15 * 60 + 1e-9))    # simulated to the last frame's time


def test_overlapping_simulation_and_rendering_changes_no_frame(tmp_path):
    """The film steps frame k+1's world in a second thread while frame k draws: same frames, same world."""
    import numba

    films = {}
    for overlap in (True, False):
        got = []
        world = planet.Planet(128, 3)
        stats = render_film(tmp_path / f"f{overlap}", size=(64, 36), fps=10, backend="cpu", start=20.0, end=21.5,
                            world=world, progress=False, overlap=overlap,
                            on_frame=lambda k, f: got.append(f.copy()))
        films[overlap] = (got, world.state, stats)
    if numba.threading_layer() not in ("omp", "tbb"):
        pytest.skip(f"threading layer {numba.threading_layer()} cannot run kernels from two threads")
    assert films[True][2]["overlap"] and not films[False][2]["overlap"]
    (a, sa, _), (b, sb, _) = films[True], films[False]
    assert len(a) == len(b) == 15
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sa.step == sb.step and all(np.array_equal(sa[n], sb[n]) for n in sa.names)


def _film_threads():
    import threading
    return [t for t in threading.enumerate() if t.name == "planet-film-sim"]


def test_the_simulation_runs_ahead_and_stops_with_the_film(tmp_path):
    """The simulation thread runs up to ``ahead_depth`` frames ahead; when the drawing stops (an error
    in ``on_frame``) the thread stops too, the world no further than that many frames on, and no
    file is left; an error of the simulation reaches the caller."""
    import numba

    from planet.render.film import ahead_depth

    world = planet.Planet(128, 3)
    world.step(1)                                   # a parallel kernel has run: the threading layer is known
    if numba.threading_layer() not in ("omp", "tbb"):
        pytest.skip(f"threading layer {numba.threading_layer()} cannot run kernels from two threads")
    depth = ahead_depth(world.state.shape)
    assert depth == 8 and ahead_depth((8192, 16384)) == 1

    seen = []

    def stop_at_three(k, frame):
        time.sleep(0.05)                            # a slow drawing: the simulation (~6 ms a frame) runs ahead
        seen.append(world.state.step)
        if k == 3:
            raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        render_film(tmp_path / "a.mp4", size=(64, 36), fps=10, backend="cpu", start=20.0, end=24.0, world=world,
                    progress=False, on_frame=stop_at_three)
    assert _film_threads() == []
    assert os.listdir(tmp_path) == []
    # frame k is at step 1200 + 6k; the thread held at most ``depth`` packed frames and one in hand
    assert 1200 + 6 * 3 <= world.state.step <= 1200 + 6 * (3 + depth + 1)
    assert max(seen) >= 1200 + 6 * (3 + 1)        # the world was a frame or more ahead of the one drawn

    class Broken(RuntimeError):
        pass

    world = planet.Planet(128, 3)
    real = world.step

    def step(n=1):
        if world.state.step >= 1200 + 6 * 2:       # in the simulation's thread, after two frames
            raise Broken("the simulation failed")
        return real(n)

    world.step = step
    with pytest.raises(Broken, match="the simulation failed"):
        render_film(tmp_path / "b.mp4", size=(64, 36), fps=10, backend="cpu", start=20.0, end=24.0, world=world,
                    progress=False)
    assert _film_threads() == []
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs, match", [
    (dict(size=(65, 48)), "size must be two even integers"),
    (dict(fps=0), "fps must be an integer"),
    (dict(quality=11), "quality must be"),
    (dict(backend="metal"), "backend must be one of"),
    (dict(start=5.0, end=2.0), "start must be before end"),
])
def test_bad_film_options(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        render_film(tmp_path / "x.mp4", **{"resolution": 128, "progress": False, **kwargs})
    assert os.listdir(tmp_path) == []


def test_bad_output_name():
    with pytest.raises(ValueError, match="out must end in"):
        output_format("film.avi")


def test_demo_writes_the_film_and_posters(tmp_path):
    from planet.render.film import demo

    stats = demo(tmp_path, size=(64, 36), fps=4, backend="cpu", resolution=128, progress=False, end=1.0)
    assert stats["frames"] == 4
    assert (tmp_path / "earth.mp4").is_file()
    assert len(list((tmp_path / "posters").glob("*.png"))) == 9
