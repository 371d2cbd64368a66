"""Synthetic stages for the checkpoint, guard and sweep tests, and a checkpointing driver.

The real kernels are written in parallel; these stages make every field change every
step in a way that depends on the whole history and on the step number, so a resumed
run that skipped, repeated or mis-seeded a single step would differ from an
uninterrupted one. ``use_synthetic(registry)`` swaps them into ``planet.model.REGISTRY``.

Run as a script, it is the process the SIGKILL tests kill:

    python tests/ops_stages.py DIR UNTIL_STEPS EVERY [KEEP] [--fault N]

``--fault N`` sends SIGKILL to itself at the N-th low-level write/fsync/rename
of the checkpoint writer, i.e. at a chosen point inside writing a checkpoint.
"""
from __future__ import annotations

import os
import signal
import sys

import numpy as np

from planet.core.fields import Field, owned_by

RES = 128


def compressed_schedule(scale: float = 0.02) -> dict:
    """The default schedule with every epoch multiplied by ``scale`` (the whole story in few steps)."""
    from planet.core.config import Schedule, fields

    return {f.name: getattr(Schedule(), f.name) * scale for f in fields(Schedule) if f.name != "fps"}


class ChurnStage:
    """Stands in for the lithosphere: all of its fields change every step (the crust stays oceanic)."""

    name = "lithosphere"
    reads = owned_by("lithosphere")
    writes = reads

    def initial(self, grid, config, seed, fields):
        from planet.processes.lithosphere.protoplanet import protoplanet

        return {**protoplanet(grid, seed), "crust": np.zeros(grid.shape, np.float32),
                "frame_plate": np.full(grid.shape, -1.0, np.float32), "frame_crust": np.zeros(grid.shape, np.float32),
                "drift_east": np.zeros(grid.shape, np.float32), "drift_north": np.zeros(grid.shape, np.float32)}

    def advance(self, fields, ctx):
        rng = np.random.default_rng([ctx.seed, ctx.step, 7])
        u = rng.random(ctx.grid.shape, dtype=np.float32)
        f32 = np.float32
        z, y, b = fields["elevation"], fields["uplift"], fields["basin"]
        z_new = np.maximum(z + f32(0.25) * (u - f32(0.5)) + f32(0.05) * (np.roll(z, 1, axis=1) - z), f32(0))
        y_new = (y * f32(1.7) + u) % f32(1.0)
        b_new = (b + u * f32(0.618)) % f32(1.0)
        b_new[b_new >= 1] = 0  # float32 rounding of % can give exactly 1.0
        plate = np.where(u < f32(0.01), u * f32(50), fields["plate"]).astype(np.float32)
        area = (z_new * f32(2)).astype(np.float32)
        return {"elevation": z_new.astype(np.float32), "uplift": y_new.astype(np.float32),
                "basin": b_new.astype(np.float32), "plate": plate, "drainage_area": area,
                "crust": fields["crust"].copy(), "frame_plate": plate.copy(), "frame_crust": fields["frame_crust"].copy(),
                "drift_east": fields["drift_east"].copy(), "drift_north": fields["drift_north"].copy()}


class PoisonStage:
    """A stage named 'poison' that owns field 'toxin' (0.5 everywhere) and, from step ``step`` on,
    puts ``value`` into cell ``cell`` (class attributes a test may change)."""

    name = "poison"
    reads = ("elevation",)
    writes = ("toxin",)
    fields = (Field("toxin", "poison", "1", "toxin", "0.5 everywhere, or a test's poison value", 0.0, 1.0),)
    step = 7
    cell = (5, 9)
    value = float("nan")

    def initial(self, grid, config, seed, fields):
        return {"toxin": np.zeros(grid.shape, np.float32)}

    def advance(self, fields, ctx):
        out = np.full(ctx.grid.shape, np.float32(0.5))
        if ctx.step >= self.step:
            out[self.cell] = np.float32(self.value)
        return {"toxin": out}


def use_synthetic(registry, poison: bool = False) -> None:
    """Point ``registry`` (``planet.model.REGISTRY`` or a monkeypatch of it) at these stages."""
    registry["lithosphere"] = ("ops_stages", "ChurnStage")
    if poison:
        registry["poison"] = ("ops_stages", "PoisonStage")


TICKS = [0]


def flaky_world(seed, *, marker_dir, victim, mode, **kw):
    """A sweep task that misbehaves for seed ``victim``: ``mode`` "exit" kills the worker process on the
    first attempt, "raise" raises on the first attempt, "always" raises every time. The first attempt
    leaves a marker file, so a test can tell that it happened."""
    from pathlib import Path

    from planet.analysis.sweep import run_world

    if seed == victim:
        marker = Path(marker_dir) / f"attempt-{seed}"
        if mode == "always":
            marker.write_text("x")
            raise RuntimeError(f"world {seed} always fails")
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            if mode == "exit":
                os._exit(1)
            raise RuntimeError(f"world {seed} fails on its first attempt")
    return run_world(seed, **kw)


def _install_fault(n: int) -> None:
    """SIGKILL this process at the n-th write / fsync / rename made while saving checkpoints."""
    import builtins

    import planet.core.files as files_mod
    import planet.core.state as state_mod

    count = TICKS

    def tick():
        count[0] += 1
        if count[0] >= n:
            os.kill(os.getpid(), signal.SIGKILL)

    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        tick()
        return real_fsync(fd)

    def replace(a, b):
        tick()
        return real_replace(a, b)

    os.fsync, os.replace = fsync, replace

    class Writer:
        def __init__(self, f):
            self._f = f

        def write(self, data):
            tick()
            half = len(data) // 2
            self._f.write(data[:half])
            self._f.flush()
            tick()
            return self._f.write(data[half:]) + half

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._f.__exit__(*exc)

    def opener(file, mode="r", *a, **k):
        f = builtins.open(file, mode, *a, **k)
        return Writer(f) if any(c in mode for c in "wa+") else f

    state_mod.open = opener  # State.save writes the archive inside planet.core.files.atomic_write
    files_mod.open = opener


def main(argv) -> int:
    import planet.model
    from planet.io.checkpoint import resume, run_with_checkpoints
    from planet.world import Planet

    fault = None
    if "--fault" in argv:
        k = argv.index("--fault")
        fault = int(argv[k + 1])
        argv = argv[:k] + argv[k + 2:]
    directory, until, every = argv[0], int(argv[1]), int(argv[2])
    keep = int(argv[3]) if len(argv) > 3 else None
    use_synthetic(planet.model.REGISTRY)
    from planet.io.checkpoint import list_checkpoints

    if list_checkpoints(directory):
        world = resume(directory)
    else:
        world = Planet(resolution=RES, seed=11, stages=("lithosphere",))
    print("ready", flush=True)
    if fault is not None:
        _install_fault(fault)
    fps = world.config.schedule.fps
    run_with_checkpoints(world, until=until / fps, every=every, directory=directory, keep=keep)
    print("done", world.state.step, TICKS[0], flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
