"""The field table: every field of a full world declared once, and everything derived from it."""
import numpy as np
import pytest

import planet
from planet.core.fields import FIELDS, SCRATCH, owned_by
from planet.core.guard import field_ranges
from planet.core.stage import PipelineError, check_order
from planet.model import make_stages


def test_every_field_of_a_full_world_is_declared_with_units():
    state = planet.Planet(128).state
    assert set(state.names) == set(FIELDS)
    for name in state.names:
        f = FIELDS[name]
        assert f.units and f.long_name and f.meaning and f.owner in planet.model.REGISTRY
        assert np.dtype(f.dtype) == state[name].dtype


def test_stages_write_exactly_the_fields_they_own():
    for st in make_stages(planet.model.REGISTRY):
        assert set(st.writes) == set(owned_by(st.name)), st.name
        assert set(st.reads) <= set(FIELDS), st.name


def test_netcdf_units_are_the_table_units(tmp_path):
    xarray = pytest.importorskip("xarray")
    from planet.io.export import write_netcdf

    state = planet.Planet(128).state
    write_netcdf(state, tmp_path / "w.nc")
    with xarray.open_dataset(tmp_path / "w.nc") as ds:
        for name in state.names:
            assert ds[name].attrs["units"] == FIELDS[name].units, name
            assert ds[name].attrs["long_name"] == FIELDS[name].long_name, name


def test_guard_ranges_are_the_table_ranges():
    ranges = field_ranges()
    assert set(ranges) == set(FIELDS)
    for name, f in FIELDS.items():
        # closed bounds widened by a few float32 units in the last place (guard.ULPS)
        assert (ranges[name].lo, ranges[name].hi) == pytest.approx((f.lo, f.hi), rel=1e-6, abs=0), name
        assert ranges[name].special == f.special, name


def test_a_stage_declaring_an_unknown_field_or_a_foreign_one_is_refused():
    class Bogus:
        name = "climate"
        reads = ("elevation", "rainfall")
        writes = owned_by("climate")

    with pytest.raises(PipelineError, match="declares 'rainfall', which is not a field"):
        check_order([Bogus()])

    class Thief:
        name = "climate"
        reads = ("elevation",)
        writes = ("vapour",)

    with pytest.raises(PipelineError, match="writes 'vapour', which FIELDS gives to 'atmosphere'"):
        check_order([Thief()])


def test_scratch_products_are_checked_after_each_stage():
    from planet.core.stage import check_scratch_products

    class Litho:
        name = "lithosphere"

    shape = (64, 128)
    good = {"source": np.arange(64 * 128, dtype=np.int64).reshape(shape)}
    check_scratch_products(Litho(), good, set(), shape)
    with pytest.raises(PipelineError, match="must be a int64 array of shape"):
        check_scratch_products(Litho(), {"source": np.zeros(shape, np.float32)}, set(), shape)
    with pytest.raises(PipelineError, match="left scratch product 'rain' \\(undeclared"):
        check_scratch_products(Litho(), {"rain": 1}, set(), shape)
    with pytest.raises(PipelineError, match="declared for 'climate'"):
        check_scratch_products(Litho(), {"climate": {}}, set(), shape)
    assert SCRATCH["source"].producer == "lithosphere"


def test_a_new_stage_brings_its_own_fields():
    from planet.core.fields import Field

    class Rain:
        name = "rain"
        reads = ("elevation",)
        writes = ("rainfall",)
        fields = (Field("rainfall", "rain", "mm", "rainfall", "what fell this step", 0.0),)

    check_order(make_stages(("lithosphere",)) + [Rain()])

    class Squatter(Rain):
        fields = (Field("vapour", "rain", "1", "vapour", "clash"),)

    with pytest.raises(PipelineError, match="declares field 'vapour', which FIELDS already declares"):
        check_order([Squatter()])
