"""Command-line pieces for long runs and ensembles.

* ``register(subparsers)`` adds ``planet sweep`` and ``planet config``.
* ``add_run_options(parser)`` adds the long-run options of ``planet run``
  (``--config``, ``--checkpoint-every``, ``--checkpoint-dir``,
  ``--keep-checkpoints``, ``--resume``, ``--guard-every``, ``--guard-dir``);
  the ``run`` handler then calls::

      config = config_from_args(args)                         # None: defaults
      world = None if args.resume else Planet(args.resolution, args.seed, config=config)
      world = apply_run_options(args, world)                  # resume, guard
      state = run_planet(args, world, until, progress=True)   # checkpoints

Bad input raises ``ValueError`` with a one-line message naming the option.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planet.cli.options import (add_config, add_max_time, add_progress, add_resolution, add_stages, add_until,
                                resolution_of, show_progress, when_of)
from planet.core.config import Config, ConfigError
from planet.core.timeline import Timeline


# -- shared parsing helpers ----------------------------------------------------------
def _positive_int(name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer >= 1, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be an integer >= 1, got {value}")
        return value
    return parse


def config_from_args(args) -> Config | None:
    """The configuration named by ``--config FILE`` (None if not given)."""
    path = getattr(args, "config", None)
    if path is None:
        return None
    try:
        return Config.from_toml(path)
    except ConfigError as e:
        raise ValueError(f"--config: {e}") from None


# -- planet run ------------------------------------------------------------------------
def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Add the long-run options to the ``planet run`` parser."""
    g = parser.add_argument_group("configuration and long runs")
    add_config(g)
    g.add_argument("--checkpoint-every", type=_positive_int("--checkpoint-every"), metavar="N",
                   help="write a checkpoint every N steps (and at the end)")
    g.add_argument("--checkpoint-dir", metavar="DIR",
                   help="folder for checkpoints, one world per folder (default with --resume: that folder)")
    g.add_argument("--keep-checkpoints", type=_positive_int("--keep-checkpoints"), metavar="K",
                   help="keep only the newest K checkpoints (default: all)")
    g.add_argument("--resume", metavar="DIR",
                   help="continue from the newest valid checkpoint in DIR (its seed, resolution and "
                        "configuration); damaged ones are skipped with a warning")
    g.add_argument("--guard-every", type=_positive_int("--guard-every"), metavar="N",
                   help="check every N-th step for NaN/Inf/out-of-range values; stop naming stage, field, "
                        "step and cell")
    g.add_argument("--guard-dir", metavar="DIR",
                   help="where the guard saves the last good state (default: the checkpoint folder, else .)")


def _checkpoint_dir(args) -> str | None:
    if args.checkpoint_dir is not None:
        return args.checkpoint_dir
    if args.checkpoint_every is not None and args.resume is not None:
        return args.resume  # resuming: keep checkpointing where we came from
    return None


def apply_run_options(args, planet=None):
    """Check the long-run options; return the planet to run (resumed from ``--resume``, with a guard).

    ``planet`` is the freshly built world (ignored, and may be None, when resuming).
    """
    from planet.io.checkpoint import resume
    from planet.core.guard import Guard

    if args.checkpoint_every is not None and _checkpoint_dir(args) is None:
        raise ValueError("--checkpoint-every needs --checkpoint-dir DIR (or --resume DIR)")
    if args.checkpoint_dir is not None and args.checkpoint_every is None:
        raise ValueError("--checkpoint-dir needs --checkpoint-every N")
    if args.keep_checkpoints is not None and args.checkpoint_every is None:
        raise ValueError("--keep-checkpoints needs --checkpoint-every N")
    if args.guard_dir is not None and args.guard_every is None:
        raise ValueError("--guard-dir needs --guard-every N")
    from planet.cli import check_output_dir

    if args.checkpoint_dir is not None:
        check_output_dir(args.checkpoint_dir, "--checkpoint-dir")     # read-only or immutable: fail now
    elif _checkpoint_dir(args) is not None and Path(_checkpoint_dir(args)).is_dir():
        check_output_dir(_checkpoint_dir(args), "--resume")
    guard = None
    if args.guard_every is not None:
        folder = args.guard_dir or _checkpoint_dir(args) or "."
        check_output_dir(folder, "--guard-dir")
        guard = Guard(every=args.guard_every, directory=folder)
    if args.resume is not None:
        import warnings

        from planet.io.checkpoint import CheckpointWarning

        config = config_from_args(args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CheckpointWarning)
            world = resume(args.resume, guard=guard)
        for w in caught:
            if issubclass(w.category, CheckpointWarning):
                print(f"planet: warning: {w.message}", file=sys.stderr)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if config is not None and config != world.config:
            mine, theirs = config.to_dict(), world.config.to_dict()
            diff = [f"{s}.{k}" for s in mine for k in mine[s] if mine[s][k] != theirs[s][k]]
            raise ValueError(f"--config differs from the configuration of the checkpoints in {args.resume} "
                             f"({', '.join(diff[:3])}); omit --config when resuming")
        st = world.state
        print(f"planet: resuming seed {st.seed} at {st.columns}x{st.rows}, step {st.step} "
              f"(t = {st.time:.2f} s) from {args.resume}", file=sys.stderr)
        return world
    if planet is None:
        raise ValueError("apply_run_options: no planet to run (give one, or --resume DIR)")
    if guard is not None:
        planet.guard = guard
    return planet


