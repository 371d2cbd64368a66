"""Nothing lost, nothing crashes (issue 9): user files, NaN cells, devices, one output policy.

Each test reproduces a defect found by a hostile user on a fresh clone: before the fix it deleted a
user's files, killed the interpreter (exit 139) or replaced a device node; now each is refused
with one ``planet: error:`` line (exit 2) or drawn without a crash, and the user's files are intact.
"""
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import planet
from planet.cli import main
from planet.core.files import OutputError, atomic_write
from planet.render.video import VideoWriter

ROOT = Path(__file__).resolve().parent.parent
FILM = ["--size", "64x36", "--fps", "2", "--until", "1", "--resolution", "128", "--backend", "cpu", "--quiet"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(code, err, *words):
    assert code == 2, err
    assert err.startswith("planet: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err


def tree(folder: Path) -> dict:
    """Every path under ``folder`` with its bytes (files) or None (folders)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


@pytest.fixture
def user_folder(tmp_path):
    """A folder holding a user's notes and a subfolder of posters (the issue's reproduction)."""
    out = tmp_path / "outputs"
    (out / "posters").mkdir(parents=True)
    (out / "notes.txt").write_text("x\n")
    (out / "posters" / "mine.png").write_bytes(b"\x89PNG user's own")
    return out


# -- 1. data loss: a frame folder must be new or empty; nothing else is ever removed ----------
def test_film_into_a_folder_with_user_files_is_refused_and_deletes_nothing(user_folder, capsys):
    before = tree(user_folder.parent)
    code, _, err = run(capsys, "film", "--out", user_folder, *FILM)
    one_error(code, err, "not empty", str(user_folder))
    assert tree(user_folder.parent) == before


@pytest.mark.parametrize("out", [".", "..", "./", "sub/.."])
def test_film_into_the_current_folder_or_a_parent_is_refused(tmp_path, monkeypatch, capsys, out):
    here = tmp_path / "a" / "b"
    (here / "sub").mkdir(parents=True)
    (here / "keep.txt").write_text("mine")
    (tmp_path / "a" / "parent.txt").write_text("mine too")
    monkeypatch.chdir(here)
    before = tree(tmp_path)
    code, _, err = run(capsys, "film", "--out", out, *FILM)
    one_error(code, err, "--out")
    assert tree(tmp_path) == before


def test_frame_folder_new_or_empty_is_written(tmp_path):
    empty = tmp_path / "frames"
    empty.mkdir()
    with VideoWriter(empty, (64, 48), fps=2) as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
    assert sorted(os.listdir(empty)) == ["frame_000000.png"]
    with pytest.raises(OutputError, match="not empty"):
        VideoWriter(empty, (64, 48), fps=2)                   # a second film into the same folder: refused
    assert sorted(os.listdir(tmp_path)) == ["frames"]


def test_a_file_that_appears_in_the_frame_folder_meanwhile_is_kept(tmp_path):
    folder = tmp_path / "frames"
    w = VideoWriter(folder, (64, 48), fps=2)
    w.write(np.zeros((48, 64, 3), np.uint8))
    folder.mkdir()
    (folder / "late.txt").write_text("someone else's")
    with pytest.raises(OutputError, match="not empty"):
        w.close()
    assert sorted(os.listdir(tmp_path)) == ["frames"] and os.listdir(folder) == ["late.txt"]


# -- 2. segfaults: no float that can be NaN or inf becomes an index ---------------------------
def _in_subprocess(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a segfault there is exit -11, not a dead test run)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)


def test_a_nan_cell_renders_on_the_cpu_without_a_crash():
    """One NaN cell in each field in turn, every map view and the globe: an image, not exit 139."""
    r = _in_subprocess("""
        import numpy as np, planet, planet.render as pr
        from planet.render import atmosphere, projection
        from planet.render.scene import Q_CAM_LON, Camera, pack_fields, projection_params
        state = planet.Planet(128, 0).state
        lut = projection.gamma_table(1 / 1.5)
        for name in state.names:
            for bad in (np.nan, np.inf, -np.inf):
                a = state[name].copy(); a[10, 20] = bad
                s = state.replace(**{name: a})
                for v in ("satellite", "plates", "temperature"):
                    img = pr.view(s, v, size=(64, 32), backend="cpu", allow_nonfinite=True)
                    assert img.shape == (32, 64, 3)
                g = pr.globe(s, size=(64, 64), backend="cpu", lat=0, lon=-60, allow_nonfinite=True)
                assert g.shape == (64, 64, 3)
        # the kernels themselves: NaN colours and a NaN camera longitude
        a = np.full((8, 16, 3), np.nan, np.float32)
        for lon in (np.nan, np.inf):
            Q = projection_params((32, 16), Camera(lat=0.0, lon=0.0, unwrap=1.0))
            Q[Q_CAM_LON] = lon
            G = np.empty((8, 16, 32), np.float32); projection.geometry(Q, G)
            out = np.empty((16, 32, 3), np.uint8)
            projection.project(a, a, G, Q, lut, np.zeros((2, atmosphere.ATM_ROWS, atmosphere.ATM_ANGLES, 6), np.float32), out)
            assert (out == 0).all()
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), (r.returncode, r.stderr[-2000:])


