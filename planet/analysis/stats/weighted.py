"""Weighted helpers (plain NumPy, float64): area-weighted means, quantiles and moments, and
power-law fits in log10–log10 space."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planet.analysis.stats.registry import EXCEEDANCE_POINTS, NotComputable


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(np.sum(w))
    if total <= 0:
        raise NotComputable("empty selection")
    return float(np.sum(w * x) / total)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray | float:
    """Weighted quantile(s) ``q`` ∈ [0, 1] of ``x``: the value where the cumulative weight, counted to
    the middle of each sorted cell, reaches ``q`` (linear in between, clamped at the ends)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    w = np.asarray(w, dtype=np.float64).ravel()
    if x.size == 0 or np.sum(w) <= 0:
        raise NotComputable("empty selection")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    c = (np.cumsum(ws) - 0.5 * ws) / np.sum(ws)
    return np.interp(q, c, xs)


def weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation, skewness and excess kurtosis of ``x`` under weights ``w``."""
    m = weighted_mean(x, w)
    d = x - m
    var = weighted_mean(d * d, w)
    sd = math.sqrt(var)
    if sd <= 1e-12 * max(1.0, abs(m)):
        return m, sd, math.nan, math.nan
    return m, sd, weighted_mean(d**3, w) / sd**3, weighted_mean(d**4, w) / sd**4 - 3.0


@dataclass(frozen=True)
class Fit:
    """A least-squares line ``log10 y = slope · log10 x + intercept`` over ``x ∈ [lo, hi]``."""

    slope: float
    intercept: float
    r2: float
    lo: float
    hi: float
    n: int
    #: the exceedance fit's cutoff area ``a_c`` (``inf`` for a plain power law)
    cutoff: float = math.inf


def fit_power_law(x: np.ndarray, y: np.ndarray) -> Fit:
    """Fit ``y = 10^intercept · x^slope`` in log10–log10 space; R² of that linear fit."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    keep = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3:
        raise NotComputable(f"fewer than 3 points to fit ({x.size})")
    lx, ly = np.log10(x), np.log10(y)
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    if sxx <= 0:
        raise NotComputable("all points have the same x")
    slope = float(np.sum((lx - lx.mean()) * (ly - ly.mean())) / sxx)
    intercept = float(ly.mean() - slope * lx.mean())
    ss_res = float(np.sum((ly - (slope * lx + intercept)) ** 2))
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return Fit(slope, intercept, r2, float(x.min()), float(x.max()), int(x.size))


def exceedance_fit(values: np.ndarray, lo: float, hi: float, points: int = EXCEEDANCE_POINTS) -> Fit:
    """Fit the exceedance ``P(A ≥ a) = c a^(−β) exp(−a / a_c)`` of the sample ``values`` for ``a ∈ [lo, hi]``.

    ``P`` is the fraction of the sample with ``A ≥ a``, evaluated at ``points``
    log-spaced values of ``a`` (so each decade counts the same), and
    ``ln P = ln c − β ln a − a / a_c`` is fitted by linear least squares. The
    cutoff term is the finite-size bend of a river network: a network whose
    largest basin holds ``N`` cells bends away from its power law well below
    ``N``, so a plain power-law fit up to near ``N`` reads a much steeper
    slope (a Scheidegger network, β = 1/3 exactly, of 60 rows measures 1.2
    with a plain fit up to its 30th-largest area, 0.35 with this one). A fit
    that finds no bend (``1/a_c ≤ 0``) is redone as a plain power law
    (``cutoff = inf``). The returned ``Fit.slope`` is ``−β``, ``Fit.r2`` the R²
    of ``ln P``. Needs ``hi ≥ 10 lo`` (a decade of scaling).
    """
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size == 0:
        raise NotComputable("no values")
    if not (lo > 0 and hi >= 10 * lo):
        raise NotComputable(f"scaling range [{lo:.3g}, {hi:.3g}] is shorter than a decade")
    a = np.logspace(math.log10(lo), math.log10(hi), points)
    p = (v.size - np.searchsorted(v, a, side="left")) / v.size
    if not np.all(p > 0):
        raise NotComputable(f"no value reaches {hi:.3g}")
    lp = np.log(p)
    columns = [np.ones_like(a), np.log(a), a]
    coef = np.linalg.lstsq(np.stack(columns, axis=1), lp, rcond=None)[0]
    if coef[2] >= 0:                                  # no bend: a plain power law
        columns = columns[:2]
        coef = np.linalg.lstsq(np.stack(columns, axis=1), lp, rcond=None)[0]
    model = np.stack(columns, axis=1) @ coef
    ss_tot = float(np.sum((lp - lp.mean()) ** 2))
    r2 = 1.0 - float(np.sum((lp - model) ** 2)) / ss_tot if ss_tot > 0 else 1.0
    cutoff = -1.0 / float(coef[2]) if len(coef) == 3 else math.inf
    return Fit(float(coef[1]), float(coef[0] / math.log(10)), r2, float(a[0]), float(a[-1]), points, cutoff)
