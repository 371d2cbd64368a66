"""Compile time from a cold Numba cache: what the Makefile's install step pays once, kernel by kernel.

    PYTHONPATH=. python bench/bench_compile.py [--top 20] [--resolution 128]

Runs the install step's warm-up film (64×36, an MP4, so that the writer's conversion kernel is among
them) in a child process whose Numba cache is an empty temporary folder (``NUMBA_CACHE_DIR``), so every
kernel it reaches compiles, and the package's own cache is neither read nor written. Numba's compile
events give each kernel's compile time; a kernel's compile includes the kernels it compiles in (those it
calls that were not compiled yet), so the table gives each kernel's time both with them (inclusive) and
without (its own), and the total is the sum of the outermost compiles. Compiling runs on one core; the
floor kernel of the same run is printed for the machine's speed that hour.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def summarise(events):
    """``events``: ``(name, start, end)`` of each compile, nested ones included (a compile that started
    inside another ends inside it). Returns ``(total, {name: [inclusive, own, count]})``: the sum over
    the outermost compiles, and per kernel the time with the compiles nested in it, without them, and how
    many compiles (signatures) it had."""
    spans = sorted(events, key=lambda e: (e[1], -e[2]))
    table: dict = {}
    total = 0.0
    stack: list = []        # the open compiles: [name, start, end, time of the compiles directly inside]

    def close(item):
        name, start, end, inner = item
        row = table.setdefault(name, [0.0, 0.0, 0])
        row[0] += end - start
        row[1] += end - start - inner
        row[2] += 1
        if stack:
            stack[-1][3] += end - start

    for name, start, end in spans:
        while stack and stack[-1][2] <= start:
            close(stack.pop())
        if not stack:
            total += end - start
        stack.append([name, start, end, 0.0])
    while stack:
        close(stack.pop())
    return total, table


def _child(out_json: str, resolution: int) -> int:
    """The warm-up film with a listener on Numba's compile events; the events go to ``out_json``. Returns
    the film's exit status (not 0: the parent stops, rather than print a table of a film that failed)."""
    from numba.core import event

    events = []
    starts = {}

    class Pairing(event.Listener):
        def on_start(self, ev):
            starts[(id(ev.data["dispatcher"]), str(ev.data["args"]))] = time.perf_counter()

        def on_end(self, ev):
            d = ev.data["dispatcher"]
            t0 = starts.pop((id(d), str(ev.data["args"])))
            events.append((f"{d.py_func.__module__}.{d.py_func.__qualname__}", t0, time.perf_counter()))

    event.register("numba:compile", Pairing())
    from planet.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        code = main(["film", "--out", str(Path(tmp) / "warmup.mp4"), "--size", "64x36",
                     "--resolution", str(resolution), "--fps", "1", "--quiet"])
        wall = time.perf_counter() - t0
    Path(out_json).write_text(json.dumps({"wall": wall, "events": events}))
    return code


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=20, help="kernels to list (default 20)")
    ap.add_argument("--resolution", type=int, default=128, help="the warm-up film's columns (default 128)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child, args.resolution)
    from bench.floor import Floor, machine

    print(machine())
    print(f"floor at 512x256: {Floor(256, 512).time_ms():.3f} ms")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "events.json"
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(out),
                        "--resolution", str(args.resolution)], env=env, check=True)
        wall = time.perf_counter() - t0
        result = json.loads(out.read_text())
    total, table = summarise([tuple(e) for e in result["events"]])
    print(f"warm-up film from a cold cache: {wall:.1f} s in all ({result['wall']:.1f} s in the film), "
          f"{total:.1f} s compiling, {sum(r[2] for r in table.values())} compiles of {len(table)} kernels")
    print(f"{'kernel':58s} {'incl. s':>8s} {'own s':>8s} {'sigs':>5s}")
    for name, (incl, own, count) in sorted(table.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{name:58s} {incl:8.1f} {own:8.1f} {count:5d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
