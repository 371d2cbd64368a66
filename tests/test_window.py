"""The plate rule's window (``lithosphere.window``) against brute force, and the markers' search
reach over several rows (``window.rows_reach``, ``window.reach``)."""
import math

import numpy as np
import pytest

from planet.core.grid import neighbour
from planet.processes.lithosphere import window
from planet.processes.lithosphere.window import row_runs, uniform


def _maps(seed, H=12, W=20, plates=3):
    rng = np.random.default_rng(seed)
    q = rng.integers(0, plates, size=(H, W)).astype(np.float32)
    # long runs too: rows of one plate, rows of two halves, a run across the wrap
    q[1, :] = 2
    q[2, :] = 0
    q[2, 3:9] = 1
    q[3, :] = 1
    q[3, 5:W - 4] = 0
    return q


@pytest.mark.parametrize("seed", range(5))
def test_run_lengths_count_the_cells_of_the_plate_each_way_around_the_wrap(seed):
    q = _maps(seed)
    H, W = q.shape
    west = np.full((H, W), -7, np.int32)
    east = np.full((H, W), -7, np.int32)
    for j in range(H):
        row_runs(q, j, west, east)
    for j in range(H):
        for i in range(W):
            n = 0
            while n < W and q[j, (i - n - 1) % W] == q[j, i]:
                n += 1
            assert west[j, i] == n, (j, i)
            n = 0
            while n < W and q[j, (i + n + 1) % W] == q[j, i]:
                n += 1
            assert east[j, i] == n, (j, i)


@pytest.mark.parametrize("rows", [1, 2])
@pytest.mark.parametrize("seed", range(4))
def test_a_window_is_uniform_exactly_when_every_cell_in_it_holds_the_plate(seed, rows):
    rng = np.random.default_rng(seed)
    H, W = 12, 20
    q = np.where(rng.random((H, W)) < 0.93, 1, 2).astype(np.float32)     # mostly one plate
    west = np.empty((H, W), np.int32)
    east = np.empty((H, W), np.int32)
    for j in range(H):
        row_runs(q, j, west, east)
    seen = {True: 0, False: 0}
    for m in (1, 2, 3):
        for j in range(H):
            for i in range(W):
                qc = q[j, i]
                want = j - rows >= 0 and j + rows < H and all(
                    q[jj, (i + di) % W] == qc for jj in range(j - rows, j + rows + 1) for di in range(-m, m + 1))
                got = uniform(q, west, east, qc, j, i, m, rows)
                assert got == want, (m, j, i)
                seen[want] += 1
    assert seen[True] > 20 and seen[False] > 20          # both answers were exercised


def test_the_eight_neighbour_window_is_the_interior_test():
    from planet.processes.lithosphere.plates import _interior
    q = _maps(7)
    H, W = q.shape
    west = np.empty((H, W), np.int32)
    east = np.empty((H, W), np.int32)
    for j in range(H):
        row_runs(q, j, west, east)
    for j in range(1, H - 1):
        for i in range(W):
            assert uniform(q, west, east, q[j, i], j, i, 1, 1) == _interior(q, q[j, i], j, i), (j, i)


def test_the_rows_a_step_reaches_cover_its_length_in_cell_heights():
    H = 64
    h = math.pi / H
    assert window.rows_reach(H, 0.0) == 1
    assert window.rows_reach(H, 0.99 * h) == 1
    assert window.rows_reach(H, 1.01 * h) == 2
    assert window.rows_reach(H, 2.5 * h) == 3
    assert window.rows_reach(H, 1e9) == H - 1


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_the_column_reach_is_for_the_narrowest_row_in_the_window(rows):
    H, W = 16, 32
    width = window.widths(H, W)
    step = 0.3
    m = window.reach(width, W, step, rows)
    for j in range(H):
        narrowest = min(width[jj] for jj in range(max(j - rows, 0), min(j + rows, H - 1) + 1))
        assert m[j] == min(1 + math.ceil(step / narrowest), W // 2), j


def test_rows_across_a_pole_are_reflected_as_the_grid_reflects_its_neighbours():
    # the markers' search reaches rows beyond a pole through the samplers' reflection
    from planet.processes.sampling import _reflect

    def _across(j, i, dj, di, H, W):
        return _reflect(j + dj, i + di, H, W)
    H, W = 8, 16
    for j in (0, 1, H - 2, H - 1):
        for i in range(W):
            for di in (-2, 0, 3):
                for dj in (-1, 0, 1):
                    assert _across(j, i, dj, di, H, W) == neighbour(j, i, dj, di, H, W)
    # two rows beyond the north pole: row 1, half a turn round
    assert _across(0, 3, -2, 0, H, W) == (1, 3 + W // 2)
    assert _across(H - 1, 12, 3, 0, H, W) == (H - 3, (12 + W // 2) % W)


def test_the_runs_pass_fills_exactly_the_rows_a_wide_window_reads():
    from planet.processes.lithosphere.window import runs
    q = _maps(3, H=16)
    H, W = q.shape
    reach_rows = np.full(H, 2, np.int64)
    reach_rows[0] = reach_rows[H - 1] = 4          # polar rows: their windows read rows 0-1 and H-2 - H-1
    west = np.full((H, W), -7, np.int32)
    east = np.full((H, W), -7, np.int32)
    runs(q, reach_rows, 1, west, east)
    want_w = np.full((H, W), -7, np.int32)
    want_e = np.full((H, W), -7, np.int32)
    for j in (0, 1, H - 2, H - 1):
        row_runs(q, j, want_w, want_e)
    assert np.array_equal(west, want_w) and np.array_equal(east, want_e)
    runs(q, reach_rows, 2, west, east)               # two rows: every row's window is wide
    for j in range(H):
        row_runs(q, j, want_w, want_e)
    assert np.array_equal(west, want_w) and np.array_equal(east, want_e)


def test_the_search_window_is_the_reach_of_the_fastest_plate():
    H, W = 32, 64
    width = window.widths(H, W)
    omega = np.array([0.01, -0.2, 0.05])
    m, rows = window.search(width, W, omega)
    assert rows == window.rows_reach(H, 0.2) == 3
    assert np.array_equal(m, window.reach(width, W, 0.2, 3))
