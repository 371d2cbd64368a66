"""Checkpoints: atomic, durable, verified; resume is bit-identical; damage is detected and skipped."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import planet.model
from planet.io.checkpoint import (CheckpointError, CheckpointWarning, _Lock, checkpoint_path, latest_valid,
                               list_checkpoints, load_checkpoint, resume, run_with_checkpoints)
from planet.core.config import Config
from planet.core.state import StateFileError, fields_checksum
from planet.world import Planet

import ops_stages

ROOT = Path(__file__).resolve().parent.parent
SEED = 11          # the driver's seed
STEPS = 12         # the killed runs go this far
SYNTH = ("lithosphere",)  # only the synthetic stage runs: these tests are about checkpoints
TICKS_PER_CHECKPOINT = 103  # low-level writes/fsyncs/renames per checkpoint at 128 columns (measured)


@pytest.fixture(scope="module")
def synthetic():
    saved = dict(planet.model.REGISTRY)
    ops_stages.use_synthetic(planet.model.REGISTRY)
    yield
    planet.model.REGISTRY.clear()
    planet.model.REGISTRY.update(saved)


@pytest.fixture(scope="module")
def reference(synthetic):
    """Checksums of the uninterrupted run at every step 0..STEPS+40, and its final state."""
    world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    sums = {0: fields_checksum(world.state.fields)}
    for _ in range(STEPS + 40):
        world.step(1)
        sums[world.state.step] = fields_checksum(world.state.fields)
    return sums, world.state


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    return env


def _driver(directory, until, every, keep=None, fault=None):
    cmd = [sys.executable, str(ROOT / "tests" / "ops_stages.py"), str(directory), str(until), str(every)]
    if keep is not None:
        cmd.append(str(keep))
    if fault is not None:
        cmd += ["--fault", str(fault)]
    return cmd


def _check_every_checkpoint(directory, sums):
    """Every file under a checkpoint name loads and holds exactly the uninterrupted state of its step."""
    found = list_checkpoints(directory)
    for step, path in found:
        state = load_checkpoint(path)  # raises if damaged
        assert state.step == step
        assert fields_checksum(state.fields) == sums[step], f"{path.name} loads but is wrong"
    return found


def _resume_and_finish(directory, until, sums, final):
    if list_checkpoints(directory):
        world = resume(directory)
    else:
        world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    run_with_checkpoints(world, until=until / 60, every=1, directory=directory, keep=3)
    assert world.state.step == until
    assert fields_checksum(world.state.fields) == sums[until]
    if until == final.step:
        assert world.state.equals(final)


def test_reference_changes_every_step(reference):
    sums, _ = reference
    assert len(set(sums.values())) == len(sums), "synthetic stages must change the state every step"


@pytest.mark.parametrize("trial", [pytest.param(t, marks=pytest.mark.slow) if t >= 4 else t for t in range(40)])
def test_sigkill_inside_checkpoint_write(tmp_path, reference, trial):
    """SIGKILL at a random write / fsync / rename inside the checkpoint writer; resume is exact.
    (4 trials by default, 40 with the slow tests.)"""
    sums, final = reference
    rnd = random.Random(1234 + trial)
    fault = rnd.randint(1, (4 if trial < 4 else STEPS) * TICKS_PER_CHECKPOINT)
    proc = subprocess.run(_driver(tmp_path, STEPS, 1, keep=3, fault=fault), env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    _check_every_checkpoint(tmp_path, sums)
    _resume_and_finish(tmp_path, STEPS, sums, final)
    assert not list(tmp_path.glob(".checkpoint-*.tmp")), "stray temporaries are removed by the next run"
    assert [s for s, _ in list_checkpoints(tmp_path)] == [STEPS - 2, STEPS - 1, STEPS]


def test_sigkill_at_random_moments(tmp_path, reference):
    """Kill the writer from outside at random moments, three times over the same folder; then finish."""
    sums, final = reference
    until = STEPS + 40
    rnd = random.Random(99)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(_driver(tmp_path, until, 1, keep=3), env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
        kills += rc == -signal.SIGKILL
        _check_every_checkpoint(tmp_path, sums)
    assert kills >= 1, "the runs finished before they could be killed: make the run longer"
    _resume_and_finish(tmp_path, until, sums, final)


def _write_some(directory, upto=5):
    world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    run_with_checkpoints(world, until=upto / 60, every=1, directory=directory)
    return world.state


def test_truncated_checkpoint_is_skipped_with_warning(tmp_path, reference):
    sums, _ = reference
    _write_some(tmp_path)
    newest = checkpoint_path(tmp_path, 5)
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])
    with pytest.warns(CheckpointWarning, match=r"skipping damaged checkpoint .*checkpoint-000000005\.npz"):
        state = latest_valid(tmp_path)
    assert state.step == 4 and fields_checksum(state.fields) == sums[4]
    with pytest.raises(StateFileError, match="damaged"):
        load_checkpoint(newest)


def test_flipped_bytes_are_detected_or_harmless(tmp_path, reference):
    """Flip one byte at positions all over a checkpoint: it is refused, or (in bytes no reader uses,
    such as zip timestamps) loads to exactly the right state. Never loads but wrong."""
    sums, _ = reference
    _write_some(tmp_path, upto=2)
    good = checkpoint_path(tmp_path, 2).read_bytes()
    target = tmp_path / "flip" / checkpoint_path(tmp_path, 2).name
    target.parent.mkdir()
    stride = max(1, len(good) // 500) | 1
    tail = 600  # the zip central directory: many of its bytes (timestamps, attributes) are never read
    body = range(0, len(good) - tail, stride)
    refused_body = 0
    for pos in list(body) + list(range(len(good) - tail, len(good))):
        bad = bytearray(good)
        bad[pos] ^= 0x5A
        target.write_bytes(bytes(bad))
        try:
            state = load_checkpoint(target)
        except StateFileError:
            refused_body += pos < len(good) - tail
            continue
        assert state.step == 2 and fields_checksum(state.fields) == sums[2], f"flip at {pos} loads but is wrong"
    assert refused_body > 0.95 * len(body), (refused_body, len(body))


def test_checkpoint_with_wrong_step_for_its_name_is_refused(tmp_path):
    _write_some(tmp_path, upto=3)
    shutil.copy(checkpoint_path(tmp_path, 2), checkpoint_path(tmp_path, 3))
    with pytest.raises(StateFileError, match="holds step 2"):
        load_checkpoint(checkpoint_path(tmp_path, 3))
    with pytest.warns(CheckpointWarning):
        assert latest_valid(tmp_path).step == 2


def test_resume_moves_damaged_aside_and_is_exact(tmp_path, reference):
    sums, _ = reference
    _write_some(tmp_path, upto=6)
    p6 = checkpoint_path(tmp_path, 6)
    raw = bytearray(p6.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    p6.write_bytes(bytes(raw))
    with pytest.warns(CheckpointWarning, match="moved to checkpoint-000000006.npz.damaged"):
        world = resume(tmp_path)
    assert world.state.step == 5
    assert (tmp_path / "checkpoint-000000006.npz.damaged").is_file()
    run_with_checkpoints(world, until=9 / 60, every=2, directory=tmp_path, keep=2)
    assert fields_checksum(world.state.fields) == sums[9]
    # keep=2: the final checkpoint and one before it
    assert [s for s, _ in list_checkpoints(tmp_path)] == [8, 9]


def test_no_valid_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no valid checkpoint"):
        resume(tmp_path)
    checkpoint_path(tmp_path, 3).write_bytes(b"not a zip")
    with pytest.warns(CheckpointWarning), pytest.raises(CheckpointError, match=r"\(1 damaged\)"):
        resume(tmp_path)


def test_folder_of_another_world_is_refused(tmp_path):
    _write_some(tmp_path, upto=2)
    other = Planet(resolution=ops_stages.RES, seed=SEED + 1, stages=SYNTH)
    with pytest.raises(CheckpointError, match="another world.*seed"):
        run_with_checkpoints(other, until=3 / 60, every=1, directory=tmp_path)
    cfg = Config().replace(life={"dt": 0.05})
    other = Planet(resolution=ops_stages.RES, seed=SEED, config=cfg, stages=SYNTH)
    with pytest.raises(CheckpointError, match="config"):
        run_with_checkpoints(other, until=3 / 60, every=1, directory=tmp_path)


def test_folder_in_use_is_refused(tmp_path):
    world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    with _Lock(tmp_path):
        with pytest.raises(CheckpointError, match="in use"):
            run_with_checkpoints(world, until=2 / 60, every=1, directory=tmp_path)
    run_with_checkpoints(world, until=2 / 60, every=1, directory=tmp_path)  # released


@pytest.mark.parametrize("bad, match", [(0, "checkpoint every"), (1.5, "checkpoint every"), (True, "checkpoint every")])
def test_bad_every(tmp_path, bad, match):
    world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    with pytest.raises(ValueError, match=match):
        run_with_checkpoints(world, until=1, every=bad, directory=tmp_path)


def test_bad_keep(tmp_path):
    world = Planet(resolution=ops_stages.RES, seed=SEED, stages=SYNTH)
    with pytest.raises(ValueError, match=r"keep must be an integer >= 1"):
        run_with_checkpoints(world, until=1, every=1, directory=tmp_path, keep=0)


def test_resume_with_the_real_stages_is_bit_identical(tmp_path):
    """With whatever stages this checkout has, over a compressed story (every epoch in ~150 steps,
    stopping at 90, past tectonics end):
    checkpoint, 'crash', resume = uninterrupted, field by field."""

    names = [n for n in planet.model.REGISTRY if n in ("lithosphere", "climate", "atmosphere", "life")]
    cfg = Config().replace(schedule=ops_stages.compressed_schedule(0.01))
    until = 1.5  # film seconds: past tectonics end (1.26 s) of the compressed story
    whole = Planet(resolution=128, seed=5, config=cfg, stages=names)
    whole.run(until=until)
    first = Planet(resolution=128, seed=5, config=cfg, stages=names)
    run_with_checkpoints(first, until=0.6, every=20, directory=tmp_path, keep=2)
    again = resume(tmp_path)
    assert again.stages == whole.stages
    run_with_checkpoints(again, until=until, every=20, directory=tmp_path, keep=2)
    assert again.state.equals(whole.state)
