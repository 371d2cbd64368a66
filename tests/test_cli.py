"""The command line: exit statuses, one-line errors, no partial files."""
import subprocess
import sys

import pytest

from planet.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_and_info(tmp_path, capsys):
    out = tmp_path / "w.npz"
    code, text, _ = run(capsys, "run", "--resolution", "128", "--seed", "2", "--until", "0.5",
                        "--out", str(out), "--previews", str(tmp_path / "prev"), "--quiet")
    assert code == 0 and out.is_file()
    assert sorted(p.name for p in (tmp_path / "prev").iterdir()) == ["basins.png", "elevation.png", "plates.png"]
    code, text, _ = run(capsys, "info", str(out))
    assert code == 0 and "seed 2, step 30" in text and "elevation" in text


@pytest.mark.parametrize("args,msg", [
    (["run", "--resolution", "255"], "resolution must be even"),
    (["run", "--resolution", "64"], "at least 128 columns (64 rows)"),
    (["run", "--resolution", "128", "--seed", "-1"], "seed must be an integer in [0, 4294967295]"),
    (["run", "--resolution", "128", "--until", "ice_age"], "unknown epoch 'ice_age'"),
    (["run", "--resolution", "128", "--until", "-5"], "time must be >= 0"),
    (["run", "--resolution", "128", "--steps", "-5"], "--steps must be a non-negative integer"),
    (["info", "/nonexistent/state.npz"], "does not exist"),
])
def test_bad_input_one_line_exit_2(capsys, args, msg):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("planet: error: ") and msg in err and err.count("\n") == 1


def test_unwritable_output_fails_before_running(tmp_path, capsys):
    code, _, err = run(capsys, "run", "--resolution", "128", "--out", str(tmp_path / "missing" / "w.npz"))
    assert code == 2 and "folder" in err and "does not exist" in err
    assert not (tmp_path / "missing").exists()


def test_until_before_now(tmp_path, capsys):
    start = tmp_path / "s.npz"
    assert run(capsys, "run", "--resolution", "128", "--until", "1", "--out", str(start), "--quiet")[0] == 0
    code, _, err = run(capsys, "run", "--from", str(start), "--until", "0.5", "--out", str(tmp_path / "x.npz"))
    assert code == 2 and "before the current time" in err
    assert not (tmp_path / "x.npz").exists()


def test_corrupt_state_file(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run(capsys, "info", str(bad))
    assert code == 2 and "damaged or not a planet state" in err


def test_console_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "planet", "run", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for option in ("--resolution", "--seed", "--until", "--steps", "--out", "--previews"):
        assert option in r.stdout
    assert "film" in r.stdout and "multiple of 32" in r.stdout


def test_output_piped_into_a_closed_reader_ends_quietly(tmp_path):
    state = tmp_path / "w.npz"
    assert main(["run", "--resolution", "128", "--until", "0.1", "--out", str(state), "--quiet"]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "planet", "stats", str(state)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read()
    assert proc.wait() == 141 and "Traceback" not in err, err


@pytest.mark.parametrize("signals", [1, 20])
def test_sigterm_during_a_film_leaves_no_file_behind(tmp_path, signals):
    """`kill` / `timeout` send SIGTERM: the film's temporary video is removed, nothing is at the target.
    `timeout make demo` sends several (timeout to the process group, make to its children): the
    later ones must not cut the clean-up short (a burst of 20 left the partial film in 2 of 4 runs
    before the handler ignored them)."""
    import signal
    import time

    out = tmp_path / "film.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "planet", "film", "--out", str(out), "--size", "128x72",
                             "--resolution", "128", "--fps", "10"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith(".film.mp4") for p in tmp_path.iterdir()):
        time.sleep(0.05)  # wait until the temporary video exists: the render is under way
    assert any(p.name.startswith(".film.mp4") for p in tmp_path.iterdir()), "the film never started"
    time.sleep(0.5)
    for _ in range(signals):
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.005)
    rc = proc.wait(timeout=60)
    log = proc.stdout.read()[-4000:]
    assert rc == 128 + signal.SIGTERM, log
    assert list(tmp_path.iterdir()) == [], log


@pytest.mark.parametrize("cause, code", [(SystemExit(143), 143), (KeyboardInterrupt(), 130)])
def test_a_signal_inside_a_numba_call_exits_as_the_signal_asks(cause, code):
    """A signal handled while Numba loads a cached kernel reaches us as a SystemError caused by it."""
    import argparse

    from planet.cli import _run

    def func(args):
        try:
            raise cause
        except BaseException as e:
            raise SystemError("CPUDispatcher(...) returned a result with an exception set") from e

    assert _run(argparse.Namespace(func=func)) == code


def test_other_system_errors_are_not_swallowed():
    import argparse

    from planet.cli import _run

    def func(args):
        raise SystemError("a real interpreter error")

    with pytest.raises(SystemError, match="real interpreter"):
        _run(argparse.Namespace(func=func))


def test_one_grammar_new_spellings_and_old_aliases(capsys):
    """--from (a state file) and --until/--start-time mean the same in run and film; old spellings still work,
    each with a one-line note on stderr."""
    import argparse

    from planet.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["run", "--from", "a.npz"]).from_state == "a.npz"
    assert capsys.readouterr().err == ""
    assert parser.parse_args(["run", "--start", "a.npz"]).from_state == "a.npz"
    err = capsys.readouterr().err
    assert err.startswith("planet: note: --start is the old spelling of --from") and err.count("\n") == 1
    new = parser.parse_args(["film", "--out", "f.mp4", "--start-time", "3", "--until", "9"])
    assert capsys.readouterr().err == ""
    old = parser.parse_args(["film", "--out", "f.mp4", "--start", "3", "--end", "9"])
    assert capsys.readouterr().err.count("planet: note: ") == 2
    assert (new.start_time, new.until) == (old.start_time, old.until) == (3.0, 9.0)
    assert parser.parse_args(["film", "--out", "f.mp4", "--until", "story_end"]).until == "story_end"
    assert isinstance(parser, argparse.ArgumentParser)
