"""Property tests (issue 9): hostile bytes for every reader, a full disk at any moment for every writer.

Readers (state ``.npz`` and ``.nc``, baseline JSON, TOML configuration) get random bytes, truncations
and bit flips. Each either refuses the file with its one documented error (``StateFileError``,
``BaselineError``, ``ConfigError``: one line, exit 2 in the CLI) or accepts it, and then what it read
must be exactly what was written (a flip in a zip timestamp or in JSON whitespace changes nothing):
nothing crashes, nothing wrong is accepted. Writers get a disk (a tmpfs) with a random number of
bytes left: each either succeeds or raises its one error, with no temporary left behind and the old
file at the target untouched.

The examples are bounded (a few dozen per reader) so this runs in the ordinary suite; the slow
test at the end (``make test-slow``) runs 2000 per reader, and ``PLANET_HOSTILE_EXAMPLES=N`` sets
the count of the ordinary ones.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planet
from planet.io.read import read_state
from planet.core.config import Config, ConfigError
from planet.core.files import OutputError
from planet.core.state import StateFileError
from planet.testing import BaselineError, load_baseline, write_baseline

EXAMPLES = int(os.environ.get("PLANET_HOSTILE_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """Valid files of every kind, written once: name → (path, bytes)."""
    from planet.io.export import write_netcdf

    d = tmp_path_factory.mktemp("originals")
    state = planet.Planet(128, 5, stages=["lithosphere"]).step(2)
    state.save(d / "state.npz")
    write_netcdf(state, d / "state.nc")
    write_baseline(d / "baseline.json", state)
    (d / "config.toml").write_text(Config().replace(life={"dt": 0.05}).to_toml())
    return {p.name: (p, p.read_bytes()) for p in d.iterdir()}, state


def mutations(size: int):
    """Random bytes, a truncation, or 1-3 bit flips (biased to the first and last 4 KiB, where the
    headers, the metadata and the zip directory are)."""
    where = st.one_of(st.integers(0, size - 1), st.integers(0, min(4095, size - 1)),
                      st.integers(max(0, size - 4096), size - 1))
    return st.one_of(
        st.tuples(st.just("random"), st.binary(min_size=0, max_size=4096)),
        st.tuples(st.just("truncate"), st.integers(0, size - 1)),
        st.tuples(st.just("flip"), st.lists(st.tuples(where, st.integers(0, 7)), min_size=1, max_size=3)),
    )


def mutate(data: bytes, how) -> bytes:
    kind, arg = how
    if kind == "random":
        return arg
    if kind == "truncate":
        return data[:arg]
    out = bytearray(data)
    for pos, bit in arg:
        out[pos] ^= 1 << bit
    return bytes(out)


def _hostile(tmp_path, name: str, data: bytes, how) -> Path:
    bad = tmp_path / f"hostile-{name}"
    bad.write_bytes(mutate(data, how))
    return bad


def _same_state(a, b) -> bool:
    return (a.equals(b) and a.stages == b.stages and a.config == b.config and a.names == b.names
            and all(a[n].dtype == b[n].dtype for n in a.names))


@pytest.mark.parametrize("name", ["state.npz", "state.nc"])
def test_state_readers_refuse_or_read_exactly(originals, tmp_path, name, examples=EXAMPLES):
    files, state = originals
    path, data = files[name]

    @settings(SETTINGS, max_examples=examples)
    @given(how=mutations(len(data)))
    def check(how):
        bad = _hostile(tmp_path, name, data, how)
        try:
            got = read_state(bad)
        except StateFileError as e:
            assert str(e) and "\n" not in str(e).strip()
        else:
            assert _same_state(got, state), f"a damaged file was accepted with other contents ({how[0]})"
        assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]

    check()


def test_baseline_reader_refuses_or_reads_exactly(originals, tmp_path, examples=EXAMPLES):
    files, _ = originals
    path, data = files["baseline.json"]
    good = load_baseline(path)

    @settings(SETTINGS, max_examples=examples)
    @given(how=mutations(len(data)))
    def check(how):
        bad = _hostile(tmp_path, "baseline.json", data, how)
        try:
            got = load_baseline(bad)
        except BaselineError as e:
            assert str(e)
        else:
            assert got.meta == good.meta and got.values == good.values, "a damaged baseline was accepted"

    check()


def test_config_reader_refuses_or_reads_a_valid_configuration(originals, tmp_path):
    """TOML has no checksum (it is for people to edit): a flipped digit is a different, valid value.
    What must hold: no crash, and whatever is accepted is a configuration inside its documented ranges."""
    files, _ = originals
    path, data = files["config.toml"]

    @SETTINGS
    @given(how=mutations(len(data)))
    def check(how):
        bad = _hostile(tmp_path, "config.toml", data, how)
        try:
            cfg = Config.from_toml(bad)
        except ConfigError as e:
            assert str(e)
        else:
            assert Config.from_dict(cfg.to_dict()) == cfg          # it re-validates: every value in range

    check()


# -- every writer on a disk with a random number of bytes left ------------------------------------
@pytest.fixture(scope="module")
def tiny_disk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disk")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); test_reliability injects ENOSPC instead")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def _leave_free(folder: Path, nbytes: int) -> None:
    """Fill ``folder``'s file system so that about ``nbytes`` stay free."""
    filler = folder / "filler"
    filler.unlink(missing_ok=True)
    st_ = os.statvfs(folder)
    free = st_.f_bavail * st_.f_frsize
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - nbytes))


