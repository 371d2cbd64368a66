"""Fields that stay exactly 0 for long stretches of the story (the CO2 before anyone emits, the
humans before they appear): telling that they are 0 cheaply, and returning the same zeros again
instead of writing new ones every step."""
from __future__ import annotations

import numpy as np
from numba import njit

#: values of the decaying fields (vapour, rain, trails, soil moisture) below this are written as +0.
#: Decays that shrink a value step after step (the vapour's rain-out and sinks, a trail's fading, the
#: soil drying) otherwise take it through the subnormal floats (below 1.2e-38), and each operation on
#: one costs an x86 core about a hundred cycles: in a real world at 1024 columns (t = 90 s) 1.2 % of
#: the vapour and 2 % of the rain were subnormal, and the atmosphere stage took 4.5 ms a step instead
#: of 3.2–3.4 (bench/HISTORY.md). 1e-30 is far below any amount the model tells apart (vapour is 0 to 3,
#: trails 0 to 1, moisture 0 to 5), and far enough above the subnormals that a step's products of
#: values above it do not reach them. The kernels take it as a constant when they compile (``flushed`` is
#: inlined): a change here needs vapour.py, trails.py and life/kernel.py touched, or Numba keeps their
#: cached kernels.
ZERO_BELOW = np.float32(1e-30)


@njit(cache=True, nogil=True, inline="always")
def flushed(x):
    """``x``, or +0 where it is below ``ZERO_BELOW`` (a decaying field's value as it is written; NaN stays
    NaN). A select, so that the loops writing it still vectorise."""
    return np.float32(0.0) if x < ZERO_BELOW else x


#: values ORed between two looks at whether a nonzero value was met (``or_bits``)
OR_BLOCK = 4096


@njit(cache=True, nogil=True)
def or_bits(bits):
    """The OR of the elements of ``bits`` (a flat ``uint32`` view of a float32 array) up to the block of
    ``OR_BLOCK`` where the first nonzero value is: 0 exactly when every value is +0, with a bit below the
    sign set exactly when some value is nonzero (a field that is not 0 stops the look early). Callable
    from other kernels.

    The indices are unsigned: with signed ones (tested for wrapping around from the end on every access)
    the loop did not vectorise, and a +0 field of 512 × 256 cells took 61 µs on one core instead of 6."""
    acc = np.uint32(0)
    n = np.uint64(bits.size)
    block = np.uint64(OR_BLOCK)
    start = np.uint64(0)
    while start < n:
        end = min(start + block, n)
        for i in range(start, end):   # one OR over the values' bits: a loop that vectorises
            acc |= bits[i]
        if acc & np.uint32(0x7FFFFFFF):
            break
        start = end
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
