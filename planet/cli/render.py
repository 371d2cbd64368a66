"""CLI extension: ``planet film`` and ``planet render`` (registered by ``planet/cli.py``).

    planet film --out outputs/earth.mp4 [--size 1280x720 --fps 30 --backend auto --quality 7
                --resolution 512 --seed 0 --start-time 0 --until 250 --no-captions]
    planet film --from world.npz --storyboard shots.toml --out frames/
    planet render STATE.npz --view rivers [--globe --lat 20 --lon 0] --size 1024x512 --out rivers.png

Bad values raise ``ValueError`` with a one-line message naming the option and
the allowed values; the main CLI prints it and exits with status 2.
"""
from __future__ import annotations

import math
from pathlib import Path

import argparse

from planet.cli import add_allow_nonfinite, add_max_time, add_world_options, parse_max_time
from planet.cli.options import (CLIError, add_config, add_from, add_progress, add_start_time, add_until, parse_stages,
                                resolution_of, show_progress, state_world, when_of)
from planet.core.files import atomic_write, check_output_file
from planet.io.read import read_state

from planet.render import BACKENDS, MAX_SIDE, VIEWS, check_size
from planet.render.video import PRESETS


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """``"1280x720"`` → ``(1280, 720)``; both even, in [2, 8192]."""
    try:
        w, h = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(f"{option} must be WIDTHxHEIGHT with even integers, e.g. 1280x720; got {text!r}") from None
    try:
        return check_size((w, h))
    except ValueError:
        raise ValueError(f"{option} must be WIDTHxHEIGHT with even integers in [2, {MAX_SIDE}], got {text!r}") from None


