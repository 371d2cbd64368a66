"""The CLI pieces: planet config, planet sweep, and the long-run options of planet run."""
from __future__ import annotations

import argparse
import tomllib

import pytest

import planet.model
from planet.cli import ops as cli_ops
from planet.io.checkpoint import list_checkpoints
from planet.core.config import Config
from planet.core.guard import GuardError
from planet.core.state import State
from planet.analysis.sweep import read_csv
from planet.world import Planet

import ops_stages


def _cmd_run(args):
    """What the lead's `planet run` handler does with the options (see cli_ops docstring)."""
    config = cli_ops.config_from_args(args)
    world = None if args.resume else Planet(args.resolution, args.seed, config=config,
                                            stages=args.stages.split(","))
    world = cli_ops.apply_run_options(args, world)
    cli_ops.run_planet(args, world, args.until)
    world.save(args.out)
    return 0


def main(argv):
    parser = argparse.ArgumentParser(prog="planet")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_ops.register(sub)
    run = sub.add_parser("run")
    run.add_argument("--resolution", type=int, default=128)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--until", type=float, required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--stages", default="lithosphere")
    cli_ops.add_run_options(run)
    run.set_defaults(func=_cmd_run)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def synthetic():
    saved = dict(planet.model.REGISTRY)
    ops_stages.use_synthetic(planet.model.REGISTRY, poison=True)
    yield
    planet.model.REGISTRY.clear()
    planet.model.REGISTRY.update(saved)


# -- planet config ------------------------------------------------------------------------
def test_config_default_prints_documented_defaults(capsys):
    assert main(["config", "--default"]) == 0
    text = capsys.readouterr().out
    assert tomllib.loads(text) == Config().to_dict() and "# Lotka-Volterra time step [0, 1]" in text


def test_config_show_overlays_the_file(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text("[life]\ndt = 0.05\n")
    assert main(["config", "--show", "--config", str(path), "--bare"]) == 0
    text = capsys.readouterr().out
    assert "#" not in text and Config.from_toml_text(text) == Config().replace(life={"dt": 0.05})


def test_config_of_a_saved_state_reloads_to_the_same_values(tmp_path, capsys):
    cfg = Config().replace(life={"dt": 0.05}, climate={"coriolis": -3.25})
    Planet(resolution=128, seed=1, config=cfg).save(tmp_path / "w.npz")
    assert main(["config", "--state", str(tmp_path / "w.npz")]) == 0
    assert Config.from_toml_text(capsys.readouterr().out) == cfg
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"--state: .*junk\.npz holds no readable configuration"):
        main(["config", "--state", str(tmp_path / "junk.npz")])


def test_config_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[life]\ndtt = 0.05\n")
    with pytest.raises(ValueError, match=r"^--config: unknown configuration key life\.dtt \(did you mean life\.dt\?\)"):
        main(["config", "--config", str(path)])
    with pytest.raises(ValueError, match="--default prints the defaults; it takes no --config"):
        main(["config", "--default", "--config", str(path)])


# -- planet run options ---------------------------------------------------------------------
def test_run_checkpoint_kill_resume_equals_uninterrupted(tmp_path, synthetic):
    ck = tmp_path / "ck"
    assert main(["run", "--seed", "4", "--until", "0.5", "--out", str(tmp_path / "whole.npz")]) == 0
    # a run that stops at 0.25 s stands for one that was killed there
    assert main(["run", "--seed", "4", "--until", "0.25", "--out", str(tmp_path / "part.npz"),
                 "--checkpoint-every", "4", "--checkpoint-dir", str(ck), "--keep-checkpoints", "2"]) == 0
    assert [s for s, _ in list_checkpoints(ck)] == [12, 15]
    assert main(["run", "--until", "0.5", "--out", str(tmp_path / "resumed.npz"), "--resume", str(ck),
                 "--checkpoint-every", "4", "--keep-checkpoints", "2"]) == 0
    assert State.load(tmp_path / "resumed.npz").equals(State.load(tmp_path / "whole.npz"))
    assert [s for s, _ in list_checkpoints(ck)] == [28, 30]


