"""Fields that stay exactly 0 for long stretches of the story (the CO2 before anyone emits, the
humans before they appear): telling that they are 0 cheaply, and returning the same zeros again
instead of writing new ones every step."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def or_bits(bits):
    """The OR of every element of ``bits`` (a flat unsigned view of a float array): 0 exactly when
    every value is +0. Callable from other kernels."""
    acc = 0
    for i in range(bits.size):          # one OR over every value's bits: a loop that vectorises
        acc |= bits[i]
    return acc


def zero_bits(a):
    """``(any, all_plus_zero)`` of a float32 array: whether any value is nonzero (as ``a.any()``: NaN counts,
    −0 does not), and whether every value is +0 (every bit clear), from one OR over the bits (a third of
    ``a.any()``'s time)."""
    acc = or_bits(np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).ravel())
    return bool(acc & 0x7FFFFFFF), acc == 0


class KeptZeros:
    """The zeros a stage returns for a field it knows is 0 everywhere: the array it returned last time
    when ``field`` is that array and still +0 everywhere (nobody wrote into it), else a new one."""

    def __init__(self):
        self._last = None

    def __call__(self, field, plus_zero: bool, shape) -> np.ndarray:
        out = field if field is self._last and plus_zero else np.zeros(shape, np.float32)
        self._last = out
        return out
