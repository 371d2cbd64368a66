"""CLI extension: ``planet stats``, ``planet export`` and ``planet compare``.

    planet stats --list
    planet stats STATE [--json FILE|-] [--baseline FILE] [--rtol NAME=VAL ...] [--atol NAME=VAL ...] [--update]
    planet export STATE --format netcdf|npz|png16|geotiff --out FILE [--field NAME] [--size WxH] [--range LO,HI]
    planet compare A B [--json FILE|-]

``STATE`` is a state file (``.npz`` from ``planet run``/``Planet.save``) or a
NetCDF export (``.nc``). ``planet stats`` prints the statistics; with
``--baseline`` it prints what drifted (name, baseline, now, tolerance) and
exits 1 on drift, 0 otherwise; ``--update`` rewrites the baseline instead.
Tolerances: ``--rtol 1e-3`` for all statistics, ``--rtol rivers=1e-2`` for a
group, ``--atol plates.count=1`` for one statistic (repeatable). Bad input
raises ``ValueError`` with a one-line message (the CLI prints it and exits 2).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from planet.analysis import stats as S
from planet import testing as T
from planet.cli import add_allow_nonfinite
from planet.io.export import FORMATS, atomic_write, export
from planet.core.files import check_output_file
from planet.core.state import State


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "stats", help="statistics of a state; compare with a baseline",
        description="Print the area-weighted statistics of a state (planet.analysis.stats), write them as JSON, "
                    "or compare them with a baseline (exit 1 if any drifted).")
    p.add_argument("state", metavar="STATE", nargs="?", help="state file (.npz) or NetCDF export (.nc)")
    p.add_argument("--json", metavar="FILE", help="write the statistics as JSON to FILE ('-' for stdout)")
    p.add_argument("--baseline", metavar="FILE", help="baseline JSON to compare with (or to write, with --update)")
    p.add_argument("--rtol", metavar="NAME=VAL", action="append", default=[],
                   help="relative tolerance, for all (VAL), a group or one statistic (NAME=VAL); repeatable")
    p.add_argument("--atol", metavar="NAME=VAL", action="append", default=[],
                   help="absolute tolerance, as --rtol")
    p.add_argument("--update", action="store_true", help="rewrite the baseline with this state's statistics")
    p.add_argument("--list", action="store_true", help="list every statistic with its units and definition")
    add_allow_nonfinite(p)
    p.set_defaults(func=stats_command)

    p = subparsers.add_parser(
        "export", help="export a state as NetCDF, plain npz or a 16-bit PNG heightmap",
        description="Export a state: NetCDF (CF conventions, lat/lon in degrees), plain npz, or a "
                    "16-bit greyscale PNG heightmap. Files are written atomically.")
    p.add_argument("state", metavar="STATE", help="state file (.npz) or NetCDF export (.nc)")
    p.add_argument("--format", required=True, choices=FORMATS, help="output format")
    p.add_argument("--out", required=True, metavar="FILE", help="output file")
    p.add_argument("--field", default="elevation", help="field of the png16/geotiff heightmap (default elevation)")
    p.add_argument("--size", metavar="WxH", help="png16/geotiff: resample to WIDTHxHEIGHT pixels (default: the grid)")
    p.add_argument("--range", metavar="LO,HI", help="png16: grey 0 is LO and 65535 is HI, values outside clipped "
                                                    "(default: each file's own minimum and maximum; write --range=-2,15 for a negative LO)")
    add_allow_nonfinite(p)
    p.set_defaults(func=export_command)

    p = subparsers.add_parser(
        "compare", help="statistics of two states side by side",
        description="Print the statistics of two states side by side with their difference.")
    p.add_argument("a", metavar="A", help="first state file (.npz or .nc)")
    p.add_argument("b", metavar="B", help="second state file (.npz or .nc)")
    p.add_argument("--json", metavar="FILE", help="write both as JSON to FILE ('-' for stdout)")
    add_allow_nonfinite(p)
    p.set_defaults(func=compare_command)


# ---------------------------------------------------------------------------

def load_state(path, allow_nonfinite: bool = False) -> State:
    """A state from a ``.npz`` state file or a ``.nc`` NetCDF export (told apart by their first bytes)."""
    from planet.io.read import read_state

    return read_state(path, allow_nonfinite=allow_nonfinite)


def _check_json_target(target, option: str = "--json") -> None:
    if target is not None and target != "-":
        check_output_file(target, option)


def parse_tolerances(items: list[str], option: str) -> tuple[float | None, dict[str, float]]:
    """``["1e-3", "rivers=1e-2"]`` → (global value, {name: value}); ``ValueError`` for bad items."""
    overall, per = None, {}
    for item in items:
        name, sep, text = item.rpartition("=")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{option} {item!r}: the value must be a finite number >= 0 (as NAME=VAL or VAL)")
        if not sep:
            overall = value
        elif name in S.REGISTRY or name in S.GROUPS:
            per[name] = value
        else:
            raise ValueError(f"{option} {item!r}: unknown statistic {name!r}; use a statistic name such as "
                             f"terrain.land_fraction or a group ({', '.join(S.GROUPS)})")
    return overall, per


def _write_json(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text + "\n")
    else:
        atomic_write(target, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))


def stats_command(args) -> int:
    if args.list:
        print(S.documentation())
        return 0
    if args.state is None:
        raise ValueError("STATE is required: the state file to analyse (or use --list)")
    rtol, per_r = parse_tolerances(args.rtol, "--rtol")
    atol, per_a = parse_tolerances(args.atol, "--atol")
    if (args.rtol or args.atol) and not args.baseline:
        raise ValueError("--rtol/--atol need --baseline FILE")
    if args.update and not args.baseline:
        raise ValueError("--update needs --baseline FILE (the baseline to write)")
    per_stat = {n: {"rtol": per_r.get(n), "atol": per_a.get(n)} for n in set(per_r) | set(per_a)}
    per_stat = {n: {k: v for k, v in d.items() if v is not None} for n, d in per_stat.items()}
    _check_json_target(args.json)
    if args.update:
        check_output_file(args.baseline, "--baseline")      # before the statistics are computed
    state = load_state(args.state, args.allow_nonfinite)
    out = sys.stderr if args.json == "-" else sys.stdout  # keep stdout clean JSON with --json -
    baseline = None
    if args.baseline and not args.update:
        baseline = T.load_baseline(args.baseline)
        T.tolerances(list(baseline.values), rtol, atol, per_stat)  # bad tolerances: refuse before computing
    stats = S.compute(state)
    if args.json:
        _write_json(args.json, stats.to_json())
    if args.update:
        T.write_baseline(args.baseline, stats)
        print(f"wrote baseline {args.baseline} ({len(stats)} statistics, seed {state.seed}, "
              f"resolution {state.columns}, step {state.step})", file=out)
        return 0
    if baseline is None:
        if not args.json:
            print(f"{state!r}\n{stats.table()}", file=out)
        return 0
    T.check_compatible(stats.meta, baseline)
    comparisons = T.compare(stats, baseline, rtol, atol, per_stat)
    if all(c.ok for c in comparisons):
        print(f"all {len(comparisons)} statistics within tolerance of baseline {args.baseline}", file=out)
        return 0
    print(T.drift_report(comparisons, stats, baseline), file=out)
    return 1


def export_command(args) -> int:
    from pathlib import Path as _P

    from planet.io.gis import parse_range, parse_size

    check_output_file(args.out, "--out")
    if args.format == "png16":           # the world file and .prj written beside it
        for suffix in (".pgw", ".prj"):
            check_output_file(_P(args.out).with_suffix(suffix), "--out")
    size = parse_size(args.size) if args.size else None
    value_range = parse_range(args.range) if args.range else None
    state = load_state(args.state, args.allow_nonfinite)
    heightmap = args.format in ("png16", "geotiff")
    if not heightmap and (args.field != "elevation" or args.size or args.range):
        raise ValueError("--field and --size apply to --format png16 and geotiff only, --range to png16")
    if args.range and args.format != "png16":
        raise ValueError("--range applies to --format png16 only (a GeoTIFF holds the field's own values)")
    options = {}
    if heightmap:
        if args.field not in state:
            raise ValueError(f"--field must be a field of the state ({', '.join(state.names)}), got {args.field!r}")
        options = {"field": args.field, "size": size}
        if value_range is not None:
            options["value_range"] = value_range
    path = export(state, args.out, args.format, **options)
    print(f"wrote {path} ({args.format})")
    return 0


def compare_command(args) -> int:
    _check_json_target(args.json)
    a, b = load_state(args.a, args.allow_nonfinite), load_state(args.b, args.allow_nonfinite)
    sa, sb = S.compute(a), S.compute(b)
    if args.json:
        _write_json(args.json, json.dumps({"a": sa.to_dict(), "b": sb.to_dict()}, indent=1, ensure_ascii=False))
        if args.json == "-":
            return 0
    rows = []
    for name in sa:
        va, vb = sa[name], sb[name]
        diff = S.format_value(vb.value - va.value) if va.ok and vb.ok else ""
        rows.append((name, va.short(), vb.short(), diff, S.REGISTRY[name].units))
    print(f"A: {a!r}\nB: {b!r}")
    print(S.format_table(("statistic", "A", "B", "B − A", "units"), rows))
    return 0
