"""A hash of every frame of a fixed set of film and picture frames: the check that a change to the
renderer leaves every pixel as it was.

    PYTHONPATH=. python bench/film_hashes.py --out hashes.json [--worlds /tmp/planet-hash-worlds]
    PYTHONPATH=. python bench/film_hashes.py --out new.json --compare hashes.json

**Film frames**: for each window of ``WINDOWS`` (film seconds, frame count) a 512-column world
(seed 0, every stage) is loaded at the window's first step from ``--worlds`` (simulated and saved
there the first time, one run through the story) and filmed by ``render_film`` on the CPU backend
at 1280×720 and at 640×360, captions and all, exactly as ``planet demo`` draws; each frame is
hashed as the film hands it to the encoder (``on_frame``). The windows cover every shot of the
built-in film: the turning, unwrapping protoplanet, the map and each of its six wipes (start,
middle, end), the rewrap, the turning globe before and after day and night, the humans, the CO2
overlay and its ramps, the warming and the fade to black.

**Pictures**: ``planet.render.view`` of every view (alone and with an overlay), at two camera
longitudes, and ``globe`` with and without the atmosphere, day/night and the CO2 overlay, of the
worlds at 40 s and 150 s, at both sizes.

``--compare``: print every frame whose hash differs from the file given (exit status 1 if any).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402

SIZES = ((1280, 720), (640, 360))
#: (first film second, frames at 30 per second)
WINDOWS = ((0.0, 3), (5.0, 2), (12.0, 2), (17.5, 2), (19.9, 4), (25.0, 2), (34.95, 3), (35.5, 2), (36.0, 2),
           (36.95, 3), (43.5, 2), (44.5, 2), (47.0, 1), (51.2, 2), (55.0, 1), (67.6, 2), (70.0, 1),
           (83.3, 2), (84.9, 2), (90.0, 1), (101.2, 2), (102.5, 2), (103.0, 2), (106.0, 2), (110.0, 2),
           (112.95, 3), (119.95, 3), (121.0, 2), (126.0, 2), (150.0, 2), (181.0, 2), (183.0, 2),
           (200.0, 2), (226.0, 2), (229.0, 2), (240.0, 1), (245.5, 2), (249.8, 3))
FPS = 30
RESOLUTION = 512


def first_step(t0: float) -> int:
    return int(math.floor(t0 * 60 + 1e-9))


def make_worlds(folder: Path) -> None:
    """Save the world at each window's first step (one simulation through the story)."""
    missing = [t0 for t0, _ in WINDOWS if not (folder / f"w{first_step(t0)}.npz").exists()]
    if not missing:
        return
    folder.mkdir(parents=True, exist_ok=True)
    world = planet.Planet(RESOLUTION, 0)
    for t0 in missing:
        step = first_step(t0)
        if step > world.state.step:
            world.step(step - world.state.step)
        world.save(folder / f"w{step}.npz")
        print(f"saved the world at step {step}", flush=True)


def film_hashes(folder: Path, hashes: dict) -> None:
    from planet.render.film import render_film

    with tempfile.TemporaryDirectory() as tmp:
        for t0, count in WINDOWS:
            for size in SIZES:
                world = planet.load(folder / f"w{first_step(t0)}.npz")
                key = f"film {size[0]}x{size[1]} "

                def keep(k, image, key=key, t0=t0):
                    hashes[f"{key}{t0 + k / FPS:.4f}"] = hashlib.sha256(image.tobytes()).hexdigest()

                render_film(os.path.join(tmp, "f.mp4"), size=size, fps=FPS, backend="cpu", start=t0,
                            end=t0 + count / FPS, world=world, progress=False, on_frame=keep)


def picture_hashes(folder: Path, hashes: dict) -> None:
    from planet.render import VIEWS, globe, view

    for t0 in (36.0, 150.0):
        state = planet.load(folder / f"w{first_step(t0)}.npz").state
        for size in SIZES:
            w, h = size
            for name in VIEWS:
                for lon in (180.0, 37.5):
                    image = view(state, name, size=(w, w // 2), backend="cpu", lon=lon)
                    hashes[f"view {t0:g} {w} {name} {lon:g}"] = hashlib.sha256(image.tobytes()).hexdigest()
                image = view(state, name, size=(w, w // 2), backend="cpu", overlay="co2" if name != "co2" else "night",
                             opacity=0.4)
                hashes[f"view {t0:g} {w} {name} overlay"] = hashlib.sha256(image.tobytes()).hexdigest()
            for atm in (True, False):
                for daynight in (True, False):
                    for overlay in (None, "co2"):
                        image = globe(state, "satellite", lat=25.0, lon=-40.0, size=(h, h), backend="cpu",
                                      atmosphere=atm, daynight=daynight, overlay=overlay, time=t0 + 0.5)
                        key = f"globe {t0:g} {h} atm={atm} daynight={daynight} overlay={overlay}"
                        hashes[key] = hashlib.sha256(image.tobytes()).hexdigest()
            image = globe(state, "plates", lat=-70.0, lon=100.0, size=(w, h), backend="cpu", radius=1.3)
            hashes[f"globe {t0:g} {w} plates radius 1.3"] = hashlib.sha256(image.tobytes()).hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="JSON file of the hashes written")
    ap.add_argument("--worlds", default=os.path.join(tempfile.gettempdir(), "planet-hash-worlds"))
    ap.add_argument("--compare", help="a JSON file of hashes to compare with")
    a = ap.parse_args(argv)
    folder = Path(a.worlds)
    make_worlds(folder)
    hashes: dict = {}
    film_hashes(folder, hashes)
    picture_hashes(folder, hashes)
    Path(a.out).write_text(json.dumps(hashes, indent=1, sort_keys=True))
    print(f"{len(hashes)} frames hashed into {a.out}")
    if a.compare:
        old = json.loads(Path(a.compare).read_text())
        bad = sorted(k for k in set(old) | set(hashes) if old.get(k) != hashes.get(k))
        for k in bad:
            print(f"differs: {k}")
        print(f"{len(bad)} of {len(set(old) | set(hashes))} frames differ from {a.compare}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
