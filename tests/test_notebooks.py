"Every notebook's inline tests (`nbdev_test`), one pytest case per notebook, so failures are reported per notebook."

from pathlib import Path
import pytest
from nbdev.test import test_nb as run_notebook_tests

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_'))


@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    ok, secs = run_notebook_tests(nb, skip_flags=['notest', 'slow'], showerr=True)
    assert ok, f'{nb.name} failed (see the traceback above)'