@pytest.mark.parametrize("lon", [float("nan"), float("inf"), -float("inf")])
def test_view_refuses_a_nonfinite_longitude(lon):
    import planet.render as pr

    state = planet.Planet(128, 0).state
    with pytest.raises(ValueError, match="lon must be a finite number of degrees"):
        pr.view(state, lon=lon, size=(64, 32), backend="cpu")
    with pytest.raises(ValueError, match="lon must be a finite number of degrees"):
        pr.globe(state, lon=lon, size=(64, 64), backend="cpu")


# -- 3. devices, pipes and folders are never replaced -----------------------------------------
def _special(tmp_path, kind: str) -> Path:
    path = tmp_path / f"{kind}.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))   # a second /dev/null, in tmp_path
    else:
        path.mkdir()
    return path


def _same_kind(path: Path, kind: str) -> bool:
    mode = os.lstat(path).st_mode
    return {"fifo": stat.S_ISFIFO, "device": stat.S_ISCHR, "folder": stat.S_ISDIR}[kind](mode)


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_atomic_write_never_replaces_a_device_pipe_or_folder(tmp_path, kind):
    target = _special(tmp_path, kind)
    wrote = []
    with pytest.raises(OutputError, match=f"is a {'pipe' if kind == 'fifo' else kind}"):
        atomic_write(target, lambda tmp: wrote.append(Path(tmp).write_text("x")))
    assert _same_kind(target, kind) and not wrote
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.fixture(scope="module")
def state_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("state") / "w.npz"
    planet.Planet(128, 1).save(path)
    return path


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
@pytest.mark.parametrize("command", [
    ["stats", "{state}", "--json", "{target}"],
    ["compare", "{state}", "{state}", "--json", "{target}"],
    ["export", "{state}", "--format", "npz", "--out", "{target}"],
    ["run", "--resolution", "128", "--steps", "1", "--quiet", "--out", "{target}"],
    ["film", "--out", "{target}.mp4", *FILM],
])
def test_cli_writers_refuse_a_device_pipe_or_folder(tmp_path, capsys, state_file, kind, command):
    target = _special(tmp_path, kind)
    if command[0] == "film":
        target = target.rename(tmp_path / "x.mp4")
    argv = [a.format(state=state_file, target=target).replace(".mp4.mp4", ".mp4") for a in command]
    code, _, err = run(capsys, *argv)
    one_error(code, err, str(target))
    assert _same_kind(target, kind)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


