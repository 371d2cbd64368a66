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
from planet.files import OutputError, atomic_write
from planet.render.video import VideoWriter

ROOT = Path(__file__).resolve().parent.parent
FILM = ["--size", "64x36", "--fps", "2", "--end", "1", "--resolution", "128", "--backend", "cpu", "--quiet"]


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
        from planet.render import cpu
        from planet.render.scene import Camera, pack_fields, projection_params
        state = planet.Planet(128, 0).state
        lut = cpu.gamma_table(1 / 1.5)
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
            Q[4] = lon
            G = np.empty((8, 16, 32), np.float32); cpu.geometry(Q, G)
            out = np.empty((16, 32, 3), np.uint8)
            cpu.project(a, a, G, Q, lut, np.zeros((2, cpu.ATM_ROWS, cpu.ATM_ANGLES, 6), np.float32), out)
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
