"""Writing frames: MP4 (H.264, yuv420p, BT.709), GIF, animated WebP or a folder of PNGs, atomically.

``VideoWriter`` writes to a temporary file (or folder) next to the target and
renames it into place only when ``close()`` is reached after the last frame;
an error or an interrupt (``abort()``, or leaving the ``with`` block by an
exception) deletes the temporary output, so the target path never holds a
broken video. MP4, GIF and WebP frames are piped raw into one ffmpeg process
(imageio-ffmpeg's binary) fed from a background thread, so encoding overlaps
the simulation and rendering and no film is ever held in memory: the MP4's as
Y'CbCr 4:2:0, converted in that thread (``yuv``), the others as RGB.
Every frame given is written: nothing is dropped or duplicated by wall clock.

Encoding (MP4): x264 at CRF ``round((1 − quality/10) · 51)`` (15 for the default quality 7), the
given preset, one thread per usable core, and ``X264_PARAMS`` on top of the preset: the default
``veryfast`` searches motion as superfast does (sub-pixel level 1, the diamond search, no 8×8
sub-blocks) with veryfast's own rate control, which costs about 30 % less of the encoder's CPU for
the same fidelity to the frames.

Colour (MP4): RGB is taken as sRGB/BT.709 primaries and converted to limited
range ("tv", Y 16-235, C 16-240) Y'CbCr with the **BT.709** matrix
(ITU-R BT.709-6 item 3.2: Y' = 0.2126 R' + 0.7152 G' + 0.0722 B',
Cb = (B' - Y') / 1.8556, Cr = (R' - Y') / 1.5748), chroma the mean of each
2 × 2 block (``yuv``: our kernel, not ffmpeg's single-threaded scaler, which
cost a sixth of the encoder's CPU); the stream is tagged
``colour_primaries = transfer = matrix = bt709``, ``range = tv`` (what players
assume for HD video) and chroma location ``center``. (ffmpeg's default RGB->YUV matrix is BT.601 and
writes no tags: pure red then shows shifted in players.)

GIF: ``palettegen=stats_mode=single`` makes a 256-colour palette for each frame
and ``paletteuse=new=1`` applies it (ffmpeg's palette method, far better than
one fixed palette), so ffmpeg holds one frame at a time, not the film.
WebP: ``libwebp_anim``, lossy at ``quality * 10``, frames given as BGRA so
libwebp does its own (BT.601, as WebP specifies) conversion.
"""
from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from planet.core.files import TMP_NAME_CHARS, OutputError, check_frame_folder, check_output_file, check_target, os_message

from . import yuv

FORMATS = ("mp4", "gif", "webp", "png")
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


