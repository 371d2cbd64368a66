"""Video formats as players expect them: BT.709 colour and tags in the MP4, GIF and WebP streamed through ffmpeg."""
import os
import subprocess
import sys

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from planet.render.video import VideoWriter

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def solid(rgb, w=64, h=48):
    f = np.empty((h, w, 3), np.uint8)
    f[...] = rgb
    return f


def decode_bt709(path, w=64, h=48):
    """Decode ``path`` to RGB with ffmpeg told explicitly that the YUV is BT.709, limited range."""
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path),
                          "-vf", "scale=in_color_matrix=bt709:in_range=tv", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "pipe:1"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def test_pure_red_and_green_survive_the_mp4_within_2_of_255(tmp_path):
    out = tmp_path / "rg.mp4"
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 120, 40)]
    with VideoWriter(out, (64, 48), fps=10) as w:
        for c in colours:
            for _ in range(3):
                w.write(solid(c))
    back = decode_bt709(out)
    assert back.shape[0] == 12
    for k, c in enumerate(colours):
        err = np.abs(back[3 * k + 1].astype(int) - np.array(c)).max()
        assert err <= 2, f"{c} came back as {back[3 * k + 1, 24, 32]}"


def test_the_bt601_matrix_would_fail_the_same_check(tmp_path):
    """The check can fail: decoding our stream as BT.601 shifts pure red by far more than 2/255."""
    out = tmp_path / "r.mp4"
    with VideoWriter(out, (64, 48), fps=10) as w:
        w.write(solid((255, 0, 0)))
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(out), "-vf", "scale=in_color_matrix=bt601:in_range=tv",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], check=True, capture_output=True).stdout
    red601 = np.frombuffer(raw, np.uint8).reshape(48, 64, 3)[24, 32].astype(int)
    assert np.abs(red601 - (255, 0, 0)).max() > 10


def test_mp4_stream_is_tagged_bt709(tmp_path):
    out = tmp_path / "t.mp4"
    with VideoWriter(out, (64, 48), fps=10) as w:
        w.write(solid((10, 200, 30)))
    # no ffprobe in imageio-ffmpeg: ffmpeg -i prints the stream as "yuv420p(tv, bt709, progressive)"
    info = subprocess.run([FFMPEG, "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    stream = next(line for line in info.splitlines() if "Video:" in line)
    assert "yuv420p(tv, bt709" in stream, stream


def test_the_default_preset_searches_motion_as_superfast_and_others_keep_x264s(tmp_path):
    """x264 writes its settings into the stream (a SEI message, "... subme=N ..."): the default
    ``veryfast`` carries ``X264_PARAMS``' subme=1, the diamond search and no 8x8 sub-blocks (x264's own
    veryfast has subme=2, me=hex and p8x8), with veryfast's macroblock tree; ``fast`` keeps subme=6."""
    def settings(preset):
        out = tmp_path / f"{preset}.mp4"
        with VideoWriter(out, (64, 48), fps=10, **({} if preset is None else {"preset": preset})) as w:
            for k in range(3):
                w.write(solid((40 * k, 100, 30)))
        data = out.read_bytes()
        start = data.index(b"x264 - core")
        return data[start:data.index(b"\0", start)].decode()

    default = settings(None)
    assert " subme=1 " in default and " me=dia " in default and " analyse=0x3:0x3 " in default, default
    assert " mbtree=1 " in default and " rc_lookahead=10 " in default, default
    fast = settings("fast")
    assert " subme=6 " in fast and " me=hex " in fast and " analyse=0x3:0x113 " in fast, fast


def test_animated_webp_by_suffix(tmp_path):
    out = tmp_path / "clip.webp"
    frames = [solid((k * 40, 255 - k * 40, 90)) for k in range(5)]
    with VideoWriter(out, (64, 48), fps=10) as w:
        for f in frames:
            w.write(f)
    assert out.read_bytes()[:4] == b"RIFF" and out.read_bytes()[8:12] == b"WEBP"
    from PIL import Image

    with Image.open(out) as im:
        assert im.n_frames == 5 and im.size == (64, 48)
        for k in range(5):
            im.seek(k)
            got = np.asarray(im.convert("RGB"))[24, 32].astype(int)
            assert np.abs(got - frames[k][24, 32]).max() <= 6
    assert sorted(os.listdir(tmp_path)) == ["clip.webp"]


def test_gif_uses_a_palette_per_frame(tmp_path):
    out = tmp_path / "g.gif"
    # a smooth gradient: one fixed 216-colour palette bands it; a palette made for the frame is close
    y, x = np.mgrid[0:48, 0:64]
    f = np.stack([x * 4, y * 5, 255 - x * 2], -1).astype(np.uint8)
    with VideoWriter(out, (64, 48), fps=10) as w:
        w.write(f)
        w.write(f[:, ::-1].copy())
    back = iio.imread(out, index=None)
    assert back.shape[:3] == (2, 48, 64)
    web_safe = np.round(f / 51.0) * 51          # the nearest of a fixed 6x6x6 palette, per pixel (no dither)
    fixed_err = np.abs(web_safe - f).mean()
    assert np.abs(back[0][..., :3].astype(int) - f).mean() < 0.5 * fixed_err


PEAK = r"""
import resource, sys
import numpy as np
from planet.render.video import VideoWriter
n = int(sys.argv[1])
y, x = np.mgrid[0:180, 0:320]
base = np.stack([x * 255 // 319, y * 255 // 179, (x + y) % 256], -1).astype(np.uint8)
with VideoWriter(sys.argv[2], (320, 180), fps=30) as w:
    for k in range(n):
        w.write(np.roll(base, k, axis=1))
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(max(me, kids) / 1024.0)      # kB -> MB, the larger of this process and ffmpeg
"""


def peak_mb(n, out):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = subprocess.run([sys.executable, "-c", PEAK, str(n), str(out)], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    return float(res.stdout.split()[-1])


@pytest.mark.slow      # about 10 minutes on two busy cores (ffmpeg's per-frame palettes)
def test_a_long_gif_is_written_with_flat_memory(tmp_path):
    """2000 frames of 320x180 (67 s at 30 fps; 346 MB of RGB, which a writer holding its frames would
    keep) in no more memory than 30 frames, give or take 200 MB: frames stream through ffmpeg."""
    short = peak_mb(30, tmp_path / "short.gif")
    long = peak_mb(2000, tmp_path / "long.gif")
    assert long - short < 200, (short, long)
    assert iio.improps(tmp_path / "long.gif", index=None).shape[0] == 2000
