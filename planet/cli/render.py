"""CLI extension: ``planet film`` and ``planet render`` (registered by ``planet/cli.py``).

    planet film --out outputs/earth.mp4 [--size 1280x720 --fps 30 --backend auto --quality 7
                --resolution 512 --seed 0 --start 0 --end 250 --no-captions]
    planet render STATE.npz --view rivers [--globe --lat 20 --lon 0] --size 1024x512 --out rivers.png

Bad values raise ``ValueError`` with a one-line message naming the option and
the allowed values; the main CLI prints it and exits with status 2.
"""
from __future__ import annotations

import math
from pathlib import Path

from planet.cli import add_allow_nonfinite, add_max_time, parse_max_time
from planet.core.files import atomic_write, check_output_file
from planet.io.read import read_state

from planet.render import BACKENDS, VIEWS, check_size
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
        raise ValueError(f"{option} must be WIDTHxHEIGHT with even integers in [2, 8192], got {text!r}") from None


def _choice(value, allowed, option):
    if value not in allowed:
        raise ValueError(f"{option} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def register(subparsers) -> None:
    film = subparsers.add_parser("film", help="simulate and render the film (MP4, GIF, WebP or PNG frames)",
                                 description="Simulate the story and render it to a video, frame by frame.")
    film.add_argument("--out", required=True, help="output file: .mp4 (H.264, BT.709), .gif, .webp (animated), "
                      "or a folder name for PNG frames")
    film.add_argument("--size", default="1280x720", help="frame size WIDTHxHEIGHT, even (default 1280x720)")
    film.add_argument("--fps", type=int, default=30, help="frames per second, 1-240 (default 30)")
    film.add_argument("--backend", default="auto", help="auto, cpu or gpu (default auto)")
    film.add_argument("--quality", type=float, default=7.0, help="video quality 0-10 (default 7)")
    film.add_argument("--preset", default="veryfast", choices=PRESETS, help="x264 preset (default veryfast)")
    film.add_argument("--resolution", type=int, default=512, help="simulation columns (default 512)")
    film.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    film.add_argument("--start-time", "--start", dest="start", type=float, default=0.0,
                      help="first film second (default 0; --start: the old spelling)")
    film.add_argument("--until", "--end", dest="end", type=float, default=None,
                      help="last film second (default: story end, 250; --end: the old spelling)")
    film.add_argument("--no-captions", action="store_true", help="leave out the date captions")
    film.add_argument("--quiet", action="store_true", help="no progress bar")
    add_max_time(film)
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
    add_allow_nonfinite(render)
    render.set_defaults(func=render_command)


def film_command(args) -> int:
    from planet.render.film import render_film, summary
    from planet.render.video import check_output

    check_output(args.out, "--out")   # before anything is simulated
    size = parse_size(args.size)
    _choice(args.backend, BACKENDS, "--backend")
    if args.fps <= 0 or args.fps > 240:
        raise ValueError(f"--fps must be an integer in [1, 240], got {args.fps}")
    if not (0.0 <= args.quality <= 10.0):
        raise ValueError(f"--quality must be in [0, 10], got {args.quality}")
    for name in ("start", "end"):
        v = getattr(args, name)
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError(f"--{name} must be film seconds >= 0, got {v}")
    max_time = parse_max_time(args)
    from planet.cli.world_source import world_from_args

    world = world_from_args(args)              # --earth / --heightmap: the film starts at the world's time
    start = max(args.start, world.time) if world is not None else args.start
    stats = render_film(args.out, size=size, fps=args.fps, backend=args.backend, quality=args.quality,
                        resolution=args.resolution, seed=args.seed, start=start, end=args.end,
                        progress=not args.quiet, captions=not args.no_captions, preset=args.preset,
                        max_time=max_time, world=world)
    print(summary(stats))
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
    print(f"wrote {out}")
    return 0
