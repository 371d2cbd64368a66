"""Sweeps over configuration values: a dimension per swept key beside ``seed``, each cell the statistics
of the single run with that seed and value; bad names and values refused before any world runs."""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import xarray as xr

import planet
from planet.analysis.sweep import read_csv, run_world, sweep
from planet.analysis.sweep_params import parse_param_option
from planet.cli import main
from planet.core.config import Config
from planet.core.state import State

import ops_stages

RES = 128
UNTIL = 1.0
BASE = Config().replace(schedule=ops_stages.compressed_schedule(0.02))
SEEDS = [4, 1]
FRACTIONS = [0.6, 0.3]
CALLS = []


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.fixture(scope="module")
def swept():
    return sweep(SEEDS, UNTIL, RES, params={"lithosphere.continent_fraction": FRACTIONS}, config=BASE,
                 workers=2, processes=False)


@pytest.fixture(scope="module")
def single():
    """The four worlds run one by one, each with its own configuration (no sweep code involved)."""
    return {(s, f): run_world(s, until=UNTIL, resolution=RES, config=BASE.replace(lithosphere={"continent_fraction": f}))
            for s in SEEDS for f in FRACTIONS}


def test_two_seeds_by_two_values_equal_the_four_single_runs(swept, single):
    assert swept.ok, swept.failures
    assert dict(swept.sizes) == {"seed": 2, "continent_fraction": 2}
    assert list(swept["seed"].values) == SEEDS and list(swept["continent_fraction"].values) == FRACTIONS
    assert swept["continent_fraction"].attrs["config_key"] == "lithosphere.continent_fraction"
    assert swept["terrain.land_fraction"].dims == ("seed", "continent_fraction")
    names = [k for k in single[SEEDS[0], FRACTIONS[0]] if k not in ("seed", "step")]
    for (s, f), want in single.items():
        cell = swept.sel(seed=s, continent_fraction=f)
        assert int(cell["step"]) == want["step"]
        for n in names:
            assert _same(float(cell[n]), want[n]), (s, f, n, float(cell[n]), want[n])
    # the value matters, so a sweep that mixed up its cells could not pass the loop above
    for s in SEEDS:
        assert single[s, 0.6]["terrain.land_fraction"] > single[s, 0.3]["terrain.land_fraction"]
    rows = swept.rows
    assert [(r["seed"], r["continent_fraction"]) for r in rows] == [(4, 0.6), (4, 0.3), (1, 0.6), (1, 0.3)]
    assert all(_same(r[n], single[r["seed"], r["continent_fraction"]][n]) for r in rows for n in names)
    assert swept.attrs["params"] == "lithosphere.continent_fraction"


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".csv"])
def test_parameter_dimension_in_every_format(swept, tmp_path, suffix):
    if suffix == ".zarr":
        pytest.importorskip("zarr")
    path = swept.write(tmp_path / f"s{suffix}")
    if suffix == ".csv":
        back = read_csv(path)
        assert list(back[0])[:3] == ["seed", "continent_fraction", "status"]
        assert [(r["seed"], r["continent_fraction"]) for r in back] == [(r["seed"], r["continent_fraction"])
                                                                        for r in swept.rows]
        assert [r["terrain.land_fraction"] for r in back] == [r["terrain.land_fraction"] for r in swept.rows]
        return
    back = xr.open_zarr(path, consolidated=False) if suffix == ".zarr" else xr.open_dataset(path)
    with back:
        assert back["terrain.land_fraction"].dims == ("seed", "continent_fraction")
        assert np.array_equal(back["continent_fraction"].values, FRACTIONS)
        assert np.array_equal(back["terrain.land_fraction"].values, swept["terrain.land_fraction"].values)


def fake_world(seed, *, until, resolution, config=None, stages=None, save_dir=None, threads=1):
    """A world whose statistics are known functions of seed and configuration."""
    CALLS.append(seed)
    if seed == 2 and config.lithosphere.plates_max == 9:
        raise RuntimeError("no room")
    return {"seed": seed, "step": 1, "terrain.land_fraction": seed + config.lithosphere.uplift_diffusion,
            "plates.count": float(config.lithosphere.plates_max)}