def _writers(state):
    from planet.io.export import write_netcdf, write_npz, write_png16
    from planet.cli.preview import write_png
    from planet.analysis.sweep import write_csv

    rgb = np.zeros((32, 64, 3), np.uint8)
    return {
        "state.npz": lambda p: state.save(p),
        "export.nc": lambda p: write_netcdf(state, p),
        "export.npz": lambda p: write_npz(state, p),
        "height.png": lambda p: write_png16(state, p),
        "baseline.json": lambda p: write_baseline(p, state),
        "sweep.csv": lambda p: write_csv([{"seed": 0, "status": "ok", "x": 1.5}] * 2000, p),
        "preview.png": lambda p: write_png(rgb, p),
    }


@pytest.mark.parametrize("name", ["state.npz", "export.nc", "export.npz", "height.png", "baseline.json",
                                  "sweep.csv", "preview.png"])
def test_every_writer_with_the_disk_filling_up_fails_cleanly(originals, tiny_disk, name):
    _, state = originals
    write = _writers(state)[name]
    target = tiny_disk / name

    @settings(max_examples=max(8, EXAMPLES // 4), deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(free=st.integers(0, 600_000))
    def check(free):
        for p in tiny_disk.iterdir():
            p.unlink()
        target.write_bytes(b"the old file")
        _leave_free(tiny_disk, free)
        written = [name]
        try:
            write(target)
        except (OutputError, StateFileError) as e:
            assert "cannot write" in str(e) and "\n" not in str(e)
            assert target.read_bytes() == b"the old file"
        else:
            assert target.read_bytes() != b"the old file"
            if name == "height.png":          # a heightmap comes with its world file and .prj
                written += ["height.pgw", "height.prj"]
        assert sorted(p.name for p in tiny_disk.iterdir()) == sorted(["filler", *written])

    check()


def test_the_film_writers_with_the_disk_filling_up_fail_cleanly(tiny_disk):
    from planet.render.video import VideoWriter

    frames = [np.full((36, 64, 3), k * 20, np.uint8) for k in range(6)]
    for free in (0, 8192, 40_000):
        for name in ("f.mp4", "f.gif", "frames"):
            for p in tiny_disk.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            _leave_free(tiny_disk, free)
            try:
                with VideoWriter(tiny_disk / name, (64, 36), fps=2) as w:
                    for f in frames:
                        w.write(f)
            except OutputError as e:
                assert "cannot write" in str(e)
                assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"], (name, free)
            else:
                assert sorted(p.name for p in tiny_disk.iterdir()) == sorted(["filler", name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["state.npz", "state.nc"])
def test_readers_with_many_hostile_files(originals, tmp_path, name):
    test_state_readers_refuse_or_read_exactly(originals, tmp_path, name, examples=2000)
    test_baseline_reader_refuses_or_reads_exactly(originals, tmp_path, examples=1000)