# -- 4. one output policy: checked before any work; write-time errors are one line, nothing left ----
def test_an_output_path_ending_in_a_slash_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "run", "--resolution", "128", "--steps", "1", "--out", f"{tmp_path}/newdir/")
    one_error(code, err, "ends in '/'")
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_too_long_is_refused_up_front(tmp_path, capsys, state_file):
    code, _, err = run(capsys, "stats", state_file, "--json", tmp_path / ("x" * 300 + ".json"))
    one_error(code, err, "too long")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [
    ["render", "{state}", "--backend", "cpu", "--out", "{folder}/d.png/"],
    ["stats", "{state}", "--json", "{folder}/d"],
    ["stats", "{state}", "--baseline", "{folder}/d", "--update"],
    ["export", "{state}", "--format", "netcdf", "--out", "{folder}/d"],
    ["compare", "{state}", "{state}", "--json", "{folder}/d"],
    ["sweep", "--seeds", "0:2", "--until", "0.1", "--resolution", "128", "--no-processes", "--stats", "{folder}/d"],
    ["film", "--out", "{folder}/d.mp4", *FILM],
])
def test_every_writer_refuses_a_folder_before_any_work(tmp_path, capsys, monkeypatch, state_file, command):
    (tmp_path / "d").mkdir()
    (tmp_path / "d.png").mkdir()
    (tmp_path / "d.mp4").mkdir()
    import planet.render.film as film
    import planet.analysis.stats as S
    import planet.analysis.sweep as sweep_module

    def no_work(*a, **k):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr(S, "compute", no_work)
    monkeypatch.setattr(sweep_module, "run_world", no_work)
    monkeypatch.setattr(film, "VideoWriter", no_work)
    monkeypatch.setattr(planet.Planet, "run", no_work)
    before = tree(tmp_path)
    code, _, err = run(capsys, *[a.format(state=state_file, folder=tmp_path) for a in command])
    one_error(code, err)
    assert "folder" in err or "ends in '/'" in err
    assert tree(tmp_path) == before


def test_film_checks_out_before_simulating(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(planet.Planet, "run", lambda *a, **k: pytest.fail("simulated before checking --out"))
    code, _, err = run(capsys, "film", "--out", tmp_path / "missing" / "f.mp4", "--start-time", "30", *FILM)
    one_error(code, err, "does not exist")


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder on a read-only tmpfs (EROFS even for root), or skip where mounting is not allowed."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.mark.parametrize("command", [
    ["film", "--out", "{ro}/frames", *FILM],
    ["film", "--out", "{ro}/f.mp4", *FILM],
    ["run", "--resolution", "128", "--steps", "2", "--checkpoint-every", "1", "--checkpoint-dir", "{ro}/ck"],
    ["run", "--resolution", "128", "--steps", "2", "--out", "{ro}/w.npz"],
])
def test_read_only_folders_fail_up_front(read_only_folder, capsys, command):
    code, _, err = run(capsys, *[a.format(ro=read_only_folder) for a in command])
    one_error(code, err)
    assert "read-only" in err or "not writable" in err or "cannot" in err


# -- a full disk: every writer, the real thing (a full tmpfs) ---------------------------------
@pytest.fixture
def full_disk(tmp_path):
    """A folder on a tmpfs filled to the last byte: files can be created, not written."""
    folder = tmp_path / "full"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


WRITERS = [
    ["run", "--resolution", "128", "--steps", "1", "--quiet", "--out", "{d}/w.npz"],
    ["run", "--resolution", "128", "--steps", "1", "--quiet", "--previews", "{d}/prev"],
    ["run", "--resolution", "128", "--steps", "2", "--quiet", "--checkpoint-every", "1", "--checkpoint-dir", "{d}/ck"],
    ["export", "{state}", "--format", "netcdf", "--out", "{d}/w.nc"],
    ["export", "{state}", "--format", "npz", "--out", "{d}/w.npz"],
    ["export", "{state}", "--format", "png16", "--out", "{d}/w.png"],
    ["stats", "{state}", "--json", "{d}/s.json"],
    ["stats", "{state}", "--baseline", "{d}/b.json", "--update"],
    ["compare", "{state}", "{state}", "--json", "{d}/c.json"],
    ["render", "{state}", "--backend", "cpu", "--size", "64x32", "--out", "{d}/r.png"],
    ["film", "--out", "{d}/f.mp4", *FILM],
    ["film", "--out", "{d}/f.gif", *FILM],
    ["film", "--out", "{d}/frames", *FILM],
    ["sweep", "--seeds", "0:1", "--until", "0.05", "--resolution", "128", "--no-processes", "--stats", "{d}/s.csv"],
]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c[:1] + [c[-1].split("/")[-1]]))
def test_every_writer_on_a_full_disk_fails_in_one_line_and_leaves_nothing(full_disk, capsys, state_file, command):
    code, _, err = run(capsys, *[a.format(d=full_disk, state=state_file) for a in command])
    one_error(code, err)
    # the reason is the library's (HDF5 reports a full disk as "permission denied"); the path is ours
    assert "cannot write" in err and str(full_disk) in err, err
    left = sorted(p.name for p in full_disk.rglob("*") if p.is_file() and p.name not in ("filler", ".lock"))
    assert left == [], left


