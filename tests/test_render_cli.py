"""`planet film` and `planet render` (the CLI extension in render/cli.py)."""
import argparse
import os

import numpy as np
import pytest
from PIL import Image

from planet.cli import render as cli
from planet.render import synthetic as syn


def parser():
    p = argparse.ArgumentParser(prog="planet")
    cli.register(p.add_subparsers(dest="command", required=True))
    return p


def run(argv):
    args = parser().parse_args(argv)
    return args.func(args)


def test_render_a_saved_state(tmp_path):
    path = tmp_path / "world.npz"
    syn.synthetic_state(32).save(path)
    out = tmp_path / "rivers.png"
    assert run(["render", str(path), "--view", "rivers", "--size", "128x64", "--backend", "cpu",
                "--out", str(out)]) == 0
    assert Image.open(out).size == (128, 64)
    out2 = tmp_path / "globe.png"
    assert run(["render", str(path), "--globe", "--lat", "-30", "--lon", "45", "--size", "96x96",
                "--backend", "cpu", "--out", str(out2)]) == 0
    img = np.asarray(Image.open(out2))
    assert img.shape == (96, 96, 3) and img[0, 0].max() < 20          # dim background in the corner
    assert sorted(os.listdir(tmp_path)) == ["globe.png", "rivers.png", "world.npz"]


@pytest.mark.parametrize("argv, match", [
    (["--view", "volcano"], "--view must be one of"),
    (["--size", "101x50"], "--size must be WIDTHxHEIGHT"),
    (["--size", "big"], "--size must be WIDTHxHEIGHT"),
    (["--backend", "metal"], "--backend must be one of"),
    (["--globe", "--lat", "95"], "--lat must be in"),
])
def test_render_bad_values(tmp_path, argv, match):
    path = tmp_path / "world.npz"
    syn.synthetic_state(32).save(path)
    with pytest.raises(ValueError, match=match):
        run(["render", str(path), "--out", str(tmp_path / "x.png")] + argv)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv, match", [
    (["--size", "1281x720"], "--size must be WIDTHxHEIGHT"),
    (["--fps", "0"], "--fps must be an integer in"),
    (["--backend", "opengl"], "--backend must be one of"),
    (["--quality", "12"], "--quality must be in"),
    (["--start-time", "-3"], "--start-time must be film seconds"),
])
def test_film_bad_values(tmp_path, argv, match):
    with pytest.raises(ValueError, match=match):
        run(["film", "--out", str(tmp_path / "f.mp4"), "--resolution", "128", "--quiet"] + argv)
    assert os.listdir(tmp_path) == []


def test_film_command_writes_a_gif(tmp_path, capsys):
    out = tmp_path / "f.gif"
    assert run(["film", "--out", str(out), "--size", "64x36", "--fps", "5", "--resolution", "128",
                "--backend", "cpu", "--until", "1"]) == 0
    assert out.exists() and "5 frames" in capsys.readouterr().out


def test_main_reports_errors_as_one_line(capsys):
    from planet.cli import main

    assert main(["film", "--out", "x.mp4", "--fps", "-2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("planet: error: --fps") and "\n" not in err
