"""A sweep's statistics as data: :class:`SweepResult`, an ``xarray.Dataset`` over ``seed`` and one
dimension per swept configuration key (``planet.analysis.sweep_params``), written by suffix.

Variables, each over (seed, parameter dimensions…): ``status`` ("ok"/"failed"), ``error`` ("" when
ok), ``step`` (−1 for a failed world) and one float variable per statistic (NaN where not
computable or failed) with ``units`` and ``definition`` attributes. ``rows`` gives one dict per
world (seed, the parameter values, status, step, statistics), ``failures`` the worlds that failed.

``write`` (and ``SweepResult.write``) chooses the format by suffix: ``.nc`` (NetCDF-4), ``.zarr``
(a Zarr store, needs ``zarr``) or ``.csv`` (one row per world, floats exact); ``check_output``
refuses any other suffix, a missing folder or an existing Zarr store before a sweep starts.
Files are written atomically (temporary file or folder, then rename).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from planet.analysis.sweep_csv import write_csv

#: output formats of a sweep, by suffix
FORMATS = {".nc": "netcdf", ".zarr": "zarr", ".csv": "csv"}

_OWN = ("seed", "status", "step", "error")


def _scalar(v):
    return v.item() if isinstance(v, np.generic) else v


class SweepResult(xr.Dataset):
    """The statistics of a sweep: an ``xarray.Dataset`` over ``seed`` and the swept parameters."""

    __slots__ = ()

    @classmethod
    def from_rows(cls, rows: list[dict], attrs: dict | None = None, axes=()) -> "SweepResult":
        """The dataset of a sweep's rows. Without ``axes`` the rows are one per seed, in that order;
        with ``axes`` (``sweep_params.Axis``) they are the outer product seed × axis values (the
        seeds varying slowest), each row carrying its parameter values under the axes' names."""
        from planet.analysis.stats import REGISTRY

        dims = ("seed", *(a.name for a in axes))
        n_values = int(np.prod([len(a.values) for a in axes])) if axes else 1
        seeds = np.array([int(r["seed"]) for r in rows[::n_values]], dtype=np.int64)
        shape = (len(seeds), *(len(a.values) for a in axes))
        if len(rows) != int(np.prod(shape)):
            raise ValueError(f"from_rows: {len(rows)} rows do not fill a {' x '.join(map(str, shape))} sweep")
        params = {a.name for a in axes}
        names: list[str] = []
        for r in rows:
            names += [k for k in r if k not in names and k not in _OWN and k not in params]

        def var(values, dtype, attrs=None):
            return (dims, np.array(values, dtype=dtype).reshape(shape), attrs or {})

        data = {"status": var([str(r.get("status", "ok")) for r in rows], object),
                "error": var([str(r.get("error", "")) for r in rows], object),
                "step": var([-1 if r.get("step") is None else int(r["step"]) for r in rows], np.int64,
                            {"note": "-1 for a failed world"})}
        for n in names:
            values = [r.get(n) for r in rows]
            st = REGISTRY.get(n)
            meta = {"units": st.units, "definition": st.definition} if st else {}
            if all(v is None or isinstance(v, (int, float, np.integer, np.floating)) for v in values):
                data[n] = var([math.nan if v is None else float(v) for v in values], np.float64, meta)
            else:
                data[n] = var(["" if v is None else str(v) for v in values], object, meta)
        coords = {"seed": ("seed", seeds)}
        for a in axes:
            coords[a.name] = (a.name, a.coordinate(), a.attrs())
        return cls(data, coords=coords, attrs=dict(attrs or {}))

    @property
    def params(self) -> list[str]:
        """The swept parameters' dimension names (bare configuration keys), in order."""
        return [d for d in self["status"].dims if d != "seed"]

    def _worlds(self):
        """(index, seed, {param: value}) of every world, seeds varying slowest."""
        params = self.params
        for index in np.ndindex(self["status"].shape):
            values = {p: _scalar(self[p].values[i]) for p, i in zip(params, index[1:])}
            yield index, int(self["seed"].values[index[0]]), values

    @property
    def rows(self) -> list[dict]:
        """One dict per world, seeds varying slowest: seed, the parameter values, status, step,
        statistics (ok) or seed, the parameter values, status, error (failed)."""
        names = [n for n in self.data_vars if n not in _OWN]
        out = []
        for index, seed, values in self._worlds():
            status = str(self["status"].values[index])
            row = {"seed": seed, **values, "status": status}
            if status != "ok":
                out.append({**row, "error": str(self["error"].values[index])})
                continue
            row["step"] = int(self["step"].values[index])
            for n in names:
                v = self[n].values[index]
                row[n] = float(v) if self[n].dtype.kind == "f" else str(v)
            out.append(row)
        return out

    @property
    def failures(self) -> list[tuple]:
        """Every world that failed, by seed: ``(seed, error)``, or ``(seed, {param: value}, error)``
        when the sweep has parameter dimensions."""
        out = []
        for index, seed, values in self._worlds():
            if str(self["status"].values[index]) != "ok":
                error = str(self["error"].values[index])
                out.append((seed, values, error) if values else (seed, error))
        return sorted(out, key=lambda f: (f[0], tuple(f[1].values()) if len(f) == 3 else ()))

    @property
    def ok(self) -> bool:
        return not self.failures

    def write(self, path) -> Path:
        """Write by suffix: ``.nc``, ``.zarr`` or ``.csv`` (atomically)."""
        return write(self, path)


def check_output(path, option: str = "out") -> Path:
    """Refuse, before any work, an output the sweep cannot write: unknown suffix, missing folder,
    an existing Zarr store (never replaced), no zarr package."""
    from planet.core.files import check_folder, check_output_file

    path = Path(path)
    if path.is_dir() and path.suffix.lower() != ".zarr":
        raise ValueError(f"{option} {path} is a folder; give a file path")
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{option} {path}: cannot write {path.suffix or 'a file without a suffix'}; "
                         f"use {', '.join(FORMATS)} (NetCDF, Zarr, CSV)")
    check_folder(path)
    if path.suffix.lower() == ".zarr":
        if path.exists():
            raise ValueError(f"{option} {path} exists; a sweep never replaces a Zarr store: remove it or choose "
                             f"another name")
        try:
            import zarr  # noqa: F401
        except ImportError:
            raise ValueError(f"{option} {path}: writing Zarr needs the zarr package (pip install zarr)") from None
    elif path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give a file path")
    else:
        check_output_file(path, option)   # the output policy: a regular file of ours or nothing, never a device
    return path


def write(result: SweepResult, path) -> Path:
    """Write a sweep's dataset by the suffix of ``path`` (see :func:`check_output`)."""
    import shutil
    import tempfile

    from planet.core.files import atomic_write, fsync_directory

    path = check_output(path)
    kind = FORMATS[path.suffix.lower()]
    if kind == "csv":
        return write_csv(result.rows, path)
    if kind == "netcdf":
        return atomic_write(path, lambda tmp: result.to_netcdf(tmp, format="NETCDF4"))
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        plain = xr.Dataset(dict(result.data_vars), coords=result.coords, attrs=result.attrs)
        plain.to_zarr(tmp / "store", mode="w", consolidated=False)  # consolidated metadata is not Zarr 3
        os.rename(tmp / "store", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fsync_directory(path.parent)
    return path
