"""The river order's layers (``drainage._drain_queue``) and the stream-power pass that takes each in
parallel (``stream_power.erode``): the same order, sums and eroded map as the one queue and the one
pass backwards."""
import numba
import numpy as np
import pytest

import planet
from planet.processes.lithosphere import drainage, stream_power
from planet.processes.lithosphere.metrics import Metrics


def _world_receivers(res, until):
    w = planet.Planet(resolution=res, seed=0, stages=("lithosphere",))
    w.run(until=until)
    z = w.state.elevation.astype(np.float32)
    level = np.float32(w.timeline.sea_level(w.state.time) - w.config.lithosphere.shore)
    rcv, _ = drainage.receivers(z, level)
    return w, z, level, rcv


def _accumulate(rcv, W, cell_area, layers):
    rcv = rcv.ravel().copy()
    n = rcv.size
    pending, order = np.empty(n, np.uint8), np.empty(n, np.int32)
    true_area = np.zeros(n, np.float32)
    count = drainage._accumulate_areas(rcv, pending, order, cell_area, W, true_area, layers)
    return rcv, order[:count], true_area


@pytest.mark.parametrize("until", [20.0, 60.0])
def test_each_layer_drains_only_into_later_layers(until):
    w, z, level, rcv0 = _world_receivers(128, until)
    H, W = z.shape
    cell_area = Metrics(H, W, w.config.lithosphere).area
    layers = np.full(6, -1, np.int64)
    rcv, order, true_area = _accumulate(rcv0, W, cell_area, layers)
    # the queue noted its layers without changing a thing: the order and the sum are the one queue's
    rcv1, order1, true1 = _accumulate(rcv0, W, cell_area, np.empty(0, np.int64))
    for a, b in ((rcv, rcv1), (order, order1), (true_area, true1)):
        np.testing.assert_array_equal(a, b)
    # and the sum is the true area's walk along that order, bit for bit (``drainage._true_area``)
    routed = rcv != drainage.NOT_ROUTED
    walked = np.zeros(rcv.size, np.float32)
    drainage._true_area(rcv, order, order.size, cell_area, W, walked)
    np.testing.assert_array_equal(true_area[routed], walked[routed])
    # layer 0 is the sources: the routed cells no routed cell drains into
    donors = np.bincount(rcv[routed & (rcv >= 0)], minlength=rcv.size)
    assert layers[0] == np.count_nonzero(routed & (donors == 0))
    assert np.all(np.diff(layers) >= 0) and layers[-1] <= order.size
    # each cell's layer, by brute force: 0 for a source, else one more than its highest donor's
    depth = np.zeros(rcv.size, np.int64)
    for c in order:
        r = rcv[c]
        if r >= 0 and rcv[r] != drainage.NOT_ROUTED:
            depth[r] = max(depth[r], depth[c] + 1)
    starts = np.concatenate([[0], layers])
    pos = np.full(rcv.size, order.size, np.int64)
    pos[order] = np.arange(order.size)
    for L in range(layers.size):
        cells = order[starts[L]:starts[L + 1]]
        assert cells.size > 0 and np.all(depth[cells] == L), L
        # and every receiver of the layer lies beyond it in the order
        r = rcv[cells]
        inside = r >= 0
        assert np.all(pos[r[inside]] >= starts[L + 1])


def test_stream_power_by_layers_equals_the_pass_backwards():
    w, z, level, rcv0 = _world_receivers(256, 40.0)
    H, W = z.shape
    cell_area = Metrics(H, W, w.config.lithosphere).area
    layers = np.empty(stream_power.LAYERS, np.int64)
    rcv, order, true_area = _accumulate(rcv0, W, cell_area, layers)
    assert layers[-1] < order.size          # some cells lie beyond the layers: both parts of the pass run
    rng = np.random.default_rng(3)
    D = np.float32(level + w.config.lithosphere.shore)
    state = np.where(rcv == drainage.NOT_ROUTED, stream_power.BELOW,
                     np.where(rcv >= 0, stream_power.ERODE, stream_power.PIT)).astype(np.uint8)
    coef = rng.random(rcv.size) * 4.0
    basin_in = rng.random(rcv.size).astype(np.float32)
    results = []
    before = numba.get_num_threads()
    try:
        for threads, lay in ((1, np.empty(0, np.int64)), (1, layers), (numba.config.NUMBA_NUM_THREADS, layers)):
            numba.set_num_threads(threads)
            zz, land, basin = z.ravel().copy(), np.zeros(rcv.size, np.bool_), basin_in.copy()
            stream_power.erode(order, order.size, lay, rcv, state, coef, zz, D, np.float32(1.0), land, basin_in, basin)
            results.append((zz, land, basin))
    finally:
        numba.set_num_threads(before)
    zz, land, basin = results[0]
    assert np.count_nonzero(zz < z.ravel()) > 1000      # the pass eroded, and rivers took their mouths' colours
    assert np.count_nonzero(basin != basin_in) > 1000
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
    # each eroded cell solves x + f x = h above its receiver's new height (n = 1), receivers first
    c = np.flatnonzero((state == stream_power.ERODE) & (zz < z.ravel()))
    zr = np.maximum(zz[rcv[c]], D).astype(np.float64)
    np.testing.assert_allclose(zz[c] - zr, (z.ravel()[c] - zr) / (1.0 + coef[c]), rtol=1e-5, atol=1e-5)
