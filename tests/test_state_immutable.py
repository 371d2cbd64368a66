"""A step never writes an array of an earlier state.

The world's steps make new arrays for what they change and hand on the arrays of what they do not,
so a state kept by a notebook, a checkpoint or the film stays what it was. The film relies on it:
its simulation runs ahead of the drawing, and a queued frame is drawn from the arrays of its state
themselves (``render.scene.pack_fields``: no copy per frame).

The evidence: the whole story at 128 columns with every stage, states kept across every phase
(including forty consecutive steps around plate moves, where the lithosphere hands its fields on
unchanged between moves), each compared at the end with a copy taken when it was made.
"""
import numpy as np

import planet


def _changed(kept):
    return [(s.step, k) for s, copies in kept for k, a in copies.items()
            if not np.array_equal(s[k], a, equal_nan=True)]


def test_no_step_writes_the_arrays_of_an_earlier_state():
    world = planet.Planet(resolution=128, seed=3)
    kept = []
    interval = world.config.lithosphere.plate_interval

    def keep(state):
        if state.step % 397 == 0 or 7200 <= state.step < 7200 + 2 * interval + 8:
            kept.append((state, {k: state[k].copy() for k in state.names}))

    world.run(until=250, on_step=keep)
    assert len(kept) > 60 and {len(c) for _, c in kept} == {len(world.state.names)}
    assert _changed(kept) == []
    s, _ = kept[len(kept) // 2]               # the check sees a write into a kept array (and into the
    s["elevation"][3, 5] += 1.0               # states that share it: handed on unchanged)
    changed = _changed(kept)
    assert (s.step, "elevation") in changed and {k for _, k in changed} == {"elevation"}
