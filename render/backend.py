"""The backends' shared interface and the choice between them.

A backend draws one frame from the planes of the fields (``scene.pack_fields``: the state's own
arrays, not copies):

    backend.frame(F, P, view, second, overlay_view, overlay, Q, size) -> uint8 (h, w, 3)

``view`` is drawn into the cell colours ``A``; ``second`` (a view id, or −1)
into ``B`` (the view wiped in from the left, or the night side of the
globe); ``overlay_view`` is blended over ``A`` cell by cell at opacity
``overlay``; ``Q`` are the projection parameters (``scene.projection_params``).
"""
from __future__ import annotations

import numpy as np

from . import atmosphere, cpu, lights, projection
from .scene import (P_LIGHTS_SEED, Q_ATMOSPHERE, Q_GAMMA, Q_GEOMETRY, Q_K, Q_SUN_CAM_X, Q_SUN_CAM_Y, Q_SUN_CAM_Z,
                    as_planes)

BACKENDS = ("auto", "cpu", "gpu")


class CPUBackend:
    """Numba kernels (``render/cpu.py``, ``render/projection.py``, ``render/atmosphere.py``), parallel over rows."""

    name = "cpu"

    def __init__(self):
        self._buffers: dict = {}
        self._geometry_key = None      # the pixel geometry depends on size, morph, camera latitude and ``_air`` only
        self._lut_gamma = None
        self._lut = None
        self._atm_key = None           # the sun the atmosphere table was made for (``atmosphere.table_key``)
        self._sites_key = None         # the light sites' places depend on the seed and the grid only
        self._sites = None

    def _buffer(self, key, shape, dtype):
        buf = self._buffers.get(key)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape, dtype=dtype)
            self._buffers[key] = buf
        return buf

    def frame(self, F, P, view, second, overlay_view, overlay, Q, size):
        F = as_planes(F)
        H, W = F[0].shape
        A = self._buffer("A", (H, W, 4), np.float32)
        cpu.cell_colours(F, np.int64(view), np.int64(max(overlay_view, 0)), np.float32(overlay), P,
                         cpu.cell_visibility(Q, W), A)
        if second >= 0:
            B = self._buffer("B", (H, W, 4), np.float32)
            cpu.cell_colours(F, np.int64(second), np.int64(0), np.float32(0.0), P,
                             cpu.cell_visibility(Q, W, night_side=True), B)
        else:
            B = A
        w, h = size
        air = bool(self._air(Q))
        key = (w, h, air) + tuple(float(v) for v in Q[Q_GEOMETRY])
        if self._geometry_key != key:
            G = self._buffer("G", (len(projection.GEOMETRY), h, w), np.float32)
            projection.geometry(Q, G, air)
            projection.spans(G, self._buffer("S", (h, 2), np.int64))
            self._geometry_key = key
        if self._lut_gamma != float(Q[Q_GAMMA]):
            self._lut = projection.gamma_table(float(Q[Q_GAMMA]))
            self._lut_gamma = float(Q[Q_GAMMA])
        T = self._atmosphere(Q)
        seed = np.float32(P[P_LIGHTS_SEED])
        if self._sites_key != (float(seed), H, W):
            self._sites = lights.site_places(seed, H, W)
            self._sites_key = (float(seed), H, W)
        out = np.empty((h, w, 3), dtype=np.uint8)
        projection.project_spans(A, B, self._buffers["G"], Q, self._lut, T, out, seed, self._buffers["S"],
                                 *self._sites)
        return out


    @staticmethod
    def _air(Q):
        """Whether the projection of ``Q`` draws the atmosphere: it is on and the morph ``k`` is past
        0.85, below which ``project_spans``' weight ``smoothstep(0.85, 1, k)`` is 0."""
        return Q[Q_ATMOSPHERE] > 0 and Q[Q_K] > np.float32(0.85)

    def _atmosphere(self, Q):
        """The atmosphere table ``T`` for ``Q``, made only when the projection reads it (``_air``)
        and its sun (``atmosphere.table_key``) has changed."""
        T = self._buffer("T", (2, atmosphere.ATM_ROWS, atmosphere.ATM_ANGLES, 6), np.float32)
        if self._air(Q):
            key = atmosphere.table_key(Q[Q_SUN_CAM_X], Q[Q_SUN_CAM_Y], Q[Q_SUN_CAM_Z])
            if self._atm_key != key:
                atmosphere.atmosphere_table(Q[Q_SUN_CAM_X], Q[Q_SUN_CAM_Y], Q[Q_SUN_CAM_Z], T)
                self._atm_key = key
        return T


_CPU = None
_GPU_FAILED: str | None = None


SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software")


def get_backend(name: str = "auto"):
    """The backend called ``name``: ``"cpu"``, ``"gpu"``, or ``"auto"``.

    ``"auto"`` takes the GPU when a context can be made on a hardware GPU. Where the only OpenGL is
    a software rasteriser (Mesa's llvmpipe), the Numba backend draws the same pictures several
    times faster, so ``"auto"`` takes the CPU; ``"gpu"`` still forces the GL path there.
    """
    global _CPU, _GPU_FAILED
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if name == "gpu" or (name == "auto" and _GPU_FAILED is None):
        try:
            from .gpu import GPUBackend

            gpu = GPUBackend.shared()
        except Exception as e:  # no GL context here: auto falls back, gpu says why
            _GPU_FAILED = f"{type(e).__name__}: {e}"
            if name == "gpu":
                raise RuntimeError(f"backend 'gpu' is not available: {_GPU_FAILED}") from None
        else:
            if name == "gpu" or not any(s in gpu.info.lower() for s in SOFTWARE_RENDERERS):
                return gpu
    if _CPU is None:
        _CPU = CPUBackend()
    return _CPU
