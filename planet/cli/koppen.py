"""``planet koppen``: Köppen–Geiger classes of a world over a model year, as a map and shares.

    planet koppen --earth --resolution 256 --out koppen.png
    planet koppen world.npz --years 2 --out koppen.png --json shares.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _cmd_koppen(args) -> int:
    import planet
    from planet.analysis.koppen import GROUPS, PEEL_SHARES, koppen
    from planet.cli import check_output_path, show_progress
    from planet.cli.world_source import world_from_args
    from planet.core.files import atomic_write
    from planet.render import check_size, to_image
    from planet.render.koppen import koppen_view

    from planet.analysis.koppen import _check_years

    _check_years(args.years, "--years")
    out = check_output_path(args.out) if args.out else None
    if out is not None and out.suffix.lower() != ".png":
        raise ValueError(f"--out must be a .png file, got {args.out!r}")
    js = check_output_path(args.json, "--json") if args.json else None
    size = check_size(tuple(int(v) for v in args.size.lower().split("x")), "--size") if args.size else (1024, 560)
    if (args.state is None) == (not args.heightmap and not args.earth):
        raise ValueError("give a STATE file, or --earth / --heightmap FILE")
    if args.state is not None:
        given = [o for o, v in (("--seed", args.seed), ("--resolution", args.resolution)) if v is not None]
        if given:
            raise ValueError(f"{' and '.join(given)} make{'s' if len(given) == 1 else ''} a new world; a STATE file "
                             f"has its own; drop {' and '.join(given)}")
        state = planet.State.load(args.state)
        world = planet.Planet.from_state(state, stages=("climate", "atmosphere", "life"))
    else:
        world = world_from_args(args)
    classes = koppen(world, years=args.years, progress=show_progress(args))
    shares = {g: classes.attrs[f"share_{g}"] for g in GROUPS}
    if out is not None:
        rgb = koppen_view(classes, world.state, size=size)
        atomic_write(out, lambda tmp: to_image(rgb).save(tmp, format="PNG"))
    if js is not None:
        text = json.dumps({"shares": shares, "peel2007": PEEL_SHARES, "years": args.years,
                           "resolution": world.state.columns}, indent=1)
        atomic_write(js, lambda tmp: Path(tmp).write_text(text))
    print("Köppen main groups, share of land (model | Peel et al. 2007):")
    for g in GROUPS:
        print(f"  {g}  {100 * shares[g]:5.1f} %  | {100 * PEEL_SHARES[g]:5.1f} %")
    if out is not None and not args.quiet:
        print(f"wrote {out}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    from planet.cli.options import add_progress, add_resolution, add_seed
    from planet.cli.world_source import add_source_options

    p = subparsers.add_parser("koppen", help="Köppen-Geiger climate classes over a model year (map and shares)",
                              description="Step a world (a saved state, --earth or --heightmap) through model "
                                          "years, classify its climate after Peel et al. (2007) and print the main "
                                          "groups' shares of land; --out draws the map with a legend.")
    p.add_argument("state", nargs="?", default=None, help="a state file (.npz); or use --earth / --heightmap")
    add_resolution(p)
    add_seed(p)
    p.add_argument("--years", type=float, default=1.0, help="model years to average, >= 1 (default 1)")
    p.add_argument("--out", metavar="FILE.png", help="write the map with its legend here")
    p.add_argument("--size", default=None, help="WIDTHxHEIGHT of the map, even (default 1024x560)")
    p.add_argument("--json", metavar="FILE.json", help="write the shares as JSON here")
    add_progress(p)
    add_source_options(p)
    p.set_defaults(func=_cmd_koppen)
