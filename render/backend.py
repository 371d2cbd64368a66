"""The backends' shared interface and the choice between them.

A backend draws one frame from a packed field stack (``scene.pack_fields``):

    backend.frame(stack, P, view, second, overlay_view, overlay, Q, size) -> uint8 (h, w, 3)

``view`` is drawn into the cell colours ``A``; ``second`` (a view id, or −1)
into ``B`` (the view wiped in from the left, or the night side of the
globe); ``overlay_view`` is blended over ``A`` cell by cell at opacity
``overlay``; ``Q`` are the projection parameters (``scene.projection_params``).
"""
from __future__ import annotations

import numpy as np

from . import cpu

BACKENDS = ("auto", "cpu", "gpu")


class CPUBackend:
    """Numba kernels (``render/cpu.py``), parallel over rows."""

    name = "cpu"

    def __init__(self):
        self._buffers: dict = {}

    def _buffer(self, key, shape, dtype):
        buf = self._buffers.get(key)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape, dtype=dtype)
            self._buffers[key] = buf
        return buf

    def frame(self, stack, P, view, second, overlay_view, overlay, Q, size):
        H, W = stack.shape[1:]
        A = self._buffer("A", (H, W, 3), np.float32)
        cpu.cell_colours(stack, np.int64(view), np.int64(max(overlay_view, 0)), np.float32(overlay), P, A)
        if second >= 0:
            B = self._buffer("B", (H, W, 3), np.float32)
            cpu.cell_colours(stack, np.int64(second), np.int64(0), np.float32(0.0), P, B)
        else:
            B = A
        w, h = size
        out = np.empty((h, w, 3), dtype=np.uint8)
        cpu.project(A, B, Q, out)
        return out


_CPU = None
_GPU_FAILED: str | None = None


def get_backend(name: str = "auto"):
    """The backend called ``name``: ``"cpu"``, ``"gpu"``, or ``"auto"`` (the GPU if a context can be made)."""
    global _CPU, _GPU_FAILED
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if name in ("gpu", "auto"):
        if name == "auto" and _GPU_FAILED is not None:
            pass
        else:
            try:
                from .gpu import GPUBackend

                return GPUBackend.shared()
            except Exception as e:  # no GL context here: auto falls back, gpu says why
                _GPU_FAILED = f"{type(e).__name__}: {e}"
                if name == "gpu":
                    raise RuntimeError(f"backend 'gpu' is not available: {_GPU_FAILED}") from None
    if _CPU is None:
        _CPU = CPUBackend()
    return _CPU
