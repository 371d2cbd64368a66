"""Deterministic randomness and noise (spec §2–3).

Two families:

* The reference's float32 "hash without sine" functions (``hash13``,
  ``hash12``, ``hash33``, ``hash32``, ``hash23``), value noise, fBM and the
  crater field. They are evaluated in float32 in exactly the operation order
  of the spec, because the hashes amplify rounding and the seed-0 terrain
  must reproduce the reference.
* ``uniform`` and ``plate_id``: a 64-bit integer mixer (the splitmix64
  finaliser) over (seed, stream, step, key). Used for every random *decision*
  of the model (plate seeding, neighbour choice, motion draws, settlement):
  unlike the float32 hashes it resolves probabilities down to 1e-16 and has
  no lattice artefacts. Each decision kind has its own ``STREAM_*`` number so
  draws never collide.

Every function is a pure function of its arguments: no state, no thread
dependence.
"""
from __future__ import annotations

import numpy as np
from numba import njit

f32 = np.float32
_K1 = f32(0.1031)
_K2 = f32(0.1030)
_K3 = f32(0.0973)
_ADD = f32(19.19)
_ONE = f32(1.0)
_TWO = f32(2.0)
_THREE = f32(3.0)


@njit(cache=True, nogil=True, inline="always")
def fract(x):
    return x - np.floor(x)


@njit(cache=True, nogil=True)
def hash13(px, py, pz):
    """float32 3-vector → float32 in [0, 1)."""
    qx = fract(px * _K1)
    qy = fract(py * _K1)
    qz = fract(pz * _K1)
    d = qx * (qy + _ADD) + qy * (qz + _ADD) + qz * (qx + _ADD)
    qx += d
    qy += d
    qz += d
    return fract((qx + qy) * qz)


@njit(cache=True, nogil=True)
def hash12(px, py):
    """float32 2-vector → float32 in [0, 1); ``hash13((p.x, p.y, p.x))``."""
    return hash13(px, py, px)


@njit(cache=True, nogil=True, inline="always")
def _hash33_tail(qx, qy, qz):
    d = qx * (qy + _ADD) + qy * (qx + _ADD) + qz * (qz + _ADD)
    qx += d
    qy += d
    qz += d
    return fract((qx + qy) * qz), fract((qx + qx) * qy), fract((qy + qx) * qx)


@njit(cache=True, nogil=True)
def hash33(px, py, pz):
    """float32 3-vector → three float32 in [0, 1)."""
    return _hash33_tail(fract(px * _K1), fract(py * _K2), fract(pz * _K3))


@njit(cache=True, nogil=True)
def hash32(px, py):
    """float32 2-vector → three float32 in [0, 1)."""
    return _hash33_tail(fract(px * _K1), fract(py * _K2), fract(px * _K3))


@njit(cache=True, nogil=True)
def hash23(px, py, pz):
    """float32 3-vector → two float32 in [0, 1)."""
    qx = fract(px * _K1)
    qy = fract(py * _K2)
    qz = fract(pz * _K3)
    d = qx * (qy + _ADD) + qy * (qz + _ADD) + qz * (qx + _ADD)
    qx += d
    qy += d
    qz += d
    return fract((qx + qy) * qz), fract((qx + qz) * qy)


@njit(cache=True, nogil=True, inline="always")
def _mix(a, b, t):
    return a + (b - a) * t


@njit(cache=True, nogil=True, inline="always")
def _lattice(px, py, pz):
    """The lattice cell ``(ix, iy, iz)`` below ``p`` and the smoothed weights ``f (3 − 2f) f`` within it."""
    ix = np.floor(px)
    iy = np.floor(py)
    iz = np.floor(pz)
    fx = px - ix
    fy = py - iy
    fz = pz - iz
    fx = fx * fx * (_THREE - _TWO * fx)
    fy = fy * fy * (_THREE - _TWO * fy)
    fz = fz * fz * (_THREE - _TWO * fz)
    return ix, iy, iz, fx, fy, fz


