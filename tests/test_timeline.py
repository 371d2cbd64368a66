import math

import pytest

from planet import Config, ConfigError, Timeline


def test_sea_level_formula_and_freeze():
    tl = Timeline()
    assert tl.sea_level(10) == 0.0
    assert tl.sea_level(20) == pytest.approx((7.25 + 0.25 * math.sin(4.0)) * 0.5)
    assert tl.sea_level(100) == pytest.approx(7.25 + 0.25 * math.sin(20.0))
    frozen = tl.sea_level(126)
    assert tl.sea_level(180) == frozen == tl.sea_level(250)
    assert tl.sea_level(251) != frozen  # the story's end lets time run again


def test_epochs_and_steps():
    tl = Timeline()
    assert tl.seconds("tectonics_end") == 126 and tl.step_of("tectonics_end") == 7560
    assert tl.step_of("story_end") == 15000 and tl.step_of(0.5) == 30
    with pytest.raises(ValueError, match="unknown epoch 'nope'"):
        tl.seconds("nope")
    with pytest.raises(ValueError, match=">= 0"):
        tl.seconds(-1)
    assert tl.epoch_at(30.0) == "land_end"


def test_season_cycle():
    tl = Timeline()
    assert tl.season(0) == 1.0          # January
    assert tl.season(12) == -1.0        # July (month 6)
    assert tl.season(24) == pytest.approx(1.0)  # a year later


def test_calendar():
    tl = Timeline()
    assert tl.date(0) == "4.5 billion years ago"
    assert tl.date(63) == "2.2 billion years ago"
    assert tl.date(125.9) == "4 million years ago"  # 4.5e9 * 0.1 / 126
    assert tl.date(126) == tl.date(220) == "present day"


def test_schedule_is_configurable():
    cfg = Config().replace(schedule={"tectonics_end": 100.0})
    assert Timeline(cfg.schedule).step_of("tectonics_end") == 6000
    with pytest.raises(ConfigError, match="schedule.ocean_start must be before schedule.ocean_end"):
        Config().replace(schedule={"ocean_start": 30.0})
