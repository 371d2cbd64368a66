"""Ensembles on Dask: same statistics as one by one, whatever the cluster; failed worlds are not lost."""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import pytest

from planet.core.config import Config
from planet.core.state import State
from planet.analysis.sweep import parse_seeds, read_csv, run_world, sweep

import ops_stages

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [0, 1, 2, 3]
RES = 128
UNTIL = 1.0  # film seconds of a compressed story: every process has started
CONFIG = Config().replace(schedule=ops_stages.compressed_schedule(0.02))


def _same(a: dict, b: dict) -> bool:
    """Rows equal, NaN == NaN."""
    if a.keys() != b.keys():
        return False
    return all(x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
               for x, y in ((a[k], b[k]) for k in a))


@pytest.fixture(scope="module")
def one_by_one():
    return {s: {"status": "ok", **run_world(s, until=UNTIL, resolution=RES, config=CONFIG)} for s in SEEDS}


def _check(result, one_by_one, seeds=SEEDS):
    assert result.ok, result.failures
    assert [r["seed"] for r in result.rows] == seeds
    for row in result.rows:
        assert _same(row, one_by_one[row["seed"]]), (row, one_by_one[row["seed"]])


def test_sweep_equals_one_by_one_and_csv_reads_back(tmp_path, one_by_one):
    out = tmp_path / "stats.csv"
    result = sweep(SEEDS, UNTIL, RES, config=CONFIG, stats_path=out, save_states=tmp_path / "states",
                   workers=2, processes=False)
    _check(result, one_by_one)
    back = read_csv(out)
    assert len(back) == len(SEEDS)
    for got, want in zip(back, result.rows):
        assert _same(got, want)
    assert not list(tmp_path.glob(".stats.csv.*"))
    for s in SEEDS:
        st = State.load(tmp_path / "states" / f"seed-{s:010d}.npz")
        assert st.seed == s and st.config == CONFIG and st.step == one_by_one[s]["step"]


def test_external_scheduler_gives_the_same_rows(one_by_one):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        result = sweep(SEEDS[::-1], UNTIL, RES, config=CONFIG, scheduler=cluster.scheduler_address)
    _check(result, one_by_one, seeds=SEEDS[::-1])


def test_a_world_that_raises_once_is_retried(tmp_path, one_by_one):
    task = functools.partial(ops_stages.flaky_world, marker_dir=str(tmp_path), victim=2, mode="raise")
    result = sweep(SEEDS, UNTIL, RES, config=CONFIG, workers=2, processes=False, retries=1, task=task)
    assert (tmp_path / "attempt-2").is_file(), "the first attempt must have failed"
    _check(result, one_by_one)


def test_a_world_that_always_fails_is_reported_not_lost(tmp_path, one_by_one):
    task = functools.partial(ops_stages.flaky_world, marker_dir=str(tmp_path), victim=1, mode="always")
    lines = []
    out = tmp_path / "stats.csv"
    result = sweep(SEEDS, UNTIL, RES, config=CONFIG, workers=2, processes=False, retries=1, task=task,
                   report=lines.append, stats_path=out)
    assert result.failures == [(1, "RuntimeError: world 1 always fails")]
    assert lines == ["planet sweep: world seed 1 failed after 1 retry: RuntimeError: world 1 always fails"]
    rows = read_csv(out)
    assert [r["status"] for r in rows] == ["ok", "failed", "ok", "ok"]
    assert rows[1]["error"] == "RuntimeError: world 1 always fails" and rows[1]["step"] is None
    for r in rows:
        if r["status"] == "ok":
            assert _same({k: v for k, v in r.items() if k != "error"}, one_by_one[r["seed"]])


def test_a_worker_that_dies_mid_sweep_does_not_lose_a_world(tmp_path, one_by_one, monkeypatch):
    """Seed 2's first attempt kills its worker process (os._exit); the nanny restarts the worker and
    the scheduler runs the world again. Every world comes back, identical to the one-by-one run."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "tests"),
                                                      os.environ.get("PYTHONPATH", "")]))
    task = functools.partial(ops_stages.flaky_world, marker_dir=str(tmp_path), victim=2, mode="exit")
    result = sweep(SEEDS, UNTIL, RES, config=CONFIG, workers=2, processes=True, retries=2, task=task)
    marker = tmp_path / "attempt-2"
    assert marker.is_file() and int(marker.read_text()) != os.getpid(), "a worker process must have died"
    _check(result, one_by_one)


@pytest.mark.parametrize("text, seeds", [("0:4", [0, 1, 2, 3]), ("7", [7]), ("1, 5,9", [1, 5, 9]),
                                         ("0:2,10,20:22", [0, 1, 10, 20, 21])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text, match", [("", "seeds must be START:STOP"), ("a:b", "seeds must be START:STOP"),
                                         ("5:5", "is empty"), ("-1", r"seeds must be integers in \[0, 4294967295\]"),
                                         ("1,1", "must not repeat"), ("0:2:3", "seeds must be START:STOP")])
def test_parse_seeds_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_seeds(text)


@pytest.mark.parametrize("kw, match", [({"retries": -1}, r"retries must be an integer in \[0, 100\]"),
                                       ({"workers": 0}, r"workers must be an integer in \[1, 4096\]"),
                                       ({"until": "nonsense"}, "unknown epoch 'nonsense'"),
                                       ({"resolution": 100}, "resolution must be at least 128"),
                                       ({"stats_path": "/nonexistent/x.csv"}, "folder /nonexistent does not exist")])
def test_sweep_argument_errors(kw, match):
    args = {"until": 1.0, "resolution": RES, **kw}
    with pytest.raises(ValueError, match=match):
        sweep(SEEDS, **args)


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ValueError, match=r"scheduler 'tcp://127\.0\.0\.1:9': cannot connect"):
        sweep(SEEDS, UNTIL, RES, scheduler="tcp://127.0.0.1:9", connect_timeout="1s")


def test_threaded_sweep_on_a_layer_that_is_not_thread_safe():
    """The simulation kernels release the GIL; on Numba's workqueue layer (which aborts the process
    when two threads enter it) threaded workers must take turns and still give the one-by-one rows."""
    import subprocess
    import sys

    code = (
        "import math\n"
        "from planet.core.config import Config\n"
        "from planet.analysis.sweep import run_world, sweep\n"
        "import numba, ops_stages\n"
        "cfg = Config().replace(schedule=ops_stages.compressed_schedule(0.02))\n"
        "res = sweep([0, 1, 2, 3], 1.0, 128, config=cfg, workers=2, processes=False)\n"
        "assert res.ok, res.failures\n"
        "one = {s: run_world(s, until=1.0, resolution=128, config=cfg) for s in (0, 1, 2, 3)}\n"
        "same = lambda a, b: a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))\n"
        "assert all(all(same(r[k], one[r['seed']][k]) for k in one[r['seed']]) for r in res.rows)\n"
        "print(numba.threading_layer())\n"
    )
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("workqueue")
