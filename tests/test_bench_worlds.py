"""The real worlds ``bench/bench_full.py`` measures by default: kept per code, never read across codes."""
import pytest

import planet
from bench import bench_full as bf

CODE = "0123456789abcdef0123"
OTHER = "fedcba9876543210fedc"


def test_a_world_is_kept_read_back_and_continued(tmp_path, monkeypatch):
    first = bf.story_world(128, 0.5, tmp_path, CODE)
    path = tmp_path / f"w128_0.5_{CODE}.npz"
    assert path.is_file() and first.time == pytest.approx(0.5, abs=1 / 60)
    direct = planet.Planet(resolution=128, seed=0)
    direct.run(until=0.5, progress=False)
    assert first.state.equals(direct.state)       # the kept world is the story's, run from the protoplanet

    def no_new_world(*a, **k):
        raise AssertionError("a kept world was simulated again")

    monkeypatch.setattr(bf.planet, "Planet", no_new_world)
    assert bf.story_world(128, 0.5, tmp_path, CODE).state.equals(first.state)   # read back, not simulated
    loaded = []
    real_load = planet.load
    monkeypatch.setattr(bf.planet, "load", lambda p: loaded.append(p.name) or real_load(p))
    later = bf.story_world(128, 0.75, tmp_path, CODE)                  # continued from the earlier one
    assert loaded == [path.name] and (tmp_path / f"w128_0.75_{CODE}.npz").is_file()
    direct.run(until=0.75, progress=False)
    assert later.state.equals(direct.state)


def test_a_world_of_other_code_is_never_read(tmp_path, monkeypatch):
    bf.story_world(128, 0.5, tmp_path, OTHER)
    made = []
    real = planet.Planet

    def counted(*a, **k):
        made.append(a or k)
        return real(*a, **k)

    monkeypatch.setattr(bf.planet, "Planet", counted)
    bf.story_world(128, 0.5, tmp_path, CODE)
    assert len(made) == 1                          # simulated again from the protoplanet
    assert (tmp_path / f"w128_0.5_{OTHER}.npz").is_file() and (tmp_path / f"w128_0.5_{CODE}.npz").is_file()


def test_only_the_benchmarks_stale_worlds_are_removed_and_only_in_the_default_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bf, "code_digest", lambda: CODE)
    names = {
        f"w512_30_{OTHER}.npz": True,           # another code's world: stale
        f"w1024_200_{OTHER}.npz": True,
        f"w512_30_{CODE}.npz": False,           # this code's
        "w512_30.npz": False,                   # not this benchmark's name (the old naming, or a user's file)
        f"w512_30_{OTHER}.npz.tmp": False,
        "notes.txt": False,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x" * 1000)
    assert [p.name for p in bf.stale_worlds(tmp_path, CODE)] == sorted(n for n, s in names.items() if s)
    assert bf.prepare_worlds(tmp_path, default=False) == CODE
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)          # a folder of the user's: kept
    assert "2 worlds of other code" in capsys.readouterr().out
    bf.prepare_worlds(tmp_path, default=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, s in names.items() if not s)
    assert bf.prepare_worlds(tmp_path / "absent", default=True) == CODE


def test_the_code_digest_follows_the_packages_sources(tmp_path, monkeypatch):
    pkg = tmp_path / "planet"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("x = 1\n")
    (pkg / "core" / "grid.py").write_text("y = 2\n")
    monkeypatch.setattr(bf.planet, "__file__", str(pkg / "__init__.py"))
    a = bf.code_digest()
    assert a == bf.code_digest() and len(a) == 20
    (pkg / "core" / "grid.py").write_text("y = 3\n")
    assert bf.code_digest() != a


def test_the_kernel_split_measures_the_kept_real_world(tmp_path, monkeypatch):
    from bench import bench_kernels as bk

    bf.story_world(128, 0.5, tmp_path, CODE)

    def no_new_world(*a, **k):
        raise AssertionError("the kernel split did not measure the kept world")

    monkeypatch.setattr(bk.planet, "Planet", no_new_world)
    split = bk.profile(128, 0.5, 16, warmup=1, worlds=tmp_path, code=CODE)
    assert split[("floor", "")] > 0
    assert {"climate", "atmosphere", "life"} <= {s for s, k in split if k == "(stage)"}
    assert split[("atmosphere", "vapour_step")] > 0