@njit(cache=True, nogil=True, inline="always")
def _corners(ix, iy, iz):
    """``hash13`` at the eight corners of lattice cell ``(ix, iy, iz)``, x fastest."""
    return (hash13(ix, iy, iz), hash13(ix + _ONE, iy, iz), hash13(ix, iy + _ONE, iz),
            hash13(ix + _ONE, iy + _ONE, iz), hash13(ix, iy, iz + _ONE), hash13(ix + _ONE, iy, iz + _ONE),
            hash13(ix, iy + _ONE, iz + _ONE), hash13(ix + _ONE, iy + _ONE, iz + _ONE))


@njit(cache=True, nogil=True, inline="always")
def _trilinear(a, b, c, d, e, f, g, h, fx, fy, fz):
    lo = _mix(_mix(a, b, fx), _mix(c, d, fx), fy)
    hi = _mix(_mix(e, f, fx), _mix(g, h, fx), fy)
    return _mix(lo, hi, fz)


@njit(cache=True, nogil=True)
def value_noise(px, py, pz):
    """Trilinear value noise of ``hash13`` at the integer lattice (float32)."""
    ix, iy, iz, fx, fy, fz = _lattice(px, py, pz)
    a, b, c, d, e, f, g, h = _corners(ix, iy, iz)
    return _trilinear(a, b, c, d, e, f, g, h, fx, fy, fz)


# fBM rotation: columns of A, and the scale 1.7 (spec §3).
_S = f32(1.7)
_A = np.array([[0.0, -0.8, -0.6],
               [0.8, 0.36, -0.48],
               [0.6, -0.48, 0.64]], dtype=np.float32)  # rows of A (A's columns are c0, c1, c2)


@njit(cache=True, nogil=True, inline="always")
def _rotate(px, py, pz):
    """``M p = 1.7 (c0 p.x + c1 p.y + c2 p.z)``: the next octave's point."""
    return (_S * (_A[0, 0] * px + _A[0, 1] * py + _A[0, 2] * pz),
            _S * (_A[1, 0] * px + _A[1, 1] * py + _A[1, 2] * pz),
            _S * (_A[2, 0] * px + _A[2, 1] * py + _A[2, 2] * pz))


@njit(cache=True, nogil=True)
def fbm(px, py, pz):
    """Six octaves of value noise, amplitudes 1/2 … 1/64, ``p ← 1.7 A p`` between octaves."""
    total = f32(0.0)
    amp = f32(0.5)
    for _ in range(6):
        total += amp * value_noise(px, py, pz)
        amp *= f32(0.5)
        px, py, pz = _rotate(px, py, pz)
    return total


@njit(cache=True, nogil=True)
def fbm_row(px, py, pz, out):
    """``out[i] = fbm(px[i], py[i], pz[i])``, bit for bit, for a row of points, one octave at a time over the
    whole row: each octave's loop over the points (lattice cell, its eight corner hashes, the blend, the
    rotation to the next octave) has no branches and vectorises. The vapour's noise slice at 512 columns
    (128 × 256 points) took 2.6–3.3 ms on one thread point by point, even reusing the hashes of the lattice
    cell the point before was in, and 0.72–0.96 ms so. (``value_noise`` spelled out: called per point it is
    not inlined, and the loop took 5 ms.)"""
    n = px.shape[0]
    x = px.copy()
    y = py.copy()
    z = pz.copy()
    for i in range(n):
        out[i] = f32(0.0)
    amp = f32(0.5)
    for _ in range(6):
        for i in range(n):
            ix, iy, iz, fx, fy, fz = _lattice(x[i], y[i], z[i])
            a, b, c, d, e, f, g, h = _corners(ix, iy, iz)
            out[i] += amp * _trilinear(a, b, c, d, e, f, g, h, fx, fy, fz)
            x[i], y[i], z[i] = _rotate(x[i], y[i], z[i])
        amp *= f32(0.5)


_TWO_PI = f32(2.0 * np.pi)


