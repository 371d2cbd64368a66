"""The ``planet`` command line.

    planet run --resolution 512 --seed 0 --until tectonics_end --out outputs/world.npz
    planet info outputs/world.npz
    planet demo --out outputs

Other subcommands come from extension modules (``EXTENSIONS``), each with a
``register(subparsers)`` function. Bad input is reported as one line,
``planet: error: …``, with exit status 2, before any output file is written.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

import numpy as np

EXTENSIONS = ("planet.cli.render", "planet.cli.stats", "planet.cli.ops", "planet.cli.koppen")


from planet.cli.options import (EXIT_CODES, ArgumentParser, CLIError, add_allow_nonfinite, add_config,  # noqa: E402,F401
                                add_from, add_max_time, add_progress, add_resolution, add_seed, add_stages,
                                add_threads, add_until, check_output_dir, check_output_path, parse_max_time,
                                parse_stages, parse_until, resolution_of, show_progress, state_world)


# --------------------------------------------------------------------------- run
def add_world_options(p: argparse.ArgumentParser) -> None:
    """Options that make a new world (shared by run, film, sweep...)."""
    add_resolution(p)
    add_seed(p)
    add_stages(p)
    add_threads(p)


def make_planet(args, config=None):
    import planet

    if getattr(args, "threads", None) is not None:
        planet.set_threads(args.threads)
    stages = parse_stages(args.stages)
    from planet.cli.world_source import world_from_args

    world = world_from_args(args, config, stages)   # --heightmap / --earth, else None
    if world is not None:
        return world
    resolution = resolution_of(args)
    seed = 0 if args.seed is None else args.seed
    return planet.Planet(resolution=resolution, seed=seed, stages=stages, config=config)


def cmd_run(args) -> int:
    import planet

    from planet.cli import ops as cli_ops
    from planet.core.guard import GuardError
    from planet.cli.preview import write_previews
    from planet.core.timeline import Timeline

    out = check_output_path(args.out) if args.out else None
    history = None
    if args.history:
        from planet.analysis.history import check_history_path

        history = check_history_path(check_output_path(args.history, "--history"), "--history")
    elif args.history_every is not None:
        raise CLIError("--history-every needs --history FILE.nc")
    if args.history_every is not None and args.history_every < 1:
        raise CLIError(f"--history-every must be an integer >= 1 (steps), got {args.history_every}")
    previews = check_output_dir(args.previews, "--previews") if args.previews else None
    if args.steps is not None and args.until is not None:
        raise CLIError("give either --until or --steps, not both")
    if args.steps is not None and args.steps < 0:
        raise CLIError(f"--steps must be a non-negative integer, got {args.steps}")
    if args.from_state and args.resume:
        raise CLIError("give either --from STATE or --resume DIR, not both")
    # every option is honoured or refused: a checkpoint folder already fixes its world's seed,
    # resolution and stages (a saved state: see options.state_world)
    if args.resume:
        given = [o for o, v in (("--seed", args.seed), ("--resolution", args.resolution)) if v is not None]
        if args.stages is not None:
            given.append("--stages")
        if given:
            raise CLIError(f"{' and '.join(given)} make{'s' if len(given) == 1 else ''} a new world; --resume DIR "
                           f"continues a saved one with its own; drop {' and '.join(given)}")
    if args.allow_nonfinite and not args.from_state:
        raise CLIError("--allow-nonfinite applies to --from STATE only")
    parse_stages(args.stages)
    config = cli_ops.config_from_args(args)
    max_time = parse_max_time(args, config)
    until = None
    if args.steps is None:
        until = args.until if args.until is not None else "tectonics_end"
        Timeline((config or planet.Config()).schedule).seconds(until)  # bad epochs fail before any work
    if getattr(args, "threads", None) is not None:
        planet.set_threads(args.threads)
    if args.from_state:
        world = state_world(args, config, parse_stages(args.stages))
    elif args.resume:
        world = None
    else:
        world = make_planet(args, config)
    world = cli_ops.apply_run_options(args, world)
    if until is None:
        until = (world.state.step + args.steps) / world.timeline.fps
    from planet.world import check_run_length

    try:
        check_run_length(world.timeline, until, world.config, max_time, "--until")
    except ValueError as e:
        if args.steps is None:
            raise
        raise CLIError(f"--steps {args.steps} from step {world.state.step} would reach film second {until:g}, "
                       f"past the bound of {str(e).split('past the bound of ')[1]}") from None
    progress = show_progress(args)
    try:
        record = {} if history is None else {"record_every": args.history_every or world.timeline.fps}
        state = cli_ops.run_planet(args, world, until, progress=progress, max_time=max_time, **record)
    except GuardError as e:
        print(f"planet: error: {e}", file=sys.stderr)
        return 3
    if out:
        state.save(out)
    if history is not None:
        world.history.save(history)
    if previews:
        write_previews(state, previews)
    if not args.quiet:
        print(f"{state!r}\n{world.timeline.date(state.time)}" + (f"; saved to {out}" if out else "")
              + (f"; history ({world.history.sizes['time']} snapshots) in {history}" if history else ""))
    return 0


def cmd_info(args) -> int:
    import planet

    from planet.core.state import first_nonfinite
    from planet.io.read import read_state

    state = read_state(args.file, allow_nonfinite=True)   # info describes a broken state too
    tl = planet.Timeline(state.config.schedule)
    print(f"{args.file}: planet state")
    print(f"  resolution {state.columns} x {state.rows}, seed {state.seed}, step {state.step}, "
          f"t = {state.time:.3f} film s ({tl.date(state.time)}), epoch {tl.epoch_at(state.time)}")
    print(f"  stages: {', '.join(state.stages) or '-'}; sea level D = {tl.sea_level(state.time):.3f}")
    width = max(len(n) for n in state.names)
    for name in state.names:
        a = state[name]
        finite = np.isfinite(a)
        if finite.all():
            print(f"  {name:<{width}}  min {a.min():>10.4g}  mean {a.mean():>10.4g}  max {a.max():>10.4g}")
        elif finite.any():
            b = a[finite]
            print(f"  {name:<{width}}  min {b.min():>10.4g}  mean {b.mean():>10.4g}  max {b.max():>10.4g}  "
                  f"({a.size - b.size} cells not finite)")
        else:
            print(f"  {name:<{width}}  no finite value")
    bad = first_nonfinite(state.fields)
    if bad is not None:
        print(f"  warning: not finite: field {bad[0]!r} holds {bad[3]} at cell (row {bad[1]}, col {bad[2]}); "
              f"other commands refuse this state without --allow-nonfinite")
    return 0


def cmd_demo(args) -> int:
    from planet.core.grid import validate_resolution
    from planet.world import check_memory, validate_seed

    resolution, seed = resolution_of(args), 0 if args.seed is None else args.seed
    validate_seed(seed)                      # bad values fail before the output folder is made
    check_memory(validate_resolution(resolution))
    out = check_output_dir(args.out)
    progress = show_progress(args)
    import planet

    if args.threads is not None:
        planet.set_threads(args.threads)
    if not args.geology_only:
        from planet.render.film import demo, summary

        stats = demo(out, resolution=resolution, seed=seed, progress=progress)
        if not args.quiet:
            print(summary(stats))
            print(f"wrote the posters into {out / 'posters'}")
        return 0
    from planet.cli.preview import write_previews

    world = planet.Planet(resolution=resolution, seed=seed)
    if not args.quiet:
        print(f"demo: geology from the protoplanet to the end of tectonics at {resolution}x{resolution // 2}")
    write_previews(world.state, out, prefix="protoplanet_")
    world.run(until="tectonics_end", progress=progress)
    world.save(out / "world.npz")
    paths = write_previews(world.state, out)
    if not args.quiet:
        print("wrote", out / "world.npz", *paths)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from planet import __version__

    parser = ArgumentParser(prog="planet", description="planet: a procedural Earth-history simulator. Times are film "
                            "seconds: 60 steps per second, 250 s is the whole story (4.5 billion years).",
                            epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"planet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="simulate a world and save its state",
                       description="Simulate a world from the protoplanet (or a saved state) and save it.")
    add_world_options(p)
    add_from(p, old=("--start",), help=" and continue it instead of making a new world")
    add_until(p, "tectonics_end")
    p.add_argument("--steps", type=int, default=None, help="run this many steps (1/60 film s each) instead of --until")
    p.add_argument("--out", metavar="FILE.npz", help="save the final state here (written atomically)")
    p.add_argument("--previews", metavar="DIR", help="write elevation/plates/basins PNG previews into this folder")
    p.add_argument("--history", metavar="FILE.nc", help="record the global diagnostics through time "
                   "(planet.analysis.history) and write them as NetCDF")
    p.add_argument("--history-every", type=int, default=None, metavar="N",
                   help="steps between history snapshots (default 60: one per film second)")
    add_progress(p)
    add_max_time(p)
    add_allow_nonfinite(p)
    p.set_defaults(func=cmd_run)
    from planet.cli import ops as cli_ops
    from planet.cli.world_source import add_source_options

    add_source_options(p)

    cli_ops.add_run_options(p)

    p = sub.add_parser("info", help="describe a saved state", description="Print a saved state's metadata and field ranges.")
    p.add_argument("file", metavar="STATE", help="a state file written by `planet run --out` (.npz) or a NetCDF export (.nc)")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("demo", help="the main job: render the film (or the geology) into a folder",
                       description="Run the whole story and render the film and posters into --out.")
    p.add_argument("--out", default="outputs", metavar="DIR", help="output folder (default outputs)")
    add_resolution(p)
    add_seed(p)
    add_threads(p)
    add_progress(p)
    p.add_argument("--geology-only", action="store_true",
                   help="only run the geology to the end of tectonics and write previews")
    p.set_defaults(func=cmd_demo)

    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and name.startswith(e.name):
                continue
            raise
        module.register(sub)
    return parser


def _terminate(signum, frame):
    # one SIGTERM is enough: `make` forwards its own to its children and `timeout` signals the whole
    # process group, so more follow within milliseconds; ignore them, or one would cut the clean-up
    # of the temporary files short (measured: a burst left the partial film in 2 of 4 runs)
    signal.signal(signum, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        # `kill`, `timeout` and schedulers send SIGTERM: exit through Python so that writers clean
        # up their temporary files (no partial video or state is ever left behind)
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(args)
    finally:
        if previous is not None and signal.getsignal(signal.SIGTERM) is _terminate:
            signal.signal(signal.SIGTERM, previous)     # (after a SIGTERM, the rest stay ignored to the end)


def _interrupt_cause(exc: BaseException):
    """The SystemExit or KeyboardInterrupt in ``exc``'s chain of causes, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _run(args) -> int:
    from planet.core.config import ConfigError
    from planet.core.state import StateFileError

    import warnings

    default_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if category.__module__.startswith("planet"):        # our own warnings: one plain line
            print(f"planet: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, filename, lineno, file, line)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return int(args.func(args) or 0)
    except (ValueError, ConfigError, StateFileError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"planet: error: {msg}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as e:
        # a signal that arrives while Numba loads a cached kernel surfaces as a SystemError whose
        # cause is our SystemExit (or Ctrl-C's KeyboardInterrupt): the writers have cleaned up
        # on the way out, so exit as the signal asks
        cause = _interrupt_cause(e)
        if cause is None:
            raise
        if isinstance(cause, SystemExit):
            return int(cause.code)
        print("planet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`planet stats FILE | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
