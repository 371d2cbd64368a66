"""The film encoder's settings: x264's CPU per frame and its fidelity to the frames, on real film frames.

    PYTHONPATH=. python bench/bench_encoder.py [--at 40,150] [--seconds 4] [--worlds /tmp/film]
                                              [--settings "veryfast:subme=1" "superfast:"] [--repeat 3]

For each start time ``t0`` the demo film's frames (1280×720, a 512-column world, seed 0, every
stage; ``film_split.world_at`` caches the worlds) are drawn once, as ``planet demo`` draws them,
and kept raw as the film pipes them to ffmpeg (converted to BT.709 yuv420p by ``render/yuv.py``).
Each setting (``PRESET:X264-PARAMS``; the default list holds the films' own, ``render/video.py``'s
``X264_PARAMS``) then encodes them ``--repeat`` times exactly as the film's ffmpeg command does
(CRF 15, one thread per core), reading the raw frames from a file so that nothing else takes the
CPU. Reported per setting: the encoder's CPU (user + system, the fastest of the repeats) per frame,
the stream's size, and its PSNR and SSIM against those frames (ffmpeg's ``psnr`` and ``ssim``
filters: the encoder's loss alone). Until 2026-12-06 the film piped RGB and ffmpeg converted it:
the CPU figures of that time include about 1.6 ms a frame of that conversion.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.film_split import add_film_options, film_options, world_at  # noqa: E402
from bench.floor import machine  # noqa: E402
from planet.render import film, video, yuv  # noqa: E402

SIZE = (1280, 720)
FPS = 30
CRF = 15
DEFAULT = ["veryfast:", "veryfast:subme=1", "superfast:", "veryfast:" + video.X264_PARAMS["veryfast"]]


def frames_at(t0: float, seconds: float, folder, raw: Path) -> int:
    """Draw the film from ``t0`` for ``seconds`` into ``raw`` (its frames as the film pipes them to
    ffmpeg: ``yuv.rgb_to_yuv420``); returns the frame count."""
    world = world_at(t0, folder)
    with open(raw, "wb") as f, tempfile.TemporaryDirectory() as d:
        stats = film.render_film(os.path.join(d, "f.mp4"), size=SIZE, fps=FPS, backend="cpu", start=t0,
                                 end=t0 + seconds, world=world, progress=False,
                                 on_frame=lambda k, image: f.write(yuv.rgb_to_yuv420(image).tobytes()))
    return stats["frames"]


def _ffmpeg(args) -> float:
    """Run ffmpeg; returns its CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _raw_input(raw: Path) -> list[str]:
    """ffmpeg reading the Y'CbCr frames of ``raw`` as the film pipes them (``yuv420p``, tagged)."""
    import imageio_ffmpeg

    w, h = SIZE
    return [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-f", "rawvideo", "-pix_fmt",
            "yuv420p"] + video.MP4_TAGS + ["-s", f"{w}x{h}", "-r", str(FPS), "-i", str(raw)]


def encode(raw: Path, out: Path, preset: str, params: str) -> float:
    """Encode the raw frames as the film does with ``preset`` and ``params``; CPU seconds."""
    cmd = _raw_input(raw) + video.MP4_TAGS + ["-c:v", "libx264", "-preset", preset, "-crf", str(CRF),
                                              "-threads", str(video.encoder_threads())]
    if params:
        cmd += ["-x264-params", params]
    return _ffmpeg(cmd + ["-an", "-f", "mp4", str(out)])


def fidelity(stream: Path, reference: Path) -> tuple[float, float]:
    """(PSNR dB, SSIM) of ``stream`` against the yuv420p ``reference``."""
    import imageio_ffmpeg

    w, h = SIZE
    out = {}
    for name, pattern in (("psnr", r"average:([0-9.]+|inf)"), ("ssim", r"All:([0-9.]+)")):
        log = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(stream),
                              "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-r", str(FPS),
                              "-i", str(reference), "-lavfi", f"[0:v][1:v]{name}", "-f", "null", "-"],
                             check=True, capture_output=True, text=True).stderr
        out[name] = float(re.findall(pattern, log)[-1])
    return out["psnr"], out["ssim"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_film_options(ap, seconds=4.0, repeat=3)
    ap.add_argument("--settings", nargs="+", default=DEFAULT, help="PRESET:X264-PARAMS, e.g. veryfast:subme=1")
    a = ap.parse_args()
    starts = film_options(ap, a, (0.5, 30))
    settings = []
    for s in a.settings:
        preset, _, params = s.partition(":")
        if preset not in video.PRESETS:
            ap.error(f"--settings: preset must be one of {', '.join(video.PRESETS)}, got {preset!r}")
        settings.append((preset, params))
    folder = Path(a.worlds) if a.worlds else None
    print(machine())
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for t0 in starts:
            raw = ref = d / "frames.yuv"
            n = frames_at(t0, a.seconds, folder, raw)
            print(f"film at t = {t0:g} s: {n} frames at {SIZE[0]}x{SIZE[1]}, CRF {CRF}, "
                  f"{video.encoder_threads()} encoder threads (fastest of {a.repeat})")
            print(f"  {'setting':<48}{'CPU ms/frame':>13}{'kB':>8}{'PSNR dB':>10}{'SSIM':>9}")
            for preset, params in settings:
                out = d / "out.mp4"
                cpu = min(encode(raw, out, preset, params) for _ in range(a.repeat))
                psnr, ssim = fidelity(out, ref)
                label = f"{preset}:{params}" if params else preset
                print(f"  {label:<48}{cpu / n * 1e3:>13.2f}{out.stat().st_size / 1e3:>8.0f}{psnr:>10.3f}{ssim:>9.5f}")


if __name__ == "__main__":
    main()
