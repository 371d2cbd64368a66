"""Which cells no other plate can reach in one move: a window of one plate around the cell.

The plate rule (``plates._move``) tests every plate's rotated shape against a cell, unless no
other plate can reach it: a move carries crust at most ``m_j − 1`` columns east or west (``m_j``
= ``reach``) and ``r`` rows north or south (``rows_reach``), so when every cell of
the window ``rows j − r … j + r``, ``columns i − (m_j − 1) … i + (m_j − 1)`` holds the cell's
own plate, only that plate is tested. For ``m_j ≤ 2`` and ``r = 1`` the window is the cell's
eight neighbours (``plates._interior``); wider windows are answered from **run lengths**: for
each cell, how many cells in a row to its west (``west``) and to its east (``east``) hold its
plate, around the wrap (``W`` for a row that one plate holds whole). The window is uniform
exactly when, on each of its rows, the cell in column ``i`` holds the plate and its runs reach
``m_j − 1`` both ways. A window that crosses a pole is not tested (every plate is: the rows
there are few).

The same ``reach`` and ``rows_reach`` bound the search of the markers that carry a plate's content
(``drift``, rule 2): every marker a move can bring into a cell lies within that window.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


def widths(H: int, W: int) -> np.ndarray:
    """``w_j``: each row's cell width in radians of arc (float64)."""
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    return 2.0 * math.pi * np.cos(lat) / W


def rows_reach(H: int, step_max: float) -> int:
    """``r`` of rule 2: rows each side that hold every marker a step of at most ``step_max``
    radians can bring into a cell (cells are ``π / H`` high; at least 1, at most ``H − 1``)."""
    return int(min(max(1, math.ceil(step_max * H / math.pi)), max(H - 1, 1)))


def reach(width: np.ndarray, W: int, step_max: float, rows: int = 1) -> np.ndarray:
    """``m_j`` of rule 2 (int64, per row of ``width``, the ``widths`` of a grid of ``W`` columns):
    columns each side that hold every marker a step of at most ``step_max`` radians can bring into
    a cell of row ``j``, for the narrowest of rows ``j − rows … j + rows`` (at most ``W / 2``)."""
    H = width.size
    narrowest = np.array([width[max(j - rows, 0):min(j + rows, H - 1) + 1].min() for j in range(H)])
    return np.minimum(1 + np.ceil(step_max / narrowest), max(W // 2, 1)).astype(np.int64)


def search(width: np.ndarray, W: int, omega: np.ndarray) -> tuple[np.ndarray, int]:
    """Rule 2's search window for plates turning by ``omega`` radians per step on a grid of
    ``W`` columns with row widths ``width``: ``(reach(...), rows_reach(...))``, columns per row
    and rows, for the fastest plate."""
    step_max = float(np.abs(omega).max(initial=0.0))
    rows = rows_reach(width.size, step_max)
    return reach(width, W, step_max, rows), rows


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
