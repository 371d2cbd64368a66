"""Which cells no other plate can reach in one move: a window of one plate around the cell.

The plate rule (``plates._move``) tests every plate's rotated shape against a cell, unless no
other plate can reach it: a move carries crust at most ``m_j − 1`` columns east or west (``m_j``
= ``drift.reach``) and ``r`` rows north or south (``drift.rows_reach``), so when every cell of
the window ``rows j − r … j + r``, ``columns i − (m_j − 1) … i + (m_j − 1)`` holds the cell's
own plate, only that plate is tested. For ``m_j ≤ 2`` and ``r = 1`` the window is the cell's
eight neighbours (``plates._interior``); wider windows are answered from **run lengths**: for
each cell, how many cells in a row to its west (``west``) and to its east (``east``) hold its
plate, around the wrap (``W`` for a row that one plate holds whole). The window is uniform
exactly when, on each of its rows, the cell in column ``i`` holds the plate and its runs reach
``m_j − 1`` both ways. A window that crosses a pole is not tested (every plate is: the rows
there are few).
"""
from __future__ import annotations

from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def wide(reach_rows, rows, j):
    """Whether row ``j`` needs the window (a move may carry crust more than a cell into it) rather
    than the eight neighbours (``plates._interior``)."""
    return rows > 1 or reach_rows[j] > 2


@njit(cache=True, nogil=True, parallel=True)
def runs(q0, reach_rows, rows, west, east):
    """``row_runs`` of every row that a ``wide`` row's window reads (rows within ``rows`` of one);
    the other rows of ``west`` and ``east`` are left as they are."""
    H = q0.shape[0]
    for j in prange(H):
        for jj in range(max(j - rows, 0), min(j + rows, H - 1) + 1):
            if wide(reach_rows, rows, jj):
                row_runs(q0, j, west, east)
                break


@njit(cache=True, nogil=True)
def row_runs(q0, j, west, east):
    """``west[j, i]``, ``east[j, i]``: the number of cells west (east) of cell (j, i), in a row and
    around the wrap, that hold the plate ``q0[j, i]`` (``W`` where one plate holds the whole row)."""
    W = q0.shape[1]
    start = -1                      # a column where a run starts: its west neighbour differs
    for i in range(W):
        if q0[j, i] != q0[j, i - 1 if i > 0 else W - 1]:
            start = i
            break
    if start < 0:
        for i in range(W):
            west[j, i] = W
            east[j, i] = W
        return
    n = 0
    for k in range(W):              # eastwards from the start of a run
        i = start + k
        if i >= W:
            i -= W
        if k > 0:
            p = i - 1 if i > 0 else W - 1
            n = n + 1 if q0[j, i] == q0[j, p] else 0
        west[j, i] = n
    n = 0
    for k in range(W):              # westwards from the end of a run (the column before ``start``)
        i = start - 1 - k
        if i < 0:
            i += W
        if k > 0:
            e = i + 1 if i < W - 1 else 0
            n = n + 1 if q0[j, i] == q0[j, e] else 0
        east[j, i] = n


@njit(cache=True, nogil=True, inline="always")
def uniform(q0, west, east, qc, j, i, m, rows):
    """Whether every cell of rows ``j ± rows``, columns ``i ± m`` holds plate ``qc`` (``west``,
    ``east``: ``row_runs`` of those rows); False where the window crosses a pole."""
    H = q0.shape[0]
    if j - rows < 0 or j + rows >= H:
        return False
    for jj in range(j - rows, j + rows + 1):
        if q0[jj, i] != qc or west[jj, i] < m or east[jj, i] < m:
            return False
    return True
