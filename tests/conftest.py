"Shared fixtures: the repository root and the shared samples folder (skipped with a message when absent)."

from pathlib import Path
import os
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get('TALKVID_SAMPLES', ROOT.parent / 'shared' / 'samples' / 'talking_heads'))


@pytest.fixture(scope='session')
def root():
    return ROOT


@pytest.fixture(scope='session')
def samples():
    if not (SAMPLES / 'samples.csv').exists():
        pytest.skip(f'shared samples not found at {SAMPLES} (set TALKVID_SAMPLES to run the integration tests)')
    return SAMPLES