def output_format(path) -> str:
    """``mp4`` for .mp4, ``gif`` for .gif, ``webp`` for .webp (animated), ``png`` (a folder of frames) for a
    path without a suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".mp4", ".gif", ".webp"):
        return suffix[1:]
    if suffix == "":
        return "png"
    raise ValueError("out must end in .mp4, .gif or .webp, or be a folder name without a suffix (PNG frames); "
                     f"got {str(path)!r}")


#: the MP4's colour tags: BT.709 primaries, transfer and matrix, limited range, chroma at the centre
#: of each 2 × 2 block (see the module docstring), given for the piped ``yuv420p`` frames (``yuv``:
#: converted so) and for the stream, so that ffmpeg passes the frames to x264 untouched
MP4_TAGS = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            "-chroma_sample_location", "center"]
#: the GIF's palette method: a palette per frame, applied to that frame (ffmpeg holds one frame)
GIF_FILTER = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"


#: x264 settings on top of a preset. ``veryfast`` (the films' default) takes three of superfast's
#: cheaper searches and keeps its own rate control (macroblock tree, 10 frames of look-ahead, which
#: superfast drops for streams twice as large):
#:
#: * ``subme=1``: motion vectors refined to sub-pixels at level 1 instead of 2. On film frames at
#:   1280×720, CRF 15, x264's CPU fell from 23.6 to 18.6 ms a frame (t = 40 s, the map) and from 20.0
#:   to 15.4 (t = 150 s, the globe) for the same PSNR against the frames (38.86 / 38.81 dB against
#:   38.87 / 38.79) and streams 1–6 % larger;
#: * ``me=dia`` (the diamond search instead of the hexagon) and ``partitions=i8x8,i4x4`` (no
#:   8×8 sub-blocks in predicted frames): on 120 film frames each at t = 40 and 150 s (CRF 15, two
#:   threads, the fastest of three encodes of the raw frames, the RGB to Y'CbCr conversion included),
#:   9.9–10.5 → 9.0 ms and 8.8–8.9 → 8.2 ms of CPU a frame; PSNR against the frames converted alike
#:   31.650 → 31.649 dB and 40.930 → 40.925 dB, SSIM 0.98600 → 0.98591 and 0.99117 → 0.99114,
#:   streams 1.3–1.5 % larger.
X264_PARAMS = {"veryfast": "subme=1:me=dia:partitions=i8x8,i4x4"}


def encoder_threads() -> int:
    """x264's threads: one per core this process may run on. x264's own default is 1.5 per core,
    which on the film's two cores (shared with the simulation and the drawing) spent a fifth more CPU
    per frame on threading for the same stream size (24.7–26.4 against 30.4–32.5 ms per 720p frame
    at veryfast, CRF 15: ``bench/film_split.py``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def ffmpeg_command(path, fmt: str, size, fps: int, quality: float, preset: str) -> list[str]:
    """The ffmpeg command line that reads raw RGB frames of ``size`` on stdin and writes ``path``."""
    import imageio_ffmpeg

    w, h = size
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error"]
    if fmt == "mp4":    # the writer pipes Y'CbCr 4:2:0 (``yuv``), tagged as it is
        cmd += ["-f", "rawvideo", "-pix_fmt", "yuv420p"] + MP4_TAGS
    else:
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:0", "-an"]
    if fmt == "mp4":
        crf = int(round((1.0 - quality / 10.0) * 51))     # imageio-ffmpeg's mapping of quality 0-10 to x264's CRF
        cmd += MP4_TAGS + ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-threads", str(encoder_threads())]
        if preset in X264_PARAMS:
            cmd += ["-x264-params", X264_PARAMS[preset]]
        cmd += ["-movflags", "+faststart", "-f", "mp4"]
    elif fmt == "gif":
        cmd += ["-filter_complex", GIF_FILTER, "-loop", "0", "-f", "gif"]
    elif fmt == "webp":
        cmd += ["-pix_fmt", "bgra", "-c:v", "libwebp_anim", "-lossless", "0", "-quality", str(int(quality * 10)),
                "-loop", "0", "-f", "webp"]
    else:
        raise ValueError(f"no ffmpeg encoder for format {fmt!r}")
    return cmd + [str(path)]


def check_output(path, option: str = "out") -> Path:
    """Validate ``path`` as a film output before any work (``planet.files``' policy): a .mp4, .gif or .webp file
    (absent or a regular file), or a new or empty folder for PNG frames."""
    if output_format(path) == "png":
        return check_frame_folder(path, option)
    return check_output_file(path, option)


def check_fps(fps) -> int:
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or not 1 <= int(fps) <= 240:
        raise ValueError(f"fps must be an integer in [1, 240], got {fps!r}")
    return int(fps)


def check_quality(quality) -> float:
    if isinstance(quality, bool) or not isinstance(quality, (int, float)) or not 0 <= quality <= 10:
        raise ValueError(f"quality must be a number in [0, 10] (10 is best), got {quality!r}")
    return float(quality)


class VideoWriter:
    """Write RGB uint8 frames of one size to ``path``; see the module docstring."""

    def __init__(self, path, size, fps: int = 30, quality: float = 7.0, preset: str = "veryfast"):
        from . import check_size

        self.path = Path(path)
        self.format = output_format(self.path)
        self.size = check_size(size)
        self.fps = check_fps(fps)
        self.quality = check_quality(quality)
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {preset!r}")
        # the output policy (planet.files): a file target is absent or a regular file; a frame folder
        # is new or empty (never the current folder or a parent); the folder it goes in is writable
        check_output(path)
        folder = self.path.parent if str(self.path.parent) else Path(".")
        self.frames = 0
        self._done = False
        self._error: BaseException | None = None
        stem = f".{self.path.name[:TMP_NAME_CHARS]}.{os.getpid()}.partial"
        try:
            if self.format == "png":
                self._tmp = Path(tempfile.mkdtemp(prefix=stem, dir=folder))
            else:
                fd, tmp = tempfile.mkstemp(prefix=stem, suffix=self.path.suffix, dir=folder)
                os.close(fd)
                self._tmp = Path(tmp)
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {os_message(e)}") from None
        self._queue: queue.Queue | None = None
        self._proc = None
        self._log = None
        self._thread: threading.Thread | None = None
        if self.format != "png":
            try:
                self._start_encoder(preset)
            except BaseException:   # also Ctrl-C / SIGTERM while ffmpeg starts: leave nothing behind
                self.abort()
                raise

    def _start_encoder(self, preset: str) -> None:
        import subprocess

        self._log = tempfile.TemporaryFile()        # ffmpeg's messages: a file, so a full pipe never blocks it
        self._proc = subprocess.Popen(ffmpeg_command(self._tmp, self.format, self.size, self.fps, self.quality, preset),
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        self._queue = queue.Queue(maxsize=8)
        thread = threading.Thread(target=self._encode, name="planet-video-encoder", daemon=True)
        thread.start()
        self._thread = thread

    def _ffmpeg_said(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    # -- background encoder --------------------------------------------------
    def _encode(self):
        buf = None
        if self.format == "mp4":     # the frames' Y'CbCr, converted here (``yuv``), one buffer reused
            w, h = self.size
            buf = np.empty(yuv.frame_bytes(w, h), np.uint8)
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._error is None:
                try:
                    data = frame if buf is None else yuv.rgb_to_yuv420(frame, buf)
                    self._proc.stdin.write(memoryview(data).cast("B"))
                except BaseException as e:  # noqa: BLE001 (reported by write/close)
                    self._error = e

    def write(self, frame: np.ndarray, copy: bool = True) -> None:
        """Append one RGB uint8 frame of shape (height, width, 3). The encoder thread takes it later:
        ``copy=False`` hands over the array itself (the caller must not change it afterwards, as
        the film, which draws every frame into a new array, does not)."""
        if self._done:
            raise RuntimeError("video writer is closed")
        w, h = self.size
        if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 of shape {(h, w, 3)}, got {frame.dtype} {frame.shape}")
        if self._error is not None:
            raise OutputError(f"cannot write {self.path}: the video encoder failed ({self._error})")
        if self.format != "png":
            self._queue.put(np.array(frame, order="C", copy=True) if copy else np.ascontiguousarray(frame))
        else:
            from PIL import Image

            try:
                Image.fromarray(frame).save(self._tmp / f"frame_{self.frames:06d}.png", compress_level=1)
            except OSError as e:
                raise OutputError(f"cannot write {self.path}: {os_message(e)}") from None
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it to the target path."""
        if self._done:
            return self.path
        try:
            if self.format != "png":
                if self.frames == 0:
                    raise ValueError(f"a {self.format.upper()} needs at least one frame")
                self._queue.put(None)
                self._thread.join()
                if self._error is not None:
                    raise OutputError(f"cannot write {self.path}: the video encoder failed ({self._error})"
                                      f"{self._ffmpeg_said()}")
                self._proc.stdin.close()
                status = self._proc.wait()
                if status or os.path.getsize(self._tmp) == 0:
                    raise OutputError(f"cannot write {self.path}: the video encoder failed (ffmpeg exit status "
                                      f"{status}; a full disk or a read-only folder?){self._ffmpeg_said()}")
                self._log.close()
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, (0o777 if self._tmp.is_dir() else 0o666) & ~umask)  # mkstemp/mkdtemp: 0600/0700
            # nothing at the target is ever deleted: a frame folder replaces only an empty folder (the
            # rename fails if anything appeared in it meanwhile); a file replaces only a regular file
            if self.format == "png":
                check_frame_folder(self.path, "out")
            else:
                check_target(self.path, OutputError, "out")
            os.replace(self._tmp, self.path)
        except OSError as e:
            self.abort()
            raise OutputError(f"cannot write {self.path}: {os_message(e)}") from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def abort(self) -> None:
        """Stop and delete the temporary output; the target path is left as it was."""
        if self._done:
            return
        self._done = True
        if self._thread is not None:
            self._error = self._error or RuntimeError("aborted")   # the encoder now drains without encoding
            self._queue.put(None)
            self._thread.join(timeout=30)
        if self._proc is not None:          # its output is thrown away: stop it now, do not let it finish
            self._proc.kill()
            self._proc.wait()
            try:
                self._proc.stdin.close()
            except BaseException:  # noqa: BLE001 (the pipe is broken once ffmpeg is gone)
                pass
        if self._log is not None:
            self._log.close()
        if self._tmp.is_dir():
            shutil.rmtree(self._tmp, ignore_errors=True)
        else:
            try:
                self._tmp.unlink()
            except FileNotFoundError:
                pass

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
