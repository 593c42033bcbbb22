"""Line discipline of the nbdev world (fastaistyle), enforced: one statement per line (no `;`), lines <= 120
characters, in the library, the notebooks' code cells, benchmarks, sweeps and tests (ruff, configured in
pyproject.toml). The notebooks are formatted by `ruff format` and the library is their export, formatted alike."""

import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ['talkvid_nb', 'nbs', 'benchmarks', 'sweeps', 'tests']


def _ruff(*args):
    return subprocess.run([sys.executable, '-m', 'ruff', *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


def test_no_joined_statements_or_long_lines():
    r = _ruff('check', '--output-format', 'concise')
    assert r.returncode == 0, r.stdout + r.stderr


def test_code_is_formatted():
    r = _ruff('format', '--check')
    assert r.returncode == 0, r.stdout + r.stderr


def test_linter_sees_the_rules():
    "The check above is not vacuous: ruff flags a `;`-joined statement and a 121-character line with this config."
    bad = 'a = 1; b = 2\nc = "' + 'x' * 115 + '"\n'
    r = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--stdin-filename', 'talkvid_nb/x.py', '-'],
        cwd=ROOT,
        input=bad,
        capture_output=True,
        text=True,
    )
    assert 'E702' in r.stdout and 'E501' in r.stdout, r.stdout


def test_no_library_line_over_120_characters():
    "The count the project quotes: every line of `talkvid_nb/`, URLs included (ruff's E501 lets a lone URL through)."
    long = [
        f'{p.name}:{i}'
        for p in sorted((ROOT / 'talkvid_nb').glob('*.py'))
        if p.name != '_modidx.py'
        for i, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1)
        if len(line) > 120
    ]
    assert not long, long