def test_write_time_errors_from_any_atomic_writer_become_output_errors(tmp_path, monkeypatch):
    """ENOSPC, EROFS, EACCES, ENAMETOOLONG injected at the flush: one OutputError, no temporary."""
    import errno

    import planet.core.files as files

    state = planet.Planet(128, 0).state
    for code in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENAMETOOLONG):
        def fail(path, code=code):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(files, "_fsync_file", fail)
        with pytest.raises(planet.StateFileError, match=f"cannot write .*{os.strerror(code)[1:]}"):
            state.save(tmp_path / "w.npz")
        with pytest.raises(OutputError, match=os.strerror(code)[1:]):
            atomic_write(tmp_path / "x.txt", lambda tmp: Path(tmp).write_text("x"))
        assert list(tmp_path.iterdir()) == []


# -- 5. NaN and range safety at every boundary ------------------------------------------------
@pytest.fixture(scope="module")
def nan_state_file(tmp_path_factory):
    state = planet.Planet(128, 1).state
    a = state.temperature.copy()
    a[5, 7] = np.nan
    a[9, 1] = np.nan
    path = tmp_path_factory.mktemp("nan") / "nan.npz"
    state.replace(temperature=a).save(path)
    return path


def test_a_nan_state_is_refused_on_load_naming_the_field_and_the_first_cell(nan_state_file):
    with pytest.raises(planet.StateFileError, match=r"nan in field 'temperature' at cell \(row 5, col 7\) \(2 cells"):
        planet.State.load(nan_state_file)
    with pytest.raises(planet.StateFileError, match="allow-nonfinite"):
        planet.load(nan_state_file)
    state = planet.State.load(nan_state_file, allow_nonfinite=True)
    assert np.isnan(state.temperature).sum() == 2


@pytest.mark.parametrize("command", [
    ["render", "{s}", "--backend", "cpu", "--size", "64x32", "--out", "{d}/r.png"],
    ["export", "{s}", "--format", "png16", "--out", "{d}/h.png"],
    ["export", "{s}", "--format", "netcdf", "--out", "{d}/h.nc"],
    ["stats", "{s}"],
    ["compare", "{s}", "{s}"],
    ["run", "--from", "{s}", "--until", "1", "--out", "{d}/w.npz"],
])
def test_cli_refuses_a_nan_state_unless_asked(tmp_path, capsys, nan_state_file, command):
    argv = [a.format(s=nan_state_file, d=tmp_path) for a in command]
    code, _, err = run(capsys, *argv)
    one_error(code, err, "'temperature'", "(row 5, col 7)", "--allow-nonfinite")
    assert list(tmp_path.iterdir()) == []


