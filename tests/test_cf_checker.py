"""A real CF checker (cfchecker's ``cfchecks``) passes the NetCDF that ``planet export`` writes, offline:
the CF tables it would download are vendored in tests/data/cf (see its README)."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import planet
from planet.io import export as E

try:
    from cfchecker import cfchecks
except ImportError:                     # pragma: no cover - the CF checker is in the test extra
    pytest.skip("the CF checker is not installed (pip install cfchecker; it is in the test extra)",
                allow_module_level=True)
except FileNotFoundError as e:          # pragma: no cover - cfunits needs the UDUNITS-2 C library
    pytest.skip(f"the CF checker cannot run: {e} (apt-get install libudunits2-0; make test installs it)",
                allow_module_level=True)

TABLES = Path(__file__).resolve().parent / "data" / "cf"


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cf-tables")
    names = folder / "cf-standard-name-table.xml"
    with gzip.open(TABLES / "cf-standard-name-table.xml.gz", "rb") as src, open(names, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return {"cfStandardNamesXML": str(names), "cfAreaTypesXML": str(TABLES / "area-type-table.xml"),
            "cfRegionNamesXML": str(TABLES / "standardized-region-list.xml")}


def check(path, tables) -> tuple[dict, list[str]]:
    """``cfchecks -s -a -r`` with the local tables, checking against the version the file declares."""
    checker = cfchecks.CFChecker(silent=True, version=cfchecks.CFVersion(), **tables)
    checker.checker(str(path))
    return dict(checker.get_counts()), list(checker.all_messages)


@pytest.fixture(scope="module")
def netcdf(tmp_path_factory):
    state = planet.Planet(128, seed=5).step(300)
    return E.write_netcdf(state, tmp_path_factory.mktemp("cf") / "world.nc")


def test_cf_checker_passes_the_netcdf_export(netcdf, tables):
    counts, messages = check(netcdf, tables)
    assert any("Standard Name Table Version 83" in m for m in messages), messages[:8]   # the local table
    assert any("Checking against CF Version CF-1.8" in m for m in messages), messages[:8]
    problems = [m for m in messages if m.startswith(("FATAL", "ERROR", "WARN"))]
    assert counts["FATAL"] == counts["ERROR"] == counts["WARN"] == 0, problems


def test_cf_checker_finds_what_is_wrong(netcdf, tables, tmp_path):
    """The same file with a made-up standard name and no Conventions: the checker says so (it can fail)."""
    import netCDF4

    bad = tmp_path / "bad.nc"
    shutil.copy(netcdf, bad)
    with netCDF4.Dataset(bad, "a") as ds:
        ds.variables["temperature"].standard_name = "surface_warmth_of_the_planet"
        ds.variables["lat"].units = "furlongs"
    counts, messages = check(bad, tables)
    errors = [m for m in messages if m.startswith("ERROR")]
    assert any("surface_warmth_of_the_planet" in m for m in errors), errors
    assert any("variable lat" in m for m in errors), errors
    assert counts["ERROR"] >= 2
