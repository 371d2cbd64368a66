"""Baselines, assert_stats_close, the canonical regression runs and the stats/export/compare CLI."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import planet
from planet.analysis import stats as S
from planet import testing as T
from planet.cli import main
from planet.pytest_plugin import planet_state, planet_update_baselines, planet_world  # noqa: F401 (fixtures)

BASELINES = Path(__file__).parent / "baselines"


@pytest.fixture(scope="module")
def state():
    return planet.Planet(128, seed=4).step(3000)  # t = 50 s: continents and rivers (at 25 s the young oceans cover all)


@pytest.fixture
def baseline(state, tmp_path):
    return T.write_baseline(tmp_path / "base.json", state)


def lifted(state, dz=0.5):
    """The same state with a raised northern hemisphere: terrain statistics move, plates do not."""
    z = state.elevation.copy()
    z[: state.rows // 2] += np.float32(dz)
    return state.replace(elevation=z)


# -- assert_stats_close -------------------------------------------------------------

def test_unchanged_state_passes(state, baseline):
    comparisons = T.assert_stats_close(state, baseline)
    assert len(comparisons) == len(S.REGISTRY)
    assert all(c.ok for c in comparisons)


def test_changed_state_fails_and_names_the_moved_statistics(state, baseline):
    with pytest.raises(AssertionError, match="terrain.land_fraction") as err:
        T.assert_stats_close(lifted(state), baseline)
    message = str(err.value)
    assert "terrain.land_fraction" in message and "terrain.elevation_mean" in message
    assert "plates.unplated_fraction" not in message  # plates did not move
    assert "baseline" in message and "tolerance" in message
    # the first line is short: how many drifted and the worst three, by |now - baseline| / tolerance
    header = message.splitlines()[0]
    base, now = T.load_baseline(baseline), S.compute(lifted(state))
    tol = T.tolerances(list(base.values))
    excess = {}
    for n, b in base.values.items():
        v = now[n].value
        if b.value is None or v is None:
            if (b.value is None) != (v is None):
                excess[n] = float("inf")
        elif abs(v - b.value) > tol[n][1] + tol[n][0] * abs(b.value):
            excess[n] = abs(v - b.value) / (tol[n][1] + tol[n][0] * abs(b.value))
    worst = sorted(excess, key=lambda n: -excess[n])[:3]
    assert header.startswith(f"{len(excess)} of {len(base.values)} statistics drifted") and len(header) < 300
    named = re.findall(r"([\w.]+) \(", header.split(": ", 1)[1])     # "name (N× tolerance)", whole names
    assert named == worst, (named, worst)
    # a wide enough tolerance for the terrain group lets it pass, a single statistic can be exempted
    T.assert_stats_close(lifted(state, 1e-4), baseline, per_stat={"terrain": (1e-2, 1e-3), "rivers": 1.0, "life": 1e-2})


def test_tolerances_are_registry_defaults_then_overrides():
    names = ["terrain.land_fraction", "terrain.roughness", "plates.count"]
    tol = T.tolerances(names)
    assert tol["plates.count"] == (0.0, 0.5)
    assert tol["terrain.land_fraction"] == (S.REGISTRY["terrain.land_fraction"].rtol,
                                            S.REGISTRY["terrain.land_fraction"].atol)
    tol = T.tolerances(names, rtol=0.1, per_stat={"terrain": 0.2, "terrain.roughness": (0.3, 1.0),
                                                  "plates.count": {"atol": 2}})
    assert tol == {"terrain.land_fraction": (0.2, S.REGISTRY["terrain.land_fraction"].atol),
                   "terrain.roughness": (0.3, 1.0), "plates.count": (0.1, 2.0)}


def test_unknown_statistic_in_tolerances_is_refused(state, baseline):
    with pytest.raises(ValueError, match="unknown statistic 'terrain.landfraction'"):
        T.assert_stats_close(state, baseline, per_stat={"terrain.landfraction": 1e-3})
    with pytest.raises(ValueError, match="rtol for 'terrain.roughness' must be a finite number >= 0"):
        T.assert_stats_close(state, baseline, per_stat={"terrain.roughness": -1})


def test_computable_on_one_side_only_is_a_drift(state, baseline):
    no_land = state.replace(elevation=np.zeros(state.shape, np.float32))
    with pytest.raises(AssertionError, match="computable on one side only"):
        T.assert_stats_close(no_land, baseline, per_stat={"terrain": 1e9, "rivers": 1e9})


# -- baseline files ----------------------------------------------------------------

def rewrite(path: Path, edit) -> None:
    """Edit a baseline's JSON and re-sign it (a consistent file, unlike a damaged one)."""
    doc = json.loads(path.read_text())
    edit(doc)
    doc["checksum"] = T._checksum(doc["statistics"])
    path.write_text(json.dumps(doc))


