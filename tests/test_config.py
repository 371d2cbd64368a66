import pytest

from planet import Config, ConfigError


def test_defaults_are_the_spec():
    c = Config()
    assert c.schedule.tectonics_end == 126.0 and c.schedule.fps == 60
    assert c.lithosphere.seed_probability == 2.4e-7 and c.lithosphere.replate_period == 5000
    assert c.life.dt == 0.1


def test_roundtrip_json():
    c = Config().replace(lithosphere={"stream_power": 0.07})
    assert Config.from_json(c.to_json()) == c


@pytest.mark.parametrize("data,msg", [
    ({"weather": {}}, "unknown configuration section 'weather'"),
    ({"life": {"speed": 1}}, "unknown configuration key life.speed"),
    ({"life": {"dt": "fast"}}, "life.dt must be a number"),
    ({"life": {"dt": 2.0}}, r"life.dt must be in \[0, 1\]"),
    ({"lithosphere": {"replate_period": 0}}, "lithosphere.replate_period must be in"),
    ({"lithosphere": {"replate_period": 1.5}}, "lithosphere.replate_period must be an integer"),
    ({"schedule": {"fps": True}}, "schedule.fps must be an integer"),
])
def test_bad_values_name_the_key(data, msg):
    with pytest.raises(ConfigError, match=msg):
        Config.from_dict(data)
