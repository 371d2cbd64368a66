"""On which film steps the lithosphere advances and its plates move: functions of the step number
alone (and the ``Lithosphere`` section), so that a restored state goes on identically, and so that
a stage that reads the terrain can tell when it was made (``last_run``) without the lithosphere's
kernels (the climate is computed at that step's time and sea level: ``climate.physics``).
See ``motion`` for the lithosphere's own step (``step_interval``) and ``plate_interval``."""
from __future__ import annotations

from planet.processes.lithosphere.euler import epoch_of, epoch_start_step


def moves_at(step, epoch_start, interval):
    """Whether the plates move at ``step`` of an epoch seeded at ``epoch_start`` when they move
    every ``interval`` steps (``plate_interval``): at ``epoch_start + interval``, ``+ 2 interval``,
    … — a function of the step alone, so a restored state moves on the same steps."""
    return (step - epoch_start) % interval == 0


def runs_at(step, cfg, first_step):
    """Whether the lithosphere advances at ``step`` (``cfg``: the ``Lithosphere`` section;
    ``first_step``: the step of ocean start): on the steps ``s_e + k K`` (``K`` = ``step_interval``,
    ``s_e`` the start of the step's epoch, any integer ``k``, so also on the re-plating steps
    before it), each time by ``K`` steps' worth. A function of the step alone, like
    ``moves_at``; with ``plate_interval`` a multiple of ``K`` every move falls on such a step."""
    k = cfg.step_interval
    if k == 1:
        return True
    s_e = epoch_start_step(epoch_of(step, cfg.replate_period), cfg.replate_period, cfg.replate_steps,
                           first_step)
    return (step - s_e) % k == 0


def last_run(step, cfg, first_step):
    """The latest step at or before ``step`` on which the lithosphere advances (``runs_at``): the terrain
    every stage reads at ``step`` is the one the lithosphere made then, at that step's sea level (the
    climate is that step's). In the first steps of an epoch, before its first
    lithosphere step, the last epoch's last one. Arithmetic, not a search (it runs every step)."""
    k = cfg.step_interval
    s = step
    for _ in range(2):         # this epoch's beat, else the last epoch's, from the step before this epoch
        e = epoch_of(s, cfg.replate_period)
        s_e = epoch_start_step(e, cfg.replate_period, cfg.replate_steps, first_step)
        last = s - (s - s_e) % k
        if e == 0 or last >= e * cfg.replate_period:
            return last
        s = e * cfg.replate_period - 1
    return step
