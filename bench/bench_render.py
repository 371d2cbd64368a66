"""Frames per second of each view and the globe at 1280×720 on the CPU and GPU backends,
and the film's per-frame split at 40 s and 150 s (``bench/film_split.py``: a real 512-column world,
simulated alongside, encoded to MP4; the first run simulates and caches the worlds, minutes).

    PYTHONPATH=. python bench/bench_render.py [--size 1280x720] [--repeat 10] [--film-seconds 6]

The machine is shared, so each timing is also given as a ratio to a floor
kernel measured in the same run (a NumPy copy of one 720p RGB frame).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.floor import machine  # noqa: E402
from planet.render import VIEWS  # noqa: E402
from planet.render.backend import get_backend  # noqa: E402
from planet.render.scene import Camera, pack_fields, projection_params, sun_direction  # noqa: E402
from planet.render.synthetic import synthetic_state  # noqa: E402


def best(fn, repeat):
    """Median wall seconds and mean process CPU seconds (all threads) per call."""
    fn()
    times = []
    c = time.process_time()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), (time.process_time() - c) / repeat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--film-seconds", type=float, default=6.0)
    ap.add_argument("--rows", type=int, default=256)
    ap.add_argument("--backends", default="cpu,gpu")
    ap.add_argument("--worlds", default=os.path.join(tempfile.gettempdir(), "planet-film-worlds"),
                    help="folder caching the film's worlds at 38 and 148 s ('' for none)")
    a = ap.parse_args()
    if not (a.film_seconds >= 0 and np.isfinite(a.film_seconds)):
        ap.error(f"--film-seconds must be a finite number >= 0 (0: no film), got {a.film_seconds}")
    if a.repeat < 1:
        ap.error(f"--repeat must be >= 1, got {a.repeat}")
    try:
        w, h = (int(v) for v in a.size.split("x"))
    except ValueError:
        ap.error(f"--size must be WIDTHxHEIGHT in pixels, got {a.size!r}")
    size = (w, h)
    print(machine())
    st = synthetic_state(a.rows)
    frame = np.zeros((h, w, 3), np.uint8)
    floor = best(lambda: frame.copy(), a.repeat)[0]
    print(f"floor (copy of one {w}x{h} frame): {floor * 1e3:.2f} ms")
    backends = ["cpu"] if "cpu" in a.backends else []
    if "gpu" in a.backends:
        try:
            gpu = get_backend("gpu")
            backends.append("gpu")
            print(f"GPU: {gpu.info}")
        except RuntimeError as e:
            print(f"no GPU backend: {e}")
    tl = planet.Timeline()
    F, P = pack_fields(st, st.time)
    pack = best(lambda: pack_fields(st, st.time), a.repeat)[0]
    print(f"pack fields ({st.columns}x{st.rows}): {pack * 1e3:.2f} ms")
    print(f"{'what':<32}{'backend':<8}{'ms/frame':>10}{'frames/s':>10}{'x floor':>9}{'cpu ms':>9}")
    map_Q = projection_params(size, Camera(unwrap=1.0))
    sun = sun_direction(140.0, tl, 24.0)
    globe_Q = projection_params(size, Camera(lat=20, lon=0, unwrap=0.0), night=1.0, sun=sun, atmosphere=True,
                                lighting=1.0)
    globe_noatm = projection_params(size, Camera(lat=20, lon=0, unwrap=0.0), night=1.0, sun=sun, lighting=1.0)
    cases = [(f"map {name}", VIEWS[name], -1, map_Q) for name in VIEWS]
    cases += [("map wipe (2 views)", 1, 2, projection_params(size, Camera(unwrap=1.0), wipe=0.5)),
              ("globe day/night + atmosphere", 0, VIEWS["night"], globe_Q),
              ("globe day/night, no atmosphere", 0, VIEWS["night"], globe_noatm)]
    for be_name in backends:
        be = get_backend(be_name)
        for label, v, second, Q in cases:
            t, c = best(lambda: be.frame(F, P, v, second, 0, 0.0, Q, size), a.repeat)
            print(f"{label:<32}{be_name:<8}{t * 1e3:>10.2f}{1 / t:>10.1f}{t / floor:>9.1f}{c * 1e3:>9.2f}")
    # film: the real thing (a world with every stage, simulated in the other thread, encoded to MP4),
    # each part of a frame timed, with the floor kernel at 1024x512 (bench/film_split.py)
    if a.film_seconds > 0 and "cpu" in backends:
        from bench.film_split import report

        report([40.0, 150.0], a.film_seconds, a.worlds or None, repeat=1)

if __name__ == "__main__":
    main()
