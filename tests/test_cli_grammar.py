"""One grammar on the command line (issue 15): an option means the same thing in every subcommand.

The parsers are walked, not listed: a subcommand or an option added later is checked too."""
import argparse
import sys

import pytest

from planet.cli import build_parser
from planet.cli.options import DEFAULT_RESOLUTION, resolution_of, show_progress

#: options whose default or metavar depend on what the subcommand writes (an output file, a picture's
#: size, a JSON file): their dest and kind must still agree
PER_COMMAND = {"--out", "--size", "--json"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def options(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Option string → action, without --help and without old spellings (kept for old scripts)."""
    return {o: a for a in p._actions for o in a.option_strings
            if o not in ("-h", "--help") and o not in getattr(a, "old", ())}


def meaning(a: argparse.Action, full: bool = True):
    kind = (a.dest, type(a).__name__, a.type, a.nargs, a.const, tuple(a.choices or ()))
    return kind + ((a.default, a.metavar, a.required) if full else ())


def test_there_are_subcommands_to_check():
    names = set(subcommands())
    assert {"run", "film", "sweep", "demo", "render", "export", "koppen"} <= names


def test_an_option_shared_by_subcommands_means_the_same_in_each():
    seen: dict[str, dict] = {}
    for name, p in subcommands().items():
        for option, action in options(p).items():
            seen.setdefault(option, {})[name] = meaning(action, full=option not in PER_COMMAND)
    shared = {o: by for o, by in seen.items() if len(by) > 1}
    assert {"--until", "--resolution", "--quiet", "--progress", "--config", "--stages"} <= set(shared)
    for option, by in shared.items():
        assert len(set(by.values())) == 1, f"{option} differs between subcommands: {by}"


def test_old_spellings_store_where_the_new_ones_do():
    found = 0
    for name, p in subcommands().items():
        for a in p._actions:
            for old in getattr(a, "old", ()):
                found += 1
                new = [o for o in a.option_strings if o not in a.old]
                assert old in a.option_strings and new, (name, old)
    assert found >= 3       # run --start, film --start and --end


def test_every_subcommand_that_simulates_or_renders_takes_quiet_and_progress():
    """What simulates takes --resolution, what renders --backend: both take --quiet and --progress,
    and the two exclude each other."""
    checked = []
    for name, p in subcommands().items():
        opts = options(p)
        if "--resolution" in opts or "--backend" in opts:
            checked.append(name)
            assert "--quiet" in opts and "--progress" in opts, name
            groups = [g for g in p._mutually_exclusive_groups
                      if {"--quiet", "--progress"} <= {o for a in g._group_actions for o in a.option_strings}]
            assert groups, name
    assert {"run", "film", "sweep", "demo", "render", "koppen"} <= set(checked)


def test_resolution_is_512_everywhere():
    for name, p in subcommands().items():
        a = options(p).get("--resolution")
        if a is not None:
            assert resolution_of(argparse.Namespace(resolution=a.default)) == DEFAULT_RESOLUTION == 512, name
            assert "default 512" in a.help, name


def minimal_argv(name, p) -> list[str]:
    """The subcommand with its required arguments filled in (values are never used: nothing runs)."""
    argv = [name]
    for a in p._actions:
        if not a.option_strings and a.nargs in (None, 1):
            argv.append("x.npz")
        elif a.required:
            argv += [a.option_strings[0], "x.mp4" if name == "film" else "x"]
    return argv


@pytest.mark.parametrize("option, value, expected", [
    ("--until", "126", 126.0), ("--until", "tectonics_end", "tectonics_end"),
    ("--start-time", "20.5", 20.5), ("--start-time", "daynight_start", "daynight_start"),
    ("--from", "w.npz", "w.npz"), ("--resolution", "256", 256), ("--stages", "climate,life", "climate,life"),
    ("--threads", "2", 2), ("--config", "c.toml", "c.toml"),
])
def test_each_option_parses_to_the_same_value_everywhere(option, value, expected):
    parser = build_parser()
    got = {}
    for name, p in subcommands().items():
        action = options(p).get(option)
        if action is not None:
            args = parser.parse_args(minimal_argv(name, p) + [option, value])
            got[name] = (action.dest, getattr(args, action.dest))
    assert got and set(got.values()) == {(next(iter(got.values()))[0], expected)}, got


def test_film_takes_the_world_options_of_run():
    film, run = options(subcommands()["film"]), options(subcommands()["run"])
    for option in ("--config", "--stages", "--threads", "--from", "--seed", "--resolution", "--until",
                   "--max-time", "--allow-nonfinite", "--heightmap", "--earth"):
        assert option in film and option in run, option
    assert "--storyboard" in film and "--start-time" in film


@pytest.mark.parametrize("progress, quiet, tty, shown", [
    (False, False, True, True), (False, False, False, False), (True, False, False, True), (False, True, True, False),
])
def test_progress_is_shown_on_a_terminal_unless_told(monkeypatch, progress, quiet, tty, shown):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert show_progress(argparse.Namespace(progress=progress, quiet=quiet)) is shown


def test_quiet_and_progress_exclude_each_other(capsys):
    with pytest.raises(SystemExit, match="^2$"):
        build_parser().parse_args(["run", "--quiet", "--progress"])
    err = capsys.readouterr().err
    assert err.startswith("planet: error: argument --progress: not allowed with argument --quiet") \
        and err.count("\n") == 1


def test_run_from_a_state_under_its_old_name_still_works_with_a_note(tmp_path, capsys):
    from planet.cli import main

    state = tmp_path / "w.npz"
    assert main(["run", "--resolution", "128", "--steps", "1", "--quiet", "--out", str(state)]) == 0
    assert main(["run", "--start", str(state), "--steps", "1", "--quiet", "--out", str(tmp_path / "a.npz")]) == 0
    err = capsys.readouterr().err
    assert err == "planet: note: --start is the old spelling of --from here; it still works, but write --from\n"
    assert main(["run", "--from", str(state), "--steps", "1", "--quiet", "--out", str(tmp_path / "b.npz")]) == 0
    assert capsys.readouterr().err == ""
    import planet

    assert planet.State.load(tmp_path / "a.npz").equals(planet.State.load(tmp_path / "b.npz"))


@pytest.mark.parametrize("argv, words", [
    (["--from", "{s}", "--seed", "3"], ["--seed makes a new world; --from STATE continues a saved one"]),
    (["--from", "{s}", "--earth"], ["--earth makes a new world"]),
    (["--until", "ice_age"], ["--until: unknown epoch 'ice_age'"]),
    (["--start-time", "-1"], ["--start-time must be film seconds >= 0"]),
    (["--stages", "bogus"], ["--stages: unknown stage 'bogus'"]),
    (["--allow-nonfinite"], ["--allow-nonfinite applies to --from STATE only"]),
    (["--from", "{s}", "--start-time", "0"], ["--start-time 0 s is before the world's time, 0.0166667 s"]),
    (["--from", "{s}", "--until", "0"], ["--until 0 s must be after the film's start, 0.0166667 s"]),
])
def test_film_world_options_are_checked_in_one_line(tmp_path, capsys, argv, words):
    from planet.cli import main

    state = tmp_path / "w.npz"
    assert main(["run", "--resolution", "128", "--steps", "1", "--quiet", "--out", str(state)]) == 0
    code = main(["film", "--out", str(tmp_path / "f.mp4"), "--size", "64x36", "--backend", "cpu"]
                + [a.format(s=state) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("planet: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_koppen_refuses_new_world_options_with_a_state_file(tmp_path, capsys):
    from planet.cli import main

    code = main(["koppen", str(tmp_path / "w.npz"), "--seed", "3", "--resolution", "256"])
    err = capsys.readouterr().err
    assert code == 2 and err == ("planet: error: --seed and --resolution make a new world; a STATE file has its "
                                 "own; drop --seed and --resolution\n")
