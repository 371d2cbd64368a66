"""``climate.blur.BlurMemo``: the blur of a field that changes a few rows at a time, redone only where
a changed row reaches, must be ``blur``'s result bit for bit, and must not touch what it returned."""
import numpy as np
import pytest

from planet.processes.climate.blur import BlurMemo, blur
from planet.processes.climate.coarse import climate_map


@pytest.mark.parametrize("rows, sigma", [(16, 6.0), (32, 6.0), (32, 25.0), (64, 3.0), (64, 0.0)])
def test_the_memo_gives_the_blur_of_every_field_in_a_sequence(rows, sigma):
    cm = climate_map(rows, 2 * rows)
    rng = np.random.default_rng(rows + int(sigma))
    field = rng.normal(size=cm.shape).astype(np.float32)
    memo = BlurMemo()
    returned = []
    # unchanged, one row, a pole row, a few rows, every row, a sign flip of zero (bits differ, value equal)
    for change in ([], [3], [0], [1, 5, rows // 2 - 1], list(range(cm.shape[0])), "zero", [cm.shape[0] - 1]):
        field = field.copy()
        if change == "zero":
            field[2, 4] = np.float32(0.0)
            got = memo(field, sigma, cm.cell_deg, cm.row_area)
            field = field.copy()
            field[2, 4] = np.float32(-0.0)
        else:
            for j in change:
                field[j] = rng.normal(size=cm.shape[1]).astype(np.float32)
        got = memo(field, sigma, cm.cell_deg, cm.row_area)
        want = blur(field, sigma, cm.cell_deg, cm.row_area)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), change
        returned.append((got, got.copy()))
    for got, kept in returned:                      # nothing it returned was written into afterwards
        assert np.array_equal(got.view(np.uint32), kept.view(np.uint32))


def test_another_sigma_or_map_starts_afresh():
    a, b = climate_map(16, 32), climate_map(32, 64)
    rng = np.random.default_rng(1)
    memo = BlurMemo()
    fa = rng.normal(size=a.shape).astype(np.float32)
    fb = rng.normal(size=b.shape).astype(np.float32)
    for f, cm, s in ((fa, a, 6.0), (fa, a, 9.0), (fb, b, 9.0), (fa, a, 9.0)):
        assert np.array_equal(memo(f, s, cm.cell_deg, cm.row_area), blur(f, s, cm.cell_deg, cm.row_area))


def test_the_memos_comparison_is_numpys_array_equal():
    """``memo._same`` (one pass, no temporary, stops at the first block that differs) answers as
    ``np.array_equal``: a change in the last cell or the first, NaN never equal, −0 equal to +0,
    another shape or dtype."""
    from planet.processes import memo
    rng = np.random.default_rng(3)
    a = rng.random((37, 301), dtype=np.float32)                       # not a whole number of blocks
    cases = [a.copy()]
    for flat in (0, a.size - 1, memo._BLOCK, memo._BLOCK - 1):
        b = a.copy()
        b.flat[flat] += np.float32(1.0)
        cases.append(b)
    z = np.zeros_like(a)
    cases += [np.where(a > 2, a, np.float32(np.nan)), a.astype(np.float64), a[:, :300].copy(), a.T.copy()]
    for b in cases:
        assert memo._same(a, b) == np.array_equal(a, b)
    assert memo._same(z, -z) and not memo._same(a * np.nan, a * np.nan)
    assert sum(memo._same(a, b) for b in cases) == 2          # the copy and the same values in float64
    # a grid of many blocks per part (the parts are compared in parallel): one changed cell anywhere,
    # at the first and last cell of a part's run of blocks too, is seen
    big = rng.random((300, 4096 + 7), dtype=np.float32)
    blocks = -(-big.size // memo._BLOCK)
    edges = [p * blocks // memo._PARTS * memo._BLOCK for p in range(memo._PARTS)]
    for flat in sorted({0, big.size - 1, *edges, *(e - 1 for e in edges[1:]), *rng.integers(0, big.size, 20)}):
        b = big.copy()
        b.flat[flat] = -b.flat[flat] - np.float32(1.0)
        assert not memo._same(big, b), flat
    assert memo._same(big, big.copy()) and memo._same(big[:0], big[:0].copy())
