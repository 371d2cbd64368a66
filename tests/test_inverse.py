"""The plates' write-back and inverse table (``plates._write_back_inverse``): after any sequence of
moves, with the plate count changing between epochs, the table's rows of the plates hold exactly
what its definition gives, and the crust goes back to the epoch-start cells as defined, on any
thread count and cut of the epoch-start cells into ranges."""
import numba
import numpy as np
import pytest

from planet.processes.lithosphere import plates

f32 = np.float32


def _expected(q0f, refp, ids, n):
    """``inv[:ids.size]`` by its definition, evaluated in NumPy: the first cell (in cell order) that
    holds plate ``k``'s crust of reference cell ``r``; -1 elsewhere."""
    inv = np.full((ids.size, n), -1, np.int32)
    k = np.searchsorted(ids, q0f)
    held = (refp >= 0) & (k < ids.size) & (ids[np.minimum(k, ids.size - 1)] == q0f)
    cells = np.flatnonzero(held)
    first = np.unique(k[cells].astype(np.int64) * n + refp[cells], return_index=True)
    inv.ravel()[first[0]] = cells[first[1]]
    return inv


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
@pytest.mark.parametrize("threads", sorted({1, numba.config.NUMBA_NUM_THREADS}))
def test_the_inverse_table_is_rebuilt_whole_after_each_move(threads, parts):
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        _moves(parts)
    finally:
        numba.set_num_threads(before)


def _moves(parts):
    rng = np.random.default_rng(4)
    n = 3000
    inv = np.empty((plates.SLOTS, n), np.int32)     # garbage at first, as the stage's buffer is
    for move in range(8):
        ids = np.sort(rng.choice(np.arange(1, 40) / f32(40), size=rng.integers(3, plates.SLOTS + 1),
                                 replace=False)).astype(f32)
        q0f = rng.choice(np.append(ids, f32(0.0)), size=n).astype(f32)     # 0: a cell of no plate
        refp = rng.integers(-1, n, size=n).astype(np.int32)
        refp[rng.random(n) < 0.3] = refp[0]                               # many cells on one reference
        fplate = rng.choice(ids, size=n).astype(f32)
        crust = rng.random(n).astype(f32)
        fcrust = rng.random(n).astype(f32)
        want_crust = fcrust.copy()
        for c in range(n):           # the write-back by its definition: the last cell in order writes
            if refp[c] >= 0 and q0f[c] in ids and fplate[refp[c]] == q0f[c]:
                want_crust[refp[c]] = crust[c]
        plates._write_back_inverse(q0f, refp, ids, fplate, crust, fcrust, inv, parts)
        np.testing.assert_array_equal(inv[:ids.size], _expected(q0f, refp, ids, n), err_msg=f"move {move}")
        np.testing.assert_array_equal(fcrust, want_crust)