def test_run_resume_warns_about_a_damaged_checkpoint(tmp_path, synthetic, capsys):
    ck = tmp_path / "ck"
    main(["run", "--until", "0.1", "--out", str(tmp_path / "a.npz"), "--checkpoint-every", "3",
          "--checkpoint-dir", str(ck)])
    (ck / "checkpoint-000000006.npz").write_bytes(b"garbage")
    capsys.readouterr()
    assert main(["run", "--until", "0.2", "--out", str(tmp_path / "b.npz"), "--resume", str(ck)]) == 0
    err = capsys.readouterr().err
    assert "planet: warning: skipping damaged checkpoint" in err and "checkpoint-000000006.npz" in err
    assert "planet: resuming seed 0 at 128x64, step 3" in err


def test_run_with_config_file_saves_it_into_the_state(tmp_path, synthetic):
    path = tmp_path / "c.toml"
    path.write_text("[life]\ndt = 0.05\n")
    assert main(["run", "--until", "0.05", "--out", str(tmp_path / "w.npz"), "--config", str(path)]) == 0
    assert State.load(tmp_path / "w.npz").config == Config().replace(life={"dt": 0.05})


def test_resume_refuses_another_config(tmp_path, synthetic):
    ck = tmp_path / "ck"
    main(["run", "--until", "0.1", "--out", str(tmp_path / "a.npz"), "--checkpoint-every", "3",
          "--checkpoint-dir", str(ck)])
    path = tmp_path / "c.toml"
    path.write_text("[life]\ndt = 0.05\n")
    with pytest.raises(ValueError, match=r"--config differs .*\(life\.dt\); omit --config when resuming"):
        main(["run", "--until", "0.2", "--out", str(tmp_path / "b.npz"), "--resume", str(ck), "--config", str(path)])


def test_run_guard_stops_and_saves(tmp_path, synthetic):
    with pytest.raises(GuardError, match="stage 'poison'") as info:
        main(["run", "--until", "0.5", "--out", str(tmp_path / "w.npz"), "--stages", "lithosphere,poison",
              "--guard-every", "2", "--guard-dir", str(tmp_path)])
    assert info.value.step == 8 and info.value.saved == tmp_path / "guard-last-good-000000006.npz"
    assert info.value.saved.is_file()


@pytest.mark.parametrize("argv, match", [
    (["--checkpoint-every", "5"], r"--checkpoint-every needs --checkpoint-dir DIR \(or --resume DIR\)"),
    (["--checkpoint-dir", "x"], "--checkpoint-dir needs --checkpoint-every N"),
    (["--keep-checkpoints", "2"], "--keep-checkpoints needs --checkpoint-every N"),
    (["--guard-dir", "x"], "--guard-dir needs --guard-every N"),
    (["--resume", "nowhere"], "resume: checkpoint folder nowhere does not exist"),
])
def test_run_option_errors(tmp_path, argv, match, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=match):
        main(["run", "--until", "0.1", "--out", "w.npz", *argv])


def test_run_option_types(capsys):
    with pytest.raises(SystemExit, match="^2$"):
        main(["run", "--until", "1", "--out", "w.npz", "--checkpoint-every", "0"])
    assert "--checkpoint-every must be an integer >= 1, got 0" in capsys.readouterr().err


# -- planet sweep -------------------------------------------------------------------------------
def test_sweep_cli(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sweep", "--seeds", "0:3", "--until", "0.2", "--resolution", "128", "--stats", str(out),
                 "--no-processes", "--workers", "2"]) == 0
    rows = read_csv(out)
    assert [r["seed"] for r in rows] == [0, 1, 2] and all(r["status"] == "ok" for r in rows)
    assert main(["sweep", "--seeds", "1", "--until", "0.2", "--resolution", "128", "--no-processes"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("seed,status,step,") and text.splitlines()[1].startswith("1,ok,12,")
    with pytest.raises(ValueError, match="seeds must be START:STOP"):
        main(["sweep", "--seeds", "x", "--until", "1"])
