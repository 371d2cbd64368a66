"""The disk cache of the protoplanet (``planet.core.diskcache``): the same bits as computing it, and
never an error or a stale value from what lies in the folder."""
import numpy as np
import pytest

from planet.core import diskcache
from planet.core.grid import Grid
from planet.core.noise import seed_offset
from planet.processes.lithosphere import protoplanet as pp

ROWS, COLUMNS, SEED = 16, 32, 3


def computed():
    points = Grid(ROWS, COLUMNS).positions().astype(np.float32)
    return pp.protoplanet_elevation(points, seed_offset(SEED))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(diskcache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def entries(folder):
    return sorted(p.name for p in folder.glob("protoplanet-*.npy")) if folder.exists() else []


def test_a_kept_protoplanet_is_the_computed_one_bit_for_bit(folder, monkeypatch):
    want = computed()
    first = pp._elevation(SEED, ROWS, COLUMNS)
    assert first.tobytes() == want.tobytes()
    assert len(entries(folder)) == 1 and entries(folder)[0].startswith(f"protoplanet-{SEED}-{ROWS}x{COLUMNS}-")
    monkeypatch.setattr(pp, "protoplanet_elevation", lambda *a: pytest.fail("computed, not read from the cache"))
    again = pp._elevation(SEED, ROWS, COLUMNS)
    assert again.tobytes() == want.tobytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other shape", "other dtype", "folder"])
def test_a_damaged_or_foreign_entry_is_computed_again_and_replaced(folder, damage):
    pp._elevation(SEED, ROWS, COLUMNS)
    (path,) = folder.glob("protoplanet-*.npy")
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not an array at all")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "other shape":
        np.save(path, np.zeros((ROWS, COLUMNS + 1), np.float32))
    elif damage == "other dtype":
        np.save(path, np.zeros((ROWS, COLUMNS), np.float64))
    else:
        path.unlink()
        path.mkdir()                      # a folder where the entry was: left alone, the value computed
    z = pp._elevation(SEED, ROWS, COLUMNS)
    assert z.tobytes() == computed().tobytes()
    if damage == "folder":
        assert path.is_dir()
    else:
        assert path.read_bytes() == good


def test_off_or_unwritable_keeps_nothing_and_still_answers(tmp_path, monkeypatch):
    monkeypatch.setenv(diskcache.ENV, "off")
    assert diskcache.folder() is None
    assert pp._elevation(SEED, ROWS, COLUMNS).tobytes() == computed().tobytes()
    blocked = tmp_path / "a file"
    blocked.write_text("the user's")
    monkeypatch.setenv(diskcache.ENV, str(blocked / "cache"))      # its parent is a file: cannot be made
    assert pp._elevation(SEED, ROWS, COLUMNS).tobytes() == computed().tobytes()
    assert blocked.read_text() == "the user's"


def test_without_a_home_nothing_is_kept(monkeypatch):
    """No ``$HOME`` and no password entry (a container's random user): no cache, not a shared folder."""
    from pathlib import Path

    def homeless():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.delenv(diskcache.ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(homeless))
    assert diskcache.user_folder() is None and diskcache.folder() is None
    assert pp._elevation(SEED, ROWS, COLUMNS).tobytes() == computed().tobytes()


def test_other_files_in_the_folder_are_not_touched(folder):
    folder.mkdir(parents=True)
    mine = folder / "notes.txt"
    mine.write_text("keep me")
    near = folder / f"protoplanet-{SEED}-{ROWS}x{COLUMNS}.npy"     # no digest: not a name of the cache
    np.save(near, np.ones((ROWS, COLUMNS), np.float32))
    before = near.read_bytes()
    pp._elevation(SEED, ROWS, COLUMNS)
    assert mine.read_text() == "keep me" and near.read_bytes() == before
    assert len(entries(folder)) == 2


def test_a_change_of_the_sources_gives_a_new_name(tmp_path):
    src = tmp_path / "noise.py"
    src.write_text("x = 1\n")
    a = diskcache.digest(src)
    assert diskcache.digest(src) == a
    src.write_text("x = 2\n")
    assert diskcache.digest(src) != a


def test_a_new_world_reads_the_kept_protoplanet(folder, monkeypatch):
    """A second process making the same world takes its crater fields from the cache (here: the
    per-process cache emptied and the kernel switched off before the second world)."""
    import planet

    pp.kept_elevation.cache_clear()
    try:
        first = planet.Planet(128, seed=SEED).state
        # the world's grid (and crust.threshold's 256 columns, unless this process has its threshold already)
        assert f"protoplanet-{SEED}-64x128-" in " ".join(entries(folder))
        pp.kept_elevation.cache_clear()
        monkeypatch.setattr(pp, "protoplanet_elevation", lambda *a: pytest.fail("computed, not read from the cache"))
        second = planet.Planet(128, seed=SEED).state
        for name in first.fields:
            assert first[name].tobytes() == second[name].tobytes(), name
    finally:
        pp.kept_elevation.cache_clear()
