"""The rivers view draws the router's long steps near the poles as lines (``render/rivers.py``)."""
import numpy as np
import pytest

import planet
from planet.processes.lithosphere.metrics import diagonal_reach
from planet.render.scene import F_DRAINAGE_AREA, P_SEA_LEVEL, pack_fields

THRESHOLD = 3.0          # equatorial cells: drawn with opacity 0.15 ln 3 ≈ 0.16 or more


@pytest.fixture(scope="module")
def world():
    return planet.Planet(128, seed=0, stages=("lithosphere",)).run(until="story_end")


def _broken(drawn, plane, land):
    """Drawn land cells with no drawn 8-neighbour at least as large and no sea beside them: where
    a river drawn on the map stops short of its mouth (wrap in longitude, rows clamped)."""
    H, W = drawn.shape
    out = np.zeros_like(drawn)
    for j, i in zip(*np.nonzero(drawn)):
        ok = False
        for dj in (-1, 0, 1):
            for di in (-1, 0, 1):
                jj, ii = j + dj, (i + di) % W
                if (dj, di) == (0, 0) or not 0 <= jj < H:
                    continue
                if not land[jj, ii] or (drawn[jj, ii] and plane[jj, ii] >= plane[j, i]):
                    ok = True
        out[j, i] = not ok
    return out


def test_rivers_along_stretched_rows_are_drawn_whole(world):
    """Beyond 48° a river steps up to ``m_j`` columns at a time: drawn cell by cell, many of its
    cells end in a gap on the map (seed 0 at 128 columns, story end: 17 of the 41 drawn cells
    there); drawn with its steps, every drawn cell goes on to a drawn cell as large or to the sea."""
    m = diagonal_reach(*world.shape)
    far = np.broadcast_to((m >= 2)[:, None], world.shape)
    planes = {}
    for links in (False, True):
        stack, P = pack_fields(world, world.time, links)
        land = world.elevation >= P[P_SEA_LEVEL]
        plane = planes[links] = stack[F_DRAINAGE_AREA]
        drawn = land & (plane >= THRESHOLD)
        broken = _broken(drawn, plane, land)
        assert drawn[far].sum() >= 20
        if links:
            assert broken[far].sum() == 0
        else:
            assert broken[far].sum() > 0.25 * drawn[far].sum()
    # the drainage areas themselves are only raised along the steps, and nothing changes where every
    # step goes to a neighbour (m_j = 1 in the row and the rows beside it)
    assert np.all(planes[True] >= planes[False]) and np.any(planes[True][far] > planes[False][far])
    calm = (m == 1) & (np.roll(m, 1) == 1) & (np.roll(m, -1) == 1)
    assert calm.sum() >= 0.45 * len(m)        # (within 48°: half the rows)
    assert np.array_equal(planes[True][calm], planes[False][calm])


def test_the_film_joins_rivers_only_where_it_shows_them():
    from planet.render.storyboard import DEFAULT, frames, resolve
    from tests.film_reference import MAP_VIEWS, WIPE
    shots = resolve(DEFAULT, planet.Timeline())
    joined = [t for t, j in frames(shots, 0.0, 250 * 30, 30) if shots[j].shows_rivers(t)]
    # the map wipes into rivers at 43 s, shows them, and wipes from them into temperature at 51 s, in
    # WIPE seconds each (film_reference.MAP_VIEWS, written before storyboards)
    start = dict((name, t) for t, name in MAP_VIEWS)
    assert joined[0] == start["rivers"] and abs(joined[-1] - (start["temperature"] + WIPE)) <= 1.0 / 30 + 1e-9
    assert len(joined) == round((start["temperature"] + WIPE - start["rivers"]) * 30)
