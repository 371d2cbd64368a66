"""The lithosphere's own step (``lithosphere.step_interval``): it advances every ``K`` film steps by
``K`` steps' worth, on steps that are a function of the step number."""
import numpy as np
import pytest

import planet
from planet.core.stage import Context
from planet.processes.lithosphere import cadence, motion, plates
from planet.processes.lithosphere.motion import per_run
from planet.processes.lithosphere.step import FIELDS, LithosphereStage
from .naive_lithosphere import one_thread  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def world():
    w = planet.Planet(128, seed=4, stages=("lithosphere",))
    w.run(until=32.0)
    return w


def _advance(w, conf, steps):
    stage = LithosphereStage()
    fields = dict(w.state.fields)
    seen = []
    for step in range(w.state.step + 1, w.state.step + 1 + steps):
        ctx = Context(step=step, time=w.timeline.time_of(step), seed=w.state.seed, grid=w.grid, config=conf,
                      timeline=w.timeline)
        before = dict(fields)
        out = stage.advance(fields, ctx)
        seen.append((step, before, out))
        fields.update(out)
    return fields, seen


def test_the_lithosphere_advances_every_k_steps_and_holds_between(world):
    conf = world.config
    cfg = conf.lithosphere
    k = cfg.step_interval
    assert k == 4 and cfg.plate_interval % k == 0
    first = world.timeline.step_of(conf.schedule.ocean_start)
    _, seen = _advance(world, conf, 4 * k)
    runs = 0
    for step, before, out in seen:
        s_e = plates.epoch_start_step(plates.epoch_of(step, cfg.replate_period), cfg.replate_period,
                                      cfg.replate_steps, first)
        assert motion.runs_at(step, cfg, first) == ((step - s_e) % k == 0)
        if motion.runs_at(step, cfg, first):
            runs += 1
            assert not np.array_equal(out["elevation"], before["elevation"]), step
        else:
            assert all(out[n] is before[n] for n in FIELDS), step          # nothing happens, nothing is copied
    assert runs == 4


def test_one_step_of_k_does_what_k_steps_of_one_do(world):
    """The rates per lithosphere step are ``K`` times the rates per film step (decay compounded):
    the elevation and uplift changes of lithosphere steps of ``K`` (the default, 4) match ``K``
    times as many steps of ``K = 1`` (the plates move at the same steps in both), cell by cell, to
    first order."""
    base = world.config
    cfg = base.lithosphere
    k = cfg.step_interval
    first = world.timeline.step_of(base.schedule.ocean_start)
    s_e = plates.epoch_start_step(plates.epoch_of(world.state.step, cfg.replate_period), cfg.replate_period,
                                  cfg.replate_steps, first)
    steps = (-(world.state.step + 1 - s_e)) % k + 1 + 3 * k     # to just after the fourth lithosphere step of K
    one, _ = _advance(world, base.replace(lithosphere={"step_interval": 1}), steps)
    many, seen = _advance(world, base, steps)
    assert sum(motion.runs_at(step, cfg, first) for step, _, _ in seen) == 4
    for name in ("elevation", "uplift"):
        d1 = one[name].astype(np.float64) - world.state[name]
        dk = many[name].astype(np.float64) - world.state[name]
        land = world.state.elevation > 5
        assert np.corrcoef(d1[land], dk[land])[0, 1] > 0.9, name
        ratio = np.abs(dk[land]).mean() / np.abs(d1[land]).mean()
        assert 0.85 < ratio < 1.15, (name, ratio)
    rates = per_run(cfg)
    assert rates.stream_power == k * cfg.stream_power
    assert rates.uplift_decay == pytest.approx(1 - (1 - cfg.uplift_decay) ** k)
    assert per_run(base.replace(lithosphere={"step_interval": 1}).lithosphere) is not rates


def test_restored_between_two_lithosphere_steps_the_world_goes_on_identically(world, tmp_path):
    w = planet.Planet(128, seed=4, stages=("lithosphere",))
    w.run(until=20.0)
    cfg = w.config.lithosphere
    first = w.timeline.step_of(w.config.schedule.ocean_start)
    if motion.runs_at(w.state.step + 1, cfg, first):
        w.step(1)                          # stop where the next step is one the lithosphere skips
    w.save(tmp_path / "mid.npz")
    w.run(until=22.0)
    again = planet.load(tmp_path / "mid.npz")
    again.run(until=22.0)
    assert again.state.equals(w.state)