def test_allow_nonfinite_looks_at_a_broken_state(tmp_path, capsys, nan_state_file):
    code, _, err = run(capsys, "render", nan_state_file, "--backend", "cpu", "--size", "64x32",
                       "--out", tmp_path / "r.png", "--allow-nonfinite")
    assert code == 0 and (tmp_path / "r.png").is_file()
    code, out, err = run(capsys, "stats", nan_state_file, "--allow-nonfinite")
    assert code == 0 and err.startswith("planet: warning: statistics of a state with non-finite values")
    # a heightmap of NaN would be all zeros: refused even when asked
    code, _, err = run(capsys, "export", nan_state_file, "--format", "png16", "--field", "temperature",
                       "--out", tmp_path / "h.png", "--allow-nonfinite")
    one_error(code, err, "heightmap needs finite values")
    code, out, _ = run(capsys, "info", nan_state_file)
    assert code == 0 and "2 cells not finite" in out and "warning: not finite" in out


def test_view_refuses_a_nan_state_by_default():
    import planet.render as pr

    state = planet.Planet(128, 0).state
    z = state.elevation.copy()
    z[3, 4] = np.inf
    with pytest.raises(ValueError, match=r"inf in field 'elevation' at cell \(row 3, col 4\)"):
        pr.view(state.replace(elevation=z), size=(64, 32), backend="cpu")


# -- 6. every option honoured or refused ------------------------------------------------------
def test_start_with_another_config_is_refused(tmp_path, capsys, state_file):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[life]\ndt = 0.07\n")
    code, _, err = run(capsys, "run", "--from", state_file, "--config", cfg, "--until", "1", "--out", tmp_path / "o.npz")
    one_error(code, err, "--config differs", "life.dt")
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("extra, named", [(["--seed", "9"], "--seed"), (["--resolution", "256"], "--resolution"),
                                          (["--stages", "lithosphere"], "--stages")])
def test_resume_with_new_world_options_is_refused(tmp_path, capsys, extra, named):
    ck = tmp_path / "ck"
    assert run(capsys, "run", "--resolution", "128", "--steps", "2", "--checkpoint-every", "1",
               "--checkpoint-dir", ck, "--quiet")[0] == 0
    code, _, err = run(capsys, "run", "--resume", ck, "--steps", "1", *extra)
    one_error(code, err, named, "--resume")


def test_start_honours_stages(tmp_path, capsys, state_file):
    out = tmp_path / "o.npz"
    assert run(capsys, "run", "--from", state_file, "--stages", "lithosphere", "--steps", "1", "--out", out,
               "--quiet")[0] == 0
    a, b = planet.State.load(state_file), planet.State.load(out)
    assert b.step == a.step + 1 and np.array_equal(a.temperature, b.temperature)   # climate frozen
    assert b.equals(planet.Planet.from_state(a, stages=["lithosphere"]).step(1))
    assert not b.equals(planet.Planet.from_state(a).step(1))


# -- 7. bounded work -----------------------------------------------------------------------------
def test_run_length_is_bounded_up_front():
    world = planet.Planet(128, 0)
    for until in (1e300, 501.0):
        with pytest.raises(ValueError, match=r"past the bound of 500 s \(the story's end 250 s \+ a margin"):
            world.run(until=until)
    assert world.state.step == 0
    with pytest.raises(ValueError, match="past the bound of 0.01 s"):
        world.run(until=1.0, max_time=0.01)
    with pytest.raises(ValueError, match="max_time must be film seconds"):
        world.run(until=1.0, max_time=float("nan"))


@pytest.mark.parametrize("command, match", [
    (["run", "--resolution", "128", "--until", "1e300"], "past the bound of 500 s"),
    (["run", "--resolution", "128", "--steps", "100000000000000"], "--steps 100000000000000"),
    (["film", "--out", "{d}/f.mp4", "--until", "1e12", "--size", "64x36", "--resolution", "128"], "past the bound"),
    (["sweep", "--seeds", "0:4294967296", "--until", "1"], "at most 100000"),
    (["sweep", "--seeds", "0:2", "--until", "1", "--stages", "bogus"], "unknown stage 'bogus'"),
    (["sweep", "--seeds", "0:2", "--until", "1e9"], "past the bound"),
    (["run", "--resolution", "128", "--stages", ","], "must name at least one stage"),
])
def test_unbounded_or_bogus_work_is_refused_at_once(tmp_path, capsys, monkeypatch, command, match):
    monkeypatch.setattr(planet.Planet, "step", lambda *a, **k: pytest.fail("a step ran"))
    code, _, err = run(capsys, *[a.format(d=tmp_path) for a in command])
    one_error(code, err, match)
    assert list(tmp_path.iterdir()) == []


