"""Ensembles: run many worlds with Dask and gather their statistics.

    import planet
    result = planet.sweep(range(64), until="tectonics_end", out="sweep.nc")       # 512 columns
    result["terrain.land_fraction"].mean("seed")    # an xarray.Dataset over the seed dimension
    result.rows[0]      # {"seed": 0, "status": "ok", "step": 7560, "terrain.land_fraction": ..., ...}

    # and over configuration values: one dimension per swept key (dims seed x uplift_diffusion)
    result = planet.sweep(range(8), "tectonics_end", params={"uplift_diffusion": [0.05, 0.1, 0.2]})
    result["terrain.land_fraction"].mean("seed").sel(uplift_diffusion=0.1)

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

The result is an ``xarray.Dataset`` (:class:`SweepResult`, ``planet.analysis.sweep_result``)
over ``seed`` and one dimension per swept key of ``params`` (``planet.analysis.sweep_params``):
``status`` ("ok"/"failed"), ``error`` ("" when ok), ``step`` (−1 for
a failed world) and one float variable per statistic (NaN where not
computable or failed), with ``units`` and ``definition`` attributes; the run's
resolution, until, stages, base configuration and swept keys are attributes. ``rows``,
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

from planet.analysis.sweep_csv import _ordered, csv_text, read_csv, write_csv  # noqa: F401 (re-exported)
from planet.analysis.sweep_params import axes_of, configs
from planet.analysis.sweep_result import FORMATS, SweepResult, check_output, write  # noqa: F401 (re-exported)
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
def combo_folder(axes, index) -> str:
    """The sub-folder of ``save_states`` for one parameter combination: ``key=value,key=value``."""
    return ",".join(f"{a.name}={a.values[i]!r}" for a, i in zip(axes, index))


def _check(seeds, until, resolution, params, config, stages, out, save_states, retries, workers, max_time,
           stats_path):
    """Every check of ``sweep``'s arguments, before a cluster starts or a world runs: ``(seeds,
    resolution, axes, worlds, combos, stages, save_states, out)``, normalised."""
    from planet.core.grid import validate_resolution
    from planet.core.timeline import Timeline

    from planet.model import make_stages
    from planet.world import check_run_length

    if hasattr(seeds, "__len__") and len(seeds) > MAX_WORLDS:
        raise ValueError(f"seeds name {len(seeds)} worlds; one sweep runs at most {MAX_WORLDS}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one world")
    if len(set(seeds)) != len(seeds):
        raise ValueError("seeds must not repeat")
    resolution = validate_resolution(resolution)
    if config is not None and not isinstance(config, Config):
        raise TypeError(f"config must be a planet.Config, got {type(config).__name__}")
    axes = axes_of(params)
    worlds = len(seeds) * math.prod(len(a.values) for a in axes)
    if worlds > MAX_WORLDS:
        raise ValueError(f"seeds x params name {worlds} worlds; one sweep runs at most {MAX_WORLDS}")
    combos = configs(config, axes)              # every combination validated before any world
    # refuse a bad or unbounded until before starting a cluster (each combination's schedule)
    for cfg in dict.fromkeys(combos.values()):
        check_run_length(Timeline(cfg.schedule), until, cfg, max_time)
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
    return seeds, resolution, axes, worlds, combos, stages, save_states, out


def _connect(scheduler, workers, worlds, retries, processes, connect_timeout):
    """``(client, cluster)``: a client of the Dask scheduler at ``scheduler``, or of an embedded
    ``LocalCluster`` (``cluster``, else None) of ``workers`` single-threaded workers."""
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        n = workers or max(1, min(os.cpu_count() or 1, worlds))
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
    return client, cluster


def sweep(seeds: Iterable[int], until, resolution: int = 512, *, params: dict | None = None,
          config: Config | None = None, stages: Iterable[str] | None = None, out=None, save_states=None,
          scheduler: str | None = None, workers: int | None = None, retries: int = 2, processes: bool = True,
          progress: bool = False, task: Callable[..., dict] | None = None,
          report: Callable[[str], None] | None = None, connect_timeout: str = "30s",
          max_time: float | None = None, stats_path=None) -> SweepResult:
    """Run one world per seed (and per combination of ``params``) on a Dask cluster; gather rows
    by seed (see the module docstring).

    ``resolution``: columns of every world (512 by default, as on the command line).
    ``params``: configuration keys to sweep, ``{"uplift_diffusion": [0.05, 0.1]}`` (``section.key``
    or a bare key; see ``planet.analysis.sweep_params``): one result dimension per key, over the
    base ``config`` with each combination of values.
    ``scheduler``: address of an existing Dask scheduler (None: an embedded ``LocalCluster``
    with ``workers`` single-threaded workers, processes unless ``processes=False``).
    ``retries``: extra attempts per world (after an exception or a worker death).
    ``task``: replaces ``run_world`` (same signature), for tests and custom statistics.
    ``report``: called with a line for each failed world (default: print to stderr).
    ``max_time``: the latest film time ``until`` may be (default: ``planet.world.time_bound``).
    ``out``: write the dataset there, by suffix (``.nc``, ``.zarr``, ``.csv``); ``stats_path`` is
    its old name. ``save_states``: a folder for each final state, ``seed-NNNNNNNNNN.npz``, in a
    sub-folder per parameter combination (``uplift_diffusion=0.05``) when ``params`` are swept.
    """
    seeds, resolution, axes, worlds, combos, stages, save_states, out = _check(
        seeds, until, resolution, params, config, stages, out, save_states, retries, workers, max_time, stats_path)
    report = report or (lambda line: print(line, file=sys.stderr))
    task = task or run_world

    try:
        import dask  # noqa: F401 (checked here: the one-line error before any work)
        from distributed import as_completed
    except ImportError:
        raise ValueError("sweep needs dask and distributed: pip install 'dask[distributed]'") from None

    client, cluster = _connect(scheduler, workers, worlds, retries, processes, connect_timeout)
    tag = uuid.uuid4().hex[:8]
    folders = {index: None for index in combos}
    if save_states is not None:
        for index in combos:
            folders[index] = save_states / combo_folder(axes, index) if axes else save_states
            folders[index].mkdir(exist_ok=True)
    rows: dict[tuple, dict] = {}
    try:
        futures = {client.submit(task, seed, until=until, resolution=resolution, config=cfg, stages=stages,
                                 save_dir=None if folders[index] is None else str(folders[index]),
                                 key=f"planet-world-{seed}-{'-'.join(map(str, index))}-{tag}", retries=retries,
                                 pure=False): (seed, index)
                   for seed in seeds for index, cfg in combos.items()}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(futures), unit="world", desc="sweep")
        for fut in as_completed(futures):
            seed, index = futures[fut]
            values = {a.name: a.values[i] for a, i in zip(axes, index)}
            try:
                rows[seed, index] = {"status": "ok", **fut.result(), **values}
            except Exception as e:  # noqa: BLE001 - any failure of a world is reported, not raised
                error = f"{type(e).__name__}: {e}".splitlines()[0]
                rows[seed, index] = {"seed": seed, **values, "status": "failed", "error": error}
                where = "".join(f", {k}={v!r}" for k, v in values.items())
                report(f"planet sweep: world seed {seed}{where} failed after {retries} "
                       f"retr{'y' if retries == 1 else 'ies'}: {error}")
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    attrs = {"title": "planet sweep", "resolution": resolution, "until": str(until),
             "stages": ",".join(stages or ()), "config": (config or Config()).to_json(),
             "params": ",".join(a.key for a in axes)}
    head = ("seed", *(a.name for a in axes), "status", "step")
    result = SweepResult.from_rows([_ordered(rows[s, index], head) for s in seeds for index in combos], attrs, axes)
    if out is not None:
        write(result, out)
    return result

