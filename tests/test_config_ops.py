"""Configuration: every error names its key; TOML round-trips; states carry their configuration."""
from __future__ import annotations

import math
import tomllib
from dataclasses import fields

import pytest
from hypothesis import assume, given, settings, strategies as st

from planet.core.config import SECTIONS, Config, ConfigError
from planet.world import Planet


@pytest.mark.parametrize("data, key, match", [
    ({"life": {"dtt": 0.1}}, "life.dtt", r"unknown configuration key life\.dtt \(did you mean life\.dt\?\); keys of \[life\]: dt, "),
    ({"climate": {"dt": 0.1}}, "climate.dt", r"unknown configuration key climate\.dt: dt belongs to section \[life\]"),
    ({"fps": 30}, "fps", r"configuration key 'fps' must be inside its section: \[schedule\] fps = \.\.\."),
    ({"lif": {}}, "lif", r"unknown configuration section 'lif' \(did you mean life\?\); known sections: schedule, "),
    ({"weather": {}}, "weather", r"unknown configuration section 'weather'; known sections"),
    ({"life": 3}, "life", r"configuration section 'life' must be a table of keys \(\[life\]\), got 3"),
    ({"life": {"dt": "fast"}}, "life.dt", r"life\.dt must be a number, got 'fast' \(str\)"),
    ({"life": {"dt": True}}, "life.dt", r"life\.dt must be a number, got True \(bool\)"),
    ({"life": {"dt": 2.0}}, "life.dt", r"life\.dt must be in \[0, 1\], got 2\.0"),
    ({"life": {"dt": -0.5}}, "life.dt", r"life\.dt must be in \[0, 1\], got -0\.5"),
    ({"life": {"dt": math.nan}}, "life.dt", r"life\.dt must be a finite number in \[0, 1\], got nan"),
    ({"climate": {"coriolis": math.inf}}, "climate.coriolis", r"must be a finite number in \[-1000, 1000\], got inf"),
    ({"schedule": {"fps": 59.5}}, "schedule.fps", r"schedule\.fps must be an integer, got 59\.5 \(float\)"),
    ({"schedule": {"fps": 0}}, "schedule.fps", r"schedule\.fps must be in \[1, 10000\], got 0"),
    ({"lithosphere": {"replate_period": "5000"}}, "lithosphere.replate_period", r"must be an integer, got '5000' \(str\)"),
    ({"schedule": {"ocean_start": 30.0}}, "schedule.ocean_start", r"schedule\.ocean_start must be before schedule\.ocean_end, got 30\.0 >= 25\.0"),
    ({"schedule": {"warming_start": 221.0}}, "schedule.warming_start", r"warming_start must not be after schedule\.warming_end"),
    ([1, 2], "", r"configuration must be a table of sections, got list"),
])
def test_every_configuration_error_has_its_message(data, key, match):
    with pytest.raises(ConfigError, match=match) as info:
        Config.from_dict(data)
    assert info.value.key == key


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*missing\.toml: No such file"):
        Config.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[life]\ndt = = 3\n")
    with pytest.raises(ConfigError, match=r"config file .*bad\.toml is not valid TOML"):
        Config.from_toml(bad)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[life]")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        Config.from_toml(binary)
    typo = tmp_path / "typo.toml"
    typo.write_text("[life]\ndiffusion_pray = 0.4\n")
    with pytest.raises(ConfigError, match=r"life\.diffusion_pray \(did you mean life\.diffusion_prey\?\)"):
        Config.from_toml(typo)


def test_replace_errors():
    with pytest.raises(ConfigError, match=r"unknown configuration section 'lfe' \(did you mean life\?\)"):
        Config().replace(lfe={"dt": 0.1})
    with pytest.raises(ConfigError, match=r"replace\(life=\.\.\.\) takes a dict"):
        Config().replace(life=0.1)
    with pytest.raises(ConfigError, match=r"section 'life' must be a planet\.core\.config\.Life"):
        Config(life={"dt": 0.1})


def test_partial_file_keeps_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[schedule]\ntectonics_end = 140.0\n\n[life]\ndt = 0.05\nheat_limit = 33\n")
    cfg = Config.from_toml(path)
    assert cfg.schedule.tectonics_end == 140.0 and cfg.life.dt == 0.05
    assert cfg.life.heat_limit == 33.0 and isinstance(cfg.life.heat_limit, float)
    assert cfg.climate == Config().climate


def test_default_toml_is_documented_and_parses_to_defaults():
    text = Config().to_toml()
    assert tomllib.loads(text) == Config().to_dict()
    assert Config.from_toml_text(text) == Config()
    assert "# Lotka-Volterra time step [0, 1]" in text
    assert "[lithosphere]" in text and "plates_min = 6" in text
    bare = Config().to_toml(comments=False)
    assert "#" not in bare and tomllib.loads(bare) == Config().to_dict()


def _value(f):
    """A hypothesis strategy for a parameter within its documented range."""
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    if type(f.default) is int:
        return st.integers(int(lo), int(min(hi, 2**62)))
    return st.floats(max(lo, -1e300), min(hi, 1e300), allow_nan=False, allow_infinity=False)


SCHEDULE_FREE = {"climate", "atmosphere", "life", "lithosphere"}


@st.composite
def configs(draw):
    data = {}
    for name in SCHEDULE_FREE:
        section = SECTIONS[name]
        chosen = draw(st.lists(st.sampled_from([f.name for f in fields(section)]), max_size=4, unique=True))
        data[name] = {f.name: draw(_value(f)) for f in fields(section) if f.name in chosen}
    scale = draw(st.floats(0.01, 10))
    data["schedule"] = {f.name: getattr(SECTIONS["schedule"](), f.name) * scale
                        for f in fields(SECTIONS["schedule"]) if f.name != "fps"}
    data["schedule"]["fps"] = draw(st.integers(1, 10_000))
    try:
        return Config.from_dict(data)
    except ConfigError as e:
        # each key is in range; only the documented cross-key rules (life.dt × diffusion, min <= max,
        # plate_interval a multiple of step_interval) may refuse a combination
        assume("must not exceed" not in str(e) and "at most 0.25" not in str(e) and "must be a multiple of" not in str(e))
        raise


@settings(max_examples=40, deadline=None)
@given(configs())
def test_toml_round_trip_over_documented_ranges(tmp_path_factory, cfg):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(cfg.to_toml())
    back = Config.from_toml(path)
    assert back == cfg
    assert back.to_json() == cfg.to_json()


def test_state_files_carry_the_configuration(tmp_path):
    cfg = Config().replace(life={"dt": 0.05}, schedule={"tectonics_end": 140.0})
    world = Planet(resolution=128, seed=2, config=cfg)
    world.step(1)
    world.save(tmp_path / "w.npz")
    from planet.core.state import State

    back = State.load(tmp_path / "w.npz")
    assert back.config == cfg and back.config.to_toml() == cfg.to_toml()