def test_seed_ranges_are_parsed_lazily():
    from planet.analysis.sweep import parse_seeds

    seeds = parse_seeds("0:1000,4294967290:4294967296", max_worlds=10**10)
    assert len(seeds) == 1006 and list(seeds)[-1] == 4294967295
    with pytest.raises(ValueError, match=r"in \[0, 4294967295\], got 4294967296"):
        parse_seeds("0:4294967297", max_worlds=10**10)
    with pytest.raises(ValueError, match="must not repeat"):
        parse_seeds("0:10,5:7")


# -- 8. file formats that defend themselves --------------------------------------------------------
def _rewrite(src: Path, dst: Path, meta_edit=None, arrays_edit=None):
    """Copy a state file with its metadata and arrays edited (the checksum left as it was)."""
    import json

    with np.load(src) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        arrays = {k: data[k] for k in data.files if k != "meta"}
    if meta_edit:
        meta_edit(meta)
    if arrays_edit:
        arrays_edit(arrays)
    with open(dst, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return dst


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(step=m["step"] + 1), "checksum mismatch"),
    (lambda m: m.update(seed=m["seed"] + 1), "checksum mismatch"),
    (lambda m: m["config"]["life"].update(dt=0.07), "checksum mismatch"),
    (lambda m: m.update(stages=["lithosphere"]), "checksum mismatch"),
    (lambda m: m.update(step=-3), "step -3 is negative"),
    (lambda m: m.update(resolution=100), "resolution"),
    (lambda m: m.update(format="zip"), "not a planet state file"),
])
def test_edited_metadata_is_refused(tmp_path, state_file, edit, match):
    bad = _rewrite(state_file, tmp_path / "bad.npz", meta_edit=edit)
    with pytest.raises(planet.StateFileError, match=match):
        planet.State.load(bad)


def test_declared_shapes_are_checked_before_any_array_is_read(tmp_path, state_file, monkeypatch):
    """A small file declaring a huge field is refused from its .npy header (the issue: 1.2 MB → 2.26 GB)."""
    import zipfile

    from numpy.lib import format as npf

    bad = tmp_path / "huge.npz"
    with zipfile.ZipFile(state_file) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "field/elevation.npy":
                import io

                buf = io.BytesIO()
                npf.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (16384, 16384)})
                zout.writestr(info.filename, buf.getvalue() + b"\0" * (2**20))   # declares 1 GiB, holds 1 MiB
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    read = []
    real = np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", lambda self, key: read.append(key) or real(self, key))
    with pytest.raises(planet.StateFileError, match=r"field 'elevation' declares float32 \(16384, 16384\)"):
        planet.State.load(bad)
    assert read == ["meta"]


def test_a_state_missing_a_field_is_refused(tmp_path):
    state = planet.Planet(128, 0, stages=["lithosphere"]).state
    fields = state.fields
    del fields["plate"]
    planet.State(fields, step=0, seed=0, stages=state.stages).save(tmp_path / "w.npz")
    with pytest.raises(planet.StateFileError, match="missing field 'plate'.*lithosphere"):
        planet.State.load(tmp_path / "w.npz")


