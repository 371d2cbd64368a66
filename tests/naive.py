"""Independent NumPy float32 evaluations of the spec's formulas, for testing the kernels.

Written from SPEC.md §2–3 alone, vectorised over arrays of points, in the operation order the
spec gives (no fused multiply-add, float32 throughout). Slow but obviously correct.
"""
import numpy as np

f32 = np.float32


def fract(x):
    return x - np.floor(x)


def hash13(p):
    """p: (..., 3) float32."""
    q = fract(p * f32(0.1031))
    x, y, z = q[..., 0], q[..., 1], q[..., 2]
    d = x * (y + f32(19.19)) + y * (z + f32(19.19)) + z * (x + f32(19.19))
    x, y, z = x + d, y + d, z + d
    return fract((x + y) * z)


def hash33(p):
    k = np.array([0.1031, 0.1030, 0.0973], dtype=np.float32)
    q = fract(p * k)
    x, y, z = q[..., 0], q[..., 1], q[..., 2]
    d = x * (y + f32(19.19)) + y * (x + f32(19.19)) + z * (z + f32(19.19))
    x, y, z = x + d, y + d, z + d
    return np.stack([fract((x + y) * z), fract((x + x) * y), fract((y + x) * x)], axis=-1)


def value_noise(p):
    i = np.floor(p)
    f = p - i
    f = f * f * (f32(3) - f32(2) * f)

    def h(dx, dy, dz):
        return hash13(i + np.array([dx, dy, dz], dtype=np.float32))

    def mix(a, b, t):
        return a + (b - a) * t

    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    lo = mix(mix(h(0, 0, 0), h(1, 0, 0), fx), mix(h(0, 1, 0), h(1, 1, 0), fx), fy)
    hi = mix(mix(h(0, 0, 1), h(1, 0, 1), fx), mix(h(0, 1, 1), h(1, 1, 1), fx), fy)
    return mix(lo, hi, fz)


# columns of A (spec §3)
C0 = np.array([0.0, 0.8, 0.6], dtype=np.float32)
C1 = np.array([-0.8, 0.36, -0.48], dtype=np.float32)
C2 = np.array([-0.6, -0.48, 0.64], dtype=np.float32)


def fbm(p):
    total = np.zeros(p.shape[:-1], dtype=np.float32)
    amp = f32(0.5)
    for _ in range(6):
        total = total + amp * value_noise(p)
        amp = amp * f32(0.5)
        p = f32(1.7) * (C0 * p[..., 0:1] + C1 * p[..., 1:2] + C2 * p[..., 2:3])
    return total


def craters(x):
    c = np.floor(x)
    f = x - c
    va = np.zeros(x.shape[:-1], dtype=np.float32)
    wt = np.zeros(x.shape[:-1], dtype=np.float32)
    for a in range(-2, 3):
        for b in range(-2, 3):
            for cc in range(-2, 3):
                g = np.array([a, b, cc], dtype=np.float32)
                o = hash33(c + g)
                r = f - g - f32(0.8) * o
                d = np.sqrt(r[..., 0] * r[..., 0] + r[..., 1] * r[..., 1] + r[..., 2] * r[..., 2])
                w = np.exp(f32(-4) * d)
                va = va + w * np.sin(f32(2 * np.pi) * np.sqrt(d))
                wt = wt + w
    return np.abs(va / wt)


def protoplanet_elevation(lat_deg, lon_deg):
    """Spec §3 at the given cell centres (degrees), seed 0."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    P = np.stack([np.sin(lon) * np.cos(lat), np.sin(lat), np.cos(lon) * np.cos(lat)], axis=-1).astype(np.float32)
    p = f32(1.5) * P
    detail = fbm(f32(10) * p)
    s = np.zeros(p.shape[:-1], dtype=np.float32)
    for i in range(5):
        w = f32(min(3 * 0.4 ** i, 1.0))
        c = craters(f32(0.4 * 2.2 ** i) * p)
        s = s + w * (c + f32(0.4) * np.exp(f32(-3) * c) * detail)
    return np.clip(f32(15) - f32(3.5) * (s * s * s), f32(0), f32(15))