@njit(cache=True, nogil=True)
def craters(px, py, pz):
    """Crater field ``C(x) = |Σ w sin(2π√d) / Σ w|`` over the 5³ neighbouring lattice cells."""
    cx = np.floor(px)
    cy = np.floor(py)
    cz = np.floor(pz)
    fx = px - cx
    fy = py - cy
    fz = pz - cz
    va = f32(0.0)
    wt = f32(0.0)
    for a in range(-2, 3):
        gx = f32(a)
        for b in range(-2, 3):
            gy = f32(b)
            for c in range(-2, 3):
                gz = f32(c)
                ox, oy, oz = hash33(cx + gx, cy + gy, cz + gz)
                dx = fx - gx - f32(0.8) * ox
                dy = fy - gy - f32(0.8) * oy
                dz = fz - gz - f32(0.8) * oz
                d = np.sqrt(dx * dx + dy * dy + dz * dz)
                w = np.exp(f32(-4.0) * d)
                va += w * np.sin(_TWO_PI * np.sqrt(d))
                wt += w
    return abs(va / wt)


# ---------------------------------------------------------------------------
# Integer-hash randomness for model decisions.

STREAM_BASIN = 1      # initial / rift basin colours
STREAM_PLATE_SEED = 2  # does a plateless cell seed a plate?
STREAM_PLATE_ID = 3    # the id of a new plate
STREAM_AGGREGATE = 4   # which neighbour a plateless cell copies
STREAM_MOTION = 5      # does a plate move this step, and along which axis?
STREAM_SETTLE = 7      # humans settle a cell
STREAM_SPREAD = 8      # which neighbour a cell looks at for settlers
STREAM_PARTICLE = 9    # wind particles
STREAM_LIGHTS = 10     # city-light flicker
STREAM_SEED_OFFSET = 11  # the protoplanet's noise-domain offset

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S40 = np.uint64(40)


@njit(cache=True, nogil=True, inline="always")
def _splitmix(x):
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, nogil=True)
def random_bits(seed, stream, step, key):
    """64 well-mixed bits from four integers (seed, stream, step, key ≥ -2**62)."""
    h = _splitmix(np.uint64(seed) * _GOLD + np.uint64(stream))
    h = _splitmix(h ^ (np.uint64(step + (1 << 62)) * _GOLD))
    return _splitmix(h ^ (np.uint64(key + (1 << 62)) * _M1))


@njit(cache=True, nogil=True)
def uniform(seed, stream, step, key):
    """A float64 uniform in [0, 1), a pure function of its four integer arguments."""
    return np.float64(random_bits(seed, stream, step, key) >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def unit24(seed, stream, step, key):
    """A float32 in [0, 1) with 24 random bits (exactly representable, never rounds up to 1)."""
    bits = random_bits(seed, stream, step, key) >> _S40
    return np.float32(np.float64(bits) * (1.0 / 16777216.0))


@njit(cache=True, nogil=True)
def plate_id(seed, step, key):
    """A new plate id: ``unit24`` on the plate-id stream."""
    return unit24(seed, STREAM_PLATE_ID, step, key)


@njit(cache=True, nogil=True, inline="always")
def plate_key(q):
    """An integer key for a plate id (``-1`` → ``-1``, else ``q · 2^24``), for per-plate draws."""
    if q < 0:
        return np.int64(-1)
    return np.int64(q * np.float32(16777216.0))


def seed_offset(seed: int) -> np.ndarray:
    """The noise-domain offset of a seed: zero for seed 0 (the reference protoplanet).

    Other seeds shift the domain by a vector of length 0.6–1.0 in a uniformly random
    direction. Why so small: the reference hash is structured near the lattice origin
    (``hash33(0) = 0``), which gives seed 0 its share of deep crater floors (≈ 40 % of the
    sphere below the first sea level). Offsets far from the origin give drier, higher worlds
    (≈ 20 %); offsets of length 0.6–1.0 give worlds uncorrelated with seed 0's (r ≈ 0.1)
    with the same character (≈ 35 % ± 3 %).
    """
    if seed == 0:
        return np.zeros(3, dtype=np.float32)
    u = np.array([uniform(seed, STREAM_SEED_OFFSET, 0, k) for k in range(4)])
    z = 2.0 * u[0] - 1.0
    phi = 2.0 * np.pi * u[1]
    r = np.sqrt(max(0.0, 1.0 - z * z))
    direction = np.array([r * np.cos(phi), r * np.sin(phi), z])
    return (direction * (0.6 + 0.4 * u[2])).astype(np.float32)
