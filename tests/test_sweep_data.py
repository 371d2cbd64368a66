"""Sweeps as data: the result is an xarray Dataset over seed, written by suffix (.nc, .zarr, .csv);
a suffix it cannot write is refused before any world runs."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from planet.analysis.sweep import SweepResult, read_csv, sweep
from planet.cli import main

CALLS = []


def fake_world(seed, *, until, resolution, config=None, stages=None, save_dir=None, threads=1):
    """A sweep task without a world: statistics that are known functions of the seed."""
    CALLS.append(seed)
    if seed == 13:
        raise RuntimeError("world 13 fails")
    return {"seed": seed, "step": 60, "terrain.land_fraction": seed / 100.0,
            "rivers.hack_exponent": math.nan if seed % 2 else 0.5 + seed}


@pytest.fixture(scope="module")
def result():
    return sweep([3, 1, 13, 2], 1.0, 128, task=fake_world, workers=1, processes=False, retries=0,
                 report=lambda line: None)


def test_sweep_returns_a_dataset_over_seed(result):
    assert isinstance(result, xr.Dataset) and isinstance(result, SweepResult)
    assert list(result["seed"].values) == [3, 1, 13, 2] and result.sizes == {"seed": 4}
    assert list(result["status"].values) == ["ok", "ok", "failed", "ok"]
    assert result["error"].values[2] == "RuntimeError: world 13 fails" and result["step"].values[2] == -1
    assert np.allclose(result["terrain.land_fraction"].values, [0.03, 0.01, np.nan, 0.02], equal_nan=True)
    assert result["terrain.land_fraction"].attrs["units"] == "1"
    assert result.attrs["resolution"] == 128 and result.attrs["until"] == "1.0"
    assert result.failures == [(13, "RuntimeError: world 13 fails")] and not result.ok
    first = result.rows[0]
    assert math.isnan(first.pop("rivers.hack_exponent")) and result.rows[3]["rivers.hack_exponent"] == 2.5
    assert first == {"seed": 3, "status": "ok", "step": 60, "terrain.land_fraction": 0.03}
    assert result.rows[2] == {"seed": 13, "status": "failed", "error": "RuntimeError: world 13 fails"}
    mean = float(result["terrain.land_fraction"].where(result["status"] == "ok").mean("seed"))
    assert mean == pytest.approx(0.02)


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".csv"])
def test_each_format_reads_back(result, tmp_path, suffix):
    if suffix == ".zarr":
        pytest.importorskip("zarr")
    path = result.write(tmp_path / f"sweep{suffix}")
    if suffix == ".csv":
        back = read_csv(path)
        assert [r["seed"] for r in back] == [3, 1, 13, 2] and back[3]["terrain.land_fraction"] == 0.02
        assert back[2]["error"] == "RuntimeError: world 13 fails"
        return
    back = xr.open_zarr(path, consolidated=False) if suffix == ".zarr" else xr.open_dataset(path)
    with back:
        for name in ("terrain.land_fraction", "rivers.hack_exponent", "step"):
            assert np.array_equal(back[name].values, result[name].values, equal_nan=True), name
        assert list(back["status"].values) == list(result["status"].values)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]          # no temporaries left
    if suffix == ".zarr":
        with pytest.raises(ValueError, match="never replaces a Zarr store"):
            result.write(path)


@pytest.mark.parametrize("out, match", [("sweep.txt", r"cannot write \.txt; use \.nc, \.zarr, \.csv"),
                                        ("sweep", "cannot write a file without a suffix"),
                                        ("missing/sweep.nc", "folder .*missing does not exist")])
def test_unwritable_output_is_refused_before_any_world(tmp_path, out, match):
    CALLS.clear()
    with pytest.raises(ValueError, match=match):
        sweep([0, 1], 1.0, 128, task=fake_world, workers=1, processes=False, out=tmp_path / out)
    assert CALLS == []


def test_cli_out_by_suffix_and_stats_alias(tmp_path, capsys):
    argv = ["sweep", "--seeds", "0", "--until", "0.1", "--resolution", "128", "--no-processes", "--workers", "1"]
    assert main(argv + ["--out", str(tmp_path / "s.nc")]) == 0
    assert (tmp_path / "s.nc").read_bytes()[:4] == b"\x89HDF"                  # NetCDF-4, not CSV text
    assert main(argv + ["--stats", str(tmp_path / "old.nc")]) == 0              # the old name writes by suffix
    with xr.open_dataset(tmp_path / "old.nc") as a, xr.open_dataset(tmp_path / "s.nc") as b:
        assert a["terrain.land_fraction"].values == b["terrain.land_fraction"].values
    capsys.readouterr()
    for extra, message in ((["--out", str(tmp_path / "s.txt")], "--out " + str(tmp_path / "s.txt") + ": cannot write .txt"),
                           (["--stats", str(tmp_path / "s.json")], "--stats " + str(tmp_path / "s.json")),
                           (["--out", "a.nc", "--stats", "b.csv"], "give --out FILE or --stats FILE")):
        assert main(argv + extra) == 2
        err = capsys.readouterr().err
        assert err.startswith("planet: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.txt").exists()
