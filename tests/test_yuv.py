"""The MP4's Y'CbCr 4:2:0 (``render/yuv.py``): BT.709's formulas, chroma at each block's centre, ffmpeg's reading."""
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from planet.render.video import VideoWriter
from planet.render.yuv import frame_bytes, rgb_to_yuv420

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def frame(h=48, w=64, seed=0):
    """A smooth gradient with noise on it: every level of every channel, and edges."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255.0 / (w - 1), y * 255.0 / (h - 1), (x + y) * 255.0 / (w + h - 2)], -1)
    return np.clip(base + rng.normal(0, 40, base.shape), 0, 255).astype(np.uint8)


def full(rgb):
    """The standard's formulas in float64, written out per plane (BT.709-6 items 3.2-3.4, 8-bit
    limited range), at every pixel: unrounded (Y', Cb, Cr)."""
    r, g, b = (rgb[..., k].astype(np.float64) / 255.0 for k in range(3))
    ey = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 16 + 219 * ey, 128 + 224 * (b - ey) / 1.8556, 128 + 224 * (r - ey) / 1.5748


def reference(rgb):
    """``full``'s planes with the chroma the mean of each 2 x 2 block: unrounded (Y', Cb, Cr)."""
    y, cb, cr = full(rgb)

    def block(c):
        return (c[0::2, 0::2] + c[0::2, 1::2] + c[1::2, 0::2] + c[1::2, 1::2]) / 4

    return y, block(cb), block(cr)


def planes(flat, h, w):
    """The (Y', Cb, Cr) planes of ``yuv420p`` bytes (a flat uint8 array), as 2-D views."""
    n = h * w
    return (flat[:n].reshape(h, w), flat[n:n * 5 // 4].reshape(h // 2, w // 2),
            flat[n * 5 // 4:].reshape(h // 2, w // 2))


def ffmpeg_bt709(rgb):
    """ffmpeg's own conversion of an RGB frame to BT.709, limited-range ``yuv420p`` (its scaler)."""
    h, w = rgb.shape[:2]
    raw = subprocess.run([FFMPEG, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-i",
                          "pipe:0", "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p", "-f",
                          "rawvideo", "pipe:1"], input=rgb.tobytes(), check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8)


def left_sited(c):
    """H.264's default siting instead: [1, 2, 1] / 4 across the columns around each even one (the
    first column repeated), the mean of the two rows."""
    left = np.concatenate([c[:, :1], c[:, :-1]], axis=1)
    row = (left[:, 0::2] + 2 * c[:, 0::2] + c[:, 1::2]) / 4
    return (row[0::2] + row[1::2]) / 2


def test_the_planes_are_the_standards_formulas_rounded():
    """Against the float64 formulas: the nearest level wherever the value is not within float32's
    rounding of a half (there either neighbour), for Y', Cb and Cr; and the ranges are BT.709's."""
    rgb = frame(96, 128)
    out = rgb_to_yuv420(rgb)
    H, W = rgb.shape[:2]
    assert out.shape == (frame_bytes(W, H),) == (H * W * 3 // 2,)
    got_planes = planes(out, H, W)
    for got, want in zip(got_planes, reference(rgb)):
        tie = np.abs(want - np.floor(want) - 0.5) < 1e-4
        exact = np.floor(want + 0.5)
        assert np.array_equal(got[~tie], exact[~tie])
        assert np.all(np.abs(got[tie] - want[tie]) <= 0.5 + 1e-4)
    assert got_planes[0].min() >= 16 and got_planes[0].max() <= 235
    assert min(p.min() for p in got_planes[1:]) >= 16 and max(p.max() for p in got_planes[1:]) <= 240


def test_the_check_can_fail_the_bt601_matrix_or_other_chroma_siting_differ():
    """The comparison above can fail: BT.601's luma weights miss by many levels, and chroma sited
    as H.264's default (left) differs from the centred mean on this frame."""
    rgb = frame(96, 128)
    out = rgb_to_yuv420(rgb)
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    y601 = np.floor(16 + 219 * (0.299 * r + 0.587 * g + 0.114 * b) / 255 + 0.5)
    assert np.abs(out[:96 * 128].reshape(96, 128) - y601).max() > 5
    left = np.floor(left_sited(full(rgb)[1]) + 0.5)
    cb = planes(out, 96, 128)[1]
    assert np.count_nonzero(left != cb) > 0.2 * cb.size


def decoded(planes, w, h):
    """``yuv420p`` bytes back to RGB by ffmpeg's scaler, told BT.709 and limited range."""
    raw = subprocess.run([FFMPEG, "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-i", "pipe:0",
                          "-vf", "scale=in_color_matrix=bt709:in_range=tv", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "pipe:1"], input=planes, check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def test_the_round_trip_through_ffmpegs_decoder_is_as_faithful_as_its_own_conversion():
    """Where ffmpeg puts the chroma when it decodes: our planes come back at least as close to the
    frame as ffmpeg's own conversion does (PSNR), and the left-sited filter's would not."""
    rgb = frame(96, 128, seed=5)
    theirs = ffmpeg_bt709(rgb).tobytes()

    def psnr(planes):
        err = decoded(planes, 128, 96).astype(float) - rgb
        return 10 * np.log10(255.0 ** 2 / np.mean(err ** 2))

    ours = rgb_to_yuv420(rgb)
    left = ours.copy()
    _, cb, cr = full(rgb)
    _, left_cb, left_cr = planes(left, 96, 128)
    left_cb[:] = np.floor(left_sited(cb) + 0.5)
    left_cr[:] = np.floor(left_sited(cr) + 0.5)
    assert psnr(ours.tobytes()) >= psnr(theirs)
    assert psnr(left.tobytes()) < psnr(theirs)


def test_solid_colours_match_ffmpegs_own_bt709_conversion():
    """Independent evidence for the matrix and the range: on blocks of one colour ffmpeg's scaler,
    told BT.709 and limited range, gives the same levels within one (luma everywhere; chroma away
    from the blocks' edges, where neither siting filter has anything to mix)."""
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    rgb = np.repeat(np.repeat(colours, 16, axis=0), 16, axis=1)           # 96 x 128, 16 x 16 blocks
    theirs = planes(ffmpeg_bt709(rgb).astype(int), 96, 128)
    ours = planes(rgb_to_yuv420(rgb).astype(int), 96, 128)
    assert np.abs(ours[0] - theirs[0]).max() <= 1
    inner = np.zeros((48, 64), bool)         # chroma samples 4 or more pixels from a block's edge
    inner[np.ix_((np.arange(48) % 8 >= 2) & (np.arange(48) % 8 < 6), (np.arange(64) % 8 >= 2) & (np.arange(64) % 8 < 6))] = True
    for k in (1, 2):
        assert np.abs(ours[k] - theirs[k])[inner].max() <= 1


def test_the_mp4_says_where_its_chroma_is(tmp_path):
    """The stream's sequence parameters carry chroma_sample_loc_type 1 (centre), so a player that
    reads them needs no guess (ffmpeg's header trace of the H.264 stream)."""
    out = tmp_path / "c.mp4"
    with VideoWriter(out, (64, 48), fps=10) as w:
        w.write(frame(48, 64))
    trace = subprocess.run([FFMPEG, "-hide_banner", "-i", str(out), "-c", "copy", "-bsf:v", "trace_headers", "-f",
                            "null", "-"], capture_output=True, text=True).stderr
    fields = {line.split()[-4]: line.split()[-1] for line in trace.splitlines() if "chroma_" in line and " = " in line}
    assert fields.get("chroma_loc_info_present_flag") == "1", trace[-2000:]
    assert fields.get("chroma_sample_loc_type_top_field") == fields.get("chroma_sample_loc_type_bottom_field") == "1"


def test_the_mp4_carries_the_planes_untouched(tmp_path):
    """At quality 10 (CRF 0: lossless) the decoded stream is exactly the piped planes, so ffmpeg
    converted nothing on the way to x264 (a range or matrix conversion would change them)."""
    frames = [frame(48, 64, seed) for seed in range(3)]
    out = tmp_path / "lossless.mp4"
    with VideoWriter(out, (64, 48), fps=10, quality=10) as w:
        for f in frames:
            w.write(f)
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"],
                         check=True, capture_output=True).stdout
    got = np.frombuffer(raw, np.uint8).reshape(3, -1)
    for k, f in enumerate(frames):
        assert np.array_equal(got[k], rgb_to_yuv420(f))


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 4), np.uint8), np.zeros((5, 4, 3), np.uint8),
                                 np.zeros((4, 4, 3), np.float32)])
def test_frames_it_cannot_convert_are_refused_in_one_line(bad):
    with pytest.raises(ValueError, match="even sides"):
        rgb_to_yuv420(bad)
