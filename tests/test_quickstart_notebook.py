"""docs/examples/quickstart.ipynb runs end to end in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "examples" / "quickstart.ipynb"


def test_the_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_quickstart_notebook_runs_and_shows_no_tensorflow_log_lines(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    for marker in ("E0000", "W0000", "I0000", "cuInit"):
        assert marker not in text, marker
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the two attention figures
    results = [o["data"]["text/plain"] for o in outputs if o.output_type == "execute_result"]
    assert results[-1].startswith("array(['good']"), results[-1]
    forecast = results[0]  # predict().head(): the first five of the twelve months after 2019-12
    assert "2020-01-01" in forecast and "2020-05-01" in forecast
