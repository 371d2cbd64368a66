"""Ensembles: run many worlds with Dask and gather their statistics.

    from planet.analysis.sweep import sweep
    result = sweep(range(64), until="tectonics_end", resolution=256, out="sweep.nc")
    result["terrain.land_fraction"].mean("seed")    # an xarray.Dataset over the seed dimension
    result.rows[0]      # {"seed": 0, "status": "ok", "step": 7560, "terrain.land_fraction": ..., ...}

One Dask task per world: build the ``Planet``, run it, compute its
statistics (``planet.analysis.stats.compute`` when that module is present, else the
small built-in set of ``builtin_statistics``), optionally save its final
state. Tasks run on an embedded ``dask.distributed.LocalCluster`` (one
single-threaded worker process per core by default: no set-up) or on an
existing cluster given by its scheduler address.

The results do not depend on the cluster: every world is a pure function of
(seed, resolution, configuration, stages, until), its kernels give the same
bits on any thread count, and rows are gathered by seed, not by finishing
order. A world whose task raises is retried (``retries``); a worker that
dies under a world (killed, out of memory) makes the scheduler run it again
elsewhere (on the embedded cluster up to ``retries`` deaths, on an external
one as its ``distributed.scheduler.allowed-failures`` says). A world that
still fails is reported (a row with ``status = failed`` and the error), not
dropped.

The result is an ``xarray.Dataset`` (:class:`SweepResult`) with one dimension,
``seed``: ``status`` ("ok"/"failed"), ``error`` ("" when ok), ``step`` (−1 for
a failed world) and one float variable per statistic (NaN where not
computable or failed), with ``units`` and ``definition`` attributes; the run's
resolution, until, stages and configuration are attributes. ``rows``,
``failures`` and ``ok`` give it as plain rows. ``out`` writes it, the format
following the suffix: ``.nc`` (NetCDF), ``.zarr`` (a Zarr store, needs
``zarr``) or ``.csv`` (one row per world, floats exact); any other suffix is
refused before a world is run. Files are written atomically (temporary file or
folder, then rename).
"""
from __future__ import annotations

import logging
import math
import os
import sys
import uuid
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import xarray as xr

from planet.analysis.sweep_csv import _ordered, csv_text, read_csv, write_csv  # noqa: F401 (re-exported)
from planet.core.config import Config

MAX_SEED = 2**32 - 1


# -- the seeds argument ----------------------------------------------------------------
#: the most worlds one sweep runs (a bound on the work one command starts; split larger ensembles)
MAX_WORLDS = 100_000


