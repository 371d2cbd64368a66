"""Where a new world comes from on the command line: the protoplanet (default), a heightmap, or Earth.

    planet run --heightmap map.tif --land-fraction 0.3 --until 150 --out world.npz
    planet run --earth --resolution 256 --until 150 --out earth.npz
    planet film --earth --start-time 126 --until 150 --out earth.mp4

``--heightmap FILE`` reads any ``Planet.from_heightmap`` source (PNG 8/16-bit
greyscale, GeoTIFF, NetCDF, .npy) in metres, ``--sea-level M`` (default 0) or
``--land-fraction F`` sets the coast; ``--earth`` makes ``planet.earth`` (real
coastlines, made-up relief; with ``--heightmap`` the file is its DEM). Both start
at ``--from-time`` (default tectonics_end, the present day). ``--stages``
applies as usual (default: all stages for a heightmap; climate, atmosphere and
life for Earth).
"""
from __future__ import annotations


def add_source_options(p) -> None:
    g = p.add_argument_group("your own world")
    g.add_argument("--heightmap", metavar="FILE",
                   help="start from this heightmap in metres (PNG 8/16-bit greyscale, GeoTIFF, NetCDF, .npy; a "
                        "global equirectangular map, 2:1 unless it has coordinates)")
    g.add_argument("--earth", action="store_true",
                   help="start from Earth's real coastlines at present day (made-up relief unless --heightmap "
                        "gives a DEM); climate, atmosphere and life run on the frozen terrain")
    g.add_argument("--sea-level", type=float, default=None, metavar="METRES",
                   help="sea level of the heightmap in metres (default 0)")
    g.add_argument("--land-fraction", type=float, default=None, metavar="F",
                   help="instead of --sea-level: the fraction of the surface that is land, in (0, 1)")
    g.add_argument("--from-time", default="tectonics_end", metavar="WHEN",
                   help="film time the imported world starts at (seconds or an epoch; default tectonics_end)")


def world_from_args(args, config=None, stages=None):
    """The ``Planet`` the source options ask for, or None when they ask for none (the protoplanet)."""
    heightmap = getattr(args, "heightmap", None)
    earth = getattr(args, "earth", False)
    if not heightmap and not earth:
        if getattr(args, "sea_level", None) is not None or getattr(args, "land_fraction", None) is not None:
            raise ValueError("--sea-level and --land-fraction need --heightmap FILE or --earth")
        return None
    if args.sea_level is not None and args.land_fraction is not None:
        raise ValueError("give either --sea-level or --land-fraction, not both")
    start = args.from_time
    try:
        start = float(start)
    except ValueError:
        pass
    options = {"start": start, "config": config, "seed": getattr(args, "seed", 0) or 0}
    if args.land_fraction is not None:
        options["land_fraction"] = args.land_fraction
    elif args.sea_level is not None:
        options["sea_level"] = args.sea_level
    resolution = getattr(args, "resolution", None)
    if earth:
        from planet.io.earth import DEFAULT_STAGES, earth as make_earth

        return make_earth(resolution or 512, dem=heightmap, stages=stages or DEFAULT_STAGES, **options)
    from planet.io.heightmap import from_heightmap

    return from_heightmap(heightmap, resolution=resolution, stages=stages, **options)
