"""The example notebooks never rot: each is stored without outputs and runs top to bottom here, at
128 columns with short runs (the parameters cell is followed by the test's smaller values)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: what each notebook runs with here (the notebooks' own values are for people)
SMALL = {
    "quickstart.ipynb": "RESOLUTION = 128\nUNTIL = 5.0",
    "history.ipynb": "RESOLUTION = 128\nUNTIL = 12.0\nRECORD_EVERY = 120",
    "regression_testing.ipynb": "RESOLUTION = 128\nSTEPS = 60",
    "dask_sweep.ipynb": "SEEDS = range(2)\nRESOLUTION = 128\nUNTIL = 0.5\nPROCESSES = False",
    "your_own_world.ipynb": "RESOLUTION = 128\nYEARS = 1\nSTEPS = 20",
}


def test_every_example_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.ipynb")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_runs(name, tmp_path, monkeypatch):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{name} is stored with outputs"
    params = [k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{name} needs one cell tagged 'parameters'"
    nb.cells.insert(params[0] + 1, nbformat.v4.new_code_cell(SMALL[name]))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()       # a failing cell raises CellExecutionError naming the cell and the error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