def test_plate_interval_must_be_a_multiple_of_step_interval():
    with pytest.raises(planet.ConfigError, match="lithosphere.plate_interval must be a multiple"):
        planet.Config().replace(lithosphere={"plate_interval": 3})


@pytest.mark.parametrize("interval, step", [(1, 1), (3, 1), (6, 2), (8, 4), (16, 4)])
def test_the_benchmarks_plate_interval_builds_a_valid_configuration(interval, step):
    """``--interval N`` of the benchmarks: any N in range gives a configuration (the lithosphere steps
    every ``gcd(N, 4)`` steps), not the error of a plate interval that its step does not divide."""
    from bench.bench_lithosphere import interval_config
    cfg = interval_config(interval).lithosphere
    assert (cfg.plate_interval, cfg.step_interval) == (interval, step)
    assert interval_config(None) == planet.Config()


def test_last_run_is_the_latest_step_the_lithosphere_advanced(world):
    """``cadence.last_run`` against a search of ``runs_at`` backwards, over the first steps of an epoch
    whose start is not on the last epoch's beat (steps 5000-5010 of the default schedule) too, and with
    a lithosphere step of 1 and 8."""
    first = world.timeline.step_of(world.config.schedule.ocean_start)
    for k in (4, 1, 8):
        c = world.config.replace(lithosphere={"step_interval": k, "plate_interval": 16}).lithosphere
        for step in [*range(first, first + 40), *range(4990, 5030), *range(9995, 10025)]:
            last = cadence.last_run(step, c, first)
            runs = [s for s in range(step - 40, step + 1) if motion.runs_at(s, c, first)]
            assert last == runs[-1], (k, step)


def test_the_climate_is_that_of_the_lithosphere_s_latest_step(world):
    """The climate at a step is ``climate_fields`` at the time and the sea level of the lithosphere's
    latest step (``last_run``), where the terrain it reads was made; between two lithosphere steps the
    stage hands on the same arrays, and a stage that starts between them (a restored world) computes
    the same bits. With ``step_interval`` 1 every step has its own climate, in new arrays."""
    from planet.processes.climate import ClimateStage, climate_fields

    conf = world.config
    tl = world.timeline
    first = tl.step_of(conf.schedule.ocean_start)
    z = world.state.fields["elevation"]
    for k in (4, 1):
        cfg = conf.replace(lithosphere={"step_interval": k, "plate_interval": 16})
        stage = ClimateStage()
        before = None
        for step in range(world.state.step + 1, world.state.step + 10):
            ctx = Context(step=step, time=tl.time_of(step), seed=0, grid=world.grid, config=cfg, timeline=tl)
            out = stage.advance({"elevation": z}, ctx)
            last = cadence.last_run(step, cfg.lithosphere, first)
            assert (last == step) == (k == 1 or motion.runs_at(step, cfg.lithosphere, first))
            t = tl.time_of(last)
            ref = climate_fields(z, tl.sea_level(t), t, cfg)
            np.testing.assert_array_equal(ctx.scratch["climate"]["stack"], ref["stack"])
            if before is not None:
                assert all((out[n] is before[1][n]) == (before[0] == last) for n in out), (k, step)
            if last != step:
                fresh = Context(step=step, time=ctx.time, seed=0, grid=world.grid, config=cfg, timeline=tl)
                again = ClimateStage().advance({"elevation": z}, fresh)          # restored between the two
                for n in out:
                    np.testing.assert_array_equal(again[n], out[n])
                # the step's own time and sea level are another climate (the season and the sea move)
                own = climate_fields(z, tl.sea_level(ctx.time), ctx.time, cfg)["stack"]
                assert not np.array_equal(own, ref["stack"])
            before = (last, out)


def test_a_whole_world_restored_between_two_lithosphere_steps_goes_on_identically(tmp_path):
    """Every stage, the climate's kept arrays included: a world saved between two lithosphere steps
    and loaded again goes on bit for bit as the one that ran on."""
    w = planet.Planet(128, seed=5)
    w.run(until=21.0)
    cfg = w.config.lithosphere
    first = w.timeline.step_of(w.config.schedule.ocean_start)
    while motion.runs_at(w.state.step + 1, cfg, first) or motion.runs_at(w.state.step + 2, cfg, first):
        w.step(1)                          # stop where the next two steps are ones the lithosphere skips
    w.save(tmp_path / "mid.npz")
    w.step(12)
    again = planet.load(tmp_path / "mid.npz")
    again.step(12)
    assert again.state.equals(w.state)