def test_baseline_round_trip(state, baseline):
    b = T.load_baseline(baseline)
    assert b.meta["seed"] == 4 and b.meta["step"] == 3000 and b.meta["resolution"] == 128
    assert b.meta["planet_version"] == planet.__version__
    assert planet.Config.from_dict(b.meta["config"]) == state.config
    assert b.values == dict(S.compute(state))


def test_baseline_of_another_resolution_is_an_assertion_failure(baseline):
    other = planet.Planet(256, seed=4).state
    with pytest.raises(AssertionError, match="is for resolution 128 .* the state has resolution 256") as err:
        T.assert_stats_close(other, baseline)
    assert isinstance(err.value, T.BaselineError)  # the CLI reports it in one line


def test_baseline_of_another_seed_or_step_is_an_assertion_failure(state, baseline):
    with pytest.raises(AssertionError, match="is for step 3000, the state has step 3001"):
        T.assert_stats_close(planet.Planet.from_state(state).step(1), baseline)
    other_seed = state.replace()
    other_seed.seed = 5
    with pytest.raises(AssertionError, match="is for seed 4, the state has seed 5"):
        T.assert_stats_close(other_seed, baseline)


def test_baseline_of_another_version_warns_and_still_compares(state, baseline):
    rewrite(baseline, lambda d: d["meta"].update(planet_version="0.0.1"))
    with pytest.warns(T.BaselineVersionWarning, match=r"written by planet 0\.0\.1, this is planet .*comparing anyway"):
        assert len(T.assert_stats_close(state, baseline)) == len(S.REGISTRY)
    with pytest.warns(T.BaselineVersionWarning), pytest.raises(AssertionError, match="drifted"):
        T.assert_stats_close(lifted(state), baseline)       # the comparison did run
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.assert_stats_close(state, baseline, check_version=False)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "not statistics"])
def test_corrupt_baseline_is_refused(baseline, damage):
    text = baseline.read_text()
    if damage == "truncate":
        baseline.write_text(text[: len(text) // 2])
        match = "corrupt .*not valid JSON"
    elif damage == "garbage":
        baseline.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
        match = "corrupt|not a planet"
    else:
        baseline.write_text(json.dumps({"meta": {}, "values": []}))
        match = "not a planet statistics baseline"
    with pytest.raises(T.BaselineError, match=match):
        T.load_baseline(baseline)


def test_hand_edit_is_refused_through_the_checksum_until_the_checksum_key_is_deleted(state, baseline):
    doc = json.loads(baseline.read_text())
    assert "checksum" in doc and "delete the" in doc["checksum_note"]
    doc["statistics"]["terrain.land_fraction"]["value"] += 0.01   # a hand edit, checksum left as it was
    baseline.write_text(json.dumps(doc, indent=1))
    with pytest.raises(T.BaselineError, match="checksum mismatch: damaged, or edited by hand; .*delete the optional"):
        T.load_baseline(baseline)
    del doc["checksum"]                            # the checksum is optional: without it, the edit is compared
    baseline.write_text(json.dumps(doc, indent=1))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = T.load_baseline(baseline)
    assert b.values["terrain.land_fraction"].value == doc["statistics"]["terrain.land_fraction"]["value"]
    with pytest.raises(AssertionError, match="terrain.land_fraction"):
        T.assert_stats_close(state, baseline)    # the edited value is what is compared


def test_statistic_unknown_to_this_version_warns_and_is_left_out(state, baseline):
    rewrite(baseline, lambda d: d["statistics"].update({"terrain.bogus": {"value": 1.0, "status": "ok"}}))
    with pytest.warns(T.BaselineVersionWarning, match="terrain.bogus.*not compared"):
        comparisons = T.assert_stats_close(state, baseline)
    assert "terrain.bogus" not in {c.name for c in comparisons}


def test_statistic_whose_units_changed_warns_and_is_left_out(state, baseline):
    # rivers.flow_p99 was in upstream cells until drainage_area became an area (km²): a baseline
    # written then holds another quantity under that name
    def to_cells(d):
        d["statistics"]["rivers.flow_p99"].update(value=31.4, units="cells")
    rewrite(baseline, to_cells)
    with pytest.warns(T.BaselineVersionWarning, match=r"rivers.flow_p99 in cells, now km².*not compared"):
        comparisons = T.assert_stats_close(state, baseline)
    assert "rivers.flow_p99" not in {c.name for c in comparisons}
    assert len(comparisons) == len(S.REGISTRY) - 1


def test_plain_stats_json_is_a_valid_baseline(state, tmp_path, capsys):
    state.save(tmp_path / "s.npz")
    assert main(["stats", str(tmp_path / "s.npz"), "--json", str(tmp_path / "plain.json")]) == 0
    doc = json.loads((tmp_path / "plain.json").read_text())
    assert "format" not in doc and "checksum" not in doc          # really the plain output
    assert len(T.assert_stats_close(state, tmp_path / "plain.json")) == len(S.REGISTRY)
    with pytest.raises(AssertionError, match="drifted"):
        T.assert_stats_close(lifted(state), tmp_path / "plain.json")
    assert main(["stats", str(tmp_path / "s.npz"), "--baseline", str(tmp_path / "plain.json")]) == 0


def test_missing_baseline_says_how_to_make_one(tmp_path):
    with pytest.raises(T.BaselineError, match="does not exist .*--update"):
        T.load_baseline(tmp_path / "none.json")


def test_missing_baseline_is_written_and_fails_once(state, tmp_path):
    path = tmp_path / "new.json"
    with pytest.raises(T.BaselineWritten, match="did not exist: wrote it .*check it in"):
        T.assert_stats_close(state, path)
    assert T.load_baseline(path).values == dict(S.compute(state))
    assert len(T.assert_stats_close(state, path)) == len(S.REGISTRY)       # from then on it compares
    with pytest.raises(AssertionError, match="drifted"):
        T.assert_stats_close(lifted(state), path)


def test_update_rewrites_the_baseline_and_fails_only_if_it_moved(state, baseline):
    before = baseline.read_text()
    T.assert_stats_close(state, baseline, update=True)                     # nothing moved: passes
    assert json.loads(baseline.read_text())["statistics"] == json.loads(before)["statistics"]
    with pytest.raises(T.BaselineWritten, match="rewrote baseline .*drifted from the old baseline"):
        T.assert_stats_close(lifted(state), baseline, update=True)
    T.assert_stats_close(lifted(state), baseline)                           # it now holds the new values
    other = planet.Planet(128, seed=5).state
    with pytest.raises(T.BaselineWritten, match="is for seed 4, the state has seed 5"):
        T.assert_stats_close(other, baseline, update=True)
    assert T.load_baseline(baseline).meta["seed"] == 5


# -- the project's canonical baselines --------------------------------------------

@pytest.mark.parametrize("key", T.CANONICAL, ids=lambda k: T.canonical_name(*k))
def test_canonical_world_matches_its_baseline(planet_world, planet_update_baselines, key):  # noqa: F811
    state = planet_world(*key)
    T.assert_stats_close(state, BASELINES / T.canonical_name(*key))  # rewritten under --planet-update-baselines


def test_statistics_router_agrees_with_the_lithosphere(planet_state):  # noqa: F811
    from planet.analysis import d8

    an = S.Analysis(planet_state)
    model = d8.model_receivers(planet_state.elevation, an.sea_level, planet_state.grid)
    raw = d8.receivers(planet_state.elevation, an.sea_level, planet_state.grid)
    # on the same surface the two differ only on exact flats (the model crosses them, the statistics
    # make pits)
    differ = an.land & (raw != model)
    assert np.mean(differ[an.land]) < 0.1
    z = planet_state.elevation.ravel()
    own = np.arange(z.size).reshape(differ.shape)
    assert (raw[differ] == own[differ]).all()                                # a pit for the statistics
    assert (z[model[differ]] == z[own[differ]]).all()                        # a zero descent for the model
    # the statistics' rivers run on the conditioned surface: the same router there
    filled = d8.fill_depressions(planet_state.elevation, an.sea_level)
    assert np.array_equal(an.receivers, d8.receivers(filled, an.sea_level, planet_state.grid))
    assert not (an.land.ravel() & (an.receivers.ravel() == own.ravel())).any()   # no pit left on land


def _lithosphere_is_frozen(state) -> bool:
    initial = planet.Planet(state.columns, seed=state.seed).state
    return np.array_equal(initial.elevation, state.elevation)


def test_a_changed_kernel_constant_moves_named_statistics(planet_world):  # noqa: F811
    # A short run (t = 25 s: erosion has acted for 10 film seconds) keeps this cheap.
    seed, resolution, step = 0, 128, 1500
    state = planet_world(seed, resolution, step)
    assert not _lithosphere_is_frozen(state), "the lithosphere did not change the protoplanet by t = 25 s"
    baseline = T.Baseline(S.compute(state).meta, dict(S.compute(state)), "<first run>")
    T.assert_stats_close(T.run_world(seed, resolution, step), baseline)  # a fresh, unchanged run passes
    config = planet.Config().replace(lithosphere={"stream_power": 0.1})
    changed = planet_world(seed, resolution, step, config)
    with pytest.raises(AssertionError, match="lithosphere.stream_power") as err:
        T.assert_stats_close(changed, baseline)
    message = str(err.value)
    assert "configuration differs from the baseline's in: lithosphere.stream_power" in message
    assert "statistics drifted" in message.splitlines()[0] and "terrain.elevation_mean" in message


# -- CLI ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(state, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    state.save(folder / "a.npz")
    lifted(state).save(folder / "b.npz")
    # lifted by 0.2: lifted by 0.3-0.6 this world's drainage-area exceedance has no bend, so one statistic is
    # "not computable" on one side, a drift no tolerance loosens
    lifted(state, 0.2).save(folder / "c.npz")
    return folder


def test_cli_stats_table_and_json(files, capsys):
    assert main(["stats", str(files / "a.npz")]) == 0
    out = capsys.readouterr().out
    assert "terrain.land_fraction" in out and "plates.largest_share" in out and "not computable" in out
    assert main(["stats", str(files / "a.npz"), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["statistics"]["terrain.land_fraction"]["value"] == pytest.approx(
        S.compute(planet.State.load(files / "a.npz"))["terrain.land_fraction"].value)
    assert main(["stats", str(files / "a.npz"), "--json", str(files / "a.json")]) == 0
    assert json.loads((files / "a.json").read_text()) == doc


def test_cli_stats_baseline_update_pass_and_drift(files, capsys):
    base = files / "base.json"
    assert main(["stats", str(files / "a.npz"), "--baseline", str(base), "--update"]) == 0
    assert main(["stats", str(files / "a.npz"), "--baseline", str(base)]) == 0
    assert "within tolerance" in capsys.readouterr().out
    assert main(["stats", str(files / "b.npz"), "--baseline", str(base)]) == 1
    out = capsys.readouterr().out
    assert "terrain.land_fraction" in out and "now − baseline" in out
    # loosen everything enough and it passes; loosen one group only and the rest still drifts
    assert main(["stats", str(files / "c.npz"), "--baseline", str(base)]) == 1
    assert main(["stats", str(files / "c.npz"), "--baseline", str(base), "--rtol", "10", "--atol", "10"]) == 0
    assert main(["stats", str(files / "c.npz"), "--baseline", str(base), "--rtol", "terrain=10"]) == 1


@pytest.mark.parametrize("argv, message", [
    (["--rtol", "terrain.nope=1e-3"], "--rtol 'terrain.nope=1e-3': unknown statistic 'terrain.nope'"),
    (["--atol", "plates.count=x"], "--atol 'plates.count=x': the value must be a finite number >= 0"),
    (["--update"], "--update needs --baseline FILE"),
])
def test_cli_stats_bad_options(files, capsys, argv, message):
    assert main(["stats", str(files / "a.npz")] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("planet: error: ") and message in err and len(err.strip().splitlines()) == 1


def test_cli_stats_list(capsys):
    assert main(["stats", "--list"]) == 0
    out = capsys.readouterr().out
    for name, st in S.REGISTRY.items():
        assert f"| `{name}` | {st.units} |" in out
    assert main(["stats"]) == 2
    assert "STATE is required" in capsys.readouterr().err


def test_cli_stats_bad_baseline_and_state(files, capsys):
    (files / "bad.json").write_text("{ not json")
    assert main(["stats", str(files / "a.npz"), "--baseline", str(files / "bad.json")]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert main(["stats", str(files / "missing.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_export_and_compare(files, capsys):
    for fmt, name in (("netcdf", "a.nc"), ("npz", "plain.npz"), ("png16", "a.png")):
        assert main(["export", str(files / "a.npz"), "--format", fmt, "--out", str(files / name)]) == 0
        assert (files / name).is_file()
    assert not list(files.glob(".*.tmp"))
    capsys.readouterr()
    assert main(["compare", str(files / "a.npz"), str(files / "a.nc")]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("terrain.land_fraction"))
    assert line.split()[1] == line.split()[2] and line.split()[3] == "0"
    assert main(["compare", str(files / "a.npz"), str(files / "b.npz")]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("terrain.elevation_mean"))
    assert float(line.split()[3]) == pytest.approx(0.25, rel=1e-3)  # half the sphere raised by 0.5
    assert main(["export", str(files / "a.npz"), "--format", "png16", "--field", "nope",
                 "--out", str(files / "x.png")]) == 2
    assert "--field must be a field of the state" in capsys.readouterr().err
    assert main(["export", str(files / "a.npz"), "--format", "netcdf", "--out", str(files / "no" / "x.nc")]) == 2
    assert "does not exist" in capsys.readouterr().err