def _choice(value, allowed, option):
    if value not in allowed:
        raise ValueError(f"{option} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def register(subparsers) -> None:
    film = subparsers.add_parser("film", help="simulate and render the film (MP4, GIF, WebP or PNG frames)",
                                 description="Simulate the story and render it to a video, frame by frame: the "
                                             "built-in film, or your --storyboard (a TOML list of shots; "
                                             "--print-storyboard prints the built-in one), of a new world, a "
                                             "saved state (--from) or your own (--earth, --heightmap).")
    film.add_argument("--out", required=True, help="output file: .mp4 (H.264, BT.709), .gif, .webp (animated), "
                      "or a folder name for PNG frames")
    film.add_argument("--storyboard", metavar="FILE.toml",
                      help="what to show when: a TOML list of [[shot]] tables (time range, view or globe, camera "
                           "path, captions); default: the built-in film")
    film.add_argument("--print-storyboard", action=_PrintStoryboard, nargs=0,
                      help="print the built-in film as a storyboard (TOML) and exit")
    film.add_argument("--size", default="1280x720",
                      help=f"frame size WIDTHxHEIGHT, even, up to {MAX_SIDE} a side (3840x2160 is 4K UHD; "
                           f"default 1280x720)")
    film.add_argument("--fps", type=int, default=30, help="frames per second, 1-240 (default 30)")
    film.add_argument("--backend", default="auto", help="auto, cpu or gpu (default auto)")
    film.add_argument("--quality", type=float, default=7.0, help="video quality 0-10 (default 7)")
    film.add_argument("--preset", default="veryfast", choices=PRESETS,
                      help="x264 preset (default veryfast, with superfast's motion search: "
                      "render/video.py X264_PARAMS)")
    add_world_options(film)
    add_config(film)
    add_from(film, help="; the film starts at its time")
    add_start_time(film, "the storyboard's first shot (0), or the world's time if later", old=("--start",))
    add_until(film, "the storyboard's end (story_end, 250 s, for the built-in film)", old=("--end",))
    film.add_argument("--no-captions", action="store_true", help="leave out the captions")
    add_progress(film)
    add_max_time(film)
    add_allow_nonfinite(film)
    from planet.cli.world_source import add_source_options

    add_source_options(film)
    film.set_defaults(func=film_command)

    render = subparsers.add_parser("render", help="render one picture of a saved state",
                                   description="Render a saved state as a map view or a globe (PNG).")
    render.add_argument("state", help="a state file written by planet (.npz) or a NetCDF export (.nc)")
    render.add_argument("--view", default="satellite", help=f"one of {', '.join(VIEWS)} (default satellite)")
    render.add_argument("--globe", action="store_true", help="draw the globe instead of the map")
    render.add_argument("--lat", type=float, default=20.0, help="globe camera latitude, degrees (default 20)")
    render.add_argument("--lon", type=float, default=0.0, help="globe camera longitude, degrees (default 0)")
    render.add_argument("--no-atmosphere", action="store_true", help="globe without atmospheric scattering")
    render.add_argument("--size", default=None, help="WIDTHxHEIGHT, even (default 1024x512 map, 720x720 globe)")
    render.add_argument("--backend", default="auto", help="auto, cpu or gpu (default auto)")
    render.add_argument("--out", required=True, help="output PNG file")
    add_progress(render)
    add_allow_nonfinite(render)
    render.set_defaults(func=render_command)


class _PrintStoryboard(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        import sys

        from planet.render.storyboard import DEFAULT, to_toml

        sys.stdout.write("# the built-in film (planet film --print-storyboard); see render/storyboard.py\n\n"
                         + to_toml(DEFAULT))
        parser.exit(0)


def film_command(args) -> int:
    import planet
    from planet.cli.ops import config_from_args
    from planet.render.film import render_film, summary
    from planet.render.storyboard import DEFAULT, load, resolve
    from planet.render.video import check_output

    check_output(args.out, "--out")   # before anything is simulated
    size = parse_size(args.size)
    _choice(args.backend, BACKENDS, "--backend")
    if args.fps <= 0 or args.fps > 240:
        raise ValueError(f"--fps must be an integer in [1, 240], got {args.fps}")
    if not (0.0 <= args.quality <= 10.0):
        raise ValueError(f"--quality must be in [0, 10], got {args.quality}")
    for option, v in (("--start-time", args.start_time), ("--until", args.until)):
        if isinstance(v, float) and (not math.isfinite(v) or v < 0):
            raise ValueError(f"{option} must be film seconds >= 0 or an epoch name, got {v:g}")
    storyboard = load(args.storyboard) if args.storyboard else None
    if args.allow_nonfinite and not args.from_state:
        raise CLIError("--allow-nonfinite applies to --from STATE only")
    stages = parse_stages(args.stages)
    config = config_from_args(args)
    max_time = parse_max_time(args, config)
    if args.threads is not None:
        planet.set_threads(args.threads)
    from planet.cli.world_source import world_from_args

    if args.from_state:
        world = state_world(args, config, stages)          # the film starts at the state's time
    else:                                                  # --earth / --heightmap: at the world's time
        world = world_from_args(args, config, stages)
    if world is None:
        world = planet.Planet(resolution_of(args), 0 if args.seed is None else args.seed, stages=stages,
                              config=config)
    timeline = world.timeline
    shots = resolve(DEFAULT if storyboard is None else storyboard, timeline,      # epochs, order, transitions
                    source=f"--storyboard {args.storyboard}" if args.storyboard else "the built-in storyboard")
    start = None if args.start_time is None else when_of(args.start_time, timeline, "--start-time")
    end = None if args.until is None else when_of(args.until, timeline, "--until")
    if start is not None and (args.earth or args.heightmap):
        start = max(start, world.time)
    if start is not None and start < world.time:
        raise CLIError(f"--start-time {start:g} s is before the world's time, {world.time:g} s")
    first = max(shots[0].t0, world.time) if start is None else start
    if end is not None and end <= first:
        raise CLIError(f"--until {end:g} s must be after the film's start, {first:g} s"
                       + ("" if start is not None else " (the first shot's start or the world's time)"))
    stats = render_film(args.out, size=size, fps=args.fps, backend=args.backend, quality=args.quality,
                        start=start, end=end, progress=show_progress(args), captions=not args.no_captions,
                        preset=args.preset, max_time=max_time, world=world, storyboard=storyboard)
    if not args.quiet:
        print(summary(stats))
        if storyboard is not None:
            print("frames per shot: " + ", ".join(str(c) for c in stats["shots"]))
    return 0


def render_command(args) -> int:
    from planet.render import globe, to_image, view

    _choice(args.view, tuple(VIEWS), "--view")
    _choice(args.backend, BACKENDS, "--backend")
    size = parse_size(args.size) if args.size else ((720, 720) if args.globe else (1024, 512))
    if not -90.0 <= args.lat <= 90.0:
        raise ValueError(f"--lat must be in [-90, 90] degrees, got {args.lat}")
    if not math.isfinite(args.lon):
        raise ValueError(f"--lon must be a finite number of degrees, got {args.lon}")
    if Path(args.out).suffix.lower() != ".png":
        raise ValueError(f"--out must be a .png file, got {args.out!r}")
    out = check_output_file(args.out, "--out")
    state = read_state(args.state, allow_nonfinite=args.allow_nonfinite)
    if args.globe:
        rgb = globe(state, view=args.view, lat=args.lat, lon=args.lon, size=size, backend=args.backend,
                    atmosphere=not args.no_atmosphere, allow_nonfinite=args.allow_nonfinite)
    else:
        rgb = view(state, args.view, size=size, backend=args.backend, allow_nonfinite=args.allow_nonfinite)
    atomic_write(out, lambda tmp: to_image(rgb).save(tmp, format="PNG"))
    if not args.quiet:
        print(f"wrote {out}")
    return 0