@pytest.mark.parametrize("content", [b"", b"hello\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, b"PK\x05\x06" + b"\0" * 18])
@pytest.mark.parametrize("command", [["info", "{f}"], ["stats", "{f}"], ["render", "{f}", "--out", "{d}/x.png"],
                                     ["run", "--from", "{f}", "--steps", "1"], ["export", "{f}", "--format", "npz",
                                                                                 "--out", "{d}/x.npz"]])
def test_a_file_that_is_not_a_state_is_named_so(tmp_path, capsys, content, command):
    f = tmp_path / "thing.npz"
    f.write_bytes(content)
    code, _, err = run(capsys, *[a.format(f=f, d=tmp_path) for a in command])
    one_error(code, err)
    assert "not a planet state file" in err or "damaged" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.npz"]


def test_netcdf_states_are_accepted_wherever_npz_states_are(tmp_path, capsys, state_file):
    nc = tmp_path / "w.nc"
    assert run(capsys, "export", state_file, "--format", "netcdf", "--out", nc)[0] == 0
    code, out, _ = run(capsys, "info", nc)
    assert code == 0 and "planet state" in out
    assert run(capsys, "render", nc, "--backend", "cpu", "--size", "64x32", "--out", tmp_path / "r.png")[0] == 0
    assert run(capsys, "run", "--from", nc, "--steps", "1", "--quiet", "--out", tmp_path / "n.npz")[0] == 0
    assert run(capsys, "run", "--from", state_file, "--steps", "1", "--quiet", "--out", tmp_path / "z.npz")[0] == 0
    assert planet.State.load(tmp_path / "n.npz").equals(planet.State.load(tmp_path / "z.npz"))


def test_an_edited_netcdf_is_refused(tmp_path, state_file):
    import netCDF4

    from planet.io.export import read_netcdf, write_netcdf

    nc = write_netcdf(planet.State.load(state_file), tmp_path / "w.nc")
    with netCDF4.Dataset(nc, "a") as ds:
        ds.setncattr("step", 999)
    with pytest.raises(planet.StateFileError, match="checksum mismatch"):
        read_netcdf(nc)


# -- 9. argparse and the small API checks ---------------------------------------------------
@pytest.mark.parametrize("argv, match", [
    (["film", "--out", "x.mp4", "--fps", "abc"], "argument --fps: invalid int value: 'abc'"),
    (["film", "--out", "x.mp4", "--preset", "warp9"], "argument --preset: invalid choice: 'warp9'"),
    (["export", "s.npz", "--out", "x", "--format", "tiff"], "argument --format: invalid choice: 'tiff'"),
    (["run", "--steps", "1e14"], "argument --steps: invalid int value: '1e14'"),
])
def test_type_errors_are_one_line_without_the_usage_block(capsys, argv, match):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err == f"planet: error: {err[len('planet: error: '):]}" and match in err
    assert err.count("\n") == 1 and "usage" not in err


def test_help_lists_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "130", "141"):
        assert f"\n  {code}" in out


@pytest.mark.parametrize("kwargs, match", [
    (dict(size="24"), r"size must be \(width, height\)"),
    (dict(size=("64", "32")), "size must be two even integers"),
    (dict(time=1e300), r"time must be film seconds in \[0, 1e\+06\]"),
    (dict(overlay="plates", opacity=float("nan")), r"opacity must be a number in \[0, 1\]"),
    (dict(opacity=2.0), r"opacity must be a number in \[0, 1\]"),
])
def test_view_refuses_bad_arguments(kwargs, match):
    import planet.render as pr

    with pytest.raises(ValueError, match=match):
        pr.view(planet.Planet(128, 0).state, backend="cpu", **kwargs)


def test_memory_check_reads_available_not_free_memory(tmp_path):
    from planet.core.memory import available_memory as _available_memory

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       131072000 kB\nMemFree:          1024000 kB\nMemAvailable:   96000000 kB\n")
    assert _available_memory(str(meminfo)) == 96000000 * 1024
    text = Path("/proc/meminfo").read_text()
    real = int(next(line.split()[1] for line in text.splitlines() if line.startswith("MemAvailable:")))
    assert abs(_available_memory() - real * 1024) < 2**30


def test_demo_with_a_bad_seed_leaves_no_folder(tmp_path, capsys):
    code, _, err = run(capsys, "demo", "--out", tmp_path / "new", "--seed", "-4")
    one_error(code, err, "seed must be an integer")
    assert list(tmp_path.iterdir()) == []


def test_format_1_state_files_are_still_read(tmp_path, state_file):
    """Files written before the metadata joined the checksum (format 1) load as before."""
    from planet.core.state import fields_checksum

    def to_v1(meta):
        meta["format_version"] = 1

    def checksum_fields_only(arrays):
        meta_fields = {k.split("/", 1)[1]: v for k, v in arrays.items()}
        old.append(fields_checksum(meta_fields))

    old = []
    v1 = _rewrite(state_file, tmp_path / "v1.npz", meta_edit=to_v1, arrays_edit=checksum_fields_only)
    _rewrite(v1, v1, meta_edit=lambda m: m.update(checksum=old[0]))
    assert planet.State.load(v1).equals(planet.State.load(state_file))
    _rewrite(v1, tmp_path / "v1-edited.npz", meta_edit=lambda m: m.update(checksum="0" * 64))
    with pytest.raises(planet.StateFileError, match="checksum mismatch"):
        planet.State.load(tmp_path / "v1-edited.npz")


def test_format_2_state_files_read_their_cell_counts_as_km2(tmp_path, state_file):
    """Format 2 files hold ``drainage_area`` as an upstream cell count; it reads as km², the count
    times the cell's own area on a 6371 km sphere: R² Δλ (sin φ_north − sin φ_south)."""
    import json
    import math

    from planet.core.state import state_checksum

    counts = np.zeros((64, 128), np.float32)
    counts[32, :] = 1.0                                      # the row just south of the equator
    counts[0, 5] = 7.0                                       # a polar cell
    counts[40, 9] = 1234.0

    def to_v2(arrays):
        arrays["field/drainage_area"] = counts

    v2 = _rewrite(state_file, tmp_path / "v2.npz", meta_edit=lambda m: m.update(format_version=2), arrays_edit=to_v2)
    with np.load(v2) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        fields = {k.split("/", 1)[1]: data[k] for k in data.files if k != "meta"}
    _rewrite(v2, v2, meta_edit=lambda m: m.update(checksum=state_checksum(meta, fields)))
    got = planet.State.load(v2).drainage_area

    def area(j):
        north, south = math.radians(90 - 180 * j / 64), math.radians(90 - 180 * (j + 1) / 64)
        return 6371.0 ** 2 * (2 * math.pi / 128) * (math.sin(north) - math.sin(south))

    assert got[32] == pytest.approx(np.full(128, area(32)), rel=1e-6)     # 48 000 km² at the equator
    assert got[0, 5] == pytest.approx(7 * area(0), rel=1e-6)
    assert got[40, 9] == pytest.approx(1234 * area(40), rel=1e-6)
    assert np.count_nonzero(got) == 130
    # a format 3 file holds km² already: read as written
    assert np.array_equal(planet.State.load(state_file).drainage_area, np.load(state_file)["field/drainage_area"])


def test_stepping_a_state_with_nan_cells_does_not_crash():
    """``--allow-nonfinite`` lets a broken state be run: a NaN or inf in any field, stepped, is no segfault
    (the semi-Lagrangian departure points and the trail heads never index with a NaN/inf float)."""
    r = _in_subprocess("""
        import numpy as np, planet
        from planet.processes.atmosphere import _advect_pair
        w = planet.Planet(128, 2)
        w.run(until=2.0)
        s0 = w.state
        for name in s0.names:
            for bad in (np.nan, np.inf, -np.inf):
                a = s0[name].copy(); a[20:23, 30:34] = bad; a[0, 5] = bad; a[63, 100] = bad
                planet.Planet.from_state(s0.replace(**{name: a})).step(2)
        # the advection kernel itself, fed NaN/inf winds directly (the climate stage rewrites the
        # state's winds before the atmosphere reads them)
        f = np.ones((64, 128), np.float32)
        u = np.full((64, 128), np.nan, np.float32); u[::2] = np.inf
        a_out, b_out = _advect_pair(f, f, u, u, np.float32(0.5), np.float32(1.0), True)
        assert (a_out == 1).all() and (b_out == 1).all()      # a NaN wind moves nothing
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), (r.returncode, r.stderr[-2000:])
