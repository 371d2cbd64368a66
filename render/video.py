"""Writing frames: MP4 (H.264, yuv420p), GIF or a folder of PNGs, atomically.

``VideoWriter`` writes to a temporary file (or folder) next to the target and
renames it into place only when ``close()`` is reached after the last frame;
an error or an interrupt (``abort()``, or leaving the ``with`` block by an
exception) deletes the temporary output, so the target path never holds a
broken video. MP4 frames are encoded by ffmpeg (imageio-ffmpeg) fed from a
background thread, so encoding overlaps the simulation and rendering.
Every frame given is written: nothing is dropped or duplicated by wall clock.
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

FORMATS = ("mp4", "gif", "png")
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


def output_format(path) -> str:
    """``mp4`` for .mp4, ``gif`` for .gif, ``png`` (a folder of frames) for a path without a suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".mp4":
        return "mp4"
    if suffix == ".gif":
        return "gif"
    if suffix == "":
        return "png"
    raise ValueError(f"out must end in .mp4 or .gif, or be a folder name without a suffix (PNG frames); got {str(path)!r}")


def check_output(path, option: str = "out") -> Path:
    """Validate ``path`` as a film output before any work (``planet.files``' policy): a .mp4 or .gif file
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
        self._gif: list = []
        self._queue: queue.Queue | None = None
        self._gen = None
        self._proc = None
        self._thread: threading.Thread | None = None
        if self.format == "mp4":
            try:
                self._start_encoder(preset)
            except BaseException:   # also Ctrl-C / SIGTERM while ffmpeg starts: leave nothing behind
                self.abort()
                raise

    def _start_encoder(self, preset: str) -> None:
        import imageio_ffmpeg

        w, h = self.size
        self._gen = imageio_ffmpeg.write_frames(
            str(self._tmp), (w, h), fps=self.fps, codec="libx264", quality=self.quality,
            pix_fmt_in="rgb24", pix_fmt_out="yuv420p", macro_block_size=2,
            ffmpeg_log_level="error", output_params=["-preset", preset, "-movflags", "+faststart"])
        self._gen.send(None)
        # imageio-ffmpeg does not look at ffmpeg's exit status (a full disk gives a 0-byte video and no
        # error): keep the process, suspended in the generator's frame, to check it after closing
        frame = getattr(self._gen, "gi_frame", None)
        self._proc = frame.f_locals.get("p") if frame is not None else None
        self._queue = queue.Queue(maxsize=8)
        thread = threading.Thread(target=self._encode, name="planet-video-encoder", daemon=True)
        thread.start()
        self._thread = thread

    # -- background encoder --------------------------------------------------
    def _encode(self):
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._error is None:
                try:
                    self._gen.send(frame)
                except BaseException as e:  # noqa: BLE001 (reported by write/close)
                    self._error = e

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB uint8 frame of shape (height, width, 3)."""
        if self._done:
            raise RuntimeError("video writer is closed")
        w, h = self.size
        if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 of shape {(h, w, 3)}, got {frame.dtype} {frame.shape}")
        if self._error is not None:
            raise OutputError(f"cannot write {self.path}: the video encoder failed ({self._error})")
        if self.format == "mp4":
            self._queue.put(np.ascontiguousarray(frame))
        elif self.format == "gif":
            self._gif.append(frame.copy())
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
            if self.format == "mp4":
                self._queue.put(None)
                self._thread.join()
                if self._error is not None:
                    raise OutputError(f"cannot write {self.path}: the video encoder failed ({self._error})")
                self._gen.close()
                status = getattr(self._proc, "returncode", 0)
                if status or os.path.getsize(self._tmp) == 0:
                    raise OutputError(f"cannot write {self.path}: the video encoder failed (ffmpeg exit status "
                                      f"{status}; a full disk or a read-only folder?)")
            elif self.format == "gif":
                from PIL import Image

                if not self._gif:
                    raise ValueError("a GIF needs at least one frame")
                ims = [Image.fromarray(f) for f in self._gif]
                ims[0].save(self._tmp, format="GIF", save_all=True, append_images=ims[1:],
                            duration=round(1000 / self.fps), loop=0)
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
        if self._gen is not None:
            try:
                self._gen.close()
            except BaseException:  # noqa: BLE001 (ffmpeg may already be gone)
                pass
        self._gif.clear()
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
