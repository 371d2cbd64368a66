"""``bench_full.py --paired``: the resolutions of a scaling ratio are stepped one plate cycle each in turn."""
import pytest

import planet
from bench import bench_full as bf


def test_paired_steps_the_resolutions_a_cycle_each_in_turn(monkeypatch):
    calls = []
    real = planet.Planet.step

    def step(self, n=1, **kw):
        calls.append((self.state.shape[1], n))
        return real(self, n, **kw)

    monkeypatch.setattr(planet.Planet, "step", step)
    out = bf.paired([128, 256], 30.0, rounds=2, warmup=3, worlds=None)
    n = planet.Config().lithosphere.plate_interval
    assert calls == [(128, 3), (256, 3)] + [(128, n), (256, n)] * 2
    for res in (128, 256):
        steps, floors = out[res]
        assert len(steps) == len(floors) == 2 and min(steps) > 0 and min(floors) > 0


def test_scaling_lines_divide_each_pair_of_cycles_and_the_fastest():
    result = {1024: ([4.0e-3, 9.0e-3], [4e-4, 3e-4]), 512: ([1.0e-3, 2.0e-3], [1e-4, 2e-4]),
              2048: ([20.0e-3, 36.0e-3], [2e-3, 2e-3])}
    lines = bf.scaling_lines(result, 90.0)
    assert len(lines) == 2
    # 1024 / 512: pairs 4.0 and 4.5, median 4.25; fastest cycles 4.0 / 1.0 ms
    assert "/ 512x256 t=90s: 4.25 (median of 2 paired cycles, 4.00-4.50); fastest cycles 4.00;" in lines[0]
    assert "steps 1.00 / 4.00 ms, 10.0 / 13.3x floor; the floor itself 3.00" in lines[0]
    # 2048 / 1024: pairs 5.0 and 4.0
    assert lines[1].startswith(" 2048x1024 / 1024x512 t=90s: 4.50 (median of 2 paired cycles, 4.00-5.00); fastest "
                               "cycles 5.00;")


@pytest.mark.parametrize("argv, message", [
    (["--paired", "-1", "--resolutions", "128", "256"], "--paired must be >= 0, got -1"),
    (["--paired", "2", "--resolutions", "128"], "--paired compares resolutions: give at least two --resolutions"),
])
def test_bad_paired_arguments_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        bf.main(argv + ["--moved"])
    assert stop.value.code == 2 and message in capsys.readouterr().err