def test_two_parameters_bare_keys_and_failures():
    lines = []
    res = sweep([1, 2], 1.0, RES, params={"uplift_diffusion": [0.1, 0.2, 0.4], "plates_max": [9, 12]},
                task=fake_world, workers=1, processes=False, retries=0, report=lines.append)
    assert dict(res.sizes) == {"seed": 2, "uplift_diffusion": 3, "plates_max": 2}
    assert res["plates_max"].dtype == np.int64 and res["uplift_diffusion"].dtype == np.float64
    want = np.array([1, 2])[:, None, None] + np.array([0.1, 0.2, 0.4])[None, :, None] + np.zeros((1, 1, 2))
    want[1, :, 0] = np.nan                                              # seed 2 with plates_max 9 failed
    assert np.array_equal(res["terrain.land_fraction"].values, want, equal_nan=True)
    assert np.array_equal(res["plates.count"].sel(seed=1).values, [[9, 12]] * 3)
    assert res.failures == [(2, {"uplift_diffusion": u, "plates_max": 9}, "RuntimeError: no room")
                            for u in (0.1, 0.2, 0.4)]
    assert lines[0].startswith("planet sweep: world seed 2, uplift_diffusion=") and "plates_max=9" in lines[0]


@pytest.mark.parametrize("params, match", [
    ({"lithosphere.upliftdiffusion": [1]}, r"params: unknown configuration key 'lithosphere\.upliftdiffusion' "
                                           r"\(did you mean lithosphere\.uplift_diffusion\?\)"),
    ({"continent_fractoin": [0.1]}, r"unknown configuration key 'continent_fractoin' \(did you mean continent_fraction"),
    ({"geology.x": [1]}, r"params: unknown configuration section 'geology'"),
    ({"uplift_diffusion": [20.0]}, r"params: lithosphere\.uplift_diffusion must be in \[0, 10\], got 20\.0"),
    ({"plates_max": [7.5]}, r"params: lithosphere\.plates_max must be an integer, got 7\.5"),
    ({"uplift_diffusion": []}, r"params\['uplift_diffusion'\] must list at least one value"),
    ({"uplift_diffusion": 0.1}, r"params\['uplift_diffusion'\] must be a list of values"),
    ({"uplift_diffusion": [0.1, 0.1]}, r"values must not repeat"),
    ({"uplift_diffusion": ["fast"]}, r"lithosphere\.uplift_diffusion takes numbers, got 'fast'"),
    ({"tectonics_end": [126.0, 300.0]}, r"params: schedule\.tectonics_end must be before schedule\.story_end"),
    ([("uplift_diffusion", [1])], r"params must be a dict of configuration key -> list of values"),
])
def test_bad_parameters_are_refused_before_any_world(params, match):
    CALLS.clear()
    with pytest.raises(ValueError, match=match):
        sweep([0, 1], 1.0, RES, params=params, task=fake_world, workers=1, processes=False)
    assert CALLS == []


def test_cli_param_dimensions_and_errors(tmp_path, capsys):
    argv = ["sweep", "--seeds", "0", "--until", "0.1", "--resolution", "128", "--no-processes", "--workers", "1",
            "--quiet"]
    out = tmp_path / "s.nc"
    assert main(argv + ["--param", "lithosphere.uplift_diffusion=0.05,0.2", "--param", "thermal_erosion=0.01",
                        "--out", str(out), "--save-states", str(tmp_path / "states")]) == 0
    for u in (0.05, 0.2):         # one folder of states per combination, each world with its own configuration
        st = State.load(tmp_path / "states" / f"uplift_diffusion={u},thermal_erosion=0.01" / "seed-0000000000.npz")
        assert st.config.lithosphere.uplift_diffusion == u and st.config.lithosphere.thermal_erosion == 0.01
    with xr.open_dataset(out) as ds:
        assert dict(ds.sizes) == {"seed": 1, "uplift_diffusion": 2, "thermal_erosion": 1}
        assert list(ds["uplift_diffusion"].values) == [0.05, 0.2] and (ds["status"].values == "ok").all()
    capsys.readouterr()
    for extra, message in (
            (["--param", "uplift=0.1"], "--param: unknown configuration key 'uplift'"),
            (["--param", "uplift_diffusion"], "--param must be KEY=V1,V2,..."),
            (["--param", "uplift_diffusion=0.1,fast"], "--param uplift_diffusion: 'fast' is not a number"),
            (["--param", "uplift_diffusion=11"], "--param: lithosphere.uplift_diffusion must be in [0, 10], got 11"),
            (["--param", "uplift_diffusion=1", "--param", "lithosphere.uplift_diffusion=2"], "is given twice")):
        assert main(argv + extra + ["--out", str(tmp_path / "bad.nc")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("planet: error: ") and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "bad.nc").exists()


def test_param_option_values_are_toml_numbers():
    assert parse_param_option("plates_max=6, 9,12") == ("plates_max", [6, 9, 12])
    assert parse_param_option("life.dt=1e-2,0.5") == ("life.dt", [0.01, 0.5])


def test_api_default_resolution_is_the_clis():
    from planet.cli.options import DEFAULT_RESOLUTION

    assert inspect.signature(planet.sweep).parameters["resolution"].default == DEFAULT_RESOLUTION == 512
