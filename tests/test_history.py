"""Recorded history: world.run(record_every=N) appends global diagnostics (and coarse fields) to
world.history, an xarray.Dataset over film time; it saves, loads, plots, and drives the CLI."""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import planet
from planet.analysis import history as H
from planet.analysis import stats as S
from planet.cli import main

import ops_stages

ROOT = Path(__file__).resolve().parent.parent
COMPRESSED = planet.Config().replace(schedule=ops_stages.compressed_schedule(0.02))  # the story in 300 steps
SPHERE_KM2 = 4 * math.pi * 6371.0**2


@pytest.fixture(scope="module")
def story():
    """The whole (compressed) story at 128 columns, one snapshot every 10 steps, fields included."""
    world = planet.Planet(128, seed=0, config=COMPRESSED)
    world.run("story_end", record_every=10, record=["rivers.sea_basins", "fields"])
    return world


def test_whole_story_has_every_default_diagnostic_finite_over_film_time(story):
    h = story.history
    assert isinstance(h, H.History) and h.sizes["time"] == 31            # steps 0, 10, ..., 300
    assert np.array_equal(h["step"].values, np.arange(0, 301, 10))
    assert np.allclose(h["time"].values, h["step"].values / 60.0) and h["time"].attrs["units"] == "s"
    tl = planet.Timeline(COMPRESSED.schedule)
    assert list(h["date"].values) == [tl.date(t) for t in h["time"].values]
    assert h["date"].values[0] == "4.5 billion years ago" and h["date"].values[-1] == "present day"
    for name in H.DIAGNOSTICS:
        assert np.isfinite(h[name].values).all(), name
        assert h[name].attrs["units"] and h[name].attrs["definition"]


def test_diagnostics_agree_with_independent_formulas(story):
    h, state = story.history, story.state
    last = h.isel(time=-1)
    tl = planet.Timeline(COMPRESSED.schedule)
    assert float(last["sea_level"]) == pytest.approx(tl.sea_level(state.time))
    w = state.grid.area_weights
    assert float(last["land_fraction"]) == pytest.approx(np.sum(w[state.elevation >= tl.sea_level(state.time)]))
    assert float(last["temperature_mean"]) == pytest.approx(np.sum(w * state.temperature) / np.sum(w), rel=1e-6)
    assert float(last["co2_ppm"]) == pytest.approx(377 + 3 * np.sum(w * state.co2) / np.sum(w), rel=1e-9)
    for name, field in (("plants_total", "vegetation"), ("prey_total", "prey"), ("humans_total", "humans")):
        want = np.sum(np.clip(state[field].astype(np.float64), 0, None) * w) * SPHERE_KM2
        assert float(last[name]) == pytest.approx(want, rel=1e-6), name
    assert float(last["plate_count"]) == len(np.unique(state.plate[state.plate >= 0]))
    assert 0 < float(last["largest_basin_share"]) <= 1
    assert float(h["largest_basin_share"][0]) == 0.0          # no ocean yet: nothing drains to a sea
    # a recorded statistic is the statistics module's value for the same state
    assert float(last["rivers.sea_basins"]) == S.compute(state, ["rivers.sea_basins"])["rivers.sea_basins"].value


def test_fields_at_full_resolution_rebuild_the_state(story):
    again = story.history.state_at(-1)
    assert again.step == story.state.step and again.config == COMPRESSED
    for name in story.state.names:
        assert np.array_equal(again[name], story.state[name]), name


def test_later_runs_append_without_repeating_a_time():
    world = planet.Planet(128, seed=1, config=COMPRESSED)
    assert world.history.sizes["time"] == 0
    world.run(1.0, record_every=25)                       # steps 0, 25, 50, 60 (the last)
    world.step(15, record_every=25)                       # 75 (a multiple), then nothing new at 75
    world.step(5)                                         # not recording: nothing appended
    world.run(2.0, record_every=30)                       # 80 (the start), 90, 120
    assert list(world.history["step"].values) == [0, 25, 50, 60, 75, 80, 90, 120]


def test_coarse_fields_are_area_weighted_block_means():
    world = planet.Planet(256, seed=2, config=COMPRESSED)
    world.step(0, record=H.Record(["elevation", "plate", "drainage_area"], columns=128))
    h, state = world.history, world.state
    assert h["elevation"].shape == (1, 64, 128)
    z = state.elevation.astype(np.float64)
    lat = np.radians(state.grid.lat)
    for j, i in ((0, 0), (17, 40), (63, 127)):         # a block by hand: 2x2 cells, weights cos(latitude)
        rows = [2 * j, 2 * j + 1]
        cols = [2 * i, 2 * i + 1]
        wsum = sum(math.cos(lat[r]) * 2 for r in rows)
        want = sum(math.cos(lat[r]) * z[r, c] for r in rows for c in cols) / wsum
        assert float(h["elevation"][0, j, i]) == pytest.approx(want, rel=1e-5)
        assert h["plate"].values[0, j, i] == state.plate[2 * j + 1, 2 * i + 1]
        assert h["drainage_area"].values[0, j, i] == state.drainage_area[2 * j:2 * j + 2, 2 * i:2 * i + 2].max()
    assert np.allclose(h["lat"].values, planet.Grid(64, 128).lat)