class Seeds:
    """The seeds of a sweep as half-open ranges, expanded only when iterated: ``len`` and the checks
    (range, overlap, size) cost nothing per seed, so ``0:4294967296`` is refused at once."""

    def __init__(self, ranges: list[range]):
        self.ranges = ranges

    def __len__(self) -> int:
        return sum(len(r) for r in self.ranges)

    def __iter__(self):
        for r in self.ranges:
            yield from r

    def __eq__(self, other) -> bool:
        if isinstance(other, (Seeds, list, tuple, range)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Seeds({', '.join(f'{r.start}:{r.stop}' for r in self.ranges)})"


def parse_seeds(text: str, max_worlds: int = MAX_WORLDS) -> Seeds:
    """Seeds from ``"0:64"`` (half-open range), ``"7"``, ``"1,5,9"`` or a mix ``"0:4,10,20:22"``.

    Parsed lazily: each part is a range whose bounds are checked ([0, 2**32 - 1], no overlap, at most
    ``max_worlds`` seeds in all) before any seed is listed."""
    usage = f"seeds must be START:STOP, a seed, or a comma-separated list of them (e.g. 0:64), got {text!r}"
    if not isinstance(text, str) or not text.strip():
        raise ValueError(usage)
    ranges: list[range] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if ":" in part:
                a, b = part.split(":")
                lo, hi = int(a), int(b)
            else:
                lo = int(part)
                hi = lo + 1
        except ValueError:
            raise ValueError(usage) from None
        if hi <= lo:
            raise ValueError(f"seeds range {part!r} is empty: STOP must be greater than START")
        if lo < 0 or hi - 1 > MAX_SEED:
            raise ValueError(f"seeds must be integers in [0, {MAX_SEED}], got {lo if lo < 0 else hi - 1}")
        ranges.append(range(lo, hi))
    ordered = sorted(ranges, key=lambda r: r.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.stop:
            raise ValueError(f"seeds must not repeat, got {text!r}")
    seeds = Seeds(ranges)
    if len(seeds) > max_worlds:
        raise ValueError(f"seeds name {len(seeds)} worlds; one sweep runs at most {max_worlds} "
                         f"(split the ensemble into several sweeps)")
    return seeds


# -- one world --------------------------------------------------------------------------
def builtin_statistics(state) -> dict[str, float]:
    """A small fallback set: land fraction (area-weighted, land = z >= sea level), area-weighted mean
    elevation, median elevation over cells, plate count (distinct ids >= 0), sea level."""
    from planet.core.timeline import Timeline

    z = state.elevation.astype(np.float64)
    sea = Timeline(state.config.schedule).sea_level(state.time)
    w = state.grid.area_weights
    land = z >= sea
    plates = state.plate[state.plate >= 0]
    return {"sea_level": float(sea), "land_fraction": float(np.sum(w[land])),
            "elevation_mean": float(np.sum(w * z)), "elevation_median": float(np.median(z)),
            "plate_count": float(np.unique(plates).size)}


def statistics(state) -> dict[str, float]:
    """``planet.analysis.stats.compute(state)`` flattened to name → float (NaN where not computable), or
    ``builtin_statistics`` where ``planet.analysis.stats`` is absent."""
    try:
        from planet.analysis.stats import compute
    except ImportError:
        return builtin_statistics(state)
    out = {}
    for name, v in compute(state).items():
        v = getattr(v, "value", v)
        out[name] = math.nan if v is None else float(v)
    return out


def run_world(seed: int, *, until, resolution: int, config: Config | None = None,
              stages: tuple[str, ...] | None = None, save_dir=None, threads: int = 1) -> dict:
    """Run one world and return its row: seed, step and statistics (the Dask task)."""
    import numba

    from planet.world import Planet, serial_kernels

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    world = Planet(resolution=resolution, seed=seed, config=config, stages=stages)
    state = world.run(until=until)
    with serial_kernels():          # threaded workers on a layer that is not thread-safe take turns
        row = {"seed": int(seed), "step": state.step, **statistics(state)}
    if save_dir is not None:
        state.save(Path(save_dir) / f"seed-{seed:010d}.npz")
    return row


# -- many worlds ------------------------------------------------------------------------
#: output formats of a sweep, by suffix
FORMATS = {".nc": "netcdf", ".zarr": "zarr", ".csv": "csv"}


class SweepResult(xr.Dataset):
    """The statistics of a sweep: an ``xarray.Dataset`` over ``seed`` (see the module docstring)."""

    __slots__ = ()

    @classmethod
    def from_rows(cls, rows: list[dict], attrs: dict | None = None) -> "SweepResult":
        seeds = np.array([int(r["seed"]) for r in rows], dtype=np.int64)
        names: list[str] = []
        for r in rows:
            names += [k for k in r if k not in names and k not in ("seed", "status", "step", "error")]
        data = {"status": ("seed", np.array([str(r.get("status", "ok")) for r in rows], dtype=object)),
                "error": ("seed", np.array([str(r.get("error", "")) for r in rows], dtype=object)),
                "step": ("seed", np.array([-1 if r.get("step") is None else int(r["step"]) for r in rows],
                                          dtype=np.int64), {"note": "-1 for a failed world"})}
        from planet.analysis.stats import REGISTRY

        for n in names:
            values = [r.get(n) for r in rows]
            if all(v is None or isinstance(v, (int, float, np.integer, np.floating)) for v in values):
                arr = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
            else:
                arr = np.array(["" if v is None else str(v) for v in values], dtype=object)
            st = REGISTRY.get(n)
            data[n] = ("seed", arr, {"units": st.units, "definition": st.definition} if st else {})
        return cls(data, coords={"seed": ("seed", seeds)}, attrs=dict(attrs or {}))

    @property
    def rows(self) -> list[dict]:
        """One dict per world, in seed order: seed, status, step, statistics (ok) or seed, status, error."""
        names = [n for n in self.data_vars if n not in ("status", "error", "step")]
        out = []
        for i, seed in enumerate(self["seed"].values):
            status = str(self["status"].values[i])
            if status != "ok":
                out.append({"seed": int(seed), "status": status, "error": str(self["error"].values[i])})
                continue
            row = {"seed": int(seed), "status": status, "step": int(self["step"].values[i])}
            for n in names:
                v = self[n].values[i]
                row[n] = float(v) if self[n].dtype.kind == "f" else str(v)
            out.append(row)
        return out

    @property
    def failures(self) -> list[tuple[int, str]]:
        """``(seed, error)`` of every world that failed, by seed."""
        failed = self["status"].values != "ok"
        return sorted((int(s), str(e)) for s, e in zip(self["seed"].values[failed], self["error"].values[failed]))

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


def sweep(seeds: Iterable[int], until, resolution: int = 256, *, config: Config | None = None,
          stages: Iterable[str] | None = None, out=None, save_states=None, scheduler: str | None = None,
          workers: int | None = None, retries: int = 2, processes: bool = True, progress: bool = False,
          task: Callable[..., dict] | None = None, report: Callable[[str], None] | None = None,
          connect_timeout: str = "30s", max_time: float | None = None, stats_path=None) -> SweepResult:
    """Run one world per seed on a Dask cluster; gather rows by seed (see the module docstring).

    ``scheduler``: address of an existing Dask scheduler (None: an embedded ``LocalCluster``
    with ``workers`` single-threaded workers, processes unless ``processes=False``).
    ``retries``: extra attempts per world (after an exception or a worker death).
    ``task``: replaces ``run_world`` (same signature), for tests and custom statistics.
    ``report``: called with a line for each failed world (default: print to stderr).
    ``max_time``: the latest film time ``until`` may be (default: ``planet.world.time_bound``).
    ``out``: write the dataset there, by suffix (``.nc``, ``.zarr``, ``.csv``); ``stats_path`` is
    its old name.
    """
    from planet.core.grid import validate_resolution
    from planet.core.timeline import Timeline

    from planet.model import make_stages
    from planet.world import check_run_length

    if hasattr(seeds, "__len__") and len(seeds) > MAX_WORLDS:
        raise ValueError(f"seeds name {len(seeds)} worlds; one sweep runs at most {MAX_WORLDS}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one world")
    resolution = validate_resolution(resolution)
    if config is not None and not isinstance(config, Config):
        raise TypeError(f"config must be a planet.Config, got {type(config).__name__}")
    # refuse a bad or unbounded until before starting a cluster
    check_run_length(Timeline((config or Config()).schedule), until, config, max_time)
    stages = None if stages is None else tuple(stages)
    if stages is not None:
        if not stages:
            raise ValueError("stages must name at least one stage")
        make_stages(stages)                                   # unknown names: refused before any world
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
        raise ValueError(f"retries must be an integer in [0, 100], got {retries!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 4096):
        raise ValueError(f"workers must be an integer in [1, 4096], got {workers!r}")
    from planet.core.files import probe_folder

    if save_states is not None:
        save_states = Path(save_states)
        if save_states.exists() and not save_states.is_dir():
            raise ValueError(f"save states {save_states} exists and is not a folder")
        save_states.mkdir(parents=True, exist_ok=True)
        probe_folder(save_states, ValueError, "save states")
    if out is not None and stats_path is not None:
        raise ValueError("give out or stats_path (its old name), not both")
    out = out if out is not None else stats_path
    if out is not None:
        out = check_output(out)
    report = report or (lambda line: print(line, file=sys.stderr))
    task = task or run_world

    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ValueError("sweep needs dask and distributed: pip install 'dask[distributed]'") from None

    cluster = None
    if scheduler is None:
        n = workers or max(1, min(os.cpu_count() or 1, len(seeds)))
        with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
            # memory_limit=0: Planet checks memory itself; a per-worker share of RAM would kill big worlds
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, memory_limit=0,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as e:
            raise ValueError(f"scheduler {scheduler!r}: cannot connect ({type(e).__name__}: {e})") from None
    tag = uuid.uuid4().hex[:8]
    rows: dict[int, dict] = {}
    failures: list[tuple[int, str]] = []
    try:
        futures = {client.submit(task, seed, until=until, resolution=resolution, config=config, stages=stages,
                                 save_dir=None if save_states is None else str(save_states),
                                 key=f"planet-world-{seed}-{tag}", retries=retries, pure=False): seed
                   for seed in seeds}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(futures), unit="world", desc="sweep")
        for fut in as_completed(futures):
            seed = futures[fut]
            try:
                rows[seed] = {"status": "ok", **fut.result()}
            except Exception as e:  # noqa: BLE001 - any failure of a world is reported, not raised
                error = f"{type(e).__name__}: {e}".splitlines()[0]
                failures.append((seed, error))
                rows[seed] = {"seed": seed, "status": "failed", "error": error}
                report(f"planet sweep: world seed {seed} failed after {retries} retr{'y' if retries == 1 else 'ies'}: "
                       f"{error}")
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    attrs = {"title": "planet sweep", "resolution": resolution, "until": str(until),
             "stages": ",".join(stages or ()), "config": (config or Config()).to_json()}
    result = SweepResult.from_rows([_ordered(rows[s]) for s in seeds], attrs)
    if out is not None:
        write(result, out)
    return result