def run_planet(args, planet, until, progress: bool = False, max_time: float | None = None, **record):
    """Run to ``until`` (at most ``max_time``, see ``planet.world.time_bound``), with checkpoints if
    asked; return the final state (``record``: the ``record_every``/``record`` keywords of ``Planet.run``)."""
    from planet.io.checkpoint import run_with_checkpoints

    if args.checkpoint_every is not None:
        return run_with_checkpoints(planet, until, every=args.checkpoint_every, directory=_checkpoint_dir(args),
                                    keep=args.keep_checkpoints, progress=progress, max_time=max_time, **record)
    return planet.run(until, progress=progress, max_time=max_time, **record)


# -- planet sweep ------------------------------------------------------------------------
def _cmd_sweep(args) -> int:
    from planet.cli import check_output_dir, parse_max_time, parse_stages
    from planet.analysis.sweep import check_output, csv_text, parse_seeds, sweep
    from planet.analysis.sweep_params import axes_of, configs, parse_param_options

    if args.out is not None and args.stats is not None:
        raise ValueError("give --out FILE or --stats FILE (its old name), not both")
    option, out = ("--out", args.out) if args.stats is None else ("--stats", args.stats)
    if out is not None:
        check_output(out, option)  # an unknown suffix or a missing folder fails before any world runs
    seeds = parse_seeds(args.seeds)
    params = parse_param_options(args.param)       # names and numbers now; ranges once the config is read
    config = config_from_args(args)
    configs(config, axes_of(params, "--param"), "--param")
    stages = parse_stages(args.stages)
    max_time = parse_max_time(args, config)
    if args.save_states is not None:
        check_output_dir(args.save_states, "--save-states")
    until = "tectonics_end" if args.until is None else args.until
    when_of(until, Timeline((config or Config()).schedule), "--until")     # an unknown epoch: now, named
    result = sweep(seeds, until, resolution_of(args), params=params, config=config, stages=stages, out=out,
                   save_states=args.save_states, scheduler=args.scheduler, workers=args.workers,
                   retries=args.retries, processes=not args.no_processes, progress=show_progress(args),
                   max_time=max_time)
    if out is None:
        sys.stdout.write(csv_text(result.rows))
    elif not args.quiet:
        total = int(result["status"].size)
        print(f"planet sweep: {total - len(result.failures)}/{total} worlds -> {out}", file=sys.stderr)
    return 0 if result.ok else 1


# -- planet config -------------------------------------------------------------------------
def _cmd_config(args) -> int:
    if args.default and (args.config is not None or args.state is not None):
        raise ValueError("config: --default prints the defaults; it takes no --config or --state FILE")
    if args.config is not None and args.state is not None:
        raise ValueError("config: give --config FILE or --state FILE, not both")
    if args.state is not None:
        from planet.io.checkpoint import read_meta
        from planet.core.state import StateFileError

        try:
            config = Config.from_dict(read_meta(args.state)["config"])
        except (StateFileError, KeyError, TypeError, ConfigError) as e:
            raise ValueError(f"--state: {args.state} holds no readable configuration ({e})") from None
    else:
        config = Config() if args.default else (config_from_args(args) or Config())
    sys.stdout.write(config.to_toml(comments=not args.bare))
    return 0


def register(subparsers) -> None:
    """Add ``sweep`` and ``config`` to the ``planet`` command."""
    p = subparsers.add_parser("sweep", help="run many worlds (Dask) and gather their statistics",
                              description="Run one world per seed (and per combination of --param values) on a "
                                          "Dask cluster and write their statistics over a seed dimension and one "
                                          "dimension per --param key (--out: .nc, .zarr or .csv). The default "
                                          "--resolution is 512, as in every subcommand (it was 256). A failed "
                                          "world is retried, then reported (status=failed); the exit code is 1 if "
                                          "any world failed.")
    p.add_argument("--seeds", required=True, metavar="A:B", help="seeds: A:B (B excluded), N, or a comma list")
    p.add_argument("--param", action="append", metavar="KEY=V1,V2,...",
                   help="sweep a configuration key (section.key or a bare key, as in `planet config --default`) "
                        "over these values: one more dimension of the result; repeat for more keys "
                        "(e.g. --param lithosphere.uplift_diffusion=0.05,0.1)")
    add_until(p, "tectonics_end")
    add_resolution(p)     # 512 since the grammar became one (it was 256: give --resolution 256 for the old sweeps)
    p.add_argument("--out", metavar="FILE", help="write the statistics, format by suffix: .nc (NetCDF), .zarr "
                   "(Zarr store) or .csv; default: CSV on stdout")
    p.add_argument("--stats", metavar="FILE", help="old name of --out (same formats, by suffix)")
    p.add_argument("--save-states", metavar="DIR", help="also save each final state as DIR/seed-NNNNNNNNNN.npz")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="use an existing Dask scheduler (e.g. tcp://host:8786); default: a local cluster")
    p.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                   help="local cluster size (default: one per core, at most one per world)")
    p.add_argument("--retries", type=int, default=2, metavar="K", help="extra attempts per world (default 2)")
    add_config(p)
    add_stages(p)
    p.add_argument("--no-processes", action="store_true",
                   help="run the local workers as threads of this process (small sweeps, debugging)")
    add_progress(p)
    add_max_time(p)
    p.set_defaults(func=_cmd_sweep)

    c = subparsers.add_parser("config", help="print a configuration as TOML",
                              description="Print the configuration as TOML, each key with its meaning and "
                                          "allowed range. --default: the built-in defaults; --show: the "
                                          "defaults overlaid with --config FILE (checked).")
    which = c.add_mutually_exclusive_group()
    which.add_argument("--default", action="store_true", help="print the defaults (a documented template)")
    which.add_argument("--show", action="store_true", help="print the effective configuration (default)")
    add_config(c)
    c.add_argument("--state", metavar="FILE.npz", help="show the configuration saved in a state or checkpoint")
    c.add_argument("--bare", action="store_true", help="no comments")
    c.set_defaults(func=_cmd_config)
