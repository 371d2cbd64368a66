"""The plate table of an epoch: each plate's seed point, Euler pole and angular speed, pure
functions of (seed, epoch, plate); rotation matrices and the epochs' step arithmetic."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from planet.core.noise import uniform

f32 = np.float32
SLOTS = 16                # the most plates an epoch can have
WARP_FREQUENCY = 2.5      # of the noise that warps the plates' territories
STREAM_TABLE = 20         # per-epoch plate table draws
_HALF_PI = 0.5 * math.pi
_TWO_PI = 2.0 * math.pi


def _u(seed, epoch, key):
    return uniform(np.int64(seed), np.int64(STREAM_TABLE), np.int64(epoch), np.int64(key))


def _unit_vector(u1, u2):
    """A point uniform on the sphere (by area) from two uniforms."""
    y = 2.0 * u1 - 1.0
    r = math.sqrt(max(0.0, 1.0 - y * y))
    phi = _TWO_PI * u2
    return np.array([r * math.sin(phi), y, r * math.cos(phi)])


class PlateTable:
    """The plates of one epoch of one seed (pure function of seed, epoch and the configuration)."""

    def __init__(self, seed: int, epoch: int, plates_min: int, plates_max: int, speed_min: float,
                 speed_max: float, warp: float):
        n = plates_min + int(_u(seed, epoch, 0) * (plates_max - plates_min + 1))
        n = min(max(n, plates_min), plates_max)
        order = np.argsort([_u(seed, epoch, 1 + s) for s in range(SLOTS)], kind="stable")
        slots = np.sort(order[:n])
        self.ids = ((slots + 0.5) / SLOTS).astype(np.float32)
        self.centres = np.empty((n, 3))
        self.weights = np.empty(n)
        self.poles = np.empty((n, 3))
        self.omega = np.empty(n)           # radians per film second
        self.density = np.empty(n)
        for k in range(n):
            base = 100 + 10 * k
            self.centres[k] = _unit_vector(_u(seed, epoch, base), _u(seed, epoch, base + 1))
            self.weights[k] = 0.7 + 0.6 * _u(seed, epoch, base + 2)
            self.poles[k] = _unit_vector(_u(seed, epoch, base + 3), _u(seed, epoch, base + 4))
            speed = speed_min + (speed_max - speed_min) * _u(seed, epoch, base + 5)
            sign = 1.0 if _u(seed, epoch, base + 6) < 0.5 else -1.0
            self.omega[k] = math.radians(sign * speed)
            self.density[k] = _u(seed, epoch, base + 7)
        self.warp = float(warp)
        self.offsets = np.array([[200.0 * _u(seed, epoch, 300 + 3 * a + b) - 100.0 for b in range(3)]
                                 for a in range(3)], dtype=np.float32)

    @property
    def n(self) -> int:
        return len(self.ids)

    def rotations(self, angle_scale: float) -> np.ndarray:
        """``(n, 3, 3)`` rotation matrices ``R_k(ω_k · angle_scale)`` (Rodrigues' formula)."""
        out = np.empty((self.n, 3, 3))
        for k in range(self.n):
            out[k] = rotation_matrix(self.poles[k], self.omega[k] * angle_scale)
        return out


@njit(cache=True, nogil=True, inline="always")
def _index_of(q, ids):
    """The index in the table's ``ids`` of plate id ``q`` (-1: no plate of the table)."""
    for k in range(ids.size):
        if ids[k] == q:
            return k
    return -1


@njit(cache=True, nogil=True)
def _velocity(k, px, py, pz, poles, omega):
    """``v_k(p) = ω_k e_k × p``."""
    ex, ey, ez = poles[k, 0], poles[k, 1], poles[k, 2]
    w = omega[k]
    return w * (ey * pz - ez * py), w * (ez * px - ex * pz), w * (ex * py - ey * px)


def rotation_matrix(axis, angle: float) -> np.ndarray:
    """``R = I + sin θ K + (1 − cos θ) K²`` for the unit ``axis`` (right-handed: counter-clockwise
    seen from the tip of the axis)."""
    x, y, z = axis
    K = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * K + (1.0 - math.cos(angle)) * (K @ K)


def epoch_of(step: int, period: int) -> int:
    return step // period


def epoch_start_step(epoch: int, period: int, replate_steps: int, first_step: int) -> int:
    """The step at which epoch ``epoch``'s plates are seeded (their rotation angle is 0 there)."""
    return max(epoch * period + replate_steps, first_step)
