"""The machine line the benchmarks print (``bench.floor.machine``): figures are compared only within one machine."""
import os
import re
import subprocess
from pathlib import Path

import numba
import pytest

from bench.floor import machine


def test_the_machine_line_names_the_cores():
    line = machine()
    assert line.startswith("machine: ") and f", {os.cpu_count()} cores" in line


@pytest.mark.skipif(not Path("/sys/devices/system/cpu/cpu0/cache").is_dir(), reason="no Linux cache description")
def test_the_machine_line_gives_the_data_caches_that_getconf_reports():
    # independent evidence: glibc's getconf reads the caches its own way (cpuid), in bytes
    try:
        out = subprocess.run(["getconf", "-a"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("no getconf")
    sizes = dict(re.findall(r"^(LEVEL\d_(?:D)?CACHE_SIZE)\s+(\d+)$", out, re.M))
    line = machine()
    shown = {int(level): int(kib) * 1024 for level, kib in re.findall(r"L(\d) (\d+)K", line)}
    checked = 0
    for level, key in ((1, "LEVEL1_DCACHE_SIZE"), (2, "LEVEL2_CACHE_SIZE")):
        if int(sizes.get(key, 0)) > 0 and level in shown:
            assert shown[level] == int(sizes[key]), (level, line, sizes[key])
            checked += 1
    if not checked:
        pytest.skip("getconf reports no cache sizes here")


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_the_cpu_clock_is_refused_with_more_than_one_thread(capsys):
    # the process's CPU clock sums every thread, the parallel layer's idle spinning included: a
    # lithosphere split read with it on two threads showed serial kernels at twice their wall time
    from bench.bench_lithosphere import main

    before = numba.get_num_threads()
    try:
        with pytest.raises(SystemExit) as exit_:
            main(["--cpu", "--threads", "2", "--no-first", "--sizes", "512", "--phases", "30"])
    finally:
        numba.set_num_threads(before)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--cpu needs one Numba thread (--threads 1)" in err and "got 2 threads" in err
