import pytest

from planet import Config, ConfigError


def test_defaults_are_the_spec():
    c = Config()
    assert c.schedule.tectonics_end == 126.0 and c.schedule.fps == 60
    assert c.lithosphere.plates_min == 6 and c.lithosphere.replate_period == 5000
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


@pytest.mark.parametrize("life,msg", [
    ({"dt": 0.2, "diffusion_predators": 1.5}, r"life.dt × the largest life.diffusion_\* must be at most 0.25"),
    ({"population_min": 4.0, "population_max": 3.0}, "life.population_min must not exceed"),
    ({"settle_t_min": 40.0}, "life.settle_t_min must not exceed"),
])
def test_life_combinations_that_would_break_the_kernels_are_refused(life, msg):
    with pytest.raises(ConfigError, match=msg):
        Config().replace(life=life)


def test_life_diffusion_at_the_stability_limit_stays_non_negative():
    """The bound above is the real one: at dt·D = 0.25 the explicit diffusion keeps populations >= 0."""
    import planet

    cfg = Config().replace(life={"dt": 0.25, "diffusion_predators": 1.0})
    s = planet.Planet(128, seed=2, config=cfg).run(until=40)
    for name in ("vegetation", "prey", "predators"):
        assert s[name].min() >= 0.0