@pytest.mark.parametrize("record, match", [
    ("terrain.nope", "record: unknown name 'terrain.nope'; give a default diagnostic"),
    (["elevation", 3], "record names must be strings"),
])
def test_bad_record_is_refused(record, match):
    world = planet.Planet(128, seed=0, config=COMPRESSED)
    with pytest.raises(ValueError, match=r"record columns must be an even integer in \[2, 16384\], got 0"):
        H.Record(("elevation",), columns=0)
    with pytest.raises(ValueError, match=match):
        world.step(1, record=record)
    with pytest.raises(ValueError, match="record_every must be a positive integer"):
        world.step(1, record_every=0)
    assert world.state.step == 0


def test_save_load_and_plot(story, tmp_path):
    path = story.history.save(tmp_path / "h.nc")
    back = H.load(path)
    assert isinstance(back, H.History)
    for name in H.DIAGNOSTICS:
        assert np.array_equal(back[name].values, story.history[name].values)
    assert list(back["date"].values) == list(story.history["date"].values)
    assert np.array_equal(back.state_at(5).elevation, story.history.state_at(5).elevation)
    with pytest.raises(ValueError, match="must end in .nc"):
        story.history.save(tmp_path / "h.csv")
    pytest.importorskip("matplotlib")
    fig = back.plot(tmp_path / "story.png")
    from planet.analysis.history_plot import PANELS

    assert len(fig.axes) == len(PANELS)
    assert [ax.get_ylabel() for ax in fig.axes] == [p[0] for p in PANELS]
    line = fig.axes[0].get_lines()[0]                      # the first panel's first line is land_fraction
    assert np.array_equal(line.get_ydata(), back["land_fraction"].values)
    assert (tmp_path / "story.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="history is empty"):
        planet.Planet(128, seed=0).history.plot()


def test_cli_run_history(tmp_path, capsys):
    out = tmp_path / "h.nc"
    assert main(["run", "--resolution", "128", "--until", "1", "--history", str(out), "--history-every", "20",
                 "--quiet"]) == 0
    h = H.load(out)
    assert list(h["step"].values) == [0, 20, 40, 60] and h.attrs["resolution"] == 128
    for argv, message in ((["--history", str(tmp_path / "h.csv")], "--history " + str(tmp_path / "h.csv") +
                           " must end in .nc"),
                          (["--history-every", "5"], "--history-every needs --history FILE.nc"),
                          (["--history", str(out), "--history-every", "0"], "--history-every must be an integer >= 1"),
                          (["--history", str(tmp_path / "no" / "h.nc")], "does not exist")):
        assert main(["run", "--resolution", "128", "--until", "1", "--quiet"] + argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("planet: error: ") and message in err and len(err.strip().splitlines()) == 1


def test_statistics_as_pandas_and_html(story):
    stats = S.compute(story.state)
    frame = stats.to_pandas()
    assert list(frame.index) == list(stats) and frame.attrs["seed"] == 0
    v = stats["terrain.land_fraction"].value
    assert frame.loc["terrain.land_fraction", "value"] == v and frame.loc["terrain.land_fraction", "units"] == "1"
    missing = [n for n, x in stats.items() if not x.ok]
    for n in missing:
        assert math.isnan(frame.loc[n, "value"]) and frame.loc[n, "status"].startswith("not computable")
    html = stats._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == len(stats) + 1 + len(S.GROUPS)
    assert "<code>terrain.land_fraction</code>" in html and S.format_value(v) in html
    assert repr(stats).startswith("<Statistics: ") and "seed 0" in repr(stats)


def test_import_planet_stays_light():
    code = ("import sys, planet; planet.Planet(128); planet.Planet(128).run(0.05, record_every=1)\n"
            "bad = [m for m in ('planet.render', 'moderngl', 'imageio', 'ipywidgets', 'matplotlib', 'distributed')"
            " if m in sys.modules]\n"
            "assert not bad, bad\n"
            "assert callable(planet.explore) and 'planet.render' in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                               "PLANET_CACHE_DIR": os.environ["PLANET_CACHE_DIR"]})   # (conftest: the suite's own)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_the_real_whole_story_at_128_columns(tmp_path):
    world = planet.Planet(128, seed=0)
    world.run("story_end", record_every=60)
    h = world.history
    assert h.sizes["time"] == 251 and float(h["time"][-1]) == 250.0
    for name in H.DIAGNOSTICS:
        assert np.isfinite(h[name].values).all(), name
    assert h["co2_ppm"].values[-1] > h["co2_ppm"].values[0]
    assert h["humans_total"].values[-1] > 0 and float(h["plate_count"].max()) >= 2
